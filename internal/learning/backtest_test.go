package learning_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/learning"
	"github.com/o2c-dev/o2c/internal/matching"
	"github.com/o2c-dev/o2c/internal/store"
)

// record stores an application as matching or ops made it.
func (w *world) record(p store.PaymentRow, invoice string, amount int64, source,
	rule string) store.Application {
	w.t.Helper()

	a, err := store.Apply(w.ctx, w.pool, store.Application{PaymentID: p.ID,
		InvoiceNumber: invoice, Currency: "EUR", Amount: amount, Rule: rule,
		RulesVersion: "v0", Confidence: 0.9, Explanation: "seeded history", Source: source,
		Actor: "seed"})
	if err != nil {
		w.t.Fatal(err)
	}

	return a
}

func (w *world) outcome(p store.PaymentRow, status string) {
	w.t.Helper()

	if err := store.SetPaymentOutcome(w.ctx, w.pool, p.ID, status, harbor, 0); err != nil {
		w.t.Fatal(err)
	}
}

// reverse undoes an application the way a reversal does: the invoice reopens and
// the audit log says the application was reversed.
func (w *world) reverse(a store.Application) {
	w.t.Helper()

	_, err := w.pool.Exec(w.ctx, `UPDATE invoices SET open_minor = open_minor + $2,
		status = 'open' WHERE number = $1`, a.InvoiceNumber, a.Amount)
	if err != nil {
		w.t.Fatal(err)
	}

	err = store.Audit(w.ctx, w.pool, "ops", "reverse", "application",
		strconv.FormatInt(a.ID, 10), nil, map[string]bool{"reversed": true})
	if err != nil {
		w.t.Fatal(err)
	}
}

func TestBacktestPerRulePrecisionAndRecall(t *testing.T) {
	w := newWorld(t)
	if _, err := store.AddCustomerAccount(w.ctx, w.pool, harbor, newAccount, true); err != nil {
		t.Fatal(err)
	}

	for n, open := range map[string]int64{"INV-1001": 10000, "INV-1002": 20000,
		"INV-1003": 20000, "INV-1004": 30000, "INV-1005": 40000, "INV-1006": 40000,
		"INV-1007": 50000} {
		w.invoice(n, harbor, open)
	}

	ps := w.payments(
		// p1: applied automatically by reference, never changed.
		pay(10000, "Harbor Lights", newAccount, "INV-1001"),
		// p2: the payer wrote the wrong number; the automatic application to
		// INV-1003 was reversed and ops applied it to INV-1002.
		pay(20000, "Harbor Lights", newAccount, "INV-1003"),
		// p3: no reference; ops applied it before the account was learned.
		pay(30000, "Harbor Lights", newAccount, ""),
		// p4: unknown payer, parked on account.
		pay(5555, "Nobody We Know", "", ""),
		// p5: still an open exception: no truth.
		pay(50000, "Harbor Lights", newAccount, "INV-1007"),
		// p6: two invoices of its amount, ops chose INV-1005.
		pay(40000, "Harbor Lights", newAccount, ""),
	)

	w.record(ps[0], "INV-1001", 10000, store.SourceAuto, matching.RuleReferenceExact)
	w.reverse(w.record(ps[1], "INV-1003", 20000, store.SourceAuto, matching.RuleReferenceExact))
	w.record(ps[1], "INV-1002", 20000, store.SourceManual, "manual")
	w.record(ps[2], "INV-1004", 30000, store.SourceManual, "manual")
	w.record(ps[5], "INV-1005", 40000, store.SourceManual, "manual")

	for _, i := range []int{0, 1, 2, 5} {
		w.outcome(ps[i], store.PaymentApplied)
	}

	w.outcome(ps[3], store.PaymentOnAccount)
	w.outcome(ps[4], store.PaymentException)

	if _, err := store.OpenException(w.ctx, w.pool, store.Exception{PaymentID: ps[4].ID,
		Reason: matching.ReasonLowConfidence, Message: "held", Amount: 50000,
		Currency: "EUR"}); err != nil {
		t.Fatal(err)
	}

	rep, err := learning.Backtest(w.ctx, w.pool, matching.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}

	if rep.Payments != 5 || rep.Held != 2 {
		t.Errorf("payments %d held %d, want 5 and 2", rep.Payments, rep.Held)
	}

	want := map[string]learning.RuleStats{
		matching.RuleReferenceExact: {Rule: matching.RuleReferenceExact, Decisions: 2,
			AutoApplied: 2, Correct: 1, Precision: 0.5, Recall: 0.2},
		matching.RuleAmountUnique: {Rule: matching.RuleAmountUnique, Decisions: 1,
			AutoApplied: 1, Correct: 1, Precision: 1, Recall: 0.2},
	}

	if len(rep.Rules) != len(want) {
		t.Fatalf("rules %+v, want %d", rep.Rules, len(want))
	}

	for _, r := range rep.Rules {
		if r != want[r.Rule] {
			t.Errorf("rule %s: %+v, want %+v", r.Rule, r, want[r.Rule])
		}
	}

	overall := learning.RuleStats{Rule: "all", Decisions: 3, AutoApplied: 3, Correct: 2,
		Precision: 2.0 / 3, Recall: 0.4}
	if rep.Overall != overall {
		t.Errorf("overall %+v, want %+v", rep.Overall, overall)
	}

	if rep.PreviouslyManual != 3 || rep.Gain != 2 || rep.GainCorrect != 1 || rep.Lost != 0 {
		t.Errorf("manual %d gain %d (correct %d) lost %d, want 3, 2 (1), 0",
			rep.PreviouslyManual, rep.Gain, rep.GainCorrect, rep.Lost)
	}

	// The backtest only reads: the invoices keep their open amounts.
	if got := w.count(`SELECT sum(open_minor)::int FROM invoices`); got != 20000+40000+50000 {
		t.Errorf("open total %d after the backtest changed", got)
	}

	later, err := learning.BacktestSince(w.ctx, w.pool, matching.DefaultRules(),
		time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}

	if later.Payments != 0 || len(later.Rules) != 0 {
		t.Errorf("since an hour ahead: %+v, want nothing", later)
	}
}

// A payment applied automatically that the current rules would hold counts as
// lost.
func TestBacktestCountsLostAutomaticApplications(t *testing.T) {
	w := newWorld(t)
	w.invoice("INV-2001", harbor, 7000)

	p := w.payments(bankfile.Transaction{Amount: pay(7000, "", "", "").Amount,
		Remittance: "INV-2001"})[0]
	w.record(p, "INV-2001", 7000, store.SourceAuto, matching.RuleReferenceExact)
	w.outcome(p, store.PaymentApplied)

	strict := matching.DefaultRules()
	strict.MinConfidence = 0.999

	rep, err := learning.Backtest(w.ctx, w.pool, strict)
	if err != nil {
		t.Fatal(err)
	}

	if rep.Payments != 1 || rep.Held != 1 || rep.Lost != 1 || rep.Overall.Decisions != 0 {
		t.Errorf("report %+v, want the one payment held and lost", rep)
	}

	rep, err = learning.Backtest(w.ctx, w.pool, matching.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}

	if rep.Lost != 0 || rep.Overall.Correct != 1 || rep.Overall.Recall != 1 {
		t.Errorf("default rules: %+v, want the payment applied correctly", rep)
	}
}
