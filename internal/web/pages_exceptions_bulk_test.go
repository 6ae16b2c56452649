package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/store"
)

var bulkRow = regexp.MustCompile(`data-bulk-id="(\d+)" data-bulk-ok="(true|false)"`)

// bulkOutcomes reads the result table of a bulk action: ok per exception id.
func bulkOutcomes(body string) map[int64]bool {
	out := map[int64]bool{}
	for _, m := range bulkRow.FindAllStringSubmatch(body, -1) {
		out[ids(regexp.MustCompile(`(\d+)`), m[1])[0]] = m[2] == "true"
	}

	return out
}

func TestExceptionQueueBulkBar(t *testing.T) {
	s := startSite(t, nil, nil, auth.Config{})
	ctx := context.Background()
	seed(t, s.pool, 100)

	mine := openExceptions(t, s.pool, 3, 1000)
	closed := openExceptions(t, s.pool, 1, 1000)[0]
	svc := &exceptions.Service{Pool: s.pool}

	_, err := svc.Park(ctx, closed, "test", exceptions.ParkRequest{CustomerID: "CUST-3"})
	if err != nil {
		t.Fatal(err)
	}

	s.addUser(t, "ana", auth.RoleOps)
	s.addUser(t, "bo", auth.RoleOps)

	ana := newPerson(t, s.url)
	ana.logIn("ana")

	filters := "/exceptions?currency=EUR&reason=no_match&sort=amount"
	page := ana.get(filters, http.StatusOK)
	mustContain(t, "queue", page, `id="bulk-form"`,
		`<form id="bulk-form" method="post" action="/exceptions/bulk"><input type="hidden" `+
			`name="csrf_token" value="`+ana.csrf+`">`,
		`name="q" value="currency=EUR&amp;reason=no_match&amp;sort=amount"`,
		`id="select-`+itoa(mine[0])+`"`)

	q := "currency=EUR&reason=no_match&sort=amount"

	// Refused as a whole: the queue again, with the choices and ticks kept.
	_, body := ana.postForm("/exceptions/bulk", http.StatusUnprocessableEntity, url.Values{
		"q": {q}, "id": {itoa(mine[0]), itoa(mine[1])}, "action": {"writeoff"},
		"note": {"small differences"}})
	mustContain(t, "write-off without reason", body, `id="bulk-error"`,
		`class="field-error">choose a reason for the write-off`,
		`value="`+itoa(mine[0])+`" id="select-`+itoa(mine[0])+`" aria-label="Select exception `+
			itoa(mine[0])+`" checked`,
		`<option value="writeoff" selected>`, `value="small differences"`,
		`id="f-reason" name="reason" value="no_match"`)

	if strings.Contains(body, `id="select-`+itoa(mine[2])+`" aria-label="Select exception `+
		itoa(mine[2])+`" checked`) {
		t.Error("an exception not selected is ticked after the refusal")
	}

	for name, fields := range map[string]url.Values{
		"no exception selected": {"q": {q}, "action": {"assign_me"}},
		"no action":             {"q": {q}, "id": {itoa(mine[0])}},
		"assign without a name": {"q": {q}, "id": {itoa(mine[0])}, "action": {"assign"}},
		"empty comment":         {"q": {q}, "id": {itoa(mine[0])}, "action": {"comment"}},
		"unknown reason": {"q": {q}, "id": {itoa(mine[0])}, "action": {"writeoff"},
			"reason": {"goodwill"}},
	} {
		_, body := ana.postForm("/exceptions/bulk", http.StatusUnprocessableEntity, fields)
		mustContain(t, name, body, `id="bulk-error"`, `class="field-error"`)
	}

	if e := readException(t, s.pool, mine[0]); e.assignee != "" || e.status != "open" {
		t.Fatalf("refused bulk requests changed %+v", e)
	}

	// Assign to me: done for the open ones, refused for the parked one, and back to
	// the same filters.
	resp, _ := ana.postForm("/exceptions/bulk", http.StatusSeeOther, url.Values{
		"q": {q}, "id": {itoa(mine[0]), itoa(mine[1]), itoa(closed)},
		"action": {"assign_me"}})

	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Path != "/exceptions" || loc.Query().Get("currency") != "EUR" ||
		loc.Query().Get("reason") != "no_match" || loc.Query().Get("sort") != "amount" ||
		loc.Query().Get("bulk") == "" {
		t.Fatalf("redirect to %q, want the queue with its filters and the result", loc)
	}

	result := ana.follow(resp)
	mustContain(t, "bulk result", result, `id="bulk-result"`,
		"Assign to me: 2 done, 1 refused", "refused (conflict)",
		"exception "+itoa(closed)+" is on account",
		`id="f-currency" name="currency" size="4" value="EUR"`)

	got := bulkOutcomes(result)
	if len(got) != 3 || !got[mine[0]] || !got[mine[1]] || got[closed] {
		t.Errorf("bulk outcomes %v", got)
	}

	for _, id := range mine[:2] {
		if e := readException(t, s.pool, id); e.assignee != "ana" {
			t.Errorf("exception %d assigned to %q", id, e.assignee)
		}
	}

	// The result is the user's own: another user is told it is gone.
	bo := newPerson(t, s.url)
	bo.logIn("bo")

	other := bo.get(resp.Header.Get("Location"), http.StatusOK)
	if strings.Contains(other, "Assign to me: 2 done") ||
		!strings.Contains(other, "no longer kept") {
		t.Errorf("another user sees the bulk result\n%s", clip(other))
	}

	// Assign to a name, comment, then park: each reaches every exception named.
	resp, _ = ana.postForm("/exceptions/bulk", http.StatusSeeOther, url.Values{
		"q": {q}, "id": {itoa(mine[2])}, "action": {"assign"}, "assignee": {"bo"}})
	mustContain(t, "assign to bo", ana.follow(resp), "Assign to bo: 1 done, 0 refused")

	if e := readException(t, s.pool, mine[2]); e.assignee != "bo" {
		t.Errorf("assign to a name: %+v", e)
	}

	resp, _ = ana.postForm("/exceptions/bulk", http.StatusSeeOther, url.Values{
		"q": {q}, "id": {itoa(mine[0]), itoa(closed)}, "action": {"comment"},
		"body": {"asked the payer"}})
	mustContain(t, "comment", ana.follow(resp), "2 done, 0 refused")

	var comments int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM exception_comments
		WHERE body = 'asked the payer' AND author = 'ana'`).Scan(&comments); err != nil ||
		comments != 2 {
		t.Errorf("%d comments, %v", comments, err)
	}

	resp, _ = ana.postForm("/exceptions/bulk", http.StatusSeeOther, url.Values{
		"q": {q}, "id": {itoa(mine[1]), itoa(mine[2])}, "action": {"park"},
		"customer_id": {"CUST-3"}, "note": {"customer will tell"}})
	mustContain(t, "park", ana.follow(resp), "Park on account: 2 done, 0 refused",
		`now <span class="status status-neutral" data-status="on_account">`)

	for _, id := range mine[1:] {
		if e := readException(t, s.pool, id); e.status != store.ExceptionOnAccount {
			t.Errorf("exception %d is %s after bulk park", id, e.status)
		}
	}
}

// Bulk write-off and apply-suggested run the same workflow as the detail page:
// under the limit it is done, above it awaits approval, no suggestion is refused.
func TestExceptionQueueBulkWriteOffAndSuggested(t *testing.T) {
	s := startSite(t, nil, nil, auth.Config{})
	seed(t, s.pool, 100)

	small := openExceptions(t, s.pool, 1, 63000,
		store.Candidate{InvoiceNumber: "INV-1001", Score: 0.8})[0]
	large := openExceptions(t, s.pool, 1, 40000,
		store.Candidate{InvoiceNumber: "INV-1002", Score: 0.8})[0]
	none := openExceptions(t, s.pool, 1, 100)[0]

	s.addUser(t, "ana", auth.RoleOps)
	ana := newPerson(t, s.url)
	ana.logIn("ana")
	ana.get("/exceptions", http.StatusOK)

	resp, _ := ana.postForm("/exceptions/bulk", http.StatusSeeOther, url.Values{
		"id": {itoa(small), itoa(large), itoa(none)}, "action": {"writeoff"},
		"reason": {"short_payment"}})
	result := ana.follow(resp)
	mustContain(t, "bulk write-off", result, "2 done, 1 refused",
		"the write-off awaits approval", "refused (invalid)")

	got := bulkOutcomes(result)
	if !got[small] || !got[large] || got[none] {
		t.Errorf("outcomes %v", got)
	}

	if e := readException(t, s.pool, small); e.status != store.ExceptionResolved {
		t.Errorf("10.00 write-off: %s, want resolved", e.status)
	}

	if e := readException(t, s.pool, large); e.status != store.ExceptionOpen {
		t.Errorf("100.00 write-off: %s, want open awaiting approval", e.status)
	}

	if open := openAmount(t, s.pool, "INV-1001"); open != 0 {
		t.Errorf("INV-1001 open %d", open)
	}

	// With no filters the queue comes back unfiltered.
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/exceptions?bulk=") {
		t.Errorf("redirect %q", loc)
	}

	sugg := openExceptions(t, s.pool, 1, 100,
		store.Candidate{InvoiceNumber: "INV-1002", Score: 0.9})[0]
	resp, _ = ana.postForm("/exceptions/bulk", http.StatusSeeOther, url.Values{
		"id": {itoa(sugg), itoa(none)}, "action": {"apply_suggested"}})
	mustContain(t, "bulk apply suggested", ana.follow(resp),
		"Apply the suggested invoice: 1 done, 1 refused", "suggests no invoice")

	if e := readException(t, s.pool, sugg); e.status != store.ExceptionResolved {
		t.Errorf("apply suggested: %s", e.status)
	}
}
