package pipelines

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5"

	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/store"
)

// ERP is what the pipelines need from the ERP. Errors for which Permanent reports
// true (validation failures) are recorded and not retried; any other error is
// treated as transient and retried.
type ERP interface {
	// CreateInvoice creates the invoice idempotently, keyed by its number, and
	// returns the ERP's id for it.
	CreateInvoice(ctx context.Context, inv billing.Invoice,
		lines []billing.LineItem) (string, error)
	// RecordPayment records cash against an invoice idempotently, keyed by
	// p.Reference, and returns the ERP's payment id.
	RecordPayment(ctx context.Context, p ERPPayment) (string, error)
	// DeletePayment deletes a recorded payment, as when the bank returned the
	// money; deleting one already deleted succeeds.
	DeletePayment(ctx context.Context, erpPaymentID string) error
	// OpenInvoices lists the ERP's open sales invoices with their amounts due.
	OpenInvoices(ctx context.Context) ([]billing.Invoice, error)
}

// ERPPayment is a payment to record against one ERP invoice.
type ERPPayment struct {
	InvoiceID     string
	InvoiceNumber string
	Amount        money.Amount
	Date          time.Time
	Reference     string
}

// PermanentError marks an error that retrying cannot fix, such as an ERP
// validation failure.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *PermanentError) Unwrap() error { return e.Err }

// IsPermanent reports whether err, or an error it wraps, is a *PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// raiseInvoices turns won deals into o2c invoices and asks for them to be pushed.
func (h *handlers) raiseInvoices(msg *message.Message) error {
	var m DealsWon
	if err := decode(msg, &m); err != nil {
		return err
	}

	ctx := msg.Context()
	issue := h.cfg.Clock().UTC().Truncate(24 * time.Hour)

	var created []string

	err := store.InTx(ctx, h.cfg.Pool, func(tx pgx.Tx) error {
		created = created[:0]

		for _, id := range m.DealIDs {
			number, isNew, err := store.CreateInvoiceForDeal(ctx, tx, id, issue,
				h.cfg.InvoiceDueDays)
			if err != nil {
				return err
			}

			if !isNew {
				continue
			}

			err = store.Audit(ctx, tx, "o2c", "raise", "invoice", number, nil,
				map[string]string{"deal_id": id, "status": store.InvoiceRequested})
			if err != nil {
				return err
			}

			created = append(created, number)
		}

		if len(created) == 0 {
			return nil
		}

		return Publish(ctx, tx, TopicInvoicesRequested, InvoicesRequested{Numbers: created})
	})
	if err != nil {
		return fmt.Errorf("raise invoices: %w", err)
	}

	h.cfg.Logger.InfoContext(ctx, "Invoices raised", "deals", len(m.DealIDs),
		"invoices", len(created))

	return nil
}

// pushInvoices sends requested invoices to the ERP. An invoice already pushed is
// skipped, so a redelivered message creates nothing twice; the ERP client itself
// is idempotent by invoice number for responses lost after the ERP committed.
func (h *handlers) pushInvoices(msg *message.Message) error {
	var m InvoicesRequested
	if err := decode(msg, &m); err != nil {
		return err
	}

	ctx := msg.Context()

	var pushed, failed []string
	for _, number := range m.Numbers {
		ok, err := h.pushInvoice(ctx, number)
		if err != nil {
			return err
		}

		if ok {
			pushed = append(pushed, number)
		} else {
			failed = append(failed, number)
		}
	}

	if len(pushed) > 0 {
		err := store.InTx(ctx, h.cfg.Pool, func(tx pgx.Tx) error {
			return Publish(ctx, tx, TopicInvoicesCreated, InvoicesCreated{Numbers: pushed})
		})
		if err != nil {
			return fmt.Errorf("announce created invoices: %w", err)
		}
	}

	h.cfg.Logger.InfoContext(ctx, "Invoices pushed", "pushed", len(pushed), "failed", len(failed))

	return nil
}

// TotalMismatch is what an ERP's CreateInvoice error carries when the ERP
// accepted the invoice but its total, as the ERP worked it out (tax rounded
// its own way, say), is not the total o2c sent, which is the CRM's. The ERP
// compares the total it answers with the one sent after every push.
type TotalMismatch interface {
	error
	// MismatchedInvoice returns the ERP's id for the invoice and its total
	// there.
	MismatchedInvoice() (erpID string, erpTotal money.Amount)
}

// markMismatch puts an invoice the ERP totals differently in
// store.InvoiceSyncMismatch: it keeps the ERP's id, so no later push creates a
// second ERP invoice, and it is not opened for matching, so no payment of the
// CRM total meets a one-cent difference there. The audit log and the log say
// by how much.
func (h *handlers) markMismatch(ctx context.Context, inv store.InvoiceRow, tm TotalMismatch,
	cause error) error {
	erpID, erpTotal := tm.MismatchedInvoice()
	reason := cause.Error()
	crmTotal := money.New(inv.Total, inv.Currency)

	err := store.InTx(ctx, h.cfg.Pool, func(tx pgx.Tx) error {
		err := store.MarkInvoiceSyncMismatch(ctx, tx, inv.Number, erpID, erpTotal.Minor, reason)
		if err != nil {
			return err
		}

		return store.Audit(ctx, tx, "o2c", "sync_mismatch", "invoice", inv.Number,
			map[string]string{"status": inv.Status},
			map[string]string{"status": store.InvoiceSyncMismatch, "erp_id": erpID,
				"deal_id": inv.DealID, "crm_total": crmTotal.String(),
				"erp_total": erpTotal.String(), "error": reason})
	})
	if err != nil {
		return fmt.Errorf("mark invoice %s sync mismatch: %w", inv.Number, err)
	}

	h.cfg.Logger.WarnContext(ctx, "Invoice total in ERP differs from CRM",
		"invoice", inv.Number, "deal_id", inv.DealID, "erp_id", erpID,
		"crm_total", crmTotal.String(), "erp_total", erpTotal.String(),
		"error", "sync amount mismatch")

	return nil
}

// pushInvoice pushes one invoice; it reports false when the ERP refused it for
// good, and an error for a transient failure.
func (h *handlers) pushInvoice(ctx context.Context, number string) (bool, error) {
	inv, err := store.Invoice(ctx, h.cfg.Pool, number)
	if err != nil {
		return false, err
	}

	if inv.Status != store.InvoiceRequested {
		return inv.Status == store.InvoiceOpen || inv.Status == store.InvoicePaid, nil
	}

	erpID, err := h.cfg.ERP.CreateInvoice(ctx, inv.Invoice, inv.Lines)

	var tm TotalMismatch
	if errors.As(err, &tm) {
		return false, h.markMismatch(ctx, inv, tm, err)
	}

	if IsPermanent(err) {
		reason := err.Error()

		return false, store.InTx(ctx, h.cfg.Pool, func(tx pgx.Tx) error {
			if err := store.MarkInvoiceFailed(ctx, tx, number, reason); err != nil {
				return err
			}

			return store.Audit(ctx, tx, "o2c", "push_failed", "invoice", number,
				map[string]string{"status": inv.Status},
				map[string]string{"status": store.InvoiceFailed, "error": reason})
		})
	}

	if err != nil {
		return false, fmt.Errorf("push invoice %s: %w", number, err)
	}

	after := map[string]string{"status": store.InvoiceOpen, "erp_id": erpID}
	if rate := rateDecision(inv.Invoice); rate != "" {
		after["exchange_rate"] = rate
		h.cfg.Logger.InfoContext(ctx, "Invoice exchange rate", "invoice", number,
			"currency", inv.Currency, "base_currency", inv.BaseCurrency, "exchange_rate", rate)
	}

	return true, store.InTx(ctx, h.cfg.Pool, func(tx pgx.Tx) error {
		if err := store.MarkInvoicePushed(ctx, tx, number, erpID); err != nil {
			return err
		}

		return store.Audit(ctx, tx, "o2c", "pushed", "invoice", number,
			map[string]string{"status": inv.Status}, after)
	})
}

// rateDecision says which exchange rate a foreign-currency invoice went to the
// ERP with, for the audit log: the CRM's (base units per document unit), or
// none, the ERP then applying its own rate of the day. It is "" for an invoice
// in the base currency or whose base currency is unknown.
func rateDecision(inv billing.Invoice) string {
	switch {
	case inv.BaseCurrency == "" || strings.EqualFold(inv.BaseCurrency, inv.Currency):
		return ""
	case inv.ExchangeRate == "":
		return "none from the crm: the erp applies its own rate"
	default:
		return "crm: 1 " + inv.Currency + " = " + inv.ExchangeRate + " " + inv.BaseCurrency
	}
}
