package mt940

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

// maxHeld is how many transactions of a statement are held back until the
// statement's controls are known, so that lines no control proves complete
// can be marked before anyone sees them. A longer statement passes the
// earlier ones on (memory stays bounded) and says so in a warning.
const maxHeld = 1024

// maxAccounts bounds the closing balances kept for continuity checks.
const maxAccounts = 4096

// maxBalances caps File.Balances; further balances are still checked.
const maxBalances = 100_000

// balanceNames says what each balance field states.
var balanceNames = map[string]string{
	"60F": "opening balance", "60M": "intermediate opening balance",
	"62F": "closing balance", "62M": "intermediate closing balance",
	"64": "closing available balance", "65": "forward available balance",
	"90D": "debit entries", "90C": "credit entries",
}

// scanner holds the state of one read.
type scanner struct {
	name    string
	opts    Options
	lenient map[Check]bool
	emit    func(bankfile.Transaction) error
	emitErr error
	fz      fielder
	lr      *lineReader

	msgType string                 // "940" or "942" from block 2 of the current message
	st      *statement             // the statement being read
	pend    pending                // the last :61:, waiting for its :86:
	held    []bankfile.Transaction // the statement's transactions held back

	problems []bankfile.Problem
	warnings []bankfile.Problem
	warned   map[string]bool // warnings given once per file

	seq      int
	keys     bankfile.Occurrences // dedupe keys seen, by hash, for occurrence counts
	account  one                  // the file's account, if it has only one
	currency one                  // the file's currency, if it has only one
	closes   map[string]balance   // last closing balance per account and currency

	moreProblems, moreWarnings int // beyond maxProblems, counted only

	balances      []bankfile.Balance // what the statements state, up to maxBalances
	failedControl bool               // a strict control check failed

	statements, mt942s int
	checked, open      int // statements proved by a control; with lines and none
	mismatched         int // statements whose lenient checks failed
}

// statement is one MT940 statement or MT942 report (one message, or one page
// of a multi-page statement).
type statement struct {
	line    int
	ref     string
	number  string
	account string
	ccy     currency
	mt942   bool
	fields  int

	open, close *balance

	bad                 bool // a line or balance was unreadable: totals are not checked
	lines               int  // :61: lines read
	sum                 int64
	nDebit, nCredit     int
	sumDebit, sumCredit int64

	totalD, totalC *total
	summary        *summary
	problem        string // why its lines are not proved, set on its credits

	passed int // transactions emitted before the statement closed
}

// pending is a :61: whose :86: may follow.
type pending struct {
	ok   bool
	line int
	l    line61
}

func newScanner(name string, opts Options, emit func(bankfile.Transaction) error) (
	*scanner, error,
) {
	s := &scanner{
		name:    name,
		opts:    opts,
		lenient: map[Check]bool{},
		emit:    emit,
		warned:  map[string]bool{},
		closes:  map[string]balance{},
	}

	for _, c := range opts.Lenient {
		s.lenient[c] = true
	}

	if opts.Currency != "" {
		if _, ok := lookupCurrency(opts.Currency); !ok {
			return nil, fmt.Errorf("read mt940: %w: %q", ErrOptionCurrency, opts.Currency)
		}
	}

	s.fz = fielder{s: s}

	return s, nil
}

// run reads every line of r.
func (s *scanner) run(r io.Reader) error {
	cs, csName, err := charsetFor(s.opts.Charset)
	if err != nil {
		return err
	}

	s.lr = newLineReader(r, cs, csName)

	for {
		text, ok := s.lr.next()
		if !ok {
			break
		}

		if s.lr.utf16 {
			s.fail(1, "encoding", "", "UTF-16 text is not an MT940 encoding")
			return nil
		}

		if s.lr.cut {
			s.fail(s.lr.n, "line", clip(text), fmt.Sprintf("line longer than %d bytes", maxLine))
		}

		s.fz.line(text, s.lr.n)

		if s.emitErr != nil {
			return s.emitErr
		}
	}

	if err := s.lr.err(); err != nil {
		return fmt.Errorf("read mt940: %w", err)
	}

	s.fz.finish()

	if s.emitErr != nil {
		return s.emitErr
	}

	if s.statements == 0 && len(s.problems) == 0 {
		s.fail(0, "file", "", "no MT940/MT942 fields found")
	}

	if s.lr.firstBad > 0 {
		s.warn(s.lr.firstBad, "encoding", "", "not valid UTF-8: read as "+s.lr.encoding())
	}

	return nil
}

// fail records a problem that rejects the file. Only the first maxProblems
// are kept, so a hostile file cannot fill memory with them.
func (s *scanner) fail(line int, field, value, msg string) {
	if len(s.problems) >= maxProblems {
		s.moreProblems++
		return
	}

	s.problems = append(s.problems, bankfile.Problem{
		File: s.name, Line: line, Field: field, Value: clip(value), Message: msg,
	})
}

// warn records a warning, the first maxProblems of them.
func (s *scanner) warn(line int, field, value, msg string) {
	if len(s.warnings) >= maxProblems {
		s.moreWarnings++
		return
	}

	s.warnings = append(s.warnings, bankfile.Problem{
		File: s.name, Line: line, Field: field, Value: clip(value), Message: msg,
	})
}

// one tracks whether a file names a single value (account, currency).
type one struct {
	value   string
	several bool
}

func (o *one) add(v string) {
	switch {
	case v == "" || o.value == v:
	case o.value == "":
		o.value = v
	default:
		o.several = true
	}
}

func (o *one) get() string {
	if o.several {
		return ""
	}

	return o.value
}

// check records a failed control check: a problem, or a warning when the bank
// profile downgrades it (the statement's lines then carry a Problem).
func (s *scanner) check(c Check, line int, field, value, msg string) {
	if !s.lenient[c] {
		s.failedControl = true
		s.fail(line, field, value, msg)

		return
	}

	s.warn(line, field, value, msg)

	if s.st != nil && s.st.problem == "" {
		s.st.problem = msg
	}
}

func (s *scanner) format() bankfile.Format {
	if s.statements > 0 && s.mt942s == s.statements {
		return bankfile.FormatMT942
	}

	return bankfile.FormatMT940
}

func (s *scanner) result() *bankfile.File {
	f := &bankfile.File{
		Name:     s.name,
		Format:   s.format(),
		Encoding: s.lr.encoding(),
		Warnings: more(s.warnings, s.moreWarnings),
		Balances: s.balances,
	}

	f.Account, f.Currency = s.account.get(), s.currency.get()

	switch {
	case s.mismatched > 0:
		f.Controls = bankfile.ControlsMismatch
	case s.checked > 0 && s.open == 0:
		f.Controls = bankfile.ControlsOK
	default:
		f.Controls = bankfile.ControlsNone
	}

	return f
}

// begin opens a statement.
func (s *scanner) begin(line int) {
	s.st = &statement{line: line, mt942: s.msgType == "942"}
}

// endMessage closes the statement of the message that just ended.
func (s *scanner) endMessage() {
	s.closeStatement()
	s.msgType = ""
}

// field handles one complete field.
func (s *scanner) field(f *field) {
	if f.tag != "86" && f.tag != "NS" {
		s.settle(nil)
	}

	if s.st == nil {
		s.begin(f.line)
	}

	st := s.st

	var text string
	if f.tag != "61" && f.tag != "86" {
		text = strings.TrimSpace(strings.Join(f.lines, ""))
	}

	switch f.tag {
	case "20":
		if st.fields > 0 {
			s.closeStatement()
			s.begin(f.line)
		}

		s.st.ref = text
	case "21":
	case "25", "25P":
		st.account, _ = normAccount(text)
	case "28", "28C":
		st.number = strings.ReplaceAll(text, " ", "")
	case "60F", "60M":
		if st.open != nil || st.close != nil || st.lines > 0 {
			// A new statement without its own :20: (files cut by hand).
			acct, ref := st.account, st.ref
			s.closeStatement()
			s.begin(f.line)
			s.st.account, s.st.ref = acct, ref
		}

		s.opening(f, text)
	case "61":
		s.entry(f)
	case "86":
		if s.pend.ok {
			s.settle(f)
		} else {
			s.statementInfo(f)
		}
	case "62F", "62M":
		s.closing(f, text)
	case "64", "65":
		b, err := parseBalance(text)
		if err != nil {
			s.warn(f.line, ":"+f.tag+":", text, err.Error())
			break
		}

		s.state(f.tag, f.line, b.minor, b.ccy.code, 0, b.date)
	case "34F":
		st.mt942 = true
		s.floor(f, text)
	case "13", "13D":
		st.mt942 = true
		s.dateTime(f, text)
	case "90D", "90C":
		st.mt942 = true
		s.total(f, text)
	default:
		if !s.warned[f.tag] {
			s.warned[f.tag] = true
			s.warn(f.line, ":"+f.tag+":", "", "field not part of MT940/MT942: skipped")
		}
	}

	if s.st != nil {
		s.st.fields++
	}
}

// opening reads :60F:/:60M: and checks that an intermediate page continues the
// previous page of its account.
func (s *scanner) opening(f *field, text string) {
	st := s.st

	b, err := parseBalance(text)
	if err != nil {
		s.fail(f.line, ":"+f.tag+":", text, err.Error())
		st.bad = true

		return
	}

	b.tag, b.line = f.tag, f.line
	st.open = &b
	st.ccy = b.ccy
	s.state(f.tag, f.line, b.minor, b.ccy.code, 0, b.date)

	prev, ok := s.closes[st.account+"|"+b.ccy.code]
	if !ok || prev.minor == b.minor {
		return
	}

	msg := fmt.Sprintf("opening balance %s %s differs from the closing balance %s of the "+
		"statement before (line %d)", formatSigned(b.minor, b.ccy), b.ccy.code,
		formatSigned(prev.minor, prev.ccy), prev.line)

	if f.tag == "60M" {
		s.check(CheckContinuity, f.line, ":60M:", text, msg)
		return
	}

	s.warn(f.line, ":60F:", text, msg+": a statement may be missing")
}

// state adds a balance or total of the current statement to File.Balances.
func (s *scanner) state(tag string, line int, minor int64, ccy string, items int,
	date time.Time,
) {
	if len(s.balances) >= maxBalances {
		return
	}

	s.balances = append(s.balances, bankfile.Balance{
		Account: s.st.account, Code: tag, Name: balanceNames[tag],
		Amount: money.New(minor, ccy), ItemCount: items, Date: date, Line: line,
	})
}

// closing reads :62F:/:62M:.
func (s *scanner) closing(f *field, text string) {
	st := s.st

	if st.close != nil {
		s.fail(f.line, ":"+f.tag+":", text, "second closing balance in one statement")
		return
	}

	b, err := parseBalance(text)
	if err != nil {
		s.fail(f.line, ":"+f.tag+":", text, err.Error())
		st.bad = true

		return
	}

	b.tag, b.line = f.tag, f.line
	st.close = &b
	s.state(f.tag, f.line, b.minor, b.ccy.code, 0, b.date)

	if st.ccy.code == "" {
		st.ccy = b.ccy
	} else if b.ccy.code != st.ccy.code {
		s.fail(f.line, ":"+f.tag+":", text, fmt.Sprintf(
			"closing balance in %s, the statement is in %s", b.ccy.code, st.ccy.code))
		st.bad = true
	}
}

// floor reads the MT942 floor limit :34F: ("EUR0,00" or "EURD0,00"), which
// gives the report its currency.
func (s *scanner) floor(f *field, text string) {
	if len(text) < 4 {
		s.fail(f.line, ":34F:", text, "floor limit must be a currency and an amount")
		return
	}

	c, ok := lookupCurrency(text[:3])
	if !ok {
		s.fail(f.line, ":34F:", text, money.CurrencyProblem(text[:3]))
		return
	}

	amt := strings.TrimLeft(text[3:], "DC")
	if digits(amt) && amt != "" {
		amt += "," // mBank writes "PLN0"
	}

	if _, err := parseAmount(amt, c.exp); err != nil {
		s.fail(f.line, ":34F:", text, err.Error())
		return
	}

	if s.st.ccy.code == "" {
		s.st.ccy = c
	}
}

// dateTime checks the MT942 :13D: date-time (YYMMDDhhmm and a zone offset).
func (s *scanner) dateTime(f *field, text string) {
	if len(text) < 10 || !digits(text[:10]) {
		s.warn(f.line, ":"+f.tag+":", text, "date-time must be YYMMDDhhmm")
		return
	}

	if _, err := yymmdd(text[:6]); err != nil {
		s.warn(f.line, ":"+f.tag+":", text, err.Error())
		return
	}

	if _, err := time.Parse("1504", text[6:10]); err != nil {
		s.warn(f.line, ":"+f.tag+":", text, "time must be hhmm")
	}
}

// total is an MT942 :90D:/:90C: number and sum of entries.
type total struct {
	line  int
	raw   string
	n     int
	minor int64
}

// total reads "3PLN0,03": a count, a currency and an amount.
func (s *scanner) total(f *field, text string) {
	i := 0
	for i < len(text) && text[i] >= '0' && text[i] <= '9' {
		i++
	}

	if i == 0 || i > 5 || len(text) < i+4 {
		s.fail(f.line, ":"+f.tag+":", text, "must be a count, a currency and an amount")
		s.st.bad = true

		return
	}

	c, ok := lookupCurrency(text[i : i+3])
	if !ok {
		s.fail(f.line, ":"+f.tag+":", text, money.CurrencyProblem(text[i:i+3]))
		s.st.bad = true

		return
	}

	minor, err := parseAmount(text[i+3:], c.exp)
	if err != nil {
		s.fail(f.line, ":"+f.tag+":", text, err.Error())
		s.st.bad = true

		return
	}

	switch s.st.ccy.code {
	case "":
		s.st.ccy = c
	case c.code:
	default:
		s.fail(f.line, ":"+f.tag+":", text, fmt.Sprintf("total in %s, the report is in %s",
			c.code, s.st.ccy.code))
		s.st.bad = true

		return
	}

	t := &total{line: f.line, raw: text, n: atoi(text[:i]), minor: minor}
	s.state(f.tag, f.line, minor, c.code, t.n, time.Time{})

	if f.tag == "90D" {
		s.st.totalD = t
	} else {
		s.st.totalC = t
	}
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}

	return n
}

// closeStatement settles the last line, runs the statement's controls, marks
// the lines no control proves and passes them on.
func (s *scanner) closeStatement() {
	s.settle(nil)

	st := s.st
	if st == nil {
		return
	}

	s.statements++
	if st.mt942 {
		s.mt942s++
	}

	s.account.add(st.account)
	s.currency.add(st.ccy.code)

	// A check the profile downgraded failed: the statement is not proved.
	verified := s.controls(st) && st.problem == ""

	switch {
	case verified:
		s.checked++
	case st.lines > 0:
		s.open++
		s.unproved(st)
	}

	if st.problem != "" {
		s.mismatched++
	}

	if st.account == "" && st.lines > 0 {
		s.noAccount(st)
	}

	s.pass(st)

	if st.close != nil {
		if len(s.closes) >= maxAccounts {
			clear(s.closes) // continuity is checked for the accounts seen lately
		}

		s.closes[st.account+"|"+st.close.ccy.code] = *st.close
	}

	s.st = nil
}

// unproved marks the credits of a statement no control proves and warns.
func (s *scanner) unproved(st *statement) {
	why := st.problem
	if why == "" {
		why = s.unprovedReason(st)
		s.warn(st.line, "statement", strings.TrimSpace(st.ref+" "+st.number), why)
	}

	s.markCredits(why)

	if st.passed > 0 {
		s.warn(st.line, "statement", st.ref, fmt.Sprintf(
			"%d lines of this statement were passed on before it proved unreconciled",
			st.passed))
	}
}

// noAccount marks the credits of a statement without :25: account: the money
// is real, but whose account received it the file does not say.
func (s *scanner) noAccount(st *statement) {
	const why = "statement has no account (:25:)"

	s.warn(st.line, "statement", strings.TrimSpace(st.ref+" "+st.number), why)
	s.markCredits(why)
}

// markCredits sets why as the Problem of the held payments received that
// have none, so they are never applied without a person looking.
func (s *scanner) markCredits(why string) {
	for i := range s.held {
		t := &s.held[i]
		if t.Direction == bankfile.Credit && t.Kind == bankfile.KindPayment && t.Problem == "" {
			t.Problem = why
		}
	}
}

func (s *scanner) unprovedReason(st *statement) string {
	switch {
	case st.mt942:
		return "interim report without :90D:/:90C: totals: its lines cannot be reconciled"
	case st.open == nil && st.close == nil:
		return "statement has no balances: its lines cannot be reconciled"
	case st.open == nil:
		return "statement has no opening balance: its lines cannot be reconciled"
	default:
		return "statement has no closing balance: its lines cannot be reconciled"
	}
}

// controls runs the checks a statement offers and reports whether at least one
// proved it and none failed. Statements with unreadable parts were rejected
// already; their totals are not compared.
func (s *scanner) controls(st *statement) bool {
	if st.bad {
		return false
	}

	proved, failed := 0, false

	if st.open != nil && st.close != nil {
		want := st.open.minor + st.sum
		if want == st.close.minor {
			proved++
		} else {
			failed = true
			s.check(CheckBalances, st.close.line, ":"+st.close.tag+":", st.close.raw,
				fmt.Sprintf("closing balance %s %s ≠ opening %s + lines %s = %s",
					formatSigned(st.close.minor, st.ccy), st.ccy.code,
					formatSigned(st.open.minor, st.ccy), formatSigned(st.sum, st.ccy),
					formatSigned(want, st.ccy)))
		}
	}

	ok, n := s.totals(st)
	proved += n
	failed = failed || !ok

	if st.summary != nil {
		p, f := s.summaryCheck(st)
		if p {
			proved++
		}

		failed = failed || f
	}

	return proved > 0 && !failed
}

// totals compares MT942 :90D:/:90C: with the lines. A report is proved when
// every side that has lines has its total.
func (s *scanner) totals(st *statement) (ok bool, proved int) {
	if st.totalD == nil && st.totalC == nil {
		return true, 0
	}

	ok = true

	for _, side := range []struct {
		tag   string
		t     *total
		n     int
		minor int64
	}{
		{"90D", st.totalD, st.nDebit, st.sumDebit},
		{"90C", st.totalC, st.nCredit, st.sumCredit},
	} {
		if side.t == nil {
			if side.n > 0 {
				return ok, 0
			}

			continue
		}

		if side.t.n != side.n || side.t.minor != side.minor {
			ok = false
			s.check(CheckTotals, side.t.line, ":"+side.tag+":", side.t.raw, fmt.Sprintf(
				"states %d entries of %s %s, the lines are %d of %s", side.t.n,
				formatSigned(side.t.minor, st.ccy), st.ccy.code, side.n,
				formatSigned(side.minor, st.ccy)))
		}
	}

	if !ok {
		return false, 0
	}

	return true, 1
}

// pass emits the statement's held transactions.
func (s *scanner) pass(st *statement) {
	for _, t := range s.held {
		s.out(t)
	}

	st.passed += len(s.held)
	clear(s.held)
	s.held = s.held[:0]
}

// out hands one transaction to emit, unless the file is already rejected.
func (s *scanner) out(t bankfile.Transaction) {
	if len(s.problems) > 0 || s.emitErr != nil {
		return
	}

	s.seq++
	t.Seq = s.seq

	if err := s.emit(t); err != nil {
		s.emitErr = err
	}
}

// hold keeps a transaction until its statement closes.
func (s *scanner) hold(t bankfile.Transaction) {
	st := s.st
	s.held = append(s.held, t)

	if len(s.held) >= maxHeld {
		s.pass(st)
	}
}
