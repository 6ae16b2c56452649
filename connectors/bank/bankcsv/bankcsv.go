// Package bankcsv reads bank CSV exports that have a header row into the
// format-neutral bankfile model, as a stream.
//
// A file is read with a bank profile (Profile): the user's profiles from the
// o2c config first, then the built-in ones (Builtins). A profile picks its files
// by header columns, file name or account and states what the file cannot:
// delimiter, decimal mark, date order or layouts, encoding, preamble rows,
// column meanings, sign conventions, a fixed currency, pending statuses,
// summary rows and which control checks only warn.
//
// A file no profile matches is read with a guess, described in File.Profile
// and in a warning: the delimiter (, ; tab |), a byte-order mark, UTF-8 or
// Windows-1252 bytes, metadata rows before the header and summary rows after
// the data, decimal comma or point with thousands separators, one signed
// amount column, separate credit and debit columns, or an amount with a
// debit/credit indicator column, and gross/fee/net columns (PayPal). Columns
// are recognised by name from a table of synonyms in several languages.
//
// Decisions are made for the whole file, never row by row: the decimal mark
// from the amounts, the day/month order from the date column. Rows are held
// back only until the file has shown them (at most maxPendingRows rows); a
// file whose dates all fit both DD/MM/YYYY and MM/DD/YYYY, read without a
// profile that states the order, is rejected with "date format ambiguous".
//
// Bank-grade rule: a file with bad rows is rejected whole, listing every
// problem with its line, column and value, so nothing is half-imported. Rows
// that are read but must not be applied automatically carry a Problem instead.
package bankcsv

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"golang.org/x/text/transform"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

// MaxSize is the largest export Read and Scan accept, in bytes.
const MaxSize = 256 << 20

// headerSearch is how many rows may precede the header.
const headerSearch = 50

// headLen is how much of the file the profile choice and delimiter detection
// look at.
const headLen = 64 << 10

// Reader reads bank CSV exports with a set of bank profiles. It holds no state
// between files and is safe for concurrent use.
type Reader struct {
	profiles []*settings // the user's, then the built-in ones
}

// NewReader returns a reader that tries profiles, in order, before the built-in
// profiles. A profile that cannot be used is an error wrapping ErrProfile.
func NewReader(profiles []Profile) (*Reader, error) {
	if err := CheckProfiles(profiles); err != nil {
		return nil, fmt.Errorf("check bank profiles: %w", err)
	}

	r := &Reader{}
	for _, p := range append(append([]Profile(nil), profiles...), Builtins()...) {
		s, err := compile(p)
		if err != nil {
			return nil, fmt.Errorf("check bank profiles: %w", err)
		}

		r.profiles = append(r.profiles, s)
	}

	return r, nil
}

// builtinReader reads with the built-in profiles only.
var builtinReader = func() *Reader {
	r, err := NewReader(nil)
	if err != nil {
		panic(err) // the built-in profiles are checked by the tests
	}

	return r
}()

// Read parses the bank CSV export named name with the built-in profiles. A file
// that must be rejected yields a *bankfile.Error listing every problem found.
func Read(name string, data []byte) (*bankfile.File, error) {
	return builtinReader.Read(name, data)
}

// Scan reads the bank CSV export on r with the built-in profiles, as
// Reader.Scan does.
func Scan(name string, r io.Reader, emit func(bankfile.Transaction) error) (
	*bankfile.File, error) {
	return builtinReader.Scan(name, r, emit)
}

// Read parses the bank CSV export named name, which is data, and returns it
// with its transactions. A file that must be rejected yields a *bankfile.Error
// listing every problem found.
func (rd *Reader) Read(name string, data []byte) (*bankfile.File, error) {
	if len(data) > MaxSize {
		return nil, &bankfile.Error{File: name, Format: bankfile.FormatCSV,
			Problems: []bankfile.Problem{{File: name, Field: "file", Message: fmt.Sprintf(
				"file is %d bytes, larger than the %d accepted", len(data), MaxSize)}}}
	}

	var txs []bankfile.Transaction

	f, err := rd.Scan(name, bytes.NewReader(data), func(t bankfile.Transaction) error {
		txs = append(txs, t)
		return nil
	})
	if err != nil {
		return nil, err
	}

	f.Transactions = txs

	return f, nil
}

// Scan reads the bank CSV export on r row by row, in bounded memory, and hands
// each transaction to emit as soon as the file has shown how to read it. It
// returns the file without transactions: encoding, profile, account, currency,
// control checks and warnings.
//
// A rejected file yields a *bankfile.Error listing every problem found; rows
// emitted before the problem was found are void then (store them in a
// transaction and roll it back). An error from emit stops the read and is
// returned as is; an error reading r is returned wrapped.
func (rd *Reader) Scan(name string, r io.Reader, emit func(bankfile.Transaction) error) (
	*bankfile.File, error) {
	s := newScan(name, emit)
	raw := bufio.NewReaderSize(&sizeLimit{r: r, max: MaxSize}, headLen)

	err := s.run(rd, raw)

	switch {
	case errors.Is(err, errTooLarge):
		s.fail(0, "file", "", fmt.Sprintf("file is larger than the %d bytes accepted", MaxSize))
	case err != nil:
		return nil, err
	}

	if len(s.problems) > 0 {
		return nil, s.reject()
	}

	return s.file, nil
}

// run reads the whole file; it returns emit's error, an I/O error or
// errTooLarge, and records everything else as problems.
func (s *scan) run(rd *Reader, raw *bufio.Reader) error {
	head, err := raw.Peek(headLen)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return fmt.Errorf("read bank csv %s: %w", s.name, err)
	}

	if len(head) == headLen {
		if i := bytes.LastIndexAny(head, "\r\n"); i > 0 {
			head = head[:i+1] // no character cut in two at the end
		}
	}

	text, err := io.ReadAll(newDecoder(bufio.NewReader(bytes.NewReader(head)), ""))
	if errors.Is(err, errMixedEncoding) {
		s.fail(bytes.Count(text, []byte("\n"))+1, "encoding", "", err.Error())
		return nil
	}

	mac := !bytes.ContainsRune(text, '\n') && bytes.ContainsRune(text, '\r')

	if mac {
		text = bytes.ReplaceAll(text, []byte("\r"), []byte("\n"))
	}

	c := rd.choose(s, text)
	if c == nil {
		s.fail(0, "header", "", "no header row with a date column and an amount column "+
			"(debit/credit, amount, gross or net) in the first 50 rows")

		return nil
	}

	s.set, s.delimiter = c.set, c.delim

	dec := newDecoder(raw, c.set.encoding)

	var src io.Reader = dec
	if mac {
		src = transform.NewReader(dec, macLines{})
	}

	guard := &rowGuard{r: src}
	cr := csv.NewReader(guard)
	cr.Comma = c.delim
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true

	err = s.records(cr, guard, c)
	s.file.Encoding = dec.used

	if err != nil {
		return err
	}

	s.end()

	return s.emitErr
}

// records reads the preamble, the header and the data rows.
func (s *scan) records(cr *csv.Reader, guard *rowGuard, c *choice) error {
	var pre []record

	line := 0 // of the last record read

	for i := 0; ; i++ {
		cells, err := cr.Read()
		guard.mark = cr.InputOffset()

		if errors.Is(err, io.EOF) {
			if i <= c.header {
				s.fail(0, "header", "", "the file ends before its header row")
			}

			return nil
		}

		if err != nil {
			return s.readError(err, line)
		}

		line, _ = cr.FieldPos(0)
		rec := record{line: line, cells: cells}

		switch {
		case i < c.header:
			pre = append(pre, rec)
		case i == c.header:
			s.header(rec, pre)
			pre = nil
		default:
			s.data(rec)
		}

		if s.fatal || s.emitErr != nil {
			return nil
		}
	}
}

// readError turns a failed read after the record on line into a problem, or
// returns it when it is not the file's fault.
func (s *scan) readError(err error, line int) error {
	var pe *csv.ParseError

	switch {
	case errors.As(err, &pe):
		s.fail(pe.Line, "csv", "", pe.Err.Error())
	case errors.Is(err, errMixedEncoding):
		s.fail(line+1, "encoding", "", err.Error())
	case errors.Is(err, errRecordTooLong):
		s.fail(line+1, "csv", "", err.Error())
	case errors.Is(err, errTooLarge):
		return err
	default:
		return fmt.Errorf("read bank csv %s: %w", s.name, err)
	}

	s.fatal = true

	return nil
}

// record is one CSV record with the physical line it starts on.
type record struct {
	line  int
	cells []string
}

// choice is the profile (or guess) a file is read with and where its header is.
type choice struct {
	set    *settings
	delim  rune
	header int // index of the header among the file's records
}

// choose picks the first profile that matches the head of the file, else the
// guess; nil when not even a guessed header is found.
func (rd *Reader) choose(s *scan, text []byte) *choice {
	detected := rune(0)
	parsed := map[rune][]record{}

	recs := func(d rune) []record {
		if _, ok := parsed[d]; !ok {
			parsed[d], _ = records(text, d, headerSearch)
		}

		return parsed[d]
	}

	base := strings.ToLower(path.Base(strings.ReplaceAll(s.name, `\`, "/")))

	for _, p := range rd.profiles {
		if p.fileGlob != "" {
			if ok, _ := path.Match(p.fileGlob, base); !ok {
				continue
			}
		}

		d := p.delimiter
		if d == 0 {
			if detected == 0 {
				detected = detectDelimiter(text)
			}

			d = detected
		}

		if h, ok := p.findHeader(recs(d)); ok {
			return &choice{set: p, delim: d, header: h}
		}

		if p.fileGlob != "" {
			s.warn(0, "profile", p.name, "bank profile matches the file name but not the "+
				"file's header or account: not used")
		}
	}

	if detected == 0 {
		detected = detectDelimiter(text)
	}

	g := guessSettings()
	if h, ok := g.findHeader(recs(detected)); ok {
		return &choice{set: g, delim: detected, header: h}
	}

	return nil
}

// findHeader returns the index of the header row among recs when the settings
// match them: the row after SkipRows, or the first row holding the match
// header names, or the profile's column names, or a recognised header.
func (s *settings) findHeader(recs []record) (int, bool) {
	names := s.headerNames
	if len(names) == 0 {
		for n := range s.mapped {
			names = append(names, n)
		}
	}

	fits := func(cells []string) bool {
		if len(names) > 0 {
			return hasNames(cells, names)
		}

		_, ok, _ := newLayout(cells, s)

		return ok
	}

	from, to := 0, len(recs)
	if s.skipRows > 0 {
		from, to = s.skipRows, min(s.skipRows+1, len(recs))
	}

	for i := from; i < to; i++ {
		if !fits(recs[i].cells) {
			continue
		}

		if s.matchAcct != "" && compact(headAccount(recs[:i], recs[i:], s)) != s.matchAcct {
			return 0, false
		}

		return i, true
	}

	return 0, false
}

// headAccount returns our account as the rows before the header or the first
// data row's account column name it.
func headAccount(pre, rest []record, s *settings) string {
	if a, _ := metadata(pre); a != "" {
		return a
	}

	if len(rest) < 2 {
		return ""
	}

	l, _, _ := newLayout(rest[0].cells, s)

	return l.cell(rest[1].cells, roleAccount)
}

// records parses text with delimiter delim; limit > 0 stops after that many.
func records(text []byte, delim rune, limit int) ([]record, error) {
	cr := csv.NewReader(bytes.NewReader(text))
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true

	var out []record

	for limit <= 0 || len(out) < limit {
		cells, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}

		if err != nil {
			return out, err
		}

		line, _ := cr.FieldPos(0)
		out = append(out, record{line: line, cells: cells})
	}

	return out, nil
}

// detectDelimiter picks the separator under which a header row is found with
// the most recognised columns; ',' when none is found (the rejection then
// names the missing header).
func detectDelimiter(text []byte) rune {
	best, score := ',', 0
	g := guessSettings()

	for _, d := range []rune{',', ';', '\t', '|'} {
		recs, _ := records(text, d, headerSearch)
		for _, rec := range recs {
			l, ok, _ := newLayout(rec.cells, g)
			if !ok {
				continue
			}

			n := 0
			for _, c := range l.cols {
				if c.role != roleNone {
					n++
				}
			}

			if n > score {
				best, score = d, n
			}

			break
		}
	}

	return best
}

// metadata reads "key : value" cells (or a "key:" cell followed by its value)
// in the rows before the header for our account number and the currency.
func metadata(pre []record) (account, currency string) {
	for _, rec := range pre {
		for i, cell := range rec.cells {
			key, value, ok := strings.Cut(cell, ":")
			if ok && strings.TrimSpace(value) == "" && i+1 < len(rec.cells) {
				value = rec.cells[i+1]
			}

			if !ok {
				continue
			}

			nk, v := normalise(key), strings.TrimSpace(value)
			k := synonyms[nk]

			switch {
			case k == roleAccount && account == "" && v != "":
				account = v
			case (k == roleCurrency || nk == "") && currency == "" && isCode(v):
				currency = strings.ToUpper(v)
			}
		}
	}

	return account, currency
}

// sortProblems orders problems by line, file-level ones first, keeping the
// order of problems on one line.
func sortProblems(ps []bankfile.Problem) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
}
