// Package bankcsv reads bank CSV exports that have a header row into the
// format-neutral bankfile model.
//
// The reader finds its way through the shapes banks produce: the delimiter (,
// ; tab |), a byte-order mark, UTF-8 or Windows-1252 bytes, metadata rows before
// the header and summary rows after the data, decimal comma or dot with
// thousands separators, one signed amount column, separate credit and debit
// columns, or an amount with a debit/credit indicator column, and gross/fee/net
// columns (PayPal). Columns are recognised by name from a table of synonyms in
// several languages.
//
// Decisions are made for the whole file, never row by row: the decimal mark
// from every amount cell, the day/month order from every date cell. A file
// whose dates are all ambiguous (03/04/2025) is rejected with "date format
// ambiguous" unless its amounts use a decimal comma (day-first everywhere such
// exports come from, reported as a warning) or the bank profile (Options)
// states the order.
//
// Bank-grade rule: a file with bad rows is rejected whole, listing every
// problem with its line, column and value, so nothing is half-imported. Rows
// that are read but must not be applied automatically carry a Problem instead.
package bankcsv

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

// MaxSize is the largest export Read accepts, in bytes.
const MaxSize = 256 << 20

// headerSearch is how many rows may precede the header.
const headerSearch = 50

// Options is the bank profile an export is read with. The zero value suits a
// file that names its currency and has unambiguous dates.
type Options struct {
	// Account is our account when the file has no account column or metadata
	// row naming it. Defaults to none.
	Account string
	// Currency is the ISO 4217 code of rows without a currency column or cell.
	// Defaults to none: a file with rows and no currency is rejected.
	Currency string
	// DateOrder is the day/month order of dates such as 03/04/2025. Defaults to
	// DateAuto: inferred from all dates of the file.
	DateOrder DateOrder
	// Decimal is the decimal mark, '.' or ','. Defaults to 0: inferred from all
	// amounts of the file.
	Decimal byte
	// Delimiter is the field separator. Defaults to 0: detected among , ; tab |.
	Delimiter rune
}

// Read parses the bank CSV export named name with the default Options. A file
// that must be rejected yields a *bankfile.Error listing every problem found.
func Read(name string, data []byte) (*bankfile.File, error) {
	return ReadOptions(name, data, Options{})
}

// ReadOptions parses a bank CSV export like Read, using the bank profile opts.
func ReadOptions(name string, data []byte, opts Options) (*bankfile.File, error) {
	r := &reader{
		name: name,
		opts: opts,
		file: &bankfile.File{
			Name: name, Format: bankfile.FormatCSV, Controls: bankfile.ControlsNone,
		},
		keys: map[string]int{},
	}

	r.checkOptions()

	if len(data) > MaxSize {
		r.fail(0, "file", "", fmt.Sprintf("file is %d bytes, larger than the %d accepted",
			len(data), MaxSize))
	}

	if len(r.problems) > 0 {
		return nil, r.reject()
	}

	r.read(r.decode(data))
	if len(r.problems) > 0 {
		return nil, r.reject()
	}

	return r.file, nil
}

// record is one CSV record with the physical line it starts on.
type record struct {
	line  int
	cells []string
}

// reader holds the state of one Read.
type reader struct {
	name     string
	opts     Options
	file     *bankfile.File
	problems []bankfile.Problem
	keys     map[string]int

	lay      *layout
	decimal  byte
	order    DateOrder
	account  string // from the metadata rows
	currency string // from the metadata rows or the options
	debitMix bool   // the debit column holds both signed and unsigned values
	moves    []move // for the running-balance check
}

func (r *reader) fail(line int, field, value, msg string) {
	r.problems = append(r.problems, bankfile.Problem{
		File: r.name, Line: line, Field: field, Value: value, Message: msg,
	})
}

func (r *reader) warn(line int, field, value, msg string) {
	r.file.Warnings = append(r.file.Warnings, bankfile.Problem{
		File: r.name, Line: line, Field: field, Value: value, Message: msg,
	})
}

func (r *reader) reject() *bankfile.Error {
	return &bankfile.Error{File: r.name, Format: bankfile.FormatCSV, Problems: r.problems}
}

func (r *reader) checkOptions() {
	if c := r.opts.Currency; c != "" {
		if !money.ValidCurrency(c) {
			r.fail(0, "options.currency", c, "not an ISO 4217 currency code")
		}

		r.currency = c
	}

	if d := r.opts.Decimal; d != 0 && d != '.' && d != ',' {
		r.fail(0, "options.decimal", string(rune(d)), "decimal mark must be '.' or ','")
	}
}

// decode returns the export as UTF-8 text and sets File.Encoding: a UTF-8 or
// UTF-16 byte-order mark decides; otherwise valid UTF-8 is UTF-8 (or ASCII)
// and anything else is read as Windows-1252, the usual single-byte bank
// encoding (a superset of ISO-8859-1's printable range).
func (r *reader) decode(data []byte) []byte {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		r.file.Encoding = "utf-8-bom"
		data = data[3:]
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		r.file.Encoding = "utf-16"

		out, err := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder().Bytes(data)
		if err != nil {
			r.fail(0, "encoding", "", "invalid UTF-16")
			return nil
		}

		return out
	case isASCII(data):
		r.file.Encoding = "ascii"
		return data
	default:
		r.file.Encoding = "utf-8"
	}

	if utf8.Valid(data) {
		return data
	}

	r.file.Encoding = "windows-1252"

	out, err := charmap.Windows1252.NewDecoder().Bytes(data)
	if err != nil {
		r.fail(0, "encoding", "", "neither UTF-8 nor Windows-1252")
		return nil
	}

	return out
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}

	return true
}

// read turns the decoded text into transactions.
func (r *reader) read(text []byte) {
	if len(r.problems) > 0 {
		return
	}

	if !bytes.ContainsRune(text, '\n') && bytes.ContainsRune(text, '\r') {
		text = bytes.ReplaceAll(text, []byte("\r"), []byte("\n")) // classic Mac line ends
	}

	delim := r.opts.Delimiter
	if delim == 0 {
		delim = detectDelimiter(text)
	}

	recs, err := records(text, delim, 0)
	if err != nil {
		r.syntax(err)
		return
	}

	head := -1
	for i, rec := range recs[:min(len(recs), headerSearch)] {
		if l, ok := mapHeader(rec.cells); ok {
			head, r.lay = i, l
			break
		}
	}

	if head < 0 {
		r.fail(0, "header", "", "no header row with a date column and an amount column "+
			"(debit/credit, amount, gross or net) in the first 50 rows")

		return
	}

	r.metadata(recs[:head])
	r.rows(recs[head], recs[head+1:])
}

func (r *reader) syntax(err error) {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		r.fail(pe.Line, "csv", "", pe.Err.Error())
		return
	}

	r.fail(0, "csv", "", err.Error())
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

	for _, d := range []rune{',', ';', '\t', '|'} {
		recs, _ := records(text, d, headerSearch)
		for _, rec := range recs {
			l, ok := mapHeader(rec.cells)
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
func (r *reader) metadata(pre []record) {
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
			case k == roleAccount && r.account == "" && v != "":
				r.account = v
			case (k == roleCurrency || nk == "") && money.ValidCurrency(strings.ToUpper(v)):
				if r.opts.Currency == "" {
					r.currency = strings.ToUpper(v)
				}
			}
		}
	}
}
