package world_test

import (
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/world"
)

// TestShortRefUnknownPayer checks every KindShortRefUnknownPayer payment: a
// stranger from an unknown account naming an open invoice, paid by no other
// payment, by at most four significant digits without our prefix's zeros, for
// its open amount or less; and that left out of the weights it is not drawn.
func TestShortRefUnknownPayer(t *testing.T) {
	t.Parallel()

	f := benchFixture(t, world.Config{Seed: 31, Customers: 300, DealsPerCustomer: 5},
		world.PayConfig{Seed: 32, Fraction: 0.8, Noise: true, Weights: world.BenchmarkWeights()})
	checkPayments(t, f)

	accounts := map[string]bool{}
	names := map[string]bool{}
	for _, c := range f.w.Customers {
		names[strings.ToLower(c.Name)] = true
		for _, a := range c.BankAccounts {
			accounts[a] = true
		}
	}

	// The invoices each short number may name, by its significant digits.
	byDigits := map[string][]int{}
	for i, inv := range f.invoices {
		d := strings.TrimLeft(inv.Number[strings.LastIndexAny(inv.Number, "-")+1:], "0")
		byDigits[d] = append(byDigits[d], i)
	}

	paidBy := map[string]int{}
	for _, p := range f.payments {
		for _, l := range p.Truth {
			paidBy[l.InvoiceNumber]++
		}
	}

	n := 0
	for _, p := range f.payments {
		if p.Kind != world.KindShortRefUnknownPayer {
			continue
		}

		n++
		ref := p.Remittance
		if len(p.Remits) > 0 {
			ref = p.Remits[0].Ref
		}

		fields := strings.Fields(ref)
		digits := ""
		for _, w := range fields {
			if strings.Trim(w, "0123456789") == "" {
				digits = w
			}
		}

		sig := strings.TrimLeft(digits, "0")
		if !p.MustNotApply || len(p.Truth) != 0 || p.CustomerID != "" ||
			names[strings.ToLower(p.PayerName)] || accounts[p.PayerAccount] ||
			sig == "" || len(sig) > 4 {
			t.Errorf("short reference payment %+v", p)
			continue
		}

		fits := false
		for _, i := range byDigits[sig] {
			inv := f.invoices[i]
			fits = fits || inv.Open > 0 && inv.Currency == p.Amount.Currency &&
				p.Amount.Minor <= inv.Open && paidBy[inv.Number] == 0
		}

		if !fits {
			t.Errorf("%q pays %v: no open invoice unpaid otherwise ends in %s", ref, p.Amount,
				sig)
		}
	}

	if n == 0 {
		t.Fatal("no short reference payment")
	}

	without := world.BenchmarkWeights().Without(world.KindShortRefUnknownPayer)
	a := world.Pay(f.w, f.invoices, world.PayConfig{Seed: 32, Fraction: 0.8, Noise: true,
		Weights: without})
	for _, p := range a {
		if p.Kind == world.KindShortRefUnknownPayer {
			t.Fatalf("payment of a kind left out: %+v", p)
		}
	}
}
