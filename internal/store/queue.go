package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// QueueFilter narrows the exception queue. Zero fields do not filter.
type QueueFilter struct {
	// Statuses are the exception statuses to list; none lists every status.
	Statuses []string
	// AwaitingApproval keeps only exceptions with a pending approval.
	AwaitingApproval bool
	Reasons          []string
	Currency         string
	CustomerID       string
	// Assignee keeps only exceptions given to this user; Unassigned only those
	// given to nobody.
	Assignee   string
	Unassigned bool
	// MinAge and MaxAge bound how long ago the exception was opened.
	MinAge, MaxAge time.Duration
	// MinAmount and MaxAmount bound the amount, in minor units, inclusive.
	MinAmount, MaxAmount *int64
}

// Queue sort keys. Each sorts by id last, so that the order is total.
const (
	SortCreated  = "created_at"  // created_at, id
	SortAmount   = "amount"      // currency, amount_minor, id
	SortCustomer = "customer_id" // customer_id, created_at, id
	SortReason   = "reason"      // reason, created_at, id
)

// QueueOrder is how the queue is sorted: a sort key, ascending unless Desc.
type QueueOrder struct {
	Key  string
	Desc bool
}

func (o QueueOrder) columns() ([]string, error) {
	switch o.Key {
	case SortCreated, "":
		return []string{"e.created_at", "e.id"}, nil
	case SortAmount:
		return []string{"e.currency", "e.amount_minor", "e.id"}, nil
	case SortCustomer:
		return []string{"e.customer_id", "e.created_at", "e.id"}, nil
	case SortReason:
		return []string{"e.reason", "e.created_at", "e.id"}, nil
	default:
		return nil, fmt.Errorf("sort the queue by %q: unknown key", o.Key)
	}
}

// QueueKey is a row's position in a sorted queue: a page starts after it. Only
// the fields of the order's key are used.
type QueueKey struct {
	CreatedAt time.Time
	Amount    int64
	Text      string // currency, customer id or reason
	ID        int64
}

func (k QueueKey) values(o QueueOrder) []any {
	switch o.Key {
	case SortAmount:
		return []any{k.Text, k.Amount, k.ID}
	case SortCustomer, SortReason:
		return []any{k.Text, k.CreatedAt, k.ID}
	default:
		return []any{k.CreatedAt, k.ID}
	}
}

// QueueRow is an exception as the queue lists it, with what a person needs to
// pick it: the payment's payer and references, the customer's name and the best
// candidate.
type QueueRow struct {
	ID           int64      `json:"id"`
	PaymentID    int64      `json:"payment_id"`
	Reason       string     `json:"reason"`
	Message      string     `json:"message"`
	Amount       int64      `json:"amount_minor"`
	Currency     string     `json:"currency"`
	Status       string     `json:"status"`
	Assignee     string     `json:"assignee,omitempty"`
	CustomerID   string     `json:"customer_id,omitempty"`
	CustomerName string     `json:"customer_name,omitempty"`
	ParentID     int64      `json:"parent_id,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	ResolvedAt   *time.Time `json:"resolved_at,omitempty"`
	ResolvedBy   string     `json:"resolved_by,omitempty"`
	PayerName    string     `json:"payer_name,omitempty"`
	BankRef      string     `json:"bank_ref,omitempty"`
	PaymentRef   string     `json:"payment_ref,omitempty"`
	BookingDate  *time.Time `json:"booking_date,omitempty"`
	// TopInvoice and TopScore are the best candidate's; Candidates counts them all.
	TopInvoice string  `json:"top_invoice,omitempty"`
	TopScore   float64 `json:"top_score,omitempty"`
	Candidates int     `json:"candidates"`
	// ApprovalID is the approval the exception awaits, 0 when none.
	ApprovalID int64 `json:"approval_id,omitempty"`
	Comments   int   `json:"comments"`
}

// Key returns the row's position in a queue sorted by o.
func (r QueueRow) Key(o QueueOrder) QueueKey {
	k := QueueKey{CreatedAt: r.CreatedAt, Amount: r.Amount, ID: r.ID}

	switch o.Key {
	case SortAmount:
		k.Text = r.Currency
	case SortCustomer:
		k.Text = r.CustomerID
	case SortReason:
		k.Text = r.Reason
	}

	return k
}

const queueSelect = `SELECT e.id, e.payment_id, e.reason, e.message, e.amount_minor,
		e.currency, e.status, e.assignee, e.customer_id, COALESCE(c.name, ''),
		COALESCE(e.parent_id, 0), e.created_at, e.resolved_at, e.resolved_by,
		p.payer_name, p.bank_ref, p.payment_ref, p.booking_date,
		COALESCE(e.candidates->0->>'invoice_number', ''),
		COALESCE((e.candidates->0->>'score')::float8, 0), jsonb_array_length(e.candidates),
		COALESCE((SELECT a.id FROM exception_approvals a
			WHERE a.exception_id = e.id AND a.status = 'pending'), 0),
		(SELECT count(*) FROM exception_comments k WHERE k.exception_id = e.id)
	FROM page k
	JOIN exceptions e ON e.id = k.id
	JOIN payments p ON p.id = e.payment_id
	LEFT JOIN customers c ON c.id = NULLIF(e.customer_id, '')`

func scanQueueRow(row pgx.Row) (QueueRow, error) {
	var r QueueRow

	err := row.Scan(&r.ID, &r.PaymentID, &r.Reason, &r.Message, &r.Amount, &r.Currency,
		&r.Status, &r.Assignee, &r.CustomerID, &r.CustomerName, &r.ParentID, &r.CreatedAt,
		&r.ResolvedAt, &r.ResolvedBy, &r.PayerName, &r.BankRef, &r.PaymentRef, &r.BookingDate,
		&r.TopInvoice, &r.TopScore, &r.Candidates, &r.ApprovalID, &r.Comments)

	return r, err
}

// where builds the filter's conditions on exceptions e, adding their arguments
// to args; the status and reason conditions are left out when asked.
func (f QueueFilter) where(args *[]any, withStatus, withReason bool) string {
	var conds []string

	arg := func(v any) string {
		*args = append(*args, v)
		return "$" + strconv.Itoa(len(*args))
	}

	in := func(col string, vs []string) {
		if len(vs) == 1 {
			conds = append(conds, col+" = "+arg(vs[0]))
		} else if len(vs) > 1 {
			conds = append(conds, col+" = ANY("+arg(vs)+")")
		}
	}

	if withStatus {
		in("e.status", f.Statuses)
	}

	if withReason {
		in("e.reason", f.Reasons)
	}

	if f.AwaitingApproval {
		conds = append(conds, `EXISTS (SELECT 1 FROM exception_approvals a
			WHERE a.exception_id = e.id AND a.status = 'pending')`)
	}

	if f.Currency != "" {
		conds = append(conds, "e.currency = "+arg(f.Currency))
	}

	if f.CustomerID != "" {
		conds = append(conds, "e.customer_id = "+arg(f.CustomerID))
	}

	switch {
	case f.Unassigned:
		conds = append(conds, "e.assignee = ''")
	case f.Assignee != "":
		conds = append(conds, "e.assignee = "+arg(f.Assignee))
	}

	if f.MinAge > 0 {
		conds = append(conds, "e.created_at <= now() - "+arg(f.MinAge)+"::interval")
	}

	if f.MaxAge > 0 {
		conds = append(conds, "e.created_at > now() - "+arg(f.MaxAge)+"::interval")
	}

	if f.MinAmount != nil {
		conds = append(conds, "e.amount_minor >= "+arg(*f.MinAmount))
	}

	if f.MaxAmount != nil {
		conds = append(conds, "e.amount_minor <= "+arg(*f.MaxAmount))
	}

	if len(conds) == 0 {
		return "true"
	}

	return strings.Join(conds, " AND ")
}

// queueSQL builds the listing of the rows f keeps, sorted by o, after the key
// (when not nil), at most limit rows (all when limit is 0).
func queueSQL(f QueueFilter, o QueueOrder, after *QueueKey, limit int) (string, []any,
	error) {
	cols, err := o.columns()
	if err != nil {
		return "", nil, err
	}

	var args []any
	where := f.where(&args, true, true)

	dir, cmp := "", ">"
	if o.Desc {
		dir, cmp = " DESC", "<"
	}

	if after != nil {
		vals := after.values(o)
		marks := make([]string, len(vals))
		for i, v := range vals {
			args = append(args, v)
			marks[i] = "$" + strconv.Itoa(len(args))
		}

		where += " AND (" + strings.Join(cols, ", ") + ") " + cmp + " (" +
			strings.Join(marks, ", ") + ")"
	}

	order := make([]string, len(cols))
	for i, c := range cols {
		order[i] = c + dir
	}

	// The page's ids are found in one of the queue's indexes, which hold every
	// column a filter reads; only the page's rows are then read and joined.
	page := "SELECT e.id FROM exceptions e WHERE " + where + " ORDER BY " +
		strings.Join(order, ", ")
	if limit > 0 {
		args = append(args, limit)
		page += " LIMIT $" + strconv.Itoa(len(args))
	}

	q := "WITH page AS (" + page + ") " + queueSelect + " ORDER BY " + strings.Join(order, ", ")

	return q, args, nil
}

// ExceptionQueue lists at most limit exceptions f keeps, sorted by o, starting
// after the key (from the start when nil). Rows inserted meanwhile never shift a
// page: the next page starts after the last row's key, not at an offset.
func ExceptionQueue(ctx context.Context, db DB, f QueueFilter, o QueueOrder, after *QueueKey,
	limit int) ([]QueueRow, error) {
	if limit <= 0 {
		limit = 50
	}

	out := make([]QueueRow, 0, limit)

	err := EachQueueRow(ctx, db, f, o, after, limit, func(r QueueRow) error {
		out = append(out, r)
		return nil
	})

	return out, err
}

// EachQueueRow calls fn with every exception f keeps, sorted by o, after the key
// (from the start when nil), at most limit (all when 0), as the rows arrive.
func EachQueueRow(ctx context.Context, db DB, f QueueFilter, o QueueOrder, after *QueueKey,
	limit int, fn func(QueueRow) error) error {
	q, args, err := queueSQL(f, o, after, limit)
	if err != nil {
		return err
	}

	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("query exception queue: %w", err)
	}
	defer rows.Close()

	for rows.Next() {
		r, err := scanQueueRow(rows)
		if err != nil {
			return fmt.Errorf("scan exception queue: %w", err)
		}

		if err := fn(r); err != nil {
			return err
		}
	}

	if err := rows.Err(); err != nil {
		return fmt.Errorf("query exception queue: %w", err)
	}

	return nil
}

// ActiveExceptionStatuses are the statuses that still call for work: CountQueue
// counts them whatever the filter, besides the statuses the filter names. The
// closed ones grow with history; they are counted only when asked for.
var ActiveExceptionStatuses = []string{ExceptionOpen, ExceptionRefundPending,
	ExceptionReturnPending}

// QueueCounts are the numbers of exceptions for a queue's headers. Each facet
// counts with every filter except its own: ByStatus ignores the status filter
// (it counts ActiveExceptionStatuses and those the filter names), ByReason the
// reason filter, so a header shows what choosing another status or reason would
// list.
type QueueCounts struct {
	ByStatus map[string]int `json:"by_status"`
	ByReason map[string]int `json:"by_reason"`
	// AwaitingApproval counts, among the exceptions the filter keeps, those with a
	// pending approval.
	AwaitingApproval int `json:"awaiting_approval"`
	// Total counts the exceptions the filter keeps.
	Total int `json:"total"`
}

// CountQueue counts the exceptions f keeps by status and by reason.
func CountQueue(ctx context.Context, db DB, f QueueFilter) (QueueCounts, error) {
	out := QueueCounts{ByStatus: map[string]int{}, ByReason: map[string]int{}}

	counted := append([]string(nil), ActiveExceptionStatuses...)
	for _, st := range f.Statuses {
		if !slices.Contains(counted, st) {
			counted = append(counted, st)
		}
	}

	g := f
	g.Statuses = counted
	if len(f.Statuses) == 0 {
		g.Statuses = nil
	}

	var args []any
	where := g.where(&args, true, false)

	// Pending approvals are few: they are counted from their side.
	rows, err := db.Query(ctx, `SELECT e.status, e.reason, count(*), false
			FROM exceptions e WHERE `+where+` GROUP BY e.status, e.reason
		UNION ALL
		SELECT e.status, e.reason, count(*), true
			FROM exception_approvals a JOIN exceptions e ON e.id = a.exception_id
			WHERE a.status = 'pending' AND `+where+` GROUP BY e.status, e.reason`, args...)
	if err != nil {
		return out, fmt.Errorf("count exception queue: %w", err)
	}
	defer rows.Close()

	keep := func(vs []string, v string) bool {
		if len(vs) == 0 {
			return true
		}

		for _, x := range vs {
			if x == v {
				return true
			}
		}

		return false
	}

	for rows.Next() {
		var status, reason string
		var n int
		var awaiting bool

		if err := rows.Scan(&status, &reason, &n, &awaiting); err != nil {
			return out, fmt.Errorf("scan exception queue count: %w", err)
		}

		inStatus, inReason := keep(f.Statuses, status), keep(f.Reasons, reason)

		switch {
		case awaiting:
			if inStatus && inReason {
				out.AwaitingApproval += n
			}
		default:
			if inReason {
				out.ByStatus[status] += n
			}

			if inStatus {
				out.ByReason[reason] += n
			}

			if inStatus && inReason {
				out.Total += n
			}
		}
	}

	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("count exception queue: %w", err)
	}

	return out, nil
}
