package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

// Payment statuses.
const (
	PaymentNew       = "new"            // stored, not yet matched
	PaymentApplied   = "applied"        // wholly applied to invoices
	PaymentPartly    = "partly_applied" // partly applied; the rest is an exception
	PaymentException = "exception"      // nothing applied; an exception is open
	PaymentOnAccount = "on_account"     // parked on the customer's account by ops
	PaymentNotCash   = "not_cash"       // a debit, return, reversal, charge or notice
)

// PaymentRow is a stored bank transaction.
type PaymentRow struct {
	ID         int64                `json:"id"`
	FileID     int64                `json:"file_id"`
	CustomerID string               `json:"customer_id,omitempty"`
	Status     string               `json:"status"`
	Unapplied  int64                `json:"unapplied_minor"`
	Tx         bankfile.Transaction `json:"transaction"`
}

// InsertPayments stores a file's transactions, one row each. A transaction whose
// dedupe key is already stored (a re-sent or overlapping file) is skipped. Credits
// of kind payment start as new; everything else is stored as not cash.
func InsertPayments(ctx context.Context, db DB, fileID int64, sha string,
	txs []bankfile.Transaction) (inserted, duplicates int, err error) {
	batch := &pgx.Batch{}

	for _, t := range txs {
		key := t.DedupeKey
		if key == "" {
			key = "file:" + sha + "#" + strconv.Itoa(t.Seq)
		}

		status := PaymentNotCash
		if t.Direction == bankfile.Credit && t.Kind == bankfile.KindPayment {
			status = PaymentNew
		}

		remits := t.Remits
		if remits == nil {
			remits = []bankfile.Remit{}
		}

		r, err := json.Marshal(remits)
		if err != nil {
			return 0, 0, fmt.Errorf("encode remittance of transaction %d: %w", t.Seq, err)
		}

		batch.Queue(`INSERT INTO payments (file_id, seq, line, account, direction, kind,
				amount_minor, currency, booking_date, value_date, bank_ref, end_to_end_id,
				payment_ref, payer_name, payer_account, payer_id, remittance, remits,
				return_code, original_ref, problem, dedupe_key, status, unapplied_minor)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
				$17, $18, $19, $20, $21, $22, $23, $7)
			ON CONFLICT (dedupe_key) DO NOTHING`,
			fileID, t.Seq, t.Line, t.Account, string(t.Direction), string(t.Kind),
			t.Amount.Minor, t.Amount.Currency, dateOrNil(t.BookingDate), dateOrNil(t.ValueDate),
			t.BankRef, t.EndToEndID, t.PaymentRef, t.PayerName, t.PayerAccount, t.PayerID,
			t.Remittance, r, t.ReturnCode, t.OriginalRef, t.Problem, key, status)
	}

	results := db.SendBatch(ctx, batch)
	defer results.Close()

	for range txs {
		tag, err := results.Exec()
		if err != nil {
			return 0, 0, fmt.Errorf("store payments of file %d: %w", fileID, err)
		}

		if tag.RowsAffected() == 1 {
			inserted++
		} else {
			duplicates++
		}
	}

	return inserted, duplicates, results.Close()
}

const paymentColumns = `id, file_id, seq, line, account, direction, kind, amount_minor,
	currency, booking_date, value_date, bank_ref, end_to_end_id, payment_ref, payer_name,
	payer_account, payer_id, remittance, remits, return_code, original_ref, problem,
	dedupe_key, COALESCE(customer_id, ''), status, unapplied_minor`

func scanPayment(row pgx.Row) (PaymentRow, error) {
	var p PaymentRow
	var dir, kind string
	var booking, value *time.Time
	var remits []byte

	t := &p.Tx

	err := row.Scan(&p.ID, &p.FileID, &t.Seq, &t.Line, &t.Account, &dir, &kind,
		&t.Amount.Minor, &t.Amount.Currency, &booking, &value, &t.BankRef, &t.EndToEndID,
		&t.PaymentRef, &t.PayerName, &t.PayerAccount, &t.PayerID, &t.Remittance, &remits,
		&t.ReturnCode, &t.OriginalRef, &t.Problem, &t.DedupeKey, &p.CustomerID, &p.Status,
		&p.Unapplied)
	if err != nil {
		return p, err
	}

	t.Direction, t.Kind = bankfile.Direction(dir), bankfile.Kind(kind)
	if booking != nil {
		t.BookingDate = *booking
	}

	if value != nil {
		t.ValueDate = *value
	}

	if err := json.Unmarshal(remits, &t.Remits); err != nil {
		return p, fmt.Errorf("decode remittance of payment %d: %w", p.ID, err)
	}

	return p, nil
}

func queryPayments(ctx context.Context, db DB, where string, args ...any) ([]PaymentRow, error) {
	rows, err := db.Query(ctx, "SELECT "+paymentColumns+" FROM payments "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("query payments: %w", err)
	}
	defer rows.Close()

	var out []PaymentRow
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, fmt.Errorf("scan payment: %w", err)
		}

		out = append(out, p)
	}

	return out, rows.Err()
}

// NewPaymentsOfFile returns a file's payments still waiting for matching, in file
// order, locking them so a concurrent matcher cannot take the same ones.
func NewPaymentsOfFile(ctx context.Context, db DB, fileID int64) ([]PaymentRow, error) {
	return queryPayments(ctx, db, `WHERE file_id = $1 AND status = 'new'
		ORDER BY seq FOR UPDATE`, fileID)
}

// PaymentsOfFile returns every payment stored from a file, in file order.
func PaymentsOfFile(ctx context.Context, db DB, fileID int64) ([]PaymentRow, error) {
	return queryPayments(ctx, db, "WHERE file_id = $1 ORDER BY seq", fileID)
}

// GetPayment returns one payment by id.
func GetPayment(ctx context.Context, db DB, id int64) (PaymentRow, error) {
	ps, err := queryPayments(ctx, db, "WHERE id = $1", id)
	if err != nil {
		return PaymentRow{}, err
	}

	if len(ps) == 0 {
		return PaymentRow{}, fmt.Errorf("payment %d: %w", id, ErrNotFound)
	}

	return ps[0], nil
}

// SetPaymentOutcome records a payment's status after matching or resolution: who
// paid (customer id, "" if unknown) and what is left unapplied.
func SetPaymentOutcome(ctx context.Context, db DB, id int64, status, customerID string,
	unapplied int64) error {
	_, err := db.Exec(ctx, `UPDATE payments SET status = $2, customer_id = NULLIF($3, ''),
		unapplied_minor = $4, updated_at = now() WHERE id = $1`, id, status, customerID, unapplied)
	if err != nil {
		return fmt.Errorf("update payment %d: %w", id, err)
	}

	return nil
}

// PaymentAmount returns the payment's amount as money.
func (p PaymentRow) PaymentAmount() money.Amount {
	return p.Tx.Amount
}

// ErrConflict is returned when a row changed under the caller (e.g. an exception
// resolved by someone else in the meantime).
var ErrConflict = errors.New("conflict")
