package bank

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/o2c-dev/o2c/connectors/bank/bai2"
	"github.com/o2c-dev/o2c/connectors/bank/bankcsv"
	"github.com/o2c-dev/o2c/connectors/bank/camt"
	"github.com/o2c-dev/o2c/connectors/bank/lockbox"
	"github.com/o2c-dev/o2c/connectors/bank/mt940"
	"github.com/o2c-dev/o2c/connectors/bank/nacha"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// scanner is the signature of a format reader that streams: it reads r to its
// end, hands every transaction to emit as soon as it is complete and returns the
// file without transactions.
type scanner func(name string, r io.Reader, emit func(bankfile.Transaction) error) (
	*bankfile.File, error)

// scanners are the formats read as a stream. The others are read whole, within
// MaxFileSize, and their transactions emitted afterwards.
var scanners = map[bankfile.Format]scanner{
	bankfile.FormatBAI2:    bai2.Scan,
	bankfile.FormatCAMT052: camt.Scan,
	bankfile.FormatCAMT053: camt.Scan,
	bankfile.FormatCAMT054: camt.Scan,
	bankfile.FormatCSV:     bankcsv.Scan,
	bankfile.FormatLockbox: lockbox.Scan,
	bankfile.FormatMT940:   mt940.Scan,
	bankfile.FormatNACHA:   nacha.Scan,
}

// errEmit wraps an error of the caller's emit, so that it passes through the
// reader and the checks here untouched.
type errEmit struct{ err error }

func (e *errEmit) Error() string { return e.err.Error() }
func (e *errEmit) Unwrap() error { return e.err }

// Scan reads the bank file on r and hands each of its transactions to emit,
// without holding the file in memory when its format's reader streams. It
// returns the file with everything but its transactions (format, encoding,
// accounts, control checks, warnings) and how many transactions it emitted.
//
// A rejected file yields a *bankfile.Error with every problem found. A file is
// rejected only once it was read to its end (a control total comes last), so
// the caller must treat what emit received as void when Scan fails: store it in
// a transaction and roll that back.
func Scan(name string, r io.Reader, emit func(bankfile.Transaction) error) (
	*bankfile.File, int, error) {
	return std.Scan(name, r, emit)
}

// Scan is bank.Scan with the reader's settings.
func (rd *Reader) Scan(name string, r io.Reader, emit func(bankfile.Transaction) error) (
	*bankfile.File, int, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, MaxFileSize+1), sniffLen)

	head, err := br.Peek(sniffLen)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, 0, fmt.Errorf("read bank file %s: %w", name, err)
	}

	if len(head) < sniffLen && len(bytes.TrimSpace(bytes.TrimPrefix(head, utf8BOM))) == 0 {
		return nil, 0, reject(name, bankfile.FormatUnknown, "file", "empty file")
	}

	// Content no reader recognises is refused from its first 64 KiB, without
	// reading the rest of it.
	format := Detect(head)
	if format == bankfile.FormatUnknown {
		return nil, 0, reject(name, format, "format", "unrecognised bank file format")
	}

	scan, ok := scanners[format]
	if format == bankfile.FormatCSV && rd.csv != nil {
		scan, ok = rd.csv.Scan, true
	}

	if relaxed, yes := rd.relaxedScanner(format); yes {
		scan, ok = relaxed, true
	}

	if !ok {
		return scanWhole(name, br, emit, rd.Read)
	}

	return safeScan(name, format, &sizeGuard{r: br}, emit, scan)
}

// scanWhole reads a file of a format that does not stream into memory, parses
// it with Read and emits its transactions.
func scanWhole(name string, r io.Reader, emit func(bankfile.Transaction) error,
	read reader) (*bankfile.File, int, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, 0, fmt.Errorf("read bank file %s: %w", name, err)
	}

	if len(data) > MaxFileSize {
		return nil, 0, tooLarge(name)
	}

	f, err := read(name, data)
	if err != nil {
		return nil, 0, err
	}

	for _, t := range f.Transactions {
		if err := emit(t); err != nil {
			return nil, 0, err
		}
	}

	n := len(f.Transactions)
	f.Transactions = nil

	return f, n, nil
}

// safeScan runs a streaming reader, checks the text of each transaction before
// emit sees it, and turns a panic into a rejection of this file only.
func safeScan(name string, format bankfile.Format, r io.Reader,
	emit func(bankfile.Transaction) error, scan scanner) (
	file *bankfile.File, n int, err error,
) {
	defer func() {
		if p := recover(); p != nil {
			file, n = nil, 0
			err = reject(name, format, "file", fmt.Sprintf("internal error reading file: %v", p))
		}
	}()

	var textProblems []bankfile.Problem

	file, err = scan(name, r, func(t bankfile.Transaction) error {
		if probs := t.TextProblems(name); len(probs) > 0 {
			textProblems = append(textProblems, probs...)
			return nil
		}

		if len(textProblems) > 0 {
			return nil
		}

		n++
		if err := emit(t); err != nil {
			return &errEmit{err: err}
		}

		return nil
	})

	if ee, ok := errors.AsType[*errEmit](err); ok {
		return nil, 0, ee.err
	}

	if errors.Is(err, ErrTooLarge) {
		return nil, 0, tooLarge(name)
	}

	if err == nil && len(textProblems) > 0 {
		err = &bankfile.Error{File: name, Format: format, Problems: textProblems}
	}

	file, err = finish(name, format, file, err)
	if err != nil {
		return nil, 0, err
	}

	return file, n, nil
}

// sizeGuard fails a read once more than MaxFileSize bytes went through it.
type sizeGuard struct {
	r    io.Reader
	read int64
}

func (g *sizeGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	g.read += int64(n)

	if g.read > MaxFileSize {
		return n, ErrTooLarge
	}

	return n, err
}

func tooLarge(name string) *bankfile.Error {
	return reject(name, bankfile.FormatUnknown, "file",
		fmt.Sprintf("%v: more than %d bytes", ErrTooLarge, MaxFileSize))
}
