package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/web"
)

// Input the database cannot hold as text is the caller's mistake: 400, never 500.
func TestBadTextIsRefusedAsBadRequest(t *testing.T) {
	t.Parallel()

	a := start(t)
	ids := seed(t, a.pool, 10000)

	var e apiError
	body := `{"allocations":[{"invoice_number":"INV\u0000X","amount":"1.00"}]}`
	if code := a.post(t, "/api/exceptions/"+itoa(ids[0])+"/resolve", body, &e); code != 400 {
		t.Errorf("NUL in an invoice number: %d %+v, want 400", code, e)
	}

	// Checked before it reaches the database: a refused field.
	if code := a.post(t, "/api/exceptions/"+itoa(ids[0])+"/assign",
		`{"assignee":"a\u0000b"}`, &e); code != 422 || e.Error != "invalid" {
		t.Errorf("NUL in an assignee: %d %+v, want 422", code, e)
	}

	if code := a.do(t, http.MethodPost, "/api/bank-files?name=a%00b.csv", "text/csv",
		strings.NewReader(csvFile), &e); code != 400 || e.Error != "invalid_upload" {
		t.Errorf("control character in a file name: %d %+v, want 400 invalid_upload", code, e)
	}
}

func TestOversizedMultipartUploadIs413(t *testing.T) {
	t.Parallel()

	pool := pgtest.DB(t)
	svc := auth.New(pool, auth.Config{Logger: quiet})
	srv := httptest.NewServer(web.New(web.Config{Pool: pool, Auth: svc, Logger: quiet,
		MaxUploadBytes: 64}))
	t.Cleanup(srv.Close)

	a := &api{pool: pool, auth: svc, url: srv.URL}
	a.token = a.tokenFor(t, "treasury.test", auth.RoleTreasury)

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)

	fw, err := mw.CreateFormFile("file", "big.csv")
	if err != nil {
		t.Fatal(err)
	}

	_, _ = fw.Write([]byte(strings.Repeat(csvFile, 4)))
	_ = mw.Close()

	var e apiError
	if code := a.do(t, http.MethodPost, "/api/bank-files", mw.FormDataContentType(), &buf,
		&e); code != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", code)
	}
}

func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	t.Parallel()

	a := startWith(t, auth.Config{Logger: quiet, LegacyToken: "legacy-tok"})

	for _, h := range []string{"bearer " + a.token, "BEARER " + a.token, "bearer legacy-tok"} {
		req, _ := http.NewRequest(http.MethodGet, a.url+"/api/exceptions", nil)
		req.Header.Set("Authorization", h)

		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}

		_ = resp.Body.Close()

		if resp.StatusCode != http.StatusOK {
			t.Errorf("%.10s...: status %d, want 200", h, resp.StatusCode)
		}
	}
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
