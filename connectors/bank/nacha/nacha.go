// Package nacha reads NACHA ACH files (the US ACH network's 94-character
// fixed-width format) into the format-neutral bankfile model, as a stream:
// Scan hands over each entry as soon as its addenda are read and keeps only
// the running control totals, so a file of any size is read in bounded memory.
//
// The reader does its own record handling rather than relying on
// github.com/moov-io/ach's file reader, because real files break that reader's
// rules in ways that must only be warnings: CRLF, CR or no line breaks at all,
// short or unpadded records, missing nines filler, missing file header or
// control (processor fragments), UTF-8 names that make a record longer than 94
// bytes, masked routing numbers and bank-specific return codes. It also needs
// the raw 80 positions of payment related information, which moov-io/ach
// trims. moov-io/ach is used record by record: its record types validate each
// record (their findings become warnings) and its tables name return and
// change codes.
//
// A file is rejected when money could be miscounted or the file is not what
// it says: a batch or file control field that does not reconcile (entry/addenda
// count, entry hash, total debit, total credit, and in the file control the
// batch and block counts), an unreadable amount or transaction code, an
// unknown record type or records after the file control. A bank profile
// (Options) can make the count and hash checks warnings for a bank known to
// break them; the money totals stay strict.
package nacha

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

// Check names a family of control checks that a bank profile can make
// warnings instead of rejections, for a bank known to get them wrong.
type Check string

// The control checks of a NACHA file that a bank profile can relax. The total
// debit and total credit of batch and file controls are the money: they are
// always strict.
const (
	// CheckBatchCount is the file control's batch count against the batch
	// header records of the file.
	CheckBatchCount Check = "batch_count"
	// CheckBlockCount is the file control's block count against the file's
	// records divided by ten, rounded up.
	CheckBlockCount Check = "block_count"
	// CheckEntryAddendaCount is the entry/addenda count of batch and file
	// controls against the entry detail and addenda records.
	CheckEntryAddendaCount Check = "entry_addenda_count"
	// CheckEntryHash is the entry hash of batch and file controls against the
	// sum of the entries' 8-digit RDFI identifications.
	CheckEntryHash Check = "entry_hash"
)

// ErrUnknownCheck reports an Options.WarnOnly entry that names no check.
var ErrUnknownCheck = errors.New("unknown nacha control check")

// Options is the bank profile a file is read with. The zero value is strict
// and suits an unknown bank.
type Options struct {
	// WarnOnly lists the control checks whose failure is only a warning for
	// this bank: the file is read, File.Controls says mismatch and
	// File.Warnings has the numbers. Defaults to none: every control total that
	// does not reconcile rejects the file.
	WarnOnly []Check

	// MaxBytes is the largest file read: a longer one is rejected with a
	// problem naming the limit as soon as the limit is passed, without reading
	// the rest. Defaults to 0, no limit of its own (bank.Scan holds every file
	// to bank.MaxFileSize); memory does not depend on it.
	MaxBytes int64
}

// Validate reports a WarnOnly entry that names no check and a negative
// MaxBytes.
func (o Options) Validate() error {
	if o.MaxBytes < 0 {
		return fmt.Errorf("validate nacha options: max bytes %d is negative", o.MaxBytes)
	}

	for _, c := range o.WarnOnly {
		switch c {
		case CheckBatchCount, CheckBlockCount, CheckEntryAddendaCount, CheckEntryHash:
		default:
			return fmt.Errorf("validate nacha options: %w %q", ErrUnknownCheck, c)
		}
	}

	return nil
}

func (o Options) relaxed(c Check) bool {
	return c != "" && slices.Contains(o.WarnOnly, c)
}

// Read parses the NACHA file named name with the default (strict) Options. A
// file that must be rejected yields a *bankfile.Error listing every problem,
// each naming its line and field.
func Read(name string, data []byte) (*bankfile.File, error) {
	return ReadOptions(name, data, Options{})
}

// ReadOptions is ScanOptions over data, collecting the transactions into
// File.Transactions. A file without batch or file control totals to prove it
// whole (Controls none, or a relaxed profile's mismatch in such a file) is
// read, but its credits carry a Problem so that they are not applied without a
// person looking.
func ReadOptions(name string, data []byte, opts Options) (*bankfile.File, error) {
	// Most entries have one addenda record: two records of 94 characters.
	txs := make([]bankfile.Transaction, 0, len(data)/(2*recordLen))

	f, p, err := scan(name, bytes.NewReader(data), opts, defaultBufSize,
		func(t bankfile.Transaction) error {
			txs = append(txs, t)
			return nil
		})
	if err != nil {
		return nil, err
	}

	if p.unchecked {
		for i := range txs {
			t := &txs[i]
			if t.Direction == bankfile.Credit && t.Kind == bankfile.KindPayment && t.Problem == "" {
				t.Problem = "file has no batch or file control totals to prove it complete"
			}
		}
	}

	f.Transactions = txs

	return f, nil
}

// Scan reads a NACHA file from r with the default (strict) Options; see
// ScanOptions.
func Scan(name string, r io.Reader, emit func(bankfile.Transaction) error) (*bankfile.File, error) {
	return ScanOptions(name, r, Options{}, emit)
}

// ScanOptions reads a NACHA file from r with the bank profile opts and calls
// emit for every entry, in file order, as soon as its addenda are complete. It
// holds one buffer of the stream, the current entry and the running control
// totals, never the file. The one state that grows with the file is the table
// that numbers repeated dedupe keys: 16 bytes a slot, 1.3 to 2.7 slots an
// entry (17 MB for 500,000 entries). The returned File has no Transactions.
//
// A file is rejected once it was read to its end (a control total comes last),
// with a *bankfile.Error listing every problem found in that one pass: first
// those that reject it, then those that alone would only be warnings (at most
// 200, then one counting the rest); its Controls says mismatch when a control
// total is among them. Whatever emit received is then void, and
// nothing more is emitted once a problem is found: callers store what emit
// receives in a database transaction they commit only when ScanOptions returns
// no error.
//
// At emit time ScanOptions cannot know that a file lacks a control record.
// When the returned File says ControlsNone, nothing proved the file whole and
// its credits must not be applied without a person looking; ReadOptions marks
// them with a Problem itself. (A relaxed profile's mismatch wins over none in
// File.Controls; its Warnings then also name any missing control record.) An
// error from emit stops the scan and is returned as it is; an error reading r
// is returned wrapped.
func ScanOptions(name string, r io.Reader, opts Options,
	emit func(bankfile.Transaction) error,
) (*bankfile.File, error) {
	f, _, err := scan(name, r, opts, defaultBufSize, emit)
	return f, err
}

// scan is ScanOptions with a buffer of size bytes; it also returns the parser,
// whose state ReadOptions needs.
func scan(name string, r io.Reader, opts Options, size int,
	emit func(bankfile.Transaction) error,
) (*bankfile.File, *parser, error) {
	if err := opts.Validate(); err != nil {
		return nil, nil, err
	}

	if opts.MaxBytes > 0 {
		r = &capReader{r: r, left: opts.MaxBytes}
	}

	p := newParser(name, opts, emit)
	s := newSplitter(p, r, size)

	if err := s.run(); errors.Is(err, errOverCap) {
		return nil, p, &bankfile.Error{File: name, Format: bankfile.FormatNACHA,
			Problems: []bankfile.Problem{{File: name, Field: "file", Message: fmt.Sprintf(
				"file is larger than the limit of %d bytes", opts.MaxBytes)}}}
	} else if err != nil {
		return nil, p, err
	}

	if err := p.end(); err != nil {
		return nil, p, err
	}

	p.lineWarnings(&s.info)

	if p.rejs.total > 0 {
		// Every problem found, in one pass: what rejects the file, then what
		// would only have been a warning of an accepted one.
		be := &bankfile.Error{
			File: name, Format: bankfile.FormatNACHA, Problems: listAll(&p.rejs, &p.warns),
		}
		if p.controlRejected {
			be.Controls = bankfile.ControlsMismatch
		}

		return nil, p, be
	}

	controls := bankfile.ControlsOK

	switch {
	case p.mismatch:
		controls = bankfile.ControlsMismatch
	case p.unchecked:
		controls = bankfile.ControlsNone
	}

	return &bankfile.File{
		Name:     name,
		Format:   bankfile.FormatNACHA,
		Encoding: s.encoding(),
		Account:  p.account,
		Currency: currency,
		Controls: controls,
		Warnings: p.warns.list(),
	}, p, nil
}

// errOverCap stops reading a file longer than Options.MaxBytes.
var errOverCap = errors.New("file over the size limit")

// capReader fails once more than left bytes went through it.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.left -= int64(n)

	if c.left < 0 {
		return n, errOverCap
	}

	return n, err
}

func (p *parser) lineWarnings(info *lineInfo) {
	if info.padded > 0 {
		p.warn(stageLines, 0, "record length", "",
			"records shorter than 94 characters padded with blanks: %d", info.padded)
	}

	if info.trimmed > 0 {
		p.warn(stageLines, 0, "record length", "",
			"records longer than 94 characters cut to 94 (only blanks removed): %d", info.trimmed)
	}

	if info.split > 0 {
		p.warn(stageLines, 0, "record length", "",
			"lines holding several 94-character records back to back: %d", info.split)
	}
}
