package pipelines

import (
	"context"
	"fmt"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5"

	"github.com/o2c-dev/o2c/internal/matching"
	"github.com/o2c-dev/o2c/internal/store"
)

// matchResult counts what matching one file did.
type matchResult struct {
	payments     int
	applied      int
	appliedMinor int64
	exceptions   []int64
	applications []int64
}

// matchPayments runs the matching engine over a file's new payments. Everything is
// written in one transaction with the messages it causes: the applications (and
// the invoices' reduced open amounts), the exceptions, and the payments' outcomes.
// A redelivered message finds no payment left in status new.
func (h *handlers) matchPayments(msg *message.Message) error {
	var m PaymentsIngested
	if err := decode(msg, &m); err != nil {
		return err
	}

	ctx := msg.Context()

	var res matchResult

	err := store.InTx(ctx, h.cfg.Pool, func(tx pgx.Tx) error {
		var err error

		res, err = h.matchFile(ctx, tx, m.FileID)

		return err
	})
	if err != nil {
		return fmt.Errorf("match payments of file %d: %w", m.FileID, err)
	}

	h.cfg.Logger.InfoContext(ctx, "Payments matched", "file_id", m.FileID,
		"payments", res.payments, "applied", res.applied, "exceptions", len(res.exceptions))

	return nil
}

func (h *handlers) matchFile(ctx context.Context, tx pgx.Tx, fileID int64) (matchResult, error) {
	var res matchResult

	payments, err := store.NewPaymentsOfFile(ctx, tx, fileID)
	if err != nil {
		return res, err
	}

	if len(payments) > 0 {
		customers, err := store.Customers(ctx, tx)
		if err != nil {
			return res, err
		}

		invoices, err := store.InvoicesToMatch(ctx, tx)
		if err != nil {
			return res, err
		}

		engine := matching.New(customers, invoices, *h.cfg.Rules)
		for _, p := range payments {
			d := engine.Match(matching.PaymentFrom(strconv.FormatInt(p.ID, 10), p.Tx))
			if err := recordDecision(ctx, tx, p, d, &res); err != nil {
				return res, err
			}
		}
	}

	if err := store.MarkBankFileMatched(ctx, tx, fileID); err != nil {
		return res, err
	}

	if len(res.applications) > 0 {
		err := Publish(ctx, tx, TopicCashApplied, CashApplied{ApplicationIDs: res.applications})
		if err != nil {
			return res, err
		}
	}

	if len(res.exceptions) > 0 {
		err := Publish(ctx, tx, TopicExceptionsOpened,
			ExceptionsOpened{ExceptionIDs: res.exceptions})
		if err != nil {
			return res, err
		}
	}

	return res, nil
}

// recordDecision stores what the engine decided for one payment.
func recordDecision(ctx context.Context, tx pgx.Tx, p store.PaymentRow, d matching.Decision,
	res *matchResult) error {
	res.payments++

	var applied int64
	for _, a := range d.Applications {
		app, err := store.Apply(ctx, tx, store.Application{
			PaymentID:     p.ID,
			InvoiceNumber: a.InvoiceNumber,
			Currency:      p.Tx.Amount.Currency,
			Amount:        a.Amount,
			Discount:      a.Discount,
			WriteOff:      a.WriteOff,
			Rule:          a.Rule,
			RulesVersion:  matching.RulesVersion,
			Confidence:    a.Confidence,
			Explanation:   a.Explanation,
			Source:        store.SourceAuto,
			Actor:         "o2c",
		})
		if err != nil {
			return err
		}

		applied += a.Amount
		res.applications = append(res.applications, app.ID)
	}

	if len(d.Applications) > 0 {
		res.applied++
		res.appliedMinor += applied
	}

	status := store.PaymentApplied
	unapplied := p.Tx.Amount.Minor - applied

	if d.Exception != nil {
		status = store.PaymentException
		if len(d.Applications) > 0 {
			status = store.PaymentPartly
		}

		e, err := store.OpenException(ctx, tx, store.Exception{
			PaymentID:  p.ID,
			Reason:     d.Exception.Reason,
			Message:    d.Exception.Message,
			Amount:     unapplied,
			Currency:   p.Tx.Amount.Currency,
			Candidates: candidates(d.Exception.Candidates),
		})
		if err != nil {
			return err
		}

		res.exceptions = append(res.exceptions, e.ID)
	}

	return store.SetPaymentOutcome(ctx, tx, p.ID, status, d.CustomerID, unapplied)
}

func candidates(cs []matching.Candidate) []store.Candidate {
	out := make([]store.Candidate, len(cs))
	for i, c := range cs {
		out[i] = store.Candidate{
			InvoiceNumber: c.InvoiceNumber,
			CustomerID:    c.CustomerID,
			Open:          c.Open,
			Score:         c.Score,
			Why:           c.Why,
		}
	}

	return out
}
