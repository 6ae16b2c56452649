package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/o2c-dev/o2c/internal/reversal"
)

// PaymentReturned is the status of a payment whose money went back: an ACH
// return, a camt reversal or a recall undid it after it was stored.
const PaymentReturned = "returned"

// ERP states an application takes after its payment was returned.
const (
	ERPReversed = "reversed" // recorded in the ERP, then deleted there
	ERPSkipped  = "skipped"  // never recorded, and now never will be
)

// UnhandledReversalsOfFile returns a file's returns and reversals not yet
// handled, in file order, locking them so two handlers never act on one twice.
func UnhandledReversalsOfFile(ctx context.Context, db DB, fileID int64) ([]PaymentRow, error) {
	return queryPayments(ctx, db, `WHERE file_id = $1 AND kind IN ('return', 'reversal')
		AND reversal_handled_at IS NULL ORDER BY seq FOR UPDATE`, fileID)
}

// ReversedCandidates returns the stored incoming payments a return or reversal
// may undo: same currency and amount, and either a bank reference or an
// end-to-end id equal to its original reference, or failing that an end-to-end
// id equal to its own. Matches by bank reference come first; the rows are
// locked.
func ReversedCandidates(ctx context.Context, db DB, r PaymentRow) ([]PaymentRow, error) {
	t := r.Tx

	if t.OriginalRef != "" {
		ps, err := queryPayments(ctx, db, `WHERE direction = 'credit' AND kind = 'payment'
			AND bank_ref = $1 AND currency = $2 AND amount_minor = $3 AND id <> $4
			ORDER BY id FOR UPDATE`, t.OriginalRef, t.Amount.Currency, t.Amount.Minor, r.ID)
		if err != nil || len(ps) > 0 {
			return ps, err
		}
	}

	refs := reversal.EndToEndRefs(&t)
	if len(refs) == 0 {
		return nil, nil
	}

	return queryPayments(ctx, db, `WHERE direction = 'credit' AND kind = 'payment'
		AND end_to_end_id = ANY($1) AND currency = $2 AND amount_minor = $3 AND id <> $4
		ORDER BY id FOR UPDATE`, refs, t.Amount.Currency, t.Amount.Minor, r.ID)
}

// ReversedApplication is an application undone by a return, with the open
// amount its invoice has again.
type ReversedApplication struct {
	Application
	ReversedAt  time.Time `json:"reversed_at"`
	ReversedBy  int64     `json:"reversed_by_payment_id"`
	Reason      string    `json:"reversal_reason"`
	InvoiceOpen int64     `json:"invoice_open_minor"`
}

// ReturnPayment undoes payment original because of return (a return, reversal or
// recall payment): every application not yet reversed is marked reversed (the
// row stays), its amount, discount and write-off go back on the invoice, which is
// open again, an application not yet recorded in the ERP is marked skipped, and
// the payment becomes returned with nothing left to apply. return is marked
// handled. Everything is audited; the caller runs it in a transaction. It
// returns the reversed applications.
func ReturnPayment(ctx context.Context, db DB, original, ret PaymentRow,
	reason string) ([]ReversedApplication, error) {
	apps, err := reverseApplications(ctx, db, original.ID, ret.ID, reason)
	if err != nil {
		return nil, err
	}

	if err := reopenInvoices(ctx, db, apps); err != nil {
		return nil, err
	}

	_, err = db.Exec(ctx, `UPDATE payments SET status = 'returned', unapplied_minor = 0,
		updated_at = now() WHERE id = $1`, original.ID)
	if err != nil {
		return nil, fmt.Errorf("mark payment %d returned: %w", original.ID, err)
	}

	err = Audit(ctx, db, "o2c", "returned", "payment", strconv.FormatInt(original.ID, 10),
		map[string]any{"status": original.Status, "unapplied_minor": original.Unapplied},
		map[string]any{"status": PaymentReturned, "unapplied_minor": 0,
			"returned_by_payment_id": ret.ID, "reason": reason,
			"applications_reversed": len(apps)})
	if err != nil {
		return nil, err
	}

	return apps, MarkReversalHandled(ctx, db, ret.ID, original.ID, "undid payment "+
		strconv.FormatInt(original.ID, 10))
}

func reverseApplications(ctx context.Context, db DB, paymentID, returnID int64,
	reason string) ([]ReversedApplication, error) {
	rows, err := db.Query(ctx, `UPDATE applications a SET reversed_at = now(),
			reversed_by_payment_id = $2, reversal_reason = $3,
			erp_state = CASE WHEN a.erp_state = 'pending' THEN 'skipped' ELSE a.erp_state END,
			erp_error = CASE WHEN a.erp_state = 'pending'
				THEN 'payment returned before it was recorded' ELSE a.erp_error END
		WHERE a.payment_id = $1 AND a.reversed_at IS NULL
		RETURNING `+applicationColumns+`, reversed_at`, paymentID, returnID, reason)
	if err != nil {
		return nil, fmt.Errorf("reverse applications of payment %d: %w", paymentID, err)
	}
	defer rows.Close()

	var out []ReversedApplication
	for rows.Next() {
		r := ReversedApplication{ReversedBy: returnID, Reason: reason}
		a := &r.Application

		err := scanApplication(rows, a, &r.ReversedAt)
		if err != nil {
			return nil, fmt.Errorf("reverse applications of payment %d: %w", paymentID, err)
		}

		out = append(out, r)
	}

	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reverse applications of payment %d: %w", paymentID, err)
	}

	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })

	return out, nil
}

// reopenInvoices gives each invoice back what apps took off it and sets the new
// open amounts on apps; a paid invoice is open again.
func reopenInvoices(ctx context.Context, db DB, apps []ReversedApplication) error {
	sum := map[string]int64{}
	for _, a := range apps {
		sum[a.InvoiceNumber] += a.Amount + a.Discount + a.WriteOff
	}

	numbers := make([]string, 0, len(sum))
	for n := range sum {
		numbers = append(numbers, n)
	}

	sort.Strings(numbers)

	open := make(map[string]int64, len(numbers))

	for _, n := range numbers {
		var before, after int64
		var status string

		err := db.QueryRow(ctx, `UPDATE invoices i SET open_minor = i.open_minor + $2,
				status = CASE WHEN i.status = 'paid' THEN 'open' ELSE i.status END,
				updated_at = now()
			FROM (SELECT number, open_minor FROM invoices WHERE number = $1 FOR UPDATE) old
			WHERE i.number = old.number
			RETURNING old.open_minor, i.open_minor, i.status`, n, sum[n]).
			Scan(&before, &after, &status)
		if err != nil {
			return fmt.Errorf("reopen invoice %s: %w", n, err)
		}

		open[n] = after

		err = Audit(ctx, db, "o2c", "reopen", "invoice", n,
			map[string]int64{"open_minor": before},
			map[string]any{"open_minor": after, "status": status})
		if err != nil {
			return err
		}
	}

	for i := range apps {
		apps[i].InvoiceOpen = open[apps[i].InvoiceNumber]

		err := Audit(ctx, db, "o2c", "reverse", "application",
			strconv.FormatInt(apps[i].ID, 10), map[string]any{"reversed": false},
			apps[i])
		if err != nil {
			return err
		}
	}

	return nil
}

// MarkReversalHandled records that a return or reversal was dealt with, the
// payment it undid (0 when none) and how, so it is never acted on again.
func MarkReversalHandled(ctx context.Context, db DB, id, reverses int64, how string) error {
	tag, err := db.Exec(ctx, `UPDATE payments SET reversal_handled_at = now(),
			reverses_payment_id = NULLIF($2, 0), updated_at = now()
		WHERE id = $1 AND reversal_handled_at IS NULL`, id, reverses)
	if err != nil {
		return fmt.Errorf("mark reversal %d handled: %w", id, err)
	}

	if tag.RowsAffected() == 0 {
		return fmt.Errorf("mark reversal %d handled: %w", id, ErrConflict)
	}

	return Audit(ctx, db, "o2c", "reversal_handled", "payment", strconv.FormatInt(id, 10),
		nil, map[string]any{"reverses_payment_id": reverses, "outcome": how})
}

// AppendToOpenException adds text to the message of the payment's open
// exception and reports whether there was one.
func AppendToOpenException(ctx context.Context, db DB, paymentID int64,
	text string) (bool, error) {
	var id int64
	var before string

	err := db.QueryRow(ctx, `UPDATE exceptions e SET message = e.message || '; ' || $2
		FROM (SELECT id, message FROM exceptions WHERE payment_id = $1 AND status = 'open'
			FOR UPDATE) old
		WHERE e.id = old.id
		RETURNING e.id, old.message`, paymentID, text).Scan(&id, &before)
	if err != nil {
		if isNoRows(err) {
			return false, nil
		}

		return false, fmt.Errorf("extend exception of payment %d: %w", paymentID, err)
	}

	return true, Audit(ctx, db, "o2c", "extend", "exception", strconv.FormatInt(id, 10),
		map[string]string{"message": before}, map[string]string{"appended": text})
}

// ReversedToUnrecord returns those of ids that were reversed after being
// recorded in the ERP, whose ERP payment is still to be deleted, in id order.
func ReversedToUnrecord(ctx context.Context, db DB, ids []int64) ([]Application, error) {
	return queryApplications(ctx, db, `WHERE id = ANY($1) AND reversed_at IS NOT NULL
		AND erp_state = 'recorded' AND erp_payment_id <> '' ORDER BY id`, ids)
}

// ApplicationReversed reports whether the application was reversed.
func ApplicationReversed(ctx context.Context, db DB, id int64) (bool, error) {
	var reversed bool

	err := db.QueryRow(ctx, `SELECT reversed_at IS NOT NULL FROM applications WHERE id = $1`,
		id).Scan(&reversed)
	if err != nil {
		return false, fmt.Errorf("read application %d: %w", id, err)
	}

	return reversed, nil
}

// MarkApplicationUnrecorded records that the application's ERP payment was
// deleted after a return. It changes only a recorded application, so it reports
// false when another worker got there first.
func MarkApplicationUnrecorded(ctx context.Context, db DB, id int64) (bool, error) {
	var erpID string

	err := db.QueryRow(ctx, `UPDATE applications SET erp_state = 'reversed'
		WHERE id = $1 AND erp_state = 'recorded' RETURNING erp_payment_id`, id).Scan(&erpID)
	if isNoRows(err) {
		return false, nil
	}

	if err != nil {
		return false, fmt.Errorf("mark application %d reversed in erp: %w", id, err)
	}

	return true, Audit(ctx, db, "o2c", "erp_reversed", "application", strconv.FormatInt(id, 10),
		map[string]string{"erp_state": "recorded"},
		map[string]string{"erp_state": ERPReversed, "erp_payment_id": erpID})
}

// ReversalInfo is what a return or reversal did: the payment it undid and when.
type ReversalInfo struct {
	ReversesPaymentID int64
	HandledAt         *time.Time
}

// GetReversalInfo returns what is stored about a return or reversal payment.
func GetReversalInfo(ctx context.Context, db DB, id int64) (ReversalInfo, error) {
	var r ReversalInfo

	err := db.QueryRow(ctx, `SELECT COALESCE(reverses_payment_id, 0), reversal_handled_at
		FROM payments WHERE id = $1`, id).Scan(&r.ReversesPaymentID, &r.HandledAt)
	if isNoRows(err) {
		return r, fmt.Errorf("payment %d: %w", id, ErrNotFound)
	}

	if err != nil {
		return r, fmt.Errorf("read payment %d: %w", id, err)
	}

	return r, nil
}

func isNoRows(err error) bool {
	return errors.Is(err, pgx.ErrNoRows)
}
