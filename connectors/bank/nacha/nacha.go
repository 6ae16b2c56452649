// Package nacha reads NACHA ACH files (the US ACH network's 94-character
// fixed-width format) into the format-neutral bankfile model.
//
// The reader does its own record handling rather than relying on
// github.com/moov-io/ach's file reader, because real files break that reader's
// rules in ways that must only be warnings: CRLF or no line breaks at all,
// short or unpadded records, missing nines filler, missing file header or
// control (processor fragments), UTF-8 names that make a record longer than 94
// bytes, masked routing numbers and bank-specific return codes. It also needs
// the raw 80 positions of payment related information, which moov-io/ach
// trims. moov-io/ach is used record by record: its record types validate each
// record (their findings become warnings) and its tables name return and
// change codes.
//
// A file is rejected only when money could be miscounted: a batch or file
// control total that does not reconcile, an unreadable amount or transaction
// code, an unknown record type or records after the file control.
package nacha

import (
	"bytes"
	"io"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

// Read parses the NACHA file named name. A file that must be rejected yields a
// *bankfile.Error listing every problem, each naming its line and field.
//
// Read is Scan over data, collecting the transactions. A file without batch or
// file control totals (Controls none) is read, but its credits carry a Problem
// so that they are not applied without a person looking.
func Read(name string, data []byte) (*bankfile.File, error) {
	txs := []bankfile.Transaction{}

	f, p, err := scan(name, bytes.NewReader(data), defaultBufSize,
		func(t bankfile.Transaction) error {
			txs = append(txs, t)
			return nil
		})
	if err != nil {
		return nil, err
	}

	if p.unchecked {
		// Nothing proves the file whole (a fragment, or a file cut short): its
		// credits are kept but never applied without a person looking.
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

// Scan reads a NACHA file from r and calls emit for every entry, in file
// order, as soon as its addenda are complete. It holds one buffer of the
// stream, the current entry and the running control totals, never the file:
// memory does not grow with the file, but for 16 bytes per entry that number
// repeated dedupe keys. The returned File has no Transactions.
//
// A file is rejected only once it was read to its end (a control total comes
// last), with a *bankfile.Error listing every problem; whatever emit received
// is then void, and nothing more is emitted once a problem is found. Callers
// store what emit receives in a database transaction they commit only when
// Scan returns no error.
//
// Scan cannot know at emit time that a file lacks its control records: when
// the returned File says ControlsNone, nothing proved the file whole and the
// caller must not apply its credits without a person looking (Read marks them
// with a Problem itself). An error from emit stops the scan and is returned as
// it is; an error reading r is returned wrapped.
func Scan(name string, r io.Reader, emit func(bankfile.Transaction) error) (*bankfile.File, error) {
	f, _, err := scan(name, r, defaultBufSize, emit)
	return f, err
}

// scan is Scan with a buffer of size bytes; it also returns the parser, whose
// state Read needs.
func scan(name string, r io.Reader, size int, emit func(bankfile.Transaction) error) (
	*bankfile.File, *parser, error) {
	p := newParser(name, emit)
	s := newSplitter(p, r, size)

	if err := s.run(); err != nil {
		return nil, p, err
	}

	if err := p.end(); err != nil {
		return nil, p, err
	}

	p.lineWarnings(&s.info)

	if p.rejs.total > 0 {
		return nil, p, &bankfile.Error{
			File: name, Format: bankfile.FormatNACHA, Problems: p.rejs.list(),
		}
	}

	controls := bankfile.ControlsOK
	if p.unchecked {
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
