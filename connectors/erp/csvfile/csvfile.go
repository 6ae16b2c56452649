// Package csvfile reads customers and open invoices from CSV files, the offline
// stand-in for an ERP. The files are UTF-8 (a byte-order mark is allowed), comma
// separated, with a header row naming every column of the contract exactly once,
// in any order and in any letter case; a missing or unknown column rejects the
// file. Every bad row is reported, each error naming the file, line, field and
// value, and any bad row fails the read.
//
// invoices.csv columns:
//
//	invoice_number,customer_id,customer_name,currency,total,open_amount,
//	issue_date,due_date,discount_percent,discount_days,po_number
//
// Dates are YYYY-MM-DD. Amounts are decimal strings with '.' and at most the
// currency's minor digits (none for JPY, three for KWD). discount_percent is a
// decimal percentage such as "2" or "1.5" with at most two decimals;
// discount_percent, discount_days and po_number may be empty, customer_name too.
//
// customers.csv columns:
//
//	customer_id,name,bank_account,aliases
//
// bank_account holds IBANs or routing:account pairs separated by ';', aliases
// other names separated by ';'; both may be empty.
package csvfile

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Sentinel errors wrapped by RowError, for errors.Is.
var (
	ErrHeader    = errors.New("bad header")
	ErrMissing   = errors.New("missing value")
	ErrDuplicate = errors.New("duplicate")
	ErrDate      = errors.New("invalid date")
	ErrNumber    = errors.New("invalid number")
	ErrRange     = errors.New("out of range")
	ErrAccount   = errors.New("invalid bank account")
	ErrFormat    = errors.New("malformed csv")
)

// MaxErrors is how many row errors a read lists before summing up the rest.
const MaxErrors = 1000

// RowError is one problem in a CSV file, located by line and field.
type RowError struct {
	File  string // file name as given to the reader
	Line  int    // 1-based line number
	Field string // column name, "header" or "row"
	Value string // the offending value, if any
	Err   error  // what is wrong; wraps one of the Err sentinels or a money error
}

// Error formats the problem as "invoices.csv:14: open_amount: invalid amount
// "12.345" for USD".
func (e *RowError) Error() string {
	return fmt.Sprintf("%s:%d: %s: %v", e.File, e.Line, e.Field, e.Err)
}

// Unwrap returns the underlying error.
func (e *RowError) Unwrap() error {
	return e.Err
}

// table reads a CSV file with a fixed set of columns.
type table struct {
	name string
	r    *csv.Reader
	cols map[string]int // column name → position in the row
	errs []error
	more int // errors beyond MaxErrors
	row  []string
	line int
}

// openTable reads the header of a CSV file and checks it has exactly the columns
// named, in any order.
func openTable(name string, src io.Reader, columns []string) (*table, error) {
	r := csv.NewReader(src)
	r.ReuseRecord = true
	r.FieldsPerRecord = -1

	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		err := fmt.Errorf("%w: empty file", ErrHeader)
		return nil, &RowError{File: name, Line: 1, Field: "header", Err: err}
	}

	if err != nil {
		err := fmt.Errorf("%w: %v", ErrFormat, err)
		return nil, &RowError{File: name, Line: 1, Field: "header", Err: err}
	}

	t := &table{name: name, r: r, cols: make(map[string]int, len(columns))}
	want := make(map[string]bool, len(columns))
	for _, c := range columns {
		want[c] = true
	}

	var errs []error
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}

		h = strings.ToLower(strings.TrimSpace(h))
		_, dup := t.cols[h]
		switch {
		case !want[h]:
			errs = append(errs, t.headerErr(fmt.Errorf("%w: unknown column %q", ErrHeader, h)))
		case dup:
			errs = append(errs, t.headerErr(fmt.Errorf("%w: column %q twice", ErrHeader, h)))
		default:
			t.cols[h] = i
		}
	}

	for _, c := range columns {
		if _, ok := t.cols[c]; !ok {
			errs = append(errs, t.headerErr(fmt.Errorf("%w: missing column %q", ErrHeader, c)))
		}
	}

	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	r.FieldsPerRecord = len(header)

	return t, nil
}

func (t *table) headerErr(err error) error {
	return &RowError{File: t.name, Line: 1, Field: "header", Err: err}
}

// next reads the next row and reports whether there is one. A malformed row is
// recorded and skipped; a read error ends the file.
func (t *table) next() (bool, error) {
	for {
		row, err := t.r.Read()
		if errors.Is(err, io.EOF) {
			return false, nil
		}

		var pe *csv.ParseError
		if errors.As(err, &pe) {
			t.fail(pe.StartLine, "row", "", fmt.Errorf("%w: %v", ErrFormat, pe.Err))
			continue
		}

		if err != nil {
			return false, fmt.Errorf("read %s: %w", t.name, err)
		}

		t.row = row
		t.line, _ = t.r.FieldPos(0)

		return true, nil
	}
}

// get returns the trimmed value of column c in the current row.
func (t *table) get(c string) string {
	return strings.TrimSpace(t.row[t.cols[c]])
}

// required returns column c's value, recording an error when it is empty.
func (t *table) required(c string) (string, bool) {
	v := t.get(c)
	if v == "" {
		t.fail(t.line, c, "", ErrMissing)
		return "", false
	}

	return v, true
}

func (t *table) fail(line int, field, value string, err error) {
	if len(t.errs) >= MaxErrors {
		t.more++
		return
	}

	t.errs = append(t.errs, &RowError{File: t.name, Line: line, Field: field, Value: value,
		Err: err})
}

// err returns every recorded problem joined, or nil.
func (t *table) err() error {
	if len(t.errs) == 0 {
		return nil
	}

	errs := t.errs
	if t.more > 0 {
		errs = append(errs, fmt.Errorf("%s: %d more errors not listed", t.name, t.more))
	}

	return errors.Join(errs...)
}
