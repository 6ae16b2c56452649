package matching

import (
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/billing"
)

// TestMatchPolicies checks each optional rule switches its behaviour off, and the
// edge cases around references that resolve badly.
func TestMatchPolicies(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name   string
		rules  func(*Rules)
		p      Payment
		want   []app
		reason string
		amount int64
		phrase string // in the exception message, or else the first explanation
	}{
		{
			name:   "part payments off",
			rules:  func(r *Rules) { r.Partials = false },
			p:      Payment{Amount: usd(30000), PayerAccount: acctC1, Remittance: "INV-000123"},
			reason: ReasonShortPayment, amount: 30000,
			phrase: "part payments are not applied",
		},
		{
			name:   "amount only off",
			rules:  func(r *Rules) { r.AmountOnly = false },
			p:      Payment{Amount: usd(50000), PayerAccount: acctC1},
			reason: ReasonNoMatch, amount: 50000,
		},
		{
			name:   "bare numbers off",
			rules:  func(r *Rules) { r.BareNumbers = false },
			p:      Payment{Amount: usd(125000), Remittance: "10017"},
			reason: ReasonUnknownPayer, amount: 125000,
		},
		{
			name:   "cross-customer off",
			rules:  func(r *Rules) { r.CrossCustomer = false },
			p:      Payment{Amount: usd(125000), PayerAccount: acctC2, Remittance: "INV-10017"},
			reason: ReasonPayerMismatch, amount: 125000,
			phrase: "references point to C-1, not to payer C-2",
		},
		{
			name:  "discount grace days",
			rules: func(r *Rules) { r.DiscountGraceDays = 3 },
			p: Payment{Amount: usd(73050), PayerAccount: acctC1, Remittance: "INV-10022",
				ValueDate: day("2025-01-18")},
			want:   []app{{"INV-10022", 73050, 1491, RuleReferenceDiscount}},
			phrase: "allowed until 2025-01-18",
		},
		{
			name:   "amount match names the reference it could not find",
			p:      Payment{Amount: usd(50000), PayerAccount: acctC1, Remittance: "INV-55555"},
			want:   []app{{"INV-000123", 50000, 0, RuleAmountUnique}},
			phrase: "; reference INV-55555 not found",
		},
		{
			name: "stated line for an unknown invoice is held, the rest applied",
			p: Payment{Amount: usd(135000), PayerAccount: acctC1, Remits: []bankfile.Remit{
				{Ref: "INV-10017", Paid: 125000}, {Ref: "INV-77777", Paid: 10000},
			}},
			want:   []app{{"INV-10017", 125000, 0, RuleReferenceExact}},
			reason: ReasonNoMatch, amount: 10000,
			phrase: "held: 100.00 not applied: INV-77777 not found",
		},
		{
			name: "a paid invoice among references that add up without it",
			p: Payment{Amount: usd(125000), PayerAccount: acctC1,
				Remittance: "INV-99 INV-10017"},
			want:   []app{{"INV-10017", 125000, 0, RuleReferenceExact}},
			phrase: "also referenced INV-99, already paid",
		},
		{
			name: "reader problem about remittance totals",
			p: Payment{Amount: usd(125000), PayerAccount: acctC1,
				Problem: "remittance total 1200.00 != entry amount 1250.00"},
			reason: ReasonRemittanceMismatch, amount: 125000,
		},
		{
			name:   "other reader problem",
			p:      Payment{Amount: usd(125000), Problem: "reversal sign cannot be checked"},
			reason: ReasonFlagged, amount: 125000,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			rules := DefaultRules()
			if tt.rules != nil {
				tt.rules(&rules)
			}

			e := New(fixtureCustomers(), fixtureInvoices(), rules)
			tt.p.ID = "pay"
			d := e.Match(tt.p)
			if got := apps(d); !equalApps(got, tt.want) {
				t.Fatalf("applications %+v, want %+v (exception %+v)", got, tt.want, d.Exception)
			}

			checkException(t, d, tt.reason, tt.amount)
			text := ""
			switch {
			case d.Exception != nil:
				text = d.Exception.Message
			case len(d.Applications) > 0:
				text = d.Applications[0].Explanation
			}

			if !strings.Contains(text, tt.phrase) {
				t.Errorf("%q lacks %q", text, tt.phrase)
			}
		})
	}
}

// TestMatchAmbiguousReference: a reference that normalises to two invoices is
// held unless the payer tells them apart.
func TestMatchAmbiguousReference(t *testing.T) {
	t.Parallel()

	invoices := []billing.Invoice{
		inv("INV-123", "C-1", "USD", 10000),
		inv("INV-0123", "C-2", "USD", 10000),
	}
	e := New(fixtureCustomers(), invoices, DefaultRules())
	d := e.Match(Payment{ID: "1", Amount: usd(10000), Remittance: "inv 123"})
	if d.Exception == nil || d.Exception.Reason != ReasonAmbiguous || len(d.Applications) > 0 {
		t.Fatalf("unknown payer: %+v %+v", d.Applications, d.Exception)
	}

	if want := "held: reference inv 123 matches INV-123 and INV-0123"; d.Exception.Message != want {
		t.Errorf("message %q, want %q", d.Exception.Message, want)
	}

	d = e.Match(Payment{ID: "2", Amount: usd(10000), PayerAccount: acctC2, Remittance: "inv 123"})
	if got := apps(d); len(got) != 1 || got[0].Invoice != "INV-0123" {
		t.Fatalf("payer C-2: %+v %+v", got, d.Exception)
	}
}

// TestMatchStructuredLinesWithoutAmounts: lines naming invoices without stating
// what was paid leave the amounts to the invoices' open amounts.
func TestMatchStructuredLinesWithoutAmounts(t *testing.T) {
	t.Parallel()

	e := newFixture(t)
	d := e.Match(Payment{ID: "1", Amount: usd(199541), PayerAccount: acctC1,
		Remits: []bankfile.Remit{{Ref: "INV-10017", Paid: 125000}, {Ref: "INV-10022"}}})
	want := []app{
		{"INV-10017", 125000, 0, RuleReferenceMulti},
		{"INV-10022", 74541, 0, RuleReferenceMulti},
	}
	if got := apps(d); !equalApps(got, want) || d.Exception != nil {
		t.Fatalf("applications %+v, exception %+v, want %+v", got, d.Exception, want)
	}
}
