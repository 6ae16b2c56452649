package matching

import (
	"testing"

	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/money"
)

// A number in free text that is not written as an invoice reference ("SUITE
// 131", "QTY 200") may be anything: it names an invoice only when the payment
// closes it exactly, even for the invoice's own customer.
func TestBareNumberNamesInvoiceOnlyWhenAmountCloses(t *testing.T) {
	t.Parallel()

	engine := func() *Engine {
		return New([]billing.Customer{{ID: "C7", Name: "Foxtrot Labs Ltd",
			BankAccounts: []string{"121000248:777777777"}}},
			[]billing.Invoice{inv("INV-000131", "C7", "USD", 50000),
				inv("INV-000200", "C7", "USD", 64000)}, DefaultRules())
	}

	for _, c := range []struct {
		text   string
		amount int64
		want   string // invoice applied, "" when held
	}{
		{"DELIVERY TO SUITE 131", 10000, ""},
		{"QTY 200 UNITS", 5000, ""},
		{"ORDER 200", 6000, ""},
		{"200", 7000, ""},
		{"200", 64000, "INV-000200"},
		{"SUITE 131", 50000, "INV-000131"},
	} {
		d := engine().Match(Payment{ID: "p", PayerAccount: "121000248:777777777",
			Amount: money.New(c.amount, "USD"), Remittance: c.text})

		switch {
		case c.want == "" && len(d.Applications) != 0:
			t.Errorf("%q %d: applied %+v, want held", c.text, c.amount, d.Applications)
		case c.want != "" && (len(d.Applications) != 1 ||
			d.Applications[0].InvoiceNumber != c.want):
			t.Errorf("%q %d: applications %+v, exception %+v; want %s", c.text, c.amount,
				d.Applications, d.Exception, c.want)
		}
	}
}
