package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/internal/web"
)

// browser is a client with a cookie jar, as a person's browser: it logs in with a
// password and sends the session cookie, and the CSRF token when csrf is set.
type browser struct {
	t      *testing.T
	base   string
	client *http.Client
	csrf   string
}

func newBrowser(t *testing.T, base string, client *http.Client) *browser {
	t.Helper()

	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}

	c := *client
	c.Jar = jar

	return &browser{t: t, base: base, client: &c}
}

// send makes a request with the cookie jar; header pairs are added as given.
func (b *browser) send(method, path, contentType string, body io.Reader,
	header ...string) (*http.Response, []byte) {
	b.t.Helper()

	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}

	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}

	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}

	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()

	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}

	return resp, raw
}

// login posts name and password and keeps the CSRF token the answer carries.
func (b *browser) login(name, password string) (*http.Response, []byte) {
	b.t.Helper()

	body, _ := json.Marshal(map[string]string{"name": name, "password": password})
	resp, raw := b.send(http.MethodPost, "/api/login", "application/json",
		bytes.NewReader(body))

	var out struct {
		CSRF string `json:"csrf_token"`
	}

	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &out); err != nil || out.CSRF == "" {
			b.t.Fatalf("login answer %s: %v", raw, err)
		}

		b.csrf = out.CSRF
	}

	return resp, raw
}

func (b *browser) status(method, path, contentType, body string, header ...string) int {
	b.t.Helper()

	resp, _ := b.send(method, path, contentType, strings.NewReader(body), header...)

	return resp.StatusCode
}

func sessionCookie(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == auth.CookieName {
			return c
		}
	}

	return nil
}

// routeCall is how the role table calls one route as one caller: call returns the
// method, path, content type and body, fresh for each caller so that a successful
// call does not spoil the next one.
type routeCall struct {
	pattern string
	ok      int
	call    func(caller int) (method, path, contentType string, body io.Reader)
}

func jsonBody(method, path, body string) (string, string, string, io.Reader) {
	return method, path, "application/json", strings.NewReader(body)
}

func TestEveryRouteChecksTheRole(t *testing.T) {
	a := start(t)
	ids := seed(t, a.pool, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000)

	roles := []auth.Role{auth.RoleAdmin, auth.RoleTreasury, auth.RoleOps, auth.RoleViewer}
	tokens := map[auth.Role]string{}
	spare := map[string]int64{} // a second token of each user, to revoke

	for _, r := range roles {
		name := "u." + string(r)
		tokens[r] = a.tokenFor(t, name, r)

		tok, _, err := a.auth.CreateToken(context.Background(), "test", name, "spare", 0)
		if err != nil {
			t.Fatal(err)
		}

		spare[name] = tok.ID
	}

	var fileID int64

	var first uploadResult
	if code := a.do(t, http.MethodPost, "/api/bank-files?name=seed.csv", "text/csv",
		strings.NewReader(csvFile), &first); code != http.StatusAccepted {
		t.Fatalf("seed upload: %d", code)
	}

	fileID = first.Files[0].File.ID

	calls := []routeCall{
		{"GET /api/me", 200, func(int) (string, string, string, io.Reader) {
			return http.MethodGet, "/api/me", "", nil
		}},
		{"GET /api/tokens", 200, func(int) (string, string, string, io.Reader) {
			return http.MethodGet, "/api/tokens", "", nil
		}},
		{"POST /api/tokens", 201, func(int) (string, string, string, io.Reader) {
			return jsonBody(http.MethodPost, "/api/tokens", `{"label":"table"}`)
		}},
		{"GET /api/exceptions", 200, func(int) (string, string, string, io.Reader) {
			return http.MethodGet, "/api/exceptions?limit=5", "", nil
		}},
		{"GET /api/exceptions/{id}", 200, func(int) (string, string, string, io.Reader) {
			return http.MethodGet, "/api/exceptions/" + itoa(ids[0]), "", nil
		}},
		{"POST /api/exceptions/{id}/resolve", 200,
			func(c int) (string, string, string, io.Reader) {
				return jsonBody(http.MethodPost, "/api/exceptions/"+itoa(ids[c])+"/resolve",
					`{"park":true,"customer_id":"CUST-3"}`)
			}},
		{"POST /api/exceptions/{id}/assign", 200,
			func(int) (string, string, string, io.Reader) {
				return jsonBody(http.MethodPost, "/api/exceptions/"+itoa(ids[9])+"/assign",
					`{"assignee":"ana"}`)
			}},
		{"POST /api/bank-files", 202, func(c int) (string, string, string, io.Reader) {
			return http.MethodPost, "/api/bank-files?name=t.csv", "text/csv",
				strings.NewReader(csvFile + fmt.Sprintf("2026-10-03,%d.00,EUR,B,X\n", c+1))
		}},
		{"GET /api/bank-files", 200, func(int) (string, string, string, io.Reader) {
			return http.MethodGet, "/api/bank-files", "", nil
		}},
		{"GET /api/bank-files/{id}", 200, func(int) (string, string, string, io.Reader) {
			return http.MethodGet, "/api/bank-files/" + itoa(fileID), "", nil
		}},
		{"DELETE /api/tokens/{id}", 200, func(int) (string, string, string, io.Reader) {
			return http.MethodDelete, "/api/tokens/0", "", nil // path set per user below
		}},
	}
	calls = append(calls, pageCalls(t, a.pool, fileID)...)
	calls = append(calls, exceptionCalls(t, a.pool)...)
	calls = append(calls, exceptionPageCalls(t, a.pool)...)
	calls = append(calls, dashboardCalls(t, a.pool)...)
	calls = append(calls, userCalls(t, a.pool)...)
	calls = append(calls, invoiceCalls(t, a.pool)...)

	// The table covers every authenticated route the server has.
	srv := web.New(web.Config{Pool: a.pool, Auth: a.auth, Logger: quiet})
	covered := map[string]auth.Action{}
	for _, rt := range srv.Routes() {
		covered[rt.Pattern] = rt.Action
	}

	for _, c := range calls {
		if _, ok := covered[c.pattern]; !ok {
			t.Errorf("%s is not a route", c.pattern)
		}

		delete(covered, c.pattern)
	}

	for p := range covered {
		t.Errorf("route %s is missing from the table", p)
	}

	action := map[string]auth.Action{}
	for _, rt := range srv.Routes() {
		action[rt.Pattern] = rt.Action
	}

	// Sessions of the same users, for the same table through the cookie.
	browsers := map[auth.Role]*browser{}
	for _, r := range roles {
		b := newBrowser(t, a.url, http.DefaultClient)
		if resp, raw := b.login("u."+string(r), testPassword); resp.StatusCode != 200 {
			t.Fatalf("login u.%s: %d %s", r, resp.StatusCode, raw)
		}

		browsers[r] = b
	}

	caller := 0

	for _, c := range calls {
		for _, via := range []string{"anonymous", "token", "session"} {
			for _, r := range roles {
				if via == "anonymous" && r != auth.RoleAdmin {
					continue
				}

				method, path, ct, body := c.call(caller % 9)
				caller++

				if c.pattern == "DELETE /api/tokens/{id}" {
					path = "/api/tokens/" + itoa(spare["u."+string(r)])
				}

				req, err := http.NewRequest(method, a.url+path, body)
				if err != nil {
					t.Fatal(err)
				}

				if ct != "" {
					req.Header.Set("Content-Type", ct)
				}

				client := http.DefaultClient

				switch via {
				case "token":
					req.Header.Set("Authorization", "Bearer "+tokens[r])
				case "session":
					client = browsers[r].client
					req.Header.Set(auth.CSRFHeader, browsers[r].csrf)
				}

				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}

				raw, _ := io.ReadAll(resp.Body)
				_ = resp.Body.Close()

				want := c.ok
				switch {
				case via == "anonymous":
					want = http.StatusUnauthorized
				case !auth.Can(r, action[c.pattern]):
					want = http.StatusForbidden
				}

				who := via
				if via != "anonymous" {
					who += " " + string(r)
				}

				if resp.StatusCode != want {
					t.Errorf("%s as %s: %d %s, want %d", c.pattern, who, resp.StatusCode, raw,
						want)
				}

				if want >= 400 && !bytes.Contains(raw, []byte(`"error":`)) {
					t.Errorf("%s as %s: refusal %s is not the API's error shape", c.pattern,
						who, raw)
				}

				// The spare token was revoked by the token round; the session round
				// revokes a fresh one.
				if c.pattern == "DELETE /api/tokens/{id}" && via == "token" &&
					resp.StatusCode == 200 {
					tok, _, err := a.auth.CreateToken(context.Background(), "test",
						"u."+string(r), "spare", 0)
					if err != nil {
						t.Fatal(err)
					}

					spare["u."+string(r)] = tok.ID
				}
			}
		}
	}

	// The public routes stay public.
	anon := a.as("")
	for _, p := range []string{"/healthz", "/readyz"} {
		if code := anon.get(t, p, nil); code != http.StatusOK {
			t.Errorf("GET %s anonymously: %d", p, code)
		}
	}
}

func TestActorIsTheAuthenticatedUser(t *testing.T) {
	a := start(t)
	ids := seed(t, a.pool, 5000)

	ops := a.as(a.tokenFor(t, "ana", auth.RoleOps))

	var out map[string]string
	if code := ops.post(t, "/api/exceptions/"+itoa(ids[0])+"/assign", `{"assignee":"bo"}`,
		&out); code != http.StatusOK {
		t.Fatalf("assign: %d", code)
	}

	log, err := store.AuditLog(context.Background(), a.pool, "exception", itoa(ids[0]), 1)
	if err != nil || len(log) != 1 || log[0].Actor != "ana" {
		t.Errorf("audit actor: %+v %v, want ana despite X-O2C-Actor", log, err)
	}
}

func TestLoginAndLogout(t *testing.T) {
	a := start(t)
	a.addUser(t, "ana", auth.RoleOps)
	a.addUser(t, "gone", auth.RoleViewer)

	if err := a.auth.Disable(context.Background(), "test", "gone"); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, a.url, http.DefaultClient)

	for name, creds := range map[string][2]string{
		"wrong password": {"ana", testPassword + "!"},
		"unknown user":   {"nobody", testPassword},
		"disabled user":  {"gone", testPassword},
		"empty":          {"", ""},
	} {
		resp, raw := b.login(creds[0], creds[1])
		if resp.StatusCode != http.StatusUnauthorized ||
			!bytes.Contains(raw, []byte(`"invalid_credentials"`)) ||
			sessionCookie(resp) != nil {
			t.Errorf("%s: %d %s, cookie %v", name, resp.StatusCode, raw, sessionCookie(resp))
		}
	}

	if code := b.status(http.MethodPost, "/api/login", "application/json",
		`{"name":"ana","pasword":"x"}`); code != http.StatusBadRequest {
		t.Errorf("misspelt field: %d, want 400", code)
	}

	resp, raw := b.login(" Ana ", testPassword)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d %s", resp.StatusCode, raw)
	}

	c := sessionCookie(resp)
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" ||
		c.Secure || c.MaxAge <= 0 || len(c.Value) < 43 {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/, not Secure "+
			"over plain HTTP, 256 random bits", c)
	}

	var n int
	if err := a.pool.QueryRow(context.Background(), `SELECT count(*) FROM sessions
		WHERE id_hash = $1::text::bytea OR csrf_token = $1`, c.Value).Scan(&n); err != nil ||
		n != 0 {
		t.Errorf("session id stored as given: %d, %v", n, err)
	}

	var me struct {
		User        auth.User     `json:"user"`
		Via         string        `json:"via"`
		CSRF        string        `json:"csrf_token"`
		Permissions []auth.Action `json:"permissions"`
	}

	resp, raw = b.send(http.MethodGet, "/api/me", "", nil)
	if err := json.Unmarshal(raw, &me); err != nil || resp.StatusCode != 200 ||
		me.User.Name != "ana" || me.Via != "session" || me.CSRF != b.csrf ||
		len(me.Permissions) != len(auth.Permissions(auth.RoleOps)) {
		t.Fatalf("me: %d %s", resp.StatusCode, raw)
	}

	if code := b.status(http.MethodPost, "/api/logout", "", ""); code != http.StatusForbidden {
		t.Errorf("logout without the CSRF token: %d, want 403", code)
	}

	resp, _ = b.send(http.MethodPost, "/api/logout", "", nil, auth.CSRFHeader, b.csrf)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("logout: %d", resp.StatusCode)
	}

	if c := sessionCookie(resp); c == nil || c.MaxAge >= 0 {
		t.Errorf("logout cookie %+v: want it cleared", c)
	}

	if err := a.pool.QueryRow(context.Background(),
		`SELECT count(*) FROM sessions`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d sessions after logout (%v)", n, err)
	}

	// The old cookie, replayed, is worth nothing.
	replay, _ := http.NewRequest(http.MethodGet, a.url+"/api/me", nil)
	replay.AddCookie(&http.Cookie{Name: auth.CookieName, Value: c.Value})

	r2, err := http.DefaultClient.Do(replay)
	if err != nil {
		t.Fatal(err)
	}

	_ = r2.Body.Close()

	if r2.StatusCode != http.StatusUnauthorized {
		t.Errorf("replayed cookie after logout: %d, want 401", r2.StatusCode)
	}
}

func TestLoginRateLimitKicksInAndExpires(t *testing.T) {
	clk := newClock()
	a := startWith(t, auth.Config{Logger: quiet, Clock: clk.Now, MaxFailures: 3,
		MaxFailuresPerIP: 5, LoginWindow: 15 * time.Minute})
	a.addUser(t, "ana", auth.RoleOps)
	a.addUser(t, "bo", auth.RoleOps)

	b := newBrowser(t, a.url, http.DefaultClient)

	for i := range 3 {
		if resp, _ := b.login("ana", "guess number "+itoa(int64(i))); resp.StatusCode != 401 {
			t.Fatalf("failure %d: %d", i+1, resp.StatusCode)
		}

		clk.Advance(time.Minute)
	}

	// Even the right password is refused now, without being checked.
	resp, raw := b.login("ana", testPassword)
	if resp.StatusCode != http.StatusTooManyRequests ||
		!bytes.Contains(raw, []byte(`"too_many_attempts"`)) {
		t.Fatalf("4th attempt: %d %s, want 429", resp.StatusCode, raw)
	}

	// The first failure leaves the window 15 minutes after it: 12 minutes from now.
	if got := resp.Header.Get("Retry-After"); got != "720" {
		t.Errorf("Retry-After %q, want 720", got)
	}

	// The count lives in PostgreSQL: another server on the database (a restart, or
	// another replica) refuses too.
	other := httptest.NewServer(web.New(web.Config{Pool: a.pool, Logger: quiet,
		Auth: auth.New(a.pool, auth.Config{Clock: clk.Now, MaxFailures: 3,
			MaxFailuresPerIP: 5, LoginWindow: 15 * time.Minute})}))
	t.Cleanup(other.Close)

	if resp, _ := newBrowser(t, other.URL, http.DefaultClient).login("ana",
		testPassword); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("after a restart: %d, want 429", resp.StatusCode)
	}

	// Two more failures for bo reach the address's limit of 5: bo is refused too,
	// though his own count is 2.
	for range 2 {
		if resp, _ := b.login("bo", "nope nope nope"); resp.StatusCode != 401 {
			t.Fatalf("bo's failure: %d", resp.StatusCode)
		}
	}

	if resp, _ := b.login("bo", testPassword); resp.StatusCode != 429 {
		t.Errorf("bo from the same address after 5 failures: %d, want 429", resp.StatusCode)
	}

	clk.Advance(12*time.Minute + time.Second)

	if resp, raw := b.login("ana", testPassword); resp.StatusCode != http.StatusOK {
		t.Fatalf("after the window: %d %s, want 200", resp.StatusCode, raw)
	}

	// Success forgets the account's failures, not the address's.
	var n int
	if err := a.pool.QueryRow(context.Background(), `SELECT count(*) FROM login_failures
		WHERE key = 'user:ana'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("ana's failures after a login: %d %v", n, err)
	}
}

func TestSessionIdleAndAbsoluteExpiry(t *testing.T) {
	clk := newClock()
	a := startWith(t, auth.Config{Logger: quiet, Clock: clk.Now, SessionIdle: 30 * time.Minute,
		SessionMax: 2 * time.Hour})
	a.addUser(t, "ana", auth.RoleViewer)

	b := newBrowser(t, a.url, http.DefaultClient)
	if resp, _ := b.login("ana", testPassword); resp.StatusCode != 200 {
		t.Fatal("login")
	}

	for i, step := range []time.Duration{29 * time.Minute, 29 * time.Minute} {
		clk.Advance(step)

		if code := b.status(http.MethodGet, "/api/me", "", ""); code != 200 {
			t.Fatalf("request %d within the idle limit: %d", i+1, code)
		}
	}

	clk.Advance(31 * time.Minute)

	resp, _ := b.send(http.MethodGet, "/api/me", "", nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after 31 idle minutes: %d, want 401", resp.StatusCode)
	}

	if c := sessionCookie(resp); c == nil || c.MaxAge >= 0 {
		t.Errorf("expired session's cookie not cleared: %+v", c)
	}

	if resp, _ := b.login("ana", testPassword); resp.StatusCode != 200 {
		t.Fatal("second login")
	}

	for elapsed := 20 * time.Minute; elapsed < 2*time.Hour; elapsed += 20 * time.Minute {
		clk.Advance(20 * time.Minute)

		if code := b.status(http.MethodGet, "/api/me", "", ""); code != 200 {
			t.Fatalf("active session after %s: %d", elapsed, code)
		}
	}

	clk.Advance(20 * time.Minute)

	if code := b.status(http.MethodGet, "/api/me", "", ""); code != http.StatusUnauthorized {
		t.Errorf("active session 2h after login: %d, want 401 (absolute limit 2h)", code)
	}
}

func TestCSRF(t *testing.T) {
	a := start(t)
	ids := seed(t, a.pool, 5000)
	a.addUser(t, "ana", auth.RoleAdmin)

	b := newBrowser(t, a.url, http.DefaultClient)
	if resp, _ := b.login("ana", testPassword); resp.StatusCode != 200 {
		t.Fatal("login")
	}

	assign := "/api/exceptions/" + itoa(ids[0]) + "/assign"
	body := `{"assignee":"bo"}`

	cases := []struct {
		name   string
		header []string
		want   int
	}{
		{"no token", nil, http.StatusForbidden},
		{"wrong token", []string{auth.CSRFHeader, flipFirst(b.csrf)}, http.StatusForbidden},
		{"short token", []string{auth.CSRFHeader, "AAAA"}, http.StatusForbidden},
		{"right token from another site", []string{auth.CSRFHeader, b.csrf,
			"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"right token", []string{auth.CSRFHeader, b.csrf}, http.StatusOK},
	}

	for _, c := range cases {
		resp, raw := b.send(http.MethodPost, assign, "application/json",
			strings.NewReader(body), c.header...)
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, resp.StatusCode, raw, c.want)
		}

		if c.want == 403 && !bytes.Contains(raw, []byte(`"error":"csrf"`)) {
			t.Errorf("%s: %s, want error csrf", c.name, raw)
		}
	}

	log, err := store.AuditLog(context.Background(), a.pool, "exception", itoa(ids[0]), 10)
	if err != nil {
		t.Fatal(err)
	}

	assigns := 0
	for _, e := range log {
		if e.Action == "assign" {
			assigns++
		}
	}

	if assigns != 1 {
		t.Errorf("%d assignments audited, want only the one with the right token", assigns)
	}

	// A form field does as well as the header.
	if code := b.status(http.MethodPost, "/api/logout", "application/x-www-form-urlencoded",
		"csrf_token=wrong"); code != http.StatusForbidden {
		t.Errorf("form with a wrong token: %d, want 403", code)
	}

	if resp, _ := b.login("ana", testPassword); resp.StatusCode != 200 {
		t.Fatal("login")
	}

	form := url.Values{auth.CSRFField: {b.csrf}}.Encode()
	if code := b.status(http.MethodPost, "/api/logout", "application/x-www-form-urlencoded",
		form); code != http.StatusOK {
		t.Errorf("form with the token: %d, want 200", code)
	}
}

// An upload form carries the CSRF token as its first field; the files after it reach
// the handler whole.
func TestCSRFInMultipartUpload(t *testing.T) {
	a := start(t)
	a.addUser(t, "tess", auth.RoleTreasury)

	b := newBrowser(t, a.url, http.DefaultClient)
	if resp, _ := b.login("tess", testPassword); resp.StatusCode != 200 {
		t.Fatal("login")
	}

	big := csvFile + strings.Repeat("2026-10-03,1.00,EUR,Payer,REF\n", 5000)

	form := func(token string, tokenFirst bool) (string, *bytes.Buffer) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)

		field := func() {
			if token != "" {
				_ = mw.WriteField(auth.CSRFField, token)
			}
		}

		if tokenFirst {
			field()
		}

		for i, content := range []string{big, csvFile + "2026-10-04,9.99,EUR,C,Y\n"} {
			w, _ := mw.CreateFormFile("file", "f"+itoa(int64(i))+".csv")
			_, _ = io.WriteString(w, content)
		}

		if !tokenFirst {
			field()
		}

		_ = mw.Close()

		return mw.FormDataContentType(), &buf
	}

	for _, c := range []struct {
		name  string
		token string
		first bool
	}{
		{"no token", "", true},
		{"wrong token", "nope", true},
		{"token after the files", b.csrf, false},
	} {
		ct, body := form(c.token, c.first)
		if resp, raw := b.send(http.MethodPost, "/api/bank-files", ct, body); resp.StatusCode !=
			http.StatusForbidden {
			t.Errorf("%s: %d %s, want 403", c.name, resp.StatusCode, raw)
		}
	}

	ct, body := form(b.csrf, true)

	resp, raw := b.send(http.MethodPost, "/api/bank-files", ct, body)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("upload with the token first: %d %s", resp.StatusCode, raw)
	}

	var out uploadResult
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}

	if len(out.Files) != 2 || out.Files[0].File.Size != int64(len(big)) ||
		out.Files[0].File.SHA256 != store.Hash([]byte(big)) ||
		out.Files[0].File.UploadedBy != "tess" {
		t.Errorf("uploaded %+v", out.Files)
	}
}

func TestSecureCookieBehindTLS(t *testing.T) {
	pool := pgtest.DB(t)
	svc := auth.New(pool, auth.Config{Logger: quiet})
	(&api{pool: pool}).addUser(t, "ana", auth.RoleViewer)

	tls := httptest.NewTLSServer(web.New(web.Config{Pool: pool, Auth: svc, Logger: quiet}))
	t.Cleanup(tls.Close)

	b := newBrowser(t, tls.URL, tls.Client())

	resp, _ := b.login("ana", testPassword)
	if c := sessionCookie(resp); c == nil || !c.Secure || !c.HttpOnly ||
		c.SameSite != http.SameSiteLaxMode {
		t.Errorf("cookie over TLS: %+v, want Secure, HttpOnly, SameSite=Lax", c)
	}

	if code := b.status(http.MethodGet, "/api/me", "", ""); code != http.StatusOK {
		t.Errorf("me over TLS: %d", code)
	}

	// Behind a TLS-terminating proxy, configuration marks it Secure.
	proxied := httptest.NewServer(web.New(web.Config{Pool: pool, Logger: quiet,
		Auth: auth.New(pool, auth.Config{Logger: quiet, CookieSecure: true})}))
	t.Cleanup(proxied.Close)

	resp, _ = newBrowser(t, proxied.URL, http.DefaultClient).login("ana", testPassword)
	if c := sessionCookie(resp); c == nil || !c.Secure {
		t.Errorf("cookie with cookie_secure: %+v, want Secure", c)
	}
}

func TestAPITokens(t *testing.T) {
	a := start(t)
	a.addUser(t, "ana", auth.RoleOps)
	a.addUser(t, "bo", auth.RoleViewer)

	b := newBrowser(t, a.url, http.DefaultClient)
	if resp, _ := b.login("ana", testPassword); resp.StatusCode != 200 {
		t.Fatal("login")
	}

	// Ana makes a token in her session; it is shown once.
	resp, raw := b.send(http.MethodPost, "/api/tokens", "application/json",
		strings.NewReader(`{"label":"reconcile script","expires_in_days":30}`),
		auth.CSRFHeader, b.csrf)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, raw)
	}

	var created struct {
		Token  auth.Token `json:"token"`
		Secret string     `json:"secret"`
	}

	if err := json.Unmarshal(raw, &created); err != nil ||
		!strings.HasPrefix(created.Secret, "o2c_") || created.Token.User != "ana" ||
		created.Token.ExpiresAt == nil {
		t.Fatalf("created %s", raw)
	}

	_, raw = b.send(http.MethodGet, "/api/tokens", "", nil)
	if bytes.Contains(raw, []byte(created.Secret)) ||
		!bytes.Contains(raw, []byte(`"reconcile script"`)) {
		t.Errorf("listing shows the secret or not the token: %s", raw)
	}

	script := a.as(created.Secret)

	var me struct {
		User auth.User `json:"user"`
		Via  string    `json:"via"`
	}

	if code := script.get(t, "/api/me", &me); code != 200 || me.User.Name != "ana" ||
		me.User.Role != auth.RoleOps || me.Via != "token" {
		t.Fatalf("me by token: %d %+v", code, me)
	}

	var e apiError
	if code := script.post(t, "/api/tokens", `{"label":"for bo","user":"bo"}`,
		&e); code != http.StatusForbidden {
		t.Errorf("ops makes bo a token: %d %+v, want 403", code, e)
	}

	if code := script.get(t, "/api/tokens?user=*", &e); code != http.StatusForbidden {
		t.Errorf("ops lists every token: %d, want 403", code)
	}

	// Bo cannot revoke Ana's token; the admin can list and revoke anyone's.
	bo := a.as(a.tokenFor(t, "bo", auth.RoleViewer))
	path := "/api/tokens/" + strconv.FormatInt(created.Token.ID, 10)

	if code := bo.do(t, http.MethodDelete, path, "", nil, &e); code != http.StatusNotFound {
		t.Errorf("bo revokes ana's token: %d, want 404", code)
	}

	var all struct {
		Tokens []auth.Token `json:"tokens"`
	}

	if code := a.get(t, "/api/tokens?user=*", &all); code != 200 || len(all.Tokens) != 3 {
		t.Errorf("admin lists all: %d, %d tokens, want 3", code, len(all.Tokens))
	}

	var out map[string]int64
	if code := a.do(t, http.MethodDelete, path, "", nil, &out); code != 200 ||
		out["revoked"] != created.Token.ID {
		t.Fatalf("admin revokes: %d %v", code, out)
	}

	if code := script.get(t, "/api/me", &e); code != http.StatusUnauthorized {
		t.Errorf("revoked token: %d, want 401", code)
	}

	// An admin makes bo a token; disabling bo ends it and his session at once.
	var forBo struct {
		Secret string `json:"secret"`
	}

	if code := a.post(t, "/api/tokens", `{"user":"bo"}`, &forBo); code != http.StatusCreated {
		t.Fatalf("admin makes bo a token: %d", code)
	}

	bob := newBrowser(t, a.url, http.DefaultClient)
	if resp, _ := bob.login("bo", testPassword); resp.StatusCode != 200 {
		t.Fatal("bo's login")
	}

	if err := a.auth.Disable(context.Background(), "ops.test", "bo"); err != nil {
		t.Fatal(err)
	}

	for name, code := range map[string]int{
		"bo's token":         a.as(forBo.Secret).get(t, "/api/me", nil),
		"bo's other token":   bo.get(t, "/api/me", nil),
		"bo's session":       bob.status(http.MethodGet, "/api/me", "", ""),
		"bo's password":      firstStatus(bob.login("bo", testPassword)),
		"a token for bo now": a.post(t, "/api/tokens", `{"user":"bo"}`, nil),
	} {
		want := http.StatusUnauthorized
		if name == "a token for bo now" {
			want = http.StatusUnprocessableEntity
		}

		if code != want {
			t.Errorf("%s after disable: %d, want %d", name, code, want)
		}
	}

	log, err := store.AuditLog(context.Background(), a.pool, "api_token", "", 20)
	if err != nil {
		t.Fatal(err)
	}

	actors := map[string]bool{}
	for _, e := range log {
		actors[e.Actor+" "+e.Action] = true

		if bytes.Contains(e.After, []byte("o2c_")) {
			t.Errorf("token secret in the audit log: %s", e.After)
		}
	}

	for _, want := range []string{"ana create", "ops.test revoke", "ops.test create"} {
		if !actors[want] {
			t.Errorf("audit lacks %q: %v", want, actors)
		}
	}
}

func firstStatus(resp *http.Response, _ []byte) int { return resp.StatusCode }

func TestLegacyTokenIsTheBuiltinAdmin(t *testing.T) {
	a := startWith(t, auth.Config{Logger: quiet, LegacyToken: "s3cret-token"})
	legacy := a.as("s3cret-token")

	var me struct {
		User auth.User `json:"user"`
	}

	if code := legacy.get(t, "/api/me", &me); code != 200 || me.User.Name != "api" ||
		me.User.Role != auth.RoleAdmin {
		t.Fatalf("me: %d %+v", code, me)
	}

	for _, tok := range []string{"", "wrong", "s3cret-token-x", "s3cret-toke"} {
		if code := a.as(tok).get(t, "/api/exceptions", nil); code != http.StatusUnauthorized {
			t.Errorf("token %q: %d, want 401", tok, code)
		}
	}

	var out uploadResult
	if code := legacy.do(t, http.MethodPost, "/api/bank-files?name=l.csv", "text/csv",
		strings.NewReader(csvFile), &out); code != http.StatusAccepted {
		t.Fatalf("upload: %d", code)
	}

	// The shared token's callers name themselves; the audit keeps both.
	if got := out.Files[0].File.UploadedBy; got != "api:someone.else" {
		t.Errorf("uploaded by %q, want api:someone.else", got)
	}

	var e apiError
	if code := legacy.get(t, "/api/tokens", &e); code != http.StatusBadRequest {
		t.Errorf("tokens of the built-in user: %d %+v, want 400", code, e)
	}
}

// A server built without auth serves nothing but its health checks: every other
// request, API, page, login or static file, is 503 in the API's error shape, and
// New logs why.
func TestWithoutAuthOnlyHealthChecksAreServed(t *testing.T) {
	pool := pgtest.DB(t)

	var logs logBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	srv := httptest.NewServer(web.New(web.Config{Pool: pool, Logger: logger}))
	t.Cleanup(srv.Close)

	if !strings.Contains(logs.String(), "level=ERROR") ||
		!strings.Contains(logs.String(), "without authentication") {
		t.Errorf("New logged %q, want an error about the missing authentication", logs.String())
	}

	for _, c := range []struct{ method, path, accept, body string }{
		{http.MethodGet, "/api/me", "", ""},
		{http.MethodGet, "/api/exceptions", "", ""},
		{http.MethodPost, "/api/bank-files?name=a.csv", "", csvFile},
		{http.MethodPost, "/api/login", "", `{"name":"x","password":"y"}`},
		{http.MethodGet, "/api/users", "", ""},
		{http.MethodGet, "/files", "text/html", ""},
		{http.MethodGet, "/login", "text/html", ""},
		{http.MethodGet, "/static/o2c.css", "text/css", ""},
		{http.MethodGet, "/", "text/html", ""},
	} {
		req, err := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}

		if c.accept != "" {
			req.Header.Set("Accept", c.accept)
		}

		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}

		var e apiError
		err = json.NewDecoder(resp.Body).Decode(&e)
		_ = resp.Body.Close()

		if resp.StatusCode != http.StatusServiceUnavailable || err != nil ||
			e.Error != "auth_unconfigured" || !strings.Contains(e.Detail, "authentication") {
			t.Errorf("%s %s: %d %+v %v, want 503 auth_unconfigured", c.method, c.path,
				resp.StatusCode, e, err)
		}
	}

	a := &api{pool: pool, url: srv.URL}
	for _, p := range []string{"/healthz", "/readyz"} {
		if code := a.get(t, p, nil); code != http.StatusOK {
			t.Errorf("GET %s: %d, want 200", p, code)
		}
	}

	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM bank_files`).
		Scan(&n); err != nil || n != 0 {
		t.Errorf("%d bank files stored by a server without auth (%v), want 0", n, err)
	}
}

// Many browsers log in at once: each gets its own session.
func TestConcurrentLogins(t *testing.T) {
	a := start(t)
	a.addUser(t, "ana", auth.RoleViewer)

	var wg sync.WaitGroup

	csrf := make([]string, 4)
	for i := range csrf {
		wg.Go(func() {
			b := newBrowser(t, a.url, http.DefaultClient)
			if resp, _ := b.login("ana", testPassword); resp.StatusCode == 200 {
				csrf[i] = b.csrf
			}
		})
	}

	wg.Wait()

	seen := map[string]bool{}
	for _, c := range csrf {
		if c == "" || seen[c] {
			t.Fatalf("CSRF tokens %q: want four distinct", csrf)
		}

		seen[c] = true
	}
}

// clock is a settable time for expiry tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()

	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()

	c.t = c.t.Add(d)
}

// flipFirst returns s with its first byte changed.
func flipFirst(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}

	return "A" + s[1:]
}
