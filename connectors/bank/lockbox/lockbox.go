// Package lockbox reads bank lockbox transmissions: the checks a bank deposited
// into a company's lockbox, with the remitters' MICR data and the invoice
// numbers (and amounts) keyed from the remittance documents.
//
// Two dialects are read, told apart by the first record:
//
//   - The BAI lockbox transmission: fixed-width records whose first character
//     is the record type. 1 immediate address header (priority, destination,
//     origin, date YYMMDD, time HHMM), 2 service record (record size,
//     blocking factor), 5 lockbox/batch header (batch, lockbox number, deposit
//     date YYMMDD), 6 detail (one check: batch, item, amount in cents, remitter
//     routing/transit and account from the MICR line, check number, check date,
//     remitter name), 4 overflow (batch, item, overflow type, sequence, last
//     indicator 9, then invoice data continuing the preceding 6), 7 batch total
//     (item count, amount), 8 lockbox/service total (item count, amount) and 9
//     destination trailer (count of all records, 1 and 9 included). Banks
//     disagree on field positions, so the columns are a Layout (a column map
//     per bank); DefaultLayout is the common layout of the published sample.
//     Records may be padded to the record size or cut after their last
//     non-blank character, one per line (LF, CRLF or CR), several back to back
//     on one line, or blocked without any line break at all.
//   - A generic delimited lockbox file: the same record types with their fields
//     between '|' (or ';', ',' or tab, taken from the header record), amounts in
//     cents. 1 header (lockbox, payee, date YYYYMMDD, time), 5 batch header
//     (batch, deposit date), 6 check (batch, item, instrument, check number,
//     amount, payer routing, payer account, payer name), 4 remittance line
//     (batch, item, sequence, invoice, amount, which may be empty), 7 batch
//     trailer (batch, item count, total), optional 8 lockbox trailer (lockbox,
//     item count, total) and 9 file trailer (batch count, item count, total).
//
// Every check becomes one credit transaction of KindPayment (KindNotice when
// its amount is zero): Account is the lockbox number, PayerAccount the MICR
// routing:account, BankRef the check number (batch/item when it has none),
// BookingDate and ValueDate the deposit date, and Remits one line per invoice
// of its overflow or remittance records. An invoice line without an amount
// keeps Paid 0 for the consumer to allocate, except when it is the check's
// only line: then it is paid the whole check.
//
// Every control the file offers is reconciled: batch totals against the checks
// of their batch, lockbox totals against the checks since the previous
// lockbox total, the BAI trailer's record count and the delimited trailer's
// batch count, item count and total. A mismatch rejects the file with the
// figures, unless Options.Relaxed downgrades that control to a warning.
//
// DedupeKey is "lockbox:" followed by the lockbox number, the deposit date,
// the remitter's routing and account, the check number and the amount, so
// that a re-sent or intraday-then-final transmission gives a check the same
// key whatever its bytes; a genuinely second identical check in one file gets
// "#2".
//
// Scan streams: it holds only the checks whose batch or lockbox total is not
// read yet (at most 20,000; beyond that the oldest are emitted early), and
// hands them to emit once a total proved them. Checks that no total covers
// are emitted with Transaction.Problem set, so they are never applied without
// a person looking.
package lockbox

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

// DefaultCurrency is the currency of lockbox amounts unless Options say
// otherwise: lockbox services are a US banking product.
const DefaultCurrency = "USD"

// MaxLineLen is the longest physical line read, in bytes. Lockbox records are
// at most a few hundred characters; a longer line is rejected with a problem
// and skipped without being held in memory.
const MaxLineLen = 8 << 10

// maxRemits caps the invoice lines kept per check.
const maxRemits = 10_000

// maxPending caps the checks held back while waiting for a control total;
// beyond it the oldest are emitted early, marked as not proved by a total.
const maxPending = 20_000

// maxProblems caps the warnings and the rejection problems kept per file.
const maxProblems = 200

// Control names a control check that a bank profile can downgrade to a
// warning.
type Control string

// The control checks of a lockbox file.
const (
	// ControlBatch compares each batch total (7) with the checks of its batch.
	ControlBatch Control = "batch_total"
	// ControlLockbox compares each lockbox total (8) with the checks since the
	// previous lockbox total.
	ControlLockbox Control = "lockbox_total"
	// ControlTrailer compares the file trailer (9) with the whole file: record
	// count (BAI) or batch count, item count and total (delimited).
	ControlTrailer Control = "file_trailer"
)

// Options is a bank profile for lockbox files. The zero value reads BAI files
// with DefaultLayout, US dollars and every control strict.
type Options struct {
	// Currency is the ISO 4217 code of the amounts, which are in its minor
	// units. Defaults to DefaultCurrency.
	Currency string
	// Layout is the column map of BAI fixed-width records. Defaults to
	// DefaultLayout().
	Layout *Layout
	// Relaxed lists the controls whose mismatch is only a warning, for banks
	// known to break them. File.Controls is then ControlsMismatch.
	Relaxed []Control
}

// Read parses the lockbox file named name with the default Options. A file
// that must be rejected yields a *bankfile.Error listing every problem found.
func Read(name string, data []byte) (*bankfile.File, error) {
	return ReadOptions(name, data, Options{})
}

// ReadOptions parses a lockbox file like Read, using the bank profile opts.
func ReadOptions(name string, data []byte, opts Options) (*bankfile.File, error) {
	var txs []bankfile.Transaction

	f, err := ScanOptions(name, bytes.NewReader(data), opts, func(t bankfile.Transaction) error {
		txs = append(txs, t)
		return nil
	})
	if err != nil {
		return nil, err
	}

	f.Transactions = txs

	return f, nil
}

// Scan reads the lockbox file on r with the default Options and hands each
// check to emit once a control total proved it (see the package comment). It
// returns the file without transactions. A rejected file yields a
// *bankfile.Error with every problem found; the caller must then treat what
// emit received as void. An error from emit stops the scan and is returned
// wrapped.
func Scan(name string, r io.Reader, emit func(bankfile.Transaction) error) (
	*bankfile.File, error) {
	return ScanOptions(name, r, Options{}, emit)
}

// ScanOptions is Scan with the bank profile opts.
func ScanOptions(name string, r io.Reader, opts Options,
	emit func(bankfile.Transaction) error) (*bankfile.File, error) {
	cur := opts.Currency
	if cur == "" {
		cur = DefaultCurrency
	}

	exp, err := money.Exponent(cur)
	if err != nil {
		return nil, fmt.Errorf("check lockbox options: %w", err)
	}

	layout := DefaultLayout()
	if opts.Layout != nil {
		layout = *opts.Layout
	}

	if err := layout.Validate(); err != nil {
		return nil, fmt.Errorf("check lockbox options: %w", err)
	}

	p := newParser(name, strings.ToUpper(cur), exp, layout, emit)
	for _, c := range opts.Relaxed {
		p.relaxed[c] = true
	}

	if err := p.run(r); err != nil {
		return nil, err
	}

	if len(p.rejs) > 0 {
		return nil, &bankfile.Error{
			File: name, Format: bankfile.FormatLockbox, Problems: p.capped(p.rejs, p.nrejs),
		}
	}

	p.file.Warnings = p.capped(p.warns, p.nwarns)

	return p.file, nil
}
