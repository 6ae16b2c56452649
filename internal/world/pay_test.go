package world_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/world"
)

func TestPayTruth(t *testing.T) {
	t.Parallel()

	f := benchFixture(t, world.Config{Seed: 5, Customers: 400, DealsPerCustomer: 4},
		world.PayConfig{Seed: 9, Fraction: 0.8, Noise: true, Weights: world.BenchmarkWeights()})
	checkPayments(t, f)

	kinds := map[string]int{}
	for _, p := range f.payments {
		kinds[p.Kind]++
	}

	for _, k := range world.Kinds() {
		if kinds[k] == 0 {
			t.Errorf("no payment of kind %s in %d payments: %v", k, len(f.payments), kinds)
		}
	}

	if kinds[world.KindClean] < len(f.payments)/3 {
		t.Errorf("only %d clean payments of %d", kinds[world.KindClean], len(f.payments))
	}
}

func TestPayWithoutNoiseIsClean(t *testing.T) {
	t.Parallel()

	f := newFixture(t, world.Config{Seed: 5, Customers: 50},
		world.PayConfig{Seed: 1, Fraction: 0.5})
	checkPayments(t, f)
	for _, p := range f.payments {
		if p.Kind != world.KindClean {
			t.Fatalf("payment of kind %s without noise", p.Kind)
		}
	}
}

func TestPayEUR(t *testing.T) {
	t.Parallel()

	f := newFixture(t, world.Config{Seed: 8, Customers: 200, Currency: "EUR"},
		world.PayConfig{Seed: 2, Fraction: 0.9, Noise: true})
	checkPayments(t, f)
	for _, p := range f.payments {
		if p.PayerAccount != "" && !world.ValidIBAN(p.PayerAccount) {
			t.Errorf("EUR payer account %q is not an IBAN", p.PayerAccount)
		}
	}
}

func TestWeightsWithout(t *testing.T) {
	t.Parallel()

	w := world.DefaultWeights()
	wo := w.Without(world.KindWrongCurrency, world.KindPartial)
	if _, ok := wo[world.KindWrongCurrency]; ok || wo[world.KindClean] != w[world.KindClean] {
		t.Errorf("Without: %v", wo)
	}

	if w[world.KindWrongCurrency] == 0 {
		t.Error("Without changed its receiver")
	}

	f := newFixture(t, world.Config{Seed: 1, Customers: 100},
		world.PayConfig{Seed: 1, Noise: true, Weights: world.Weights{world.KindPartial: 1}})
	for _, p := range f.payments {
		if p.Kind != world.KindPartial {
			t.Fatalf("weights of partial only gave a %s payment", p.Kind)
		}
	}
}

// checkPayments checks every payment against the invoices and customers it
// was made from.
func checkPayments(t *testing.T, f fixture) {
	t.Helper()

	invByNumber := map[string]billing.Invoice{}
	for _, inv := range f.invoices {
		invByNumber[inv.Number] = inv
	}

	custByID := map[string]billing.Customer{}
	names := map[string]bool{}
	accounts := map[string]string{}
	for _, c := range f.w.Customers {
		custByID[c.ID] = c
		names[strings.ToLower(c.Name)] = true
		for _, a := range c.BankAccounts {
			accounts[a] = c.ID
		}
	}

	paidOnce := map[string]bool{}
	traces := map[string]bool{}
	applied := 0
	for i, p := range f.payments {
		if p.MustNotApply != world.MustNotApplyKind(p.Kind) {
			t.Errorf("payment %d kind %s: MustNotApply %v", i, p.Kind, p.MustNotApply)
		}

		if len(p.Trace) != 15 || strings.Trim(p.Trace, "0123456789") != "" || traces[p.Trace] {
			t.Errorf("payment %d trace %q is not 15 unique digits", i, p.Trace)
		}

		traces[p.Trace] = true
		if len(p.Remittance) > 80 || strings.Contains(p.EndToEndID, "INV") {
			t.Errorf("payment %d remittance %q, end-to-end id %q", i, p.Remittance, p.EndToEndID)
		}

		if p.Amount.Minor <= 0 || p.ValueDate.IsZero() || p.PayerName == "" {
			t.Errorf("payment %d: %+v", i, p)
		}

		if p.MustNotApply {
			if len(p.Truth) != 0 {
				t.Errorf("must-not-apply payment %d has truth %v", i, p.Truth)
			}

			checkMustNotApply(t, f, p, invByNumber, names, accounts)
			for _, n := range referenced(p) {
				paidOnce[n] = true
			}

			continue
		}

		var sum int64
		for _, tl := range p.Truth {
			inv, ok := invByNumber[tl.InvoiceNumber]
			payer := inv.CustomerID
			switch p.Kind {
			case world.KindParentPays:
				payer = custByID[inv.CustomerID].ParentID
			case world.KindThirdParty:
				payer = ""
			}

			if !ok || paidOnce[tl.InvoiceNumber] || payer != p.CustomerID {
				t.Errorf("payment %d truth %+v: unknown, paid twice or another customer's", i, tl)
			}

			paidOnce[tl.InvoiceNumber] = true
			sum += tl.Amount
			checkLine(t, p, tl, inv)
		}

		applied += len(p.Truth)
		if len(p.Truth) == 0 || sum != p.Amount.Minor || p.Amount.Currency != "USD" &&
			p.Amount.Currency != f.w.Config.Currency {
			t.Errorf("payment %d (%s): truth %v does not add up to %v", i, p.Kind, p.Truth,
				p.Amount)
		}

		checkApplicable(t, f, p, custByID, accounts)
	}

	open := 0
	for _, inv := range f.invoices {
		if inv.Open > 0 {
			open++
		}
	}

	frac := float64(applied) / float64(open)
	want := f.pay.Fraction
	if want == 0 {
		want = 0.7
	}

	if math.Abs(frac-want) > 0.03 {
		t.Errorf("paid %d of %d invoices (%.3f), want about %.2f", applied, open, frac, want)
	}
}

// referenced returns the invoice numbers a payment names exactly.
func referenced(p world.Payment) []string {
	var out []string
	for _, r := range p.Remits {
		out = append(out, r.Ref)
	}

	for _, f := range strings.FieldsFunc(p.Remittance, func(r rune) bool {
		return r == ' ' || r == ',' || r == '/' || r == ';'
	}) {
		if strings.HasPrefix(f, "INV-") {
			out = append(out, f)
		}
	}

	return out
}

func checkLine(t *testing.T, p world.Payment, tl world.TruthLine, inv billing.Invoice) {
	t.Helper()

	switch p.Kind {
	case world.KindDiscountTaken:
		window := inv.IssueDate.AddDate(0, 0, inv.DiscountDays)
		if tl.Discount <= 0 || tl.Amount+tl.Discount != inv.Open ||
			p.ValueDate.After(window) || p.ValueDate.Before(inv.IssueDate) {
			t.Errorf("discount %+v on %+v paid %v", tl, inv, p.ValueDate)
		}

		want := (inv.Open*int64(inv.DiscountBasisPoints) + 5000) / 10000
		r := p.Remits
		if tl.Discount != want || len(r) != 1 || r[0].Discount != want || r[0].Paid != tl.Amount ||
			r[0].Invoiced != inv.Open || r[0].Ref != inv.Number {
			t.Errorf("discount %+v, remits %+v, want discount %d", tl, r, want)
		}
	case world.KindPartial:
		if tl.Amount <= 0 || tl.Amount >= inv.Open || tl.Discount != 0 {
			t.Errorf("partial %+v of %d", tl, inv.Open)
		}
	case world.KindFeeDeducted:
		if tl.WriteOff < 1000 || tl.WriteOff > 2500 || tl.Amount+tl.WriteOff != inv.Open ||
			tl.WriteOff*40 > inv.Open {
			t.Errorf("fee %+v on %d", tl, inv.Open)
		}
	default:
		if tl.Amount != inv.Open || tl.Discount != 0 || tl.WriteOff != 0 {
			t.Errorf("%s line %+v, open %d", p.Kind, tl, inv.Open)
		}
	}
}

func checkApplicable(t *testing.T, f fixture, p world.Payment, custByID map[string]billing.Customer,
	accounts map[string]string) {
	t.Helper()

	c := custByID[p.CustomerID]
	number := p.Truth[0].InvoiceNumber
	_, digits, _ := strings.Cut(number, "-")
	short := strings.TrimLeft(digits, "0")
	switch p.Kind {
	case world.KindClean:
		if p.PayerName != c.Name || accounts[p.PayerAccount] != c.ID ||
			!slices.Equal(referenced(p), []string{number}) {
			t.Errorf("clean payment %+v of customer %+v", p, c)
		}
	case world.KindRefVariant:
		if p.Remittance == number || len(p.Remits) > 0 || !strings.Contains(p.Remittance, short) {
			t.Errorf("variant %q of %s", p.Remittance, number)
		}
	case world.KindPayerVariant:
		if p.PayerName == c.Name || accounts[p.PayerAccount] != "" ||
			!slices.Equal(referenced(p), []string{number}) {
			t.Errorf("payer variant %q from %q of %q", p.PayerName, p.PayerAccount, c.Name)
		}
	case world.KindMultiInvoice:
		got := referenced(p)
		want := make([]string, len(p.Truth))
		for i, tl := range p.Truth {
			want[i] = tl.InvoiceNumber
		}

		slices.Sort(got)
		if len(p.Truth) < 2 || len(p.Truth) > 4 || !slices.Equal(got, want) {
			t.Errorf("multi payment names %v, pays %v", got, want)
		}
	case world.KindNoRefUniqueAmount:
		same := 0
		for _, inv := range f.invoices {
			if inv.CustomerID == c.ID && inv.Open == p.Amount.Minor {
				same++
			}
		}

		if same != 1 || strings.ContainsAny(p.Remittance, "0123456789") || len(p.Remits) > 0 ||
			accounts[p.PayerAccount] != c.ID {
			t.Errorf("no-ref payment %+v: %d invoices of the amount", p, same)
		}
	case world.KindPORef:
		if len(referenced(p)) != 0 && (len(p.Remits) == 0 || p.Remits[0].RefType != "PO") {
			t.Errorf("PO payment names an invoice: %+v", p)
		}
	}
}

func checkMustNotApply(t *testing.T, f fixture, p world.Payment, invs map[string]billing.Invoice,
	names map[string]bool, accounts map[string]string) {
	t.Helper()

	switch p.Kind {
	case world.KindUnknownPayer:
		if p.CustomerID != "" || names[strings.ToLower(p.PayerName)] ||
			accounts[p.PayerAccount] != "" ||
			strings.ContainsAny(p.Remittance, "0123456789") {
			t.Errorf("unknown payer %+v is known or names a document", p)
		}
	case world.KindEqualAmountsNoRef:
		same := 0
		for _, inv := range f.invoices {
			if inv.CustomerID == p.CustomerID && inv.Open == p.Amount.Minor {
				same++
			}
		}

		if same < 2 || accounts[p.PayerAccount] != p.CustomerID || len(referenced(p)) > 0 {
			t.Errorf("equal-amount payment %+v: %d invoices of the amount", p, same)
		}
	case world.KindWrongCurrency:
		refs := referenced(p)
		if len(refs) != 1 || invs[refs[0]].Currency == p.Amount.Currency ||
			invs[refs[0]].Open != p.Amount.Minor {
			t.Errorf("wrong-currency payment %+v", p)
		}
	}
}
