package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/store"
)

// invoicePage is the answer of GET /api/invoices.
type invoicePage struct {
	Invoices   []store.InvoiceHit `json:"invoices"`
	NextCursor string             `json:"next_cursor"`
	Sort       string             `json:"sort"`
	Dir        string             `json:"dir"`
	Limit      int                `json:"limit"`
}

// fieldsAnswer is a refusal with its fields.
type fieldsAnswer struct {
	Error  string `json:"error"`
	Detail string `json:"detail"`
	Fields []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"fields"`
}

// invoiceSpec is an invoice the search tests store.
type invoiceSpec struct {
	number, customer, name, currency, po string
	total, open                          int64
	issued                               string
	dueDays                              int
}

// seedInvoices stores customers and invoices as the ERP sync does; paid ones
// have nothing open.
func seedInvoices(t *testing.T, pool *pgxpool.Pool, specs ...invoiceSpec) {
	t.Helper()

	ctx := context.Background()
	seen := map[string]bool{}

	for _, s := range specs {
		if !seen[s.customer] {
			seen[s.customer] = true
			if _, err := store.UpsertCustomer(ctx, pool, billing.Customer{ID: s.customer,
				Name: s.name}, "test"); err != nil {
				t.Fatal(err)
			}
		}

		issue, err := time.Parse(time.DateOnly, s.issued)
		if err != nil {
			t.Fatal(err)
		}

		_, err = store.SyncERPInvoice(ctx, pool, billing.Invoice{Number: s.number,
			ERPID: "erp-" + s.number, CustomerID: s.customer, CustomerName: s.name,
			Currency: s.currency, Total: s.total, Open: s.open, IssueDate: issue,
			DueDate: issue.AddDate(0, 0, s.dueDays), PONumber: s.po})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// searchSpecs are the invoices of the search tests: two customers, EUR and
// USD, open and paid, PO numbers with LIKE's wildcard characters in them.
var searchSpecs = []invoiceSpec{
	{"INV-2001", "CUST-7", "Halvard Pumps AS", "EUR", "PO-4471", 120000, 120000,
		"2026-08-01", 30},
	{"INV-2002", "CUST-7", "Halvard Pumps AS", "EUR", "", 50000, 20000, "2026-08-15", 30},
	{"INV-2003", "CUST-7", "Halvard Pumps AS", "USD", "PO_9%", 75000, 75000, "2026-09-01", 14},
	{"INV-2004", "CUST-8", "Brisa Textil SL", "EUR", "A-100", 31000, 31000, "2026-09-10", 30},
	{"INV-2005", "CUST-8", "Brisa Textil SL", "EUR", "PO-2001", 99000, 0, "2026-07-01", 30},
	{"INV-2006", "CUST-8", "Brisa Textil SL", "EUR", "POX9", 20000, 20000, "2026-10-01", 30},
	{"CN-2001", "CUST-8", "Brisa Textil SL", "EUR", "", 5000, 5000, "2026-10-02", 0},
}

// numbers lists the invoice numbers of a page, in order.
func numbers(p invoicePage) []string {
	var out []string
	for _, h := range p.Invoices {
		out = append(out, h.Number)
	}

	return out
}

func TestInvoiceSearchAPIFindsAndMisses(t *testing.T) {
	a := start(t)
	seedInvoices(t, a.pool, searchSpecs...)

	// The paid invoice INV-2005 is left out by default: open invoices only.
	cases := []struct {
		query string
		want  []string
	}{
		{"", []string{"INV-2001", "INV-2002", "INV-2003", "CN-2001", "INV-2004",
			"INV-2006"}},
		{"q=inv-200", []string{"INV-2001", "INV-2002", "INV-2003", "INV-2004", "INV-2006"}},
		{"q=2004", []string{"INV-2004"}},                            // the end of a number
		{"q=halvard", []string{"INV-2001", "INV-2002", "INV-2003"}}, // a name, any case
		{"q=BRISA%20textil", []string{"CN-2001", "INV-2004", "INV-2006"}},
		{"q=cust-8", []string{"CN-2001", "INV-2004", "INV-2006"}}, // a customer id
		{"q=po-4471", []string{"INV-2001"}},                       // a PO number
		{"q=4471", []string{"INV-2001"}},                          // the end of a PO
		{"q=2001", []string{"INV-2001", "CN-2001"}},               // ends; PO-2001 is paid
		{"q=2001&status=all", []string{"INV-2005", "INV-2001", "CN-2001"}},
		{"q=pumps", nil}, // not a prefix
		{"q=zzz", nil},
		// LIKE's wildcards are plain characters: "PO_" is not "PO" and any
		// character, "%" is not everything.
		{"q=po_", []string{"INV-2003"}},
		{"q=po_9%25", []string{"INV-2003"}},
		{"q=%25", []string{"INV-2003"}}, // only PO_9% ends with a %
		{"q=_", nil},
		{"q=%5C", nil},
		{"q=inv_2001", nil},
		{"customer=CUST-8", []string{"CN-2001", "INV-2004", "INV-2006"}},
		{"currency=usd", []string{"INV-2003"}},
		{"status=paid", []string{"INV-2005"}},
		{"status=open,paid&customer=CUST-8", []string{"INV-2005", "CN-2001", "INV-2004",
			"INV-2006"}},
		{"currency=EUR&amount=200.00", []string{"INV-2002", "INV-2006"}},
		{"currency=EUR&amount=200", []string{"INV-2002", "INV-2006"}},
		{"currency=EUR&min_amount=300&max_amount=1200", []string{"INV-2001", "INV-2004"}},
		{"issued_from=2026-08-15&issued_to=2026-09-10", []string{"INV-2002", "INV-2003",
			"INV-2004"}},
		{"due_from=2026-09-15&due_to=2026-09-30", []string{"INV-2003"}},
		// Equal amounts (200.00) go by number, in the same direction.
		{"sort=amount", []string{"INV-2001", "INV-2003", "INV-2004", "INV-2006",
			"INV-2002", "CN-2001"}},
		{"sort=number&dir=desc&currency=EUR", []string{"INV-2006", "INV-2004", "INV-2002",
			"INV-2001", "CN-2001"}},
	}

	for _, c := range cases {
		var p invoicePage
		if code := a.get(t, "/api/invoices?"+c.query, &p); code != http.StatusOK {
			t.Errorf("%s: %d", c.query, code)
			continue
		}

		if got := numbers(p); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.query, got, c.want)
		}
	}

	var p invoicePage
	a.get(t, "/api/invoices?q=INV-2002", &p)

	if len(p.Invoices) != 1 {
		t.Fatalf("INV-2002: %+v", p)
	}

	h := p.Invoices[0]
	if h.CustomerID != "CUST-7" || h.CustomerName != "Halvard Pumps AS" ||
		h.Currency != "EUR" || h.Total != 50000 || h.Open != 20000 || h.Status != "open" ||
		h.ERPID != "erp-INV-2002" || h.IssueDate.Format(time.DateOnly) != "2026-08-15" ||
		h.DueDate.Format(time.DateOnly) != "2026-09-14" || p.Sort != "due" ||
		p.Dir != "asc" || p.Limit != 50 {
		t.Errorf("INV-2002 reads %+v in %+v", h, p)
	}
}

func TestInvoiceSearchAPIRefusesBadParameters(t *testing.T) {
	a := start(t)

	cases := []struct{ query, field string }{
		{"stauts=open", "stauts"},
		{"status=lost", "status"},
		{"status=all,open", "status"},
		{"amount=10.00", "currency"},
		{"currency=EUR&amount=10.001", "amount"},
		{"currency=EUR&amount=1e3", "amount"},
		{"currency=EUR&min_amount=-1", "min_amount"},
		{"currency=EUR&min_amount=5&max_amount=4", "max_amount"},
		{"currency=EURO", "currency"},
		{"issued_from=2026-02-30", "issued_from"},
		{"due_from=2026-03-02&due_to=2026-03-01", "due_to"},
		{"sort=customer", "sort"},
		{"dir=up", "dir"},
		{"limit=0", "limit"},
		{"limit=501", "limit"},
		{"cursor=nope", "cursor"},
		{"q=" + strings.Repeat("x", 201), "q"},
		{"q=a%00b", "q"},
	}

	for _, c := range cases {
		var e fieldsAnswer
		code := a.get(t, "/api/invoices?"+c.query, &e)
		if code != http.StatusBadRequest || e.Error != "invalid" || len(e.Fields) == 0 ||
			e.Fields[0].Field != c.field {
			t.Errorf("%s: %d %+v, want 400 naming %s", c.query, code, e, c.field)
		}
	}

	// A cursor of one order is refused in another.
	seedInvoices(t, a.pool, searchSpecs...)

	var p invoicePage
	a.get(t, "/api/invoices?limit=1", &p)

	var e fieldsAnswer
	if code := a.get(t, "/api/invoices?limit=1&sort=amount&cursor="+p.NextCursor,
		&e); code != http.StatusBadRequest || !strings.Contains(e.Detail, "another sort") {
		t.Errorf("cursor of another order: %d %+v", code, e)
	}
}

func TestInvoiceSearchAPIPagesWithoutRepeatsOrGaps(t *testing.T) {
	a := start(t)
	seedInvoices(t, a.pool, searchSpecs...)

	// Many invoices share a due date and an amount: the number breaks the ties.
	var more []invoiceSpec
	for i := range 23 {
		more = append(more, invoiceSpec{fmt.Sprintf("INV-3%03d", i), "CUST-9",
			"Tie Breakers Ltd", "EUR", "", 10000, int64(1000 * (i % 3)),
			"2026-09-01", 30})
	}

	seedInvoices(t, a.pool, more...)

	for _, order := range []string{"", "sort=amount", "sort=amount&dir=asc", "sort=number",
		"sort=due&dir=desc", "sort=number&dir=desc"} {
		var all invoicePage
		a.get(t, "/api/invoices?status=all&limit=500&"+order, &all)

		if len(all.Invoices) != len(searchSpecs)+len(more) || all.NextCursor != "" {
			t.Fatalf("%s: %d invoices, next %q", order, len(all.Invoices), all.NextCursor)
		}

		var paged []string
		path := "/api/invoices?status=all&limit=4&" + order

		for pages := 0; ; pages++ {
			if pages > 20 {
				t.Fatalf("%s: paging does not end", order)
			}

			var p invoicePage
			if code := a.get(t, path, &p); code != http.StatusOK {
				t.Fatalf("%s: %d", path, code)
			}

			paged = append(paged, numbers(p)...)
			if p.NextCursor == "" {
				break
			}

			path = "/api/invoices?status=all&limit=4&" + order + "&cursor=" + p.NextCursor
		}

		if !slices.Equal(paged, numbers(all)) {
			t.Errorf("%s: pages give %v, one page %v", order, paged, numbers(all))
		}
	}
}

// invoiceBadCalls are TestEveryAPIRouteRefusesBadInput's rows for the search.
func invoiceBadCalls() []badCall {
	get := func(what, path string) badCall {
		return badCall{what: what, method: http.MethodGet, path: path, want: 400}
	}

	return []badCall{
		get("unknown parameter", "/api/invoices?number=INV-1"),
		get("unknown status", "/api/invoices?status=late"),
		get("amount without currency", "/api/invoices?amount=5.00"),
		get("bad date", "/api/invoices?due_to=tomorrow"),
		get("bad cursor", "/api/invoices?cursor=%7B%7D"),
		get("limit out of range", "/api/invoices?limit=9999"),
	}
}

// invoiceCalls are the role table's rows for the invoice search and the saved
// views pages.
func invoiceCalls(t *testing.T, pool *pgxpool.Pool) []routeCall {
	t.Helper()

	seedInvoices(t, pool, searchSpecs[:3]...)

	get := func(path string) func(int) (string, string, string, io.Reader) {
		return func(int) (string, string, string, io.Reader) {
			return http.MethodGet, path, "", nil
		}
	}

	return []routeCall{
		{"GET /api/invoices", 200, get("/api/invoices?q=halvard&limit=2")},
		{"GET /invoices", 200, get("/invoices?q=halvard")},
		{"GET /exceptions/views", 200, get("/exceptions/views")},
		// Saving lands, after the redirect, on the list of views.
		{"POST /exceptions/views", 200, func(c int) (string, string, string, io.Reader) {
			return formBody("/exceptions/views", url.Values{"name": {fmt.Sprintf("v%d", c)},
				"query": {"currency=EUR"}})
		}},
		// Nobody owns view 987654: a role allowed to delete is told so.
		{"POST /exceptions/views/{id}/delete", 404,
			func(int) (string, string, string, io.Reader) {
				return formBody("/exceptions/views/987654/delete", url.Values{})
			}},
	}
}

var (
	applyRow    = regexp.MustCompile(`<form class="apply-row" method="post" action="([^"]+)">`)
	invoiceRow  = regexp.MustCompile(`<tr data-invoice="([^"]+)">`)
	otherAmount = regexp.MustCompile(`name="other_amount" inputmode="decimal" size="10" ` +
		`value="([^"]*)"`)
)

func TestInvoicesPageSearchesAndApplies(t *testing.T) {
	s := startSite(t, nil, nil, auth.Config{})
	ids := seed(t, s.pool, 64000, 30000)
	seedInvoices(t, s.pool, searchSpecs...)
	s.addUser(t, "olga.ops", auth.RoleOps)
	s.addUser(t, "vera.viewer", auth.RoleViewer)

	viewer := newPerson(t, s.url)
	viewer.logIn("vera.viewer")

	// Searching is reading: every role sees the results, the header links here.
	body := viewer.get("/invoices?q=halvard&currency=EUR", http.StatusOK)
	mustContain(t, "search page", body, `<a href="/invoices" aria-current="page"`)

	if got := strings.Join(rowNumbers(body), " "); got != "INV-2001 INV-2002" {
		t.Errorf("rows %q", got)
	}

	mustContain(t, "search page", body, "Halvard Pumps AS (CUST-7)", "PO-4471",
		"1200.00 EUR", "200.00 EUR", "2026-08-01", "2026-08-31")

	if n := strings.Count(body, `>open</option>`); n != 1 {
		t.Errorf("the status list offers open %d times", n)
	}

	body = viewer.get("/invoices?q=nothing-like-this", http.StatusOK)
	mustContain(t, "empty search", body, `id="no-invoices"`)

	resp, body := viewer.page(http.MethodGet, "/invoices?currency=EUR&amount=1.2.3", "", nil)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="search-error"`) {
		t.Errorf("bad amount: %d\n%s", resp.StatusCode, clip(body))
	}

	// Opened from an exception, a viewer may look but not apply.
	ex := itoa(ids[0])
	body = viewer.get("/invoices?exception="+ex+"&q=inv-100", http.StatusOK)
	mustContain(t, "viewer's apply page", body, `id="apply-target"`, "640.00 EUR",
		"your role may not resolve")

	if applyRow.MatchString(body) {
		t.Error("a viewer is offered an apply form")
	}

	// Pager links keep the exception.
	ops := newPerson(t, s.url)
	ops.logIn("olga.ops")

	body = ops.get("/invoices?exception="+ex+"&status=all&limit=2", http.StatusOK)
	next := link(nextLink, body)
	if !strings.Contains(next, "exception="+ex) || !strings.Contains(next, "cursor=") {
		t.Errorf("next page %q", next)
	}

	// Ops see an apply form on each open EUR invoice, none on the USD one.
	body = ops.get("/invoices?exception="+ex+"&q=inv-", http.StatusOK)
	rows := rowNumbers(body)
	forms := applyRow.FindAllStringSubmatch(body, -1)
	amounts := otherAmount.FindAllStringSubmatch(body, -1)

	// INV-1001 and INV-1002 (seed), INV-2001, -2002, -2004, -2006 are open in EUR.
	if len(forms) != 6 || len(amounts) != 6 || len(rows) != 7 {
		t.Fatalf("%d rows, %d forms, %d amounts\n%s", len(rows), len(forms), len(amounts),
			clip(body))
	}

	if forms[0][1] != "/exceptions/"+ex+"/apply" {
		t.Errorf("form posts to %s", forms[0][1])
	}

	// The amount offered is the invoice's open amount, at most what is left.
	offered := map[string]string{}
	for i, m := range regexp.MustCompile(`name="other_invoice" value="([^"]+)"`).
		FindAllStringSubmatch(body, -1) {
		offered[m[1]] = amounts[i][1]
	}

	if offered["INV-1001"] != "640.00" || offered["INV-2001"] != "640.00" ||
		offered["INV-2002"] != "200.00" {
		t.Errorf("amounts offered %v", offered)
	}

	// Apply 640.00 to INV-2001 from the search, as the page's form posts it.
	resp, body = ops.form("/exceptions/"+ex+"/apply", url.Values{"csrf_token": {ops.csrf},
		"other_invoice": {"INV-2001"}, "other_amount": {"640.00"}, "rest": {""}})
	if resp.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(resp.Header.Get("Location"), "/exceptions/"+ex+"?msg=") {
		t.Fatalf("apply: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), clip(body))
	}

	e, err := store.GetException(context.Background(), s.pool, ids[0], false)
	if err != nil {
		t.Fatal(err)
	}

	if e.Status != store.ExceptionResolved {
		t.Errorf("exception %s after applying", e.Status)
	}

	inv, err := store.Invoice(context.Background(), s.pool, "INV-2001")
	if err != nil {
		t.Fatal(err)
	}

	if inv.Open != 120000-64000 {
		t.Errorf("INV-2001 open %d after applying 640.00", inv.Open)
	}

	// The search shows the new open amount, and no form for a resolved exception.
	body = ops.get("/invoices?exception="+ex+"&q=inv-2001", http.StatusOK)
	mustContain(t, "after applying", body, "560.00 EUR", "the exception is")

	if applyRow.MatchString(body) {
		t.Error("an apply form for a resolved exception")
	}

	// A refused amount is shown on the exception's own apply form.
	ex2 := itoa(ids[1])
	resp, body = ops.form("/exceptions/"+ex2+"/apply", url.Values{"csrf_token": {ops.csrf},
		"other_invoice": {"INV-2006"}, "other_amount": {"200.00"}, "rest": {""}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "INV-2006") {
		t.Errorf("partial apply without a rest: %d\n%s", resp.StatusCode, clip(body))
	}

	// The exception's page links to the search with its customer.
	body = ops.get("/exceptions/"+ex2, http.StatusOK)
	mustContain(t, "exception page", body, `id="search-invoices-link" href="/invoices?exception=`+
		ex2)

	// Unknown or malformed exceptions are refused.
	for path, want := range map[string]int{"/invoices?exception=987654": 404,
		"/invoices?exception=first": 400} {
		if resp, _ := ops.page(http.MethodGet, path, "", nil); resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

// rowNumbers lists the invoice rows of the search page.
func rowNumbers(body string) []string {
	var out []string
	for _, m := range invoiceRow.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}

	return out
}

var viewRow = regexp.MustCompile(`<tr data-view-id="(\d+)"`)

func TestQueueSavedViewsAndCSVLinkOnPages(t *testing.T) {
	s := startSite(t, nil, nil, auth.Config{})
	exIDs := seed(t, s.pool, 64000, 30000, 900)
	s.addUser(t, "olga.ops", auth.RoleOps)
	s.addUser(t, "otto.ops", auth.RoleOps)

	// A message a spreadsheet would read as a formula.
	if _, err := s.pool.Exec(context.Background(), `UPDATE exceptions SET message = $2
		WHERE id = $1`, exIDs[1], "=HYPERLINK(\"http://x\")"); err != nil {
		t.Fatal(err)
	}

	ops := newPerson(t, s.url)
	ops.logIn("olga.ops")

	// The queue page offers to save its filters (not its page, nor the bulk
	// result) and links them to the CSV export.
	body := ops.get("/exceptions?currency=EUR&sort=amount&min_amount=5&limit=2&bulk=x",
		http.StatusOK)
	mustContain(t, "queue", body, `<a id="saved-views-link" href="/exceptions/views">`,
		`<input type="hidden" name="query" value="currency=EUR&amp;min_amount=5&amp;sort=amount">`,
		`<a id="export-csv" href="/api/exceptions.csv?currency=EUR&amp;min_amount=5&amp;`+
			`sort=amount"`)

	// Filters that do not read cannot be saved.
	resp, body0 := ops.page(http.MethodGet, "/exceptions?status=lost", "", nil)
	if resp.StatusCode != http.StatusBadRequest || strings.Contains(body0, `id="save-view"`) {
		t.Errorf("refused filters: %d, save form offered: %v", resp.StatusCode,
			strings.Contains(body0, `id="save-view"`))
	}

	// The CSV link answers the browser's session, with the queue's filters.
	href := regexp.MustCompile(`id="export-csv" href="([^"]+)"`).FindStringSubmatch(body)[1]
	resp, raw := ops.page(http.MethodGet, strings.ReplaceAll(href, "&amp;", "&"), "", nil)
	if resp.StatusCode != http.StatusOK ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), clip(raw))
	}

	recs, err := csv.NewReader(strings.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}

	// 640.00 then 300.00; 9.00 is above min 5 too: three rows, largest first.
	if len(recs) != 4 || recs[1][3] != "640.00" || recs[2][3] != "300.00" {
		t.Fatalf("CSV rows %v", recs)
	}

	if got := recs[2][len(recs[2])-1]; got != `'=HYPERLINK("http://x")` {
		t.Errorf("a formula goes out as %q", got)
	}

	// Save the view from the queue page, as its form posts it.
	resp, body = ops.form("/exceptions/views", url.Values{"csrf_token": {ops.csrf},
		"query": {"currency=EUR&min_amount=5&sort=amount"}, "name": {"Large EUR"}})
	if resp.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(resp.Header.Get("Location"), "/exceptions/views?saved=") {
		t.Fatalf("save: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), clip(body))
	}

	body = ops.get(resp.Header.Get("Location"), http.StatusOK)
	mustContain(t, "views", body, `id="views-message"`,
		`<a href="/exceptions?currency=EUR&amp;min_amount=5&amp;sort=amount">Large EUR</a>`)

	saved := ids(viewRow, body)
	if len(saved) != 1 {
		t.Fatalf("views %v", saved)
	}

	// The view's link shows the queue it saved, and the queue lists the view.
	body = ops.get("/exceptions?currency=EUR&min_amount=5&sort=amount", http.StatusOK)
	if n := len(regexp.MustCompile(`data-exception-id="`).FindAllString(body, -1)); n != 3 {
		t.Errorf("the view shows %d exceptions, want 3", n)
	}

	mustContain(t, "queue's saved views", body, `id="saved-views"`,
		`<a href="/exceptions?currency=EUR&amp;min_amount=5&amp;sort=amount">Large EUR</a>`)

	// A name is required; the page says why.
	resp, body = ops.form("/exceptions/views", url.Values{"csrf_token": {ops.csrf},
		"query": {"status=lost"}, "name": {""}})
	if resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `id="views-error"`) {
		t.Errorf("a view without a name: %d\n%s", resp.StatusCode, clip(body))
	}

	// Another user sees none of it and cannot delete it.
	otto := newPerson(t, s.url)
	otto.logIn("otto.ops")
	mustContain(t, "otto's views", otto.get("/exceptions/views", http.StatusOK), `id="no-views"`)

	if strings.Contains(otto.get("/exceptions", http.StatusOK), "Large EUR") {
		t.Error("otto's queue lists olga's view")
	}

	resp, _ = otto.form("/exceptions/views/"+itoa(saved[0])+"/delete",
		url.Values{"csrf_token": {otto.csrf}})
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("otto deletes olga's view: %d", resp.StatusCode)
	}

	// Without the CSRF token the delete is refused; with it, done.
	ops.get("/exceptions/views", http.StatusOK)

	resp, _ = ops.form("/exceptions/views/"+itoa(saved[0])+"/delete", url.Values{})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("delete without CSRF: %d", resp.StatusCode)
	}

	resp, _ = ops.form("/exceptions/views/"+itoa(saved[0])+"/delete",
		url.Values{"csrf_token": {ops.csrf}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", resp.StatusCode)
	}

	mustContain(t, "views after delete", ops.get("/exceptions/views", http.StatusOK),
		`id="no-views"`)
}

// oaInvoices calls the invoice search for TestOpenAPIAnswersMatchSchemas: every
// filter, a second page, refusals.
func oaInvoices(t *testing.T, h *oaHarness, viewer string) {
	t.Helper()

	const op = "/api/invoices"

	page := h.get(viewer, op, "/api/invoices?status=all&limit=1", 200)
	if str(page, "next_cursor") == "" {
		t.Fatalf("no next page: %s", clipValue(page))
	}

	h.get(viewer, op, "/api/invoices?status=all&limit=1&cursor="+str(page, "next_cursor"), 200)
	h.get(viewer, op, "/api/invoices?q=inv-10&customer=CUST-3&currency=EUR&status=open,paid"+
		"&amount=640.00&min_amount=1&max_amount=1000&issued_from=2026-01-01"+
		"&issued_to=2026-12-31&due_from=2026-01-01&due_to=2026-12-31&sort=amount&dir=asc", 200)
	h.get(viewer, op, "/api/invoices?sort=number&dir=desc", 200)
	h.get(viewer, op, "/api/invoices?sort=size", 400)
	h.get(viewer, op, "/api/invoices?invoice=INV-1001", 400)
	h.get("", op, "/api/invoices", 401)
}
