package pipelines

import (
	"context"
	"fmt"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5"

	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/store"
)

// ApplicationReference is the reference o2c gives the ERP for an application; the
// ERP client uses it as its idempotency key, so a retried recording never pays an
// invoice twice.
func ApplicationReference(id int64) string {
	return "o2c-app-" + strconv.FormatInt(id, 10)
}

// recordPayments records applied cash in the ERP, automatic and manual alike.
func (h *handlers) recordPayments(msg *message.Message) error {
	var m CashApplied
	if err := decode(msg, &m); err != nil {
		return err
	}

	ctx := msg.Context()

	apps, err := store.PendingApplications(ctx, h.cfg.Pool, m.ApplicationIDs)
	if err != nil {
		return err
	}

	var recorded, refused int
	for _, a := range apps {
		ok, err := h.recordPayment(ctx, a)
		if err != nil {
			return err
		}

		if ok {
			recorded++
		} else {
			refused++
		}
	}

	h.cfg.Logger.InfoContext(ctx, "Payments recorded in ERP", "recorded", recorded,
		"refused", refused)

	return nil
}

func (h *handlers) recordPayment(ctx context.Context, a store.Application) (bool, error) {
	inv, err := store.Invoice(ctx, h.cfg.Pool, a.InvoiceNumber)
	if err != nil {
		return false, err
	}

	if inv.ERPID == "" {
		return false, store.MarkApplicationFailed(ctx, h.cfg.Pool, a.ID, "skipped",
			"invoice "+a.InvoiceNumber+" is not in the ERP")
	}

	if a.Amount == 0 {
		return false, store.MarkApplicationFailed(ctx, h.cfg.Pool, a.ID, "skipped",
			"no cash to record")
	}

	p, err := store.GetPayment(ctx, h.cfg.Pool, a.PaymentID)
	if err != nil {
		return false, err
	}

	date := p.Tx.ValueDate
	if date.IsZero() {
		date = p.Tx.BookingDate
	}

	if date.IsZero() {
		date = a.CreatedAt
	}

	erpID, err := h.cfg.ERP.RecordPayment(ctx, ERPPayment{
		InvoiceID:     inv.ERPID,
		InvoiceNumber: inv.Number,
		Amount:        money.New(a.Amount, a.Currency),
		Date:          date,
		Reference:     ApplicationReference(a.ID),
	})
	if IsPermanent(err) {
		return false, store.MarkApplicationFailed(ctx, h.cfg.Pool, a.ID, "failed", err.Error())
	}

	if err != nil {
		return false, fmt.Errorf("record application %d in erp: %w", a.ID, err)
	}

	err = store.InTx(ctx, h.cfg.Pool, func(tx pgx.Tx) error {
		return store.MarkApplicationRecorded(ctx, tx, a.ID, erpID)
	})
	if err != nil {
		return false, err
	}

	// A return may have reversed the application while it was being recorded.
	return true, h.unrecordIfReversed(ctx, a, erpID)
}
