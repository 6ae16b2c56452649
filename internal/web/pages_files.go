package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/store"
)

// Treasury's pages about stored files: the history with its search and the result
// page of each file.

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

// fileResult is what o2c knows of one file besides its payments: the figures of
// the result page, and the answer of GET /api/bank-files/{id}/report.
type fileResult struct {
	File store.BankFile `json:"file"`
	// Report is the file read again, for its bank profile and its own totals; nil
	// when it was not (NotRead says why).
	Report  *bank.Report `json:"report"`
	NotRead string       `json:"not_read,omitempty"`
	// Sums are the stored payments by status and currency.
	Sums []statusSum `json:"payments_by_status"`
	// Accounts are those the stored payments were booked on.
	Accounts []string `json:"accounts"`
	// Pending is true while the file is being read or matched.
	Pending bool `json:"pending"`
}

// Currencies lists the currencies of the stored payments, each once.
func (d fileResult) Currencies() []string {
	var out []string

	for _, x := range d.Sums {
		if !slices.Contains(out, x.Currency) {
			out = append(out, x.Currency)
		}
	}

	return out
}

// fileData is the result page's data.
type fileData struct {
	fileResult
	Payments []filePayment
	Pager    pager
}

// result gathers a file's figures; the file is read again (in bounded memory) for
// its profile and totals unless it waits to be read or is over inspectLimit.
func (s *Server) result(r *http.Request, id int64) (fileResult, error) {
	ctx := r.Context()

	f, err := store.GetBankFile(ctx, s.cfg.Pool, id)
	if err != nil {
		return fileResult{}, err
	}

	d := fileResult{File: f, Pending: f.Status == store.FileReceived ||
		f.Status == store.FileIngested}

	if d.Sums, d.Accounts, err = fileSums(ctx, s.cfg.Pool, id); err != nil {
		return d, err
	}

	switch {
	case f.Status == store.FileReceived:
		d.NotRead = "The file is waiting to be read."
	case f.Size > inspectLimit:
		d.NotRead = "The file is over " + byteSize(inspectLimit) + ": the figures below " +
			"are those stored."
	default:
		d.Report, err = s.inspect(r, id)
	}

	// A file the pipeline read but this server's reader refuses was read with other
	// bank profiles: the stored figures are the truth.
	if d.Report != nil && d.Report.Rejected && f.Status != store.FileRejected {
		d.Report = nil
		d.NotRead = "This server's bank profiles cannot read the file again (it was read " +
			"with others): the figures below are those stored."
	}

	return d, err
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

	var d fileData

	if d.fileResult, err = s.result(r, id); err != nil {
		s.fail(w, r, err)
		return
	}

	more, err := filePayments(r.Context(), s.cfg.Pool, id, after, before, paymentsPerPage,
		func(p filePayment) error {
			d.Payments = append(d.Payments, p)
			return nil
		})
	if err != nil {
		s.fail(w, r, err)
		return
	}

	d.Pager = seqPager(id, d.Payments, after, before, more)

	info := s.pageInfo(r, "Bank file "+d.File.Name)
	if d.Pending {
		info.Refresh = 3
	}

	s.renderPage(w, r, http.StatusOK, "file", info, d)
}

// apiFileReport answers the result page's figures as JSON: the file, the report of
// reading it again (bank profile, accounts, currency, counts and totals, control
// checks, errors and warnings) and its stored payments by status.
func (s *Server) apiFileReport(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid", err)
		return
	}

	d, err := s.result(r, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}

	if d.Sums == nil {
		d.Sums = []statusSum{}
	}

	if d.Accounts == nil {
		d.Accounts = []string{}
	}

	writeJSON(w, http.StatusOK, d)
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
