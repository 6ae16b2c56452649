package web

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/matching"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/reversal"
	"github.com/o2c-dev/o2c/internal/store"
)

func TestPageErrorsTurnErrorAnswersIntoPages(t *testing.T) {
	s := &Server{cfg: Config{Logger: slog.New(slog.DiscardHandler)}, api: http.NewServeMux()}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, errors.New("password=hunter2 connection refused"))
	})
	mux.HandleFunc("GET /gone", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", errors.New("bank file 7: not found"))
	})
	mux.HandleFunc("GET /api/boom", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, errors.New("db down"))
	})
	mux.HandleFunc("GET /stream", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		_, _ = io.WriteString(w, "a,b\n")
		http.NewResponseController(w).Flush()
		_, _ = io.WriteString(w, "1,2\n")
	})
	mux.HandleFunc("POST /locked", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusUnauthorized, "unauthorized", nil)
	})

	srv := httptest.NewServer(s.pageErrors(mux))
	t.Cleanup(srv.Close)

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}

	call := func(method, path, accept string, header ...string) (*http.Response, string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}

		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}

		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()

		b, _ := io.ReadAll(resp.Body)

		return resp, string(b)
	}

	const html = "text/html,*/*;q=0.8"

	for _, c := range []struct {
		method, path, accept string
		status               int
		contentType, has     string
		hasNot               string
	}{
		{"GET", "/boom", html, 500, "text/html", "Something went wrong", "hunter2"},
		{"GET", "/gone", html, 404, "text/html", "There is no such page or record", ""},
		{"POST", "/gone", html, 405, "text/html", "does not take that kind", ""},
		{"GET", "/nowhere", html, 404, "text/html", `id="error-status">404`, ""},
		{"GET", "/boom", "", 500, "application/json", `"error":"internal"`, "hunter2"},
		{"GET", "/api/boom", html, 500, "application/json", `"error":"internal"`, ""},
		{"GET", "/stream", html, 200, "text/csv", "a,b\n1,2\n", ""},
	} {
		resp, body := call(c.method, c.path, c.accept)
		if resp.StatusCode != c.status ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), c.contentType) ||
			!strings.Contains(body, c.has) || c.hasNot != "" && strings.Contains(body, c.hasNot) {
			t.Errorf("%s %s (Accept %q): %d %q\n%s", c.method, c.path, c.accept, resp.StatusCode,
				resp.Header.Get("Content-Type"), body)
		}
	}

	// A form posted without a session goes to the login page, then back to the form's
	// page.
	resp, _ := call("POST", "/locked", html, "Referer", srv.URL+"/files/7?after=3")
	if resp.StatusCode != http.StatusSeeOther ||
		resp.Header.Get("Location") != "/login?next=%2Ffiles%2F7%3Fafter%3D3" {
		t.Errorf("401 of a form: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	resp, _ = call("POST", "/locked", html, "Referer", "https://elsewhere.example/x")
	if resp.Header.Get("Location") != "/login?next=%2F" {
		t.Errorf("401 of a form from another site: to %q", resp.Header.Get("Location"))
	}
}

func TestSafeNextStaysOnTheSite(t *testing.T) {
	for next, want := range map[string]string{
		"":                       "/",
		"/files?status=rejected": "/files?status=rejected",
		"/audit":                 "/audit",
		"//evil.example/x":       "/",
		"/\\evil.example":        "/",
		"https://evil.example/":  "/",
		"javascript:alert(1)":    "/",
		"files":                  "/",
		"/x\r\nSet-Cookie: a=b":  "/",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

func TestEveryPageTemplateRendersEveryBranch(t *testing.T) {
	s := &Server{cfg: Config{Logger: slog.New(slog.DiscardHandler)}, api: http.NewServeMux()}
	now := time.Date(2026, 10, 5, 9, 30, 0, 0, time.UTC)
	prob := []bankfile.Problem{{Line: 3, Field: "amount", Value: "<12x>", Message: "bad"}}
	f := store.BankFile{ID: 7, Name: "a<b>.csv", Format: "csv", Status: store.FileRejected,
		Error: "bad", Problems: prob, Warnings: prob, Controls: "mismatch", ReceivedAt: now,
		ProcessedAt: &now}
	pay := filePayment{ExceptionID: 9}
	pay.ID, pay.Status, pay.Tx.Amount = 3, store.PaymentException, money.New(12345, "EUR")
	pay.Tx.Remittance, pay.Tx.BookingDate = "INV-1", now

	rep := &bank.Report{Profile: "guess", Accounts: []string{"DE1", "DE2"}, Currency: "mixed",
		ByCurrency: map[string]bank.Sides{"EUR": {}, "USD": {}}}
	sum := []statusSum{{Status: "exception", Currency: "EUR", Count: 1, Total: 12345}}
	pg := pager{Prev: "/x?after=1", Next: "/x?before=2"}

	matched := f
	matched.Status, matched.Problems, matched.Error = store.FileMatched, nil, ""

	for _, c := range []struct {
		name string
		data any
	}{
		{"error", errorData{Status: 403, Heading: "Not allowed", Message: "no"}},
		{"login", loginData{Name: "ana", Next: "/files", Message: "Wrong"}},
		{"upload", uploadData{MaxBytes: 1 << 20, MaxFiles: 20, Error: "Choose"}},
		{"uploaded", uploadedData{Pending: true, Files: []uploadedFile{{Name: "a", File: &f,
			Kind: "retried", Message: "again"}, {Name: "b", Kind: "refused", Message: "empty"},
			{Kind: "refused"}}}},
		{"files", filesData{Name: "a", Format: "csv", Formats: fileFormats,
			Statuses: fileStatuses, Files: []store.BankFile{f}, Pager: pg}},
		{"file", fileData{fileResult: fileResult{File: f, Report: rep, Sums: sum,
			Accounts: []string{"DE1"}, Pending: true}, Payments: []filePayment{pay}, Pager: pg}},
		{"file", fileData{fileResult: fileResult{File: matched, NotRead: "too big",
			Sums: append(sum, sum...)}, Payments: []filePayment{pay}}},
		{"audit", auditData{Actor: "ana", Export: "/audit.csv?actor=ana", Pager: pg,
			Entries: []store.AuditEntry{{ID: 1, At: now, Actor: "ana", Entity: "bank_file",
				EntityID: "7", Before: []byte(`{"a":1}`), After: []byte(`{"b":"<x>"}`)}}}},
	} {
		req := httptest.NewRequest(http.MethodGet, "/files", nil)
		req = req.WithContext(auth.WithUser(req.Context(), auth.User{Name: "ana",
			Role: auth.RoleTreasury}))
		rec := httptest.NewRecorder()

		s.render(rec, req, http.StatusOK, c.name, "Title", c.data)

		body := regexp.MustCompile(`>\s+<`).ReplaceAllString(rec.Body.String(), "><")
		if rec.Code != http.StatusOK || !strings.Contains(body, "</html>") ||
			strings.Contains(body, "<b>") || strings.Contains(body, "<12x>") ||
			strings.Contains(body, "<x>") {
			t.Errorf("%s: %d\n%s", c.name, rec.Code, body)
		}

		if strings.Contains(body, "too big") &&
			!strings.Contains(body, "<dt>Currency</dt><dd>EUR</dd>") {
			t.Errorf("stored currencies are not listed once each:\n%s", body)
		}
	}

	if strings.Contains(string(statusBadge("<b>")), "<b>") {
		t.Errorf("an unknown status is not escaped: %s", statusBadge("<b>"))
	}
}

func TestEveryStatusHasASignAndWords(t *testing.T) {
	all := []string{store.PaymentNew, store.PaymentApplied, store.PaymentPartly,
		store.PaymentException, store.PaymentOnAccount, store.PaymentNotCash,
		store.PaymentReturned, store.PaymentRefundPending, store.PaymentReturnPending,
		store.ExceptionParked, store.FileMatched, store.FileRejected,
		store.InvoiceRequested, store.InvoiceOpen, store.InvoicePaid, store.InvoiceFailed,
		store.InvoiceSyncMismatch, store.InvoiceVoided}

	for _, s := range exceptions.Statuses() {
		if s != exceptions.StatusAll {
			all = append(all, s)
		}
	}

	for _, s := range all {
		if st, ok := statuses[s]; !ok || st.sign == "" || st.label == "" {
			t.Errorf("status %q has no sign and words", s)
		}
	}
}

func TestEveryExceptionReasonReadsInWords(t *testing.T) {
	for _, code := range []string{matching.ReasonUnknownPayer, matching.ReasonNoMatch,
		matching.ReasonAmbiguous, matching.ReasonCurrency, matching.ReasonOverpayment,
		matching.ReasonShortPayment, matching.ReasonAmountMismatch,
		matching.ReasonBatchMismatch, matching.ReasonRemittanceMismatch,
		matching.ReasonFlagged, matching.ReasonAlreadyPaid, matching.ReasonPayerMismatch,
		matching.ReasonLowConfidence, reversal.ReasonReturned,
		reversal.ReasonReturnUnmatched, reversal.ReasonReversalUnverified,
		exceptions.ReasonSplitRemainder} {
		if w := reasonWords(code); w == code || w == "" {
			t.Errorf("reason %q has no words", code)
		}
	}

	if got := reasonWords("<b>"); got != "<b>" {
		t.Errorf("an unknown reason reads %q", got)
	}
}
