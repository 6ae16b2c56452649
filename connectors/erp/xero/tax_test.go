package xero_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/connectors/erp/xero"
	"github.com/o2c-dev/o2c/connectors/erp/xero/xerosim"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/money"
)

// taxSim is an organisation that works tax out on the document total, with a
// 21 % and a 19 % output tax.
func taxSim(ignoreTaxAmount bool) xerosim.Config {
	return xerosim.Config{
		TaxRounding:     xerosim.DocumentRounding,
		TaxRates:        map[string]int64{"NONE": 0, "OUT21": 2100, "OUT19": 1900},
		IgnoreTaxAmount: ignoreTaxAmount,
	}
}

func taxClient(c *xero.Config) {
	c.TaxTypes = map[string]string{"0.21": "OUT21", "0.190": "OUT19"}
}

func taxInvoice(number, currency string, total int64) billing.Invoice {
	return billing.Invoice{
		Number: number, CustomerID: "cust-" + number, CustomerName: "Tax Customer " + number,
		Currency: currency, Total: total,
		IssueDate: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
		DueDate:   time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
	}
}

// grossLines are three lines of 600.00 with 21 % tax included.
func grossLines() []billing.LineItem {
	var out []billing.LineItem
	for _, n := range []string{"Seat pack X", "Seat pack Y", "Seat pack Z"} {
		out = append(out, billing.LineItem{Name: n, Quantity: "1", UnitPrice: 60000,
			Amount: 60000, TaxRate: "0.21", TaxIncluded: true})
	}

	return out
}

// netLines are three lines of 16.67 net with 19 % tax the CRM rounded per
// line (3.17 each): 50.01 + 9.51 = 59.52, where tax on the document total
// would make 59.51.
func netLines(withTax bool) []billing.LineItem {
	var out []billing.LineItem
	for range 3 {
		li := billing.LineItem{Name: "Remote session", Quantity: "1", UnitPrice: 1667,
			Amount: 1667, TaxRate: "0.19"}
		if withTax {
			li.Tax = 317
		}

		out = append(out, li)
	}

	return out
}

func TestB25GrossPricesTotalTheCRMGrossInXero(t *testing.T) {
	t.Parallel()

	b := setup(t, taxSim(false), taxClient)

	id, err := b.client.CreateInvoice(context.Background(),
		taxInvoice("INV-B25-1", "EUR", 180000), grossLines())
	if err != nil {
		t.Fatalf("CreateInvoice: %v", err)
	}

	got, _ := b.sim.Invoice("INV-B25-1")
	if got.ID != id || got.Total != 180000 {
		t.Fatalf("xero invoice %s total %d, want %s total 1800.00", got.ID, got.Total, id)
	}

	// 21/121 of 600.00 is 104.13 per line, sent explicitly: 312.39 in all.
	if got.TotalTax != 31239 || got.SubTotal != 148761 {
		t.Errorf("subtotal %d tax %d, want 1487.61 + 312.39", got.SubTotal, got.TotalTax)
	}
}

func TestB25PerLineCRMTaxKeepsTheCRMTotal(t *testing.T) {
	t.Parallel()

	for _, withTax := range []bool{true, false} {
		b := setup(t, taxSim(false), taxClient)

		_, err := b.client.CreateInvoice(context.Background(),
			taxInvoice("INV-B25-2", "EUR", 5952), netLines(withTax))
		if err != nil {
			t.Fatalf("CreateInvoice (explicit tax %v): %v", withTax, err)
		}

		got, _ := b.sim.Invoice("INV-B25-2")
		if got.Total != 5952 || got.TotalTax != 951 || got.SubTotal != 5001 {
			t.Errorf("explicit tax %v: %d + %d = %d, want 50.01 + 9.51 = 59.52", withTax,
				got.SubTotal, got.TotalTax, got.Total)
		}
	}
}

func TestB25TotalMismatchIsReportedAndNeverDuplicated(t *testing.T) {
	t.Parallel()

	// This organisation drops the TaxAmount sent and taxes the total: 59.51.
	b := setup(t, taxSim(true), taxClient)
	inv := taxInvoice("INV-B25-3", "EUR", 5952)

	for attempt := range 2 {
		id, err := b.client.CreateInvoice(context.Background(), inv, netLines(true))

		var tm *xero.TotalMismatchError
		if !errors.As(err, &tm) {
			t.Fatalf("attempt %d: err = %v, want a *TotalMismatchError", attempt, err)
		}

		got, _ := b.sim.Invoice("INV-B25-3")
		if id == "" || id != got.ID || tm.InvoiceID != got.ID {
			t.Errorf("attempt %d: ids %q %q, want %q", attempt, id, tm.InvoiceID, got.ID)
		}

		if tm.Want != money.New(5952, "EUR") || tm.Got != money.New(5951, "EUR") {
			t.Errorf("attempt %d: want %s got %s, want 59.52 EUR and 59.51 EUR", attempt,
				tm.Want, tm.Got)
		}

		if !xero.IsPermanent(err) {
			t.Errorf("attempt %d: a total mismatch must be permanent", attempt)
		}

		if n := b.sim.CountInvoicesByNumber("INV-B25-3"); n != 1 {
			t.Fatalf("attempt %d: %d invoices in xero, want 1", attempt, n)
		}
	}
}

func TestB25TaxedLineWithoutTaxTypeIsRefusedBeforeSending(t *testing.T) {
	t.Parallel()

	b := setup(t, taxSim(false), nil)

	_, err := b.client.CreateInvoice(context.Background(),
		taxInvoice("INV-B25-4", "EUR", 180000), grossLines())

	var ve *xero.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a *ValidationError", err)
	}

	if n := b.countRequests("PUT", "/Invoices"); n != 0 {
		t.Errorf("%d PUTs sent, want none", n)
	}
}

func TestB26ForeignCurrencyInvoiceCarriesXeroRate(t *testing.T) {
	t.Parallel()

	b := setup(t, xerosim.Config{BaseCurrency: "USD", DayRates: map[string]string{"EUR": "0.95"}},
		nil)

	lines := []billing.LineItem{{Name: "Rollout project", Quantity: "1", UnitPrice: 800000,
		Amount: 800000}}

	inv := taxInvoice("INV-B26-1", "EUR", 800000)
	inv.ExchangeRate, inv.BaseCurrency = "1.0725", "USD"

	if _, err := b.client.CreateInvoice(context.Background(), inv, lines); err != nil {
		t.Fatalf("CreateInvoice: %v", err)
	}

	got, _ := b.sim.Invoice("INV-B26-1")

	// 1 / 1.0725 = 0.93240093…: EUR per USD, six decimals.
	if got.Currency != "EUR" || got.Total != 800000 || got.CurrencyRate != "0.932401" {
		t.Errorf("xero invoice %d %s at %s, want 8000.00 EUR at 0.932401", got.Total,
			got.Currency, got.CurrencyRate)
	}

	// Without a CRM rate, no rate is sent and Xero takes its day rate.
	inv.Number, inv.ExchangeRate = "INV-B26-2", ""
	if _, err := b.client.CreateInvoice(context.Background(), inv, lines); err != nil {
		t.Fatalf("CreateInvoice: %v", err)
	}

	got, _ = b.sim.Invoice("INV-B26-2")
	if got.Currency != "EUR" || got.Total != 800000 || got.CurrencyRate != "0.95" {
		t.Errorf("xero invoice %d %s at %s, want 8000.00 EUR at the day rate 0.95", got.Total,
			got.Currency, got.CurrencyRate)
	}
}
