// Package exceptions is the workflow of the exception queue: what ops see of a
// payment that was not applied automatically, and how they resolve it.
//
// Every action runs in one transaction with its audit entries. An action that
// applies cash writes applications exactly as the matching engine does and
// publishes them on the same topic (pipelines.TopicCashApplied), so the ERP
// learns of the payment either way; reopening publishes the undone applications
// on pipelines.TopicCashUnapplied, as a bank return does, so the ERP deletes the
// payments it recorded.
//
// # For page handlers
//
// A page builds a Query from the request's URL (ParseQuery), lists a page of the
// queue (Queue) with its header counts (Counts), and links to the next page with
// the Query and the page's NextCursor:
//
//	q, err := exceptions.ParseQuery(r.URL.Query())
//	page, err := svc.Queue(ctx, q, auth.Actor(r))
//	counts, err := svc.Counts(ctx, q, auth.Actor(r))
//	next := q.WithCursor(page.NextCursor).Values().Encode()
//
// The detail page shows Get's Detail; its Actions say which buttons apply now.
// Each button posts to one method (Apply, Split, WriteOff, Park, MarkRefund,
// MarkReturn, Close, ApplySuggested, Comment, Assign, Reopen; Approve and Reject
// for approvals; Bulk for the same over many exceptions). Refusals wrap
// ErrInvalid (often a *ValidationError naming the fields), store.ErrConflict,
// store.ErrNotFound or ErrSelfApproval; ErrorCode names them.
package exceptions

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/learning"
	"github.com/o2c-dev/o2c/internal/store"
)

// DefaultWriteOffReasons are the reason codes a write-off may give when Policy
// names none.
var DefaultWriteOffReasons = []string{"bank_fee", "short_payment", "rounding",
	"discount_outside_terms"}

// DefaultApprovalLimits returns the write-off limits used when Policy sets none:
// 50.00 in EUR, USD, GBP and CHF; every write-off in another currency needs a
// second person.
func DefaultApprovalLimits() map[string]int64 {
	return map[string]int64{"EUR": 5000, "USD": 5000, "GBP": 5000, "CHF": 5000}
}

// AnyCurrency keys the approval limit of the currencies not listed.
const AnyCurrency = "*"

// Policy is what the workflow allows. The zero value uses the defaults.
type Policy struct {
	// WriteOffReasons are the reason codes a write-off may give. Defaults to
	// DefaultWriteOffReasons.
	WriteOffReasons []string `json:"writeoff_reasons"`
	// ApprovalLimits are, per currency, the largest total write-off (minor units)
	// one person may make alone; above it a second person must approve. The key
	// AnyCurrency sets it for the currencies not listed; a currency with neither
	// needs approval for every write-off. Defaults to DefaultApprovalLimits.
	ApprovalLimits map[string]int64 `json:"writeoff_approval_limits"`
}

func (p Policy) reasons() []string {
	if len(p.WriteOffReasons) == 0 {
		return DefaultWriteOffReasons
	}

	return p.WriteOffReasons
}

func (p Policy) limits() map[string]int64 {
	if p.ApprovalLimits == nil {
		return DefaultApprovalLimits()
	}

	return p.ApprovalLimits
}

// ApprovalLimit returns the largest write-off in currency one person may make.
func (p Policy) ApprovalLimit(currency string) int64 {
	l := p.limits()
	if v, ok := l[currency]; ok {
		return v
	}

	return l[AnyCurrency]
}

// Reasons returns the write-off reason codes the policy allows.
func (p Policy) Reasons() []string {
	return append([]string(nil), p.reasons()...)
}

func (p Policy) allows(reason string) bool {
	for _, r := range p.reasons() {
		if r == reason {
			return true
		}
	}

	return false
}

// Service runs the queue on a database.
type Service struct {
	Pool *pgxpool.Pool
	// Learning tunes what a resolution teaches o2c; the zero value uses the
	// defaults.
	Learning learning.Options
	// Policy sets the write-off reason codes and approval limits; the zero value
	// uses the defaults.
	Policy Policy
}

// List returns exceptions matching f in id order, for scripts and the CLI; the
// queue pages use Queue.
func (s *Service) List(ctx context.Context, f store.ExceptionFilter) ([]store.Exception, error) {
	return store.Exceptions(ctx, s.Pool, f)
}

// Allocation applies an amount of the payment to one invoice.
type Allocation struct {
	InvoiceNumber string `json:"invoice_number"`
	// Amount is the cash applied, a decimal string in the payment's currency
	// ("640.00"), so callers never send floats.
	Amount string `json:"amount"`
}

// Resolution is the older, one-call form of a decision: apply the amount to
// invoices, park it (or what the allocations leave) on the customer's account,
// or both. Apply, Split and Park are its newer forms.
type Resolution struct {
	Allocations []Allocation `json:"allocations"`
	// Park puts the amount not allocated on account instead of requiring the
	// allocations to use all of it.
	Park bool `json:"park"`
	// CustomerID names the customer to park for, when the payer was unknown.
	CustomerID string `json:"customer_id,omitempty"`
	// Note is the resolver's explanation, kept with the applications and audit.
	Note string `json:"note,omitempty"`
}

// Resolve closes an open exception as r decides: allocations are applied (see
// Apply) with the rest parked on account when r.Park; with no allocations, the
// exception is parked (see Park). The follow-up of a payment the bank took back
// can only be closed: r.Park closes it, allocations are refused.
func (s *Service) Resolve(ctx context.Context, id int64, actor string,
	r Resolution) (Outcome, error) {
	if err := checkActor(actor); err != nil {
		return Outcome{}, err
	}

	var out Outcome

	err := s.inTx(ctx, func(tx pgx.Tx) error {
		t, err := lockOpen(ctx, tx, id)
		if err != nil {
			return err
		}

		switch {
		case t.p.Status == store.PaymentReturned && len(r.Allocations) > 0:
			return invalid("allocations", "payment %d was returned by the bank, there is no "+
				"cash to apply; park it to close the follow-up", t.p.ID)
		case t.p.Status == store.PaymentReturned && r.Park:
			out, err = s.close(ctx, tx, t, actor, CloseRequest{Note: r.Note}, true)
		case len(r.Allocations) == 0 && r.Park:
			out, err = s.park(ctx, tx, t, actor, ParkRequest{CustomerID: r.CustomerID,
				Note: r.Note})
		case len(r.Allocations) == 0:
			return invalid("allocations", "give allocations or park the amount")
		default:
			req := ApplyRequest{CustomerID: r.CustomerID, Note: r.Note}
			if r.Park {
				req.Rest = RestOnAccount
			}

			for _, a := range r.Allocations {
				req.Lines = append(req.Lines, Line{InvoiceNumber: a.InvoiceNumber,
					Amount: a.Amount})
			}

			out, err = s.apply(ctx, tx, t, actor, "resolve", req, nil)
		}

		return err
	})

	return out, err
}

// Assign gives an open exception to assignee ("" unassigns), audited. A closed
// exception is refused with store.ErrConflict.
func (s *Service) Assign(ctx context.Context, id int64, actor, assignee string) error {
	return s.AssignWithNote(ctx, id, actor, assignee, "")
}

// AssignWithNote is Assign with a note kept in the audit entry (the exception's
// history shows it); with a note, giving the exception to whom already has it
// is audited too.
func (s *Service) AssignWithNote(ctx context.Context, id int64, actor, assignee,
	note string) error {
	if err := checkActor(actor); err != nil {
		return err
	}

	assignee = strings.TrimSpace(assignee)
	if msg := checkText(assignee, maxName); msg != "" {
		return invalid("assignee", "%s", msg)
	}

	if msg := checkText(note, maxNote); msg != "" {
		return invalid("note", "%s", msg)
	}

	return s.inTx(ctx, func(tx pgx.Tx) error {
		e, err := store.GetException(ctx, tx, id, true)
		if err != nil {
			return err
		}

		if e.Status != store.ExceptionOpen {
			return fmt.Errorf("exception %d is %s: %w", id, e.Status, store.ErrConflict)
		}

		if e.Assignee == assignee && note == "" {
			return nil
		}

		if err := store.SetAssignee(ctx, tx, id, assignee); err != nil {
			return err
		}

		after := map[string]string{"assignee": assignee}
		if note != "" {
			after["note"] = note
		}

		return store.Audit(ctx, tx, actor, "assign", "exception", itoa(id),
			map[string]string{"assignee": e.Assignee}, after)
	})
}

func (s *Service) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return store.InTx(ctx, s.Pool, fn)
}
