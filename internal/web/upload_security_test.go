package web_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/web"
)

// startLogged runs the app as start does, its log in the buffer it returns.
func startLogged(t *testing.T, cfg web.Config) (*api, *logBuffer) {
	t.Helper()

	logs := &logBuffer{}
	pool := pgtest.DB(t)
	svc := auth.New(pool, auth.Config{Logger: quiet})

	cfg.Pool, cfg.Auth = pool, svc
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))

	srv := httptest.NewServer(web.New(cfg))
	t.Cleanup(srv.Close)

	a := &api{pool: pool, auth: svc, url: srv.URL}
	a.token = a.tokenFor(t, "ops.test", auth.RoleAdmin)

	return a, logs
}

// marker is in every malformed body below: it must reach neither log nor answer.
const marker = "CLIENTBYTES"

// part is one multipart part with the boundary B.
func part(disposition, body string) string {
	return "--B\r\nContent-Disposition: form-data; " + disposition + "\r\n\r\n" + body + "\r\n"
}

// malformed are upload bodies (boundary B) that are the client's fault.
var malformed = map[string]string{
	"bad header line": "--B\r\nContent-Disposition: form-data; name=\"file\"; " +
		"filename=\"a.csv\"\r\n" + marker + " no colon\r\n\r\nx\r\n--B--\r\n",
	"cut off": "--B\r\nContent-Disposition: form-data; name=\"file\"; " +
		"filename=\"a.csv\"\r\n\r\ndate,amount\r\n2026-10-01,1.00 " + marker,
	"control character in the name": part(`name="file"; filename="a`+"\x07"+marker+`.csv"`,
		"date,amount\n") + "--B--\r\n",
	"bidi override in the name": part(`name="file"; filename="inv`+"\u202e"+`vsc.exe"`,
		"date,amount\n") + "--B--\r\n",
	"no boundary at all": marker + " just bytes",
}

// A malformed multipart upload is the client's fault: 400 invalid_upload, logged
// at WARN at most, without the client's bytes.
func TestMalformedUploadsAreRefusedNotFailed(t *testing.T) {
	t.Parallel()

	a, logs := startLogged(t, web.Config{})

	for name, body := range malformed {
		var e apiError
		code := a.do(t, http.MethodPost, "/api/bank-files", "multipart/form-data; boundary=B",
			strings.NewReader(body), &e)
		if code != http.StatusBadRequest || e.Error != "invalid_upload" ||
			strings.Contains(e.Detail, marker) {
			t.Errorf("%s: %d %+v, want 400 invalid_upload", name, code, e)
		}
	}

	out := logs.String()
	if strings.Contains(out, "level=ERROR") || strings.Contains(out, marker) {
		t.Errorf("log of malformed uploads:\n%s", out)
	}

	if n := countRows(t, a, "SELECT count(*) FROM bank_files"); n != 0 {
		t.Errorf("%d files stored from malformed uploads", n)
	}
}

// The upload form answers malformed forms the same way: refused, never "o2c
// could not store", logged at WARN without the client's bytes.
func TestMalformedUploadFormsAreRefusedNotFailed(t *testing.T) {
	t.Parallel()

	a, logs := startLogged(t, web.Config{})
	a.addUser(t, "tess", auth.RoleTreasury)

	p := newPerson(t, a.url)
	p.logIn("tess")

	csrf := part(`name="csrf_token"`, p.csrf)

	for name, body := range malformed {
		if name == "no boundary at all" {
			body = marker // the token is not readable either: CSRF refuses it
		}

		resp, page := p.page(http.MethodPost, "/files/upload",
			"multipart/form-data; boundary=B", strings.NewReader(csrf+body))

		loc := resp.Header.Get("Location")
		switch {
		case resp.StatusCode == http.StatusSeeOther:
			if strings.Contains(loc, "failed") || !strings.Contains(loc, "bad=") {
				t.Errorf("%s: sent to %s", name, loc)
			}
		case resp.StatusCode == http.StatusBadRequest, resp.StatusCode == http.StatusForbidden:
		default:
			t.Errorf("%s: %d %s", name, resp.StatusCode, clip(page))
		}

		if strings.Contains(page, marker) || strings.Contains(loc, marker) {
			t.Errorf("%s: the answer quotes the client's bytes", name)
		}
	}

	out := logs.String()
	if strings.Contains(out, "level=ERROR") || strings.Contains(out, marker) {
		t.Errorf("log of malformed upload forms:\n%s", out)
	}
}

// manyFiles is a multipart body (boundary B) of n small distinct CSV files.
func manyFiles(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(part(fmt.Sprintf(`name="file"; filename="f%d.csv"`, i),
			fmt.Sprintf("date,amount,currency,payer,reference\n2026-10-03,%d.00,EUR,P,R\n",
				i+1)))
	}

	b.WriteString("--B--\r\n")

	return b.String()
}

// One upload takes at most 20 files, through the API as through the form; past
// the cap nothing more is read, and the form's redirect stays short.
func TestUploadsAreCappedAtTwentyFiles(t *testing.T) {
	t.Parallel()

	a, _ := startLogged(t, web.Config{})

	var e apiError
	if code := a.do(t, http.MethodPost, "/api/bank-files", "multipart/form-data; boundary=B",
		strings.NewReader(manyFiles(25)), &e); code != http.StatusBadRequest ||
		e.Error != "invalid_upload" || !strings.Contains(e.Detail, "at most 20 files") {
		t.Errorf("25 files through the API: %d %+v", code, e)
	}

	if n := countRows(t, a, "SELECT count(*) FROM bank_files"); n != 20 {
		t.Errorf("%d files stored of 25, want the first 20", n)
	}

	fields := strings.Repeat(part(`name="other"`, "x"), 1000) + "--B--\r\n"
	if code := a.do(t, http.MethodPost, "/api/bank-files", "multipart/form-data; boundary=B",
		strings.NewReader(fields), &e); code != http.StatusBadRequest ||
		e.Error != "invalid_upload" {
		t.Errorf("1000 fields through the API: %d %+v", code, e)
	}

	a.addUser(t, "tess", auth.RoleTreasury)
	p := newPerson(t, a.url)
	p.logIn("tess")

	body := part(`name="csrf_token"`, p.csrf) + manyFiles(3000)
	resp, page := p.page(http.MethodPost, "/files/upload", "multipart/form-data; boundary=B",
		strings.NewReader(body))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("3000 files through the form: %d %s", resp.StatusCode, clip(page))
	}

	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}

	q := loc.Query()
	if len(resp.Header.Get("Location")) > 4096 || len(q["f"]) != 20 ||
		strings.Join(q["bad"], ",") != "many:f20.csv" {
		t.Errorf("redirect of %d bytes: %d files, refused %q", len(loc.String()),
			len(q["f"]), q["bad"])
	}

	// The form's 20 are the API's 20 again: duplicates, nothing more stored.
	if n := countRows(t, a, "SELECT count(*) FROM bank_files"); n != 20 {
		t.Errorf("%d files stored after the form, want 20", n)
	}
}

// An upload whose body stalls is cut off at its deadline with 400, and the
// server goes on serving.
func TestStalledUploadIsCutOff(t *testing.T) {
	t.Parallel()

	a, logs := startLogged(t, web.Config{UploadTimeout: 300 * time.Millisecond})

	pr, pw := ioPipe()
	go func() {
		_, _ = pw.Write([]byte("date,amount,currency,payer,reference\n"))
		time.Sleep(3 * time.Second)
		_ = pw.Close()
	}()

	start := time.Now()

	var e apiError
	code := a.do(t, http.MethodPost, "/api/bank-files?name=slow.csv", "text/csv", pr, &e)
	if code != http.StatusBadRequest || e.Error != "invalid_upload" ||
		!strings.Contains(e.Detail, "too slow") {
		t.Errorf("stalled upload: %d %+v", code, e)
	}

	if took := time.Since(start); took > 2500*time.Millisecond {
		t.Errorf("stalled upload answered after %s", took)
	}

	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("a stalled upload is logged as an error:\n%s", logs)
	}
}

// countRows runs a count query on a's database.
func countRows(t *testing.T, a *api, q string) int {
	t.Helper()

	var n int
	if err := a.pool.QueryRow(t.Context(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}

	return n
}

// ioPipe is io.Pipe, a body the test writes slowly.
func ioPipe() (*io.PipeReader, *io.PipeWriter) { return io.Pipe() }
