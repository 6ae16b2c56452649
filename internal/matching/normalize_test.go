package matching

import (
	"reflect"
	"testing"
)

func TestNormalizeRef(t *testing.T) {
	t.Parallel()

	tests := []struct {
		in, want string
	}{
		{"INV-000123", "INV123"},
		{"inv 123", "INV123"},
		{"INV123", "INV123"},
		{"Inv_00123", "INV123"},
		{"INV-2024-0042", "INV202442"},
		{"000", "0"},
		{"PO 00-7788", "PO07788"},
		{"Rëf-0105", "REF105"},
		{"", ""},
		{"  --  ", ""},
	}
	for _, tt := range tests {
		if got := NormalizeRef(tt.in); got != tt.want {
			t.Errorf("NormalizeRef(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestExtractRefs(t *testing.T) {
	t.Parallel()

	tests := []struct {
		text string
		want []string
	}{
		{"INV-000123", []string{"INV123", "123"}},
		{"INV 123", []string{"INV123", "123"}},
		{"Invoice #123", []string{"INVOICE123", "123"}},
		{"inv123", []string{"INV123", "123"}},
		{"payment for invoices INV-1, INV-2 and INV-3",
			[]string{"INV1", "1", "INV2", "2", "INV3", "3"}},
		{"INV-1;INV-2/INV-3", []string{"INV1", "1", "INV2", "INV3"}},
		{"Invoice No. 555 and 556", []string{"555", "556"}},
		{"NEFT INV-6101", []string{"INV6101", "6101"}},
		{"PO 7788", []string{"PO7788", "7788"}},
		{"2024/0042", []string{"202442"}},
		// Dates, amounts and short bare numbers are not references; a word joined to
		// the number after it still is.
		{"paid 1250.00 on 2025-01-15, 42", nil},
		{"ref 42", []string{"REF42"}},
		{"Rechnung 4711 vom 15.01.2025 über 1.250,00 EUR", []string{"RECHNUNG4711", "4711"}},
		{"RMR*IV*INV-10017**1250.00*1250.00\\", []string{"INV10017", "10017"}},
		{"", nil},
	}
	for _, tt := range tests {
		got := ExtractRefs(tt.text)
		if len(got) == 0 && len(tt.want) == 0 {
			continue
		}

		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ExtractRefs(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

// TestReferenceFormsFindOneInvoice checks the forms a payer writes one invoice
// number in all lead the engine to that invoice: applied for its customer, and
// for a payer nobody knows only when written as issued (or as an RF reference);
// the short forms are then held with the invoice listed.
func TestReferenceFormsFindOneInvoice(t *testing.T) {
	t.Parallel()

	forms := []struct {
		text    string
		anybody bool // applied whoever pays
	}{
		{"INV-000123", true}, {"INV 123", false}, {"Invoice #123", false}, {"inv123", false},
		{"invoice 000123", false}, {"payment ref 0000123 thanks", false},
		{"Zahlung fuer Rechnung INV-000123 vom Januar", true}, {"INV 000 123", false},
		{"inv 000123", true}, {RFReference("INV-000123"), true},
	}
	for _, f := range forms {
		for _, account := range []string{acctC1, ""} {
			e := newFixture(t)
			d := e.Match(Payment{ID: "p", Amount: usd(50000), ValueDate: day("2025-01-15"),
				Remittance: f.text, PayerAccount: account})
			applied := len(d.Applications) == 1 && d.Applications[0].InvoiceNumber == "INV-000123"
			if account != "" || f.anybody {
				if !applied {
					t.Errorf("%q from %q: applications %+v, exception %+v", f.text, account,
						d.Applications, d.Exception)
				}

				continue
			}

			x := d.Exception
			if len(d.Applications) != 0 || x == nil || x.Reason != ReasonUnknownPayer ||
				len(x.Candidates) != 1 || x.Candidates[0].InvoiceNumber != "INV-000123" ||
				d.CustomerID != "" {
				t.Errorf("%q from an unknown payer: applications %+v, exception %+v, customer %q",
					f.text, d.Applications, x, d.CustomerID)
			}
		}
	}
}

func TestNormalizeName(t *testing.T) {
	t.Parallel()

	tests := []struct {
		in, want string
	}{
		{"Example Customer, LLC", "EXAMPLE CUSTOMER"},
		{"EXAMPLE CUSTOMER LLC", "EXAMPLE CUSTOMER"},
		{"example   customer", "EXAMPLE CUSTOMER"},
		{"EXAMPLE CUSTOMER PVT LTD", "EXAMPLE CUSTOMER"},
		{"Example Trading B.V.", "EXAMPLE TRADING"},
		{"Example Services S.A.", "EXAMPLE SERVICES"},
		{"Müller GmbH & Co. KG", "MULLER"},
		{"Smith & Sons Ltd", "SMITH AND SONS"},
		{"The Example Group plc", "EXAMPLE GROUP"},
		{"O'Brien Holdings Oy", "OBRIEN HOLDINGS"},
		{"S.A.", "SA"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeName(tt.in); got != tt.want {
			t.Errorf("NormalizeName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeAccount(t *testing.T) {
	t.Parallel()

	tests := []struct {
		in, want string
	}{
		{"de89 3704 0044 0532 0130 00", "DE89370400440532013000"},
		{"DE89370400440532013000", "DE89370400440532013000"},
		{"011000015:000123456789", "011000015:123456789"},
		{"011000015 : 1234-56789", "011000015:123456789"},
		{"011000015:0000", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeAccount(tt.in); got != tt.want {
			t.Errorf("NormalizeAccount(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestExtractRefsListsAndRanges(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"INV-101 to 103", []string{"INV101", "101", "INV102", "INV103"}},
		{"INV-101 - 103", []string{"INV101", "101", "INV102", "INV103"}},
		{"INV-101/102/103", []string{"INV101", "INV102", "INV103"}},
		{"INV-101, 102 and 103", []string{"INV101", "101", "INV102", "102", "INV103", "103"}},
		{"INV-101-103", []string{"INV101103", "101103", "INV101", "INV102", "INV103"}},
		{"INV-2024-0108", []string{"INV2024108", "2024108"}},
		{"101/102/103", []string{"101", "102", "103"}},
	}

	for _, tt := range tests {
		if got := ExtractRefs(tt.text); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ExtractRefs(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestSkeletonRef(t *testing.T) {
	pairs := [][2]string{
		{"INV-2O24-O1O8", "INV-2024-0108"},
		{"lNV 2024 0l80", "INV-2024-0180"},
		{"inv-5S8", "INV-558"},
		{"INV-2024-018", "INV-2024-0018"},
	}
	for _, p := range pairs {
		if a, b := skeletonRef(p[0]), skeletonRef(p[1]); a != b {
			t.Errorf("skeletonRef(%q) = %q, skeletonRef(%q) = %q", p[0], a, p[1], b)
		}
	}

	if skeletonRef("INV-2024-0108") == skeletonRef("INV-2024-0180") {
		t.Error("different numbers share a skeleton")
	}
}

func TestJaroWinkler(t *testing.T) {
	if s := jaroWinkler("MARTHA", "MARHTA"); s < 0.96 || s > 0.962 {
		t.Errorf("jaroWinkler(MARTHA, MARHTA) = %f, want 0.961", s)
	}

	if jaroWinkler("ABC", "XYZ") != 0 || jaroWinkler("SAME", "SAME") != 1 {
		t.Error("jaroWinkler bounds")
	}
}
