package matching

import (
	"testing"

	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/money"
)

// A customer's purchase-order numbers are mostly long digit strings. Written
// bare or after an order word, such a number names the invoice carrying that PO
// even when two open invoices have the same amount.
func TestNumericPONumberInFreeTextNamesItsInvoice(t *testing.T) {
	t.Parallel()

	withPO := inv("INV-000410", "C1", "EUR", 250000)
	withPO.PONumber = "4500012345"

	for _, text := range []string{
		"PO 4500012345", "PO4500012345", "PO: 4500012345", "4500012345",
		"YOUR ORDER 4500012345", "Bestellung 4500012345 vom 03.11.",
	} {
		e := New([]billing.Customer{{ID: "C1", Name: "Contoso Werke GmbH",
			BankAccounts: []string{"DE89370400440532013000"}}},
			[]billing.Invoice{withPO, inv("INV-000411", "C1", "EUR", 250000)}, DefaultRules())

		d := e.Match(Payment{ID: "p", PayerAccount: "DE89370400440532013000",
			Amount: money.New(250000, "EUR"), Remittance: text})
		if len(d.Applications) != 1 || d.Applications[0].InvoiceNumber != "INV-000410" {
			t.Errorf("%q: applications %+v, exception %+v; want INV-000410 by its PO", text,
				d.Applications, d.Exception)
		}
	}

	// A short number is not a PO lookup: "order 4711" could be anything.
	withPO.PONumber = "4711"
	e := New(
		[]billing.Customer{{ID: "C1", Name: "Contoso Werke GmbH",
			BankAccounts: []string{"DE89370400440532013000"}}},
		[]billing.Invoice{withPO, inv("INV-000411", "C1", "EUR", 250000)},
		DefaultRules())

	d := e.Match(Payment{ID: "p", PayerAccount: "DE89370400440532013000",
		Amount: money.New(250000, "EUR"), Remittance: "order 4711"})
	if len(d.Applications) != 0 {
		t.Errorf("order 4711 applied %+v; two invoices of that amount, no specific reference",
			d.Applications)
	}
}
