// Package exceptions is the workflow of the exception queue: what ops see of a
// payment that was not applied automatically, and how they resolve it. A
// resolution writes applications exactly as the matching engine does and queues
// them for the ERP on the same topic, so the ERP learns of the payment either way.
package exceptions

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/learning"
	"github.com/o2c-dev/o2c/internal/matching"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/pipelines"
)

// ErrInvalid reports a resolution that does not add up or names a wrong invoice.
var ErrInvalid = errors.New("invalid resolution")

// Allocation applies an amount of the payment to one invoice.
type Allocation struct {
	InvoiceNumber string `json:"invoice_number"`
	// Amount is the cash applied, a decimal string in the payment's currency
	// ("640.00"), so callers never send floats.
	Amount string `json:"amount"`
}

// Resolution is what ops decide for an open exception: apply its amount to
// invoices, park it (or what the allocations leave) on the customer's account,
// or both.
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

// Detail is an exception with everything needed to work it.
type Detail struct {
	Exception    store.Exception     `json:"exception"`
	Payment      store.PaymentRow    `json:"payment"`
	Applications []store.Application `json:"applications"`
	History      []store.AuditEntry  `json:"history"`
}

// Service runs the queue on a database.
type Service struct {
	Pool *pgxpool.Pool
	// Learning tunes what a resolution teaches o2c; the zero value uses the
	// defaults.
	Learning learning.Options
}

// List returns exceptions matching f.
func (s *Service) List(ctx context.Context, f store.ExceptionFilter) ([]store.Exception, error) {
	return store.Exceptions(ctx, s.Pool, f)
}

// Get returns one exception with its payment, the payment's applications and the
// exception's history.
func (s *Service) Get(ctx context.Context, id int64) (Detail, error) {
	var d Detail

	e, err := store.GetException(ctx, s.Pool, id, false)
	if err != nil {
		return d, err
	}

	p, err := store.GetPayment(ctx, s.Pool, e.PaymentID)
	if err != nil {
		return d, err
	}

	apps, err := store.ApplicationsOfPayment(ctx, s.Pool, e.PaymentID)
	if err != nil {
		return d, err
	}

	hist, err := store.AuditLog(ctx, s.Pool, "exception", strconv.FormatInt(id, 10), 100)
	if err != nil {
		return d, err
	}

	if apps == nil {
		apps = []store.Application{}
	}

	if hist == nil {
		hist = []store.AuditEntry{}
	}

	return Detail{Exception: e, Payment: p, Applications: apps, History: hist}, nil
}

// Outcome is what a resolution did.
type Outcome struct {
	Applications []store.Application `json:"applications"`
	ParkedMinor  int64               `json:"parked_minor"`
	Currency     string              `json:"currency"`
	Status       string              `json:"status"`
}

// Resolve closes an open exception as ops decided, in one transaction: the
// applications (never past an invoice's open amount, only in the payment's
// currency), the payment's new status, the exception's resolution, what it
// teaches o2c (see learning.Learn), the audit entries and the message that sends
// the applications to the ERP.
func (s *Service) Resolve(ctx context.Context, id int64, actor string,
	r Resolution) (Outcome, error) {
	var out Outcome

	if strings.TrimSpace(actor) == "" {
		return out, fmt.Errorf("%w: an actor is required", ErrInvalid)
	}

	err := store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		var err error

		out, err = resolve(ctx, tx, id, actor, r, s.Learning)

		return err
	})

	return out, err
}

func resolve(ctx context.Context, tx pgx.Tx, id int64, actor string,
	r Resolution, learn learning.Options) (Outcome, error) {
	var out Outcome

	e, err := store.GetException(ctx, tx, id, true)
	if err != nil {
		return out, err
	}

	if e.Status != store.ExceptionOpen {
		return out, fmt.Errorf("exception %d is %s: %w", id, e.Status, store.ErrConflict)
	}

	p, err := store.GetPayment(ctx, tx, e.PaymentID)
	if err != nil {
		return out, err
	}

	if p.Status == store.PaymentReturned {
		return closeReturned(ctx, tx, e, actor, r)
	}

	amounts, err := allocationAmounts(ctx, tx, e, r)
	if err != nil {
		return out, err
	}

	var total int64
	var ids []int64

	for i, a := range r.Allocations {
		app, err := store.Apply(ctx, tx, store.Application{
			PaymentID:     p.ID,
			InvoiceNumber: a.InvoiceNumber,
			Currency:      e.Currency,
			Amount:        amounts[i],
			Rule:          "manual",
			RulesVersion:  matching.RulesVersion,
			Confidence:    1,
			Explanation:   explain(actor, id, a.InvoiceNumber, amounts[i], e.Currency, r.Note),
			Source:        store.SourceManual,
			Actor:         actor,
		})
		if errors.Is(err, store.ErrOverApplied) {
			return out, fmt.Errorf("%w: %s more than invoice %s has open", ErrInvalid,
				money.New(amounts[i], e.Currency), a.InvoiceNumber)
		}

		if err != nil {
			return out, err
		}

		total += amounts[i]
		ids = append(ids, app.ID)
		out.Applications = append(out.Applications, app)
	}

	rest := e.Amount - total
	if rest != 0 && !r.Park {
		return out, fmt.Errorf("%w: allocations total %s of %s; allocate all of it or park "+
			"the rest", ErrInvalid, money.New(total, e.Currency), money.New(e.Amount, e.Currency))
	}

	status, payStatus := store.ExceptionResolved, store.PaymentApplied
	if rest != 0 {
		out.ParkedMinor = rest
		payStatus = store.PaymentOnAccount
		if total == 0 {
			status = store.ExceptionParked
		}
	}

	customer := p.CustomerID
	if r.CustomerID != "" {
		var known bool

		err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM customers WHERE id = $1)",
			r.CustomerID).Scan(&known)
		if err != nil {
			return out, fmt.Errorf("read customer %s: %w", r.CustomerID, err)
		}

		if !known {
			return out, fmt.Errorf("%w: no customer %s", ErrInvalid, r.CustomerID)
		}

		customer = r.CustomerID
	}

	if err := store.SetPaymentOutcome(ctx, tx, p.ID, payStatus, customer, rest); err != nil {
		return out, err
	}

	resolution := map[string]any{"request": r, "applications": ids, "parked_minor": rest}
	if err := store.CloseException(ctx, tx, id, status, actor, resolution); err != nil {
		return out, err
	}

	_, err = learning.Learn(ctx, tx, learn, learning.Resolution{ExceptionID: id, Payment: p,
		CustomerID: customer, Applications: out.Applications, Actor: actor})
	if err != nil {
		return out, err
	}

	out.Status, out.Currency = status, e.Currency
	if len(ids) == 0 {
		return out, nil
	}

	return out, pipelines.Publish(ctx, tx, pipelines.TopicCashApplied,
		pipelines.CashApplied{ApplicationIDs: ids})
}

// closeReturned ends the follow-up of a payment the bank took back: there is no
// cash left to apply or park, so the only resolution is to close it with a note.
func closeReturned(ctx context.Context, tx pgx.Tx, e store.Exception, actor string,
	r Resolution) (Outcome, error) {
	if len(r.Allocations) > 0 {
		return Outcome{}, fmt.Errorf("%w: payment %d was returned by the bank, there is no cash "+
			"to apply; park it to close the follow-up", ErrInvalid, e.PaymentID)
	}

	resolution := map[string]any{"request": r, "returned": true}
	if err := store.CloseException(ctx, tx, e.ID, store.ExceptionResolved, actor,
		resolution); err != nil {
		return Outcome{}, err
	}

	return Outcome{Status: store.ExceptionResolved, Currency: e.Currency}, nil
}

// allocationAmounts parses and checks the allocations against the exception.
func allocationAmounts(ctx context.Context, tx pgx.Tx, e store.Exception,
	r Resolution) ([]int64, error) {
	if len(r.Allocations) == 0 && !r.Park {
		return nil, fmt.Errorf("%w: give allocations or park the amount", ErrInvalid)
	}

	seen := map[string]bool{}
	out := make([]int64, len(r.Allocations))

	var total int64
	for i, a := range r.Allocations {
		amt, err := money.Parse(a.Amount, e.Currency)
		if err != nil {
			return nil, fmt.Errorf("%w: allocation %d: %w", ErrInvalid, i+1, err)
		}

		if amt.Minor <= 0 {
			return nil, fmt.Errorf("%w: allocation %d: amount must be positive", ErrInvalid, i+1)
		}

		if seen[a.InvoiceNumber] {
			return nil, fmt.Errorf("%w: invoice %s listed twice", ErrInvalid, a.InvoiceNumber)
		}

		seen[a.InvoiceNumber] = true

		inv, err := store.Invoice(ctx, tx, a.InvoiceNumber)
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("%w: no invoice %s", ErrInvalid, a.InvoiceNumber)
		}

		if err != nil {
			return nil, err
		}

		if inv.Currency != e.Currency {
			return nil, fmt.Errorf("%w: invoice %s is in %s, the payment in %s", ErrInvalid,
				inv.Number, inv.Currency, e.Currency)
		}

		out[i] = amt.Minor
		total += amt.Minor
	}

	if total > e.Amount {
		return nil, fmt.Errorf("%w: allocations total %s, more than the %s to apply",
			ErrInvalid, money.New(total, e.Currency), money.New(e.Amount, e.Currency))
	}

	return out, nil
}

func explain(actor string, id int64, invoice string, amount int64, currency,
	note string) string {
	s := fmt.Sprintf("applied %s to %s by %s resolving exception %d",
		money.New(amount, currency), invoice, actor, id)
	if note != "" {
		s += ": " + note
	}

	return s
}

// Assign gives an open exception to assignee ("" unassigns), audited. A closed
// exception is refused with store.ErrConflict.
func (s *Service) Assign(ctx context.Context, id int64, actor, assignee string) error {
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		e, err := store.GetException(ctx, tx, id, true)
		if err != nil {
			return err
		}

		if e.Status != store.ExceptionOpen {
			return fmt.Errorf("exception %d is %s: %w", id, e.Status, store.ErrConflict)
		}

		_, err = tx.Exec(ctx, "UPDATE exceptions SET assignee = $2 WHERE id = $1", id, assignee)
		if err != nil {
			return fmt.Errorf("assign exception %d: %w", id, err)
		}

		return store.Audit(ctx, tx, actor, "assign", "exception", strconv.FormatInt(id, 10),
			map[string]string{"assignee": e.Assignee}, map[string]string{"assignee": assignee})
	})
}
