// Package invoices searches invoices for the people who apply cash by hand: a
// payment whose payer o2c did not recognise is placed by finding the invoice
// it pays, by number, customer, PO number, amount or dates.
package invoices

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/store"
)

// StatusAll keeps invoices of every status.
const StatusAll = "all"

// Sort directions.
const (
	Asc  = "asc"
	Desc = "desc"
)

// Page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// Statuses lists the statuses a Query may name: the invoice statuses, then
// StatusAll.
func Statuses() []string {
	return append(store.InvoiceStatuses(), StatusAll)
}

// Sorts lists the orders of a search.
func Sorts() []string {
	return []string{store.InvoiceByDue, store.InvoiceByAmount, store.InvoiceByNumber}
}

// Query is a search as its URL carries it (ParseQuery, Values).
type Query struct {
	// Text matches the start of the number, customer id, customer name or PO
	// number, or the end of the number or PO number, ignoring case.
	Text       string
	CustomerID string
	Currency   string
	// Statuses are invoice statuses or StatusAll; none means open.
	Statuses []string
	// Amount is an exact open amount, MinAmount and MaxAmount bound it: decimal
	// strings in Currency.
	Amount, MinAmount, MaxAmount string
	// IssuedFrom... are dates (2026-09-14), both ends included.
	IssuedFrom, IssuedTo, DueFrom, DueTo string
	// Sort is store.InvoiceByDue (the default), InvoiceByAmount or InvoiceByNumber.
	Sort   string
	Dir    string // Asc or Desc; the sort's default when ""
	Cursor string // NextCursor of the previous page
	Limit  int    // DefaultLimit when 0, at most MaxLimit
}

// Params are the URL parameters ParseQuery reads.
var Params = []string{"q", "customer", "currency", "status", "amount", "min_amount",
	"max_amount", "issued_from", "issued_to", "due_from", "due_to", "sort", "dir", "cursor",
	"limit"}

// fieldErrors collects the refused parameters of one query.
type fieldErrors []exceptions.FieldError

func (f *fieldErrors) add(field, format string, args ...any) {
	*f = append(*f, exceptions.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}

	return &exceptions.ValidationError{Fields: f}
}

// checkText says what is wrong with a text parameter, "" when nothing.
func checkText(s string, max int) string {
	switch {
	case !utf8.ValidString(s):
		return "is not valid UTF-8 text"
	case len(s) > max:
		return fmt.Sprintf("is longer than %d bytes", max)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "holds control characters"
	}

	return ""
}

// ParseQuery reads a Query from URL parameters (Params); status may be repeated
// or comma-separated. Wrong values are refused with an
// *exceptions.ValidationError naming the parameters; parameters it does not
// read are ignored (see ParseQueryStrict).
func ParseQuery(v url.Values) (Query, error) {
	var q Query
	var errs fieldErrors

	q.Text = strings.TrimSpace(v.Get("q"))
	q.CustomerID = strings.TrimSpace(v.Get("customer"))

	for key, s := range map[string]string{"q": q.Text, "customer": q.CustomerID} {
		if msg := checkText(s, 200); msg != "" {
			errs.add(key, "%s", msg)
		}
	}

	q.Currency = strings.ToUpper(strings.TrimSpace(v.Get("currency")))
	if q.Currency != "" && !money.ValidCurrency(q.Currency) {
		errs.add("currency", "%q is not an ISO 4217 currency", q.Currency)
	}

	for _, s := range v["status"] {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" && !slices.Contains(q.Statuses, p) {
				q.Statuses = append(q.Statuses, p)
			}
		}
	}

	for _, s := range q.Statuses {
		if !slices.Contains(Statuses(), s) {
			errs.add("status", "%q is not one of %s", s, strings.Join(Statuses(), ", "))
		}
	}

	q.Amount = strings.TrimSpace(v.Get("amount"))
	q.MinAmount = strings.TrimSpace(v.Get("min_amount"))
	q.MaxAmount = strings.TrimSpace(v.Get("max_amount"))
	q.IssuedFrom = strings.TrimSpace(v.Get("issued_from"))
	q.IssuedTo = strings.TrimSpace(v.Get("issued_to"))
	q.DueFrom = strings.TrimSpace(v.Get("due_from"))
	q.DueTo = strings.TrimSpace(v.Get("due_to"))
	q.Sort, q.Dir = strings.TrimSpace(v.Get("sort")), strings.TrimSpace(v.Get("dir"))
	q.Cursor = v.Get("cursor")

	if s := strings.TrimSpace(v.Get("limit")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			errs.add("limit", "must be a whole number from 1 to %d", MaxLimit)
		}

		q.Limit = n
	}

	if err := errs.err(); err != nil {
		return q, err
	}

	if _, err := q.filter(); err != nil {
		return q, err
	}

	if _, _, err := q.order(); err != nil {
		return q, err
	}

	if _, err := q.after(); err != nil {
		return q, err
	}

	return q, nil
}

// ParseQueryStrict is ParseQuery for scripts: a parameter it does not read (a
// misspelt "currancy=EUR") is refused instead of being ignored, so a filter
// never silently widens.
func ParseQueryStrict(v url.Values) (Query, error) {
	var errs fieldErrors

	for _, k := range slices.Sorted(maps.Keys(v)) {
		if !slices.Contains(Params, k) {
			errs.add(k, "is not a parameter of the invoice search: use %s",
				strings.Join(Params, ", "))
		}
	}

	if err := errs.err(); err != nil {
		return Query{}, err
	}

	return ParseQuery(v)
}

// Values writes q as URL parameters, the form ParseQuery reads; zero fields are
// left out.
func (q Query) Values() url.Values {
	v := url.Values{}

	for _, kv := range [][2]string{{"q", q.Text}, {"customer", q.CustomerID},
		{"currency", q.Currency}, {"status", strings.Join(q.Statuses, ",")},
		{"amount", q.Amount}, {"min_amount", q.MinAmount}, {"max_amount", q.MaxAmount},
		{"issued_from", q.IssuedFrom}, {"issued_to", q.IssuedTo}, {"due_from", q.DueFrom},
		{"due_to", q.DueTo}, {"sort", q.Sort}, {"dir", q.Dir}, {"cursor", q.Cursor}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}

	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}

	return v
}

// WithCursor returns q asking for the page at cursor ("" for the first page).
func (q Query) WithCursor(cursor string) Query {
	q.Cursor = cursor
	return q
}

// filter turns q into the store's filter.
func (q Query) filter() (store.InvoiceFilter, error) {
	f := store.InvoiceFilter{Text: q.Text, CustomerID: q.CustomerID, Currency: q.Currency}

	var errs fieldErrors

	switch {
	case len(q.Statuses) == 0:
		f.Statuses = []string{store.InvoiceOpen}
	case slices.Contains(q.Statuses, StatusAll):
		if len(q.Statuses) > 1 {
			errs.add("status", "%s cannot be combined with other statuses", StatusAll)
		}
	default:
		f.Statuses = slices.Sorted(slices.Values(q.Statuses))
	}

	amounts := []struct {
		key, s string
		to     **int64
	}{{"amount", q.Amount, &f.OpenAmount}, {"min_amount", q.MinAmount, &f.MinOpen},
		{"max_amount", q.MaxAmount, &f.MaxOpen}}

	for _, a := range amounts {
		if a.s == "" {
			continue
		}

		if q.Currency == "" {
			errs.add("currency", "an amount needs a currency")
			break
		}

		m, err := money.Parse(a.s, q.Currency)
		switch {
		case err != nil:
			errs.add(a.key, "%v", err)
		case m.Minor < 0:
			errs.add(a.key, "must not be negative")
		default:
			*a.to = &m.Minor
		}
	}

	if f.MinOpen != nil && f.MaxOpen != nil && *f.MinOpen > *f.MaxOpen {
		errs.add("max_amount", "must not be below min_amount")
	}

	dates := []struct {
		key, s string
		to     *time.Time
	}{{"issued_from", q.IssuedFrom, &f.IssuedFrom}, {"issued_to", q.IssuedTo, &f.IssuedTo},
		{"due_from", q.DueFrom, &f.DueFrom}, {"due_to", q.DueTo, &f.DueTo}}

	for _, d := range dates {
		if d.s == "" {
			continue
		}

		t, err := time.Parse(time.DateOnly, d.s)
		if err != nil || t.Year() < 1900 || t.Year() > 9999 {
			errs.add(d.key, "must be a date such as 2026-09-14")
			continue
		}

		*d.to = t
	}

	if !f.IssuedFrom.IsZero() && !f.IssuedTo.IsZero() && f.IssuedTo.Before(f.IssuedFrom) {
		errs.add("issued_to", "must not be before issued_from")
	}

	if !f.DueFrom.IsZero() && !f.DueTo.IsZero() && f.DueTo.Before(f.DueFrom) {
		errs.add("due_to", "must not be before due_from")
	}

	return f, errs.err()
}

// order returns the store's order of q and the sort and direction it means.
func (q Query) order() (store.InvoiceOrder, [2]string, error) {
	key, dir := q.Sort, q.Dir
	if key == "" {
		key = store.InvoiceByDue
	}

	var errs fieldErrors

	if !slices.Contains(Sorts(), key) {
		errs.add("sort", "must be %s", strings.Join(Sorts(), ", "))
	}

	if dir == "" {
		dir = Asc
		if key == store.InvoiceByAmount {
			dir = Desc
		}
	}

	if dir != Asc && dir != Desc {
		errs.add("dir", "must be %s or %s", Asc, Desc)
	}

	return store.InvoiceOrder{Key: key, Desc: dir == Desc}, [2]string{key, dir}, errs.err()
}

// cursor is a page's position, opaque to callers.
type cursor struct {
	Sort   string    `json:"s"`
	Desc   bool      `json:"d"`
	Due    time.Time `json:"t"`
	Amount int64     `json:"a,omitempty"`
	Number string    `json:"n"`
}

func encodeCursor(o store.InvoiceOrder, k store.InvoiceKey) string {
	b, _ := json.Marshal(cursor{Sort: o.Key, Desc: o.Desc, Due: k.Due, Amount: k.Amount,
		Number: k.Number})

	return base64.RawURLEncoding.EncodeToString(b)
}

// after reads q's cursor: nil for the first page.
func (q Query) after() (*store.InvoiceKey, error) {
	if q.Cursor == "" {
		return nil, nil
	}

	o, _, err := q.order()
	if err != nil {
		return nil, err
	}

	var c cursor

	b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}

	var errs fieldErrors

	switch {
	case err != nil || c.Number == "":
		errs.add("cursor", "not a cursor of the invoice search")
	case c.Sort != o.Key || c.Desc != o.Desc:
		errs.add("cursor", "the cursor belongs to another sort order: start again without it")
	}

	if err := errs.err(); err != nil {
		return nil, err
	}

	return &store.InvoiceKey{Due: c.Due, Amount: c.Amount, Number: c.Number}, nil
}

// Page is one page of a search.
type Page struct {
	Invoices []store.InvoiceHit `json:"invoices"`
	// NextCursor asks for the next page (Query.WithCursor); "" on the last page.
	NextCursor string `json:"next_cursor"`
	Sort       string `json:"sort"`
	Dir        string `json:"dir"`
	Limit      int    `json:"limit"`
}

// Explain returns the plan PostgreSQL runs Search(ctx, db, q) with, executed
// (EXPLAIN ANALYZE): for checking that a search is served by indexes.
func Explain(ctx context.Context, db store.DB, q Query) (string, error) {
	f, err := q.filter()
	if err != nil {
		return "", err
	}

	o, _, err := q.order()
	if err != nil {
		return "", err
	}

	after, err := q.after()
	if err != nil {
		return "", err
	}

	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}

	return store.ExplainSearchInvoices(ctx, db, f, o, after, limit+1)
}

// Search returns the page of invoices q asks for. A page continues after the
// last row of the one before, so invoices changing meanwhile never make a row
// repeat.
func Search(ctx context.Context, db store.DB, q Query) (Page, error) {
	f, err := q.filter()
	if err != nil {
		return Page{}, err
	}

	o, named, err := q.order()
	if err != nil {
		return Page{}, err
	}

	after, err := q.after()
	if err != nil {
		return Page{}, err
	}

	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}

	rows, err := store.SearchInvoices(ctx, db, f, o, after, limit+1)
	if err != nil {
		return Page{}, err
	}

	p := Page{Invoices: rows, Sort: named[0], Dir: named[1], Limit: limit}
	if len(rows) > limit {
		p.Invoices = rows[:limit]
		p.NextCursor = encodeCursor(o, p.Invoices[limit-1].Key())
	}

	return p, nil
}
