package exceptions

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/store"
)

// Queue statuses a Query may name besides the exception statuses.
const (
	// StatusAwaitingApproval keeps open exceptions with a write-off awaiting approval.
	StatusAwaitingApproval = "pending_approval"
	// StatusClosed keeps every status but open.
	StatusClosed = "closed"
	// StatusAll keeps every status.
	StatusAll = "all"
)

// Assignee keywords of a Query and of Assign requests through the API.
const (
	AssigneeMe     = "me"         // the person asking
	AssigneeNobody = "unassigned" // nobody
)

// Queue sort keys. Age sorts oldest first by default ("desc": the largest age
// first), customer and reason alphabetically, each then by age, then by id.
// Amount sorts by currency first (amounts in different currencies are not
// comparable), then largest amount first, then by id; with a currency filter it
// is the amount's order alone.
const (
	SortAge      = "age"
	SortAmount   = "amount"
	SortCustomer = "customer"
	SortReason   = "reason"
)

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

// Statuses lists the exception statuses a Query may name, in the order a page
// shows them, pseudo-statuses last.
func Statuses() []string {
	return []string{store.ExceptionOpen, StatusAwaitingApproval, store.ExceptionResolved,
		store.ExceptionOnAccount, store.ExceptionRefundPending, store.ExceptionReturnPending,
		store.ExceptionSuperseded, StatusClosed, StatusAll}
}

// closedStatuses are the statuses of a closed exception.
var closedStatuses = []string{store.ExceptionResolved, store.ExceptionOnAccount,
	store.ExceptionRefundPending, store.ExceptionReturnPending, store.ExceptionSuperseded}

// Query is a view of the queue: filters, sort and page, as a page's URL carries
// them (ParseQuery, Values).
type Query struct {
	// Statuses are exception statuses or the pseudo-statuses of Statuses; none
	// means open.
	Statuses []string
	Reasons  []string
	Currency string
	// CustomerID keeps one customer's exceptions.
	CustomerID string
	// Assignee keeps one user's exceptions; AssigneeMe the asker's, AssigneeNobody
	// those given to nobody.
	Assignee string
	// MinAgeDays and MaxAgeDays bound the exception's age in days; 0 is no bound.
	MinAgeDays, MaxAgeDays int
	// MinAmount and MaxAmount bound the amount, decimal strings in Currency.
	MinAmount, MaxAmount string
	Sort                 string // SortAge (the default), SortAmount, SortCustomer, SortReason
	Dir                  string // Asc or Desc; the sort's default when ""
	Cursor               string // NextCursor of the previous page
	Limit                int    // DefaultLimit when 0, at most MaxLimit
}

// ParseQuery reads a Query from URL parameters: status, reason (each repeated or
// comma-separated), currency, customer, assignee, min_age_days, max_age_days,
// min_amount, max_amount, sort, dir, cursor, limit. Wrong values are refused
// with a *ValidationError naming the parameters.
func ParseQuery(v url.Values) (Query, error) {
	var q Query
	var errs fieldErrors

	list := func(key string) []string {
		var out []string
		for _, s := range v[key] {
			for _, p := range strings.Split(s, ",") {
				if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
					out = append(out, p)
				}
			}
		}

		return out
	}

	q.Statuses = list("status")
	for _, s := range q.Statuses {
		if !slices.Contains(Statuses(), s) {
			errs.add("status", "%q is not one of %s", s, strings.Join(Statuses(), ", "))
		}
	}

	q.Reasons = list("reason")
	for _, r := range q.Reasons {
		if msg := checkText(r, 100); msg != "" {
			errs.add("reason", "%s", msg)
		}
	}

	q.Currency = strings.ToUpper(strings.TrimSpace(v.Get("currency")))
	if q.Currency != "" && !money.ValidCurrency(q.Currency) {
		errs.add("currency", "%q is not an ISO 4217 currency", q.Currency)
	}

	q.CustomerID = strings.TrimSpace(v.Get("customer"))
	q.Assignee = strings.TrimSpace(v.Get("assignee"))

	for key, msg := range map[string]string{"customer": checkText(q.CustomerID, 200),
		"assignee": checkText(q.Assignee, maxName)} {
		if msg != "" {
			errs.add(key, "%s", msg)
		}
	}

	q.MinAgeDays = intParam(&errs, v, "min_age_days", 0, 36600)
	q.MaxAgeDays = intParam(&errs, v, "max_age_days", 0, 36600)

	if q.MaxAgeDays > 0 && q.MinAgeDays >= q.MaxAgeDays {
		errs.add("max_age_days", "must be more than min_age_days")
	}

	q.MinAmount = strings.TrimSpace(v.Get("min_amount"))
	q.MaxAmount = strings.TrimSpace(v.Get("max_amount"))
	q.Sort, q.Dir = v.Get("sort"), v.Get("dir")
	q.Cursor = v.Get("cursor")
	q.Limit = intParam(&errs, v, "limit", 1, MaxLimit)

	if err := errs.err(); err != nil {
		return q, err
	}

	// Who "me" is is known when the query runs.
	if _, err := q.filter(AssigneeMe); err != nil {
		return q, err
	}

	if _, _, err := q.order(); err != nil {
		return q, err
	}

	return q, nil
}

// queryParams are the parameters ParseQuery reads.
var queryParams = []string{"status", "reason", "currency", "customer", "assignee",
	"min_age_days", "max_age_days", "min_amount", "max_amount", "sort", "dir", "cursor",
	"limit"}

// ParseQueryStrict is ParseQuery for scripts: a parameter it does not read (a
// misspelt "stauts=open") is refused instead of being ignored, so a filter
// never silently widens to the whole queue.
func ParseQueryStrict(v url.Values) (Query, error) {
	var errs fieldErrors

	keys := slices.Sorted(maps.Keys(v))
	for _, k := range keys {
		if !slices.Contains(queryParams, k) {
			errs.add(k, "is not a parameter of the queue: use %s",
				strings.Join(queryParams, ", "))
		}
	}

	if err := errs.err(); err != nil {
		return Query{}, err
	}

	return ParseQuery(v)
}

func intParam(errs *fieldErrors, v url.Values, key string, lo, hi int) int {
	s := strings.TrimSpace(v.Get(key))
	if s == "" {
		return 0
	}

	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		errs.add(key, "must be a whole number from %d to %d", lo, hi)
		return 0
	}

	return n
}

// Values writes q as URL parameters, the form ParseQuery reads; zero fields are
// left out.
func (q Query) Values() url.Values {
	v := url.Values{}

	set := func(key, val string) {
		if val != "" {
			v.Set(key, val)
		}
	}

	set("status", strings.Join(q.Statuses, ","))
	set("reason", strings.Join(q.Reasons, ","))
	set("currency", q.Currency)
	set("customer", q.CustomerID)
	set("assignee", q.Assignee)

	if q.MinAgeDays > 0 {
		set("min_age_days", strconv.Itoa(q.MinAgeDays))
	}

	if q.MaxAgeDays > 0 {
		set("max_age_days", strconv.Itoa(q.MaxAgeDays))
	}

	set("min_amount", q.MinAmount)
	set("max_amount", q.MaxAmount)
	set("sort", q.Sort)
	set("dir", q.Dir)
	set("cursor", q.Cursor)

	if q.Limit > 0 {
		set("limit", strconv.Itoa(q.Limit))
	}

	return v
}

// WithCursor returns q asking for the page at cursor ("" for the first page).
func (q Query) WithCursor(cursor string) Query {
	q.Cursor = cursor
	return q
}

// filter turns q into the store's filter, as seen by the user me.
func (q Query) filter(me string) (store.QueueFilter, error) {
	var f store.QueueFilter
	var errs fieldErrors

	statuses := q.Statuses
	if len(statuses) == 0 {
		statuses = []string{store.ExceptionOpen}
	}

	all := false
	for _, s := range statuses {
		switch s {
		case StatusAll:
			all = true
		case StatusClosed:
			f.Statuses = append(f.Statuses, closedStatuses...)
		case StatusAwaitingApproval:
			f.AwaitingApproval = true
			f.Statuses = append(f.Statuses, store.ExceptionOpen)
		default:
			f.Statuses = append(f.Statuses, s)
		}
	}

	if f.AwaitingApproval && len(statuses) > 1 {
		errs.add("status", "%s cannot be combined with other statuses", StatusAwaitingApproval)
	}

	if all {
		f.Statuses = nil
	}

	f.Statuses = slices.Compact(slices.Sorted(slices.Values(f.Statuses)))
	f.Reasons, f.Currency, f.CustomerID = q.Reasons, q.Currency, q.CustomerID

	switch q.Assignee {
	case "":
	case AssigneeNobody:
		f.Unassigned = true
	case AssigneeMe:
		f.Assignee = me
		if me == "" {
			errs.add("assignee", "nobody is signed in to be me")
		}
	default:
		f.Assignee = q.Assignee
	}

	f.MinAge = time.Duration(q.MinAgeDays) * 24 * time.Hour
	f.MaxAge = time.Duration(q.MaxAgeDays) * 24 * time.Hour

	if (q.MinAmount != "" || q.MaxAmount != "") && q.Currency == "" {
		errs.add("currency", "an amount range needs a currency")
	} else {
		for key, s := range map[string]string{"min_amount": q.MinAmount,
			"max_amount": q.MaxAmount} {
			if s == "" {
				continue
			}

			n, ok := parseAmount(&errs, key, s, q.Currency, false)
			if !ok {
				continue
			}

			if key == "min_amount" {
				f.MinAmount = &n
			} else {
				f.MaxAmount = &n
			}
		}
	}

	if f.MinAmount != nil && f.MaxAmount != nil && *f.MinAmount > *f.MaxAmount {
		errs.add("max_amount", "must not be below min_amount")
	}

	return f, errs.err()
}

// order returns the store's order of q and the sort and direction it means.
func (q Query) order() (store.QueueOrder, [2]string, error) {
	key, dir := q.Sort, q.Dir
	if key == "" {
		key = SortAge
	}

	var o store.QueueOrder
	var errs fieldErrors

	switch key {
	case SortAge:
		o.Key = store.SortCreated
	case SortAmount:
		o.Key = store.SortAmount
	case SortCustomer:
		o.Key = store.SortCustomer
	case SortReason:
		o.Key = store.SortReason
	default:
		errs.add("sort", "must be %s, %s, %s or %s", SortAge, SortAmount, SortCustomer,
			SortReason)
	}

	if dir == "" {
		dir = Asc
		if key == SortAge || key == SortAmount {
			dir = Desc
		}
	}

	switch dir {
	case Asc:
		o.Desc = false
	case Desc:
		o.Desc = true
	default:
		errs.add("dir", "must be %s or %s", Asc, Desc)
	}

	// The oldest exception has the largest age: age descending is created_at
	// ascending.
	if key == SortAge {
		o.Desc = !o.Desc
	}

	return o, [2]string{key, dir}, errs.err()
}

// cursor is a page's position, opaque to callers.
type cursor struct {
	Sort      string    `json:"s"`
	Desc      bool      `json:"d"`
	CreatedAt time.Time `json:"t"`
	Amount    int64     `json:"a,omitempty"`
	Text      string    `json:"x,omitempty"`
	ID        int64     `json:"i"`
}

func encodeCursor(o store.QueueOrder, k store.QueueKey) string {
	b, _ := json.Marshal(cursor{Sort: o.Key, Desc: o.Desc, CreatedAt: k.CreatedAt,
		Amount: k.Amount, Text: k.Text, ID: k.ID})

	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, o store.QueueOrder) (*store.QueueKey, error) {
	if s == "" {
		return nil, nil
	}

	var c cursor

	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}

	if err != nil || c.ID <= 0 {
		return nil, invalid("cursor", "not a cursor of this queue")
	}

	if c.Sort != o.Key || c.Desc != o.Desc {
		return nil, invalid("cursor", "the cursor belongs to another sort order: start again "+
			"without it")
	}

	return &store.QueueKey{CreatedAt: c.CreatedAt, Amount: c.Amount, Text: c.Text, ID: c.ID},
		nil
}

// Page is one page of the queue.
type Page struct {
	Items []store.QueueRow `json:"exceptions"`
	// NextCursor asks for the next page (Query.WithCursor); "" on the last page.
	NextCursor string `json:"next_cursor"`
	Sort       string `json:"sort"`
	Dir        string `json:"dir"`
	Limit      int    `json:"limit"`
}

// Queue returns the page of the queue q asks for, as the user me sees it (me
// stands for AssigneeMe). A page continues after the last row of the one before,
// so exceptions opened meanwhile never repeat or skip a row.
func (s *Service) Queue(ctx context.Context, q Query, me string) (Page, error) {
	f, err := q.filter(me)
	if err != nil {
		return Page{}, err
	}

	o, named, err := q.order()
	if err != nil {
		return Page{}, err
	}

	after, err := decodeCursor(q.Cursor, o)
	if err != nil {
		return Page{}, err
	}

	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}

	rows, err := store.ExceptionQueue(ctx, s.Pool, f, o, after, limit+1)
	if err != nil {
		return Page{}, err
	}

	p := Page{Items: rows, Sort: named[0], Dir: named[1], Limit: limit}
	if len(rows) > limit {
		p.Items = rows[:limit]
		p.NextCursor = encodeCursor(o, p.Items[limit-1].Key(o))
	}

	return p, nil
}

// Counts returns the header counts of the queue q shows (see store.QueueCounts):
// Total and ByReason count what the status filter keeps, pending_approval
// included (the open exceptions awaiting an approval); ByStatus ignores the
// status filter, so it counts the open exceptions whether or not they await an
// approval.
func (s *Service) Counts(ctx context.Context, q Query, me string) (store.QueueCounts, error) {
	f, err := q.filter(me)
	if err != nil {
		return store.QueueCounts{}, err
	}

	if !f.AwaitingApproval {
		return store.CountQueue(ctx, s.Pool, f)
	}

	kept, err := store.CountQueue(ctx, s.Pool, f)
	if err != nil {
		return kept, err
	}

	f.AwaitingApproval = false

	all, err := store.CountQueue(ctx, s.Pool, f)
	kept.ByStatus = all.ByStatus

	return kept, err
}

// CSVHeader is the first row of ExportCSV.
var CSVHeader = []string{"id", "status", "reason", "amount", "currency", "customer_id",
	"customer_name", "payer_name", "bank_ref", "payment_ref", "booking_date", "created_at",
	"age_days", "assignee", "top_invoice", "top_score", "candidates", "awaiting_approval",
	"payment_id", "message"}

// ExportCSV writes every exception q keeps (all pages, in q's order, from q's
// cursor on) to w as CSV with CSVHeader. Amounts are decimal strings; a text cell
// a spreadsheet would take for a formula starts with an apostrophe.
func (s *Service) ExportCSV(ctx context.Context, w io.Writer, q Query, me string) error {
	f, err := q.filter(me)
	if err != nil {
		return err
	}

	o, _, err := q.order()
	if err != nil {
		return err
	}

	after, err := decodeCursor(q.Cursor, o)
	if err != nil {
		return err
	}

	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}

	now := time.Now()

	err = store.EachQueueRow(ctx, s.Pool, f, o, after, 0, func(r store.QueueRow) error {
		amount := strconv.FormatInt(r.Amount, 10)
		if exp, err := money.Exponent(r.Currency); err == nil {
			amount = money.FormatMinor(r.Amount, exp)
		}

		booking := ""
		if r.BookingDate != nil {
			booking = r.BookingDate.Format(time.DateOnly)
		}

		awaiting := ""
		if r.ApprovalID != 0 {
			awaiting = strconv.FormatInt(r.ApprovalID, 10)
		}

		top := ""
		if r.TopInvoice != "" {
			top = strconv.FormatFloat(r.TopScore, 'f', 3, 64)
		}

		rec := []string{itoa(r.ID), r.Status, cell(r.Reason), amount, r.Currency,
			cell(r.CustomerID), cell(r.CustomerName), cell(r.PayerName), cell(r.BankRef),
			cell(r.PaymentRef), booking, r.CreatedAt.UTC().Format(time.RFC3339),
			strconv.Itoa(int(now.Sub(r.CreatedAt).Hours() / 24)), cell(r.Assignee),
			cell(r.TopInvoice), top, strconv.Itoa(r.Candidates), awaiting, itoa(r.PaymentID),
			cell(r.Message)}

		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}

		return nil
	})
	if err != nil {
		return err
	}

	cw.Flush()

	return cw.Error()
}

// cell keeps a spreadsheet from reading text as a formula.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}

	return s
}
