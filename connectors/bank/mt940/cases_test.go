package mt940_test

import (
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank/mt940"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// TestB05StructuredSubfieldsJoinedWithoutSeparator reads a German :86: whose
// ?21 purpose line is cut inside an invoice number, whose next line starts
// right after a ?22 key, and whose name is cut inside a word between ?32 and
// ?33 (case B05, own fixture). Line breaks are removed without inserting
// anything, the SEPA keywords are split and the counterparty is whole.
func TestB05StructuredSubfieldsJoinedWithoutSeparator(t *testing.T) {
	data := readFixture(t, "b05-structured-86-wrapped.sta")

	for _, variant := range []struct {
		name string
		data []byte
	}{
		{"lf", data},
		{"crlf", crlf(data)},
	} {
		t.Run(variant.name, func(t *testing.T) {
			f := mustRead(t, "b05.sta", variant.data, mt940.Options{})
			if len(f.Transactions) != 1 || f.Controls != bankfile.ControlsOK {
				t.Fatalf("%d transactions, controls %s", len(f.Transactions), f.Controls)
			}

			tx := f.Transactions[0]
			checkB05(t, tx)
		})
	}
}

func checkB05(t *testing.T, tx bankfile.Transaction) {
	t.Helper()

	// 12000.00 + 3150.40 = 15150.40 (the statement reconciled, see Controls).
	if tx.Direction != bankfile.Credit || tx.Kind != bankfile.KindPayment ||
		tx.Amount.Minor != 315040 || tx.Amount.Currency != "EUR" {
		t.Errorf("amount %v %s %s", tx.Amount, tx.Direction, tx.Kind)
	}

	want := map[string]string{
		"end_to_end_id": "ORD-2025-3381",
		"remittance":    "AR-7731-0042 AR-7731-0049 KUNDE 88120",
		"payer_name":    "BEISPIEL HANDEL AG VERTRIEB NORD",
		"payer_account": "DE12500105170648489890",
		"payer_id":      "HANDDEFFXXX",
		"bank_ref":      "GS0815",
		"account":       "DE44500105175407324931",
	}
	got := map[string]string{
		"end_to_end_id": tx.EndToEndID, "remittance": tx.Remittance,
		"payer_name": tx.PayerName, "payer_account": tx.PayerAccount,
		"payer_id": tx.PayerID, "bank_ref": tx.BankRef, "account": tx.Account,
	}

	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}

	for _, wrong := range []string{"AR-7731-00 42", "AR-7731- 0049", "VERTR IEB", "8 8120"} {
		if strings.Contains(tx.Remittance+" "+tx.PayerName, wrong) {
			t.Errorf("line break turned into a blank: %q", wrong)
		}
	}
}

// TestB05InfoSubfields checks the parsed :86: itself: GVC, booking text,
// primanota and the purpose joined from ?20-?22 exactly as written.
func TestB05InfoSubfields(t *testing.T) {
	text := ":86:166?00GUTSCHRIFT?104711?20EREF+ORD-2025-3381?21SVWZ+AR-7731-00\n" +
		"42 AR-7731-?22\n0049 KUNDE 88120?30HANDDEFFXXX\n" +
		"?31DE12500105170648489890?32BEISPIEL HANDEL AG VERTR\n?33IEB NORD"

	in := mt940.ParseInfo(strings.TrimPrefix(text, ":86:"))

	if in.Dialect != mt940.DialectGerman || in.Code != "166" || in.BookingText != "GUTSCHRIFT" ||
		in.Primanota != "4711" {
		t.Errorf("header %+v", in)
	}

	if in.Purpose != "EREF+ORD-2025-3381SVWZ+AR-7731-0042 AR-7731-0049 KUNDE 88120" {
		t.Errorf("purpose %q", in.Purpose)
	}

	if in.EndToEndID != "ORD-2025-3381" ||
		in.Remittance != "AR-7731-0042 AR-7731-0049 KUNDE 88120" {
		t.Errorf("SEPA split: EREF %q SVWZ %q", in.EndToEndID, in.Remittance)
	}

	if in.BankID != "HANDDEFFXXX" || in.Account != "DE12500105170648489890" ||
		in.Name != "BEISPIEL HANDEL AG VERTRIEB NORD" {
		t.Errorf("counterparty %q %q %q", in.BankID, in.Account, in.Name)
	}
}

// TestB05KeysAndTagsCutAnywhere is the whole kind of fault: a ?nn key cut
// between its "?" and its digits, a key cut between its digits, and the :86:
// tag itself cut after its colon read the same as the unbroken field.
func TestB05KeysAndTagsCutAnywhere(t *testing.T) {
	head := []string{
		":20:STMT", ":25:DE44500105175407324931", ":28C:17/1", ":60F:C250303EUR100,00",
		":61:2503040304C50,00NTRFNONREF//X1",
	}
	tail := []string{":62F:C250304EUR150,00", "-"}

	whole := ":86:166?00GUTSCHRIFT?20EREF+E-77?21SVWZ+INV 9911?32NORD GMBH"
	cuts := [][]string{
		{whole},
		{":86:166?00GUTSCHRIFT?20EREF+E-77?", "21SVWZ+INV 9911?32NORD GMBH"},
		{":86:166?00GUTSCHRIFT?20EREF+E-77?2", "1SVWZ+INV 99", "11?3", "2NORD GMBH"},
		{":", "86:166?00GUTSCHRIFT?20EREF+E-77?21SVWZ+INV 9911?32NORD GMBH"},
		{":86", ":166?00GUTSCHRIFT?20EREF+E-77?21SVWZ+INV 9911?32NORD GMBH"},
	}

	var firstKey string

	for i, cut := range cuts {
		lines := append(append(append([]string{}, head...), cut...), tail...)
		f := mustRead(t, "cut", lf(lines...), mt940.Options{})

		tx := f.Transactions[0]
		if tx.EndToEndID != "E-77" || tx.Remittance != "INV 9911" || tx.PayerName != "NORD GMBH" {
			t.Errorf("cut %d: e2e %q remittance %q name %q", i, tx.EndToEndID, tx.Remittance,
				tx.PayerName)
		}

		if i == 0 {
			firstKey = tx.DedupeKey
		} else if tx.DedupeKey != firstKey {
			t.Errorf("cut %d: key %q, want %q", i, tx.DedupeKey, firstKey)
		}
	}
}
