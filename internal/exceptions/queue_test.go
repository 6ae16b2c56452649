package exceptions_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/store"
)

// row is an exception as the oracle sees it, read with a plain query.
type row struct {
	id       int64
	status   string
	reason   string
	currency string
	amount   int64
	customer string
	assignee string
	created  time.Time
	awaiting bool
}

func allRows(t *testing.T, pool *pgxpool.Pool) []row {
	t.Helper()

	rows, err := pool.Query(context.Background(), `SELECT id, status, reason, currency,
			amount_minor, customer_id, assignee, created_at,
			EXISTS (SELECT 1 FROM exception_approvals a WHERE a.exception_id = exceptions.id
				AND a.status = 'pending')
		FROM exceptions`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()

	var out []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.status, &r.reason, &r.currency, &r.amount, &r.customer,
			&r.assignee, &r.created, &r.awaiting); err != nil {
			t.Fatal(err)
		}

		out = append(out, r)
	}

	return out
}

// cmpRows orders rows as the queue's sort key and direction say.
func cmpRows(sort, dir string) func(a, b row) int {
	return func(a, b row) int {
		c := 0

		switch sort {
		case exceptions.SortAmount:
			// Amounts compare within a currency: the currency sorts first.
			if c = strings.Compare(a.currency, b.currency); c == 0 {
				c = cmpInt(a.amount, b.amount)
			}
		case exceptions.SortCustomer:
			c = strings.Compare(a.customer, b.customer)
		case exceptions.SortReason:
			c = strings.Compare(a.reason, b.reason)
		}

		if c == 0 && sort != exceptions.SortAmount {
			c = a.created.Compare(b.created)
			if sort == exceptions.SortAge {
				c = -c // age grows as created_at falls
			}
		}

		if c == 0 {
			c = cmpInt(a.id, b.id)
			if sort == exceptions.SortAge {
				c = -c
			}
		}

		if dir == exceptions.Asc {
			return c
		}

		return -c
	}
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}

	return 0
}

// walk reads every page of q and returns the ids in order, checking the pages'
// sizes.
func walk(t *testing.T, svc *exceptions.Service, q exceptions.Query, me string) []int64 {
	t.Helper()

	var ids []int64

	for pages := 0; ; pages++ {
		p, err := svc.Queue(context.Background(), q, me)
		if err != nil {
			t.Fatal(err)
		}

		if pages > 1000 {
			t.Fatal("no end of pages")
		}

		if p.NextCursor != "" && len(p.Items) != q.Limit {
			t.Fatalf("page %d has %d rows and a next page", pages, len(p.Items))
		}

		for _, it := range p.Items {
			ids = append(ids, it.ID)
		}

		if p.NextCursor == "" {
			return ids
		}

		q = q.WithCursor(p.NextCursor)
	}
}

func oracle(rows []row, keep func(row) bool, sort, dir string) []int64 {
	var kept []row
	for _, r := range rows {
		if keep(r) {
			kept = append(kept, r)
		}
	}

	slices.SortFunc(kept, cmpRows(sort, dir))

	ids := make([]int64, len(kept))
	for i, r := range kept {
		ids[i] = r.id
	}

	return ids
}

func queueFixture(t *testing.T) (*pgxpool.Pool, *exceptions.Service, []row) {
	t.Helper()

	pool := pgtest.DB(t)
	seedQueue(t, pool, 240, 60)

	svc := &exceptions.Service{Pool: pool}

	return pool, svc, allRows(t, pool)
}

func TestQueueSortsAndPagesLikeTheOracle(t *testing.T) {
	t.Parallel()

	_, svc, rows := queueFixture(t)
	open := func(r row) bool { return r.status == store.ExceptionOpen }

	for _, sort := range []string{exceptions.SortAge, exceptions.SortAmount,
		exceptions.SortCustomer, exceptions.SortReason} {
		for _, dir := range []string{exceptions.Asc, exceptions.Desc} {
			got := walk(t, svc, exceptions.Query{Sort: sort, Dir: dir, Limit: 13}, "")
			want := oracle(rows, open, sort, dir)

			if !slices.Equal(got, want) {
				t.Errorf("sort %s %s: %d ids, want %d; first %v, want %v", sort, dir, len(got),
					len(want), head(got), head(want))
			}
		}
	}

	// The defaults: open, oldest first, largest first for amounts.
	if got, want := walk(t, svc, exceptions.Query{Limit: 50}, ""),
		oracle(rows, open, exceptions.SortAge, exceptions.Desc); !slices.Equal(got, want) {
		t.Error("default order is not the oldest first")
	}

	if got, want := walk(t, svc, exceptions.Query{Sort: exceptions.SortAmount, Limit: 50}, ""),
		oracle(rows, open, exceptions.SortAmount, exceptions.Desc); !slices.Equal(got, want) {
		t.Error("amount's default order is not the largest first")
	}
}

func head(ids []int64) []int64 {
	return ids[:min(5, len(ids))]
}

func TestQueueFilters(t *testing.T) {
	t.Parallel()

	pool, svc, rows := queueFixture(t)
	ctx := context.Background()

	// One exception awaits an approval.
	var awaited int64
	if err := pool.QueryRow(ctx, "SELECT min(id) FROM exceptions WHERE status = 'open'").
		Scan(&awaited); err != nil {
		t.Fatal(err)
	}

	if _, err := store.RequestApproval(ctx, pool, store.Approval{ExceptionID: awaited,
		Kind: store.ApprovalWriteOff, Request: []byte(`{}`), Amount: 100, Currency: "EUR",
		RequestedBy: "ana"}); err != nil {
		t.Fatal(err)
	}

	rows = allRows(t, pool)
	now := time.Now()
	age := func(r row) time.Duration { return now.Sub(r.created) }
	isOpen := func(r row) bool { return r.status == store.ExceptionOpen }

	cases := []struct {
		query string
		keep  func(row) bool
	}{
		{"reason=no_match", func(r row) bool { return isOpen(r) && r.reason == "no_match" }},
		{"reason=no_match,deduction", func(r row) bool {
			return isOpen(r) && (r.reason == "no_match" || r.reason == "deduction")
		}},
		{"currency=usd", func(r row) bool { return isOpen(r) && r.currency == "USD" }},
		{"customer=CUST-7", func(r row) bool { return isOpen(r) && r.customer == "CUST-7" }},
		{"assignee=me", func(r row) bool { return isOpen(r) && r.assignee == "ana" }},
		{"assignee=bo", func(r row) bool { return isOpen(r) && r.assignee == "bo" }},
		{"assignee=unassigned", func(r row) bool { return isOpen(r) && r.assignee == "" }},
		{"min_age_days=30", func(r row) bool { return isOpen(r) && age(r) >= 30*24*time.Hour }},
		{"min_age_days=7&max_age_days=30", func(r row) bool {
			return isOpen(r) && age(r) >= 7*24*time.Hour && age(r) < 30*24*time.Hour
		}},
		{"currency=EUR&min_amount=1000&max_amount=2500.50", func(r row) bool {
			return isOpen(r) && r.currency == "EUR" && r.amount >= 100000 && r.amount <= 250050
		}},
		{"status=on_account", func(r row) bool { return r.status == store.ExceptionOnAccount }},
		{"status=closed", func(r row) bool { return r.status != store.ExceptionOpen }},
		{"status=all&reason=partial_payment", func(r row) bool {
			return r.reason == "partial_payment"
		}},
		{"status=pending_approval", func(r row) bool { return isOpen(r) && r.awaiting }},
		{"status=open,on_account&assignee=unassigned&currency=GBP", func(r row) bool {
			return r.assignee == "" && r.currency == "GBP"
		}},
	}

	for _, c := range cases {
		v, err := url.ParseQuery(c.query + "&limit=17")
		if err != nil {
			t.Fatal(err)
		}

		q, err := exceptions.ParseQuery(v)
		if err != nil {
			t.Fatalf("%s: %v", c.query, err)
		}

		got := walk(t, svc, q, "ana")
		want := oracle(rows, c.keep, exceptions.SortAge, exceptions.Desc)

		if !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("%s: %d ids %v, want %d %v", c.query, len(got), head(got), len(want),
				head(want))
		}

		counts, err := svc.Counts(ctx, q, "ana")
		if err != nil {
			t.Fatal(err)
		}

		// The total follows every filter, the pending_approval status included.
		if counts.Total != len(want) {
			t.Errorf("%s: count total %d, want %d", c.query, counts.Total, len(want))
		}

		if slices.Contains(q.Statuses, exceptions.StatusAwaitingApproval) &&
			(counts.AwaitingApproval != len(want) ||
				counts.ByStatus[store.ExceptionOpen] <= len(want)) {
			t.Errorf("%s: awaiting %d, open %d: want %d awaiting among more open",
				c.query, counts.AwaitingApproval, counts.ByStatus[store.ExceptionOpen],
				len(want))
		}
	}
}

func TestQueueCountsFacets(t *testing.T) {
	t.Parallel()

	_, svc, rows := queueFixture(t)

	counts, err := svc.Counts(context.Background(), exceptions.Query{
		Statuses: []string{"open"}, Reasons: []string{"no_match"}, Currency: "EUR"}, "")
	if err != nil {
		t.Fatal(err)
	}

	byStatus, byReason := map[string]int{}, map[string]int{}
	for _, r := range rows {
		if r.currency != "EUR" {
			continue
		}

		// Closed statuses are counted only when asked for.
		if r.reason == "no_match" && r.status == store.ExceptionOpen {
			byStatus[r.status]++
		}

		if r.status == store.ExceptionOpen {
			byReason[r.reason]++
		}
	}

	if !mapsEqual(counts.ByStatus, byStatus) || !mapsEqual(counts.ByReason, byReason) ||
		counts.Total != byReason["no_match"] {
		t.Errorf("counts %+v, want by status %v by reason %v", counts, byStatus, byReason)
	}

	closed, err := svc.Counts(context.Background(), exceptions.Query{
		Statuses: []string{"on_account"}}, "")
	if err != nil {
		t.Fatal(err)
	}

	onAccount := 0
	for _, r := range rows {
		if r.status == store.ExceptionOnAccount {
			onAccount++
		}
	}

	if closed.ByStatus["on_account"] != onAccount || closed.Total != onAccount ||
		closed.ByStatus["open"] == 0 {
		t.Errorf("counts of on_account %+v, want %d and the open ones", closed, onAccount)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}

	for k, v := range a {
		if b[k] != v {
			return false
		}
	}

	return true
}

// A page starts after the last row of the one before: rows added meanwhile,
// before or after that point, neither repeat nor push out rows of later pages.
func TestQueueCursorIsStableUnderInserts(t *testing.T) {
	t.Parallel()

	pool, svc, rows := queueFixture(t)
	ctx := context.Background()

	for _, sort := range []string{exceptions.SortAge, exceptions.SortAmount} {
		q := exceptions.Query{Sort: sort, Limit: 20}

		first, err := svc.Queue(ctx, q, "")
		if err != nil {
			t.Fatal(err)
		}

		// New exceptions: the newest of all, some huge and some tiny amounts.
		_, err = pool.Exec(ctx, `INSERT INTO exceptions (payment_id, reason, message,
				amount_minor, currency, created_at)
			SELECT id, 'no_match', 'late', CASE WHEN seq % 2 = 0 THEN 1 ELSE 999999999 END,
				currency, now() - CASE WHEN seq % 3 = 0 THEN interval '1000 days'
					ELSE interval '0' END
			FROM payments WHERE status = 'on_account' AND seq % 7 = 0
				AND NOT EXISTS (SELECT 1 FROM exceptions e WHERE e.payment_id = payments.id
					AND e.status = 'open')`)
		if err != nil {
			t.Fatal(err)
		}

		seen := map[int64]bool{}
		for _, it := range first.Items {
			seen[it.ID] = true
		}

		rest := walk(t, svc, q.WithCursor(first.NextCursor), "")
		for _, id := range rest {
			if seen[id] {
				t.Errorf("sort %s: exception %d on two pages", sort, id)
			}

			seen[id] = true
		}

		for _, r := range rows {
			if r.status == store.ExceptionOpen && !seen[r.id] {
				t.Errorf("sort %s: exception %d skipped", sort, r.id)
			}
		}

		rows = allRows(t, pool)
	}
}

func TestQueueRefusesBadParameters(t *testing.T) {
	t.Parallel()

	_, svc, _ := queueFixture(t)

	for query, field := range map[string]string{
		"status=pending":                         "status",
		"status=pending_approval,open":           "status",
		"currency=EURO":                          "currency",
		"min_amount=10":                          "currency",
		"currency=EUR&min_amount=1.001":          "min_amount",
		"currency=EUR&min_amount=9&max_amount=8": "max_amount",
		"min_age_days=-1":                        "min_age_days",
		"min_age_days=9&max_age_days=3":          "max_age_days",
		"sort=payer":                             "sort",
		"dir=up":                                 "dir",
		"limit=0":                                "limit",
		"limit=501":                              "limit",
		"customer=a%00b":                         "customer",
	} {
		v, err := url.ParseQuery(query)
		if err != nil {
			t.Fatal(err)
		}

		_, err = exceptions.ParseQuery(v)
		if got := fields(t, err); got[field] == "" {
			t.Errorf("%s: fields %v, want %s", query, got, field)
		}
	}

	p, err := svc.Queue(context.Background(), exceptions.Query{Sort: exceptions.SortAmount,
		Limit: 5}, "")
	if err != nil {
		t.Fatal(err)
	}

	for name, q := range map[string]exceptions.Query{
		"other sort":      {Sort: exceptions.SortAge, Cursor: p.NextCursor},
		"other direction": {Sort: exceptions.SortAmount, Dir: "asc", Cursor: p.NextCursor},
		"garbage":         {Cursor: "bm90IGEgY3Vyc29y"},
	} {
		_, err := svc.Queue(context.Background(), q, "")
		if got := fields(t, err); got["cursor"] == "" {
			t.Errorf("%s: fields %v, want cursor", name, got)
		}
	}

	if _, err := svc.Queue(context.Background(), exceptions.Query{
		Assignee: exceptions.AssigneeMe}, ""); !errors.Is(err, exceptions.ErrInvalid) {
		t.Errorf("me without a user: %v", err)
	}
}

func TestParseQueryStrictRefusesUnknownParameters(t *testing.T) {
	t.Parallel()

	v, err := url.ParseQuery("stauts=open&currency=EUR&Reason=x")
	if err != nil {
		t.Fatal(err)
	}

	_, err = exceptions.ParseQueryStrict(v)
	if got := fields(t, err); got["stauts"] == "" || got["Reason"] == "" ||
		got["currency"] != "" {
		t.Errorf("fields %v, want stauts and Reason only", got)
	}

	// Every parameter that Values writes is one the strict parser reads.
	q := exceptions.Query{Statuses: []string{"open"}, Reasons: []string{"r"},
		Currency: "EUR", CustomerID: "c", Assignee: "ana", MinAgeDays: 1, MaxAgeDays: 9,
		MinAmount: "1", MaxAmount: "2", Sort: exceptions.SortAmount, Dir: "asc", Limit: 5}

	got, err := exceptions.ParseQueryStrict(q.Values())
	if err != nil || got.Currency != "EUR" || got.Limit != 5 || got.Assignee != "ana" {
		t.Errorf("strict parse of Values: %+v, %v", got, err)
	}
}

func TestQueryValuesRoundTrip(t *testing.T) {
	t.Parallel()

	q := exceptions.Query{Statuses: []string{"open", "on_account"}, Reasons: []string{"a b"},
		Currency: "EUR", CustomerID: "C&1", Assignee: "me", MinAgeDays: 2, MaxAgeDays: 9,
		MinAmount: "1.00", MaxAmount: "2", Sort: "amount", Dir: "asc", Cursor: "xyz",
		Limit: 20}

	back, err := exceptions.ParseQuery(q.Values())
	if err != nil {
		t.Fatal(err)
	}

	if back.Values().Encode() != q.Values().Encode() {
		t.Errorf("round trip %v, want %v", back.Values(), q.Values())
	}
}

func TestExportCSV(t *testing.T) {
	t.Parallel()

	_, svc, rows := queueFixture(t)

	var buf bytes.Buffer

	q := exceptions.Query{Currency: "EUR", Sort: exceptions.SortAmount, Limit: 5}
	if err := svc.ExportCSV(context.Background(), &buf, q, ""); err != nil {
		t.Fatal(err)
	}

	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}

	want := oracle(rows, func(r row) bool {
		return r.status == store.ExceptionOpen && r.currency == "EUR"
	}, exceptions.SortAmount, exceptions.Desc)

	if !slices.Equal(recs[0], exceptions.CSVHeader) || len(recs)-1 != len(want) {
		t.Fatalf("%d rows with header %v, want %d (every page, not the limit)", len(recs)-1,
			recs[0], len(want))
	}

	byID := map[string][]string{}
	for i, r := range recs[1:] {
		if r[0] != itoa(want[i]) {
			t.Fatalf("row %d is exception %s, want %d", i, r[0], want[i])
		}

		byID[r[0]] = r
	}

	var formula bool
	for _, r := range recs[1:] {
		if strings.HasPrefix(r[7], "=") {
			t.Errorf("payer %q left as a formula", r[7])
		}

		formula = formula || strings.HasPrefix(r[7], "'=")

		if !strings.Contains(r[3], ".") || r[4] != "EUR" {
			t.Errorf("amount %q %s", r[3], r[4])
		}
	}

	if !formula {
		t.Error("the seeded formula-like payer name is not in the export")
	}
}

func TestSavedViews(t *testing.T) {
	t.Parallel()

	_, svc, _ := queueFixture(t)
	ctx := context.Background()

	v, err := svc.SaveView(ctx, "ana", "My EUR", "?status=open&currency=eur&cursor=abc&limit=5")
	if err != nil {
		t.Fatal(err)
	}

	if v.Query != "currency=EUR&status=open" {
		t.Errorf("stored query %q: want it normalised, without cursor and limit", v.Query)
	}

	if _, err := svc.SaveView(ctx, "ana", "My EUR", "sort=amount"); err != nil {
		t.Fatal(err)
	}

	if _, err := svc.SaveView(ctx, "bo", "Mine", "assignee=me"); err != nil {
		t.Fatal(err)
	}

	list, err := svc.Views(ctx, "ana")
	if err != nil || len(list) != 1 || list[0].Query != "sort=amount" || list[0].ID != v.ID {
		t.Fatalf("ana's views %+v %v: want the one view, replaced", list, err)
	}

	_, q, err := svc.View(ctx, "ana", v.ID)
	if err != nil || q.Sort != exceptions.SortAmount {
		t.Errorf("view query %+v %v", q, err)
	}

	if _, _, err := svc.View(ctx, "bo", v.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bo reads ana's view: %v", err)
	}

	if err := svc.DeleteView(ctx, "bo", v.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bo deletes ana's view: %v", err)
	}

	for name, c := range map[string][2]string{"no name": {" ", "status=open"},
		"bad status": {"x", "status=maybe"}, "bad escape": {"x", "%zz"}} {
		_, err := svc.SaveView(ctx, "ana", c[0], c[1])
		if !errors.Is(err, exceptions.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}

	if err := svc.DeleteView(ctx, "ana", v.ID); err != nil {
		t.Fatal(err)
	}

	if list, _ := svc.Views(ctx, "ana"); len(list) != 0 {
		t.Errorf("views after delete: %+v", list)
	}
}
