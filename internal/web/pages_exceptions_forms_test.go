package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/store"
)

// exceptionRow is an exception's status, assignee and parent as stored.
type exceptionRow struct {
	status, assignee string
	parent           int64
	amount           int64
}

func readException(t *testing.T, pool *pgxpool.Pool, id int64) exceptionRow {
	t.Helper()

	var e exceptionRow
	if err := pool.QueryRow(context.Background(), `SELECT status, assignee,
		COALESCE(parent_id, 0), amount_minor FROM exceptions WHERE id = $1`, id).Scan(
		&e.status, &e.assignee, &e.parent, &e.amount); err != nil {
		t.Fatal(err)
	}

	return e
}

// postForm posts fields with the person's CSRF token first and fails the test
// unless the answer has status want; it returns the answer and its body.
func (p *person) postForm(path string, want int, fields url.Values) (*http.Response,
	string) {
	p.t.Helper()

	body := "csrf_token=" + url.QueryEscape(p.csrf)
	if len(fields) > 0 {
		body += "&" + fields.Encode()
	}

	resp, page := p.page(http.MethodPost, path, "application/x-www-form-urlencoded",
		strings.NewReader(body))
	if resp.StatusCode != want {
		p.t.Fatalf("POST %s: %d, want %d\n%s", path, resp.StatusCode, want, clip(page))
	}

	return resp, page
}

// follow asks for the page a redirect leads to.
func (p *person) follow(resp *http.Response) string {
	p.t.Helper()

	return p.get(resp.Header.Get("Location"), http.StatusOK)
}

var remainderLink = regexp.MustCompile(`id="remainder-link" href="/exceptions/(\d+)"`)

func TestExceptionFormsSplitAndReopen(t *testing.T) {
	s := startSite(t, nil, nil, auth.Config{})
	seed(t, s.pool, 100) // INV-1001 640.00 and INV-1002 500.00 open

	id := openExceptions(t, s.pool, 1, 100050,
		store.Candidate{InvoiceNumber: "INV-1001", Score: 0.7},
		store.Candidate{InvoiceNumber: "INV-1002", Score: 0.5})[0]
	path := "/exceptions/" + itoa(id)

	s.addUser(t, "ana", auth.RoleOps)
	ana := newPerson(t, s.url)
	ana.logIn("ana")

	page := ana.get(path, http.StatusOK)
	mustContain(t, "open exception", page, `id="split-form"`, `id="refund-form"`,
		`id="return-form"`, `id="apply-form"`, "Left to apply: 1000.50 EUR",
		`<input type="hidden" name="csrf_token" value="`+ana.csrf+`"><h2>Split the payment`)

	for _, form := range []string{`id="reopen-form"`, `id="close-form"`,
		`id="apply-suggested-form"`} {
		if strings.Contains(page, form) {
			t.Errorf("an open exception with cash offers %s", form)
		}
	}

	// Refusals show the form again with what was typed and a message by the field.
	refusals := []struct {
		name   string
		fields url.Values
		want   []string
	}{
		{"bad amount", url.Values{"invoice": {"INV-1001", "INV-1002"},
			"amount": {"12,3x", ""}, "note": {"per the email"}},
			[]string{`value="12,3x"`, `value="per the email"`}},
		{"over-application", url.Values{"invoice": {"INV-1001", "INV-1002"},
			"amount": {"", "500.01"}},
			[]string{`value="500.01"`, "more than the 500.00 EUR invoice INV-1002 has open"}},
		{"unknown invoice", url.Values{"invoice": {"INV-1001", "INV-1002"},
			"amount": {"10.00", ""}, "other_invoice": {"", "INV-9999"},
			"other_amount": {"", "20.00"}},
			[]string{`value="INV-9999"`, "no invoice INV-9999", `value="10.00"`}},
		{"nothing left to split", url.Values{"invoice": {"INV-1001", "INV-1002"},
			"amount": {"640.00", "360.50"}},
			[]string{"nothing is left to split off"}},
		{"nothing filled", url.Values{"invoice": {"INV-1001", "INV-1002"},
			"amount": {"", ""}}, []string{"name at least one invoice"}},
	}

	for _, c := range refusals {
		_, body := ana.postForm(path+"/split", http.StatusUnprocessableEntity, c.fields)
		mustContain(t, c.name, body, append(c.want, `id="form-error"`,
			`class="field-error"`)...)

		// The values typed go back into the split form only.
		split := body[strings.Index(body, `id="split-form"`):]
		split = split[:strings.Index(split, "</form>")]
		mustContain(t, c.name+" (split form)", split, c.want[0])
	}

	if open := openAmount(t, s.pool, "INV-1001"); open != 64000 {
		t.Fatalf("INV-1001 open %d after refused splits", open)
	}

	// The bad amount's message stands next to its own row, the first.
	_, body := ana.postForm(path+"/split", http.StatusUnprocessableEntity, url.Values{
		"invoice": {"INV-1001", "INV-1002"}, "amount": {"", "x"}})
	row := regexp.MustCompile(`id="split-1"[^>]*>(<span class="field-error">[^<]+)`)
	if !row.MatchString(body) {
		t.Errorf("the refusal of the second row is not next to it\n%s", clip(body))
	}

	// A split applies what the rows say and opens an exception for the rest.
	resp, _ := ana.postForm(path+"/split", http.StatusSeeOther, url.Values{
		"invoice": {"INV-1001", "INV-1002"}, "amount": {"640.00", ""},
		"rest": {"open"}, "note": {"the rest is for next month"}})
	page = ana.follow(resp)
	mustContain(t, "split", page,
		"Split: 640.00 EUR applied to 1 invoice; the rest, 360.50 EUR, is now exception",
		`data-application-invoice="INV-1001"`, `id="reopen-form"`, `id="related"`)

	m := remainderLink.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no link to the rest\n%s", clip(page))
	}

	rest := ids(regexp.MustCompile(`(\d+)`), m[1])[0]
	if e := readException(t, s.pool, rest); e.status != store.ExceptionOpen ||
		e.amount != 36050 || e.parent != id {
		t.Errorf("rest of the split: %+v", e)
	}

	if e := readException(t, s.pool, id); e.status != store.ExceptionResolved {
		t.Errorf("split exception is %s", e.status)
	}

	if open := openAmount(t, s.pool, "INV-1001"); open != 0 {
		t.Errorf("INV-1001 open %d after the split", open)
	}

	// Reopening an open exception is refused for its state.
	ana.get("/exceptions/"+itoa(rest), http.StatusOK)
	_, body = ana.postForm("/exceptions/"+itoa(rest)+"/reopen", http.StatusConflict,
		url.Values{"note": {"again"}})
	mustContain(t, "reopen open", body, `id="form-error"`, "is open")

	// Reopening the split one undoes it and merges the rest back.
	ana.get(path, http.StatusOK)
	resp, _ = ana.postForm(path+"/reopen", http.StatusSeeOther,
		url.Values{"note": {"wrong invoice"}})
	mustContain(t, "reopened", ana.follow(resp),
		"Reopened: 1 application undone (the ERP is told); 1000.50 EUR left to apply.",
		`id="split-form"`)

	if e := readException(t, s.pool, rest); e.status != store.ExceptionSuperseded {
		t.Errorf("rest after reopening: %s, want superseded", e.status)
	}

	if open := openAmount(t, s.pool, "INV-1001"); open != 64000 {
		t.Errorf("INV-1001 open %d after reopening", open)
	}

	// The split's rest can go on account instead.
	resp, _ = ana.postForm(path+"/split", http.StatusSeeOther, url.Values{
		"invoice": {"INV-1001", "INV-1002"}, "amount": {"", "500.00"},
		"rest": {"on_account"}})
	mustContain(t, "split on account", ana.follow(resp),
		"the rest, 500.50 EUR, is kept on account.")

	var status string
	if err := s.pool.QueryRow(context.Background(), `SELECT status FROM payments WHERE id =
		(SELECT payment_id FROM exceptions WHERE id = $1)`, id).Scan(&status); err != nil ||
		status != store.PaymentOnAccount {
		t.Errorf("payment %q %v, want on_account", status, err)
	}
}

func TestExceptionFormsPayBackCloseAndSuggested(t *testing.T) {
	s := startSite(t, nil, nil, auth.Config{})
	ctx := context.Background()
	seed(t, s.pool, 100)

	refund, ret, noCash := openExceptions(t, s.pool, 1, 2500)[0],
		openExceptions(t, s.pool, 1, 2600)[0], openExceptions(t, s.pool, 1, 2700)[0]
	suggested := openExceptions(t, s.pool, 1, 50000,
		store.Candidate{InvoiceNumber: "INV-1002", Score: 0.9},
		store.Candidate{InvoiceNumber: "INV-1001", Score: 0.4})[0]
	tied := openExceptions(t, s.pool, 1, 50000,
		store.Candidate{InvoiceNumber: "INV-1002", Score: 0.6},
		store.Candidate{InvoiceNumber: "INV-1001", Score: 0.6})[0]

	if _, err := s.pool.Exec(ctx, `UPDATE payments SET status = 'returned',
		unapplied_minor = 0 WHERE id = (SELECT payment_id FROM exceptions WHERE id = $1)`,
		noCash); err != nil {
		t.Fatal(err)
	}

	s.addUser(t, "ana", auth.RoleOps)
	ana := newPerson(t, s.url)
	ana.logIn("ana")

	// Refund and return take a note and close the exception as pending.
	ana.get("/exceptions/"+itoa(refund), http.StatusOK)
	resp, _ := ana.postForm("/exceptions/"+itoa(refund)+"/refund", http.StatusSeeOther,
		url.Values{"note": {"paid twice"}})
	mustContain(t, "refund", ana.follow(resp),
		"Marked for a refund to the payer: 25.00 EUR goes back; the exception is "+
			"to be refunded.", `id="reopen-form"`)

	resp, _ = ana.postForm("/exceptions/"+itoa(ret)+"/return", http.StatusSeeOther,
		url.Values{"note": {"not our customer"}})
	mustContain(t, "return", ana.follow(resp), "Marked for a return through the bank")

	if e := readException(t, s.pool, refund); e.status != store.ExceptionRefundPending {
		t.Errorf("refund: %s", e.status)
	}

	if e := readException(t, s.pool, ret); e.status != store.ExceptionReturnPending {
		t.Errorf("return: %s", e.status)
	}

	// A second refund is refused for the state.
	_, body := ana.postForm("/exceptions/"+itoa(refund)+"/refund", http.StatusConflict, nil)
	mustContain(t, "refund twice", body, `id="form-error"`, "to be refunded")

	// A payment the bank took back offers only close, which needs a note.
	page := ana.get("/exceptions/"+itoa(noCash), http.StatusOK)
	mustContain(t, "no cash", page, `id="close-form"`)

	for _, form := range []string{`id="split-form"`, `id="refund-form"`, `id="apply-form"`} {
		if strings.Contains(page, form) {
			t.Errorf("a payment without cash offers %s", form)
		}
	}

	_, body = ana.postForm("/exceptions/"+itoa(noCash)+"/close",
		http.StatusUnprocessableEntity, url.Values{"note": {"  "}})
	mustContain(t, "close without note", body, `class="field-error">say what was done`)

	resp, _ = ana.postForm("/exceptions/"+itoa(noCash)+"/close", http.StatusSeeOther,
		url.Values{"note": {"the bank returned it to the payer"}})
	mustContain(t, "closed", ana.follow(resp), "Closed: the exception is resolved.")

	// A clear best candidate is offered to apply as suggested; a tie is not.
	page = ana.get("/exceptions/"+itoa(suggested), http.StatusOK)
	mustContain(t, "suggested", page, `id="apply-suggested-form"`, "Apply to INV-1002")

	if strings.Contains(ana.get("/exceptions/"+itoa(tied), http.StatusOK),
		`id="apply-suggested-form"`) {
		t.Error("two candidates as strong as each other offer apply suggested")
	}

	resp, _ = ana.postForm("/exceptions/"+itoa(suggested)+"/apply-suggested",
		http.StatusSeeOther, nil)
	mustContain(t, "applied as suggested", ana.follow(resp),
		"Applied 500.00 EUR to INV-1002 as suggested: the exception is resolved.")

	if open := openAmount(t, s.pool, "INV-1002"); open != 0 {
		t.Errorf("INV-1002 open %d", open)
	}

	_, body = ana.postForm("/exceptions/"+itoa(tied)+"/apply-suggested",
		http.StatusUnprocessableEntity, nil)
	mustContain(t, "suggested tie", body, `id="form-error"`, "suggested as strongly")

	// Applying more than the payment holds is refused in the apply form, with the
	// amounts typed kept.
	over := openExceptions(t, s.pool, 1, 10000,
		store.Candidate{InvoiceNumber: "INV-1001", Score: 0.5})[0]
	ana.get("/exceptions/"+itoa(over), http.StatusOK)
	_, body = ana.postForm("/exceptions/"+itoa(over)+"/apply",
		http.StatusUnprocessableEntity, url.Values{"invoice": {"INV-1001"},
			"amount": {"150.00"}})
	apply := body[strings.Index(body, `id="apply-form"`):]
	apply = apply[:strings.Index(apply, "</form>")]
	mustContain(t, "apply over the payment", apply, `value="150.00"`,
		`class="field-error">the lines apply 150.00 EUR, more than the 100.00 EUR`)

	// A write-off without its reason is refused next to the reason.
	wo := openExceptions(t, s.pool, 1, 63000)[0]
	_, body = ana.postForm("/exceptions/"+itoa(wo)+"/writeoff",
		http.StatusUnprocessableEntity, url.Values{"invoice_number": {"INV-1001"},
			"amount": {"630.00"}, "writeoff": {"10.00"}, "reason": {""}})
	mustContain(t, "write-off without reason", body, `value="630.00"`,
		`class="field-error">give one of bank_fee`)
}

// Viewers and treasury see the exception but none of its forms, and their posts
// are refused without changing anything.
func TestExceptionFormsRefusedToViewerAndTreasury(t *testing.T) {
	s := startSite(t, nil, nil, auth.Config{})
	seed(t, s.pool, 100)

	id := openExceptions(t, s.pool, 1, 50000,
		store.Candidate{InvoiceNumber: "INV-1002", Score: 0.9})[0]

	s.addUser(t, "vic", auth.RoleViewer)
	s.addUser(t, "tess", auth.RoleTreasury)

	for _, name := range []string{"vic", "tess"} {
		p := newPerson(t, s.url)
		p.logIn(name)

		page := p.get("/exceptions/"+itoa(id), http.StatusOK)
		if strings.Contains(page, `action="/exceptions/`+itoa(id)+`/`) {
			t.Errorf("%s is offered a form on the exception", name)
		}

		queue := p.get("/exceptions", http.StatusOK)
		if strings.Contains(queue, `id="bulk-form"`) || strings.Contains(queue,
			`type="checkbox"`) {
			t.Errorf("%s is offered the bulk bar", name)
		}

		for action, fields := range map[string]url.Values{
			"split":           {"invoice": {"INV-1002"}, "amount": {"1.00"}},
			"refund":          {"note": {"x"}},
			"return":          {"note": {"x"}},
			"close":           {"note": {"x"}},
			"reopen":          {"note": {"x"}},
			"apply-suggested": {},
		} {
			p.postForm("/exceptions/"+itoa(id)+"/"+action, http.StatusForbidden, fields)
		}

		p.postForm("/exceptions/bulk", http.StatusForbidden, url.Values{
			"id": {itoa(id)}, "action": {"assign_me"}})
	}

	if e := readException(t, s.pool, id); e.status != store.ExceptionOpen ||
		e.assignee != "" {
		t.Errorf("exception after refused posts: %+v", e)
	}

	if open := openAmount(t, s.pool, "INV-1002"); open != 50000 {
		t.Errorf("INV-1002 open %d after refused posts", open)
	}
}
