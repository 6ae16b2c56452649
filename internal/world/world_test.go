package world_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/world"
)

// fixture is a world with its invoices and noisy payments.
type fixture struct {
	w        *world.World
	pay      world.PayConfig
	invoices []billing.Invoice
	payments []world.Payment
}

func newFixture(t *testing.T, cfg world.Config, pay world.PayConfig) fixture {
	t.Helper()

	w := world.Generate(cfg)
	invs := world.InvoicesFor(w, 1)

	return fixture{w: w, pay: pay, invoices: invs, payments: world.Pay(w, invs, pay)}
}

// usFixture is a USD world whose payments NACHA can carry.
func usFixture(t *testing.T, seed int64, customers int) fixture {
	t.Helper()

	return newFixture(t, world.Config{Seed: seed, Customers: customers, DealsPerCustomer: 4},
		world.PayConfig{Seed: seed + 1, Fraction: 0.8, Noise: true,
			Weights: world.DefaultWeights().Without(world.KindWrongCurrency)})
}

func TestGenerateShape(t *testing.T) {
	t.Parallel()

	cfg := world.Config{Seed: 7, Customers: 300, DealsPerCustomer: 3}
	w := world.Generate(cfg)
	if len(w.Customers) != 300 || len(w.Deals) != 900 {
		t.Fatalf("got %d customers and %d deals, want 300 and 900", len(w.Customers), len(w.Deals))
	}

	names := map[string]bool{}
	ids := map[string]bool{}
	aliases, suffixed, twoAccounts := 0, 0, 0
	for _, c := range w.Customers {
		if names[strings.ToLower(c.Name)] {
			t.Errorf("customer name %q is not unique", c.Name)
		}

		names[strings.ToLower(c.Name)] = true
		if ids[c.ID] || c.ID == "" {
			t.Errorf("customer id %q is empty or not unique", c.ID)
		}

		ids[c.ID] = true
		if len(c.BankAccounts) == 0 {
			t.Errorf("customer %s has no bank account", c.ID)
		}

		if len(c.BankAccounts) > 1 {
			twoAccounts++
		}

		for _, a := range c.BankAccounts {
			routing, acct, ok := strings.Cut(a, ":")
			if !ok || !world.ValidABA(routing) || acct == "" {
				t.Errorf("customer %s account %q is not a valid routing:account", c.ID, a)
			}
		}

		aliases += len(c.Aliases)
		for _, s := range []string{"Inc.", "Inc", "LLC", "Corp.", "Co.", "Ltd."} {
			if strings.HasSuffix(c.Name, " "+s) {
				suffixed++
				break
			}
		}
	}

	if aliases < 30 || suffixed < 50 || twoAccounts < 20 {
		t.Errorf("too little variety: %d aliases, %d suffixed names, %d with two accounts",
			aliases, suffixed, twoAccounts)
	}

	start := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	if !w.Config.Start.Equal(start) || w.Config.Days != 60 {
		t.Fatalf("defaults: start %v, days %d", w.Config.Start, w.Config.Days)
	}

	end := start.AddDate(0, 0, 60)
	dealIDs := map[string]bool{}
	var last time.Time
	for _, d := range w.Deals {
		var sum int64
		for _, li := range d.LineItems {
			if li.Amount <= 0 || li.UnitPrice <= 0 || li.Quantity == "" {
				t.Errorf("deal %s has a bad line %+v", d.CRMID, li)
			}

			sum += li.Amount
		}

		if len(d.LineItems) == 0 || sum != d.Amount.Minor || d.Amount.Currency != "USD" {
			t.Errorf("deal %s amount %v is not the sum %d of its lines", d.CRMID, d.Amount, sum)
		}

		if d.Stage != "closedwon" || !ids[d.CompanyID] || dealIDs[d.CRMID] {
			t.Errorf("deal %+v: bad stage, company or duplicate id", d)
		}

		dealIDs[d.CRMID] = true
		if d.CloseDate.Before(start) || !d.CloseDate.Before(end) || d.CloseDate.Before(last) {
			t.Errorf("deal %s closes %v, outside [%v, %v) or out of order", d.CRMID,
				d.CloseDate, start, end)
		}

		last = d.CloseDate
		if !d.LastModified.After(d.CloseDate) {
			t.Errorf("deal %s modified %v before it closed", d.CRMID, d.LastModified)
		}
	}
}

func TestGenerateEURGivesValidIBANs(t *testing.T) {
	t.Parallel()

	w := world.Generate(world.Config{Seed: 3, Customers: 200, Currency: "eur"})
	countries := map[string]bool{}
	for _, c := range w.Customers {
		for _, a := range c.BankAccounts {
			if !world.ValidIBAN(a) {
				t.Errorf("customer %s account %q is not a valid IBAN", c.ID, a)
			}

			countries[a[:2]] = true
		}
	}

	if len(countries) < 3 {
		t.Errorf("IBANs of only %d countries", len(countries))
	}

	if !world.ValidIBAN(w.Company.Account) || w.Company.BIC == "" {
		t.Errorf("company account %q / BIC %q", w.Company.Account, w.Company.BIC)
	}

	for _, d := range w.Deals {
		if d.Amount.Currency != "EUR" {
			t.Fatalf("deal in %s, want EUR", d.Amount.Currency)
		}
	}
}

func TestCheckDigits(t *testing.T) {
	t.Parallel()

	// Public, widely printed examples: the Federal Reserve Bank of Boston's
	// routing number and the IBAN examples of the ISO 13616 registry.
	for _, tc := range []struct {
		s    string
		aba  bool
		iban bool
	}{
		{s: "011000015", aba: true},
		{s: "011000016"},
		{s: "01100001"},
		{s: "01100001X"},
		{s: "GB82WEST12345698765432", iban: true},
		{s: "DE89370400440532013000", iban: true},
		{s: "DE89370400440532013001"},
		{s: "NL91ABNA0417164300", iban: true},
		{s: "NL91ABNA0417164301"},
		{s: "nl91ABNA0417164300"},
		{s: "BE68539007547034", iban: true},
	} {
		if got := world.ValidABA(tc.s); got != tc.aba {
			t.Errorf("ValidABA(%q) = %v, want %v", tc.s, got, tc.aba)
		}

		if got := world.ValidIBAN(tc.s); got != tc.iban {
			t.Errorf("ValidIBAN(%q) = %v, want %v", tc.s, got, tc.iban)
		}
	}
}

func TestInvoicesFor(t *testing.T) {
	t.Parallel()

	w := world.Generate(world.Config{Seed: 11, Customers: 100, DealsPerCustomer: 4})
	invs := world.InvoicesFor(w, 123)
	if len(invs) != len(w.Deals) {
		t.Fatalf("%d invoices for %d deals", len(invs), len(w.Deals))
	}

	if invs[0].Number != "INV-000123" || invs[1].Number != "INV-000124" {
		t.Errorf("numbers start %q, %q; want INV-000123, INV-000124", invs[0].Number,
			invs[1].Number)
	}

	terms, po := 0, 0
	for i, inv := range invs {
		d := w.Deals[i]
		if inv.Total != d.Amount.Minor || inv.Open != inv.Total || inv.DealID != d.CRMID ||
			inv.CustomerID != d.CompanyID || inv.CustomerName != d.CompanyName ||
			inv.Currency != d.Amount.Currency {
			t.Errorf("invoice %+v does not match deal %+v", inv, d)
		}

		if !inv.DueDate.Equal(inv.IssueDate.AddDate(0, 0, 30)) {
			t.Errorf("invoice %s due %v, issued %v", inv.Number, inv.DueDate, inv.IssueDate)
		}

		gap := inv.IssueDate.Sub(d.CloseDate.Truncate(24 * time.Hour))
		if gap < 0 || gap > 48*time.Hour {
			t.Errorf("invoice %s issued %v for a deal closed %v", inv.Number, inv.IssueDate,
				d.CloseDate)
		}

		if inv.DiscountBasisPoints > 0 {
			terms++
			if inv.DiscountDays != 10 {
				t.Errorf("invoice %s discount days %d", inv.Number, inv.DiscountDays)
			}
		}

		if inv.PONumber != "" {
			po++
		}
	}

	if terms < 40 || terms > 160 || po < 100 || po > 220 {
		t.Errorf("%d of 400 invoices with discount terms, %d with a PO", terms, po)
	}
}

func TestDeterministic(t *testing.T) {
	t.Parallel()

	render := func(seed int64) []byte {
		f := usFixture(t, seed, 60)
		var b bytes.Buffer
		write := []func() error{
			func() error { return world.WriteNACHA(&b, f.payments, f.w.NACHAOptions()) },
			func() error { return world.WriteCAMT053(&b, f.payments, f.w.CAMTOptions()) },
			func() error {
				return world.WriteCAMT053(&b, f.payments, world.CAMTOptions{Version: world.CAMT08})
			},
			func() error { return world.WriteBankCSV(&b, f.payments, world.CSVOptions{}) },
			func() error { return world.WriteInvoicesCSV(&b, f.invoices) },
			func() error { return world.WriteCustomersCSV(&b, f.w.Customers) },
		}
		for _, fn := range write {
			if err := fn(); err != nil {
				t.Fatal(err)
			}
		}

		return b.Bytes()
	}

	a, b, c := render(42), render(42), render(43)
	if !bytes.Equal(a, b) {
		t.Error("the same seed gave different output")
	}

	if bytes.Equal(a, c) {
		t.Error("different seeds gave the same output")
	}
}

// benchFixture is a world whose invoices BenchmarkInvoices shaped, with
// payments of pay.
func benchFixture(t *testing.T, cfg world.Config, pay world.PayConfig) fixture {
	t.Helper()

	w := world.Generate(cfg)
	invs := world.BenchmarkInvoices(world.InvoicesFor(w, 1), cfg.Seed)

	return fixture{w: w, pay: pay, invoices: invs, payments: world.Pay(w, invs, pay)}
}
