package web_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/service"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/internal/web"
	"github.com/o2c-dev/o2c/pipelines"
)

// site is the web app as o2c serve runs it: pages and API on a fresh database, and
// when started with a reader the bus router reading uploaded files with it.
type site struct {
	*api
	stopRouter func()
}

// startSite serves the app with auth on pool (a fresh one when nil); rd, when not
// nil, reads bank files in the router and for the result pages.
func startSite(t *testing.T, pool *pgxpool.Pool, rd *bank.Reader, cfg auth.Config) *site {
	t.Helper()

	if pool == nil {
		pool = pgtest.DB(t)
	}

	if cfg.Logger == nil {
		cfg.Logger = quiet
	}

	svc := auth.New(pool, cfg)
	srv := httptest.NewServer(web.New(web.Config{Pool: pool, Auth: svc, Logger: quiet,
		Bank: rd}))
	t.Cleanup(srv.Close)

	s := &site{api: &api{pool: pool, auth: svc, url: srv.URL}, stopRouter: func() {}}
	s.token = s.tokenFor(t, "ops.test", auth.RoleAdmin)

	if rd == nil {
		return s
	}

	stop, err := service.RunRouter(context.Background(), pipelines.Config{Pool: pool,
		ReadBankFile: rd.Scan, PollInterval: 20 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}

	stopped := false
	s.stopRouter = func() {
		if !stopped {
			stopped = true
			if err := stop(); err != nil {
				t.Errorf("stop router: %v", err)
			}
		}
	}
	t.Cleanup(s.stopRouter)

	return s
}

// person is a browser used by a person: it asks for HTML, keeps cookies, follows
// no redirect on its own and takes the CSRF token from the pages it sees.
type person struct {
	*browser
}

func newPerson(t *testing.T, base string) *person {
	t.Helper()

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}

	return &person{newBrowser(t, base, client)}
}

// page sends a request as a browser does and returns the answer and its body.
func (p *person) page(method, path, contentType string, body io.Reader) (*http.Response,
	string) {
	p.t.Helper()

	resp, raw := p.send(method, path, contentType, body, "Accept",
		"text/html,application/xhtml+xml,*/*;q=0.8")

	if m := csrfField.FindStringSubmatch(string(raw)); m != nil {
		p.csrf = m[1]
	}

	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		return resp, squash(string(raw))
	}

	return resp, string(raw)
}

var betweenTags = regexp.MustCompile(`>\s+<`)

// squash drops the white space between tags, which a browser ignores, so that the
// tests can look for markup whatever the templates' line breaks.
func squash(html string) string {
	return betweenTags.ReplaceAllString(html, "><")
}

// get asks for a page and fails the test unless it answers want.
func (p *person) get(path string, want int) string {
	p.t.Helper()

	resp, body := p.page(http.MethodGet, path, "", nil)
	if resp.StatusCode != want {
		p.t.Fatalf("GET %s: %d, want %d\n%s", path, resp.StatusCode, want, clip(body))
	}

	return body
}

// form posts form fields as a browser does.
func (p *person) form(path string, fields url.Values) (*http.Response, string) {
	p.t.Helper()

	return p.page(http.MethodPost, path, "application/x-www-form-urlencoded",
		strings.NewReader(fields.Encode()))
}

// logIn signs in through the login form and returns the page it lands on.
func (p *person) logIn(name string) string {
	p.t.Helper()

	resp, body := p.form("/login", url.Values{"name": {name}, "password": {testPassword},
		"next": {"/files"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/files" {
		p.t.Fatalf("login %s: %d %s\n%s", name, resp.StatusCode, resp.Header.Get("Location"),
			clip(body))
	}

	return p.get("/files", http.StatusOK)
}

// upload posts files (name, content pairs) through the upload form, the CSRF token
// first as the page has it, and returns the answer.
func (p *person) upload(token string, files ...string) (*http.Response, string) {
	p.t.Helper()

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)

	if token != "" {
		_ = mw.WriteField(auth.CSRFField, token)
	}

	for i := 0; i+1 < len(files); i += 2 {
		w, err := mw.CreateFormFile("file", files[i])
		if err != nil {
			p.t.Fatal(err)
		}

		_, _ = io.WriteString(w, files[i+1])
	}

	_ = mw.Close()

	return p.page(http.MethodPost, "/files/upload", mw.FormDataContentType(), &buf)
}

var (
	csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	fileRow   = regexp.MustCompile(`<tr data-file-id="(\d+)"`)
	entryRow  = regexp.MustCompile(`<tr data-entry-id="(\d+)"`)
	payRow    = regexp.MustCompile(`<tr data-payment-id="(\d+)"`)
	nextLink  = regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
	prevLink  = regexp.MustCompile(`<a href="([^"]+)" rel="prev">`)
)

// ids lists the ids a row pattern finds in a page, in order.
func ids(re *regexp.Regexp, body string) []int64 {
	var out []int64
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		out = append(out, n)
	}

	return out
}

// link is the href of a pager link, unescaped from HTML.
func link(re *regexp.Regexp, body string) string {
	m := re.FindStringSubmatch(body)
	if m == nil {
		return ""
	}

	return strings.ReplaceAll(m[1], "&amp;", "&")
}

func clip(s string) string {
	if len(s) > 3000 {
		return s[:3000] + "..."
	}

	return s
}

// mustContain fails the test for each want body lacks.
func mustContain(t *testing.T, what, body string, want ...string) {
	t.Helper()

	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func TestPagesLoginLogoutAndRefusals(t *testing.T) {
	s := startSite(t, nil, nil, auth.Config{MaxFailures: 3, MaxFailuresPerIP: 50,
		LoginWindow: 15 * time.Minute})
	s.addUser(t, "tess", auth.RoleTreasury)
	s.addUser(t, "vic", auth.RoleViewer)
	s.addUser(t, "olga", auth.RoleOps)

	p := newPerson(t, s.url)

	// Anonymous: every page sends to the login page, which comes back to it.
	for _, path := range []string{"/files", "/files/upload", "/audit", "/files/1"} {
		resp, _ := p.page(http.MethodGet, path, "", nil)
		if resp.StatusCode != http.StatusSeeOther ||
			resp.Header.Get("Location") != "/login?next="+url.QueryEscape(path) {
			t.Errorf("anonymous GET %s: %d to %q", path, resp.StatusCode,
				resp.Header.Get("Location"))
		}
	}

	resp, _ := p.upload("", "a.csv", csvFile)
	if resp.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		t.Errorf("anonymous upload: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	body := p.get("/login?next=/files", http.StatusOK)
	mustContain(t, "login page", body, `<form id="login-form"`,
		`<label for="name">User name</label>`, `<label for="password">Password</label>`,
		`name="next" value="/files"`)

	resp, body = p.form("/login", url.Values{"name": {"tess"}, "password": {"not it at all"}})
	if resp.StatusCode != http.StatusUnauthorized || sessionCookie(resp) != nil {
		t.Fatalf("wrong password: %d, cookie %v", resp.StatusCode, sessionCookie(resp))
	}

	mustContain(t, "refused login", body, "Wrong user name or password")

	// A next outside the site is dropped.
	resp, _ = p.form("/login", url.Values{"name": {"tess"}, "password": {testPassword},
		"next": {"//evil.example/x"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Errorf("login with a foreign next: %d to %q", resp.StatusCode,
			resp.Header.Get("Location"))
	}

	body = p.logIn("tess")
	mustContain(t, "files page as treasury", body, `data-user="tess" data-role="treasury"`,
		`<a href="/files/upload"`, `<form id="logout-form"`, `<a href="/audit">Audit log</a>`)

	if p.csrf == "" {
		t.Fatal("no CSRF token on the page")
	}

	// The home page sends to the dashboard.
	if resp, _ := p.page(http.MethodGet, "/", "", nil); resp.StatusCode != http.StatusSeeOther ||
		resp.Header.Get("Location") != "/dashboard" {
		t.Errorf("home: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	// Unknown pages and bad ids are HTML error pages.
	for path, want := range map[string]int{"/no/such/page": 404, "/files/999999": 404,
		"/files/abc": 404} {
		resp, body := p.page(http.MethodGet, path, "", nil)
		if resp.StatusCode != want || !strings.Contains(body, `id="error-status">`+
			strconv.Itoa(want)) || !strings.HasPrefix(resp.Header.Get("Content-Type"),
			"text/html") {
			t.Errorf("GET %s: %d %q, want the %d page", path, resp.StatusCode,
				resp.Header.Get("Content-Type"), want)
		}
	}

	// A form without its token is refused, with a page that says so.
	resp, body = p.form("/logout", url.Values{})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "security token") {
		t.Errorf("logout without CSRF: %d\n%s", resp.StatusCode, clip(body))
	}

	resp, _ = p.form("/logout", url.Values{auth.CSRFField: {p.csrf}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("logout: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	if resp, _ := p.page(http.MethodGet, "/files", "", nil); resp.StatusCode !=
		http.StatusSeeOther {
		t.Errorf("after logout: %d, want the login redirect", resp.StatusCode)
	}

	// A viewer sees no upload link and is refused the upload page and the upload.
	v := newPerson(t, s.url)
	body = v.logIn("vic")

	if strings.Contains(body, `href="/files/upload"`) {
		t.Error("viewer's page links to the upload")
	}

	body = v.get("/files/upload", http.StatusForbidden)
	mustContain(t, "viewer's upload page", body, "Not allowed", "viewer",
		`id="error-status">403`)

	resp, body = v.upload(v.csrf, "v.csv", csvFile)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Not allowed") {
		t.Errorf("viewer's upload: %d\n%s", resp.StatusCode, clip(body))
	}

	var n int
	if err := s.pool.QueryRow(context.Background(),
		"SELECT count(*) FROM bank_files").Scan(&n); err != nil || n != 0 {
		t.Errorf("%d files stored after refused uploads (%v)", n, err)
	}

	// Ops may read but not upload.
	o := newPerson(t, s.url)
	body = o.logIn("olga")
	mustContain(t, "ops' page", body, `data-role="ops"`)

	if strings.Contains(body, `href="/files/upload"`) {
		t.Error("ops' page links to the upload")
	}

	// Three failures lock the account; the page says for how long.
	l := newPerson(t, s.url)
	for range 3 {
		l.form("/login", url.Values{"name": {"vic"}, "password": {"wrong wrong wrong"}})
	}

	resp, body = l.form("/login", url.Values{"name": {"vic"}, "password": {testPassword}})
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(body, "Too many failed logins. Try again in ") {
		t.Errorf("locked login: %d, Retry-After %q\n%s", resp.StatusCode,
			resp.Header.Get("Retry-After"), clip(body))
	}
}

// goodCSV is a bank export o2c reads: two credits, one debit (a fee) and a payer
// whose name a spreadsheet would run as a formula.
const goodCSV = "date,amount,currency,payer,reference\n" +
	"2026-10-01,640.00,EUR,Orrin Tiles GmbH,INV-1001\n" +
	"2026-10-02,99.50,EUR,=2+3 Trading,INV-1002\n" +
	"2026-10-02,-12.30,EUR,Bank fee,FEE-OCT\n"

// badCSV has a bad amount on line 3 and a bad date on line 4.
const badCSV = "date,amount,currency,payer,reference\n" +
	"2026-10-01,10.00,EUR,Halden Bakery,INV-7\n" +
	"2026-10-02,12x.50,EUR,Halden Bakery,INV-8\n" +
	"2026-13-45,3.00,EUR,Halden Bakery,INV-9\n"

// scanned is what bank.Scan finds in a file.
type scanned struct {
	file     *bankfile.File
	txs      []bankfile.Transaction
	problems []bankfile.Problem
}

func scan(t *testing.T, name, content string) scanned {
	t.Helper()

	var s scanned

	f, _, err := bank.Scan(name, strings.NewReader(content), func(tx bankfile.Transaction) error {
		s.txs = append(s.txs, tx)
		return nil
	})

	s.file = f
	if be, ok := err.(*bankfile.Error); ok {
		s.problems = be.Problems
	} else if err != nil {
		t.Fatal(err)
	}

	return s
}

// uploadedIDs reads the file ids of an upload's redirect to its summary.
func uploadedIDs(t *testing.T, resp *http.Response) ([]int64, url.Values) {
	t.Helper()

	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Path != "/files/uploaded" {
		t.Fatalf("upload answered %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	var out []int64
	for _, f := range loc.Query()["f"] {
		idText, _, _ := strings.Cut(f, ":")
		id, _ := strconv.ParseInt(idText, 10, 64)
		out = append(out, id)
	}

	return out, loc.Query()
}

func TestUploadTwoFilesOneBadShowsEachResult(t *testing.T) {
	s := startSite(t, nil, bank.NewReader(nil), auth.Config{})
	s.addUser(t, "tess", auth.RoleTreasury)

	p := newPerson(t, s.url)
	p.logIn("tess")

	body := p.get("/files/upload", http.StatusOK)
	mustContain(t, "upload form", body, `<label for="files">Bank files</label>`,
		`name="file" type="file" multiple`, `<script src="/static/upload.js" defer>`)

	// The token is the form's first field.
	if strings.Index(body, `name="csrf_token"`) > strings.Index(body, `name="file"`) {
		t.Error("the CSRF field comes after the files")
	}

	resp, _ := p.upload(p.csrf, "october.csv", goodCSV, "broken.csv", badCSV)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d", resp.StatusCode)
	}

	got, _ := uploadedIDs(t, resp)
	if len(got) != 2 {
		t.Fatalf("upload received %d files, want 2", len(got))
	}

	files, err := pipelines.WaitFiles(context.Background(), s.pool, got, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}

	if files[0].Status != store.FileMatched || files[1].Status != store.FileRejected {
		t.Fatalf("statuses %s, %s: want matched, rejected", files[0].Status, files[1].Status)
	}

	summary := p.get(resp.Header.Get("Location"), http.StatusOK)
	if rows := ids(fileRow, summary); !slices.Equal(rows, got) {
		t.Errorf("summary rows %v, want %v", rows, got)
	}

	mustContain(t, "summary", summary, `>october.csv</a>`, `>broken.csv</a>`,
		`data-status="matched"`, `data-status="rejected"`)

	if strings.Contains(summary, `http-equiv="refresh"`) {
		t.Error("summary of finished files still reloads")
	}

	// The good file: its figures are what bank.Scan reads and what the store holds.
	good := scan(t, "october.csv", goodCSV)
	page := p.get("/files/"+itoa(got[0]), http.StatusOK)

	var credits, debits int64
	var nc, nd int

	for _, tx := range good.txs {
		if tx.Direction == bankfile.Debit {
			debits += tx.Amount.Minor
			nd++
		} else {
			credits += tx.Amount.Minor
			nc++
		}
	}

	mustContain(t, "good file's page", page,
		`<h1>Bank file october.csv <span class="status status-neutral" data-status="matched">`,
		"<dt>Format</dt><dd>csv</dd>",
		"<dt>Bank profile</dt><dd>"+escaped(good.file.Profile)+"</dd>",
		"<dt>Currency</dt><dd>EUR</dd>",
		`<tr data-row="transactions"><th scope="row">Transactions</th><td></td>`+
			`<td class="num">`+strconv.Itoa(len(good.txs))+`</td>`,
		`<tr data-row="credits" data-currency="EUR"><th scope="row">Credits</th><td>EUR</td>`+
			`<td class="num">`+strconv.Itoa(nc)+`</td><td class="num">`+
			money.New(credits, "EUR").Decimal()+`</td>`,
		`<tr data-row="debits" data-currency="EUR"><th scope="row">Debits</th><td>EUR</td>`+
			`<td class="num">`+strconv.Itoa(nd)+`</td><td class="num">`+
			money.New(debits, "EUR").Decimal()+`</td>`,
		`<tr data-row="duplicates"><th scope="row">Duplicates skipped</th><td class="num">0`,
		`id="export-payments"`, `id="download-raw"`)

	if strings.Contains(page, `id="file-errors"`) || strings.Contains(page, `id="retry-form"`) {
		t.Error("the good file shows errors or a retry")
	}

	stored, err := store.PaymentsOfFile(context.Background(), s.pool, got[0])
	if err != nil {
		t.Fatal(err)
	}

	if rows := ids(payRow, page); len(rows) != len(stored) || len(stored) != len(good.txs) {
		t.Errorf("page lists %d payments, store has %d, file %d", len(rows), len(stored),
			len(good.txs))
	}

	for _, ps := range stored {
		mustContain(t, "good file's payments", page, `<tr data-payment-id="`+itoa(ps.ID)+`">`,
			`data-status="`+ps.Status+`"`)
	}

	// The bad one: every problem with its line, field and value, and the good one
	// went through all the same.
	bad := scan(t, "broken.csv", badCSV)
	if len(bad.problems) < 2 {
		t.Fatalf("bank.Scan found %d problems in the bad file", len(bad.problems))
	}

	page = p.get("/files/"+itoa(got[1]), http.StatusOK)
	mustContain(t, "bad file's page", page, `id="file-errors"`, `id="retry-form"`,
		`id="upload-corrected"`, "No payment: the file was rejected.")

	for _, pr := range bad.problems {
		row := `<tr><td class="num">` + strconv.Itoa(pr.Line) + `</td><td>` + pr.Field +
			`</td><td>`
		if pr.Value != "" {
			row += `<code>` + escaped(pr.Value) + `</code>`
		}

		mustContain(t, "bad file's errors", page, row+`</td><td>`+escaped(pr.Message)+`</td>`)
	}

	mustContain(t, "bad file's errors", page, `<td class="num">3</td><td>amount</td>`+
		`<td><code>12x.50</code>`)

	// The same good file again is recognised and adds nothing.
	resp, _ = p.upload(p.csrf, "october-again.csv", goodCSV)
	again, q := uploadedIDs(t, resp)

	if len(again) != 1 || again[0] != got[0] || q.Get("f") != itoa(got[0])+":duplicate" {
		t.Fatalf("second upload of the same bytes: %v", q)
	}

	summary = p.get(resp.Header.Get("Location"), http.StatusOK)
	mustContain(t, "summary of a duplicate", summary, `data-status="duplicate"`,
		"already imported", "Nothing was added by this upload.",
		`<td class="num">–</td><td class="num">0</td><td class="num">–</td>`)

	// Payments left as exceptions link to them.
	page = p.get("/files/"+itoa(got[0]), http.StatusOK)
	links := 0

	for _, ps := range stored {
		var exc int64
		err := s.pool.QueryRow(context.Background(), `SELECT COALESCE(max(id), 0)
			FROM exceptions WHERE payment_id = $1 AND status = 'open'`, ps.ID).Scan(&exc)
		if err != nil {
			t.Fatal(err)
		}

		if exc > 0 {
			links++
			mustContain(t, "good file's exceptions", page,
				`<a href="/exceptions/`+itoa(exc)+`">#`+itoa(exc)+`</a>`)
		}
	}

	if links == 0 {
		t.Error("no payment of the good file became an exception: nothing to link")
	}

	// The payments export parses and matches the store.
	checkPaymentsCSV(t, p, s.pool, got[0], stored)
	checkPaymentsAPI(t, s, got[0], stored)

	// The same figures for scripts.
	var rep struct {
		File   store.BankFile `json:"file"`
		Report bank.Report    `json:"report"`
		Sums   []struct {
			Status string `json:"status"`
			Count  int    `json:"count"`
		} `json:"payments_by_status"`
	}

	if code := s.get(t, "/api/bank-files/"+itoa(got[0])+"/report", &rep); code != 200 {
		t.Fatalf("report: %d", code)
	}

	if rep.Report.Profile != good.file.Profile || rep.Report.Transactions != len(good.txs) ||
		rep.Report.Credits.Total != money.New(credits, "EUR").Decimal() ||
		rep.Report.Credits.Count != nc || rep.File.ID != got[0] || len(rep.Sums) == 0 {
		t.Errorf("report: %+v", rep)
	}

	if code := s.get(t, "/api/bank-files/"+itoa(got[1])+"/report", &rep); code != 200 ||
		!rep.Report.Rejected || len(rep.Report.Errors) != len(bad.problems) {
		t.Errorf("bad file's report: %d %+v", code, rep.Report)
	}
}

func TestUploadRefusesEmptyAndOversizedFilesAndKeepsTheOthers(t *testing.T) {
	pool := pgtest.DB(t)
	svc := auth.New(pool, auth.Config{Logger: quiet})
	srv := httptest.NewServer(web.New(web.Config{Pool: pool, Auth: svc, Logger: quiet,
		MaxUploadBytes: 200}))
	t.Cleanup(srv.Close)

	a := &api{pool: pool, auth: svc, url: srv.URL}
	a.addUser(t, "tess", auth.RoleTreasury)

	p := newPerson(t, srv.URL)
	p.logIn("tess")

	big := csvFile + strings.Repeat("2026-10-03,1.00,EUR,Payer,REF\n", 10)

	resp, _ := p.upload(p.csrf, "first.csv", csvFile, "empty.csv", "", "big.csv", big,
		"last.csv", csvFile+"2026-10-04,2.00,EUR,B,Y\n")
	got, q := uploadedIDs(t, resp)

	if len(got) != 2 || !slices.Equal(q["bad"], []string{"empty:empty.csv", "large:big.csv"}) {
		t.Fatalf("upload: files %v, refused %q", got, q["bad"])
	}

	for _, id := range got {
		f, err := store.GetBankFile(context.Background(), pool, id)
		if err != nil || f.Status != store.FileReceived {
			t.Errorf("file %d: %+v %v", id, f, err)
		}
	}

	var n int
	if err := pool.QueryRow(context.Background(),
		"SELECT count(*) FROM bank_files").Scan(&n); err != nil || n != 2 {
		t.Errorf("%d files stored, want 2 (%v)", n, err)
	}

	body := p.get(resp.Header.Get("Location"), http.StatusOK)
	mustContain(t, "summary", body, ">first.csv</a>", ">last.csv</a>",
		"<td>empty.csv</td>", "The file is empty.", "<td>big.csv</td>",
		"over the limit of 200 B", `data-status="refused"`,
		`<meta http-equiv="refresh" content="2">`, `id="pending-note"`)

	// The files wait to be read: their page says so and reloads.
	body = p.get("/files/"+itoa(got[0]), http.StatusOK)
	mustContain(t, "waiting file", body, `<meta http-equiv="refresh" content="3">`,
		"The file is waiting to be read.", `data-status="received"`)

	// A form without a file is shown again with why.
	resp, body = p.upload(p.csrf, "", "")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body,
		"Choose at least one file.") || !strings.Contains(body, `id="upload-form"`) {
		t.Errorf("upload without a file: %d\n%s", resp.StatusCode, clip(body))
	}

	// Without its token the upload is refused before a byte is stored.
	resp, body = p.upload("", "x.csv", csvFile+"2026-10-09,3.00,EUR,C,Z\n")
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "security token") {
		t.Errorf("upload without CSRF: %d", resp.StatusCode)
	}

	if err := pool.QueryRow(context.Background(),
		"SELECT count(*) FROM bank_files").Scan(&n); err != nil || n != 2 {
		t.Errorf("%d files stored after the refusals, want 2 (%v)", n, err)
	}
}

// escaped escapes s as html/template writes text.
func escaped(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&#34;")
		case '\'':
			b.WriteString("&#39;")
		case '+':
			b.WriteString("&#43;")
		default:
			b.WriteRune(r)
		}
	}

	return b.String()
}
