package bai2

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

const (
	// maxProblems caps the warnings and the rejection problems kept per file;
	// the rest are counted in a last problem.
	maxProblems = 200

	// maxPending caps a record with all its continuations, in bytes and in
	// number of 88 records.
	maxPending      = 1 << 20
	maxContinuation = 10_000

	// maxBalances caps File.Balances; further summaries are still added up.
	maxBalances = 100_000
)

// fileScope is an 01 file header up to its 99 trailer.
type fileScope struct {
	line    int
	records int64
	groups  int
	sum     int64 // group control totals as stated (computed when a 98 is missing)
}

// group is an 02 group header up to its 98 trailer.
type group struct {
	line     int
	records  int64
	accounts int
	sum      int64 // account control totals as stated (computed when a 49 is missing)
	currency string
	asOf     string    // as-of date as written, part of dedupe keys
	date     time.Time // as-of date, zero when unreadable
	final    bool      // as-of-date modifier 2 or 4: a final report of its day
}

// account is an 03 account identifier up to its 49 trailer.
type account struct {
	line     int
	group    *group
	number   string
	currency string
	exp      int
	records  int64
	total    int64 // every 03 summary amount and every 16 amount
	cr, db   int64 // 16 credits and debits that move money

	open, close, sum100, sum400     int64
	hasOpen, hasClose, has100, has4 bool
	closeLine                       int

	families map[int]int8 // deposit code -> which of deposit or items came first
}

// Which of a deposit and its items an account reported first.
const (
	depositFirst int8 = 1
	itemsFirst   int8 = 2
)

// pending is the last record read, held with its 88 continuations until the
// next record shows that none follows.
type pending struct {
	active bool
	code   int
	line   int
	buf    []byte
	ends   []int // end of each record's text in buf
	lines  []int
	ended  []bool // a '/' closed the record
	over   bool
}

func (pd *pending) start(code, line int, text []byte, ended bool) {
	pd.active, pd.code, pd.line, pd.over = true, code, line, false
	pd.buf = append(pd.buf[:0], text...)
	pd.ends = append(pd.ends[:0], len(pd.buf))
	pd.lines = append(pd.lines[:0], line)
	pd.ended = append(pd.ended[:0], ended)
}

func (pd *pending) add(text []byte, line int, ended bool) {
	if len(pd.buf)+len(text) > maxPending || len(pd.ends) > maxContinuation {
		pd.over = true
		return
	}

	pd.buf = append(pd.buf, text...)
	pd.ends = append(pd.ends, len(pd.buf))
	pd.lines = append(pd.lines, line)
	pd.ended = append(pd.ended, ended)
}

// parser holds the state of one Scan.
type parser struct {
	name    string
	opts    Options
	relaxed map[Check]bool
	ccy     string // currency when 02 and 03 name none
	emit    func(bankfile.Transaction) error
	emitErr error

	file     bankfile.File
	problems []bankfile.Problem
	dropped  int // rejection problems beyond maxProblems
	wdropped int // warnings beyond maxProblems

	lines *lines
	tok   tokenizer
	pend  pending
	parts []part
	texts []part // scratch for the text of a detail

	fs        *fileScope
	grp       *group
	acct      *account
	afterFile bool // a 99 closed the file: only an 01 may follow
	recLen    int  // physical record length the 01 states, 0 if none
	records   int

	seq  int
	keys bankfile.Occurrences
	key  []byte

	checked     int  // control comparisons that matched
	mismatch    bool // a relaxed control check failed
	missing     bool // a trailer or header is missing under a relaxed envelope
	controlFail bool // a strict control check failed
	strays      int

	account, currency string
	manyAccts         bool
	manyCcys          bool
}

func newParser(name string, opts Options, emit func(bankfile.Transaction) error) *parser {
	p := &parser{
		name:    name,
		opts:    opts,
		relaxed: map[Check]bool{},
		ccy:     "USD",
		emit:    emit,
		file: bankfile.File{
			Name: name, Format: bankfile.FormatBAI2, Controls: bankfile.ControlsNone,
		},
	}

	for _, c := range opts.WarnOnly {
		p.relaxed[c] = true
	}

	if opts.DefaultCurrency != "" {
		p.ccy = strings.ToUpper(strings.TrimSpace(opts.DefaultCurrency))
	}

	p.tok.record = p.record
	p.tok.stray = p.strayLine

	return p
}

// run reads the whole input and returns the file or the rejection.
func (p *parser) run(r io.Reader) (*bankfile.File, error) {
	if _, err := money.Exponent(p.ccy); err != nil {
		p.reject(0, "options default currency", p.ccy, "default currency is not an ISO 4217 code")
	}

	p.lines = newLines(r)
	aborted := false

	for {
		b, glued, ok := p.lines.next()
		if !ok {
			break
		}

		p.tok.feed(b, p.lines.line, glued)
		if p.emitErr != nil {
			return nil, fmt.Errorf("emit transaction: %w", p.emitErr)
		}
	}

	if err := p.lines.err(); err != nil {
		if !errors.Is(err, errLineTooLong) {
			return nil, fmt.Errorf("read bai2 file: %w", err)
		}

		line := p.lines.line + 1
		if p.lines.cut {
			line = p.lines.line
		}

		p.reject(line, "line", "", fmt.Sprintf("line holds %d bytes without a line break or a "+
			"'/' ending a record: not a BAI2 file", maxLine))
		aborted = true
	}

	if !aborted {
		p.tok.flush()
		p.finishPending()
		p.endOfInput()
	}

	if p.emitErr != nil {
		return nil, fmt.Errorf("emit transaction: %w", p.emitErr)
	}

	return p.result()
}

// result ends the scan: the file, or the problems that reject it.
func (p *parser) result() (*bankfile.File, error) {
	if len(p.problems) > 0 {
		probs := p.problems
		if p.dropped > 0 {
			probs = append(probs, bankfile.Problem{File: p.name, Field: "file",
				Message: strconv.Itoa(p.dropped) + " more problems of this file not listed"})
		}

		e := &bankfile.Error{File: p.name, Format: bankfile.FormatBAI2, Problems: probs}
		if p.controlFail {
			e.Controls = bankfile.ControlsMismatch
		}

		return nil, e
	}

	if p.tok.contLines > 0 {
		p.warn(0, "record", "", fmt.Sprintf("%d physical lines without a record code were read "+
			"as the continuation of the record before them", p.tok.contLines))
	}

	if p.strays > 10 {
		p.warn(0, "line", "", fmt.Sprintf("%d more lines without a record code skipped",
			p.strays-10))
	}

	if p.lines.controls {
		p.warn(0, "encoding", "", "control characters in the file were read as blanks")
	}

	if p.wdropped > 0 {
		p.file.Warnings = append(p.file.Warnings, bankfile.Problem{File: p.name, Field: "file",
			Message: strconv.Itoa(p.wdropped) + " more warnings of this file not listed"})
	}

	f := p.file
	f.Encoding = p.lines.encoding()

	switch {
	case p.mismatch:
		f.Controls = bankfile.ControlsMismatch
	case p.missing || p.checked == 0:
		f.Controls = bankfile.ControlsNone
	default:
		f.Controls = bankfile.ControlsOK
	}

	if !p.manyAccts {
		f.Account = p.account
	}

	if !p.manyCcys {
		f.Currency = p.currency
	}

	return &f, nil
}

func (p *parser) problem(line int, field, value, msg string) bankfile.Problem {
	return bankfile.Problem{File: p.name, Line: line, Field: field, Value: shorten(value),
		Message: msg}
}

// reject records a problem that rejects the file.
func (p *parser) reject(line int, field, value, msg string) {
	if len(p.problems) >= maxProblems {
		p.dropped++
		return
	}

	p.problems = append(p.problems, p.problem(line, field, value, msg))
}

// warn records a problem that does not stop the read.
func (p *parser) warn(line int, field, value, msg string) {
	if len(p.file.Warnings) >= maxProblems {
		p.wdropped++
		return
	}

	p.file.Warnings = append(p.file.Warnings, p.problem(line, field, value, msg))
}

// control records a failed control check: a rejection, or a warning when the
// bank profile relaxes the check.
func (p *parser) control(c Check, line int, field, value, msg string) {
	if !p.relaxed[c] {
		p.controlFail = true
		p.reject(line, field, value, msg)

		return
	}

	p.mismatch = true
	p.warn(line, field, value, msg+" (accepted: the bank profile relaxes "+string(c)+")")
}

// envelope records a missing header or trailer.
func (p *parser) envelope(line int, field, msg string) {
	if !p.relaxed[CheckEnvelope] {
		p.reject(line, field, "", msg)
		return
	}

	p.missing = true
	p.warn(line, field, "", msg+" (accepted: the bank profile relaxes envelope)")
}

// shorten keeps a problem's value to about one record.
func shorten(s string) string {
	const limit = 100

	n := 0
	for i := range s {
		if n == limit {
			return s[:i] + "..."
		}

		n++
	}

	return s
}

// strayLine is a physical line that belongs to no record.
func (p *parser) strayLine(line int, text []byte) {
	p.strays++
	if p.strays <= 10 {
		p.warn(line, "line", string(text),
			"line does not start with a BAI2 record code and continues no record: skipped")
	}
}

// record takes one logical record from the tokenizer.
func (p *parser) record(code, line int, text []byte, over, ended bool) {
	if p.emitErr != nil {
		return
	}

	p.records++

	if over {
		p.reject(line, "record", "", fmt.Sprintf("record longer than %d bytes", maxRecord))
	}

	if code != recContinuation {
		p.finishPending()
		p.pend.start(code, line, text, ended)

		return
	}

	if !p.pend.active {
		p.reject(line, "continuation", string(text),
			"continuation record (88) with no record before it to continue")
		p.count(1)

		return
	}

	p.pend.add(text, line, ended)
}

// full reports a record that fills the physical record length the file
// header states, without a '/' to end it: its text goes on in the next 88
// without a blank in between (a word may be cut there).
func (p *parser) full(text string, ended bool) bool {
	return p.recLen > 0 && !ended && strings.IndexByte(text, '\n') < 0 &&
		3+utf8.RuneCountInString(text) == p.recLen
}

// count adds n logical records to the open account, group and file.
func (p *parser) count(n int) {
	if p.acct != nil {
		p.acct.records += int64(n)
	}

	if p.grp != nil {
		p.grp.records += int64(n)
	}

	if p.fs != nil {
		p.fs.records += int64(n)
	}
}

// finishPending reads the held record with its continuations.
func (p *parser) finishPending() {
	pd := &p.pend
	if !pd.active {
		return
	}

	pd.active = false

	if pd.over {
		p.reject(pd.line, "record", "", fmt.Sprintf("record with its continuations longer "+
			"than %d bytes or %d records", maxPending, maxContinuation))
	}

	all := string(pd.buf)
	p.parts = p.parts[:0]
	start := 0

	for i, end := range pd.ends {
		text := all[start:end]
		p.parts = append(p.parts, part{text: text, line: pd.lines[i], full: p.full(text,
			pd.ended[i])})
		start = end
	}

	n := len(p.parts)
	c := newCursor(p.parts)

	if p.afterFile && pd.code != recFileHeader {
		p.reject(pd.line, "record", strconv.Itoa(pd.code),
			fmt.Sprintf("record %02d after the file trailer (99)", pd.code))

		return
	}

	switch pd.code {
	case recFileHeader:
		p.fileHeader(&c, pd.line, n)
	case recGroupHeader:
		p.groupHeader(&c, pd.line, n)
	case recAccount:
		p.accountHeader(&c, pd.line, n)
	case recDetail:
		if p.acct == nil {
			p.reject(pd.line, "transaction detail", "",
				"transaction detail (16) outside an account: no account identifier (03) before it")
			p.count(n)

			return
		}

		p.count(n)
		p.detail(&c, pd.line)
	case recAccountTrailer:
		p.accountTrailer(&c, pd.line, n)
	case recGroupTrailer:
		p.groupTrailer(&c, pd.line, n)
	case recFileTrailer:
		p.fileTrailer(&c, pd.line, n)
	}
}
