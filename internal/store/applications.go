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
)

// Application sources.
const (
	SourceAuto   = "auto"   // decided by the matching engine
	SourceManual = "manual" // decided by a person resolving an exception
)

// Application is cash from one payment applied to one invoice, with the reasons.
type Application struct {
	ID             int64     `json:"id"`
	PaymentID      int64     `json:"payment_id"`
	InvoiceNumber  string    `json:"invoice_number"`
	Currency       string    `json:"currency"`
	Amount         int64     `json:"amount_minor"`
	Discount       int64     `json:"discount_minor"`
	WriteOff       int64     `json:"writeoff_minor"`
	WriteOffReason string    `json:"writeoff_reason,omitempty"`
	Rule           string    `json:"rule"`
	RulesVersion   string    `json:"rules_version"`
	Confidence     float64   `json:"confidence"`
	Explanation    string    `json:"explanation"`
	Source         string    `json:"source"`
	Actor          string    `json:"actor"`
	ERPState       string    `json:"erp_state"`
	ERPPaymentID   string    `json:"erp_payment_id,omitempty"`
	ERPError       string    `json:"erp_error,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

// Apply records one application; see ApplyMany.
func Apply(ctx context.Context, db DB, a Application) (Application, error) {
	out, err := ApplyMany(ctx, db, []Application{a})
	if err != nil {
		return a, err
	}

	return out[0], nil
}

// ApplyMany records applications and takes their amounts, discounts and
// write-offs off the invoices' open amounts, in a few set-based statements. It
// fails with ErrOverApplied rather than take any invoice below zero, and with
// ErrConflict when a payment was already applied to the same invoice; the caller
// runs it in a transaction, so either every application is recorded or none.
func ApplyMany(ctx context.Context, db DB, apps []Application) ([]Application, error) {
	if len(apps) == 0 {
		return nil, nil
	}

	open, err := reduceOpenMany(ctx, db, apps)
	if err != nil {
		return nil, err
	}

	n := len(apps)
	pay, amt, disc, wo := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	inv, cur := make([]string, n), make([]string, n)
	rule, ver := make([]string, n), make([]string, n)
	expl, src, actor, why := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n)
	conf := make([]float64, n)

	for i, a := range apps {
		pay[i], inv[i], cur[i], amt[i], disc[i], wo[i] = a.PaymentID, a.InvoiceNumber,
			a.Currency, a.Amount, a.Discount, a.WriteOff
		rule[i], ver[i], conf[i], expl[i], src[i], actor[i] = a.Rule, a.RulesVersion,
			a.Confidence, a.Explanation, a.Source, a.Actor
		why[i] = a.WriteOffReason
	}

	rows, err := db.Query(ctx, `INSERT INTO applications (payment_id, invoice_number, currency,
			amount_minor, discount_minor, writeoff_minor, rule, rules_version, confidence,
			explanation, source, actor, writeoff_reason)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[],
			$6::bigint[], $7::text[], $8::text[], $9::float8[], $10::text[], $11::text[],
			$12::text[], $13::text[])
		ON CONFLICT (payment_id, invoice_number) WHERE reversed_at IS NULL DO NOTHING
		RETURNING id, payment_id, invoice_number, created_at, erp_state`,
		pay, inv, cur, amt, disc, wo, rule, ver, conf, expl, src, actor, why)
	if err != nil {
		return nil, fmt.Errorf("record applications: %w", err)
	}

	type key struct {
		payment int64
		invoice string
	}

	at := make(map[key]int, len(apps))
	for i, a := range apps {
		at[key{a.PaymentID, a.InvoiceNumber}] = i
	}

	out := append([]Application(nil), apps...)
	got := 0

	for rows.Next() {
		var id, payment int64
		var invoice, state string
		var created time.Time

		if err := rows.Scan(&id, &payment, &invoice, &created, &state); err != nil {
			rows.Close()
			return nil, fmt.Errorf("record applications: %w", err)
		}

		i := at[key{payment, invoice}]
		out[i].ID, out[i].CreatedAt, out[i].ERPState = id, created, state
		got++
	}

	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("record applications: %w", err)
	}

	if got != n {
		return nil, fmt.Errorf("record applications: %d of %d already recorded: %w",
			n-got, n, ErrConflict)
	}

	return out, auditApplications(ctx, db, out, open)
}

// reduceOpenMany takes each invoice's share of apps off its open amount and
// returns the new open amounts; any invoice that would go below zero fails the
// whole statement set with ErrOverApplied.
func reduceOpenMany(ctx context.Context, db DB, apps []Application) (map[string]int64, error) {
	sum := map[string]int64{}
	for _, a := range apps {
		sum[a.InvoiceNumber] += a.Amount + a.Discount + a.WriteOff
	}

	numbers := make([]string, 0, len(sum))
	for n := range sum {
		numbers = append(numbers, n)
	}

	sort.Strings(numbers)

	amounts := make([]int64, len(numbers))
	for i, n := range numbers {
		amounts[i] = sum[n]
	}

	rows, err := db.Query(ctx, `UPDATE invoices i SET open_minor = i.open_minor - d.amount,
			status = CASE WHEN i.open_minor - d.amount = 0 THEN 'paid' ELSE i.status END,
			updated_at = now()
		FROM unnest($1::text[], $2::bigint[]) AS d(number, amount)
		WHERE i.number = d.number AND i.open_minor >= d.amount AND i.status IN ('open', 'paid')
		RETURNING i.number, i.open_minor`, numbers, amounts)
	if err != nil {
		return nil, fmt.Errorf("reduce open amounts: %w", err)
	}
	defer rows.Close()

	open := make(map[string]int64, len(numbers))
	for rows.Next() {
		var n string
		var o int64
		if err := rows.Scan(&n, &o); err != nil {
			return nil, fmt.Errorf("reduce open amounts: %w", err)
		}

		open[n] = o
	}

	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reduce open amounts: %w", err)
	}

	for i, n := range numbers {
		if _, ok := open[n]; !ok {
			return nil, fmt.Errorf("apply %d to invoice %s: %w", amounts[i], n, ErrOverApplied)
		}
	}

	return open, nil
}

// auditApplications appends one audit entry per application.
func auditApplications(ctx context.Context, db DB, apps []Application,
	open map[string]int64) error {
	actors := make([]string, len(apps))
	ids := make([]string, len(apps))
	after := make([]string, len(apps))

	for i, a := range apps {
		body, err := json.Marshal(map[string]any{"application": a,
			"invoice_open_minor": open[a.InvoiceNumber]})
		if err != nil {
			return fmt.Errorf("audit applications: %w", err)
		}

		actors[i], ids[i], after[i] = a.Actor, strconv.FormatInt(a.PaymentID, 10), string(body)
	}

	_, err := db.Exec(ctx, `INSERT INTO audit_log (actor, action, entity, entity_id, after)
		SELECT a, 'apply', 'payment', id, body::jsonb
		FROM unnest($1::text[], $2::text[], $3::text[]) AS t(a, id, body)`, actors, ids, after)
	if err != nil {
		return fmt.Errorf("audit applications: %w", err)
	}

	return nil
}

const applicationColumns = `id, payment_id, invoice_number, currency, amount_minor,
	discount_minor, writeoff_minor, writeoff_reason, rule, rules_version, confidence,
	explanation, source, actor, erp_state, erp_payment_id, erp_error, created_at`

// scanApplication scans applicationColumns into a, then any extra columns.
func scanApplication(row pgx.Row, a *Application, extra ...any) error {
	return row.Scan(append([]any{&a.ID, &a.PaymentID, &a.InvoiceNumber, &a.Currency,
		&a.Amount, &a.Discount, &a.WriteOff, &a.WriteOffReason, &a.Rule, &a.RulesVersion,
		&a.Confidence, &a.Explanation, &a.Source, &a.Actor, &a.ERPState, &a.ERPPaymentID,
		&a.ERPError, &a.CreatedAt}, extra...)...)
}

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

		err := scanApplication(rows, &a)
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
		erp_error = '', erp_recorded_at = clock_timestamp() WHERE id = $1`, id, erpPaymentID)
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
	ExceptionOpen          = "open"           // waiting for ops
	ExceptionResolved      = "resolved"       // applied, written off, split or closed
	ExceptionOnAccount     = "on_account"     // the cash kept as the customer's credit
	ExceptionRefundPending = "refund_pending" // to be paid back to the payer
	ExceptionReturnPending = "return_pending" // to be returned through the bank
	ExceptionSuperseded    = "superseded"     // a remainder merged back on reopening
	// ExceptionParked is what on_account was called before; stored rows were
	// renamed and no exception takes it any more.
	ExceptionParked = "parked"
)

// Exception is a payment, or the rest of one, that was not applied automatically.
type Exception struct {
	ID         int64       `json:"id"`
	PaymentID  int64       `json:"payment_id"`
	Reason     string      `json:"reason"`
	Message    string      `json:"message"`
	Amount     int64       `json:"amount_minor"`
	Currency   string      `json:"currency"`
	Candidates []Candidate `json:"candidates"`
	Status     string      `json:"status"`
	Assignee   string      `json:"assignee,omitempty"`
	// CustomerID is the customer the payment is from, "" while unknown.
	CustomerID string `json:"customer_id,omitempty"`
	// ParentID is the exception this one holds the rest of after a split, 0 when
	// none.
	ParentID   int64           `json:"parent_id,omitempty"`
	Resolution json.RawMessage `json:"resolution,omitempty"`
	ResolvedBy string          `json:"resolved_by,omitempty"`
	ResolvedAt *time.Time      `json:"resolved_at,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
}

// OpenException stores one new open exception; see OpenExceptions.
func OpenException(ctx context.Context, db DB, e Exception) (Exception, error) {
	out, err := OpenExceptions(ctx, db, []Exception{e})
	if err != nil {
		return e, err
	}

	return out[0], nil
}

// OpenExceptions stores new open exceptions and audits them. A payment has at
// most one open exception: a second is refused with ErrConflict.
func OpenExceptions(ctx context.Context, db DB, es []Exception) ([]Exception, error) {
	if len(es) == 0 {
		return nil, nil
	}

	n := len(es)
	pay, amt := make([]int64, n), make([]int64, n)
	reason, msg, cur, cands := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n)

	for i, e := range es {
		if e.Candidates == nil {
			es[i].Candidates = []Candidate{}
		}

		c, err := json.Marshal(es[i].Candidates)
		if err != nil {
			return nil, fmt.Errorf("encode candidates: %w", err)
		}

		pay[i], amt[i], reason[i], msg[i], cur[i], cands[i] = e.PaymentID, e.Amount, e.Reason,
			e.Message, e.Currency, string(c)
	}

	rows, err := db.Query(ctx, `INSERT INTO exceptions (payment_id, reason, message, amount_minor,
			currency, candidates)
		SELECT p, r, m, a, c, cs::jsonb
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[])
			AS t(p, r, m, a, c, cs)
		ON CONFLICT (payment_id) WHERE status = 'open' DO NOTHING
		RETURNING id, payment_id, status, created_at`, pay, reason, msg, amt, cur, cands)
	if err != nil {
		return nil, fmt.Errorf("open exceptions: %w", err)
	}

	at := make(map[int64]int, n)
	for i, e := range es {
		at[e.PaymentID] = i
	}

	out := append([]Exception(nil), es...)
	got := 0

	for rows.Next() {
		var id, payment int64
		var status string
		var created time.Time

		if err := rows.Scan(&id, &payment, &status, &created); err != nil {
			rows.Close()
			return nil, fmt.Errorf("open exceptions: %w", err)
		}

		i := at[payment]
		out[i].ID, out[i].Status, out[i].CreatedAt = id, status, created
		got++
	}

	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("open exceptions: %w", err)
	}

	if got != n {
		return nil, fmt.Errorf("open exceptions: %d payments already have one: %w", n-got,
			ErrConflict)
	}

	ids, after := make([]string, n), make([]string, n)
	for i, e := range out {
		body, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("audit exceptions: %w", err)
		}

		ids[i], after[i] = strconv.FormatInt(e.ID, 10), string(body)
	}

	_, err = db.Exec(ctx, `INSERT INTO audit_log (actor, action, entity, entity_id, after)
		SELECT 'o2c', 'open', 'exception', id, body::jsonb
		FROM unnest($1::text[], $2::text[]) AS t(id, body)`, ids, after)
	if err != nil {
		return nil, fmt.Errorf("audit exceptions: %w", err)
	}

	return out, nil
}

const exceptionColumns = `id, payment_id, reason, message, amount_minor, currency, candidates,
	status, assignee, resolution, resolved_by, resolved_at, created_at, customer_id,
	COALESCE(parent_id, 0)`

func scanException(row pgx.Row) (Exception, error) {
	var e Exception
	var cands, res []byte

	err := row.Scan(&e.ID, &e.PaymentID, &e.Reason, &e.Message, &e.Amount, &e.Currency,
		&cands, &e.Status, &e.Assignee, &res, &e.ResolvedBy, &e.ResolvedAt, &e.CreatedAt,
		&e.CustomerID, &e.ParentID)
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

// CloseException gives an open exception its closing status and resolution.
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
