package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Payment statuses set by ops: the cash is to go back to the payer.
const (
	PaymentRefundPending = "refund_pending" // to be refunded to the payer
	PaymentReturnPending = "return_pending" // to be returned through the bank
)

// LockPayment returns one payment by id, locked for the caller's transaction.
func LockPayment(ctx context.Context, db DB, id int64) (PaymentRow, error) {
	ps, err := queryPayments(ctx, db, "WHERE id = $1 FOR UPDATE", id)
	if err != nil {
		return PaymentRow{}, err
	}

	if len(ps) == 0 {
		return PaymentRow{}, fmt.Errorf("payment %d: %w", id, ErrNotFound)
	}

	return ps[0], nil
}

// ExceptionsOfPayment returns every exception of a payment, in id order.
func ExceptionsOfPayment(ctx context.Context, db DB, paymentID int64) ([]Exception, error) {
	rows, err := db.Query(ctx, "SELECT "+exceptionColumns+
		" FROM exceptions WHERE payment_id = $1 ORDER BY id", paymentID)
	if err != nil {
		return nil, fmt.Errorf("query exceptions of payment %d: %w", paymentID, err)
	}
	defer rows.Close()

	var out []Exception
	for rows.Next() {
		e, err := scanException(rows)
		if err != nil {
			return nil, fmt.Errorf("scan exception: %w", err)
		}

		out = append(out, e)
	}

	return out, rows.Err()
}

// SetExceptionLinks records the customer of an exception's payment ("" leaves it
// as it is) and the exception it holds the rest of (0 leaves it as it is).
func SetExceptionLinks(ctx context.Context, db DB, id int64, customerID string,
	parentID int64) error {
	_, err := db.Exec(ctx, `UPDATE exceptions SET
			customer_id = CASE WHEN $2 = '' THEN customer_id ELSE $2 END,
			parent_id = CASE WHEN $3 = 0 THEN parent_id ELSE $3 END
		WHERE id = $1`, id, customerID, parentID)
	if err != nil {
		return fmt.Errorf("link exception %d: %w", id, err)
	}

	return nil
}

// SetAssignee gives an exception to assignee ("" for nobody).
func SetAssignee(ctx context.Context, db DB, id int64, assignee string) error {
	_, err := db.Exec(ctx, "UPDATE exceptions SET assignee = $2 WHERE id = $1", id, assignee)
	if err != nil {
		return fmt.Errorf("assign exception %d: %w", id, err)
	}

	return nil
}

// ReopenException opens a closed exception again, forgetting its resolution, and
// audits it with what it was (before) and why (after). It fails with ErrConflict
// when the exception is open or its payment has another open exception.
func ReopenException(ctx context.Context, db DB, id int64, actor string, before,
	after any) error {
	tag, err := db.Exec(ctx, `UPDATE exceptions SET status = 'open', resolution = NULL,
			resolved_by = '', resolved_at = NULL
		WHERE id = $1 AND status <> 'open'`, id)
	if err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("reopen exception %d: its payment has another open exception: %w",
				id, ErrConflict)
		}

		return fmt.Errorf("reopen exception %d: %w", id, err)
	}

	if tag.RowsAffected() == 0 {
		return fmt.Errorf("reopen exception %d: %w", id, ErrConflict)
	}

	return Audit(ctx, db, actor, "reopen", "exception", strconv.FormatInt(id, 10), before, after)
}

// UnapplyApplications reverses the standing applications among ids, as a return
// does but without a return payment: each is marked reversed with reason (the
// row stays), its cash, discount and write-off go back on its invoice, which is
// open again, and one not yet recorded in the ERP is marked skipped. The caller
// publishes the reversed ids so the ERP deletes the payments it recorded; it
// runs this in a transaction. It returns the reversed applications.
func UnapplyApplications(ctx context.Context, db DB, ids []int64,
	reason string) ([]ReversedApplication, error) {
	if len(ids) == 0 {
		return nil, nil
	}

	rows, err := db.Query(ctx, `UPDATE applications a SET reversed_at = now(),
			reversal_reason = $2,
			erp_state = CASE WHEN a.erp_state = 'pending' THEN 'skipped' ELSE a.erp_state END,
			erp_error = CASE WHEN a.erp_state = 'pending'
				THEN 'unapplied before it was recorded' ELSE a.erp_error END
		WHERE a.id = ANY($1) AND a.reversed_at IS NULL
		RETURNING `+applicationColumns+`, reversed_at`, ids, reason)
	if err != nil {
		return nil, fmt.Errorf("unapply applications: %w", err)
	}

	var out []ReversedApplication
	for rows.Next() {
		r := ReversedApplication{Reason: reason}

		if err := scanApplication(rows, &r.Application, &r.ReversedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("unapply applications: %w", err)
		}

		out = append(out, r)
	}

	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("unapply applications: %w", err)
	}

	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })

	return out, reopenInvoices(ctx, db, out)
}

// StandingApplicationsOfPayment counts a payment's applications not reversed.
func StandingApplicationsOfPayment(ctx context.Context, db DB, paymentID int64) (int, error) {
	var n int

	err := db.QueryRow(ctx, `SELECT count(*) FROM applications
		WHERE payment_id = $1 AND reversed_at IS NULL`, paymentID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count applications of payment %d: %w", paymentID, err)
	}

	return n, nil
}

// AppliedHistory is an application with its reversal, when it was undone.
type AppliedHistory struct {
	Application
	ReversedAt     *time.Time `json:"reversed_at,omitempty"`
	ReversalReason string     `json:"reversal_reason,omitempty"`
}

// ApplicationHistory returns every application of a payment, reversed ones too,
// in id order.
func ApplicationHistory(ctx context.Context, db DB, paymentID int64) ([]AppliedHistory,
	error) {
	rows, err := db.Query(ctx, "SELECT "+applicationColumns+`, reversed_at, reversal_reason
		FROM applications WHERE payment_id = $1 ORDER BY id`, paymentID)
	if err != nil {
		return nil, fmt.Errorf("query applications of payment %d: %w", paymentID, err)
	}
	defer rows.Close()

	var out []AppliedHistory
	for rows.Next() {
		var h AppliedHistory

		err := scanApplication(rows, &h.Application, &h.ReversedAt, &h.ReversalReason)
		if err != nil {
			return nil, fmt.Errorf("scan application: %w", err)
		}

		out = append(out, h)
	}

	return out, rows.Err()
}

// Comment is one remark in an exception's thread.
type Comment struct {
	ID          int64     `json:"id"`
	ExceptionID int64     `json:"exception_id"`
	Author      string    `json:"author"`
	Body        string    `json:"body"`
	CreatedAt   time.Time `json:"created_at"`
}

// AddComment appends a comment to an exception's thread and audits it.
func AddComment(ctx context.Context, db DB, exceptionID int64, author,
	body string) (Comment, error) {
	c := Comment{ExceptionID: exceptionID, Author: author, Body: body}

	err := db.QueryRow(ctx, `INSERT INTO exception_comments (exception_id, author, body)
		VALUES ($1, $2, $3) RETURNING id, created_at`, exceptionID, author, body).
		Scan(&c.ID, &c.CreatedAt)
	if err != nil {
		return c, fmt.Errorf("add comment to exception %d: %w", exceptionID, err)
	}

	return c, Audit(ctx, db, author, "comment", "exception", strconv.FormatInt(exceptionID, 10),
		nil, map[string]any{"comment_id": c.ID, "body": body})
}

// Comments returns an exception's thread, oldest first.
func Comments(ctx context.Context, db DB, exceptionID int64) ([]Comment, error) {
	rows, err := db.Query(ctx, `SELECT id, exception_id, author, body, created_at
		FROM exception_comments WHERE exception_id = $1 ORDER BY id`, exceptionID)
	if err != nil {
		return nil, fmt.Errorf("query comments of exception %d: %w", exceptionID, err)
	}
	defer rows.Close()

	var out []Comment
	for rows.Next() {
		var c Comment
		if err := rows.Scan(&c.ID, &c.ExceptionID, &c.Author, &c.Body, &c.CreatedAt); err != nil {
			return nil, fmt.Errorf("scan comment: %w", err)
		}

		out = append(out, c)
	}

	return out, rows.Err()
}

// Approval statuses.
const (
	ApprovalPending   = "pending"
	ApprovalApproved  = "approved"
	ApprovalRejected  = "rejected"
	ApprovalWithdrawn = "withdrawn" // rejected by the person who asked
)

// ApprovalWriteOff is the kind of approval a write-off above the limit needs.
const ApprovalWriteOff = "writeoff"

// Approval is an action waiting for, or decided by, a second person.
type Approval struct {
	ID          int64           `json:"id"`
	ExceptionID int64           `json:"exception_id"`
	Kind        string          `json:"kind"`
	Request     json.RawMessage `json:"request"`
	// Amount is what needs the approval (the write-off), in Currency's minor units.
	Amount       int64      `json:"amount_minor"`
	Currency     string     `json:"currency"`
	Limit        int64      `json:"limit_minor"`
	Note         string     `json:"note,omitempty"`
	Status       string     `json:"status"`
	RequestedBy  string     `json:"requested_by"`
	RequestedAt  time.Time  `json:"requested_at"`
	DecidedBy    string     `json:"decided_by,omitempty"`
	DecidedAt    *time.Time `json:"decided_at,omitempty"`
	DecisionNote string     `json:"decision_note,omitempty"`
}

const approvalColumns = `id, exception_id, kind, request, amount_minor, currency, limit_minor,
	note, status, requested_by, requested_at, decided_by, decided_at, decision_note`

func scanApproval(row pgx.Row) (Approval, error) {
	var a Approval
	var req []byte

	err := row.Scan(&a.ID, &a.ExceptionID, &a.Kind, &req, &a.Amount, &a.Currency, &a.Limit,
		&a.Note, &a.Status, &a.RequestedBy, &a.RequestedAt, &a.DecidedBy, &a.DecidedAt,
		&a.DecisionNote)
	a.Request = req

	return a, err
}

// RequestApproval stores a pending approval of a and audits it; an exception
// with an approval already pending is refused with ErrConflict.
func RequestApproval(ctx context.Context, db DB, a Approval) (Approval, error) {
	row := db.QueryRow(ctx, `INSERT INTO exception_approvals (exception_id, kind, request,
			amount_minor, currency, limit_minor, note, requested_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (exception_id) WHERE status = 'pending' DO NOTHING
		RETURNING `+approvalColumns, a.ExceptionID, a.Kind, []byte(a.Request), a.Amount,
		a.Currency, a.Limit, a.Note, a.RequestedBy)

	out, err := scanApproval(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, fmt.Errorf("exception %d already awaits an approval: %w", a.ExceptionID,
			ErrConflict)
	}

	if err != nil {
		return a, fmt.Errorf("request approval: %w", err)
	}

	return out, Audit(ctx, db, a.RequestedBy, "approval_requested", "exception",
		strconv.FormatInt(a.ExceptionID, 10), nil, out)
}

// GetApproval returns one approval; with lock, the row is locked for the
// caller's transaction.
func GetApproval(ctx context.Context, db DB, id int64, lock bool) (Approval, error) {
	q := "SELECT " + approvalColumns + " FROM exception_approvals WHERE id = $1"
	if lock {
		q += " FOR UPDATE"
	}

	a, err := scanApproval(db.QueryRow(ctx, q, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return a, fmt.Errorf("approval %d: %w", id, ErrNotFound)
	}

	if err != nil {
		return a, fmt.Errorf("read approval %d: %w", id, err)
	}

	return a, nil
}

// PendingApproval returns the approval an exception awaits, ok false when none.
func PendingApproval(ctx context.Context, db DB, exceptionID int64) (Approval, bool, error) {
	a, err := scanApproval(db.QueryRow(ctx, "SELECT "+approvalColumns+
		" FROM exception_approvals WHERE exception_id = $1 AND status = 'pending'",
		exceptionID))
	if errors.Is(err, pgx.ErrNoRows) {
		return a, false, nil
	}

	if err != nil {
		return a, false, fmt.Errorf("read approval of exception %d: %w", exceptionID, err)
	}

	return a, true, nil
}

// DecideApproval records the decision on a pending approval and audits it; one
// already decided is refused with ErrConflict.
func DecideApproval(ctx context.Context, db DB, id int64, status, actor,
	note string) (Approval, error) {
	a, err := scanApproval(db.QueryRow(ctx, `UPDATE exception_approvals SET status = $2,
			decided_by = $3, decided_at = now(), decision_note = $4
		WHERE id = $1 AND status = 'pending'
		RETURNING `+approvalColumns, id, status, actor, note))
	if errors.Is(err, pgx.ErrNoRows) {
		return a, fmt.Errorf("approval %d is not pending: %w", id, ErrConflict)
	}

	if err != nil {
		return a, fmt.Errorf("decide approval %d: %w", id, err)
	}

	action := map[string]string{ApprovalApproved: "approve", ApprovalRejected: "reject",
		ApprovalWithdrawn: "withdraw"}[status]

	return a, Audit(ctx, db, actor, action, "exception", strconv.FormatInt(a.ExceptionID, 10),
		map[string]any{"approval_id": id, "status": ApprovalPending},
		map[string]any{"approval_id": id, "status": status, "note": note})
}

// Approvals returns approvals in status ("" for all), of one exception when
// exceptionID is not 0, newest first, at most limit.
func Approvals(ctx context.Context, db DB, status string, exceptionID int64,
	limit int) ([]Approval, error) {
	rows, err := db.Query(ctx, "SELECT "+approvalColumns+` FROM exception_approvals
		WHERE ($1 = '' OR status = $1) AND ($2 = 0 OR exception_id = $2)
		ORDER BY id DESC LIMIT $3`, status, exceptionID, limit)
	if err != nil {
		return nil, fmt.Errorf("query approvals: %w", err)
	}
	defer rows.Close()

	var out []Approval
	for rows.Next() {
		a, err := scanApproval(rows)
		if err != nil {
			return nil, fmt.Errorf("scan approval: %w", err)
		}

		out = append(out, a)
	}

	return out, rows.Err()
}

// View is a queue view a user saved: a name and the queue's query string.
type View struct {
	ID        int64     `json:"id"`
	Owner     string    `json:"owner"`
	Name      string    `json:"name"`
	Query     string    `json:"query"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SaveView stores owner's view name with query, replacing the query of a view
// of that name.
func SaveView(ctx context.Context, db DB, owner, name, query string) (View, error) {
	v := View{Owner: owner, Name: name, Query: query}

	err := db.QueryRow(ctx, `INSERT INTO exception_views (owner, name, query)
		VALUES ($1, $2, $3)
		ON CONFLICT (owner, name) DO UPDATE SET query = EXCLUDED.query, updated_at = now()
		RETURNING id, created_at, updated_at`, owner, name, query).
		Scan(&v.ID, &v.CreatedAt, &v.UpdatedAt)
	if err != nil {
		return v, fmt.Errorf("save view %q: %w", name, err)
	}

	return v, nil
}

// Views returns owner's saved views by name.
func Views(ctx context.Context, db DB, owner string) ([]View, error) {
	rows, err := db.Query(ctx, `SELECT id, owner, name, query, created_at, updated_at
		FROM exception_views WHERE owner = $1 ORDER BY name, id`, owner)
	if err != nil {
		return nil, fmt.Errorf("query views: %w", err)
	}
	defer rows.Close()

	var out []View
	for rows.Next() {
		var v View
		if err := rows.Scan(&v.ID, &v.Owner, &v.Name, &v.Query, &v.CreatedAt,
			&v.UpdatedAt); err != nil {
			return nil, fmt.Errorf("scan view: %w", err)
		}

		out = append(out, v)
	}

	return out, rows.Err()
}

// GetView returns owner's view id; ErrNotFound when owner has no such view.
func GetView(ctx context.Context, db DB, owner string, id int64) (View, error) {
	v := View{ID: id, Owner: owner}

	err := db.QueryRow(ctx, `SELECT name, query, created_at, updated_at FROM exception_views
		WHERE id = $1 AND owner = $2`, id, owner).Scan(&v.Name, &v.Query, &v.CreatedAt,
		&v.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return v, fmt.Errorf("view %d: %w", id, ErrNotFound)
	}

	if err != nil {
		return v, fmt.Errorf("read view %d: %w", id, err)
	}

	return v, nil
}

// DeleteView deletes owner's view id; ErrNotFound when owner has no such view.
func DeleteView(ctx context.Context, db DB, owner string, id int64) error {
	tag, err := db.Exec(ctx, "DELETE FROM exception_views WHERE id = $1 AND owner = $2",
		id, owner)
	if err != nil {
		return fmt.Errorf("delete view %d: %w", id, err)
	}

	if tag.RowsAffected() == 0 {
		return fmt.Errorf("view %d: %w", id, ErrNotFound)
	}

	return nil
}

// isUniqueViolation reports whether PostgreSQL refused a row for a duplicate key.
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// CustomerExists reports whether a customer of that id is stored.
func CustomerExists(ctx context.Context, db DB, id string) (bool, error) {
	var ok bool

	err := db.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM customers WHERE id = $1)", id).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("read customer %s: %w", id, err)
	}

	return ok, nil
}

// CustomerName returns a customer's name, "" when there is no such customer.
func CustomerName(ctx context.Context, db DB, id string) (string, error) {
	var name string

	err := db.QueryRow(ctx, "SELECT name FROM customers WHERE id = $1", id).Scan(&name)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}

	if err != nil {
		return "", fmt.Errorf("read customer %s: %w", id, err)
	}

	return name, nil
}
