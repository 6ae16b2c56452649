package web

import (
	"bufio"
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

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/pipelines"
)

// Treasury's pages: upload, the result of each file, the history, a rejected file's
// retry, the raw bytes and the payments as CSV.

// maxUploadFiles caps the files of one upload form.
const maxUploadFiles = 20

// inspectLimit is the largest file the result page reads again, to show its bank
// profile and its own totals; a larger one shows the stored figures only.
const inspectLimit = 32 << 20

// Page sizes.
const (
	filesPerPage    = 50
	paymentsPerPage = 100
)

// fileFormats and fileStatuses are the choices of the history's search.
var (
	fileFormats = []bankfile.Format{bankfile.FormatNACHA, bankfile.FormatCAMT052,
		bankfile.FormatCAMT053, bankfile.FormatCAMT054, bankfile.FormatCSV, bankfile.FormatBAI2,
		bankfile.FormatMT940, bankfile.FormatMT942, bankfile.FormatLockbox,
		bankfile.FormatUnknown}
	fileStatuses = []string{store.FileReceived, store.FileIngested, store.FileMatched,
		store.FileRejected}
)

// pager holds the links to the neighbouring pages of a list; "" when there is none.
type pager struct {
	Prev, Next string
}

// uploadData is the upload form's data.
type uploadData struct {
	MaxBytes int64
	MaxFiles int
	Error    string
}

func (s *Server) uploadForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "upload", "Upload bank files",
		uploadData{MaxBytes: s.cfg.MaxUploadBytes, MaxFiles: maxUploadFiles})
}

// Why a file of an upload was not received.
const (
	refusedEmpty = "empty"
	refusedName  = "name"
	refusedLarge = "large"
	refusedCut   = "cut"
	refusedMany  = "many"
)

// uploadSubmit stores each file of a multipart form as it arrives and queues it for
// reading (pipelines.SubmitFrom), then sends the browser to the upload's summary.
// A file that cannot be received (empty, badly named, too large) is listed there as
// refused without stopping the others.
func (s *Server) uploadSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadBytes*maxUploadFiles+1<<20)

	mr, err := r.MultipartReader()
	if err != nil {
		s.uploadRefused(w, r, "Send the form as multipart/form-data with the files in "+
			"fields named file.")
		return
	}

	target := url.Values{}
	files := 0

	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}

		if isTooLarge(err) {
			target.Add("bad", refusedCut+":")
			break
		}

		if err != nil {
			s.uploadRefused(w, r, "The form could not be read: "+err.Error())
			return
		}

		if part.FormName() != "file" {
			continue
		}

		name := part.FileName()
		body := bufio.NewReader(part)

		// A file field left empty sends a part without a name or bytes.
		if _, err := body.Peek(1); name == "" && errors.Is(err, io.EOF) {
			continue
		}

		if files++; files > maxUploadFiles {
			target.Add("bad", refusedMany+":"+name)
			continue
		}

		res, err := s.receive(r, name, body)

		cut := isTooLarge(err) && !errors.Is(err, store.ErrFileTooLarge)

		switch {
		case cut:
			target.Add("bad", refusedCut+":"+name)
		case err != nil && res == "":
			s.fail(w, r, err)
			return
		case err != nil:
			target.Add("bad", res+":"+name)
		default:
			target.Add("f", res)
		}

		if cut {
			break
		}
	}

	if !target.Has("f") && !target.Has("bad") {
		s.uploadRefused(w, r, "Choose at least one file.")
		return
	}

	http.Redirect(w, r, "/files/uploaded?"+target.Encode(), http.StatusSeeOther)
}

// receive submits one uploaded file. It returns "<id>:new", "<id>:duplicate" or
// "<id>:retried", or with an error the reason the file was refused ("" when the
// error is not the file's fault).
func (s *Server) receive(r *http.Request, name string, br *bufio.Reader) (string, error) {
	if err := checkFileName(name); err != nil {
		return refusedName, err
	}

	if _, err := br.Peek(1); errors.Is(err, io.EOF) {
		return refusedEmpty, errEmptyUpload
	} else if err != nil {
		return "", err
	}

	sub, err := pipelines.SubmitFrom(r.Context(), s.cfg.Pool, name, br, s.cfg.MaxUploadBytes,
		actor(r))
	if errors.Is(err, store.ErrFileTooLarge) {
		return refusedLarge, err
	}

	if err != nil {
		return "", err
	}

	kind := "new"
	switch {
	case sub.Retried:
		kind = "retried"
	case sub.Duplicate:
		kind = "duplicate"
	}

	return strconv.FormatInt(sub.File.ID, 10) + ":" + kind, nil
}

func isTooLarge(err error) bool {
	var tooBig *http.MaxBytesError

	return err != nil && (errors.As(err, &tooBig) ||
		strings.Contains(err.Error(), "request body too large"))
}

// uploadRefused shows the upload form again with why nothing was received.
func (s *Server) uploadRefused(w http.ResponseWriter, r *http.Request, msg string) {
	s.render(w, r, http.StatusBadRequest, "upload", "Upload bank files",
		uploadData{MaxBytes: s.cfg.MaxUploadBytes, MaxFiles: maxUploadFiles, Error: msg})
}

// uploadedFile is one line of an upload's summary.
type uploadedFile struct {
	Name    string
	File    *store.BankFile
	Kind    string // new, duplicate, retried or refused
	Message string
}

// uploadedPage summarises an upload: each file with its state and a link to its
// result page, and the files refused. It reloads itself while a file is being read.
func (s *Server) uploadedPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()

	var list []uploadedFile

	refresh := 0

	for _, v := range q["f"] {
		idText, kind, _ := strings.Cut(v, ":")

		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil || id <= 0 || len(list) >= 2*maxUploadFiles {
			continue
		}

		f, err := store.GetBankFile(r.Context(), s.cfg.Pool, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}

		if err != nil {
			s.fail(w, r, err)
			return
		}

		u := uploadedFile{Name: f.Name, File: &f, Kind: kind}
		sub := pipelines.Submission{File: f, Duplicate: kind == "duplicate",
			Retried: kind == "retried"}
		u.Message = sub.Message()

		if f.Status == store.FileReceived || f.Status == store.FileIngested {
			refresh = 2
		}

		list = append(list, u)
	}

	for _, v := range q["bad"] {
		code, name, _ := strings.Cut(v, ":")
		if len(list) >= 3*maxUploadFiles {
			break
		}

		list = append(list, uploadedFile{Name: name, Kind: "refused",
			Message: s.refusal(code)})
	}

	info := s.pageInfo(r, "Upload received")
	info.Refresh = refresh

	s.renderPage(w, r, http.StatusOK, "uploaded", info, map[string]any{"Files": list,
		"Pending": refresh > 0})
}

// refusal says why a file was refused, for the refusal code of the summary.
func (s *Server) refusal(code string) string {
	switch code {
	case refusedEmpty:
		return "The file is empty."
	case refusedName:
		return "The file name must be 1 to 255 characters of text without control " +
			"characters."
	case refusedLarge:
		return fmt.Sprintf("The file is over the limit of %s; nothing of it was kept.",
			byteSize(s.cfg.MaxUploadBytes))
	case refusedMany:
		return fmt.Sprintf("Only %d files are taken in one upload: send this one again.",
			maxUploadFiles)
	case refusedCut:
		return "The upload was cut off at its size limit: this file and any after it " +
			"were not received. Send them again, fewer at a time."
	}

	return "The file was not received."
}

// filesData is the history page's data.
type filesData struct {
	Name, Format, Status, From, To string

	Formats  []bankfile.Format
	Statuses []string
	Files    []store.BankFile
	Pager    pager
	Error    string
}

// filesPage lists the bank files received, newest first, with a search by name,
// format, status and day of receipt.
func (s *Server) filesPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := filesData{Name: q.Get("name"), Format: q.Get("format"), Status: q.Get("status"),
		From: q.Get("from"), To: q.Get("to"), Formats: fileFormats, Statuses: fileStatuses}

	f, err := readFileFilter(q, filesPerPage)
	if err != nil {
		d.Error = err.Error()
		s.render(w, r, http.StatusBadRequest, "files", "Bank files", d)

		return
	}

	files, more, err := searchFiles(r.Context(), s.cfg.Pool, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}

	d.Files = files
	d.Pager = idPager("/files", q, files, func(f store.BankFile) int64 { return f.ID }, f.keyset,
		more)

	s.render(w, r, http.StatusOK, "files", "Bank files", d)
}

// readFileFilter reads the history's search from a query.
func readFileFilter(q url.Values, defaultLimit int) (fileFilter, error) {
	f := fileFilter{Name: strings.TrimSpace(q.Get("name")), Format: q.Get("format"),
		Status: q.Get("status")}

	if len(f.Name) > 255 {
		return f, errors.New("name: at most 255 characters")
	}

	if f.Format != "" && !oneOf(f.Format, fileFormats) {
		return f, fmt.Errorf("format: %q is not a known format", f.Format)
	}

	if f.Status != "" && !oneOf(f.Status, fileStatuses) {
		return f, fmt.Errorf("status: %q is not received, ingested, matched or rejected",
			f.Status)
	}

	var err error
	if f.span, err = readSpan(q); err != nil {
		return f, err
	}

	f.keyset, err = readKeyset(q, defaultLimit)

	return f, err
}

func oneOf[T ~string](v string, list []T) bool {
	for _, x := range list {
		if string(x) == v {
			return true
		}
	}

	return false
}

// readSpan reads the days "from" and "to" (YYYY-MM-DD, UTC, both included).
func readSpan(q url.Values) (span, error) {
	var sp span

	for _, x := range []struct {
		name string
		to   *time.Time
	}{{"from", &sp.From}, {"to", &sp.To}} {
		v := strings.TrimSpace(q.Get(x.name))
		if v == "" {
			continue
		}

		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return sp, fmt.Errorf("%s: %q is not a day as YYYY-MM-DD", x.name, v)
		}

		*x.to = t
	}

	if !sp.From.IsZero() && !sp.To.IsZero() && sp.To.Before(sp.From) {
		return sp, errors.New("to: the range ends before it starts")
	}

	return sp, nil
}

// readKeyset reads the cursor ("before" or "after", ids) and "limit" (1 to 1000).
func readKeyset(q url.Values, defaultLimit int) (keyset, error) {
	k := keyset{Limit: defaultLimit}

	for _, x := range []struct {
		name string
		to   *int64
	}{{"before", &k.Before}, {"after", &k.After}} {
		if v := q.Get(x.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return k, fmt.Errorf("%s: %q is not an id", x.name, v)
			}

			*x.to = n
		}
	}

	if k.Before > 0 && k.After > 0 {
		return k, errors.New("before and after: give one of them")
	}

	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return k, errors.New("limit: 1 to 1000")
		}

		k.Limit = n
	}

	return k, nil
}

// idPager links the pages around rows, a list ordered by id, newest first, read
// with k; more tells whether rows beyond the page were found in the direction read.
func idPager[T any](base string, q url.Values, rows []T, id func(T) int64, k keyset,
	more bool) pager {
	var p pager

	if len(rows) == 0 {
		return p
	}

	link := func(name string, v int64) string {
		c := url.Values{}
		for key, vals := range q {
			if key != "before" && key != "after" {
				c[key] = vals
			}
		}

		c.Set(name, strconv.FormatInt(v, 10))

		return base + "?" + c.Encode()
	}

	newer := k.Before > 0 || k.After > 0 && more
	older := k.After > 0 || k.After == 0 && more

	if newer {
		p.Prev = link("after", id(rows[0]))
	}

	if older {
		p.Next = link("before", id(rows[len(rows)-1]))
	}

	return p
}

// fileData is the result page's data.
type fileData struct {
	File store.BankFile
	// Report is the file read again, for its bank profile and own totals; nil when
	// it was not (NotRead says why).
	Report   *bank.Report
	NotRead  string
	Sums     []statusSum
	Accounts []string
	Payments []filePayment
	Pager    pager
	Pending  bool
}

// filePage shows what became of one bank file: what it is, its checks, errors and
// warnings, and the payments it brought, a page at a time.
func (s *Server) filePage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeError(w, http.StatusNotFound, "not_found", err)
		return
	}

	after, before, err := seqCursor(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid", err)
		return
	}

	ctx := r.Context()

	f, err := store.GetBankFile(ctx, s.cfg.Pool, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}

	d := fileData{File: f, Pending: f.Status == store.FileReceived ||
		f.Status == store.FileIngested}

	if d.Sums, d.Accounts, err = fileSums(ctx, s.cfg.Pool, id); err != nil {
		s.fail(w, r, err)
		return
	}

	more, err := filePayments(ctx, s.cfg.Pool, id, after, before, paymentsPerPage,
		func(p filePayment) error {
			d.Payments = append(d.Payments, p)
			return nil
		})
	if err != nil {
		s.fail(w, r, err)
		return
	}

	d.Pager = seqPager(id, d.Payments, after, before, more)

	switch {
	case f.Status == store.FileReceived:
		d.NotRead = "The file is waiting to be read."
	case f.Size > inspectLimit:
		d.NotRead = "The file is over " + byteSize(inspectLimit) + ": the figures below " +
			"are those stored."
	default:
		if d.Report, err = s.inspect(r, id); err != nil {
			s.fail(w, r, err)
			return
		}
	}

	info := s.pageInfo(r, "Bank file "+f.Name)
	if d.Pending {
		info.Refresh = 3
	}

	s.renderPage(w, r, http.StatusOK, "file", info, d)
}

// inspect reads a stored file again, as a stream, with the configured bank reader.
func (s *Server) inspect(r *http.Request, id int64) (*bank.Report, error) {
	name, body, err := store.OpenBankFile(r.Context(), s.cfg.Pool, id)
	if err != nil {
		return nil, err
	}

	rd := s.cfg.Bank
	if rd == nil {
		rd = bank.NewReader(nil)
	}

	rep := rd.Inspect(name, body)

	return &rep, nil
}

// seqCursor reads a file's payment cursor: "after" or "before", positions in the
// file.
func seqCursor(q url.Values) (after, before int, err error) {
	for _, x := range []struct {
		name string
		to   *int
	}{{"after", &after}, {"before", &before}} {
		if v := q.Get(x.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return 0, 0, fmt.Errorf("%s: %q is not a position in the file", x.name, v)
			}

			*x.to = n
		}
	}

	if after > 0 && before > 0 {
		return 0, 0, errors.New("after and before: give one of them")
	}

	return after, before, nil
}

// seqPager links the pages of a file's payments around ps.
func seqPager(fileID int64, ps []filePayment, after, before int, more bool) pager {
	var p pager

	if len(ps) == 0 {
		return p
	}

	base := "/files/" + strconv.FormatInt(fileID, 10)

	if after > 0 || before > 0 && more {
		p.Prev = base + "?before=" + strconv.Itoa(ps[0].Tx.Seq) + "#payments"
	}

	if before > 0 || more {
		p.Next = base + "?after=" + strconv.Itoa(ps[len(ps)-1].Tx.Seq) + "#payments"
	}

	return p
}

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
	h.Set("Content-Disposition", mime.FormatMediaType("attachment",
		map[string]string{"filename": name}))
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

	_, err = filePayments(r.Context(), s.cfg.Pool, id, 0, 0, 0, func(p filePayment) error {
		t := p.Tx

		rec := []string{itoa64(p.ID), itoa64(p.FileID), strconv.Itoa(t.Seq),
			strconv.Itoa(t.Line), t.Account, string(t.Direction), string(t.Kind),
			t.Amount.Decimal(), t.Amount.Currency, csvDate(t.BookingDate), csvDate(t.ValueDate),
			t.BankRef, t.EndToEndID, t.PaymentRef, t.PayerName, t.PayerAccount, t.PayerID,
			t.Remittance, t.ReturnCode, p.Status,
			money.New(p.Unapplied, t.Amount.Currency).Decimal(), p.CustomerID,
			idOrEmpty(p.ExceptionID)}

		return cw.Write(csvSafe(rec))
	})

	cw.Flush()

	if err == nil {
		err = cw.Error()
	}

	if err != nil {
		// The status is sent: the export ends short, and the log says why.
		s.cfg.Logger.ErrorContext(r.Context(), "Export payments", "file_id", id, "error", err)
	}
}

func setCSVHeaders(w http.ResponseWriter, name string) {
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment",
		map[string]string{"filename": name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
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
