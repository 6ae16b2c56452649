package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Application sources.
const (
	SourceAuto   = "auto"   // decided by the matching engine
	SourceManual = "manual" // decided by a person resolving an exception
)

// Application is cash from one payment applied to one invoice, with the reasons.
type Application struct {
	ID            int64     `json:"id"`
	PaymentID     int64     `json:"payment_id"`
	InvoiceNumber string    `json:"invoice_number"`
	Currency      string    `json:"currency"`
	Amount        int64     `json:"amount_minor"`
	Discount      int64     `json:"discount_minor"`
	WriteOff      int64     `json:"writeoff_minor"`
	Rule          string    `json:"rule"`
	RulesVersion  string    `json:"rules_version"`
	Confidence    float64   `json:"confidence"`
	Explanation   string    `json:"explanation"`
	Source        string    `json:"source"`
	Actor         string    `json:"actor"`
	ERPState      string    `json:"erp_state"`
	ERPPaymentID  string    `json:"erp_payment_id,omitempty"`
	ERPError      string    `json:"erp_error,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
}

// Apply records an application and takes its amount, discount and write-off off
// the invoice's open amount in the same statement sequence. It fails with
// ErrOverApplied rather than take an invoice below zero, and with ErrConflict when
// the same payment was already applied to the same invoice. The caller runs it in
// a transaction together with the payment's new status.
func Apply(ctx context.Context, db DB, a Application) (Application, error) {
	open, err := ReduceOpen(ctx, db, a.InvoiceNumber, a.Amount+a.Discount+a.WriteOff)
	if err != nil {
		return a, err
	}

	err = db.QueryRow(ctx, `INSERT INTO applications (payment_id, invoice_number, currency,
			amount_minor, discount_minor, writeoff_minor, rule, rules_version, confidence,
			explanation, source, actor)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (payment_id, invoice_number) DO NOTHING
		RETURNING id, created_at, erp_state`,
		a.PaymentID, a.InvoiceNumber, a.Currency, a.Amount, a.Discount, a.WriteOff, a.Rule,
		a.RulesVersion, a.Confidence, a.Explanation, a.Source, a.Actor).
		Scan(&a.ID, &a.CreatedAt, &a.ERPState)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, fmt.Errorf("apply payment %d to %s: %w", a.PaymentID, a.InvoiceNumber,
			ErrConflict)
	}

	if err != nil {
		return a, fmt.Errorf("apply payment %d to %s: %w", a.PaymentID, a.InvoiceNumber, err)
	}

	after := map[string]any{"application": a, "invoice_open_minor": open}
	err = Audit(ctx, db, a.Actor, "apply", "payment", strconv.FormatInt(a.PaymentID, 10),
		nil, after)

	return a, err
}

const applicationColumns = `id, payment_id, invoice_number, currency, amount_minor,
	discount_minor, writeoff_minor, rule, rules_version, confidence, explanation, source,
	actor, erp_state, erp_payment_id, erp_error, created_at`

func queryApplications(ctx context.Context, db DB, where string,
	args ...any) ([]Application, error) {
	rows, err := db.Query(ctx, "SELECT "+applicationColumns+" FROM applications "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("query applications: %w", err)
	}
	defer rows.Close()

	var out []Application
	for rows.Next() {
		var a Application

		err := rows.Scan(&a.ID, &a.PaymentID, &a.InvoiceNumber, &a.Currency, &a.Amount,
			&a.Discount, &a.WriteOff, &a.Rule, &a.RulesVersion, &a.Confidence, &a.Explanation,
			&a.Source, &a.Actor, &a.ERPState, &a.ERPPaymentID, &a.ERPError, &a.CreatedAt)
		if err != nil {
			return nil, fmt.Errorf("scan application: %w", err)
		}

		out = append(out, a)
	}

	return out, rows.Err()
}

// PendingApplications returns those of ids still to be recorded in the ERP, in id
// order.
func PendingApplications(ctx context.Context, db DB, ids []int64) ([]Application, error) {
	return queryApplications(ctx, db,
		"WHERE id = ANY($1) AND erp_state = 'pending' ORDER BY id", ids)
}

// ApplicationsOfPayment returns a payment's applications in id order.
func ApplicationsOfPayment(ctx context.Context, db DB, paymentID int64) ([]Application, error) {
	return queryApplications(ctx, db, "WHERE payment_id = $1 ORDER BY id", paymentID)
}

// MarkApplicationRecorded stores the ERP's payment id for an application.
func MarkApplicationRecorded(ctx context.Context, db DB, id int64, erpPaymentID string) error {
	_, err := db.Exec(ctx, `UPDATE applications SET erp_state = 'recorded', erp_payment_id = $2,
		erp_error = '' WHERE id = $1`, id, erpPaymentID)
	if err != nil {
		return fmt.Errorf("mark application %d recorded: %w", id, err)
	}

	return Audit(ctx, db, "o2c", "erp_recorded", "application", strconv.FormatInt(id, 10),
		nil, map[string]string{"erp_payment_id": erpPaymentID})
}

// MarkApplicationFailed records that the ERP refused an application (state failed)
// or that there was nothing to record (state skipped), with the reason.
func MarkApplicationFailed(ctx context.Context, db DB, id int64, state, reason string) error {
	_, err := db.Exec(ctx, `UPDATE applications SET erp_state = $2, erp_error = $3
		WHERE id = $1`, id, state, reason)
	if err != nil {
		return fmt.Errorf("mark application %d %s: %w", id, state, err)
	}

	return Audit(ctx, db, "o2c", "erp_"+state, "application", strconv.FormatInt(id, 10),
		nil, map[string]string{"reason": reason})
}

// Candidate is an invoice an exception suggests, best first.
type Candidate struct {
	InvoiceNumber string  `json:"invoice_number"`
	CustomerID    string  `json:"customer_id,omitempty"`
	Open          int64   `json:"open_minor"`
	Score         float64 `json:"score"`
	Why           string  `json:"why"`
}

// Exception statuses.
const (
	ExceptionOpen     = "open"
	ExceptionResolved = "resolved"
	ExceptionParked   = "parked"
)

// Exception is a payment, or the rest of one, that was not applied automatically.
type Exception struct {
	ID         int64           `json:"id"`
	PaymentID  int64           `json:"payment_id"`
	Reason     string          `json:"reason"`
	Message    string          `json:"message"`
	Amount     int64           `json:"amount_minor"`
	Currency   string          `json:"currency"`
	Candidates []Candidate     `json:"candidates"`
	Status     string          `json:"status"`
	Assignee   string          `json:"assignee,omitempty"`
	Resolution json.RawMessage `json:"resolution,omitempty"`
	ResolvedBy string          `json:"resolved_by,omitempty"`
	ResolvedAt *time.Time      `json:"resolved_at,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
}

// OpenException stores a new open exception for a payment and audits it. A payment
// has at most one open exception: a second is refused with ErrConflict.
func OpenException(ctx context.Context, db DB, e Exception) (Exception, error) {
	if e.Candidates == nil {
		e.Candidates = []Candidate{}
	}

	c, err := json.Marshal(e.Candidates)
	if err != nil {
		return e, fmt.Errorf("encode candidates: %w", err)
	}

	err = db.QueryRow(ctx, `INSERT INTO exceptions (payment_id, reason, message, amount_minor,
			currency, candidates)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (payment_id) WHERE status = 'open' DO NOTHING
		RETURNING id, status, created_at`,
		e.PaymentID, e.Reason, e.Message, e.Amount, e.Currency, c).
		Scan(&e.ID, &e.Status, &e.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, fmt.Errorf("open exception for payment %d: %w", e.PaymentID, ErrConflict)
	}

	if err != nil {
		return e, fmt.Errorf("open exception for payment %d: %w", e.PaymentID, err)
	}

	err = Audit(ctx, db, "o2c", "open", "exception", strconv.FormatInt(e.ID, 10), nil, e)

	return e, err
}

const exceptionColumns = `id, payment_id, reason, message, amount_minor, currency, candidates,
	status, assignee, resolution, resolved_by, resolved_at, created_at`

func scanException(row pgx.Row) (Exception, error) {
	var e Exception
	var cands, res []byte

	err := row.Scan(&e.ID, &e.PaymentID, &e.Reason, &e.Message, &e.Amount, &e.Currency,
		&cands, &e.Status, &e.Assignee, &res, &e.ResolvedBy, &e.ResolvedAt, &e.CreatedAt)
	if err != nil {
		return e, err
	}

	e.Resolution = res
	if err := json.Unmarshal(cands, &e.Candidates); err != nil {
		return e, fmt.Errorf("decode candidates of exception %d: %w", e.ID, err)
	}

	return e, nil
}

// GetException returns one exception by id; with lock, the row is locked for the
// caller's transaction.
func GetException(ctx context.Context, db DB, id int64, lock bool) (Exception, error) {
	q := "SELECT " + exceptionColumns + " FROM exceptions WHERE id = $1"
	if lock {
		q += " FOR UPDATE"
	}

	e, err := scanException(db.QueryRow(ctx, q, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return e, fmt.Errorf("exception %d: %w", id, ErrNotFound)
	}

	if err != nil {
		return e, fmt.Errorf("read exception %d: %w", id, err)
	}

	return e, nil
}

// ExceptionFilter narrows a listing. Zero fields do not filter.
type ExceptionFilter struct {
	Status   string
	Reason   string
	Assignee string
	AfterID  int64 // cursor: only ids greater than this
	Limit    int   // defaults to 100
}

// Exceptions lists exceptions in id order after the filter's cursor.
func Exceptions(ctx context.Context, db DB, f ExceptionFilter) ([]Exception, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}

	rows, err := db.Query(ctx, "SELECT "+exceptionColumns+` FROM exceptions
		WHERE ($1 = '' OR status = $1) AND ($2 = '' OR reason = $2)
			AND ($3 = '' OR assignee = $3) AND id > $4
		ORDER BY id LIMIT $5`, f.Status, f.Reason, f.Assignee, f.AfterID, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("query exceptions: %w", err)
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

// CloseException marks an open exception resolved or parked with its resolution.
func CloseException(ctx context.Context, db DB, id int64, status, actor string,
	resolution any) error {
	res, err := json.Marshal(resolution)
	if err != nil {
		return fmt.Errorf("encode resolution: %w", err)
	}

	tag, err := db.Exec(ctx, `UPDATE exceptions SET status = $2, resolution = $3,
			resolved_by = $4, resolved_at = now()
		WHERE id = $1 AND status = 'open'`, id, status, res, actor)
	if err != nil {
		return fmt.Errorf("close exception %d: %w", id, err)
	}

	if tag.RowsAffected() == 0 {
		return fmt.Errorf("close exception %d: %w", id, ErrConflict)
	}

	return Audit(ctx, db, actor, status, "exception", strconv.FormatInt(id, 10),
		map[string]string{"status": ExceptionOpen}, map[string]any{
			"status": status, "resolution": json.RawMessage(res)})
}

// ExceptionCounts returns the number of open exceptions per reason.
func ExceptionCounts(ctx context.Context, db DB) (map[string]int, error) {
	rows, err := db.Query(ctx, `SELECT reason, count(*) FROM exceptions
		WHERE status = 'open' GROUP BY reason`)
	if err != nil {
		return nil, fmt.Errorf("count exceptions: %w", err)
	}
	defer rows.Close()

	out := map[string]int{}
	for rows.Next() {
		var r string
		var n int
		if err := rows.Scan(&r, &n); err != nil {
			return nil, fmt.Errorf("scan exception count: %w", err)
		}

		out[r] = n
	}

	return out, rows.Err()
}
