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
// number in all lead the engine to that invoice.
func TestReferenceFormsFindOneInvoice(t *testing.T) {
	t.Parallel()

	forms := []string{"INV-000123", "INV 123", "Invoice #123", "inv123", "invoice 000123"}
	for _, text := range forms {
		e := newFixture(t)
		d := e.Match(Payment{ID: "p", Amount: usd(50000), ValueDate: day("2025-01-15"),
			Remittance: text})
		if len(d.Applications) != 1 || d.Applications[0].InvoiceNumber != "INV-000123" {
			t.Errorf("%q: applications %+v, exception %+v", text, d.Applications, d.Exception)
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
