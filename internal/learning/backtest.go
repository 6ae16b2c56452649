package learning

import (
	"context"
	"sort"
	"strconv"
	"time"

	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/matching"
	"github.com/o2c-dev/o2c/internal/store"
)

// Approximation says how Backtest rebuilds the invoices a payment met, for the
// report's readers.
const Approximation = "invoices are today's (customers with their learned accounts and " +
	"aliases, invoices with their terms), each open amount raised by every application " +
	"that still stands and was made at or after the payment arrived; invoices created, " +
	"voided or changed in the ERP since are not undone, and payments that arrived together " +
	"are matched in one run in payment order"

// RuleStats is how one rule, or all of them, did on the history.
type RuleStats struct {
	Rule string `json:"rule"`
	// Decisions counts the payments the rule applied cash of.
	Decisions int `json:"decisions"`
	// AutoApplied counts the decisions that applied the whole payment, leaving no
	// exception.
	AutoApplied int `json:"auto_applied"`
	// Correct counts the decisions whose every application is one the truth has,
	// for the same amount, and that, when they applied the whole payment, have
	// all of the truth's applications.
	Correct int `json:"correct"`
	// Precision is Correct / Decisions (0 without decisions).
	Precision float64 `json:"precision"`
	// Recall is Correct / the payments whose truth is known.
	Recall float64 `json:"recall"`
}

// BacktestReport is what the current rules would have done on resolved history.
type BacktestReport struct {
	Since        time.Time `json:"since,omitzero"`
	RulesVersion string    `json:"rules_version"`
	// Payments counts the payments whose truth is known: wholly applied or put on
	// account, no exception open.
	Payments int `json:"payments"`
	// Held counts the payments the current rules apply nothing of.
	Held    int         `json:"held"`
	Rules   []RuleStats `json:"rules"`
	Overall RuleStats   `json:"overall"`
	// PreviouslyManual counts the payments whose applications all came from ops.
	PreviouslyManual int `json:"previously_manual"`
	// Gain counts the previously manual payments the current rules apply wholly;
	// GainCorrect those of them applied as ops did.
	Gain        int `json:"gain"`
	GainCorrect int `json:"gain_correct"`
	// Lost counts the payments applied automatically back then, and never
	// changed, that the current rules no longer apply wholly and correctly.
	Lost          int    `json:"lost"`
	Approximation string `json:"approximation"`
}

// truth is what a payment was finally applied to.
type truth struct {
	amounts map[string]int64 // cash per invoice
	manual  bool             // some application came from ops
	auto    bool             // some application came from the engine
}

// Backtest re-runs the matching engine with rules over every resolved payment
// and compares its decisions with the truth: the applications that still stand
// (manual ones, and automatic ones never reversed), or none for a payment put on
// account. It only reads db. See Approximation for how the invoices of the time
// are rebuilt.
func Backtest(ctx context.Context, db store.DB, rules matching.Rules) (*BacktestReport,
	error) {
	return BacktestSince(ctx, db, rules, time.Time{})
}

// BacktestSince is Backtest over the payments received since (all when zero).
func BacktestSince(ctx context.Context, db store.DB, rules matching.Rules,
	since time.Time) (*BacktestReport, error) {
	rep := &BacktestReport{Since: since, RulesVersion: matching.RulesVersion,
		Rules: []RuleStats{}, Overall: RuleStats{Rule: "all"}, Approximation: Approximation}

	hist, err := store.ResolvedPayments(ctx, db, since)
	if err != nil {
		return nil, err
	}

	apps, err := store.StandingApplications(ctx, db)
	if err != nil {
		return nil, err
	}

	customers, err := store.Customers(ctx, db)
	if err != nil {
		return nil, err
	}

	invoices, err := store.InvoicesToMatch(ctx, db)
	if err != nil {
		return nil, err
	}

	truths := map[int64]*truth{}
	for _, p := range hist {
		truths[p.ID] = &truth{amounts: map[string]int64{}}
	}

	for _, a := range apps {
		t := truths[a.PaymentID]
		if t == nil {
			continue
		}

		t.amounts[a.InvoiceNumber] += a.Amount
		t.manual = t.manual || a.Source == store.SourceManual
		t.auto = t.auto || a.Source == store.SourceAuto
	}

	// Newest arrivals first, so the applications to add back only grow.
	sort.SliceStable(apps, func(i, j int) bool {
		return apps[i].CreatedAt.After(apps[j].CreatedAt)
	})

	stats := map[string]*RuleStats{}
	addBack := map[string]int64{}
	next := 0

	for end := len(hist); end > 0; {
		start := end - 1
		for start > 0 && hist[start-1].CreatedAt.Equal(hist[end-1].CreatedAt) {
			start--
		}

		at := hist[start].CreatedAt
		for ; next < len(apps) && !apps[next].CreatedAt.Before(at); next++ {
			a := apps[next]
			addBack[a.InvoiceNumber] += a.Amount + a.Discount + a.WriteOff
		}

		engine := matching.New(customers, asOf(invoices, addBack), rules)
		for _, p := range hist[start:end] {
			d := engine.Match(matching.PaymentFrom(strconv.FormatInt(p.ID, 10), p.Tx))
			rep.score(stats, d, truths[p.ID])
		}

		end = start
	}

	names := make([]string, 0, len(stats))
	for r := range stats {
		names = append(names, r)
	}

	sort.Strings(names)

	for _, r := range names {
		s := stats[r]
		s.finish(rep.Payments)
		rep.Rules = append(rep.Rules, *s)
	}

	rep.Overall.finish(rep.Payments)

	return rep, nil
}

// asOf returns the invoices with the added-back amounts open again, never above
// their totals.
func asOf(invoices []billing.Invoice, addBack map[string]int64) []billing.Invoice {
	out := make([]billing.Invoice, len(invoices))
	for i, inv := range invoices {
		if n := addBack[inv.Number]; n > 0 {
			inv.Open = min(inv.Total, inv.Open+n)
		}

		out[i] = inv
	}

	return out
}

// score counts one decision against its truth.
func (rep *BacktestReport) score(stats map[string]*RuleStats, d matching.Decision, t *truth) {
	rep.Payments++

	whole := len(d.Applications) > 0 && d.Exception == nil
	correct := len(d.Applications) > 0
	for _, a := range d.Applications {
		if got, ok := t.amounts[a.InvoiceNumber]; !ok || got != a.Amount {
			correct = false
		}
	}

	if whole && len(d.Applications) != len(t.amounts) {
		correct = false
	}

	switch {
	case t.manual && !t.auto:
		rep.PreviouslyManual++
		if whole {
			rep.Gain++
		}

		if whole && correct {
			rep.GainCorrect++
		}
	case t.auto && !t.manual && !(whole && correct):
		rep.Lost++
	}

	if len(d.Applications) == 0 {
		rep.Held++
		return
	}

	rule := d.Applications[0].Rule

	s := stats[rule]
	if s == nil {
		s = &RuleStats{Rule: rule}
		stats[rule] = s
	}

	for _, x := range []*RuleStats{s, &rep.Overall} {
		x.Decisions++
		if whole {
			x.AutoApplied++
		}

		if correct {
			x.Correct++
		}
	}
}

func (s *RuleStats) finish(payments int) {
	if s.Decisions > 0 {
		s.Precision = float64(s.Correct) / float64(s.Decisions)
	}

	if payments > 0 {
		s.Recall = float64(s.Correct) / float64(payments)
	}
}
