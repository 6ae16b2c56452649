// Package camt reads ISO 20022 bank-to-customer cash reports into the
// format-neutral bankfile model: camt.052 account reports, camt.053 statements
// and camt.054 debit/credit notifications, from version .001.02 on (the
// layouts of .02 to .08 and the namespaces up to .13 are tested). Elements are
// matched by local name, so the namespace and version of the document do not
// matter.
//
// The document is read as a token stream, one entry (Ntry) at a time, in
// memory bounded by the largest entry whatever the size of the file: Scan
// hands each entry's transactions on as the entry ends. What can only be
// decided at the end of a statement is kept as compact totals (sums per
// currency and direction, the value dates of booked entries), except the
// transactions of reversal entries (RvslInd), which wait for the statement's
// balances to prove their sign.
//
// Batch entries are split into one transaction per TxDtls when the details add
// up to the booked amount, control totals (balances, TxsSummry) are reconciled,
// and a file that must be rejected yields a *bankfile.Error listing every
// problem with its line and element path.
//
// XML safety: a DOCTYPE declaring entities is refused, entities are never
// expanded (only the five predefined ones and character references are
// known), elements nest at most 64 deep, a tag or text is at most 1 MiB, an
// entry at most 200,000 elements and 64 MiB of text, and a document at most
// MaxSize bytes.
//
// Keys: an entry's transactions share an EntryKey and have DedupeKeys built
// from the bank's reference for the booking (AcctSvcrRef, else NtryRef) with
// its booking date, direction and amount, so that the camt.052, camt.053 and
// camt.054 reports of one booking give the same keys.
package camt

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"slices"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

// MaxSize is the largest document Read and Scan accept, in bytes.
const MaxSize = 256 << 20

// ReversalSign says how a bank sets CdtDbtInd on a reversal entry (RvslInd=true).
type ReversalSign int

// Reversal sign conventions.
const (
	// ReversalFromBalances decides per statement from the opening and closing
	// balances; without balances, reversals are read with the ISO sign and carry
	// a Problem so they are never applied automatically.
	ReversalFromBalances ReversalSign = iota
	// ReversalISO means CdtDbtInd is the direction of the reversal itself, as
	// ISO 20022 specifies: DBIT + RvslInd undoes an earlier credit.
	ReversalISO
	// ReversalOriginal means the bank repeats the direction of the original
	// entry: CRDT + RvslInd undoes an earlier credit and takes money out.
	ReversalOriginal
)

// Check names a control check that a bank profile may downgrade to a warning.
type Check string

// Checks that Options.Lenient can downgrade.
const (
	// CheckBalances is opening balance + booked entries = closing balance, per
	// currency.
	CheckBalances Check = "balances"
	// CheckSummary is TxsSummry: number and sums of the entries, and their net.
	CheckSummary Check = "summary"
)

// Options is the bank profile a file is read with. The zero value is strict
// and suits an unknown bank.
type Options struct {
	// Reversals is the bank's reversal sign convention. Defaults to
	// ReversalFromBalances.
	Reversals ReversalSign

	// Lenient lists the checks whose failures are warnings rather than a
	// rejection, for banks known to break them. File.Controls then says
	// "mismatch", and the transactions of the statements concerned carry a
	// Problem; to mark them they are held back until their statement ends, up
	// to 10,000 per statement (the rest are passed on unmarked, with a
	// warning).
	Lenient []Check
}

// Read parses a camt.052, camt.053 or camt.054 document named name with the
// default Options. A file that must be rejected yields a *bankfile.Error listing
// every problem found.
func Read(name string, data []byte) (*bankfile.File, error) {
	return ReadOptions(name, data, Options{})
}

// ReadOptions parses a camt document like Read, using the bank profile opts.
func ReadOptions(name string, data []byte, opts Options) (*bankfile.File, error) {
	if len(data) > MaxSize {
		r := newReader(name, opts, nil)
		r.fail(0, "file", "", fmt.Sprintf("file is %d bytes, larger than the %d accepted",
			len(data), MaxSize))

		return nil, r.reject()
	}

	return read(name, data, opts, true)
}

// read is ReadOptions; fast lets the scanner read the plain parts of the
// document, else encoding/xml reads all of it.
func read(name string, data []byte, opts Options, fast bool) (*bankfile.File, error) {
	txs := make([]bankfile.Transaction, 0, txHint(data))

	f, err := scan(name, bytes.NewReader(data), opts, fast, func(t bankfile.Transaction) error {
		txs = append(txs, t)
		return nil
	})
	if err != nil {
		return nil, err
	}

	// Reversals wait for the end of their statement: Seq is the file order.
	if !slices.IsSortedFunc(txs, bySeq) {
		slices.SortFunc(txs, bySeq)
	}

	if len(txs) > 0 {
		f.Transactions = txs
	}

	return f, nil
}

func bySeq(a, b bankfile.Transaction) int { return a.Seq - b.Seq }

// txHint guesses how many transactions data holds, one per entry or per
// detail, so the list is allocated once rather than grown.
func txHint(data []byte) int {
	return max(bytes.Count(data, []byte("<Ntry>")), bytes.Count(data, []byte("<TxDtls>")))
}

// Scan reads the camt document on r with the default Options and hands each
// transaction to emit as soon as its entry is read; the transactions of a
// reversal entry follow when its statement ends. Seq gives the file order. It
// returns the file without transactions.
//
// A rejected file yields a *bankfile.Error; whatever emit received before is
// void then (a control total comes at the end of a statement). An error from
// emit stops the reading and is returned as is; so is an error of r, wrapped.
func Scan(name string, r io.Reader, emit func(bankfile.Transaction) error) (
	*bankfile.File, error,
) {
	return ScanOptions(name, r, Options{}, emit)
}

// ScanOptions is Scan with the bank profile opts.
func ScanOptions(name string, r io.Reader, opts Options,
	emit func(bankfile.Transaction) error,
) (*bankfile.File, error) {
	return scan(name, r, opts, true, emit)
}

func scan(name string, in io.Reader, opts Options, fast bool,
	emit func(bankfile.Transaction) error,
) (*bankfile.File, error) {
	return scanSized(name, in, opts, fast, MaxSize, emit)
}

// scanSized is scan refusing documents of more than limit bytes.
func scanSized(name string, in io.Reader, opts Options, fast bool, limit int64,
	emit func(bankfile.Transaction) error,
) (*bankfile.File, error) {
	r := newReader(name, opts, emit)
	r.limit = limit

	text, err := decodeText(&source{r: in, limit: limit})
	if err != nil {
		r.syntax(err, 0)
	} else {
		r.text = text
		r.src = newStream(text, fast)
		r.walk()
	}

	if r.stopErr != nil {
		return nil, r.stopErr
	}

	return r.result()
}

func newReader(name string, opts Options, emit func(bankfile.Transaction) error) *reader {
	r := &reader{
		name: name,
		opts: opts,
		emit: emit,
		file: &bankfile.File{Name: name, Format: bankfile.FormatUnknown},
		seed: maphash.MakeSeed(),
	}

	for _, c := range opts.Lenient {
		switch c {
		case CheckBalances:
			r.lenientBalances = true
		case CheckSummary:
			r.lenientSummary = true
		}
	}

	return r
}

// result ends a read: the file, or the problems that reject it.
func (r *reader) result() (*bankfile.File, error) {
	if len(r.problems) > 0 {
		return nil, r.reject()
	}

	r.finish()

	return r.file, nil
}

// reader holds the state of one read.
type reader struct {
	name            string
	opts            Options
	lenientBalances bool
	lenientSummary  bool
	emit            func(bankfile.Transaction) error
	stopErr         error // from emit or the document's reader: ends the read
	text            *text
	src             *stream
	file            *bankfile.File
	problems        []bankfile.Problem
	dropped         int   // problems beyond maxProblems
	droppedWarnings int   // warnings beyond maxProblems
	mismatch        bool  // a control total did not reconcile
	limit           int64 // largest document accepted, in bytes
	seq             int
	keys            bankfile.Occurrences   // dedupe keys given, by hash, for occurrence ordinals
	seed            maphash.Seed           // of the hashes of keys and links
	buf             []byte                 // scratch buffer for element text
	stack           []*node                // scratch stack of open elements for tree
	marks           []int                  // scratch text marks for tree
	out             []byte                 // scratch texts of a subtree, see tree
	pend            []pendText             // scratch elements whose text is in out
	slab            []node                 // nodes to hand out, see newNode
	arena           arena                  // reused nodes for entries, see newNode
	account         string                 // the file's one account, see noteAccount
	accounts        int                    // accounts seen, counted up to two
	ccy             string                 // the file's one currency
	ccys            int                    // currencies seen, counted up to two
	exps            map[string]int         // decimals of the valid currencies seen
	txs             []bankfile.Transaction // scratch transactions of one entry
	dets            []detail               // scratch details of one entry
	checked         int                    // statements whose control totals were verified
	open            int                    // statements with entries whose totals were not verified
}

// maxProblems caps the problems and the warnings kept per file; the rest are
// counted in a last one.
const maxProblems = 200

func (r *reader) fail(line int, field, value, msg string) {
	if len(r.problems) >= maxProblems {
		r.dropped++
		return
	}

	r.problems = append(r.problems, bankfile.Problem{
		File: r.name, Line: line, Field: field, Value: value, Message: msg,
	})
}

func (r *reader) warn(line int, field, value, msg string) {
	if len(r.file.Warnings) >= maxProblems {
		r.droppedWarnings++
		return
	}

	r.file.Warnings = append(r.file.Warnings, bankfile.Problem{
		File: r.name, Line: line, Field: field, Value: value, Message: msg,
	})
}

// control reports a control total that does not reconcile: a problem, or a
// warning when the bank profile downgrades the check.
func (r *reader) control(st *statement, lenient bool, line int, field, value, msg string) {
	r.mismatch = true
	if lenient {
		st.mismatch = true
		r.warn(line, field, value, msg)

		return
	}

	r.fail(line, field, value, msg)
}

func (r *reader) reject() *bankfile.Error {
	format := r.file.Format
	if format == bankfile.FormatUnknown {
		format = bankfile.FormatCAMT053
	}

	ps := r.problems
	if r.dropped > 0 {
		ps = append(ps, bankfile.Problem{File: r.name, Field: "file", Message: fmt.Sprintf(
			"%d more problems of this file not listed", r.dropped)})
	}

	e := &bankfile.Error{File: r.name, Format: format, Problems: ps}
	if r.mismatch {
		e.Controls = bankfile.ControlsMismatch
	}

	return e
}

// errStop unwinds the walk once stopErr is set.
var errStop = errors.New("read stopped")

// pass hands a transaction to emit. Once the file has a problem it is going
// to be rejected, and nothing more is handed on.
func (r *reader) pass(t bankfile.Transaction) {
	if r.stopErr != nil || len(r.problems) > 0 {
		return
	}

	if err := r.emit(t); err != nil {
		r.stopErr = err
	}
}

// messages maps the camt message element to its format.
var messages = map[string]bankfile.Format{
	"BkToCstmrAcctRpt":      bankfile.FormatCAMT052,
	"BkToCstmrStmt":         bankfile.FormatCAMT053,
	"BkToCstmrDbtCdtNtfctn": bankfile.FormatCAMT054,
}

// walk reads tokens until the end of the document. It descends through any
// envelope (Document, a business application header wrapper, ...) until it finds
// a camt message element, and reads each message it finds.
func (r *reader) walk() {
	found, depth := false, 0

	for {
		line := r.src.line()

		t, err := r.src.next()
		if errors.Is(err, io.EOF) {
			break
		}

		if err != nil {
			r.syntax(err, line)
			return
		}

		switch t.kind {
		case tokDirective:
			if bytes.Contains(bytes.ToUpper(t.text), []byte("ENTITY")) {
				r.fail(line, "DOCTYPE", "", "entity declarations are not accepted")
				return
			}
		case tokEnd:
			depth--
		case tokStart:
			format, ok := messages[t.name]
			if !ok {
				if depth++; depth > maxDepth {
					r.fail(line, t.name, "", fmt.Sprintf("elements nested more than %d deep",
						maxDepth))
					return
				}

				continue
			}

			if found && format != r.file.Format {
				r.fail(line, t.name, "", "more than one kind of camt message in one file")
				return
			}

			found = true
			r.file.Format = format

			if err := r.message(); err != nil {
				r.syntax(err, r.src.line())
				return
			}
		}
	}

	if !found && len(r.problems) == 0 {
		r.fail(0, "Document", "", "no camt.052, camt.053 or camt.054 message found")
	}
}

// tokenError is a token too large to read, at the line where it starts.
type tokenError struct{ line int }

func (e *tokenError) Error() string { return errTokenTooLarge.Error() }

// syntax records the error that ended the walk at line: a problem of the
// document, or a failure of its reader that stops the read.
func (r *reader) syntax(err error, line int) {
	var (
		se *xml.SyntaxError
		te *tokenError
		de *decodeError
		re *readError
	)

	switch {
	case errors.Is(err, errStop):
	case errors.As(err, &re):
		r.stopErr = fmt.Errorf("read camt file %s: %w", r.name, re.err)
	case errors.Is(err, errFileTooLarge):
		r.fail(0, "file", "", fmt.Sprintf("file is larger than the %d bytes accepted", r.limit))
	case errors.As(err, &de):
		r.fail(0, "encoding", "", de.Error())
	case errors.As(err, &se):
		r.fail(se.Line, "xml", "", se.Msg)
	case errors.As(err, &te):
		r.fail(te.line, "xml", "", te.Error())
	default:
		r.fail(line, "xml", "", err.Error())
	}
}

// skip reads past the element just started, refusing nesting deeper than
// maxDepth: the decoder keeps a record per open element, so depth is memory.
func (r *reader) skip(name string) error {
	for depth := 1; depth > 0; {
		t, err := r.src.next()
		if err != nil {
			return err
		}

		switch t.kind {
		case tokStart:
			if depth++; depth > maxDepth {
				return fmt.Errorf("%s: elements nested more than %d deep", name, maxDepth)
			}
		case tokEnd:
			depth--
		}
	}

	return nil
}

// message reads the children of a message element: each Stmt, Rpt or Ntfctn is
// a statement; the group header and anything else are skipped.
func (r *reader) message() error {
	for {
		line := r.src.line()

		t, err := r.src.next()
		if err != nil {
			return err
		}

		switch t.kind {
		case tokEnd:
			return nil
		case tokStart:
			switch t.name {
			case "Stmt", "Rpt", "Ntfctn":
				if err := r.statement(line); err != nil {
					return err
				}
			default:
				if err := r.skip(t.name); err != nil {
					return err
				}
			}
		}
	}
}
