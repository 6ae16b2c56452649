package pipelines

import (
	"context"
	"fmt"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5"

	"github.com/o2c-dev/o2c/internal/reversal"
	"github.com/o2c-dev/o2c/internal/store"
)

// Exception reasons for returns and reversals (see package reversal).
const (
	// ReasonReturned: an applied or held payment came back; its invoices are open
	// again and someone must follow up with the customer.
	ReasonReturned = reversal.ReasonReturned
	// ReasonReturnUnmatched: a return or reversal whose original payment o2c
	// cannot identify (never seen, ambiguous or already returned).
	ReasonReturnUnmatched = reversal.ReasonReturnUnmatched
	// ReasonReversalUnverified: a return or reversal the bank file does not let
	// o2c trust (e.g. a reversal sign the balances cannot confirm); never acted on.
	ReasonReversalUnverified = reversal.ReasonReversalUnverified
)

// handleReversals undoes the payments that a file's returns and reversals take
// back, inside the transaction tx of the file's last matching chunk. Each return
// or reversal is handled once: a redelivered message finds nothing left to do.
func handleReversals(ctx context.Context, tx pgx.Tx, fileID int64, res *matchResult) error {
	rets, err := store.UnhandledReversalsOfFile(ctx, tx, fileID)
	if err != nil || len(rets) == 0 {
		return err
	}

	var unapplied []int64
	var opened []int64

	for _, r := range rets {
		apps, exc, err := handleReversal(ctx, tx, r)
		if err != nil {
			return fmt.Errorf("handle reversal %d: %w", r.ID, err)
		}

		for _, a := range apps {
			unapplied = append(unapplied, a.ID)
		}

		if exc != 0 {
			opened = append(opened, exc)
		}

		res.reversals++
	}

	res.exceptions += len(opened)

	if len(unapplied) > 0 {
		err := Publish(ctx, tx, TopicCashUnapplied, CashUnapplied{ApplicationIDs: unapplied})
		if err != nil {
			return err
		}
	}

	if len(opened) == 0 {
		return nil
	}

	return Publish(ctx, tx, TopicExceptionsOpened, ExceptionsOpened{ExceptionIDs: opened})
}

// handleReversal handles one return or reversal by the rule of package
// reversal. It returns the applications it reversed and the id of an exception
// it opened (0 when it opened none).
func handleReversal(ctx context.Context, tx pgx.Tx,
	r store.PaymentRow) ([]store.ReversedApplication, int64, error) {
	switch v := reversal.Screen(&r.Tx); v.Action {
	case reversal.Hold:
		return hold(ctx, tx, r, v.Reason, v.Message)
	case reversal.NoCash:
		// Money came back in: it undoes a debit, and debits are never applied.
		return nil, 0, store.MarkReversalHandled(ctx, tx, r.ID, 0, reversal.NoCashNote)
	}

	cands, err := store.ReversedCandidates(ctx, tx, r)
	if err != nil {
		return nil, 0, err
	}

	switch {
	case len(cands) == 0:
		return hold(ctx, tx, r, ReasonReturnUnmatched, reversal.NotFound(&r.Tx))
	case len(cands) > 1:
		ids := make([]string, len(cands))
		for i, c := range cands {
			ids[i] = strconv.FormatInt(c.ID, 10)
		}

		return hold(ctx, tx, r, ReasonReturnUnmatched, reversal.Ambiguous(&r.Tx, ids))
	case cands[0].Status == store.PaymentReturned:
		return hold(ctx, tx, r, ReasonReturnUnmatched,
			reversal.AlreadyReturned(&r.Tx, strconv.FormatInt(cands[0].ID, 10)))
	}

	orig := cands[0]

	apps, err := store.ReturnPayment(ctx, tx, orig, r, reversal.ReasonOf(&r.Tx))
	if err != nil {
		return nil, 0, err
	}

	invoices := make([]string, len(apps))
	for i, a := range apps {
		invoices[i] = a.InvoiceNumber
	}

	msg := reversal.Returned(&r.Tx, invoices)

	ok, err := store.AppendToOpenException(ctx, tx, orig.ID, msg)
	if err != nil || ok {
		return apps, 0, err
	}

	e, err := store.OpenException(ctx, tx, store.Exception{PaymentID: orig.ID,
		Reason: ReasonReturned, Message: msg, Amount: orig.Tx.Amount.Minor,
		Currency: orig.Tx.Amount.Currency})
	if err != nil {
		return nil, 0, err
	}

	return apps, e.ID, nil
}

// hold opens an exception on the return or reversal itself (or extends the one
// it has) and marks it handled without touching any other payment.
func hold(ctx context.Context, tx pgx.Tx, r store.PaymentRow, reason,
	msg string) ([]store.ReversedApplication, int64, error) {
	if err := store.MarkReversalHandled(ctx, tx, r.ID, 0, reason); err != nil {
		return nil, 0, err
	}

	ok, err := store.AppendToOpenException(ctx, tx, r.ID, msg)
	if err != nil || ok {
		return nil, 0, err
	}

	e, err := store.OpenException(ctx, tx, store.Exception{PaymentID: r.ID, Reason: reason,
		Message: msg, Amount: r.Tx.Amount.Minor, Currency: r.Tx.Amount.Currency})
	if err != nil {
		return nil, 0, err
	}

	return nil, e.ID, nil
}

// unrecordPayments deletes from the ERP the payments of applications a return
// reversed. An application is deleted at most once: once marked reversed, a
// redelivered message finds nothing to do.
func (h *handlers) unrecordPayments(msg *message.Message) error {
	var m CashUnapplied
	if err := decode(msg, &m); err != nil {
		return err
	}

	ctx := msg.Context()

	apps, err := store.ReversedToUnrecord(ctx, h.cfg.Pool, m.ApplicationIDs)
	if err != nil {
		return err
	}

	for _, a := range apps {
		if err := h.unrecord(ctx, a.ID, a.ERPPaymentID); err != nil {
			return err
		}
	}

	h.cfg.Logger.InfoContext(ctx, "Payments deleted from ERP", "applications",
		len(m.ApplicationIDs), "deleted", len(apps))

	return nil
}

// unrecordIfReversed deletes a just-recorded ERP payment when its application was
// reversed while it was being recorded.
func (h *handlers) unrecordIfReversed(ctx context.Context, a store.Application,
	erpID string) error {
	reversed, err := store.ApplicationReversed(ctx, h.cfg.Pool, a.ID)
	if err != nil || !reversed {
		return err
	}

	return h.unrecord(ctx, a.ID, erpID)
}

func (h *handlers) unrecord(ctx context.Context, id int64, erpID string) error {
	err := h.cfg.ERP.DeletePayment(ctx, erpID)
	if IsPermanent(err) {
		return store.MarkApplicationFailed(ctx, h.cfg.Pool, id, "failed",
			"payment returned but the erp refused to delete it: "+err.Error())
	}

	if err != nil {
		return fmt.Errorf("delete erp payment of application %d: %w", id, err)
	}

	_, err = store.MarkApplicationUnrecorded(ctx, h.cfg.Pool, id)

	return err
}
