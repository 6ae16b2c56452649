package browser_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/store"
)

// The people of the suite: one per role, and a second ops user to approve what
// the first asks for.
var (
	admin    = person{"amy", "admin", "amy's browser passphrase"}
	treasury = person{"tom", "treasury", "tom's browser passphrase"}
	opsA     = person{"olga", "ops", "olga's browser passphrase"}
	opsB     = person{"oscar", "ops", "oscar's browser passphrase"}
	viewer   = person{"vic", "viewer", "vic's browser passphrase"}
)

// approvalLimit is the suite's exceptions.writeoff_approval_limit for EUR, in
// cents: a larger write-off needs a second person.
const approvalLimit = 5000

// suite is what every scenario shares: one o2c serve, one database, one Chromium.
type suite struct {
	browser context.Context
	base    string
	pool    *pgxpool.Pool
	today   time.Time
	dir     string // the bank files the test writes
	shots   string // the screenshots' directory; "" for none
	// fileID is the bank file treasury uploaded; 0 until then.
	fileID int64
}

// TestBrowser drives headless Chromium through o2c's pages against the real
// "o2c serve": the Watermill bus, the pipelines and matching on PostgreSQL. Its
// scenarios run in order on the same data: treasury's upload brings the
// exceptions that ops then resolve.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("builds o2c and drives Chromium against o2c serve and PostgreSQL")
	}

	chromium := chromiumPath(t)
	built := buildO2C(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "o2c.yaml")
	yaml := fmt.Sprintf("exceptions:\n  writeoff_approval_limit: {EUR: %d}\n", approvalLimit)
	if err := os.WriteFile(config, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}

	today := time.Now().UTC().Truncate(24 * time.Hour)
	url := pgtest.URL(t)
	s := &suite{pool: connect(t, url), today: today, dir: dir}
	seedInvoices(t, s.pool, invoices(today))

	s.browser = startChromium(t, chromium)

	bin := o2c{bin: built(), dbURL: url, config: config}
	bin.addUsers(t, admin, treasury, opsA, opsB, viewer)
	s.base = bin.serve(t)

	// O2C_SCREENSHOTS names where to save screenshots of the main pages; a relative
	// path is taken from the repository's root: docs/screenshots for the docs.
	if s.shots = os.Getenv("O2C_SCREENSHOTS"); s.shots != "" && !filepath.IsAbs(s.shots) {
		s.shots = filepath.Join(repoRoot(t), s.shots)
	}

	t.Run("login per role", s.loginPerRole)
	t.Run("treasury uploads a bank file", s.upload)
	t.Run("ops applies an exception to two invoices", s.applyToTwo)
	t.Run("a write-off above the limit needs a second person", s.writeOffApproval)
	t.Run("refusals", s.refusals)
	t.Run("the dashboard follows new cash and exceptions", s.dashboard)
	t.Run("treasury uploads a shared sample", s.uploadSample)
}

// invoices are the open invoices the bank files pay, issued a month before today.
func invoices(today time.Time) []billing.Invoice {
	inv := func(n int, cust, name string, total int64) billing.Invoice {
		issue := today.AddDate(0, 0, -30+n%10)
		return billing.Invoice{Number: fmt.Sprintf("BRW-%d", 2000+n),
			ERPID: fmt.Sprintf("erp-brw-%d", n), CustomerID: cust, CustomerName: name,
			Currency: "EUR", Total: total, Open: total, IssueDate: issue,
			DueDate: issue.AddDate(0, 0, 30)}
	}

	return []billing.Invoice{
		inv(1, "BC-1", "Quillfeather Mills Ltd", 120000),
		inv(2, "BC-1", "Quillfeather Mills Ltd", 80000),
		inv(3, "BC-2", "Tarnwick Optics AG", 45000),
		inv(4, "BC-2", "Tarnwick Optics AG", 31000),
		inv(5, "BC-3", "Lumbrook Ceramics", 200000),
		inv(6, "BC-4", "Fennimore Haulage", 97540),
		inv(7, "BC-5", "Ostrava Quay Foods", 64000),
	}
}

// receiptsCSV is the bank export treasury uploads, booked today, with a running
// balance for the control check: two payments that close their invoices, one
// that pays two invoices in part, one without a reference, one from a payer
// nobody knows, and a bank fee.
func receiptsCSV(today time.Time) string {
	d := today.Format("2006-01-02")

	return "date,amount,currency,payer,reference,balance\n" +
		d + ",450.00,EUR,Tarnwick Optics AG,BRW-2003,10450.00\n" +
		d + ",975.40,EUR,Fennimore Haulage,Invoice BRW-2006,11425.40\n" +
		d + ",1500.00,EUR,Quillfeather Mills Ltd,BRW-2001 BRW-2002 part payment,12925.40\n" +
		d + ",580.00,EUR,Ostrava Quay Foods,settlement thanks,13505.40\n" +
		d + ",333.33,EUR,Unknown Trader,no reference,13838.73\n" +
		d + ",-12.50,EUR,Bank fee,FEES,13826.23\n"
}

// wantStatus is the status matching gives each payment of receiptsCSV, by payer.
var wantStatus = map[string]string{
	"Tarnwick Optics AG":     "applied",
	"Fennimore Haulage":      "applied",
	"Quillfeather Mills Ltd": "exception",
	"Ostrava Quay Foods":     "exception",
	"Unknown Trader":         "exception",
}

// tab opens a tab with a profile of its own.
func (s *suite) tab(t *testing.T) *tab {
	t.Helper()

	return newTab(t, s.browser, s.base, s.shots)
}

// writeFile writes a bank file of the test and returns its path.
func (s *suite) writeFile(t *testing.T, name, content string) string {
	t.Helper()

	path := filepath.Join(s.dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}

	return path
}

// exceptionOf is the open or closed exception of the payment from payer in the
// uploaded file.
func (s *suite) exceptionOf(t *testing.T, payer string) int64 {
	t.Helper()

	if s.fileID == 0 {
		t.Skip("needs the upload scenario's file")
	}

	var id int64
	err := s.pool.QueryRow(context.Background(), `SELECT e.id FROM exceptions e
		JOIN payments p ON p.id = e.payment_id
		WHERE p.file_id = $1 AND p.payer_name = $2 ORDER BY e.id LIMIT 1`,
		s.fileID, payer).Scan(&id)
	if err != nil {
		t.Fatalf("the exception of %s's payment: %v", payer, err)
	}

	return id
}

// openMinor is an invoice's open amount in cents.
func (s *suite) openMinor(t *testing.T, number string) int64 {
	t.Helper()

	var open int64
	if err := s.pool.QueryRow(context.Background(),
		"SELECT open_minor FROM invoices WHERE number = $1", number).Scan(&open); err != nil {
		t.Fatalf("open amount of %s: %v", number, err)
	}

	return open
}

// exceptionState is an exception's status and its payment's unapplied cents.
func (s *suite) exceptionState(t *testing.T, id int64) (string, int64) {
	t.Helper()

	var status string
	var unapplied int64
	err := s.pool.QueryRow(context.Background(), `SELECT e.status, p.unapplied_minor
		FROM exceptions e JOIN payments p ON p.id = e.payment_id WHERE e.id = $1`, id).
		Scan(&status, &unapplied)
	if err != nil {
		t.Fatalf("state of exception %d: %v", id, err)
	}

	return status, unapplied
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// loginPerRole: every role logs in through the form, lands where it asked to go,
// sees the links its role allows, and logs out; a wrong password is refused. Each
// person has a tab of their own.
func (s *suite) loginPerRole(t *testing.T) {
	for _, p := range []person{admin, treasury, opsA, viewer} {
		t.Run(p.role, func(t *testing.T) {
			b := s.tab(t)

			b.open("/audit")
			if got := b.path(); got != "/login?next=%2Faudit" {
				t.Fatalf("an anonymous visit of /audit shows %s, want the login page", got)
			}

			if p == admin {
				b.screenshot("login", 768)
			}

			if st := b.submitLogin(p.name, p.password); st != 200 || b.path() != "/audit" ||
				b.text("main h1") != "Audit log" {
				t.Fatalf("after logging in %s sees %s %q (status %d), want the audit log "+
					"they asked for", p.name, b.path(), b.text("main h1"), st)
			}

			if got := b.attr("#whoami", "data-role"); got != p.role {
				t.Errorf("header role %q, want %q", got, p.role)
			}

			if got := b.text("#whoami"); got != "Signed in as "+p.name+" ("+p.role+")" {
				t.Errorf("header says %q", got)
			}

			nav := b.texts("#site-nav a")
			mayUpload := p.role == "admin" || p.role == "treasury"
			if slices.Contains(nav, "Upload") != mayUpload || !slices.Contains(nav, "Exceptions") ||
				slices.Contains(nav, "Users") != (p.role == "admin") {
				t.Errorf("%s's links: %q (upload allowed: %v)", p.role, nav, mayUpload)
			}

			if st := b.click("#logout-form button"); st != 200 || b.path() != "/login" {
				t.Fatalf("log out: status %d, page %s", st, b.path())
			}

			if b.count("#whoami") != 0 {
				t.Errorf("the login page after logging out still names a user")
			}

			b.open("/exceptions")
			if !strings.HasPrefix(b.path(), "/login") {
				t.Errorf("after logging out /exceptions shows %s, want the login page", b.path())
			}
		})
	}

	t.Run("wrong password", func(t *testing.T) {
		b := s.tab(t)
		b.open("/login")
		if st := b.submitLogin(opsA.name, "not olga's passphrase"); st != 401 {
			t.Errorf("a wrong password answers %d, want 401", st)
		}

		if got := b.text("#login-message"); !strings.Contains(got,
			"Wrong user name or password.") {
			t.Errorf("login message %q", got)
		}

		if b.count("#whoami") != 0 || b.count("#login-form") != 1 {
			t.Errorf("a wrong password signed someone in (page %s)", b.path())
		}

		b.open("/files")
		if !strings.HasPrefix(b.path(), "/login") {
			t.Errorf("after a refused login /files shows %s, want the login page", b.path())
		}
	})
}

// sendFile uploads the file through the upload page shown in b: it chooses the
// file in the form's file input, sends the form, follows the link of the upload's
// summary to the file's result page and waits there, while the page reloads
// itself, until the pipeline has read and matched the file, or rejected it. It
// returns the file's
// id. With shot set, it saves a screenshot of the form with the file chosen.
func (s *suite) sendFile(t *testing.T, b *tab, path, shot string) int64 {
	t.Helper()

	name := filepath.Base(path)
	b.must("choose the file", chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{path}))
	b.waitUntil("the chosen file is listed", `document.querySelector("#chosen-files")
		.innerText.includes(`+jsString(name)+`)`)

	if shot != "" {
		b.screenshot(shot, 768)
	}

	if st := b.click("#upload-form button[type=submit]"); st != 200 {
		t.Fatalf("upload: status %d: %s", st, b.text("main"))
	}

	if !strings.HasPrefix(b.path(), "/files/uploaded") || b.text("main h1") != "Upload received" {
		t.Fatalf("after the upload the page is %s %q", b.path(), b.text("main h1"))
	}

	id, err := strconv.ParseInt(b.attr("#uploaded-files tr[data-file-id]", "data-file-id"), 10,
		64)
	if err != nil || b.text("#uploaded-files tr[data-file-id] a") != name {
		t.Fatalf("the upload's summary lists %q (id %v)", b.text("#uploaded-files"), err)
	}

	// The summary reloads itself while a file is read, and a reload can land just
	// as the link is clicked: then the summary is shown again, and the link is
	// clicked on it.
	for try := 1; ; try++ {
		st := b.click("#uploaded-files tr[data-file-id] a")
		if st == 200 && b.path() == "/files/"+itoa(id) {
			break
		}

		if try == 5 || !strings.HasPrefix(b.path(), "/files/uploaded") {
			t.Fatalf("the file's link leads to %s (status %d)", b.path(), st)
		}
	}

	b.waitUntil("the file is read", `["matched", "rejected"].includes(
		document.querySelector("main h1 .status")?.dataset.status)`)

	return id
}

// payRow is one row of a bank file's payments table.
type payRow struct {
	ID     string `json:"id"`
	Amount string `json:"amount"`
	Payer  string `json:"payer"`
	Status string `json:"status"`
	Exc    string `json:"exception"`
}

// upload: treasury chooses the file in the upload form's file input, sends it,
// follows the link to the file's result page and waits there while the pipeline
// reads and matches it; the page then shows the format, the control check, the
// counts and totals and every payment with its status, as stored.
func (s *suite) upload(t *testing.T) {
	b := s.tab(t)
	b.logIn(treasury, "/files/upload")

	name := "receipts-" + s.today.Format("2006-01-02") + ".csv"
	path := s.writeFile(t, name, receiptsCSV(s.today))

	id := s.sendFile(t, b, path, "upload")
	s.fileID = id
	b.screenshot("file", 1800)

	if got := b.text("main h1"); !strings.Contains(got, "Bank file "+name) {
		t.Errorf("heading %q", got)
	}

	summary := map[string]string{}
	var pairs [][2]string
	b.eval(`Array.from(document.querySelectorAll("#file-summary dt"),
		dt => [dt.innerText.trim(), dt.nextElementSibling.innerText.trim()])`, &pairs)
	for _, p := range pairs {
		summary[p[0]] = p[1]
	}

	if summary["Format"] != "csv" || summary["Currency"] != "EUR" ||
		summary["Uploaded by"] != treasury.name {
		t.Errorf("file summary %q", summary)
	}

	if got := b.attr(`#file-summary dd .status`, "data-status"); got != "matched" {
		t.Errorf("summary status %q", got)
	}

	// The running balance of every row follows from the amounts: the control
	// check passes.
	if !strings.Contains(summary["Control checks"], "ok") ||
		b.count(`#file-summary dd .status[data-status="ok"]`) != 1 {
		t.Errorf("control checks %q, want ok", summary["Control checks"])
	}

	for _, c := range []struct{ sel, want string }{
		{`#file-totals tr[data-row="transactions"]`, "Transactions 6"},
		{`#file-totals tr[data-row="credits"]`, "Credits EUR 5 3838.73"},
		{`#file-totals tr[data-row="debits"]`, "Debits EUR 1 12.50"},
		{`#file-counts tr[data-row="transactions"]`, "Transactions read 6"},
		{`#file-counts tr[data-row="duplicates"]`, "Duplicates skipped 0"},
	} {
		if got := b.text(c.sel); got != c.want {
			t.Errorf("%s: %q, want %q", c.sel, got, c.want)
		}
	}

	var rows []payRow
	b.eval(`Array.from(document.querySelectorAll("#payments tr[data-payment-id]"), tr => ({
		id: tr.dataset.paymentId,
		amount: tr.cells[6].innerText.trim(),
		payer: tr.cells[8].innerText.trim(),
		status: tr.querySelector(".status").dataset.status,
		exception: tr.cells[12].innerText.trim()}))`, &rows)

	stored := map[string]payRow{}
	dbRows, err := s.pool.Query(context.Background(), `SELECT p.id, p.status,
		COALESCE((SELECT max(e.id) FROM exceptions e WHERE e.payment_id = p.id
			AND e.status = 'open'), 0)
		FROM payments p WHERE p.file_id = $1`, id)
	if err != nil {
		t.Fatal(err)
	}

	for dbRows.Next() {
		var pid, exc int64
		var st string
		if err := dbRows.Scan(&pid, &st, &exc); err != nil {
			t.Fatal(err)
		}

		r := payRow{Status: st}
		if exc > 0 {
			r.Exc = "#" + itoa(exc)
		}

		stored[itoa(pid)] = r
	}

	if err := dbRows.Err(); err != nil {
		t.Fatal(err)
	}

	if len(rows) != 6 || len(stored) != 6 {
		t.Fatalf("the page lists %d payments, the database has %d; want 6: %+v", len(rows),
			len(stored), rows)
	}

	if got := b.text(`#file-counts tr[data-row="new"]`); got != "New payments stored 6" {
		t.Errorf("new payments: %q", got)
	}

	for _, r := range rows {
		db := stored[r.ID]
		if r.Status != db.Status || r.Exc != db.Exc {
			t.Errorf("payment %s (%s %s): page says %s %s, database %s %s", r.ID, r.Payer,
				r.Amount, r.Status, r.Exc, db.Status, db.Exc)
		}

		if want, ok := wantStatus[r.Payer]; ok && r.Status != want {
			t.Errorf("payment of %s %s is %s, want %s", r.Payer, r.Amount, r.Status, want)
		}

		if r.Status == "exception" && r.Exc == "" {
			t.Errorf("payment of %s %s: an exception without a link", r.Payer, r.Amount)
		}
	}
}

// applyToTwo: ops open the part payment from the queue, apply it to its two
// invoices with amounts of their own, see the exception resolved and the
// applications listed; the invoices' open amounts drop by those amounts and the
// audit log shows who did it.
func (s *suite) applyToTwo(t *testing.T) {
	id := s.exceptionOf(t, "Quillfeather Mills Ltd")
	before1, before2 := s.openMinor(t, "BRW-2001"), s.openMinor(t, "BRW-2002")

	b := s.tab(t)
	b.logIn(opsA, "/exceptions")

	row := `#exceptions-table tr[data-exception-id="` + itoa(id) + `"]`
	if !strings.Contains(b.text(row), "Quillfeather") {
		t.Fatalf("the queue's row of exception %d: %q; queue %q", id, b.text(row),
			b.text("#exceptions-table"))
	}

	if got := b.count("#exceptions-table tr[data-exception-id]"); got != 3 {
		t.Errorf("the queue lists %d open exceptions, want 3", got)
	}

	if b.count(`#bulk-form[method="post"]`) != 1 {
		t.Errorf("ops are not offered the queue's bulk form")
	}

	b.screenshot("exceptions", 900)

	if st := b.click(row + ` a[href="/exceptions/` + itoa(id) + `"]`); st != 200 {
		t.Fatalf("open exception %d: status %d", id, st)
	}

	if got := b.text("main h1"); got != "Exception "+itoa(id)+
		": amounts do not add up (amount_mismatch)" {
		t.Errorf("heading %q", got)
	}

	cands := b.texts("#candidates tr[data-invoice] td:nth-child(2)")
	if !slices.Contains(cands, "BRW-2001") || !slices.Contains(cands, "BRW-2002") {
		t.Fatalf("candidates %q, want BRW-2001 and BRW-2002", cands)
	}

	b.screenshot("exception", 1700)

	amount := func(inv string) string {
		return `#apply-form input[name=invoice][value="` + inv + `"] ~ input[name=amount]`
	}

	b.fill(amount("BRW-2001"), "1000.00")
	b.fill(amount("BRW-2002"), "500.00")
	b.fill("#apply-note", "paid in part, as agreed by phone")

	if st := b.click("#apply-form button[type=submit]"); st != 200 {
		t.Fatalf("apply: status %d: %s", st, b.text("main"))
	}

	got := b.text("#action-message")
	if !strings.HasSuffix(got, "Done: the exception is resolved.") {
		t.Errorf("after applying: message %q, form error %q", got, b.text("#form-error"))
	}

	if b.count(`main > p .status[data-status="resolved"]`) != 1 {
		t.Errorf("the exception does not show resolved: %q", b.text("main > p"))
	}

	for _, c := range []struct{ inv, amount string }{{"BRW-2001", "1000.00 EUR"},
		{"BRW-2002", "500.00 EUR"}} {
		got := b.text(`#applications tr[data-application-invoice="` + c.inv + `"]`)
		if !strings.Contains(got, c.amount) || !strings.Contains(got, opsA.name) {
			t.Errorf("application to %s: %q, want %s by %s", c.inv, got, c.amount, opsA.name)
		}
	}

	if b.count("#apply-form") != 0 {
		t.Errorf("a resolved exception still offers the apply form")
	}

	// The candidates show what the invoices keep open now.
	for _, c := range []struct{ inv, open string }{{"BRW-2001", "200.00 EUR"},
		{"BRW-2002", "300.00 EUR"}} {
		if got := b.text(`#candidates tr[data-invoice="` + c.inv + `"]`); !strings.Contains(got,
			c.open) {
			t.Errorf("candidate %s: %q, want %s open", c.inv, got, c.open)
		}
	}

	if got, want := s.openMinor(t, "BRW-2001"), before1-100000; got != want {
		t.Errorf("BRW-2001 open %d, want %d", got, want)
	}

	if got, want := s.openMinor(t, "BRW-2002"), before2-50000; got != want {
		t.Errorf("BRW-2002 open %d, want %d", got, want)
	}

	if st, unapplied := s.exceptionState(t, id); st != "resolved" || unapplied != 0 {
		t.Errorf("exception %d is %s with %d unapplied, want resolved and 0", id, st, unapplied)
	}

	// The audit log, filtered on the actor through its form.
	b.open("/audit")
	b.fill("#filter-actor", opsA.name)

	if st := b.click("#audit-filter button[type=submit]"); st != 200 {
		t.Fatalf("filter the audit log: status %d", st)
	}

	var entries [][]string
	b.eval(`Array.from(document.querySelectorAll("#audit-table tr[data-entry-id]"),
		tr => Array.from(tr.cells, c => c.innerText.trim()))`, &entries)

	found := false
	for _, e := range entries {
		if e[2] != opsA.name {
			t.Errorf("the filter on %s shows an entry of %s", opsA.name, e[2])
		}

		if e[3] == "resolved" && e[4] == "exception" && e[5] == itoa(id) {
			found = true
		}
	}

	if !found {
		t.Errorf("no audit entry: %s resolved exception %d; entries %q", opsA.name, id, entries)
	}

	b.screenshot("audit", 900)
}

// writeOffApproval: ops user A writes off the rest of a short payment, above the
// approval limit: it waits; A is offered no way to approve it and a hand-made
// approval of A's is refused; ops user B approves it and the write-off is done.
func (s *suite) writeOffApproval(t *testing.T) {
	id := s.exceptionOf(t, "Ostrava Quay Foods")
	page := "/exceptions/" + itoa(id)

	a := s.tab(t)
	a.logIn(opsA, page)

	if got := a.text("#writeoff-form p"); !strings.Contains(got,
		fmt.Sprintf("Above %d.%02d EUR a second person must approve.", approvalLimit/100,
			approvalLimit%100)) {
		t.Errorf("the write-off form says %q", got)
	}

	// Invoice, cash and amount left empty: the best candidate, all of the
	// payment, and what the invoice keeps open after it (640.00 - 580.00).
	a.must("choose the reason", chromedp.SetValue(chromedp.CSS("#wo-reason"), "short_payment"))

	if st := a.click("#writeoff-form button[type=submit]"); st != 200 {
		t.Fatalf("write off: status %d: %s", st, a.text("main"))
	}

	msg := a.text("#action-message")
	if !strings.Contains(msg, "The write-off waits for approval") {
		t.Fatalf("after the write-off: %q (form error %q)", msg, a.text("#form-error"))
	}

	if !strings.Contains(a.text("main > p"), "awaiting approval") {
		t.Errorf("the exception does not say it awaits approval: %q", a.text("main > p"))
	}

	var approval int64
	var amount int64
	err := s.pool.QueryRow(context.Background(), `SELECT id, amount_minor
		FROM exception_approvals WHERE exception_id = $1 AND status = 'pending'`, id).
		Scan(&approval, &amount)
	if err != nil || amount != 6000 {
		t.Fatalf("pending approval of exception %d: amount %d, %v; want 6000", id, amount, err)
	}

	if st, _ := s.exceptionState(t, id); st != "open" || s.openMinor(t, "BRW-2007") != 64000 {
		t.Fatalf("before approval the exception is %s and BRW-2007 open %d", st,
			s.openMinor(t, "BRW-2007"))
	}

	// A sees the approval but no button to approve their own request.
	if a.count("#approval-form") != 1 || a.count(`#approval-form button[value="approve"]`) != 0 {
		t.Errorf("the requester is offered: %q", a.text("#approval-form"))
	}

	if !strings.Contains(a.text("#approval-form"), "a second person approves it") {
		t.Errorf("the approval form tells the requester %q", a.text("#approval-form"))
	}

	// A hand-made approval from A: the form's button turned into "approve".
	a.eval(`document.querySelector('#approval-form button[name="decision"]').value = "approve"`,
		nil)

	if st := a.click(`#approval-form button[name="decision"]`); st != 403 {
		t.Errorf("A approving their own write-off answers %d, want 403", st)
	}

	if a.text("main h1") != "Not allowed" {
		t.Errorf("A's own approval shows %q: %s", a.text("main h1"), a.text("main"))
	}

	var status string
	if err := s.pool.QueryRow(context.Background(),
		"SELECT status FROM exception_approvals WHERE id = $1", approval).
		Scan(&status); err != nil || status != "pending" {
		t.Fatalf("after A's own approval the approval is %q (%v), want pending", status, err)
	}

	b := s.tab(t)
	b.logIn(opsB, page)

	if got := b.text("#approval-form h2"); !strings.Contains(got, "asked by "+opsA.name) ||
		!strings.Contains(got, "60.00 EUR") {
		t.Errorf("B's approval form: %q", got)
	}

	b.fill("#approval-note", "short payment confirmed with the customer")

	if st := b.click(`#approval-form button[value="approve"]`); st != 200 {
		t.Fatalf("B approves: status %d: %s", st, b.text("main"))
	}

	got := b.text("#action-message")
	if !strings.HasSuffix(got, "Approved. Done: the exception is resolved.") {
		t.Errorf("after B's approval: %q (form error %q)", got, b.text("#form-error"))
	}

	app := b.text(`#applications tr[data-application-invoice="BRW-2007"]`)
	if !strings.Contains(app, "580.00 EUR") || !strings.Contains(app, "60.00") ||
		!strings.Contains(app, "short_payment") {
		t.Errorf("the application shown: %q", app)
	}

	if b.count("#approval-form") != 0 {
		t.Errorf("the approval is still offered after it was given")
	}

	if st, unapplied := s.exceptionState(t, id); st != "resolved" || unapplied != 0 {
		t.Errorf("exception %d is %s with %d unapplied, want resolved", id, st, unapplied)
	}

	if got := s.openMinor(t, "BRW-2007"); got != 0 {
		t.Errorf("BRW-2007 keeps %d open, want 0", got)
	}

	var decidedBy string
	if err := s.pool.QueryRow(context.Background(), `SELECT status, decided_by
		FROM exception_approvals WHERE id = $1`, approval).Scan(&status, &decidedBy); err != nil ||
		status != "approved" || decidedBy != opsB.name {
		t.Errorf("approval %d: %s by %q (%v), want approved by %s", approval, status, decidedBy,
			err, opsB.name)
	}

	// A, reloading, sees it done too.
	a.open(page)
	if a.count(`main > p .status[data-status="resolved"]`) != 1 {
		t.Errorf("A sees %q after B's approval", a.text("main > p"))
	}
}

// refusals: a viewer sees no action form and a hand-made action from their
// session is refused; an anonymous browser is sent to the login page for every
// page and for actions; a form sent without its CSRF token is refused. Nothing
// changes in the database.
func (s *suite) refusals(t *testing.T) {
	id := s.exceptionOf(t, "Unknown Trader")
	page := "/exceptions/" + itoa(id)
	status, unapplied := s.exceptionState(t, id)

	if status != "open" || unapplied != 33333 {
		t.Fatalf("exception %d starts %s with %d unapplied", id, status, unapplied)
	}

	unchanged := func(t *testing.T, after string) {
		t.Helper()

		if st, un := s.exceptionState(t, id); st != status || un != unapplied {
			t.Errorf("after %s exception %d is %s with %d unapplied, was %s with %d", after,
				id, st, un, status, unapplied)
		}
	}

	// postForm builds a form in the page, as a hand-made request would be, and
	// sends it; it returns the status of the page that answers.
	postForm := func(b *tab, action string, fields map[string]string) int64 {
		t.Helper()

		js := `(() => { const f = document.createElement("form");
			f.method = "post"; f.action = ` + jsString(action) + `;`
		for k, v := range fields {
			js += `{ const i = document.createElement("input"); i.type = "hidden";
				i.name = ` + jsString(k) + `; i.value = ` + jsString(v) + `; f.appendChild(i); }`
		}

		js += `document.body.appendChild(f); f.submit(); })()`

		return b.response("post "+action, chromedp.Evaluate[chromedp.Void](js))
	}

	t.Run("viewer", func(t *testing.T) {
		b := s.tab(t)
		b.logIn(viewer, page)

		if n := b.count(`main form[method="post"]`); n != 0 {
			t.Errorf("the viewer is offered %d action forms on an open exception", n)
		}

		// Nor on any other page (ops see the queue's bulk form, for one). Saving a
		// view of the queue for oneself is not an action on the data.
		for _, p := range []string{"/exceptions", "/files", "/files/" + itoa(s.fileID),
			"/dashboard", "/audit"} {
			if st := b.open(p); st != 200 {
				t.Errorf("the viewer's %s: status %d", p, st)
			}

			n := b.count(`main form[method="post"]:not([action^="/exceptions/views"])`)
			if n != 0 {
				t.Errorf("the viewer is offered %d action forms on %s", n, p)
			}
		}

		b.open(page)

		if !strings.Contains(b.text("#payment"), "333.33") {
			t.Errorf("the viewer does not see the payment: %q", b.text("#payment"))
		}

		if slices.Contains(b.texts("#site-nav a"), "Upload") {
			t.Errorf("the viewer is offered the upload link")
		}

		if st := b.open("/files/upload"); st != 403 || b.text("main h1") != "Not allowed" {
			t.Errorf("the viewer's /files/upload: status %d, %q", st, b.text("main h1"))
		}

		// A hand-made park from the viewer's session, with its valid CSRF token.
		b.open(page)
		csrf := b.attr(`#logout-form input[name="csrf_token"]`, "value")
		if csrf == "" {
			t.Fatal("no CSRF token in the viewer's page")
		}

		st := postForm(b, page+"/park", map[string]string{"csrf_token": csrf,
			"customer_id": "BC-5"})
		if st != 403 || b.text("main h1") != "Not allowed" || b.text("#error-status") != "403" {
			t.Errorf("the viewer's park: status %d, %q: %s", st, b.text("main h1"),
				b.text("#error-message"))
		}

		unchanged(t, "the viewer's park")
	})

	t.Run("anonymous", func(t *testing.T) {
		b := s.tab(t)

		pages := []string{"/", "/files", "/files/upload", "/files/" + itoa(s.fileID),
			"/exceptions", page, "/audit"}
		for _, p := range pages {
			b.open(p)
			if got := b.path(); !strings.HasPrefix(got, "/login") || b.count("#login-form") != 1 {
				t.Errorf("an anonymous visit of %s shows %s", p, got)
			}
		}

		count := func() int {
			t.Helper()

			var n int
			if err := s.pool.QueryRow(context.Background(),
				"SELECT count(*) FROM bank_files").Scan(&n); err != nil {
				t.Fatal(err)
			}

			return n
		}

		files := count()

		for _, action := range []string{page + "/park", page + "/apply", page + "/comment",
			page + "/assign", "/files/upload"} {
			postForm(b, action, map[string]string{"customer_id": "BC-5",
				"invoice": "BRW-2004", "amount": "333.33", "body": "hello", "assignee": "me",
				"file": "date,amount\n"})
			if got := b.path(); !strings.HasPrefix(got, "/login") {
				t.Errorf("an anonymous post to %s shows %s, want the login page", action, got)
			}
		}

		if got := count(); got != files {
			t.Errorf("anonymous posts changed the bank files from %d to %d", files, got)
		}

		unchanged(t, "the anonymous actions")

		var comments int
		if err := s.pool.QueryRow(context.Background(),
			"SELECT count(*) FROM exception_comments WHERE exception_id = $1", id).
			Scan(&comments); err != nil || comments != 0 {
			t.Errorf("exception %d has %d comments (%v) after anonymous posts", id, comments,
				err)
		}
	})

	t.Run("form without its CSRF token", func(t *testing.T) {
		b := s.tab(t)
		b.logIn(opsA, page)

		if b.count("#park-form") != 1 {
			t.Fatalf("ops are not offered the park form: %s", b.text("main"))
		}

		b.fill("#park-customer", "BC-5")
		b.eval(`document.querySelector('#park-form input[name="csrf_token"]').remove()`, nil)

		if st := b.click("#park-form button[type=submit]"); st != 403 {
			t.Errorf("a park without its CSRF token answers %d, want 403", st)
		}

		if got := b.text("#error-message"); !strings.Contains(got, "security token") {
			t.Errorf("the refusal says %q", got)
		}

		unchanged(t, "the park without a CSRF token")

		// The same form with its token goes through: the refusal was the token's.
		b.open(page)
		b.fill("#park-customer", "BC-5")

		if st := b.click("#park-form button[type=submit]"); st != 200 {
			t.Fatalf("park with the token: status %d: %s", st, b.text("main"))
		}

		got := b.text("#action-message")
		if !strings.Contains(got, "Done: the exception is") {
			t.Errorf("after the park with its token: %q (form error %q)", got,
				b.text("#form-error"))
		}

		if st, _ := s.exceptionState(t, id); st != store.ExceptionOnAccount {
			t.Errorf("with its token the park leaves the exception %s, want %s", st,
				store.ExceptionOnAccount)
		}
	})
}

// lateCSV is a second bank export, booked today: a payment that closes its
// invoice and one from a payer nobody knows.
func lateCSV(today time.Time) string {
	d := today.Format("2006-01-02")

	return "date,amount,currency,payer,reference,balance\n" +
		d + ",310.00,EUR,Tarnwick Optics AG,BRW-2004,14136.23\n" +
		d + ",77.70,EUR,Harlow Minerals,transfer,14213.93\n"
}

// kpis are the dashboard's headline figures the scenario follows.
type kpis struct {
	ReceivedMinor int64  `json:"received_minor"`
	ReceivedCount int64  `json:"received_count"`
	AutoCount     int64  `json:"auto_count"`
	Exceptions    int64  `json:"exceptions"`
	To            string `json:"to"`
	Text          string `json:"text"`
}

// readKPIs reads the figures from the dashboard shown in b.
func readKPIs(b *tab) kpis {
	b.t.Helper()

	var k kpis
	b.eval(`(() => { const d = id => document.getElementById(id).dataset;
		return {received_minor: +d("kpi-received").minor, received_count: +d("kpi-received").count,
			auto_count: +d("kpi-auto-count").count, exceptions: +d("kpi-exceptions").count,
			to: d("dashboard-scope").to,
			text: document.getElementById("kpis").innerText.replace(/\s+/g, " ")}; })()`, &k)

	return k
}

// dashboard: a viewer reads the dashboard's figures, treasury uploads another
// file, and the viewer's reloaded dashboard counts its cash and its exception.
func (s *suite) dashboard(t *testing.T) {
	v := s.tab(t)
	v.logIn(viewer, "/files")

	if st := v.open("/dashboard?currency=EUR"); st == 404 {
		t.Skip("this build has no /dashboard page")
	} else if st != 200 {
		t.Fatalf("dashboard: status %d: %s", st, v.text("main"))
	}

	// The figures are by day: a run that crosses midnight (UTC) compares two days.
	sameDay := func() {
		if !time.Now().UTC().Truncate(24 * time.Hour).Equal(s.today) {
			t.Skip("the day changed during the run")
		}
	}

	sameDay()
	before := readKPIs(v)
	if before.To != s.today.Format("2006-01-02") {
		t.Fatalf("the dashboard's period ends %q, want today", before.To)
	}

	var open int64
	if err := s.pool.QueryRow(context.Background(),
		"SELECT count(*) FROM exceptions WHERE status = 'open'").Scan(&open); err != nil {
		t.Fatal(err)
	}

	if before.Exceptions != open {
		t.Errorf("the dashboard shows %d open exceptions, the database has %d",
			before.Exceptions, open)
	}

	b := s.tab(t)
	b.logIn(treasury, "/files/upload")
	s.sendFile(t, b, s.writeFile(t, "late-receipts.csv", lateCSV(s.today)), "")
	if got := b.attr("main h1 .status", "data-status"); got != "matched" {
		t.Fatalf("the second file is %s: %s", got, b.text("main"))
	}

	v.open("/dashboard?currency=EUR")
	after := readKPIs(v)
	sameDay()

	if after.ReceivedMinor != before.ReceivedMinor+31000+7770 ||
		after.ReceivedCount != before.ReceivedCount+2 {
		t.Errorf("cash received went from %d cents in %d payments to %d in %d, want +38770 "+
			"in 2", before.ReceivedMinor, before.ReceivedCount, after.ReceivedMinor,
			after.ReceivedCount)
	}

	if after.AutoCount != before.AutoCount+1 {
		t.Errorf("auto-matched payments went from %d to %d, want one more", before.AutoCount,
			after.AutoCount)
	}

	if after.Exceptions != before.Exceptions+1 {
		t.Errorf("open exceptions went from %d to %d, want one more", before.Exceptions,
			after.Exceptions)
	}

	if !strings.Contains(after.Text, "Open exceptions "+strconv.FormatInt(after.Exceptions,
		10)) {
		t.Errorf("the figures read %q", after.Text)
	}

	v.screenshot("dashboard", 1400)
}

// uploadSample: treasury uploads a public camt.053 sample of ../shared/samples
// (skipped when the folder is absent); its result page tells what the database
// holds of it.
func (s *suite) uploadSample(t *testing.T) {
	path := filepath.Join(repoRoot(t), "..", "shared", "samples", "camt",
		"camt053.001.04-full-featured.xml")
	if _, err := os.Stat(path); err != nil {
		t.Skip("shared samples not found: " + path)
	}

	b := s.tab(t)
	b.logIn(treasury, "/files/upload")
	id := s.sendFile(t, b, path, "")

	var format, status string
	var txs, fresh, dups int
	err := s.pool.QueryRow(context.Background(), `SELECT format, status, transactions,
		payments_new, duplicates FROM bank_files WHERE id = $1`, id).
		Scan(&format, &status, &txs, &fresh, &dups)
	if err != nil {
		t.Fatal(err)
	}

	if !strings.HasPrefix(format, "camt.053") || status != "matched" {
		t.Errorf("the sample is stored as %q, %s; want a matched camt.053", format, status)
	}

	if got := b.attr("main h1 .status", "data-status"); got != status {
		t.Errorf("the page says %s, the database %s", got, status)
	}

	for _, c := range []struct{ sel, want string }{
		{`#file-counts tr[data-row="transactions"]`, "Transactions read " + strconv.Itoa(txs)},
		{`#file-counts tr[data-row="new"]`, "New payments stored " + strconv.Itoa(fresh)},
		{`#file-counts tr[data-row="duplicates"]`, "Duplicates skipped " + strconv.Itoa(dups)},
	} {
		if got := b.text(c.sel); got != c.want {
			t.Errorf("%s: %q, want %q", c.sel, got, c.want)
		}
	}

	if txs == 0 || b.count("#payments tr[data-payment-id]") == 0 {
		t.Errorf("the sample brought %d transactions; the page lists %d payments", txs,
			b.count("#payments tr[data-payment-id]"))
	}
}
