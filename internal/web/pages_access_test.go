package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/store"
)

// pageCalls are the role table's rows for the pages and their JSON routes (see
// TestEveryRouteChecksTheRole). A page answers its success after the redirects it
// makes; fileID is a stored file.
func pageCalls(t *testing.T, pool *pgxpool.Pool, fileID int64) []routeCall {
	t.Helper()

	// Each caller that may retry retries a rejected file of its own.
	rejected := func(route string) []int64 {
		var out []int64

		for i := range 9 {
			f, _, err := store.InsertBankFile(context.Background(), pool, "rejected.csv",
				fmt.Appendf(nil, "rejected %s %s %d", t.Name(), route, i), "test")
			if err == nil {
				err = store.RejectBankFile(context.Background(), pool, f.ID, "csv", "bad",
					[]bankfile.Problem{{Line: 2, Field: "amount", Message: "bad"}})
			}

			if err != nil {
				t.Fatal(err)
			}

			out = append(out, f.ID)
		}

		return out
	}

	forPage, forAPI := rejected("page"), rejected("api")
	id := itoa(fileID)

	get := func(path string) func(int) (string, string, string, io.Reader) {
		return func(int) (string, string, string, io.Reader) {
			return http.MethodGet, path, "", nil
		}
	}

	return []routeCall{
		{"GET /{$}", 200, get("/")},
		{"GET /files", 200, get("/files?status=received")},
		{"GET /files/upload", 200, get("/files/upload")},
		{"POST /files/upload", 200, func(c int) (string, string, string, io.Reader) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			w, _ := mw.CreateFormFile("file", "page.csv")
			_, _ = io.WriteString(w, csvFile+fmt.Sprintf("2026-10-05,%d.00,EUR,P,Q\n", c+1))
			_ = mw.Close()

			return http.MethodPost, "/files/upload", mw.FormDataContentType(), &buf
		}},
		{"GET /files/uploaded", 200, get("/files/uploaded?f=" + id + ":new")},
		{"GET /files/{id}", 200, get("/files/" + id)},
		{"GET /files/{id}/raw", 200, get("/files/" + id + "/raw")},
		{"GET /files/{id}/payments.csv", 200, get("/files/" + id + "/payments.csv")},
		{"POST /files/{id}/retry", 200, func(c int) (string, string, string, io.Reader) {
			return http.MethodPost, "/files/" + itoa(forPage[c]) + "/retry",
				"application/x-www-form-urlencoded", strings.NewReader("")
		}},
		{"GET /audit", 200, get("/audit?entity=bank_file")},
		{"GET /audit.csv", 200, get("/audit.csv?entity=bank_file")},
		{"GET /api/bank-files/{id}/report", 200, get("/api/bank-files/" + id + "/report")},
		{"GET /api/bank-files/{id}/payments", 200, get("/api/bank-files/" + id + "/payments")},
		{"GET /api/bank-files/{id}/raw", 200, get("/api/bank-files/" + id + "/raw")},
		{"POST /api/bank-files/{id}/retry", 202, func(c int) (string, string, string,
			io.Reader) {
			return http.MethodPost, "/api/bank-files/" + itoa(forAPI[c]) + "/retry", "", nil
		}},
		{"GET /api/audit", 200, get("/api/audit?limit=5")},
	}
}
