package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

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
	// Decision is the matching engine's trace for this payment, when it was matched.
	Decision   json.RawMessage      `json:"decision,omitempty"`
	ID         int64                `json:"id"`
	FileID     int64                `json:"file_id"`
	CustomerID string               `json:"customer_id,omitempty"`
	Status     string               `json:"status"`
	Unapplied  int64                `json:"unapplied_minor"`
	Tx         bankfile.Transaction `json:"transaction"`
}

// insertChunk is how many transactions one INSERT stores.
const insertChunk = 5000

// InsertPayments stores a file's transactions, one row each. A transaction whose
// dedupe key is already stored (a re-sent or overlapping file) is skipped. Credits
// of kind payment start as new; everything else is stored as not cash.
func InsertPayments(ctx context.Context, db DB, fileID int64, sha string,
	txs []bankfile.Transaction) (inserted, duplicates int, err error) {
	for start := 0; start < len(txs); start += insertChunk {
		chunk := txs[start:min(start+insertChunk, len(txs))]

		n, err := insertPayments(ctx, db, fileID, sha, chunk)
		if err != nil {
			return 0, 0, err
		}

		inserted += n
		duplicates += len(chunk) - n
	}

	return inserted, duplicates, nil
}

func insertPayments(ctx context.Context, db DB, fileID int64, sha string,
	txs []bankfile.Transaction) (int, error) {
	n := len(txs)
	seq, line := make([]int32, n), make([]int32, n)
	amount := make([]int64, n)
	booking, value := make([]pgtype.Date, n), make([]pgtype.Date, n)

	var text [18][]string
	for i := range text {
		text[i] = make([]string, n)
	}

	for i, t := range txs {
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
			return 0, fmt.Errorf("encode remittance of transaction %d: %w", t.Seq, err)
		}

		seq[i], line[i], amount[i] = int32(t.Seq), int32(t.Line), t.Amount.Minor
		booking[i] = pgtype.Date{Time: t.BookingDate, Valid: !t.BookingDate.IsZero()}
		value[i] = pgtype.Date{Time: t.ValueDate, Valid: !t.ValueDate.IsZero()}

		for j, v := range []string{t.Account, string(t.Direction), string(t.Kind),
			t.Amount.Currency, t.BankRef, t.EndToEndID, t.PaymentRef, t.PayerName,
			t.PayerAccount, t.PayerID, t.Remittance, string(r), t.ReturnCode, t.OriginalRef,
			t.Problem, key, status, t.EntryKey} {
			text[j][i] = v
		}
	}

	tag, err := db.Exec(ctx, `INSERT INTO payments (file_id, seq, line, amount_minor,
			booking_date, value_date, account, direction, kind, currency, bank_ref,
			end_to_end_id, payment_ref, payer_name, payer_account, payer_id, remittance, remits,
			return_code, original_ref, problem, dedupe_key, status, unapplied_minor, entry_key)
		SELECT $1, seq, line, amount, booking, value, account, direction, kind, currency,
			bank_ref, e2e, pref, pname, pacct, pid, rmt, remits::jsonb, rc, oref, problem, k, st,
			amount, NULLIF(ek, '')
		FROM unnest($2::int[], $3::int[], $4::bigint[], $5::date[], $6::date[], $7::text[],
			$8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
			$14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[],
			$20::text[], $21::text[], $22::text[], $23::text[], $24::text[])
			AS t(seq, line, amount, booking, value, account, direction, kind, currency,
				bank_ref, e2e, pref, pname, pacct, pid, rmt, remits, rc, oref, problem, k, st, ek)
		-- The same booking reported by another file at another granularity (a
		-- batch entry, then the batch's details) is money already counted.
		WHERE ek = '' OR NOT EXISTS (SELECT 1 FROM payments p
			WHERE p.entry_key = t.ek AND p.file_id <> $1)
		ORDER BY seq
		ON CONFLICT (dedupe_key) DO NOTHING`,
		fileID, seq, line, amount, booking, value, text[0], text[1], text[2], text[3], text[4],
		text[5], text[6], text[7], text[8], text[9], text[10], text[11], text[12], text[13],
		text[14], text[15], text[16], text[17])
	if err != nil {
		return 0, fmt.Errorf("store payments of file %d: %w", fileID, err)
	}

	return int(tag.RowsAffected()), nil
}

const paymentColumns = `id, file_id, seq, line, account, direction, kind, amount_minor,
	currency, booking_date, value_date, bank_ref, end_to_end_id, payment_ref, payer_name,
	payer_account, payer_id, remittance, remits, return_code, original_ref, problem,
	dedupe_key, COALESCE(customer_id, ''), status, unapplied_minor, decision`

func scanPayment(row pgx.Row) (PaymentRow, error) {
	var p PaymentRow
	var dir, kind string
	var booking, value *time.Time
	var remits, decision []byte

	t := &p.Tx

	err := row.Scan(&p.ID, &p.FileID, &t.Seq, &t.Line, &t.Account, &dir, &kind,
		&t.Amount.Minor, &t.Amount.Currency, &booking, &value, &t.BankRef, &t.EndToEndID,
		&t.PaymentRef, &t.PayerName, &t.PayerAccount, &t.PayerID, &t.Remittance, &remits,
		&t.ReturnCode, &t.OriginalRef, &t.Problem, &t.DedupeKey, &p.CustomerID, &p.Status,
		&p.Unapplied, &decision)
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

	p.Decision = decision

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

// NewPaymentsOfFile returns up to limit of a file's payments still waiting for
// matching that come after position afterSeq, in file order, locking them so a
// concurrent matcher cannot take the same ones.
func NewPaymentsOfFile(ctx context.Context, db DB, fileID int64, afterSeq,
	limit int) ([]PaymentRow, error) {
	return queryPayments(ctx, db, `WHERE file_id = $1 AND seq > $2 AND status = 'new'
		ORDER BY seq LIMIT $3 FOR UPDATE`, fileID, afterSeq, limit)
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

// Outcome is a payment's state after matching.
type Outcome struct {
	PaymentID  int64
	Status     string
	CustomerID string
	Unapplied  int64
	// Decision is the engine's trace of the decision as JSON, nil if none.
	Decision json.RawMessage
}

// SetNewPaymentOutcomes records matching's outcome for payments still new, in one
// statement; a payment that is no longer new fails it with ErrConflict.
func SetNewPaymentOutcomes(ctx context.Context, db DB, outs []Outcome) error {
	if len(outs) == 0 {
		return nil
	}

	n := len(outs)
	ids, unapplied := make([]int64, n), make([]int64, n)
	status, customer, decision := make([]string, n), make([]string, n), make([]*string, n)

	for i, o := range outs {
		ids[i], status[i], customer[i], unapplied[i] = o.PaymentID, o.Status, o.CustomerID,
			o.Unapplied
		if o.Decision != nil {
			d := string(o.Decision)
			decision[i] = &d
		}
	}

	tag, err := db.Exec(ctx, `UPDATE payments p SET status = t.status,
			customer_id = NULLIF(t.customer, ''), unapplied_minor = t.unapplied,
			decision = t.decision::jsonb, updated_at = now()
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[])
			AS t(id, status, customer, unapplied, decision)
		WHERE p.id = t.id AND p.status = 'new'`, ids, status, customer, unapplied, decision)
	if err != nil {
		return fmt.Errorf("record payment outcomes: %w", err)
	}

	if int(tag.RowsAffected()) != n {
		return fmt.Errorf("record payment outcomes: %d of %d no longer new: %w",
			n-int(tag.RowsAffected()), n, ErrConflict)
	}

	_, err = db.Exec(ctx, `INSERT INTO audit_log (actor, action, entity, entity_id, before, after)
		SELECT 'o2c', 'match', 'payment', id::text, '{"status":"new"}'::jsonb,
			jsonb_build_object('status', status, 'customer_id', customer,
				'unapplied_minor', unapplied)
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[])
			AS t(id, status, customer, unapplied)`, ids, status, customer, unapplied)
	if err != nil {
		return fmt.Errorf("audit payment outcomes: %w", err)
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

// HoldFileCredits gives every new credit of file id that has no problem yet the
// problem reason, so matching holds it for review instead of applying it.
func HoldFileCredits(ctx context.Context, db DB, fileID int64, reason string) error {
	_, err := db.Exec(ctx, `UPDATE payments SET problem = $2
		WHERE file_id = $1 AND status = 'new' AND problem = ''`, fileID, reason)
	if err != nil {
		return fmt.Errorf("hold credits of file %d: %w", fileID, err)
	}

	return nil
}
