package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/internal/web"
)

// fieldsError is the API's error shape with the refused fields.
type fieldsError struct {
	Error  string `json:"error"`
	Detail string `json:"detail"`
	Fields []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"fields"`
}

func (e fieldsError) names() []string {
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}

	return out
}

// batch makes every file openExceptions stores distinct.
var batch atomic.Int64

// openExceptions stores n payments of amount (EUR minor units) from Orrin Tiles
// and an open exception for each, with cands as candidates; seed must have run.
func openExceptions(t *testing.T, pool *pgxpool.Pool, n int, amount int64,
	cands ...store.Candidate) []int64 {
	t.Helper()

	ctx := context.Background()
	b := batch.Add(1)

	f, _, err := store.InsertBankFile(ctx, pool, "more.csv",
		fmt.Appendf(nil, "batch %d of %s", b, t.Name()), "test")
	if err != nil {
		t.Fatal(err)
	}

	txs := make([]bankfile.Transaction, n)
	for i := range txs {
		txs[i] = bankfile.Transaction{Seq: i + 1, Line: i + 2, Account: "DE89370400440532013000",
			Direction: bankfile.Credit, Kind: bankfile.KindPayment,
			Amount:      money.New(amount, "EUR"),
			BookingDate: time.Date(2026, 9, 30, 0, 0, 0, 0, time.UTC),
			BankRef:     fmt.Sprintf("B%d-%d", b, i), PayerName: "ORRIN TILES GMBH"}
	}

	if _, _, err := store.InsertPayments(ctx, pool, f.ID, f.SHA256, txs); err != nil {
		t.Fatal(err)
	}

	ps, err := store.PaymentsOfFile(ctx, pool, f.ID)
	if err != nil {
		t.Fatal(err)
	}

	var es []store.Exception
	for _, p := range ps {
		es = append(es, store.Exception{PaymentID: p.ID, Reason: "no_match",
			Message: "no invoice fits", Amount: amount, Currency: "EUR", Candidates: cands})
	}

	opened, err := store.OpenExceptions(ctx, pool, es)
	if err != nil {
		t.Fatal(err)
	}

	ids := make([]int64, len(opened))
	for i, e := range opened {
		ids[i] = e.ID
	}

	return ids
}

// exceptionCalls are the role table's rows for the exception workflow's routes:
// each caller allowed to act gets an exception (or approval, or view) of its own.
func exceptionCalls(t *testing.T, pool *pgxpool.Pool) []routeCall {
	t.Helper()

	ctx := context.Background()
	svc := &exceptions.Service{Pool: pool}

	fresh := func() []int64 { return openExceptions(t, pool, 9, 100) }

	apply, split, writeoff, park := fresh(), fresh(), fresh(), fresh()
	refund, ret, reopen, noCash := fresh(), fresh(), fresh(), fresh()
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

	// Write-offs above the limit, asked by someone none of the callers is.
	approvals := func() []int64 {
		var out []int64

		for _, id := range fresh() {
			o, err := svc.WriteOff(ctx, id, "requester", exceptions.WriteOffRequest{
				InvoiceNumber: "INV-1002", Amount: "1.00", WriteOff: "60.00",
				Reason: "short_payment"})
			if err != nil || o.Approval == nil {
				t.Fatalf("request approval: %+v %v", o, err)
			}

			out = append(out, o.Approval.ID)
		}

		return out
	}

	toApprove, toReject := approvals(), approvals()

	post := func(ids []int64, action, body string) func(int) (string, string, string,
		io.Reader) {
		return func(c int) (string, string, string, io.Reader) {
			return jsonBody(http.MethodPost, "/api/exceptions/"+itoa(ids[c])+"/"+action, body)
		}
	}

	get := func(path string) func(int) (string, string, string, io.Reader) {
		return func(int) (string, string, string, io.Reader) {
			return http.MethodGet, path, "", nil
		}
	}

	// The table calls each route for anonymous, then by token and by session for
	// admin, treasury, ops and viewer, in that order: the view to delete is made
	// for the caller at its turn.
	roles := []auth.Role{auth.RoleAdmin, auth.RoleTreasury, auth.RoleOps, auth.RoleViewer}
	turn := 0
	deleteView := func(int) (string, string, string, io.Reader) {
		owner := "u." + string(roles[(turn+3)%4])
		turn++

		v, err := store.SaveView(ctx, pool, owner, fmt.Sprintf("to delete %d", turn), "")
		if err != nil {
			t.Fatal(err)
		}

		return http.MethodDelete, "/api/exception-views/" + itoa(v.ID), "", nil
	}

	return []routeCall{
		{"GET /api/exceptions.csv", 200, get("/api/exceptions.csv?status=all")},
		{"GET /api/exceptions/counts", 200, get("/api/exceptions/counts")},
		{"GET /api/exceptions/settings", 200, get("/api/exceptions/settings")},
		{"POST /api/exceptions/{id}/apply", 200, post(apply, "apply",
			`{"lines":[{"invoice_number":"INV-1001","amount":"1.00"}]}`)},
		{"POST /api/exceptions/{id}/split", 200, post(split, "split",
			`{"lines":[{"invoice_number":"INV-1001","amount":"0.50"}]}`)},
		{"POST /api/exceptions/{id}/writeoff", 200, post(writeoff, "writeoff",
			`{"invoice_number":"INV-1002","amount":"1.00","writeoff":"0.50","reason":"rounding"}`)},
		{"POST /api/exceptions/{id}/park", 200, post(park, "park", `{"customer_id":"CUST-3"}`)},
		{"POST /api/exceptions/{id}/refund", 200, post(refund, "refund", `{"note":"twice"}`)},
		{"POST /api/exceptions/{id}/return", 200, post(ret, "return", ``)},
		{"POST /api/exceptions/{id}/close", 200, post(noCash, "close", `{"note":"returned"}`)},
		{"POST /api/exceptions/{id}/apply-suggested", 200, post(suggested, "apply-suggested",
			`{}`)},
		{"POST /api/exceptions/{id}/comments", 201, post(apply, "comments",
			`{"body":"looked at it"}`)},
		{"POST /api/exceptions/{id}/reopen", 200, post(reopen, "reopen", `{"note":"again"}`)},
		{"POST /api/exceptions/bulk", 200, func(c int) (string, string, string, io.Reader) {
			return jsonBody(http.MethodPost, "/api/exceptions/bulk",
				fmt.Sprintf(`{"action":"comment","ids":[%d],"body":"bulk"}`, park[c]))
		}},
		{"GET /api/approvals", 200, get("/api/approvals?status=pending")},
		{"POST /api/approvals/{id}/approve", 200, func(c int) (string, string, string,
			io.Reader) {
			return jsonBody(http.MethodPost, "/api/approvals/"+itoa(toApprove[c])+"/approve",
				`{"note":"ok"}`)
		}},
		{"POST /api/approvals/{id}/reject", 200, func(c int) (string, string, string,
			io.Reader) {
			return jsonBody(http.MethodPost, "/api/approvals/"+itoa(toReject[c])+"/reject", ``)
		}},
		{"GET /api/exception-views", 200, get("/api/exception-views")},
		{"POST /api/exception-views", 200, func(int) (string, string, string, io.Reader) {
			return jsonBody(http.MethodPost, "/api/exception-views",
				`{"name":"mine","query":"assignee=me"}`)
		}},
		{"DELETE /api/exception-views/{id}", 200, deleteView},
	}
}

func TestExceptionActionsOverTheAPI(t *testing.T) {
	t.Parallel()

	a := start(t)
	ids := seed(t, a.pool, 100050, 4900, 1000, 2000)
	ops := a.as(a.tokenFor(t, "ana", auth.RoleOps))

	var e fieldsError
	if code := ops.post(t, "/api/exceptions/"+itoa(ids[0])+"/apply",
		`{"lines":[{"invoice_number":"INV-1001","amount":"640.00"},`+
			`{"invoice_number":"INV-1002","amount":"500.01"}]}`, &e); code != 422 ||
		e.Error != "invalid" || strings.Join(e.names(), ",") != "lines[1].amount,lines" {
		t.Errorf("over-application: %d %+v", code, e)
	}

	e = fieldsError{}
	if code := ops.post(t, "/api/exceptions/"+itoa(ids[0])+"/apply",
		`{"lines":[{"invoice_number":"INV-1001","amount":640}]}`, &e); code != 400 ||
		e.Error != "invalid_json" || strings.Join(e.names(), ",") != "lines.amount" {
		t.Errorf("number for an amount: %d %+v", code, e)
	}

	e = fieldsError{}
	if code := ops.post(t, "/api/exceptions/"+itoa(ids[0])+"/apply", `{"lines":[],"parkk":1}`,
		&e); code != 400 || strings.Join(e.names(), ",") != "parkk" {
		t.Errorf("unknown field: %d %+v", code, e)
	}

	var out exceptions.Outcome
	if code := ops.post(t, "/api/exceptions/"+itoa(ids[0])+"/apply",
		`{"lines":[{"invoice_number":"INV-1001","amount":"640.00"},`+
			`{"invoice_number":"INV-1002","amount":"360.50"}],"note":"per email"}`,
		&out); code != 200 || out.Status != store.ExceptionResolved ||
		len(out.Applications) != 2 || out.Applications[0].Actor != "ana" {
		t.Fatalf("apply: %d %+v", code, out)
	}

	// A write-off above the limit waits; its asker cannot approve it.
	out = exceptions.Outcome{}
	if code := ops.post(t, "/api/exceptions/"+itoa(ids[1])+"/writeoff",
		`{"invoice_number":"INV-1002","amount":"49.00","writeoff":"90.50",`+
			`"reason":"short_payment"}`, &out); code != http.StatusAccepted ||
		out.Approval == nil || out.Status != store.ExceptionOpen {
		t.Fatalf("write-off above the limit: %d %+v", code, out)
	}

	path := "/api/approvals/" + itoa(out.Approval.ID)
	if code := ops.post(t, path+"/approve", ``, &e); code != http.StatusForbidden ||
		e.Error != "forbidden" {
		t.Errorf("self-approval: %d %+v", code, e)
	}

	viewer := a.as(a.tokenFor(t, "vic", auth.RoleViewer))
	if code := viewer.post(t, path+"/approve", ``, &e); code != http.StatusForbidden {
		t.Errorf("viewer approves: %d", code)
	}

	if code := a.as("").post(t, path+"/approve", ``, &e); code != http.StatusUnauthorized {
		t.Errorf("anonymous approves: %d", code)
	}

	var pending struct {
		Approvals []store.Approval `json:"approvals"`
	}

	if code := viewer.get(t, "/api/approvals?status=pending", &pending); code != 200 ||
		len(pending.Approvals) != 1 || pending.Approvals[0].RequestedBy != "ana" {
		t.Errorf("pending approvals: %d %+v", code, pending)
	}

	bo := a.as(a.tokenFor(t, "bo", auth.RoleOps))
	out = exceptions.Outcome{}
	if code := bo.post(t, path+"/approve", `{"note":"agreed"}`, &out); code != 200 ||
		out.Status != store.ExceptionResolved || out.WrittenOffMinor != 9050 {
		t.Fatalf("approve: %d %+v", code, out)
	}

	// Bulk: one parks, one was resolved, one does not exist.
	var res exceptions.BulkResult
	if code := ops.post(t, "/api/exceptions/bulk", fmt.Sprintf(
		`{"action":"park","customer_id":"CUST-3","ids":[%d,%d,%d]}`, ids[2], ids[0],
		ids[3]+100), &res); code != 200 ||
		res.Succeeded != 1 || res.Failed != 2 || res.Results[1].Code != "conflict" ||
		res.Results[2].Code != "not_found" {
		t.Errorf("bulk: %d %+v", code, res)
	}

	e = fieldsError{}
	if code := ops.post(t, "/api/exceptions/bulk", `{"action":"explode","ids":[1]}`,
		&e); code != 422 || strings.Join(e.names(), ",") != "action" {
		t.Errorf("bulk with an unknown action: %d %+v", code, e)
	}

	// Comment, then reopen, through the detail.
	var c store.Comment
	if code := ops.post(t, "/api/exceptions/"+itoa(ids[0])+"/comments",
		`{"body":"wrong split"}`, &c); code != 201 || c.Author != "ana" {
		t.Errorf("comment: %d %+v", code, c)
	}

	out = exceptions.Outcome{}
	if code := ops.post(t, "/api/exceptions/"+itoa(ids[0])+"/reopen", ``, &out); code != 200 ||
		len(out.Unapplied) != 2 {
		t.Errorf("reopen: %d %+v", code, out)
	}

	var d exceptions.Detail
	if code := viewer.get(t, "/api/exceptions/"+itoa(ids[0]), &d); code != 200 ||
		d.Exception.Status != store.ExceptionOpen || len(d.Comments) != 1 ||
		len(d.Applications) != 2 || d.Applications[0].ReversedAt == nil {
		t.Errorf("detail: %d %+v", code, d)
	}

	var asg map[string]string
	if code := ops.post(t, "/api/exceptions/"+itoa(ids[0])+"/assign", `{"assignee":"me"}`,
		&asg); code != 200 || asg["assignee"] != "ana" {
		t.Errorf("assign to me: %d %v", code, asg)
	}

	var mine exceptionList
	if code := ops.get(t, "/api/exceptions?assignee=me", &mine); code != 200 ||
		len(mine.Exceptions) != 1 || mine.Exceptions[0].ID != ids[0] {
		t.Errorf("my queue: %d %+v", code, mine)
	}

	var counts store.QueueCounts
	if code := viewer.get(t, "/api/exceptions/counts", &counts); code != 200 ||
		counts.ByStatus["open"] != 2 || counts.Total != 2 {
		t.Errorf("counts: %d %+v", code, counts)
	}

	for path, want := range map[string]int{
		"/api/exceptions/x/apply":             400,
		"/api/exceptions/0/park":              400,
		"/api/exceptions/999/park":            404,
		"/api/approvals/999/reject":           404,
		"/api/exceptions/999/comments":        400, // empty body is not a comment
		"/api/exceptions/999/apply":           400,
		"/api/exceptions/999/reopen":          404,
		"/api/exceptions/999/writeoff":        400,
		"/api/exceptions/999/close":           400,
		"/api/exceptions/999/apply-suggested": 404,
	} {
		if code := ops.post(t, path, ``, nil); code != want {
			t.Errorf("POST %s: %d, want %d", path, code, want)
		}
	}
}

func TestExceptionsCSVOverTheAPI(t *testing.T) {
	t.Parallel()

	a := start(t)
	seed(t, a.pool, 100, 250075, 300)

	req, err := http.NewRequest(http.MethodGet, a.url+"/api/exceptions.csv?sort=amount", nil)
	if err != nil {
		t.Fatal(err)
	}

	req.Header.Set("Authorization", "Bearer "+a.token)

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()

	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"),
		"text/csv") || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("csv: %d %s %q", resp.StatusCode, resp.Header, raw)
	}

	recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}

	if len(recs) != 4 || recs[0][0] != "id" || recs[1][3] != "2500.75" || recs[3][3] != "1.00" {
		t.Errorf("csv rows %v", recs)
	}

	var e fieldsError
	if code := a.get(t, "/api/exceptions.csv?min_amount=5", &e); code != 400 ||
		strings.Join(e.names(), ",") != "currency" {
		t.Errorf("bad filter: %d %+v", code, e)
	}
}

func TestSavedViewsOverTheAPI(t *testing.T) {
	t.Parallel()

	a := start(t)
	ana := a.as(a.tokenFor(t, "ana", auth.RoleViewer))
	bo := a.as(a.tokenFor(t, "bo", auth.RoleOps))

	var v store.View
	if code := ana.post(t, "/api/exception-views",
		`{"name":"EUR over 1000","query":"currency=EUR&min_amount=1000&sort=amount"}`,
		&v); code != 200 || v.Owner != "ana" || v.ID == 0 {
		t.Fatalf("save: %d %+v", code, v)
	}

	var e fieldsError
	if code := ana.post(t, "/api/exception-views", `{"name":"x","query":"sort=payer"}`,
		&e); code != 422 || strings.Join(e.names(), ",") != "sort" {
		t.Errorf("bad query: %d %+v", code, e)
	}

	var list struct {
		Views []store.View `json:"views"`
	}

	if code := bo.get(t, "/api/exception-views", &list); code != 200 || len(list.Views) != 0 {
		t.Errorf("bo sees %d views", len(list.Views))
	}

	if code := bo.do(t, http.MethodDelete, "/api/exception-views/"+itoa(v.ID), "", nil,
		&e); code != 404 {
		t.Errorf("bo deletes ana's view: %d", code)
	}

	if code := ana.get(t, "/api/exception-views", &list); code != 200 ||
		len(list.Views) != 1 || list.Views[0].Query != v.Query {
		t.Fatalf("ana's views: %+v", list)
	}

	var q exceptions.Page
	if code := ana.get(t, "/api/exceptions?"+v.Query, &q); code != 200 || q.Sort != "amount" {
		t.Errorf("the saved query does not list: %d %+v", code, q)
	}

	var settings exceptions.Settings
	if code := ana.get(t, "/api/exceptions/settings", &settings); code != 200 ||
		len(settings.WriteOffReasons) != 4 || settings.ApprovalLimits["EUR"] != 5000 {
		t.Errorf("settings: %d %+v", code, settings)
	}

	raw, _ := json.Marshal(settings)
	if !bytes.Contains(raw, []byte(`"writeoff_approval_limits"`)) {
		t.Errorf("settings JSON %s", raw)
	}
}

// Reads need read, actions on exceptions resolve, decisions on approvals approve:
// so a viewer can only look, and only ops and admins approve.
func TestExceptionRoutesNeedTheirActions(t *testing.T) {
	t.Parallel()

	srv := web.New(web.Config{Logger: quiet})
	n := 0

	for _, rt := range srv.Routes() {
		method, path, _ := strings.Cut(rt.Pattern, " ")

		var want auth.Action
		switch {
		case !strings.HasPrefix(path, "/api/exception") && !strings.HasPrefix(path,
			"/api/approvals"):
			continue
		case method == http.MethodGet, strings.HasPrefix(path, "/api/exception-views"):
			want = auth.ActionRead
		case strings.HasPrefix(path, "/api/approvals/"):
			want = auth.ActionApprove
		default:
			want = auth.ActionResolve
		}

		n++

		if rt.Action != want {
			t.Errorf("%s needs %s, want %s", rt.Pattern, rt.Action, want)
		}
	}

	if n < 24 {
		t.Errorf("%d exception routes, want 24", n)
	}
}
