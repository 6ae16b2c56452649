package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// InvoiceHit is one invoice of a search: what a person needs to pick the
// invoice a payment pays.
type InvoiceHit struct {
	Number       string    `json:"number"`
	CustomerID   string    `json:"customer_id"`
	CustomerName string    `json:"customer_name"`
	Currency     string    `json:"currency"`
	Total        int64     `json:"total_minor"`
	Open         int64     `json:"open_minor"`
	IssueDate    time.Time `json:"issue_date"`
	DueDate      time.Time `json:"due_date"`
	PONumber     string    `json:"po_number"`
	Status       string    `json:"status"`
	ERPID        string    `json:"erp_id"`
}

// InvoiceFilter keeps the invoices of a search. Zero fields keep everything.
type InvoiceFilter struct {
	// Text keeps invoices whose number, customer id, customer name or PO number
	// starts with it, or whose number or PO number ends with it, ignoring case.
	// It is matched literally: % and _ are no wildcards.
	Text       string
	CustomerID string
	Currency   string
	// Statuses are invoice statuses (InvoiceOpen...); none keeps every status.
	Statuses []string
	// OpenAmount keeps invoices with exactly this open amount; MinOpen and
	// MaxOpen bound it. Minor units of Currency.
	OpenAmount, MinOpen, MaxOpen *int64
	// IssuedFrom, IssuedTo, DueFrom and DueTo bound the dates, both ends
	// included; the zero time is no bound.
	IssuedFrom, IssuedTo, DueFrom, DueTo time.Time
}

// Invoice search orders.
const (
	InvoiceByDue    = "due"
	InvoiceByAmount = "amount"
	InvoiceByNumber = "number"
)

// InvoiceOrder is a search's order: Key (InvoiceByDue, InvoiceByAmount,
// InvoiceByNumber), then the invoice number, both in the same direction.
type InvoiceOrder struct {
	Key  string
	Desc bool
}

// InvoiceKey is the position of a row in an InvoiceOrder, for keyset paging.
type InvoiceKey struct {
	Due    time.Time
	Amount int64
	Number string
}

// Key returns h's position in o.
func (h InvoiceHit) Key() InvoiceKey {
	return InvoiceKey{Due: h.DueDate, Amount: h.Open, Number: h.Number}
}

// escapeLike quotes the wildcards of LIKE (and its escape character) in s.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// reverseRunes reverses s character by character, as PostgreSQL's reverse does.
func reverseRunes(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}

	return string(r)
}

// SearchInvoices returns at most limit invoices f keeps, in order o, after the
// row at after (nil for the first page). Each condition is one that an index
// of migration 0019 (or an older one) serves: prefixes through text_pattern_ops
// expression indexes, suffixes through the same on the reversed text.
func SearchInvoices(ctx context.Context, db DB, f InvoiceFilter, o InvoiceOrder,
	after *InvoiceKey, limit int) ([]InvoiceHit, error) {
	sql, args := invoiceSearchSQL(f, o, after, limit)

	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("search invoices: %w", err)
	}
	defer rows.Close()

	out := []InvoiceHit{}

	for rows.Next() {
		var h InvoiceHit
		if err := rows.Scan(&h.Number, &h.CustomerID, &h.CustomerName, &h.Currency, &h.Total,
			&h.Open, &h.IssueDate, &h.DueDate, &h.PONumber, &h.Status, &h.ERPID); err != nil {
			return nil, fmt.Errorf("scan invoice: %w", err)
		}

		out = append(out, h)
	}

	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search invoices: %w", err)
	}

	return out, nil
}

// ExplainSearchInvoices runs SearchInvoices' query under EXPLAIN (ANALYZE,
// BUFFERS) and returns the plan, for checking the indexes serve a search.
func ExplainSearchInvoices(ctx context.Context, db DB, f InvoiceFilter, o InvoiceOrder,
	after *InvoiceKey, limit int) (string, error) {
	sql, args := invoiceSearchSQL(f, o, after, limit)

	rows, err := db.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+sql, args...)
	if err != nil {
		return "", fmt.Errorf("explain invoice search: %w", err)
	}
	defer rows.Close()

	var b strings.Builder

	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", fmt.Errorf("scan plan: %w", err)
		}

		b.WriteString(line + "\n")
	}

	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("explain invoice search: %w", err)
	}

	return b.String(), nil
}

// invoiceSearchSQL writes the query of SearchInvoices and its arguments.
func invoiceSearchSQL(f InvoiceFilter, o InvoiceOrder, after *InvoiceKey,
	limit int) (string, []any) {
	var where []string
	var args []any

	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}

	if t := strings.TrimSpace(f.Text); t != "" {
		p := arg(escapeLike(t))
		s := arg(escapeLike(reverseRunes(t)))
		where = append(where, fmt.Sprintf(`(lower(number) LIKE lower(%[1]s) || '%%'
			OR reverse(lower(number)) LIKE lower(%[2]s) || '%%'
			OR lower(customer_id) LIKE lower(%[1]s) || '%%'
			OR lower(customer_name) LIKE lower(%[1]s) || '%%'
			OR lower(po_number) LIKE lower(%[1]s) || '%%'
			OR reverse(lower(po_number)) LIKE lower(%[2]s) || '%%')`,
			p, s))
	}

	if f.CustomerID != "" {
		where = append(where, "customer_id = "+arg(f.CustomerID))
	}

	if f.Currency != "" {
		where = append(where, "currency = "+arg(f.Currency))
	}

	switch len(f.Statuses) {
	case 0:
	case 1:
		// A constant the planner can prove a partial index's predicate with.
		where = append(where, "status = "+quoteStatus(f.Statuses[0]))
	default:
		where = append(where, "status = ANY("+arg(f.Statuses)+"::text[])")
	}

	for _, c := range []struct {
		op string
		v  *int64
	}{{"=", f.OpenAmount}, {">=", f.MinOpen}, {"<=", f.MaxOpen}} {
		if c.v != nil {
			where = append(where, "open_minor "+c.op+" "+arg(*c.v))
		}
	}

	for _, c := range []struct {
		col, op string
		v       time.Time
	}{{"issue_date", ">=", f.IssuedFrom}, {"issue_date", "<=", f.IssuedTo},
		{"due_date", ">=", f.DueFrom}, {"due_date", "<=", f.DueTo}} {
		if !c.v.IsZero() {
			where = append(where, c.col+" "+c.op+" "+arg(c.v)+"::date")
		}
	}

	dir, cmp := "ASC", ">"
	if o.Desc {
		dir, cmp = "DESC", "<"
	}

	var order string

	switch o.Key {
	case InvoiceByAmount:
		order = "open_minor " + dir + ", number " + dir
		if after != nil {
			where = append(where, fmt.Sprintf("(open_minor, number) %s (%s, %s)", cmp,
				arg(after.Amount), arg(after.Number)))
		}
	case InvoiceByNumber:
		order = "number " + dir
		if after != nil {
			where = append(where, "number "+cmp+" "+arg(after.Number))
		}
	default:
		order = "due_date " + dir + ", number " + dir
		if after != nil {
			where = append(where, fmt.Sprintf("(due_date, number) %s (%s::date, %s)", cmp,
				arg(after.Due), arg(after.Number)))
		}
	}

	sql := `SELECT number, customer_id, customer_name, currency, total_minor, open_minor,
			issue_date, due_date, po_number, status, COALESCE(erp_id, '')
		FROM invoices`
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}

	sql += " ORDER BY " + order + " LIMIT " + arg(limit)

	return sql, args
}

// InvoiceStatuses lists the statuses an invoice may have.
func InvoiceStatuses() []string {
	return []string{InvoiceRequested, InvoiceOpen, InvoicePaid, InvoiceFailed,
		InvoiceSyncMismatch, InvoiceVoided}
}

// quoteStatus writes a known invoice status as an SQL literal; an unknown one
// becomes a literal no row has.
func quoteStatus(s string) string {
	for _, k := range InvoiceStatuses() {
		if s == k {
			return "'" + k + "'"
		}
	}

	return "'?'"
}
