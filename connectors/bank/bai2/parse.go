package bai2

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

const (
	// maxProblems caps the warnings and the rejection problems kept per file;
	// the rest are counted in a last problem.
	maxProblems = 200

	// maxPending caps a record with all its continuations.
	maxPending = 1 << 20

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
	over   bool
}

func (pd *pending) start(code, line int, text []byte) {
	pd.active, pd.code, pd.line, pd.over = true, code, line, false
	pd.buf = append(pd.buf[:0], text...)
	pd.ends = append(pd.ends[:0], len(pd.buf))
	pd.lines = append(pd.lines[:0], line)
}

func (pd *pending) add(text []byte, line int) {
	if len(pd.buf)+len(text) > maxPending {
		pd.over = true
		return
	}

	pd.buf = append(pd.buf, text...)
	pd.ends = append(pd.ends, len(pd.buf))
	pd.lines = append(pd.lines, line)
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

	fs        *fileScope
	grp       *group
	acct      *account
	afterFile bool // a 99 closed the file: only an 01 may follow
	records   int

	seq  int
	keys map[uint64]uint32
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
		keys:    map[uint64]uint32{},
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
func (p *parser) record(code, line int, text []byte, over bool) {
	if p.emitErr != nil {
		return
	}

	p.records++

	if over {
		p.reject(line, "record", "", fmt.Sprintf("record longer than %d bytes", maxRecord))
	}

	if code != recContinuation {
		p.finishPending()
		p.pend.start(code, line, text)

		return
	}

	if !p.pend.active {
		p.reject(line, "continuation", string(text),
			"continuation record (88) with no record before it to continue")
		p.count(1)

		return
	}

	p.pend.add(text, line)
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
			"than %d bytes", maxPending))
	}

	all := string(pd.buf)
	p.parts = p.parts[:0]
	start := 0

	for i, end := range pd.ends {
		p.parts = append(p.parts, part{text: all[start:end], line: pd.lines[i]})
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

func (p *parser) fileHeader(c *cursor, line, n int) {
	if p.fs != nil {
		p.closeScopes(line)
		p.envelope(line, "file trailer", fmt.Sprintf("file header (01) while the file begun "+
			"on line %d has no file trailer (99)", p.fs.line))
	}

	p.afterFile = false
	p.fs = &fileScope{line: line}
	p.count(n)

	c.value() // sender
	c.value() // receiver

	if d := c.value(); d != "" {
		if _, ok := parseDate(d); !ok {
			p.warn(line, "file header creation date", d, "creation date is not YYMMDD")
		}
	}

	for range 4 { // creation time, file id, record length, block size
		c.value()
	}

	if v := c.value(); v != "2" {
		p.warn(line, "file header version", v,
			"version number is not 2: read as BAI2 version 2")
	}
}

func (p *parser) groupHeader(c *cursor, line, n int) {
	if p.acct != nil {
		p.missingAccountTrailer(line)
	}

	if p.grp != nil {
		p.envelope(line, "group trailer", fmt.Sprintf("group header (02) while the group begun "+
			"on line %d has no group trailer (98)", p.grp.line))
		p.closeGroup(0, false)
	}

	if p.fs == nil {
		p.envelope(line, "file header", "group header (02) without a file header (01)")
		p.fs = &fileScope{line: line}
	}

	g := &group{line: line}
	p.grp = g
	p.fs.groups++
	p.count(n)

	c.value() // ultimate receiver
	c.value() // originator

	switch st := c.value(); st {
	case "", "1":
	case "2":
		p.reject(line, "group status", st, "group status 2 (deletion) asks to delete data "+
			"sent earlier: not read, handle it by hand")
	case "3":
		p.warn(line, "group status", st, "group status 3: the group corrects data sent earlier")
	case "4":
		p.reject(line, "group status", st, "group status 4: test data, not read")
	default:
		p.warn(line, "group status", st, "group status is not 1, 2, 3 or 4")
	}

	g.asOf = c.value()
	if d, ok := parseDate(g.asOf); ok {
		g.date = d
	} else {
		p.warn(line, "group as-of date", g.asOf, "as-of date is not YYMMDD")
	}

	c.value() // as-of time

	g.currency = p.ccy
	if ccy := c.value(); ccy != "" {
		g.currency, _ = p.currencyOf(line, "group currency", ccy)
	}

	switch mod := c.value(); mod {
	case "2", "4":
		g.final = true
	case "", "1", "3":
	default:
		p.warn(line, "group as-of-date modifier", mod, "as-of-date modifier is not 1, 2, 3 or 4")
	}
}

// currencyOf validates an ISO 4217 code and returns it upper-cased with its
// number of decimals.
func (p *parser) currencyOf(line int, field, code string) (string, int) {
	code = strings.ToUpper(code)

	exp, err := money.Exponent(code)
	if err != nil || len(code) != 3 {
		p.reject(line, field, code, "currency is not an ISO 4217 code: the implied decimals "+
			"of its amounts are unknown")

		return code, 2
	}

	return code, exp
}

func (p *parser) accountHeader(c *cursor, line, n int) {
	if p.acct != nil {
		p.missingAccountTrailer(line)
	}

	if p.grp == nil {
		p.envelope(line, "group header", "account identifier (03) without a group header (02)")

		if p.fs == nil {
			p.fs = &fileScope{line: line}
		}

		p.grp = &group{line: line, currency: p.ccy}
		p.fs.groups++
	}

	a := &account{line: line, group: p.grp}
	p.acct = a
	p.grp.accounts++
	p.count(n)

	a.number = c.value()
	if a.number == "" {
		p.reject(line, "account number", "", "account identifier (03) without an account number")
	}

	a.currency, a.exp = p.grp.currency, 2
	if exp, err := money.Exponent(a.currency); err == nil {
		a.exp = exp
	}

	if ccy := c.value(); ccy != "" {
		a.currency, a.exp = p.currencyOf(line, "account currency", ccy)
	}

	p.summaries(c, a)
	p.noteAccount(a)
}

func (p *parser) noteAccount(a *account) {
	if p.account == "" && !p.manyAccts {
		p.account = a.number
	} else if p.account != a.number {
		p.manyAccts = true
	}

	if p.currency == "" && !p.manyCcys {
		p.currency = a.currency
	} else if p.currency != a.currency {
		p.manyCcys = true
	}
}

// summaries reads the summary tuples of an 03 and its continuations: type code,
// amount, item count, funds type and the fields the funds type adds. Empty
// fields where a type code belongs (an empty tuple, or the empty last field of
// a record ending ",/") are skipped.
func (p *parser) summaries(c *cursor, a *account) {
	for {
		f, ok := c.next()
		if !ok {
			return
		}

		raw := f.value()
		if raw == "" {
			continue
		}

		code, ok := parseTypeCode(raw)
		if !ok {
			p.reject(f.line, "summary type code", raw,
				"summary type code is not a number of up to three digits")
			return
		}

		amt, _ := c.next()
		items := c.value()

		fu, ok := p.funds(c, f.line, "summary")
		if !ok {
			return
		}

		p.summary(a, code, amt, items, fu)
	}
}

// summary takes one summary tuple of account a.
func (p *parser) summary(a *account, code int, amt field, items string, fu funds) {
	count := 0
	if items != "" {
		n, ok := parseCount(items)
		if !ok {
			p.warn(amt.line, "summary item count", items, "item count is not a number")
		}

		count = n
	}

	raw := amt.value()
	if raw == "" {
		return
	}

	n, ok := parseAmount(raw)
	if !ok {
		p.reject(amt.line, "summary amount", raw, fmt.Sprintf("summary %03d amount is not a "+
			"number of minor units (digits with an optional sign, no decimal point)", code))

		return
	}

	a.total += n

	if fu.hasDist && fu.dist != n {
		p.warn(amt.line, "summary funds distribution", raw, fmt.Sprintf(
			"summary %03d: availability amounts add up to %s, not %s", code,
			money.FormatMinor(fu.dist, a.exp), money.FormatMinor(n, a.exp)))
	}

	switch {
	case code == 10 && !a.hasOpen:
		a.open, a.hasOpen = n, true
	case code == 15 && !a.hasClose:
		a.close, a.hasClose, a.closeLine = n, true, amt.line
	case code == 100 && !a.has100:
		a.sum100, a.has100 = n, true
	case code == 400 && !a.has4:
		a.sum400, a.has4 = n, true
	}

	if len(p.file.Balances) >= maxBalances {
		return
	}

	p.file.Balances = append(p.file.Balances, bankfile.Balance{
		Account:   a.number,
		Code:      fmt.Sprintf("%03d", code),
		Name:      balanceNames[code],
		Amount:    money.New(n, a.currency),
		ItemCount: count,
		Date:      a.group.date,
		Line:      amt.line,
	})
}

// funds is a funds type with what its extra fields say.
type funds struct {
	typ       byte      // 0 when blank
	valueDate time.Time // funds type V
	dist      int64     // S or D: the availability amounts added up
	hasDist   bool
}

// funds reads a funds type and the fields it adds. An unknown funds type
// rejects the file: the fields after it cannot be placed.
func (p *parser) funds(c *cursor, line int, where string) (funds, bool) {
	var out funds

	v := strings.ToUpper(c.value())

	switch v {
	case "":
		return out, true
	case "0", "1", "2", "Z":
		out.typ = v[0]
		return out, true
	case "S":
		out.typ = 'S'
		for range 3 {
			p.distAmount(&out, c.value(), line, where)
		}
	case "V":
		out.typ = 'V'
		d := c.value()
		c.value() // value time

		date, ok := parseDate(d)
		if !ok {
			p.warn(line, where+" value date", d, "value date of funds type V is not YYMMDD")
		}

		out.valueDate = date
	case "D":
		out.typ = 'D'
		raw := c.value()

		n, ok := parseCount(raw)
		if !ok || n > 1000 {
			p.reject(line, where+" funds distribution count", raw,
				"number of distributions of funds type D is not a number up to 1000")
			return out, false
		}

		for range n {
			if days := c.value(); days != "" {
				if _, ok := parseCount(days); !ok {
					p.warn(line, where+" funds distribution days", days,
						"availability days are not a number")
				}
			}

			p.distAmount(&out, c.value(), line, where)
		}
	default:
		p.reject(line, where+" funds type", v, "funds type is not 0, 1, 2, S, V, D or Z: "+
			"the fields after it cannot be placed")

		return out, false
	}

	return out, true
}

func (p *parser) distAmount(out *funds, raw string, line int, where string) {
	if raw == "" {
		return
	}

	n, ok := parseAmount(raw)
	if !ok {
		p.reject(line, where+" availability amount", raw,
			"availability amount is not a number of minor units")
		return
	}

	out.dist += n
	out.hasDist = true
}

func (p *parser) accountTrailer(c *cursor, line, n int) {
	a := p.acct
	if a == nil {
		p.reject(line, "account trailer", "",
			"account trailer (49) without an account identifier (03)")
		p.count(n)

		return
	}

	p.count(n)

	label := "account " + a.number
	stated, ok := p.compare(CheckAccountTotal, line, "account trailer control total",
		c.value(), a.total, a.currency, a.exp,
		label+": control total %s != %s, the sum of its 03 summary and 16 detail amounts")
	p.compare(CheckAccountRecords, line, "account trailer number of records", c.value(),
		a.records, "", 0, label+": number of records %s != %s records from its 03 to its 49")

	p.closeAccount(stated, ok)
}

// compare checks a stated figure of a trailer against what the records add up
// to. format has two %s: stated, computed. ccy says how to show a money
// figure; "" shows a count. It returns the stated figure and whether it could
// be read.
func (p *parser) compare(c Check, line int, fieldName, raw string, want int64, ccy string,
	exp int, format string,
) (int64, bool) {
	got, ok := parseAmount(raw)
	if !ok {
		p.control(c, line, fieldName, raw, "not a number")
		return 0, false
	}

	if got == want {
		p.checked++
		return got, true
	}

	show := func(n int64) string {
		if ccy == "" {
			return strconv.FormatInt(n, 10)
		}

		return money.FormatMinor(n, exp) + " " + ccy
	}

	p.control(c, line, fieldName, raw, fmt.Sprintf(format, show(got), show(want)))

	return got, true
}

func (p *parser) missingAccountTrailer(line int) {
	p.envelope(line, "account trailer", fmt.Sprintf("account %s (line %d) has no account "+
		"trailer (49)", p.acct.number, p.acct.line))
	p.closeAccount(0, false)
}

// closeAccount ends the open account: its control total (stated, or computed
// when it has no readable trailer) counts towards the group's.
func (p *parser) closeAccount(stated int64, ok bool) {
	a := p.acct
	if ok {
		a.group.sum += stated
	} else {
		a.group.sum += a.total
	}

	p.checkBalances(a)
	p.acct = nil
}

func (p *parser) groupTrailer(c *cursor, line, n int) {
	if p.acct != nil {
		p.missingAccountTrailer(line)
	}

	g := p.grp
	if g == nil {
		p.reject(line, "group trailer", "", "group trailer (98) without a group header (02)")
		p.count(n)

		return
	}

	p.count(n)

	label := "group of line " + strconv.Itoa(g.line)
	stated, ok := p.compare(CheckGroupTotal, line, "group trailer control total", c.value(),
		g.sum, "", 0, label+": control total %s != %s, the sum of its account control totals")
	p.compare(CheckGroupAccounts, line, "group trailer number of accounts", c.value(),
		int64(g.accounts), "", 0, label+": number of accounts %s != %s accounts (03) in it")
	p.compare(CheckGroupRecords, line, "group trailer number of records", c.value(),
		g.records, "", 0, label+": number of records %s != %s records from its 02 to its 98")

	p.closeGroup(stated, ok)
}

func (p *parser) closeGroup(stated int64, ok bool) {
	if p.fs != nil {
		if ok {
			p.fs.sum += stated
		} else {
			p.fs.sum += p.grp.sum
		}
	}

	p.grp = nil
}

func (p *parser) fileTrailer(c *cursor, line, n int) {
	if p.acct != nil {
		p.missingAccountTrailer(line)
	}

	if p.grp != nil {
		p.envelope(line, "group trailer", fmt.Sprintf("group begun on line %d has no group "+
			"trailer (98)", p.grp.line))
		p.closeGroup(0, false)
	}

	f := p.fs
	if f == nil {
		p.reject(line, "file trailer", "", "file trailer (99) without a file header (01)")
		return
	}

	p.count(n)

	p.compare(CheckFileTotal, line, "file trailer control total", c.value(), f.sum, "", 0,
		"file control total %s != %s, the sum of its group control totals")
	p.compare(CheckFileGroups, line, "file trailer number of groups", c.value(),
		int64(f.groups), "", 0, "number of groups %s != %s groups (02) in the file")
	p.compare(CheckFileRecords, line, "file trailer number of records", c.value(),
		f.records, "", 0, "number of records %s != %s records from the 01 to the 99")

	p.fs = nil
	p.afterFile = true
}

// closeScopes ends an open account and group without their trailers.
func (p *parser) closeScopes(line int) {
	if p.acct != nil {
		p.missingAccountTrailer(line)
	}

	if p.grp != nil {
		p.envelope(line, "group trailer", fmt.Sprintf("group begun on line %d has no group "+
			"trailer (98)", p.grp.line))
		p.closeGroup(0, false)
	}
}

// endOfInput checks that the input ended where a file may end.
func (p *parser) endOfInput() {
	if p.records == 0 {
		p.reject(0, "file", "", "file holds no BAI2 records")
		return
	}

	line := p.lines.line
	p.closeScopes(line)

	if p.fs != nil {
		p.envelope(line, "file trailer", "file has no file trailer (99): it may be cut short")
		p.fs = nil
	}
}

// checkBalances reconciles an account's ledger balances with its details:
// opening ledger (010) + credits - debits = closing ledger (015). The check
// applies when the file holds the account's whole day: its total credits (100)
// and total debits (400) equal the details (a missing one counts when there
// are no details of its side), or it states neither but its group is a final
// report (as-of-date modifier 2 or 4). Otherwise a difference only warns.
func (p *parser) checkBalances(a *account) {
	show := func(n int64) string { return money.FormatMinor(n, a.exp) + " " + a.currency }

	credits := p.detailed(a, "credits", "100", a.has100, a.sum100, a.cr)
	debits := p.detailed(a, "debits", "400", a.has4, a.sum400, a.db)

	if !a.hasOpen || !a.hasClose {
		return
	}

	whole := credits && debits && (a.has100 || a.has4 || a.group.final)
	got := a.open + a.cr - a.db

	if got == a.close {
		if whole {
			p.checked++
		}

		return
	}

	msg := fmt.Sprintf("account %s: opening ledger %s + credits %s - debits %s = %s, but the "+
		"closing ledger (015) is %s", a.number, show(a.open), show(a.cr), show(a.db), show(got),
		show(a.close))

	if whole {
		p.control(CheckBalances, a.closeLine, "closing ledger (015)", "", msg)
		return
	}

	p.warn(a.closeLine, "closing ledger (015)", "", msg+"; the file does not show that it "+
		"details the whole day")
}

// detailed reports whether a summary total (100 or 400) equals the details of
// its side, and warns when it does not. Without the summary, a side without
// details counts as detailed.
func (p *parser) detailed(a *account, side, code string, has bool, sum, got int64) bool {
	if !has {
		return got == 0 || a.group.final
	}

	if sum == got {
		return true
	}

	p.warn(a.line, "summary total "+side+" ("+code+")", "", fmt.Sprintf("account %s: total "+
		"%s %s != %s in its detail records: the file does not detail every one", a.number, side,
		money.FormatMinor(sum, a.exp)+" "+a.currency, money.FormatMinor(got, a.exp)+" "+a.currency))

	return false
}
