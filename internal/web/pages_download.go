package web

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/pipelines"
)

// A stored file's raw bytes, its payments as CSV and as JSON pages, the history
// as JSON, and the retry of a rejected file.

// fileRaw sends a stored file's bytes as they were received, streamed from the
// database a chunk at a time.
func (s *Server) fileRaw(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeError(w, http.StatusNotFound, "not_found", err)
		return
	}

	f, err := store.GetBankFile(r.Context(), s.cfg.Pool, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}

	name, body, err := store.OpenBankFile(r.Context(), s.cfg.Pool, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}

	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", attachment(name))
	h.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")

	if _, err := io.Copy(w, body); err != nil {
		s.cfg.Logger.WarnContext(r.Context(), "Send bank file", "file_id", id, "error", err)
	}
}

// retrySubmit reads a rejected file again (after a reader fix or a change of the
// bank profiles) and shows its result page.
func (s *Server) retrySubmit(w http.ResponseWriter, r *http.Request) {
	id, ok := s.retry(w, r)
	if ok {
		http.Redirect(w, r, "/files/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	}
}

// apiRetry is retrySubmit for scripts: 202 with the file, 409 unless it was
// rejected.
func (s *Server) apiRetry(w http.ResponseWriter, r *http.Request) {
	id, ok := s.retry(w, r)
	if !ok {
		return
	}

	f, err := store.GetBankFile(r.Context(), s.cfg.Pool, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}

	writeJSON(w, http.StatusAccepted, map[string]any{"file": f})
}

// errNotRejected refuses the retry of a file that was not rejected.
var errNotRejected = errors.New("only a rejected file is read again: this one is not rejected")

func (s *Server) retry(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := pathID(r)
	if err != nil {
		writeError(w, http.StatusNotFound, "not_found", err)
		return 0, false
	}

	f, err := store.GetBankFile(r.Context(), s.cfg.Pool, id)
	if err != nil {
		s.fail(w, r, err)
		return 0, false
	}

	if f.Status != store.FileRejected {
		writeError(w, http.StatusConflict, "conflict", errNotRejected)
		return 0, false
	}

	err = pipelines.Resubmit(r.Context(), s.cfg.Pool, id, actor(r))
	if errors.Is(err, store.ErrNotFound) {
		// Retried by someone else in the meantime.
		writeError(w, http.StatusConflict, "conflict", errNotRejected)
		return 0, false
	}

	if err != nil {
		s.fail(w, r, err)
		return 0, false
	}

	return id, true
}

// paymentsCSVHeader names the columns of a file's payments export.
var paymentsCSVHeader = []string{"payment_id", "file_id", "position", "line", "account",
	"direction", "kind", "amount", "currency", "booking_date", "value_date", "bank_ref",
	"end_to_end_id", "payment_ref", "payer_name", "payer_account", "payer_id", "remittance",
	"return_code", "status", "unapplied", "customer_id", "exception_id"}

// filePaymentsCSV exports every payment of a file, in file order, streamed.
func (s *Server) filePaymentsCSV(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeError(w, http.StatusNotFound, "not_found", err)
		return
	}

	f, err := store.GetBankFile(r.Context(), s.cfg.Pool, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}

	setCSVHeaders(w, fmt.Sprintf("payments-of-file-%d.csv", f.ID))

	cw := csv.NewWriter(w)
	_ = cw.Write(paymentsCSVHeader)

	rows := 0

	_, err = filePayments(r.Context(), s.cfg.Pool, id, 0, 0, 0, func(p filePayment) error {
		t := p.Tx
		rows++

		rec := []string{itoa64(p.ID), itoa64(p.FileID), strconv.Itoa(t.Seq),
			strconv.Itoa(t.Line), t.Account, string(t.Direction), string(t.Kind),
			t.Amount.Decimal(), t.Amount.Currency, csvDate(t.BookingDate), csvDate(t.ValueDate),
			t.BankRef, t.EndToEndID, t.PaymentRef, t.PayerName, t.PayerAccount, t.PayerID,
			t.Remittance, t.ReturnCode, p.Status,
			money.New(p.Unapplied, t.Amount.Currency).Decimal(), p.CustomerID,
			idOrEmpty(p.ExceptionID)}

		return cw.Write(csvSafe(rec))
	})

	s.endCSV(w, r, cw, rows, err)
}

// endCSV finishes a streamed export. A failure before the first row (still in the
// writer's buffer) is answered as an error; after it, the status is sent and the
// export ends short, with the reason in the log.
func (s *Server) endCSV(w http.ResponseWriter, r *http.Request, cw *csv.Writer, rows int,
	err error) {
	if err != nil && rows == 0 {
		w.Header().Del("Content-Disposition")
		s.fail(w, r, err)

		return
	}

	cw.Flush()

	if err == nil {
		err = cw.Error()
	}

	if err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "Export ended short", "path", r.URL.Path,
			"rows", rows, "error", err)
	}
}

func setCSVHeaders(w http.ResponseWriter, name string) {
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", attachment(name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
}

// attachment is the Content-Disposition of a download named name.
func attachment(name string) string {
	if v := mime.FormatMediaType("attachment", map[string]string{"filename": name}); v != "" {
		return v
	}

	return "attachment"
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func idOrEmpty(n int64) string {
	if n == 0 {
		return ""
	}

	return itoa64(n)
}

func csvDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}

	return t.Format(time.DateOnly)
}

// csvSafe keeps a spreadsheet from running a cell as a formula: a cell that begins
// with =, +, -, @, a tab or a carriage return gets a leading apostrophe. Amounts
// o2c writes are never negative, so numbers are left as they are.
func csvSafe(rec []string) []string {
	for i, v := range rec {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			rec[i] = "'" + v
		}
	}

	return rec
}

// listBankFiles lists the bank files received, newest first, with the history's
// search: name, format, status, from and to (days), and the cursor before (or
// after) with limit (1 to 1000, default 200). next_before is the cursor of the next
// page, "" at the end.
func (s *Server) listBankFiles(w http.ResponseWriter, r *http.Request) {
	f, err := readFileFilter(r.URL.Query(), 200)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid", err)
		return
	}

	files, more, err := searchFiles(r.Context(), s.cfg.Pool, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}

	next := ""
	if len(files) > 0 && (more || f.After > 0) {
		next = itoa64(files[len(files)-1].ID)
	}

	if files == nil {
		files = []store.BankFile{}
	}

	writeJSON(w, http.StatusOK, map[string]any{"files": files, "next_before": next})
}

// apiFilePayments lists a file's payments in file order: after (a position) and
// limit (1 to 1000, default 100); next_after is the cursor of the next page, "" at
// the end.
func (s *Server) apiFilePayments(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid", err)
		return
	}

	q := r.URL.Query()

	after, _, err := seqCursor(url.Values{"after": q["after"]})
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid", err)
		return
	}

	k, err := readKeyset(url.Values{"limit": q["limit"]}, paymentsPerPage)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid", err)
		return
	}

	if _, err := store.GetBankFile(r.Context(), s.cfg.Pool, id); err != nil {
		s.fail(w, r, err)
		return
	}

	list := []filePayment{}

	more, err := filePayments(r.Context(), s.cfg.Pool, id, after, 0, k.Limit,
		func(p filePayment) error {
			list = append(list, p)
			return nil
		})
	if err != nil {
		s.fail(w, r, err)
		return
	}

	next := ""
	if more {
		next = strconv.Itoa(list[len(list)-1].Tx.Seq)
	}

	writeJSON(w, http.StatusOK, map[string]any{"payments": list, "next_after": next})
}
