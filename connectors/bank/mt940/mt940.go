// Package mt940 reads SWIFT MT940 customer statements and MT942 interim
// (intraday) reports into the format-neutral bankfile model, as a stream: one
// physical line at a time, holding at most one statement's worth of pending
// transactions (bounded, see maxHeld).
//
// Format facts relied on:
//
//   - A message is a sequence of fields, each starting at the beginning of a
//     line with a tag such as :20:, :25:, :28C:, :60F:, :61:, :86:, :62F:;
//     further lines up to the next tag continue the field. Only known tags
//     start a field, so wrapped text such as ":26:37" (a time) inside an :86:
//     stays text. A tag split over two lines (":" then "86:...") is rejoined.
//   - Messages may sit in SWIFT blocks {1:}{2:}{3:}{4: ... -}{5:}, follow a
//     bank's own header lines (ABN AMRO "ABNANL2A / 940", old ING "0000 01INGB",
//     Rabobank ":940:") or come bare, separated by "-", "-}", "$", SOH/ETX,
//     blank lines or nothing at all (a new :20: starts a new statement). A lone
//     "-" is a terminator only when the next field starts a message; inside an
//     :86: it is text (ING wraps "MND" "-" "EV01").
//   - :60F:/:60M: and :62F:/:62M: are D/C mark, YYMMDD, currency and an amount
//     with a decimal comma and optional fraction digits ("6800,", "620,3"); the
//     fraction may not exceed the currency's minor digits. Withdrawn currencies
//     (DEM, NLG, ...) are read with their historic exponent; their lines carry
//     a Problem.
//   - :61: is value date YYMMDD, optional entry date MMDD (its year is the one
//     closest to the value date, so December/January entries land right), mark
//     C, D, RC (reversal of a credit: money out), RD (reversal of a debit: money
//     in) or, in MT942, EC/ED (expected, not booked), an optional funds code
//     letter, the amount, a transaction type (N/S/F + 3), the customer reference
//     up to "//", the bank reference, and a supplementary line. Its parts may be
//     wrapped over lines; they are rejoined until the type code is complete.
//   - :86: is read in three dialects: German/SEPA (GVC code, ?00 booking text,
//     ?10 primanota, ?20-?29 and ?60-?63 purpose joined as they are, ?30 bank
//     code or BIC, ?31 account or IBAN, ?32+?33 name, ?34 text key extension,
//     SEPA keywords EREF+ KREF+ MREF+ CRED+ SVWZ+ ABWA+ inside the purpose);
//     Dutch slash tags (/EREF/ /PREF/ /CNTP/iban/bic/name/ /REMI/USTD//text/
//     /REMI/STRD/CUR/ref/ /RTRN/ /NAME/ /IBAN/ ...); and free text. Structured
//     dialects are rejoined without inserting anything (keys and words are cut
//     anywhere); free text gets a space at a line break unless the line was
//     full (65 characters).
//   - An :86: after :62F:, :64: or :65: (or without a preceding :61:) belongs
//     to the statement, never to the last transaction. ING's closing
//     "/SUM/debits/credits/debit sum/credit sum/" is a control total.
//
// Controls reconciled per statement: opening + Σ lines = closing; continuity of
// an intermediate page (:62M: → next :60M: of the account); MT942 :90D:/:90C:
// count and sum of debit and credit entries; ING's /SUM/ line. A mismatch, an
// invalid calendar date (30 February) or an unreadable amount rejects the file
// with every problem found; Options.Lenient downgrades named checks to
// warnings for banks known to break them. Lines of a statement that no control
// proves complete carry a Problem so they are never applied unattended.
//
// Text is decoded line by line: UTF-8 (with or without BOM) when valid, else
// Windows-1252, or ISO-8859-1 when a line has bytes Windows-1252 leaves
// undefined, or the charset of the bank profile (Options.Charset, e.g. "ibm852"
// for Hungarian banks). Control characters become spaces.
//
// A file whose messages are all MT942 (block 2 "942", or :34F:, :13D:,
// :90D:/:90C: fields) reads as bankfile.FormatMT942, else FormatMT940.
//
// DedupeKey is "mt940:" account ":" value date ":" mark ":" amount currency
// ":" type ":" customer ref "/" bank ref, all from the :61: as written (blanks
// dropped from the references), plus "#n" for the n-th identical line of a
// file. Line breaks, encoding, :86: text, :20: references and SWIFT headers do
// not enter it, and MT942 and MT940 build it alike, so a re-sent or rewrapped
// file and an end-of-day statement repeating an intraday line give the same
// keys; EC/ED (expected) keep their mark apart from the booked line. EntryKey
// stays empty:
// an MT940 line is already one booking, and bank references are not unique
// enough to drop lines across files on them (one sample reuses "55555" for two
// bookings).
package mt940

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/ianaindex"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

// Check names a control check that a bank profile may downgrade to a warning.
type Check string

// Checks that Options.Lenient can downgrade.
const (
	// CheckBalances is opening balance + Σ statement lines = closing balance.
	CheckBalances Check = "balances"
	// CheckContinuity is an intermediate closing (:62M:) equal to the next
	// opening (:60M:) of the same account.
	CheckContinuity Check = "continuity"
	// CheckTotals is MT942 :90D:/:90C: number and sum of debit/credit entries.
	CheckTotals Check = "totals"
	// CheckSummary is a bank's closing summary line (ING /SUM/).
	CheckSummary Check = "summary"
	// CheckDates accepts impossible calendar dates (30 February, from banks
	// counting 30/360): they are read as the last day of the month and the
	// transaction carries a Problem.
	CheckDates Check = "dates"
)

// Options is the bank profile a file is read with. The zero value is strict
// and suits an unknown bank.
type Options struct {
	// Lenient lists the checks whose failures are warnings rather than a
	// rejection; File.Controls then says "mismatch" and the lines of the
	// statements concerned carry a Problem.
	Lenient []Check

	// Charset decodes lines that are not UTF-8, as an IANA name ("ibm852",
	// "iso-8859-2", "windows-1250"). Empty means Windows-1252, or ISO-8859-1 for
	// lines with bytes Windows-1252 does not define.
	Charset string

	// Currency is used for statements that state none (fragments without
	// balances). Empty means such statements are rejected.
	Currency string
}

// ErrCharset reports an Options.Charset that is not a known single-byte charset.
var ErrCharset = errors.New("unsupported charset")

// ErrOptionCurrency reports an Options.Currency that is no ISO 4217 code.
var ErrOptionCurrency = errors.New("unknown currency in options")

// Read parses the MT940/MT942 file named name with the default Options. A file
// that must be rejected yields a *bankfile.Error listing every problem.
func Read(name string, data []byte) (*bankfile.File, error) {
	return ReadOptions(name, data, Options{})
}

// ReadOptions parses a file like Read, using the bank profile opts.
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

// Scan reads the MT940/MT942 file on r with the default Options and hands each
// transaction to emit in file order. It returns the file without transactions.
// A rejected file yields a *bankfile.Error; whatever emit received before is
// void then. An error from emit stops the reading and is returned as is.
func Scan(name string, r io.Reader, emit func(bankfile.Transaction) error) (
	*bankfile.File, error,
) {
	return ScanOptions(name, r, Options{}, emit)
}

// ScanOptions is Scan with the bank profile opts.
func ScanOptions(name string, r io.Reader, opts Options,
	emit func(bankfile.Transaction) error,
) (*bankfile.File, error) {
	s, err := newScanner(name, opts, emit)
	if err != nil {
		return nil, err
	}

	if err := s.run(r); err != nil {
		return nil, err
	}

	if len(s.problems) > 0 {
		be := &bankfile.Error{File: name, Format: s.format(),
			Problems: more(s.problems, s.moreProblems)}
		if s.failedControl {
			be.Controls = bankfile.ControlsMismatch
		}

		return nil, be
	}

	return s.result(), nil
}

// charsetFor resolves an Options.Charset name.
func charsetFor(name string) (*charmap.Charmap, string, error) {
	if name == "" {
		return nil, "", nil
	}

	enc, err := ianaindex.IANA.Encoding(name)
	if err != nil || enc == nil {
		return nil, "", fmt.Errorf("decode mt940: %w: %q", ErrCharset, name)
	}

	cm, ok := enc.(*charmap.Charmap)
	if !ok {
		return nil, "", fmt.Errorf("decode mt940: %w: %q is not single-byte", ErrCharset, name)
	}

	return cm, strings.ToLower(name), nil
}

// maxProblems caps the problems and warnings kept per file; the rest are
// counted in a last entry.
const maxProblems = 200

// more appends the count of problems not kept, if any.
func more(ps []bankfile.Problem, n int) []bankfile.Problem {
	if n == 0 {
		return ps
	}

	return append(ps, bankfile.Problem{
		File: ps[0].File, Field: "file",
		Message: fmt.Sprintf("%d more problems of this file not listed", n),
	})
}
