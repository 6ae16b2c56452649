package web_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/monitor"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/internal/web"
)

// Two write-offs of 30.00 on one payment, each under the 50.00 limit alone, go
// through the API only with a second person: the second waits for approval.
func TestChainedWriteOffsNeedApprovalOverTheAPI(t *testing.T) {
	t.Parallel()

	a := start(t)
	ids := seed(t, a.pool, 10000)
	ops := a.as(a.tokenFor(t, "ana", auth.RoleOps))

	var out exceptions.Outcome
	if code := ops.post(t, "/api/exceptions/"+itoa(ids[0])+"/apply",
		`{"lines":[{"invoice_number":"INV-1001","amount":"10.00","writeoff":"30.00",`+
			`"writeoff_reason":"short_payment"}],"rest":"open"}`, &out); code != 200 ||
		out.Status != store.ExceptionResolved || out.RemainderID == 0 {
		t.Fatalf("first write-off of 30.00: %d %+v", code, out)
	}

	rest := out.RemainderID
	out = exceptions.Outcome{}

	if code := ops.post(t, "/api/exceptions/"+itoa(rest)+"/apply",
		`{"lines":[{"invoice_number":"INV-1002","amount":"10.00","writeoff":"30.00",`+
			`"writeoff_reason":"short_payment"}],"rest":"open"}`, &out); code !=
		http.StatusAccepted || out.Approval == nil || out.Status != store.ExceptionOpen {
		t.Fatalf("second write-off of 30.00 on the same payment: %d %+v", code, out)
	}
}

// The shared legacy token cannot be the second person: its callers only name
// themselves in a header, so it may neither approve nor reject a write-off.
func TestLegacyTokenCannotDecideApprovals(t *testing.T) {
	t.Parallel()

	a := startWith(t, auth.Config{Logger: quiet, LegacyToken: "s3cret-token"})
	ids := seed(t, a.pool, 4900)
	ops := a.as(a.tokenFor(t, "ana", auth.RoleOps))

	var out exceptions.Outcome
	if code := ops.post(t, "/api/exceptions/"+itoa(ids[0])+"/writeoff",
		`{"invoice_number":"INV-1002","amount":"49.00","writeoff":"90.50",`+
			`"reason":"short_payment"}`, &out); code != http.StatusAccepted ||
		out.Approval == nil {
		t.Fatalf("write-off above the limit: %d %+v", code, out)
	}

	legacy := a.as("s3cret-token") // do sends X-O2C-Actor: someone.else
	path := "/api/approvals/" + itoa(out.Approval.ID)

	for _, verb := range []string{"/approve", "/reject"} {
		var e apiError
		if code := legacy.post(t, path+verb, `{"note":"fine"}`, &e); code !=
			http.StatusForbidden || e.Error != "forbidden" ||
			!strings.Contains(e.Detail, "shared API token") {
			t.Errorf("legacy token %s: %d %+v, want 403 forbidden", verb, code, e)
		}
	}

	var pending struct {
		Approvals []store.Approval `json:"approvals"`
	}

	if code := ops.get(t, "/api/approvals?status=pending", &pending); code != 200 ||
		len(pending.Approvals) != 1 {
		t.Fatalf("after the legacy token's attempts: %d %+v", code, pending)
	}

	// A person with their own token still decides.
	bo := a.as(a.tokenFor(t, "bo", auth.RoleOps))
	out = exceptions.Outcome{}

	if code := bo.post(t, path+"/approve", `{}`, &out); code != 200 ||
		out.Approval == nil || out.Approval.DecidedBy != "bo" {
		t.Fatalf("approve by bo: %d %+v", code, out)
	}
}

// hostCall sends a request to base with Host set to host and returns the status
// and the body.
func hostCall(t *testing.T, method, base, path, host, body string) (int, []byte) {
	t.Helper()

	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}

	req.Host = host
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()

	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}

	return resp.StatusCode, raw
}

// A page of another site that points its name at 127.0.0.1 (DNS rebinding)
// reaches o2c with its own name in Host: it is refused, logins and /metrics
// included; /healthz answers whatever the Host.
func TestRequestsToAnotherHostAreRefused(t *testing.T) {
	t.Parallel()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}

	addr := ln.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	pool := pgtest.DB(t)

	mon, err := monitor.New(monitor.Config{Addr: addr, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}

	srv := httptest.NewUnstartedServer(web.New(web.Config{Pool: pool, Logger: quiet,
		Auth: auth.New(pool, auth.Config{Logger: quiet}), Monitor: mon, Addr: addr,
		AllowedHosts: []string{"o2c.corp.example"}}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)

	login := `{"name":"ana","password":"wrong wrong wrong"}`
	for _, host := range []string{"rebind.example:" + port, "rebind.example",
		"localhost:1", "127.0.0.2:" + port} {
		for _, c := range []struct{ method, path, body string }{
			{http.MethodPost, "/api/login", login},
			{http.MethodGet, "/metrics", ""},
			{http.MethodGet, "/login", ""},
			{http.MethodGet, "/readyz", ""},
		} {
			code, raw := hostCall(t, c.method, srv.URL, c.path, host, c.body)

			var e apiError
			if code != http.StatusMisdirectedRequest || json.Unmarshal(raw, &e) != nil ||
				e.Error != "unknown_host" {
				t.Errorf("Host %s: %s %s: %d %s, want 421 unknown_host", host, c.method,
					c.path, code, raw)
			}
		}

		if code, _ := hostCall(t, http.MethodGet, srv.URL, "/healthz", host, ""); code != 200 {
			t.Errorf("Host %s: /healthz %d, want 200", host, code)
		}
	}

	for _, host := range []string{addr, "localhost:" + port, "[::1]:" + port,
		"o2c.corp.example", "o2c.corp.example:443"} {
		if code, _ := hostCall(t, http.MethodGet, srv.URL, "/api/me", host,
			""); code != http.StatusUnauthorized {
			t.Errorf("Host %s: /api/me %d, want 401", host, code)
		}

		if code, _ := hostCall(t, http.MethodGet, srv.URL, "/metrics", host, ""); code != 200 {
			t.Errorf("Host %s: /metrics %d, want 200", host, code)
		}
	}
}

// rawCall sends a request with a's token and returns the answer and its body.
func rawCall(t *testing.T, a *api, method, path, body string) (*http.Response, string) {
	t.Helper()

	req, err := http.NewRequest(method, a.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}

	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()

	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}

	return resp, string(raw)
}

// A query string that does not parse is refused, not read in part.
func TestMalformedQueryStringsAreRefused(t *testing.T) {
	t.Parallel()

	a := start(t)
	many := strings.Repeat("x=1&", 10001)

	for _, path := range []string{"/api/exceptions?sort=amount;drop",
		"/api/exceptions?status=%zz", "/api/bank-files?" + many,
		"/api/exceptions.csv?status=open;x", "/api/approvals?status=pending;1"} {
		resp, body := rawCall(t, a, http.MethodGet, path, "")

		var e apiError
		if resp.StatusCode != http.StatusBadRequest || json.Unmarshal([]byte(body), &e) != nil ||
			e.Error != "invalid" || !strings.Contains(e.Detail, "query string") {
			t.Errorf("GET %.60s: %d %.200s, want 400 invalid", path, resp.StatusCode, body)
		}
	}

	if resp, body := rawCall(t, a, http.MethodGet, "/api/exceptions?status=open&limit=5",
		""); resp.StatusCode != 200 {
		t.Errorf("a good query: %d %s", resp.StatusCode, body)
	}
}

// API answers, JSON and CSV, are neither cached nor sniffed; /static/ lists no
// directory.
func TestAPIAnswersAreNotCachedNorSniffed(t *testing.T) {
	t.Parallel()

	a := start(t)

	for _, path := range []string{"/api/exceptions", "/api/exceptions.csv", "/api/me",
		"/api/nowhere", "/api/bank-files/x"} {
		resp, _ := rawCall(t, a, http.MethodGet, path, "")
		if resp.Header.Get("Cache-Control") != "no-store" ||
			resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s (%d): Cache-Control %q, X-Content-Type-Options %q", path,
				resp.StatusCode, resp.Header.Get("Cache-Control"),
				resp.Header.Get("X-Content-Type-Options"))
		}
	}

	for path, want := range map[string]int{"/static/": 404, "/static/o2c.css": 200,
		"/static/index.html": 301} {
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}

		resp, err := client.Get(a.url + path)
		if err != nil {
			t.Fatal(err)
		}

		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()

		if resp.StatusCode != want || strings.Contains(string(raw), `<a href="o2c.css">`) {
			t.Errorf("GET %s: %d %.200s, want %d", path, resp.StatusCode, raw, want)
		}
	}
}

// Decode errors speak of the request's fields, never of Go types; a body over
// its limit is 413 too_large.
func TestJSONErrorsSpeakOfTheRequest(t *testing.T) {
	t.Parallel()

	a := start(t)
	ids := seed(t, a.pool, 1000)
	apply := "/api/exceptions/" + itoa(ids[0]) + "/apply"

	cases := []struct {
		path, body string
		status     int
		code, want string
	}{
		{apply, `{"lines":[{"invoice_number":"INV-1001","amount":640}]}`, 400, "invalid_json",
			"lines.amount: must be a JSON string"},
		{apply, `{"lines":`, 400, "invalid_json", "ends too early"},
		{apply, `{"lines":[}`, 400, "invalid_json", "not valid JSON"},
		{apply, `[1]`, 400, "invalid_json", "must be a JSON object"},
		{apply, `{"note":"` + strings.Repeat("x", 1<<20) + `"}`, 413, "too_large", "size limit"},
		{"/api/tokens", `{"label":5}`, 400, "invalid_json", "label: must be a JSON string"},
		{"/api/login", `{"name":"` + strings.Repeat("a", 1<<15) + `"}`, 413, "too_large",
			"size limit"},
	}

	for _, c := range cases {
		resp, body := rawCall(t, a, http.MethodPost, c.path, c.body)

		var e apiError
		if resp.StatusCode != c.status || json.Unmarshal([]byte(body), &e) != nil ||
			e.Error != c.code || !strings.Contains(e.Detail, c.want) ||
			strings.Contains(e.Detail, "Go ") || strings.Contains(e.Detail, "json:") {
			t.Errorf("POST %s %.40s: %d %.300s, want %d %s %q", c.path, c.body,
				resp.StatusCode, body, c.status, c.code, c.want)
		}
	}

	// A name with a bidirectional override reads as another name: refused.
	resp, body := rawCall(t, a, http.MethodPost, "/api/bank-files?name=inv%E2%80%AEvsc.exe",
		"date,amount\n")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "invalid_upload") {
		t.Errorf("bidi file name: %d %s", resp.StatusCode, body)
	}
}
