package pipelines

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5"

	"github.com/o2c-dev/o2c/internal/matching"
	"github.com/o2c-dev/o2c/internal/store"
)

// matchChunk is how many payments one transaction matches and records. A large
// file is matched in several transactions: each commits its chunk's applications,
// exceptions, payment outcomes and messages together, and a redelivered message
// goes on with the payments still new.
const matchChunk = 5000

// matchResult counts what matching one file did.
type matchResult struct {
	payments   int
	applied    int
	exceptions int
	reversals  int
}

// matchPayments runs the matching engine over a file's new payments.
func (h *handlers) matchPayments(msg *message.Message) error {
	var m PaymentsIngested
	if err := decode(msg, &m); err != nil {
		return err
	}

	ctx := msg.Context()

	res, err := h.matchFile(ctx, m.FileID)
	if err != nil {
		return fmt.Errorf("match payments of file %d: %w", m.FileID, err)
	}

	h.cfg.Logger.InfoContext(ctx, "Payments matched", "file_id", m.FileID,
		"payments", res.payments, "applied", res.applied, "exceptions", res.exceptions,
		"reversals", res.reversals)

	return nil
}

func (h *handlers) matchFile(ctx context.Context, fileID int64) (matchResult, error) {
	var res matchResult

	customers, err := store.Customers(ctx, h.cfg.Pool)
	if err != nil {
		return res, err
	}

	invoices, err := store.InvoicesToMatch(ctx, h.cfg.Pool)
	if err != nil {
		return res, err
	}

	engine := matching.New(customers, invoices, *h.cfg.Rules)

	for last := 0; ; {
		done, next := false, last

		err := store.InTx(ctx, h.cfg.Pool, func(tx pgx.Tx) error {
			payments, err := store.NewPaymentsOfFile(ctx, tx, fileID, last, matchChunk)
			if err != nil {
				return err
			}

			if len(payments) > 0 {
				next = payments[len(payments)-1].Tx.Seq
			}

			if len(payments) < matchChunk {
				done = true
				if err := store.MarkBankFileMatched(ctx, tx, fileID); err != nil {
					return err
				}
			}

			if err := recordChunk(ctx, tx, engine, payments, &res); err != nil || !done {
				return err
			}

			return handleReversals(ctx, tx, fileID, &res)
		})
		if err != nil || done {
			return res, err
		}

		last = next
	}
}

// recordChunk matches payments and stores the decisions with the messages they
// cause.
func recordChunk(ctx context.Context, tx pgx.Tx, engine *matching.Engine,
	payments []store.PaymentRow, res *matchResult) error {
	var apps []store.Application
	var excs []store.Exception

	outs := make([]store.Outcome, len(payments))

	for i, p := range payments {
		d := engine.Match(matching.PaymentFrom(strconv.FormatInt(p.ID, 10), p.Tx))

		var applied int64
		for _, a := range d.Applications {
			apps = append(apps, store.Application{
				PaymentID:      p.ID,
				InvoiceNumber:  a.InvoiceNumber,
				Currency:       p.Tx.Amount.Currency,
				Amount:         a.Amount,
				Discount:       a.Discount,
				WriteOff:       a.WriteOff,
				WriteOffReason: a.WriteOffReason,
				Rule:           a.Rule,
				RulesVersion:   matching.RulesVersion,
				Confidence:     a.Confidence,
				Explanation:    a.Explanation,
				Source:         store.SourceAuto,
				Actor:          "o2c",
			})
			applied += a.Amount
		}

		trace, err := json.Marshal(d.Trace)
		if err != nil {
			return fmt.Errorf("encode decision of payment %d: %w", p.ID, err)
		}

		unapplied := p.Tx.Amount.Minor - applied
		outs[i] = store.Outcome{PaymentID: p.ID, Status: store.PaymentApplied,
			CustomerID: d.CustomerID, Unapplied: unapplied, Decision: trace}

		if len(d.Applications) > 0 {
			res.applied++
		}

		if d.Exception != nil {
			outs[i].Status = store.PaymentException
			if len(d.Applications) > 0 {
				outs[i].Status = store.PaymentPartly
			}

			excs = append(excs, store.Exception{
				PaymentID:  p.ID,
				Reason:     d.Exception.Reason,
				Message:    d.Exception.Message,
				Amount:     unapplied,
				Currency:   p.Tx.Amount.Currency,
				Candidates: candidates(d.Exception.Candidates),
			})
		}
	}

	res.payments += len(payments)
	res.exceptions += len(excs)

	recorded, err := store.ApplyMany(ctx, tx, apps)
	if err != nil {
		return err
	}

	opened, err := store.OpenExceptions(ctx, tx, excs)
	if err != nil {
		return err
	}

	if err := store.SetNewPaymentOutcomes(ctx, tx, outs); err != nil {
		return err
	}

	if len(recorded) > 0 {
		ids := make([]int64, len(recorded))
		for i, a := range recorded {
			ids[i] = a.ID
		}

		if err := Publish(ctx, tx, TopicCashApplied, CashApplied{ApplicationIDs: ids}); err != nil {
			return err
		}
	}

	if len(opened) == 0 {
		return nil
	}

	ids := make([]int64, len(opened))
	for i, e := range opened {
		ids[i] = e.ID
	}

	return Publish(ctx, tx, TopicExceptionsOpened, ExceptionsOpened{ExceptionIDs: ids})
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
