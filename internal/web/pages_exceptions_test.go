package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/store"
)

// formBody is a browser's form post for the role table.
func formBody(path string, fields url.Values) (string, string, string, io.Reader) {
	return http.MethodPost, path, "application/x-www-form-urlencoded",
		strings.NewReader(fields.Encode())
}

// exceptionPageCalls are the role table's rows for the exception pages; each
// caller allowed to act posts on an exception of its own and lands, after the
// redirect, on the exception's page.
func exceptionPageCalls(t *testing.T, pool *pgxpool.Pool) []routeCall {
	t.Helper()

	ctx := context.Background()
	svc := &exceptions.Service{Pool: pool}
	fresh := func() []int64 { return openExceptions(t, pool, 9, 100) }
	apply, writeoff, park, assign, comment, pending := fresh(), fresh(), fresh(), fresh(),
		fresh(), fresh()
	split, refund, ret, reopen, noCash, bulk := fresh(), fresh(), fresh(), fresh(), fresh(),
		fresh()
	suggested := openExceptions(t, pool, 9, 100, store.Candidate{InvoiceNumber: "INV-1001",
		Score: 0.8})

	for _, id := range reopen {
		_, err := svc.Park(ctx, id, "test", exceptions.ParkRequest{CustomerID: "CUST-3"})
		if err != nil {
			t.Fatal(err)
		}
	}

	_, err := pool.Exec(ctx, `UPDATE payments SET status = 'returned', unapplied_minor = 0
		WHERE id IN (SELECT payment_id FROM exceptions WHERE id = ANY($1))`, noCash)
	if err != nil {
		t.Fatal(err)
	}

	var approvals []int64

	for _, id := range pending {
		o, err := svc.WriteOff(ctx, id, "requester", exceptions.WriteOffRequest{
			InvoiceNumber: "INV-1001", Amount: "1.00", WriteOff: "60.00",
			Reason: "short_payment"})
		if err != nil || o.Approval == nil {
			t.Fatalf("request approval: %+v %v", o, err)
		}

		approvals = append(approvals, o.Approval.ID)
	}

	post := func(ids []int64, action string, fields url.Values) func(int) (string, string,
		string, io.Reader) {
		return func(c int) (string, string, string, io.Reader) {
			return formBody("/exceptions/"+itoa(ids[c])+"/"+action, fields)
		}
	}

	return []routeCall{
		{"GET /exceptions", 200, func(int) (string, string, string, io.Reader) {
			return http.MethodGet, "/exceptions?reason=no_match", "", nil
		}},
		{"GET /exceptions/{id}", 200, func(int) (string, string, string, io.Reader) {
			return http.MethodGet, "/exceptions/" + itoa(apply[0]), "", nil
		}},
		{"POST /exceptions/{id}/apply", 200, post(apply, "apply",
			url.Values{"invoice": {"INV-1001"}, "amount": {"1.00"}})},
		{"POST /exceptions/{id}/writeoff", 200, post(writeoff, "writeoff",
			url.Values{"invoice_number": {"INV-1001"}, "amount": {"1.00"},
				"writeoff": {"0.50"}, "reason": {"rounding"}})},
		{"POST /exceptions/{id}/park", 200, post(park, "park",
			url.Values{"customer_id": {"CUST-3"}})},
		{"POST /exceptions/{id}/assign", 200, post(assign, "assign",
			url.Values{"assignee": {"me"}})},
		{"POST /exceptions/{id}/comment", 200, post(comment, "comment",
			url.Values{"body": {"seen"}})},
		{"POST /exceptions/{id}/approval", 200, func(c int) (string, string, string,
			io.Reader) {
			return formBody("/exceptions/"+itoa(pending[c])+"/approval",
				url.Values{"approval_id": {itoa(approvals[c])}, "decision": {"approve"}})
		}},
		{"POST /exceptions/{id}/split", 200, post(split, "split",
			url.Values{"other_invoice": {"INV-1001"}, "other_amount": {"0.50"}})},
		{"POST /exceptions/{id}/refund", 200, post(refund, "refund",
			url.Values{"note": {"paid twice"}})},
		{"POST /exceptions/{id}/return", 200, post(ret, "return",
			url.Values{"note": {"not ours"}})},
		{"POST /exceptions/{id}/close", 200, post(noCash, "close",
			url.Values{"note": {"the bank took it back"}})},
		{"POST /exceptions/{id}/reopen", 200, post(reopen, "reopen",
			url.Values{"note": {"parked by mistake"}})},
		{"POST /exceptions/{id}/apply-suggested", 200, post(suggested, "apply-suggested",
			url.Values{})},
		{"POST /exceptions/bulk", 200, func(c int) (string, string, string, io.Reader) {
			return formBody("/exceptions/bulk", url.Values{"q": {"reason=no_match"},
				"id": {itoa(bulk[c])}, "action": {"comment"}, "body": {"bulk"}})
		}},
	}
}

var (
	rowID      = regexp.MustCompile(`data-exception-id="(\d+)"`)
	approvalID = regexp.MustCompile(`name="approval_id" value="(\d+)"`)
	nextPage   = regexp.MustCompile(`id="next-page" href="([^"]+)"`)
)

// openAmount is an invoice's open amount in minor units.
func openAmount(t *testing.T, pool *pgxpool.Pool, number string) int64 {
	t.Helper()

	var open int64
	if err := pool.QueryRow(context.Background(),
		"SELECT open_minor FROM invoices WHERE number = $1", number).Scan(&open); err != nil {
		t.Fatal(err)
	}

	return open
}

func TestExceptionPagesQueueDetailAndForms(t *testing.T) {
	s := startSite(t, nil, nil, auth.Config{})
	ctx := context.Background()

	small := seed(t, s.pool, 100, 700) // INV-1001 640.00 and INV-1002 500.00 open
	if _, err := s.pool.Exec(ctx, "UPDATE exceptions SET reason = 'short_paid' WHERE id = $1",
		small[1]); err != nil {
		t.Fatal(err)
	}

	two := openExceptions(t, s.pool, 1, 64000+43900,
		store.Candidate{InvoiceNumber: "INV-1001", Score: 0.62, Why: "reference"},
		store.Candidate{InvoiceNumber: "INV-1002", Score: 0.55, Why: "amount"})[0]

	trace := `{"rules_version":"v1","candidates":[],"chosen":-1,
		"runner_up":{"invoices":["INV-1002"],"features":{"amount":"partial"},"score":0.55},
		"margin":0.07,"sentence":"held: INV-1001 leads INV-1002 by 0.07"}`
	if _, err := s.pool.Exec(ctx, `UPDATE payments SET decision = $2 WHERE id =
		(SELECT payment_id FROM exceptions WHERE id = $1)`, two, trace); err != nil {
		t.Fatal(err)
	}

	s.addUser(t, "ana", auth.RoleOps)
	s.addUser(t, "bo", auth.RoleOps)
	s.addUser(t, "vic", auth.RoleViewer)

	ana := newPerson(t, s.url)
	ana.logIn("ana")

	// The queue lists every open exception and filters by reason.
	all := ids(rowID, ana.get("/exceptions", http.StatusOK))
	for _, id := range append(small, two) {
		if !contains(all, id) {
			t.Errorf("queue %v lacks exception %d", all, id)
		}
	}

	short := ana.get("/exceptions?reason=short_paid", http.StatusOK)
	if got := ids(rowID, short); len(got) != 1 || got[0] != small[1] {
		t.Errorf("reason short_paid lists %v, want [%d]", got, small[1])
	}

	mustContain(t, "queue counts", short, `data-reason="short_paid"`,
		`href="/exceptions?dir=desc&amp;reason=short_paid&amp;sort=amount"`)
	ana.get("/exceptions?min_age_days=x", http.StatusBadRequest)

	// The next link continues after the last row shown.
	first := ana.get("/exceptions?limit=1&sort=amount&dir=asc", http.StatusOK)
	next := link(nextPage, first)
	if next == "" {
		t.Fatal("no next page link on a full page")
	}

	second := ana.get(next, http.StatusOK)
	a, b := ids(rowID, first), ids(rowID, second)
	if len(a) != 1 || len(b) != 1 || a[0] == b[0] {
		t.Errorf("pages %v then %v, want one row each, different", a, b)
	}

	// The detail shows the ranked candidates and the engine's explanation.
	detail := ana.get("/exceptions/"+itoa(two), http.StatusOK)
	mustContain(t, "detail", detail, `data-invoice="INV-1001"`, `data-invoice="INV-1002"`,
		"held: INV-1001 leads INV-1002 by 0.07", "margin 0.07", `id="apply-form"`)

	// A write-off above the limit waits for a second person.
	resp, body := ana.form("/exceptions/"+itoa(small[0])+"/writeoff", url.Values{
		"csrf_token": {ana.csrf}, "invoice_number": {"INV-1002"}, "amount": {"1.00"},
		"writeoff": {"60.00"}, "reason": {"short_payment"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("write-off: %d\n%s", resp.StatusCode, clip(body))
	}

	waiting := ana.get(resp.Header.Get("Location"), http.StatusOK)
	mustContain(t, "write-off result", waiting, "waits for approval")

	if open := openAmount(t, s.pool, "INV-1002"); open != 50000 {
		t.Errorf("INV-1002 open %d before approval, want 50000", open)
	}

	if approvalID.MatchString(waiting) && strings.Contains(waiting, `value="approve"`) {
		t.Error("the requester is offered to approve their own write-off")
	}

	bo := newPerson(t, s.url)
	bo.logIn("bo")

	m := approvalID.FindStringSubmatch(bo.get("/exceptions/"+itoa(small[0]), http.StatusOK))
	if m == nil {
		t.Fatal("no approval form for the second person")
	}

	resp, body = bo.form("/exceptions/"+itoa(small[0])+"/approval", url.Values{
		"csrf_token": {bo.csrf}, "approval_id": {m[1]}, "decision": {"approve"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d\n%s", resp.StatusCode, clip(body))
	}

	mustContain(t, "approved", bo.get(resp.Header.Get("Location"), http.StatusOK),
		"the exception is resolved")

	if open := openAmount(t, s.pool, "INV-1002"); open != 43900 {
		t.Errorf("INV-1002 open %d after approval, want 43900", open)
	}

	// Applying to two invoices through the form resolves the exception.
	ana.get("/exceptions/"+itoa(two), http.StatusOK)

	resp, body = ana.form("/exceptions/"+itoa(two)+"/apply", url.Values{
		"csrf_token": {ana.csrf}, "invoice": {"INV-1001", "INV-1002"},
		"amount": {"640.00", "439.00"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d\n%s", resp.StatusCode, clip(body))
	}

	mustContain(t, "applied", ana.get(resp.Header.Get("Location"), http.StatusOK),
		"the exception is resolved", `data-application-invoice="INV-1001"`,
		`data-application-invoice="INV-1002"`)

	for _, n := range []string{"INV-1001", "INV-1002"} {
		if open := openAmount(t, s.pool, n); open != 0 {
			t.Errorf("%s open %d after apply, want 0", n, open)
		}
	}

	// A refused field is shown next to it.
	ana.get("/exceptions/"+itoa(small[1]), http.StatusOK)

	resp, body = ana.form("/exceptions/"+itoa(small[1])+"/writeoff", url.Values{
		"csrf_token": {ana.csrf}, "invoice_number": {"INV-1001"}, "amount": {"abc"},
		"writeoff": {"1.00"}, "reason": {"short_payment"}})
	if resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `class="field-error"`) {
		t.Errorf("bad amount: %d\n%s", resp.StatusCode, clip(body))
	}

	// Assign to me, then a comment, both shown on the page.
	resp, _ = ana.form("/exceptions/"+itoa(small[1])+"/assign", url.Values{
		"csrf_token": {ana.csrf}, "to": {"me"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("assign: %d", resp.StatusCode)
	}

	ana.get(resp.Header.Get("Location"), http.StatusOK)

	resp, _ = ana.form("/exceptions/"+itoa(small[1])+"/comment", url.Values{
		"csrf_token": {ana.csrf}, "body": {"called the payer"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("comment: %d", resp.StatusCode)
	}

	mustContain(t, "assigned and commented", ana.get(resp.Header.Get("Location"),
		http.StatusOK), "assignee: ana", "ana, ", "called the payer")

	mine := ids(rowID, ana.get("/exceptions?assignee=me", http.StatusOK))
	if len(mine) != 1 || mine[0] != small[1] {
		t.Errorf("assignee=me lists %v, want [%d]", mine, small[1])
	}

	ana.get("/exceptions/99999999", http.StatusNotFound)

	// Without the CSRF token the post is refused.
	resp, _ = ana.form("/exceptions/"+itoa(small[1])+"/comment", url.Values{
		"body": {"no token"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("comment without CSRF: %d, want 403", resp.StatusCode)
	}

	// A viewer sees the pages but may not act.
	vic := newPerson(t, s.url)
	vic.logIn("vic")
	vic.get("/exceptions", http.StatusOK)

	page := vic.get("/exceptions/"+itoa(small[1]), http.StatusOK)
	if strings.Contains(page, `id="comment-form"`) {
		t.Error("viewer is offered the comment form")
	}

	resp, _ = vic.form("/exceptions/"+itoa(small[1])+"/comment", url.Values{
		"csrf_token": {vic.csrf}, "body": {"mine"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer comment: %d, want 403", resp.StatusCode)
	}

	// Anonymous browsers are sent to the login page.
	anon := newPerson(t, s.url)

	resp, _ = anon.page(http.MethodGet, "/exceptions", "", nil)
	if resp.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("anonymous: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func contains(list []int64, id int64) bool {
	for _, x := range list {
		if x == id {
			return true
		}
	}

	return false
}
