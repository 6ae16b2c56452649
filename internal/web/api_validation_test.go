package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/web"
)

// badCall is one invalid request to a route and the status it must get.
type badCall struct {
	what   string // what is wrong with it
	method string
	path   string
	// contentType defaults to application/json when body is not empty.
	contentType string
	body        string
	want        int
}

// routesWithoutInput are the /api/ routes that read nothing from the request: no
// path value, query parameter or body. Each says why.
var routesWithoutInput = map[string]string{
	"GET /api/me":                  "answers who the caller is; reads nothing",
	"GET /api/exceptions/settings": "answers the configured reasons and limits; reads nothing",
	"GET /api/exception-views":     "lists the caller's own views; reads nothing",
}

// TestEveryAPIRouteRefusesBadInput sends each /api/ route of the route table
// invalid requests (a bad id, bad JSON, an unknown or missing field, a wrong type,
// a value out of range, a bad cursor or query parameter) and checks that each is
// refused with 400, 404 or 422 in the API's one error shape. A new /api/ route
// fails the test until it has a row here or in routesWithoutInput.
func TestEveryAPIRouteRefusesBadInput(t *testing.T) {
	a := start(t)
	ids := seed(t, a.pool, 100, 200)
	ex := itoa(ids[0])

	var up uploadResult
	if code := a.do(t, http.MethodPost, "/api/bank-files?name=v.csv", "text/csv",
		strings.NewReader(csvFile), &up); code != http.StatusAccepted {
		t.Fatalf("upload: %d", code)
	}

	file := itoa(up.Files[0].File.ID)

	post := func(what, path, body string, want int) badCall {
		return badCall{what: what, method: http.MethodPost, path: path, body: body, want: want}
	}

	get := func(what, path string, want int) badCall {
		return badCall{what: what, method: http.MethodGet, path: path, want: want}
	}

	// exceptionAction is the bad requests every POST /api/exceptions/{id}/ACTION
	// refuses before it looks at the exception.
	exceptionAction := func(action string) []badCall {
		return []badCall{
			post("id not a number", "/api/exceptions/abc/"+action, `{}`, 400),
			post("id zero", "/api/exceptions/0/"+action, `{}`, 400),
			post("bad JSON", "/api/exceptions/"+ex+"/"+action, `{"note":`, 400),
			post("unknown field", "/api/exceptions/"+ex+"/"+action, `{"nope":1}`, 400),
			post("JSON array", "/api/exceptions/"+ex+"/"+action, `[]`, 400),
		}
	}

	table := map[string][]badCall{
		"GET /api/tokens": {
			get("user not a name", "/api/tokens?user=Not%20A%20Name", 400),
			get("unknown user", "/api/tokens?user=nobody", 404),
		},
		"POST /api/tokens": {
			post("bad JSON", "/api/tokens", `{`, 400),
			post("unknown field", "/api/tokens", `{"labl":"x"}`, 400),
			post("wrong type", "/api/tokens", `{"expires_in_days":"7"}`, 400),
			post("days out of range", "/api/tokens", `{"expires_in_days":4000}`, 422),
			post("negative days", "/api/tokens", `{"expires_in_days":-1}`, 422),
			post("label too long", "/api/tokens", `{"label":"`+strings.Repeat("x", 101)+`"}`,
				422),
			post("unknown user", "/api/tokens", `{"user":"nobody"}`, 404),
			post("NUL in the label", "/api/tokens", `{"label":"a\u0000b"}`, 400),
		},
		"DELETE /api/tokens/{id}": {
			{what: "id not a number", method: http.MethodDelete, path: "/api/tokens/x", want: 400},
			{what: "unknown id", method: http.MethodDelete, path: "/api/tokens/987654", want: 404},
		},
		"POST /api/bank-files": {
			post("no name", "/api/bank-files", "a,b\n", 400),
			{what: "empty file", method: http.MethodPost, path: "/api/bank-files?name=e.csv",
				contentType: "text/csv", want: 400},
			{what: "control character in the name", method: http.MethodPost,
				path: "/api/bank-files?name=a%0Ab.csv", contentType: "text/csv", body: "x",
				want: 400},
			{what: "multipart without a file field", method: http.MethodPost,
				path: "/api/bank-files", contentType: "multipart/form-data; boundary=zz",
				body: "--zz\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\n" +
					"x\r\n--zz--\r\n",
				want: 400},
		},
		"GET /api/bank-files": {
			get("cursor not an id", "/api/bank-files?before=abc", 400),
			get("both cursors", "/api/bank-files?before=5&after=3", 400),
			get("limit out of range", "/api/bank-files?limit=0", 400),
			get("bad day", "/api/bank-files?from=2026-13-01", 400),
			get("unknown status", "/api/bank-files?status=lost", 400),
		},
		"GET /api/bank-files/{id}": {
			get("id not a number", "/api/bank-files/abc", 400),
			get("unknown id", "/api/bank-files/987654", 404),
		},
		"GET /api/bank-files/{id}/report": {
			get("id not a number", "/api/bank-files/abc/report", 400),
			get("unknown id", "/api/bank-files/987654/report", 404),
		},
		"GET /api/bank-files/{id}/payments": {
			get("id not a number", "/api/bank-files/-3/payments", 400),
			get("unknown id", "/api/bank-files/987654/payments", 404),
			get("cursor not a position", "/api/bank-files/"+file+"/payments?after=x", 400),
			get("limit out of range", "/api/bank-files/"+file+"/payments?limit=1001", 400),
		},
		"GET /api/bank-files/{id}/raw": {
			get("id not a number", "/api/bank-files/abc/raw", 404),
			get("unknown id", "/api/bank-files/987654/raw", 404),
		},
		"POST /api/bank-files/{id}/retry": {
			post("id not a number", "/api/bank-files/abc/retry", ``, 404),
			post("unknown id", "/api/bank-files/987654/retry", ``, 404),
		},
		"GET /api/audit": {
			get("bad day", "/api/audit?from=yesterday", 400),
			get("range ends before it starts", "/api/audit?from=2026-10-05&to=2026-10-01", 400),
			get("cursor not an id", "/api/audit?before=-1", 400),
			get("limit not a number", "/api/audit?limit=ten", 400),
			get("actor not UTF-8", "/api/audit?actor=%ff", 400),
		},
		"GET /api/exceptions": {
			get("unknown status", "/api/exceptions?status=lost", 400),
			get("bad cursor", "/api/exceptions?cursor=not-a-cursor", 400),
			get("limit out of range", "/api/exceptions?limit=100000", 400),
			get("bad amount", "/api/exceptions?min_amount=lots", 400),
			get("unknown currency", "/api/exceptions?currency=EURO", 400),
			get("bad direction", "/api/exceptions?sort=age&dir=sideways", 400),
			get("age out of range", "/api/exceptions?min_age_days=-5", 400),
			get("misspelt parameter", "/api/exceptions?stauts=open", 400),
		},
		"GET /api/exceptions.csv": {
			get("unknown status", "/api/exceptions.csv?status=lost", 400),
			get("unknown sort", "/api/exceptions.csv?sort=colour", 400),
			get("misspelt parameter", "/api/exceptions.csv?curency=EUR", 400),
		},
		"GET /api/exceptions/counts": {
			get("unknown status", "/api/exceptions/counts?status=lost", 400),
			get("misspelt parameter", "/api/exceptions/counts?reasons=x", 400),
		},
		"GET /api/exceptions/{id}": {
			get("id not a number", "/api/exceptions/abc", 400),
			get("unknown id", "/api/exceptions/987654", 404),
		},
		"POST /api/exceptions/{id}/resolve": append(exceptionAction("resolve"),
			post("nothing to do", "/api/exceptions/"+ex+"/resolve", `{}`, 422),
			post("wrong type", "/api/exceptions/"+ex+"/resolve", `{"park":"yes"}`, 400),
			post("unknown exception", "/api/exceptions/987654/resolve", `{"park":true}`, 404)),
		"POST /api/exceptions/{id}/apply": append(exceptionAction("apply"),
			post("no lines", "/api/exceptions/"+ex+"/apply", `{"lines":[]}`, 422),
			post("amount not a number", "/api/exceptions/"+ex+"/apply",
				`{"lines":[{"invoice_number":"INV-1001","amount":"1.0.0"}]}`, 422),
			post("amount too large", "/api/exceptions/"+ex+"/apply",
				`{"lines":[{"invoice_number":"INV-1001","amount":"99999999999999999999"}]}`, 422),
			post("amount as a JSON number", "/api/exceptions/"+ex+"/apply",
				`{"lines":[{"invoice_number":"INV-1001","amount":1.00}]}`, 400),
			post("unknown invoice", "/api/exceptions/"+ex+"/apply",
				`{"lines":[{"invoice_number":"INV-0000","amount":"1.00"}]}`, 422)),
		"POST /api/exceptions/{id}/split": append(exceptionAction("split"),
			post("missing lines", "/api/exceptions/"+ex+"/split", `{}`, 422)),
		"POST /api/exceptions/{id}/writeoff": append(exceptionAction("writeoff"),
			post("missing reason", "/api/exceptions/"+ex+"/writeoff",
				`{"invoice_number":"INV-1001","amount":"1.00"}`, 422),
			post("unknown reason", "/api/exceptions/"+ex+"/writeoff",
				`{"invoice_number":"INV-1001","amount":"1.00","reason":"whim"}`, 422)),
		"POST /api/exceptions/{id}/park": append(exceptionAction("park"),
			post("unknown customer", "/api/exceptions/"+ex+"/park",
				`{"customer_id":"NO-SUCH"}`, 422),
			post("NUL in the customer", "/api/exceptions/"+ex+"/park",
				`{"customer_id":"\u0000"}`, 400)),
		"POST /api/exceptions/{id}/refund": append(exceptionAction("refund"),
			post("wrong type", "/api/exceptions/"+ex+"/refund", `{"note":5}`, 400)),
		"POST /api/exceptions/{id}/return": append(exceptionAction("return"),
			post("unknown exception", "/api/exceptions/987654/return", ``, 404)),
		"POST /api/exceptions/{id}/close": append(exceptionAction("close"),
			post("cash left to apply", "/api/exceptions/"+ex+"/close", `{"note":"x"}`, 422)),
		"POST /api/exceptions/{id}/apply-suggested": append(exceptionAction("apply-suggested"),
			post("no suggestion", "/api/exceptions/"+ex+"/apply-suggested", ``, 422)),
		"POST /api/exceptions/{id}/comments": append(exceptionAction("comments"),
			post("missing body", "/api/exceptions/"+ex+"/comments", `{}`, 422),
			post("body too long", "/api/exceptions/"+ex+"/comments",
				`{"body":"`+strings.Repeat("x", 5000)+`"}`, 422)),
		"POST /api/exceptions/{id}/assign": append(exceptionAction("assign"),
			post("assignee too long", "/api/exceptions/"+ex+"/assign",
				`{"assignee":"`+strings.Repeat("a", 200)+`"}`, 422),
			post("missing body", "/api/exceptions/"+ex+"/assign", ``, 400)),
		"POST /api/exceptions/{id}/reopen": append(exceptionAction("reopen"),
			post("wrong type", "/api/exceptions/"+ex+"/reopen", `{"note":["x"]}`, 400),
			post("unknown exception", "/api/exceptions/987654/reopen", ``, 404)),
		"POST /api/exceptions/bulk": {
			post("bad JSON", "/api/exceptions/bulk", `{"ids":[1,`, 400),
			post("unknown action", "/api/exceptions/bulk", `{"action":"smash","ids":[`+ex+`]}`,
				422),
			post("no ids", "/api/exceptions/bulk", `{"action":"assign","assignee":"me"}`, 422),
			post("ids as text", "/api/exceptions/bulk", `{"action":"park","ids":"1,2"}`, 400),
		},
		"GET /api/dashboard": {
			get("unknown currency", "/api/dashboard?currency=EURO", 400),
			get("days out of range", "/api/dashboard?days=0", 400),
			get("days and a range", "/api/dashboard?days=7&from=2026-01-01&to=2026-01-31", 400),
			get("bad day", "/api/dashboard?from=2026-02-30&to=2026-03-01", 400),
			get("range ends before it starts",
				"/api/dashboard?from=2026-03-01&to=2026-02-01", 400),
		},
		"GET /api/approvals": {
			get("unknown status", "/api/approvals?status=maybe", 400),
		},
		"POST /api/approvals/{id}/approve": {
			post("id not a number", "/api/approvals/abc/approve", ``, 400),
			post("unknown field", "/api/approvals/1/approve", `{"notes":"x"}`, 400),
			post("unknown approval", "/api/approvals/987654/approve", ``, 404),
		},
		"POST /api/approvals/{id}/reject": {
			post("id not a number", "/api/approvals/0/reject", ``, 400),
			post("wrong type", "/api/approvals/1/reject", `{"note":true}`, 400),
			post("unknown approval", "/api/approvals/987654/reject", `{"note":"no"}`, 404),
		},
		"POST /api/exception-views": {
			post("missing name", "/api/exception-views", `{"query":"status=open"}`, 422),
			post("query that does not read", "/api/exception-views",
				`{"name":"v","query":"status=lost"}`, 422),
			post("unknown field", "/api/exception-views", `{"name":"v","filter":"x"}`, 400),
		},
		"DELETE /api/exception-views/{id}": {
			{what: "id not a number", method: http.MethodDelete, path: "/api/exception-views/v1",
				want: 400},
			{what: "unknown id", method: http.MethodDelete, path: "/api/exception-views/987654",
				want: 404},
		},
		"GET /api/invoices": invoiceBadCalls(),
		"GET /api/users": {
			get("cursor not a name", "/api/users?after=Not%20A%20Name", 400),
			get("limit out of range", "/api/users?limit=5000", 400),
		},
		"POST /api/users": {
			post("bad JSON", "/api/users", `{"name":"x"`, 400),
			post("unknown field", "/api/users", `{"name":"x","rol":"ops"}`, 400),
			post("missing name", "/api/users", `{"role":"ops","password":"`+testPassword+`"}`,
				422),
			post("wrong type", "/api/users", `{"name":"x","role":1}`, 400),
			post("short password", "/api/users", `{"name":"x","role":"ops","password":"a"}`,
				422),
		},
		"GET /api/users/{name}": {
			get("not a user name", "/api/users/Ana%20B", 400),
			get("unknown user", "/api/users/nobody", 404),
		},
		"POST /api/users/{name}/role": {
			post("unknown role", "/api/users/ops.test/role", `{"role":"boss"}`, 422),
			post("missing role", "/api/users/ops.test/role", `{}`, 422),
			post("unknown user", "/api/users/nobody/role", `{"role":"ops"}`, 404),
			post("not a user name", "/api/users/A/role", `{"role":"ops"}`, 400),
		},
		"POST /api/users/{name}/disable": {
			post("unknown user", "/api/users/nobody/disable", ``, 404),
			post("unknown field", "/api/users/ops.test/disable", `{"now":true}`, 400),
		},
		"POST /api/users/{name}/enable": {
			post("unknown user", "/api/users/nobody/enable", ``, 404),
			post("not a user name", "/api/users/anonymous/enable", ``, 400),
		},
		"POST /api/users/{name}/password": {
			post("missing password", "/api/users/ops.test/password", `{}`, 422),
			post("too long", "/api/users/ops.test/password",
				`{"password":"`+strings.Repeat("p", 1025)+`"}`, 422),
			post("bad JSON", "/api/users/ops.test/password", `password`, 400),
		},
		"POST /api/me/password": {
			post("missing new password", "/api/me/password",
				`{"current_password":"`+testPassword+`"}`, 422),
			post("unknown field", "/api/me/password", `{"old":"x"}`, 400),
		},
	}

	srv := web.New(web.Config{Pool: a.pool, Auth: a.auth, Logger: quiet})

	var routes []string
	for _, rt := range srv.Routes() {
		if _, path, _ := strings.Cut(rt.Pattern, " "); strings.HasPrefix(path, "/api/") {
			routes = append(routes, rt.Pattern)
		}
	}

	for _, p := range routes {
		_, none := routesWithoutInput[p]
		if calls, ok := table[p]; !ok && !none {
			t.Errorf("route %s has no invalid requests in the table: add a row, or say in "+
				"routesWithoutInput why it reads no input", p)
		} else if ok && none {
			t.Errorf("route %s is both in the table and in routesWithoutInput", p)
		} else if ok && len(calls) == 0 {
			t.Errorf("route %s has an empty row", p)
		}
	}

	// A row for a route not registered (yet) is skipped: the table may run ahead of
	// a route being built.
	for p := range table {
		if !slices.Contains(routes, p) {
			t.Logf("no route %s: its row is skipped", p)
			delete(table, p)
		}
	}

	for p := range routesWithoutInput {
		if !slices.Contains(routes, p) {
			t.Errorf("routesWithoutInput names %s, which is not an /api/ route", p)
		}
	}

	for pattern, calls := range table {
		for _, c := range calls {
			status, raw, ct := a.raw(t, c)
			label := fmt.Sprintf("%s (%s: %s %s)", pattern, c.what, c.method, c.path)

			if status != c.want {
				t.Errorf("%s: %d %s, want %d", label, status, clip(string(raw)), c.want)
			}

			checkErrorShape(t, label, status, ct, raw)
		}
	}
}

// raw sends c as a's caller and returns the status, body and content type.
func (a *api) raw(t *testing.T, c badCall) (int, []byte, string) {
	t.Helper()

	req, err := http.NewRequest(c.method, a.url+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}

	ct := c.contentType
	if ct == "" && c.body != "" {
		ct = "application/json"
	}

	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}

	req.Header.Set("Authorization", "Bearer "+a.token)

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()

	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}

	return resp.StatusCode, raw, resp.Header.Get("Content-Type")
}

// checkErrorShape checks that a refusal is a client error in the API's one error
// shape: a JSON object with a code in "error", words in "detail", and at most the
// refused "fields" besides.
func checkErrorShape(t *testing.T, label string, status int, contentType string, raw []byte) {
	t.Helper()

	if status != 400 && status != 404 && status != 422 {
		t.Errorf("%s: status %d is not a refusal of bad input", label, status)
	}

	if contentType != "application/json" {
		t.Errorf("%s: content type %q, want application/json", label, contentType)
	}

	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Errorf("%s: answer %s is not a JSON object: %v", label, clip(string(raw)), err)
		return
	}

	for k := range m {
		if k != "error" && k != "detail" && k != "fields" {
			t.Errorf("%s: unexpected key %q in %s", label, k, raw)
		}
	}

	var e struct {
		Error  string `json:"error"`
		Detail string `json:"detail"`
		Fields []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"fields"`
	}

	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&e); err != nil || e.Error == "" || e.Detail == "" {
		t.Errorf("%s: answer %s lacks an error code or a detail (%v)", label, raw, err)
	}

	for _, f := range e.Fields {
		if f.Message == "" {
			t.Errorf("%s: a refused field without a message: %s", label, raw)
		}
	}
}
