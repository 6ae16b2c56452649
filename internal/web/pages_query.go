package web

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/store"
)

// The read-only queries of the pages that package store has no function for: the
// file history's search, a file's payments a page at a time and the audit log's
// filters. They select with keyset cursors (an id or a position), never an offset,
// so a page deep in a long history costs what the first one does.

// conds builds a WHERE clause with numbered parameters.
type conds struct {
	where []string
	args  []any
}

// add appends cond with each "?" standing for v.
func (c *conds) add(cond string, v any) {
	c.args = append(c.args, v)
	c.where = append(c.where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(c.args))))
}

// arg adds v as a parameter and returns its placeholder.
func (c *conds) arg(v any) string {
	c.args = append(c.args, v)
	return "$" + strconv.Itoa(len(c.args))
}

func (c *conds) sql() string {
	if len(c.where) == 0 {
		return ""
	}

	return " WHERE " + strings.Join(c.where, " AND ")
}

// likePattern matches s anywhere, with LIKE's wildcards in s taken literally.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// span is a range of days in UTC: From is inclusive, To the last day included.
type span struct {
	From, To time.Time
}

func (sp span) addTo(c *conds, column string) {
	if !sp.From.IsZero() {
		c.add(column+" >= ?", sp.From)
	}

	if !sp.To.IsZero() {
		c.add(column+" < ?", sp.To.AddDate(0, 0, 1))
	}
}

// keyset is where a page starts in a list ordered by id, newest first: Before
// asks for older rows than an id (the next page), After for newer ones (the
// previous page).
type keyset struct {
	Before, After int64
	Limit         int
}

// fileFilter selects bank files for the history.
type fileFilter struct {
	// Name is part of the file name, in any case.
	Name   string
	Format string
	Status string
	span
	keyset
}

// searchFiles returns the files f selects, newest first, and whether there are more
// beyond the page in the direction it was read.
func searchFiles(ctx context.Context, db store.DB, f fileFilter) ([]store.BankFile, bool,
	error) {
	var c conds

	if f.Name != "" {
		c.add(`name ILIKE ?`, likePattern(f.Name))
	}

	if f.Format != "" {
		c.add("format = ?", f.Format)
	}

	if f.Status != "" {
		c.add("status = ?", f.Status)
	}

	f.span.addTo(&c, "received_at")

	order := "id DESC"

	switch {
	case f.Before > 0:
		c.add("id < ?", f.Before)
	case f.After > 0:
		c.add("id > ?", f.After)
		order = "id ASC"
	}

	q := `SELECT id, name, sha256, size_bytes, format, encoding, status, error, problems,
		warnings, controls, transactions, payments_new, duplicates, uploaded_by, received_at,
		processed_at FROM bank_files` + c.sql() + " ORDER BY " + order + " LIMIT " +
		c.arg(f.Limit+1)

	rows, err := db.Query(ctx, q, c.args...)
	if err != nil {
		return nil, false, fmt.Errorf("search bank files: %w", err)
	}
	defer rows.Close()

	var out []store.BankFile

	for rows.Next() {
		var bf store.BankFile
		var problems, warnings []byte

		err := rows.Scan(&bf.ID, &bf.Name, &bf.SHA256, &bf.Size, &bf.Format, &bf.Encoding,
			&bf.Status, &bf.Error, &problems, &warnings, &bf.Controls, &bf.Transactions,
			&bf.PaymentsNew, &bf.Duplicates, &bf.UploadedBy, &bf.ReceivedAt, &bf.ProcessedAt)
		if err != nil {
			return nil, false, fmt.Errorf("search bank files: %w", err)
		}

		if err := json.Unmarshal(problems, &bf.Problems); err != nil {
			return nil, false, fmt.Errorf("decode problems of file %d: %w", bf.ID, err)
		}

		if err := json.Unmarshal(warnings, &bf.Warnings); err != nil {
			return nil, false, fmt.Errorf("decode warnings of file %d: %w", bf.ID, err)
		}

		out = append(out, bf)
	}

	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("search bank files: %w", err)
	}

	more := len(out) > f.Limit
	out = out[:min(len(out), f.Limit)]

	if order == "id ASC" {
		slices.Reverse(out)
	}

	return out, more, nil
}

// filePayment is one payment of a file as the result page and the API list it.
type filePayment struct {
	store.PaymentRow
	// ExceptionID is the payment's open exception, 0 when none.
	ExceptionID int64 `json:"exception_id,omitempty"`
}

const filePaymentColumns = `p.id, p.file_id, p.seq, p.line, p.account, p.direction, p.kind,
	p.amount_minor, p.currency, p.booking_date, p.value_date, p.bank_ref, p.end_to_end_id,
	p.payment_ref, p.payer_name, p.payer_account, p.payer_id, p.remittance, p.remits,
	p.return_code, p.original_ref, p.problem, p.dedupe_key, COALESCE(p.customer_id, ''),
	p.status, p.unapplied_minor, p.decision, COALESCE(e.id, 0)`

// filePayments calls fn with the payments of a file in file order: those after
// position after, or when before is above 0 the last ones before it; at most limit
// (0: all). It returns whether more lie beyond in the direction read.
func filePayments(ctx context.Context, db store.DB, fileID int64, after, before, limit int,
	fn func(filePayment) error) (bool, error) {
	var c conds

	c.add("p.file_id = ?", fileID)

	order := "p.seq"
	if before > 0 {
		c.add("p.seq < ?", before)
		order = "p.seq DESC"
	} else {
		c.add("p.seq > ?", after)
	}

	q := "SELECT " + filePaymentColumns + ` FROM payments p
		LEFT JOIN exceptions e ON e.payment_id = p.id AND e.status = 'open'` + c.sql() +
		" ORDER BY " + order
	if limit > 0 {
		q += " LIMIT " + c.arg(limit+1)
	}

	rows, err := db.Query(ctx, q, c.args...)
	if err != nil {
		return false, fmt.Errorf("query payments of file %d: %w", fileID, err)
	}
	defer rows.Close()

	var page []filePayment

	n := 0
	for rows.Next() {
		if n++; limit > 0 && n > limit {
			break
		}

		p, err := scanFilePayment(rows)
		if err != nil {
			return false, fmt.Errorf("scan payment of file %d: %w", fileID, err)
		}

		// A page read backwards is turned around before it is handed out.
		if before > 0 {
			page = append(page, p)
			continue
		}

		if err := fn(p); err != nil {
			return false, err
		}
	}

	rows.Close()

	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("query payments of file %d: %w", fileID, err)
	}

	slices.Reverse(page)

	for _, p := range page {
		if err := fn(p); err != nil {
			return false, err
		}
	}

	return limit > 0 && n > limit, nil
}

func scanFilePayment(row pgx.Row) (filePayment, error) {
	var p filePayment
	var dir, kind string
	var booking, value *time.Time
	var remits, decision []byte

	t := &p.Tx

	err := row.Scan(&p.ID, &p.FileID, &t.Seq, &t.Line, &t.Account, &dir, &kind,
		&t.Amount.Minor, &t.Amount.Currency, &booking, &value, &t.BankRef, &t.EndToEndID,
		&t.PaymentRef, &t.PayerName, &t.PayerAccount, &t.PayerID, &t.Remittance, &remits,
		&t.ReturnCode, &t.OriginalRef, &t.Problem, &t.DedupeKey, &p.CustomerID, &p.Status,
		&p.Unapplied, &decision, &p.ExceptionID)
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

// statusSum is how many of a file's payments have one status in one currency, and
// their totals.
type statusSum struct {
	Status    string `json:"status"`
	Currency  string `json:"currency"`
	Count     int    `json:"count"`
	Total     int64  `json:"total_minor"`
	Unapplied int64  `json:"unapplied_minor"`
}

// fileSums returns a file's stored payments summed by status and currency, and the
// accounts they were booked on (at most 20).
func fileSums(ctx context.Context, db store.DB, fileID int64) ([]statusSum, []string, error) {
	rows, err := db.Query(ctx, `SELECT status, currency, count(*), sum(amount_minor),
			sum(unapplied_minor)
		FROM payments WHERE file_id = $1 GROUP BY status, currency ORDER BY currency, status`,
		fileID)
	if err != nil {
		return nil, nil, fmt.Errorf("sum payments of file %d: %w", fileID, err)
	}

	sums, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (statusSum, error) {
		var s statusSum
		err := row.Scan(&s.Status, &s.Currency, &s.Count, &s.Total, &s.Unapplied)

		return s, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("sum payments of file %d: %w", fileID, err)
	}

	rows, err = db.Query(ctx, `SELECT DISTINCT account FROM payments
		WHERE file_id = $1 AND account <> '' ORDER BY account LIMIT 20`, fileID)
	if err != nil {
		return nil, nil, fmt.Errorf("list accounts of file %d: %w", fileID, err)
	}

	accounts, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, nil, fmt.Errorf("list accounts of file %d: %w", fileID, err)
	}

	return sums, accounts, nil
}

// auditFilter selects audit log entries.
type auditFilter struct {
	Actor    string
	Entity   string
	EntityID string
	Action   string
	span
	keyset
}

func (f auditFilter) conds() conds {
	var c conds

	for _, x := range []struct{ col, v string }{{"actor", f.Actor}, {"entity", f.Entity},
		{"entity_id", f.EntityID}, {"action", f.Action}} {
		if x.v != "" {
			c.add(x.col+" = ?", x.v)
		}
	}

	f.span.addTo(&c, "at")

	return c
}

// auditEntries calls fn with the entries f selects, newest first (a page of
// f.Limit when it is above 0, else all), and returns whether more lie beyond the
// page in the direction read.
func auditEntries(ctx context.Context, db store.DB, f auditFilter,
	fn func(store.AuditEntry) error) (bool, error) {
	c := f.conds()

	order := "id DESC"

	switch {
	case f.Before > 0:
		c.add("id < ?", f.Before)
	case f.After > 0:
		c.add("id > ?", f.After)
		order = "id ASC"
	}

	q := `SELECT id, at, actor, action, entity, entity_id, before, after FROM audit_log` +
		c.sql() + " ORDER BY " + order
	if f.Limit > 0 {
		q += " LIMIT " + c.arg(f.Limit+1)
	}

	rows, err := db.Query(ctx, q, c.args...)
	if err != nil {
		return false, fmt.Errorf("query audit log: %w", err)
	}
	defer rows.Close()

	var page []store.AuditEntry

	n := 0
	for rows.Next() {
		if n++; f.Limit > 0 && n > f.Limit {
			break
		}

		var e store.AuditEntry
		var before, after []byte

		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Entity, &e.EntityID,
			&before, &after); err != nil {
			return false, fmt.Errorf("scan audit log: %w", err)
		}

		e.Before, e.After = before, after

		// A page read backwards is turned around before it is handed out.
		if order == "id ASC" {
			page = append(page, e)
			continue
		}

		if err := fn(e); err != nil {
			return false, err
		}
	}

	rows.Close()

	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("query audit log: %w", err)
	}

	slices.Reverse(page)

	for _, e := range page {
		if err := fn(e); err != nil {
			return false, err
		}
	}

	return f.Limit > 0 && n > f.Limit, nil
}
