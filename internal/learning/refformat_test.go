package learning_test

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/learning"
	"github.com/o2c-dev/o2c/internal/matching"
	"github.com/o2c-dev/o2c/internal/store"
)

// learnedApps returns the applications of d made through a learned format.
func learnedApps(d matching.Decision) []matching.Application {
	var out []matching.Application
	for _, a := range d.Applications {
		if strings.HasPrefix(a.Rule, matching.RuleLearnedFormat) {
			out = append(out, a)
		}
	}

	return out
}

// TestApprovedReferenceFormatAppliesNextPayment: Quill & Ink, known by its
// account, writes its invoice numbers as "IN123". Three such part payments are
// held and resolved by hand; the reference format is proposed, approved, and
// the next payment written so is applied by the learned rule, which the backtest
// then lists. Another customer writing the same way gets nothing from it, and
// rejecting the rule again takes it away.
func TestApprovedReferenceFormatAppliesNextPayment(t *testing.T) {
	w := newWorld(t)
	for n := 123; n <= 127; n++ {
		customer := quill
		if n == 127 {
			customer = harbor
		}

		w.invoice(fmt.Sprintf("INV-000%d", n), customer, 10000)
	}

	next := pay(10000, "Quill and Ink", quillAccount, "IN126")
	if got := learnedApps(w.match(next)); len(got) != 0 {
		t.Fatalf("before learning, applied by a learned format: %+v", got)
	}

	for n := 123; n <= 125; n++ {
		ref := fmt.Sprintf("IN%d", n)
		if n == 124 {
			ref = fmt.Sprintf("in-%d part", n)
		}

		tx := pay(9000, "Quill and Ink", quillAccount, ref)
		if d := w.match(tx); len(d.Applications) != 0 {
			t.Fatalf("%q before learning: applied %+v", ref, d.Applications)
		}

		e := w.held(tx)
		w.resolve(e, "alice", apply(fmt.Sprintf("INV-000%d", n), "90.00"))
	}

	ps, err := store.Proposals(w.ctx, w.pool, store.ProposalProposed)
	if err != nil {
		t.Fatal(err)
	}

	format := proposalOf(t, ps, store.ObserveRefFormat)
	if format.CustomerID != quill || format.PatternKey != learning.FormatPrefix+"IN" ||
		format.Support != 3 || format.Precision != 1 {
		t.Fatalf("format proposal %+v, want prefix:IN for %s, support 3 precision 1", format,
			quill)
	}

	if _, err := learning.Approve(w.ctx, w.pool, format.ID, "dana"); err != nil {
		t.Fatal(err)
	}

	var approvedAt string
	err = w.pool.QueryRow(w.ctx, `SELECT to_char(approved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')
		FROM customer_ref_formats WHERE customer_id = $1 AND format = 'prefix:IN'
			AND approved_by = 'dana' AND proposal_id = $2`, quill, format.ID).Scan(&approvedAt)
	if err != nil {
		t.Fatalf("approved format not stored: %v", err)
	}

	rule := matching.LearnedFormatRule(quill, learning.FormatPrefix+"IN")
	for _, tx := range []bankfile.Transaction{next, pay(4000, "", quillAccount, "IN-126")} {
		d := w.match(tx)
		if len(d.Applications) != 1 || d.Applications[0].InvoiceNumber != "INV-000126" ||
			d.Applications[0].Rule != rule || d.Trace.Rule != rule {
			t.Fatalf("%q after approval: applications %+v, exception %+v", tx.Remittance,
				d.Applications, d.Exception)
		}

		want := "a format approved for Quill & Ink on " + approvedAt
		if x := d.Applications[0].Explanation; !strings.Contains(x, "INV-000126 referenced as ") ||
			!strings.Contains(x, want) {
			t.Errorf("explanation %q, want the learned rule named (%q)", x, want)
		}
	}

	// Harbor Lights writes the same way, for Quill's invoice and for its own.
	for _, tx := range []bankfile.Transaction{
		pay(10000, "Harbor Lights Ltd", "", "IN126"),
		pay(10000, "Harbor Lights Ltd", "", "IN127 IN126"),
	} {
		d := w.match(tx)
		if got := learnedApps(d); len(got) != 0 {
			t.Errorf("%q from %s: applied by Quill's format %+v", tx.Remittance, harbor, got)
		}

		for _, a := range d.Applications {
			if a.InvoiceNumber == "INV-000126" {
				t.Errorf("%q from %s: applied to Quill's INV-000126: %+v", tx.Remittance,
					harbor, a)
			}
		}
	}

	rep, err := learning.Backtest(w.ctx, w.pool, matching.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}

	var stats *learning.RuleStats
	for i := range rep.Rules {
		if rep.Rules[i].Rule == rule {
			stats = &rep.Rules[i]
		}
	}

	if stats == nil || stats.Decisions != 3 || stats.Correct != 3 || stats.Precision != 1 {
		t.Errorf("backtest rules %+v, want %s with 3 correct decisions", rep.Rules, rule)
	}

	// Rejecting the approved rule un-approves it.
	got, err := learning.Reject(w.ctx, w.pool, format.ID, "erin")
	if err != nil {
		t.Fatal(err)
	}

	if got.Status != store.ProposalRejected || got.DecidedBy != "erin" {
		t.Errorf("un-approved proposal %+v", got)
	}

	if n := w.count(`SELECT count(*) FROM customer_ref_formats WHERE customer_id = $1`,
		quill); n != 0 {
		t.Errorf("%d formats left after rejection, want 0", n)
	}

	hist, err := store.AuditLog(w.ctx, w.pool, "rule_proposal", strconv.FormatInt(format.ID, 10),
		1)
	if err != nil {
		t.Fatal(err)
	}

	if len(hist) != 1 || hist[0].Actor != "erin" || hist[0].Action != store.ProposalRejected {
		t.Errorf("last audit entry %+v, want erin rejected", hist)
	}

	if got := learnedApps(w.match(next)); len(got) != 0 {
		t.Errorf("after rejection, applied by the learned format: %+v", got)
	}

	if _, err := learning.Reject(w.ctx, w.pool, format.ID, "erin"); !errors.Is(err,
		store.ErrConflict) {
		t.Errorf("second rejection: %v, want ErrConflict", err)
	}
}
