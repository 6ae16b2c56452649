package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/store"
)

// The tests of this file follow the findings of a new user's trial of the
// exception pages.

// mustLack fails the test for each unwanted text body holds.
func mustLack(t *testing.T, what, body string, unwanted ...string) {
	t.Helper()

	for _, u := range unwanted {
		if strings.Contains(body, u) {
			t.Errorf("%s holds %q", what, u)
		}
	}
}

// section is the part of a page from the element with id to the next section's
// end, "" when the page has no such element.
func section(body, id string) string {
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		return ""
	}

	rest := body[i:]
	if j := strings.Index(rest, "</section>"); j >= 0 {
		return rest[:j]
	}

	return rest
}

func TestApproverSeesTheWholeWriteOffRequest(t *testing.T) {
	s := startSite(t, nil, nil, auth.Config{})
	small := seed(t, s.pool, 100) // INV-1001 640.00 and INV-1002 500.00 open

	s.addUser(t, "olga", auth.RoleOps)
	s.addUser(t, "bo", auth.RoleOps)

	olga := newPerson(t, s.url)
	olga.logIn("olga")
	olga.get("/exceptions/"+itoa(small[0]), http.StatusOK)
	olga.postForm("/exceptions/"+itoa(small[0])+"/writeoff", http.StatusSeeOther, url.Values{
		"invoice_number": {"INV-1002"}, "amount": {"1.00"}, "writeoff": {"60.00"},
		"reason": {"short_payment"}, "rest": {"open"},
		"note": {"customer deducted a damaged tile"}})

	bo := newPerson(t, s.url)
	bo.logIn("bo")

	page := bo.get("/exceptions/"+itoa(small[0]), http.StatusOK)
	form := page[strings.Index(page, `id="approval-form"`):]
	mustContain(t, "the approval form", form, "asked by olga", `data-approval-invoice="INV-1002"`,
		"Cash applied</dt><dd>1.00 EUR", "Written off</dt><dd>60.00 EUR",
		"customer paid short (short_payment)", "customer deducted a damaged tile",
		"stays open as a new exception", `value="approve"`)

	m := approvalID.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no approval id on the approver's page")
	}

	resp, _ := bo.postForm("/exceptions/"+itoa(small[0])+"/approval", http.StatusSeeOther,
		url.Values{"approval_id": {m[1]}, "decision": {"approve"},
			"note": {"checked the delivery note"}})

	done := section(bo.follow(resp), "approvals")
	mustContain(t, "the decided approval", done, "Approved by bo, 20",
		"their note: “checked the delivery note”", "customer deducted a damaged tile",
		`data-approval-invoice="INV-1002"`)

	// The applications table gives the written-off amount its currency and its
	// reason in words.
	mustContain(t, "the applications", section(bo.get("/exceptions/"+itoa(small[0]),
		http.StatusOK), "applications"), "60.00 EUR</td>", "customer paid short")
}

func TestExceptionPageWithoutCandidatesSaysSo(t *testing.T) {
	s := startSite(t, nil, nil, auth.Config{})
	ctx := context.Background()
	seed(t, s.pool)

	none := openExceptions(t, s.pool, 1, 100)[0]
	trace := `{"rules_version":"v2","candidates":[],"chosen":-1,"margin":1,
		"sentence":"held: no reference and the payer is unknown"}`
	if _, err := s.pool.Exec(ctx, `UPDATE payments SET decision = $2, bank_ref = '' WHERE id =
		(SELECT payment_id FROM exceptions WHERE id = $1)`, none, trace); err != nil {
		t.Fatal(err)
	}

	if _, err := s.pool.Exec(ctx, "UPDATE exceptions SET reason = 'unknown_payer' WHERE id = $1",
		none); err != nil {
		t.Fatal(err)
	}

	s.addUser(t, "ana", auth.RoleOps)
	ana := newPerson(t, s.url)
	ana.logIn("ana")

	page := ana.get("/exceptions/"+itoa(none), http.StatusOK)
	mustContain(t, "no candidates", page,
		"o2c found no candidate invoice: held: no reference and the payer is unknown",
		"o2c did not identify the payer: held: no reference and the payer is unknown")
	mustLack(t, "no candidates", page, `id="candidates"`, "Runner-up: none", "margin 1.00",
		"unknown, by unknown", "bank reference")

	// Two candidates of the same amount are told apart by their dates and PO.
	if _, err := s.pool.Exec(ctx, `UPDATE invoices SET po_number = 'PO-4471',
		issue_date = '2026-08-02', due_date = '2026-09-01' WHERE number = 'INV-1002'`); err != nil {
		t.Fatal(err)
	}

	two := openExceptions(t, s.pool, 1, 500,
		store.Candidate{InvoiceNumber: "INV-1001", Score: 0.5},
		store.Candidate{InvoiceNumber: "INV-1002", Score: 0.5})[0]

	page = ana.get("/exceptions/"+itoa(two), http.StatusOK)
	mustContain(t, "candidates", page, `<th scope="col">Issued</th>`,
		`<th scope="col">Due</th>`, `<th scope="col">PO number</th>`,
		"2026-09-14", "2026-09-28", "2026-08-02", "2026-09-01", "PO-4471",
		"bank reference B")
	mustLack(t, "candidates", page, "o2c found no candidate invoice")
}

func TestParkOnAccountNeedsACustomerWhenThePayerIsUnknown(t *testing.T) {
	s := startSite(t, nil, nil, auth.Config{})
	seed(t, s.pool)

	ids := openExceptions(t, s.pool, 3, 100)
	s.addUser(t, "ana", auth.RoleOps)

	ana := newPerson(t, s.url)
	ana.logIn("ana")

	page := ana.get("/exceptions/"+itoa(ids[0]), http.StatusOK)
	mustContain(t, "park form", page, "Customer id (required)",
		`action="/exceptions/`+itoa(ids[0])+`/park#park-form"`)

	_, body := ana.postForm("/exceptions/"+itoa(ids[0])+"/park",
		http.StatusUnprocessableEntity, url.Values{"note": {"later"}})
	park := body[strings.Index(body, `id="park-form"`):]
	mustContain(t, "refused park", park, `class="field-error">o2c did not identify the payer`)
	mustContain(t, "refused park", body, `id="form-error-link" href="#park-form"`)

	if e := readException(t, s.pool, ids[0]); e.status != store.ExceptionOpen {
		t.Errorf("after a refused park the exception is %s", e.status)
	}

	var e fieldsError
	if code := s.post(t, "/api/exceptions/"+itoa(ids[1])+"/park", `{}`, &e); code != 422 ||
		strings.Join(e.names(), ",") != "customer_id" {
		t.Errorf("API park for nobody: %d %+v", code, e)
	}

	e = fieldsError{}
	if code := s.post(t, "/api/exceptions/"+itoa(ids[1])+"/resolve", `{"park":true}`,
		&e); code != 422 || strings.Join(e.names(), ",") != "customer_id" {
		t.Errorf("API resolve by parking for nobody: %d %+v", code, e)
	}

	resp, _ := ana.postForm("/exceptions/"+itoa(ids[0])+"/park", http.StatusSeeOther,
		url.Values{"customer_id": {"CUST-3"}})
	mustContain(t, "parked", ana.follow(resp), "the exception is on account.")
}

func TestEveryActionsNoteIsInTheHistory(t *testing.T) {
	s := startSite(t, nil, nil, auth.Config{})
	seed(t, s.pool) // INV-1001 640.00 and INV-1002 500.00 open

	ids := openExceptions(t, s.pool, 6, 100,
		store.Candidate{InvoiceNumber: "INV-1001", Score: 0.8})
	s.addUser(t, "ana", auth.RoleOps)

	ana := newPerson(t, s.url)
	ana.logIn("ana")
	ana.get("/exceptions", http.StatusOK)

	path := func(i int) string { return "/exceptions/" + itoa(ids[i]) }

	ana.postForm(path(0)+"/apply", http.StatusSeeOther, url.Values{"invoice": {"INV-1001"},
		"amount": {"1.00"}, "note": {"note of the apply"}})
	ana.postForm(path(1)+"/park", http.StatusSeeOther, url.Values{"customer_id": {"CUST-3"},
		"note": {"note of the park"}})
	ana.postForm(path(2)+"/refund", http.StatusSeeOther, url.Values{
		"note": {"note of the refund"}})
	ana.postForm(path(3)+"/assign", http.StatusSeeOther, url.Values{"assignee": {"bo"},
		"note": {"note of the assign"}})
	ana.postForm("/exceptions/bulk", http.StatusSeeOther, url.Values{
		"id": {itoa(ids[4])}, "action": {"assign"}, "assignee": {"bo"},
		"note": {"note of the bulk assign"}})
	ana.postForm("/exceptions/bulk", http.StatusSeeOther, url.Values{
		"id": {itoa(ids[5])}, "action": {"return"}, "note": {"note of the bulk return"}})

	for i, note := range []string{"apply", "park", "refund", "assign", "bulk assign",
		"bulk return"} {
		history := section(ana.get(path(i), http.StatusOK), "history")
		mustContain(t, note+"'s history", history, "Note: “note of the "+note+"”")
	}

	mustContain(t, "assign's history", section(ana.get(path(4), http.StatusOK), "history"),
		"ana assigned the exception to bo")
}

var countTotal = regexp.MustCompile(`id="count-total">[^<]*: (\d+)<`)

func TestQueueCountsFollowTheStatusFilter(t *testing.T) {
	s := startSite(t, nil, nil, auth.Config{})
	seed(t, s.pool) // INV-1001 640.00 and INV-1002 500.00 open

	exc := openExceptions(t, s.pool, 4, 10000)
	s.addUser(t, "ana", auth.RoleOps)
	s.addUser(t, "bo", auth.RoleOps)

	ana := newPerson(t, s.url)
	ana.logIn("ana")
	ana.get("/exceptions", http.StatusOK)
	ana.postForm("/exceptions/"+itoa(exc[0])+"/writeoff", http.StatusSeeOther, url.Values{
		"invoice_number": {"INV-1001"}, "amount": {"100.00"}, "writeoff": {"540.00"},
		"reason": {"short_payment"}})

	page := ana.get("/exceptions?status=pending_approval", http.StatusOK)
	rows := ids(rowID, page)
	m := countTotal.FindStringSubmatch(page)
	if len(rows) != 1 || m == nil || m[1] != "1" {
		t.Errorf("pending_approval: rows %v, total %v", rows, m)
	}

	mustContain(t, "status counts", page, "Of them awaiting approval: 1",
		`data-status-count="open">`)

	var counts store.QueueCounts
	if code := s.get(t, "/api/exceptions/counts?status=pending_approval", &counts); code != 200 ||
		counts.Total != 1 || counts.AwaitingApproval != 1 ||
		counts.ByStatus[store.ExceptionOpen] < 4 {
		t.Errorf("API counts of pending_approval: %d %+v", code, counts)
	}

	// The status list names open once, selected when no status is asked for.
	list := section(ana.get("/exceptions", http.StatusOK), "f-status")
	list = list[:strings.Index(list, "</select>")]
	if n := strings.Count(list, `value="open"`); n != 1 ||
		!strings.Contains(list, `value="open" selected`) {
		t.Errorf("the status list names open %d times, want once and selected", n)
	}
}

func TestQueueSortsAmountsByCurrencyFirst(t *testing.T) {
	s := startSite(t, nil, nil, auth.Config{})
	ctx := context.Background()

	eur := openExceptions(t, s.pool, 2, 5000)
	usd := openExceptions(t, s.pool, 2, 2000)
	if _, err := s.pool.Exec(ctx, `UPDATE exceptions SET currency = 'USD',
		amount_minor = amount_minor * 100 WHERE id = ANY($1)`, usd); err != nil {
		t.Fatal(err)
	}

	var page struct {
		Exceptions []store.QueueRow `json:"exceptions"`
	}
	if code := s.get(t, "/api/exceptions?sort=amount&dir=desc&limit=500", &page); code != 200 {
		t.Fatalf("sort by amount: %d", code)
	}

	var order []string
	for _, r := range page.Exceptions {
		if contains(eur, r.ID) || contains(usd, r.ID) {
			order = append(order, r.Currency)
		}
	}

	// Descending: USD (200000 minor units) before EUR (5000), each grouped.
	if strings.Join(order, ",") != "USD,USD,EUR,EUR" {
		t.Errorf("amount order by currency %v", order)
	}

	s.addUser(t, "ana", auth.RoleOps)
	ana := newPerson(t, s.url)
	ana.logIn("ana")

	mustContain(t, "sort links", ana.get("/exceptions", http.StatusOK),
		"by currency, then largest amount first")
	mustContain(t, "sort links", ana.get("/exceptions?currency=EUR", http.StatusOK),
		">largest amount first<")
}

func TestQueueAndFormsReadForPeople(t *testing.T) {
	s := startSite(t, nil, nil, auth.Config{})
	seed(t, s.pool)

	ids := openExceptions(t, s.pool, 2, 100)
	s.addUser(t, "ana", auth.RoleOps)

	ana := newPerson(t, s.url)
	ana.logIn("ana")

	queue := ana.get("/exceptions", http.StatusOK)
	mustContain(t, "queue", queue, `<th scope="col">Age</th>`, `<td class="date">2026-09-30</td>`,
		`data-age-days="`)

	// A refused form's page opens at the form, and the banner links to it.
	page := ana.get("/exceptions/"+itoa(ids[0]), http.StatusOK)
	for _, f := range []string{"apply", "split", "writeoff", "park", "refund", "return",
		"assign", "comment"} {
		mustContain(t, f+" form", page, `/`+f+`#`+f+`-form"`)
	}

	_, body := ana.postForm("/exceptions/"+itoa(ids[0])+"/apply",
		http.StatusUnprocessableEntity, url.Values{"invoice": {"INV-1001"},
			"amount": {"abc"}})
	mustContain(t, "refused apply", body, `<a id="form-error-link" href="#apply-form">`)

	// Statuses read as words in the messages.
	resp, _ := ana.postForm("/exceptions/"+itoa(ids[1])+"/return", http.StatusSeeOther,
		url.Values{"note": {"not ours"}})
	if loc := resp.Header.Get("Location"); !strings.HasSuffix(loc, "#action-message") {
		t.Errorf("after an action the page opens at %q, want the message", loc)
	}

	mustContain(t, "returned", ana.follow(resp), "the exception is to be returned.")
	mustLack(t, "returned", ana.follow(resp), "return_pending.")

	_, body = ana.postForm("/exceptions/"+itoa(ids[1])+"/refund", http.StatusConflict, nil)
	mustContain(t, "refused refund", body, "is to be returned")
	mustLack(t, "refused refund", body, "is return_pending", "(payment partly_applied)")
}

func TestApproverSeesWhoseInvoiceAndEarlierWriteOffs(t *testing.T) {
	s := startSite(t, nil, nil, auth.Config{})
	ctx := context.Background()
	ex := seed(t, s.pool, 12000)[0] // 120.00 EUR; INV-1001 and INV-1002 are Orrin Tiles'

	// The payer is identified as another customer than the invoices'.
	if _, err := store.UpsertCustomer(ctx, s.pool, billing.Customer{ID: "CUST-9",
		Name: "Quarry Nine"}, "test"); err != nil {
		t.Fatal(err)
	}

	if _, err := s.pool.Exec(ctx, `UPDATE payments SET customer_id = 'CUST-9' WHERE id =
		(SELECT payment_id FROM exceptions WHERE id = $1)`, ex); err != nil {
		t.Fatal(err)
	}

	s.addUser(t, "olga", auth.RoleOps)
	s.addUser(t, "bo", auth.RoleOps)

	olga := newPerson(t, s.url)
	olga.logIn("olga")

	// 30.00 written off under the 50.00 limit, the rest left open as a new exception.
	olga.postForm("/exceptions/"+itoa(ex)+"/writeoff", http.StatusSeeOther,
		url.Values{"invoice_number": {"INV-1001"}, "amount": {"10.00"},
			"writeoff": {"30.00"}, "reason": {"short_payment"}, "rest": {"open"}})

	var rest int64
	if err := s.pool.QueryRow(ctx, `SELECT id FROM exceptions WHERE status = 'open'
		AND payment_id = (SELECT payment_id FROM exceptions WHERE id = $1)`, ex).
		Scan(&rest); err != nil {
		t.Fatalf("the remainder of the first write-off: %v", err)
	}

	// 30.00 more on the rest: with the first it is over the limit.
	olga.postForm("/exceptions/"+itoa(rest)+"/writeoff", http.StatusSeeOther, url.Values{
		"invoice_number": {"INV-1002"}, "amount": {"10.00"}, "writeoff": {"30.00"},
		"reason": {"short_payment"}, "rest": {"open"}})

	bo := newPerson(t, s.url)
	bo.logIn("bo")

	page := bo.get("/exceptions/"+itoa(rest), http.StatusOK)
	form := section(page, "approval-form")
	mustContain(t, "the approval form", form,
		`data-approval-invoice="INV-1002">INV-1002 of Orrin Tiles (CUST-3), 500.00 EUR open now`,
		"data-foreign-invoice", "invoice than the payer",
		"30.00 EUR was written off on this payment already")
}
