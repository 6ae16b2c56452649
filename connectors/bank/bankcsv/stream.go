package bankcsv

import (
	"fmt"
	"strings"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

// Bounds of the rows held back until the file shows how to read them.
const (
	// warmRows are read before the first row is processed, so that a column of
	// debit/credit words is recognised from more than one row.
	warmRows = 100
	// maxPendingRows and maxPendingBytes bound the rows held back while the
	// decimal mark or the day/month order is still open.
	maxPendingRows  = 100_000
	maxPendingBytes = 16 << 20
	// maxListed bounds the problems and the warnings listed; the rest are counted.
	maxListed = 1000
)

// scan is the state of one read.
type scan struct {
	name    string
	emit    func(bankfile.Transaction) error
	emitErr error
	file    *bankfile.File

	problems     []bankfile.Problem
	moreProblems int
	moreWarnings int
	fatal        bool // no further row can be read

	set         *settings
	delimiter   rune
	lay         *layout
	headerLine  int
	width       int    // cells of the header row
	metaAccount string // from the metadata rows
	currency    string // from the profile or the metadata rows

	decimal     byte
	order       DateOrder
	dot, comma  *bankfile.Problem // first amounts proving a decimal mark
	unsure      *bankfile.Problem // first amount that fits both marks
	orderFrom   *bankfile.Problem // the date that decided the order
	either      *bankfile.Problem // first date that fits both orders
	sampleDate  string
	debitNeg    int // the first non-zero debit: 1 written negative, -1 positive
	creditWords map[string]bool
	debitWords  map[string]bool

	warm       bool
	queue      []pending
	qhead      int
	queueBytes int

	seq       int
	exponents map[string]int // minor-unit digits by currency code, -1 for unknown codes
	keys      occurrences
	keyer     keyer
	balances  balances
	common    common
}

// pending is a data row held back until the decisions it needs are made.
type pending struct {
	rec         record
	size        int
	needDecimal bool // an amount fits both decimal marks
	needOrder   bool // a date fits both day/month orders
}

func newScan(name string, emit func(bankfile.Transaction) error) *scan {
	return &scan{
		name: name,
		emit: emit,
		file: &bankfile.File{
			Name: name, Format: bankfile.FormatCSV, Controls: bankfile.ControlsNone,
		},
		keys: newOccurrences(),
	}
}

func (s *scan) fail(line int, field, value, msg string) {
	if len(s.problems) >= maxListed {
		s.moreProblems++
		return
	}

	s.problems = append(s.problems, bankfile.Problem{
		File: s.name, Line: line, Field: field, Value: value, Message: msg,
	})
}

func (s *scan) warn(line int, field, value, msg string) {
	if len(s.file.Warnings) >= maxListed {
		s.moreWarnings++
		return
	}

	s.file.Warnings = append(s.file.Warnings, bankfile.Problem{
		File: s.name, Line: line, Field: field, Value: value, Message: msg,
	})
}

func (s *scan) reject() *bankfile.Error {
	sortProblems(s.problems)

	if s.moreProblems > 0 {
		s.problems = append(s.problems, bankfile.Problem{File: s.name, Field: "file",
			Message: fmt.Sprintf("and %d more problems not listed", s.moreProblems)})
	}

	return &bankfile.Error{File: s.name, Format: bankfile.FormatCSV, Problems: s.problems,
		Profile: s.profileText()}
}

// header maps the header row and reads the metadata rows before it.
func (s *scan) header(rec record, pre []record) {
	s.headerLine, s.width = rec.line, len(rec.cells)

	acct, ccy := metadata(pre)
	s.metaAccount = acct
	s.currency = firstOf(s.set.currency, ccy)

	lay, ok, missing := newLayout(rec.cells, s.set)
	for _, n := range missing {
		s.fail(rec.line, "header", n, fmt.Sprintf("bank profile %q names a column the header "+
			"lacks", s.set.name))
	}

	if !ok && len(missing) == 0 {
		s.fail(rec.line, "header", "", "no date column and amount column in the header row")
	}

	s.lay = lay
	s.fatal = len(s.problems) > 0
	s.decimal, s.order = s.set.decimal, s.set.order
	s.warm = true

	if len(s.set.layouts) > 0 {
		s.order = s.set.layouts[0].order()
	}

	s.creditWords, s.debitWords = s.set.creditVals, s.set.debitVals
	if s.creditWords == nil {
		s.creditWords, s.debitWords = creditWords, map[string]bool{}
		for w := range indicatorWords {
			if !creditWords[w] {
				s.debitWords[w] = true
			}
		}
	}
}

// data takes one data row: summary rows and rows wider than the header are
// dealt with at once, the others queued until the file shows how to read them.
func (s *scan) data(rec record) {
	if blank(rec.cells) {
		return
	}

	if s.isFooter(rec.cells) {
		s.warn(rec.line, "", firstCell(rec.cells), "summary row skipped")
		return
	}

	if s.tooWide(rec) {
		return
	}

	p, ok := s.observe(rec)
	if !ok {
		return
	}

	s.queue = append(s.queue, p)
	s.queueBytes += p.size

	if s.warm && len(s.queue)-s.qhead < warmRows && s.queueBytes < maxPendingBytes {
		return
	}

	s.flush(false)
}

// flush processes the queued rows whose decisions are made, in file order.
// At the end of the file, or when the queue is full, a decision still open is
// a rejection: the file does not say how to read those rows.
func (s *scan) flush(atEnd bool) {
	if s.warm {
		s.warm = false
		s.settle()
	}

	for !s.fatal && s.emitErr == nil && s.qhead < len(s.queue) {
		p := &s.queue[s.qhead]

		waitDecimal := p.needDecimal && s.decimal == 0
		waitOrder := p.needOrder && s.order == DateAuto

		if waitDecimal || waitOrder {
			full := len(s.queue)-s.qhead >= maxPendingRows || s.queueBytes >= maxPendingBytes
			if !atEnd && !full {
				return
			}

			s.undecided(waitDecimal, waitOrder, atEnd)

			break
		}

		rec := p.rec
		s.queueBytes -= p.size
		s.queue[s.qhead] = pending{}
		s.qhead++

		if s.qhead == len(s.queue) {
			s.queue, s.qhead = s.queue[:0], 0
		}

		s.row(rec)
	}

	if s.fatal {
		s.queue, s.qhead, s.queueBytes = nil, 0, 0
	}
}

// undecided rejects a file whose rows fit two readings with nothing to choose.
func (s *scan) undecided(decimal, order, atEnd bool) {
	scope := "every %s of the file"
	if !atEnd {
		scope = fmt.Sprintf("every %%s of the first %d rows (the most held back)",
			len(s.queue)-s.qhead)
	}

	if decimal {
		u := s.unsure
		s.fail(u.Line, u.Field, u.Value, "decimal mark ambiguous: "+
			fmt.Sprintf(scope, "amount")+" with a separator fits both a decimal mark and a "+
			"thousands separator; set the decimal mark in a bank profile")
	}

	if order {
		e := s.either
		hint := ""

		if s.decimal == ',' {
			hint = " (the decimal comma suggests DD/MM/YYYY)"
		}

		s.fail(e.Line, e.Field, e.Value, "date format ambiguous: "+fmt.Sprintf(scope, "date")+
			" fits both DD/MM/YYYY and MM/DD/YYYY; set the date order in a bank profile"+hint)
	}

	s.fatal = true
}

// settle is called once, before the first row is processed: it recognises a
// column of debit/credit words among the rows read so far and checks that the
// file has the columns its sign convention needs.
func (s *scan) settle() {
	sign := s.set.sign
	if !s.set.mapsMoney && (sign == "" || sign == signIndicator) {
		cells := make([][]string, 0, len(s.queue)-s.qhead)
		for _, p := range s.queue[s.qhead:] {
			cells = append(cells, p.rec.cells)
		}

		s.lay.promoteIndicator(cells)
	}

	l := s.lay
	hasAmount := l.has(roleAmount) || l.has(roleGross) || l.has(roleNet)

	var need string

	switch {
	case sign == signIndicator && (!l.has(roleAmount) || !l.has(roleIndicator)):
		need = "an amount column and a debit/credit indicator column"
	case sign == signAmount && !hasAmount:
		need = "an amount column"
	case sign == signDebitCredit && !l.has(roleDebit) && !l.has(roleCredit):
		need = "a debit or a credit column"
	}

	if need != "" {
		s.fail(s.headerLine, "header", "", fmt.Sprintf("bank profile %q reads signs as %s, "+
			"which needs %s", s.set.name, sign, need))
		s.fatal = true
	}
}

// observe collects what the row shows about the decimal mark and the day/month
// order, deciding each with the first row that proves it. A row that
// contradicts an earlier decision is a problem, and ok is false.
func (s *scan) observe(rec record) (p pending, ok bool) {
	p = pending{rec: rec, size: 64}
	for _, c := range rec.cells {
		p.size += len(c) + 16
	}

	ok = true

	if !s.lay.has(roleCurrency) && s.currency == "" && !s.hasCellCurrency(rec.cells) {
		s.noCurrency()
		return p, false
	}

	if s.set.decimal == 0 {
		for _, ro := range amountRoles {
			v := s.lay.cell(rec.cells, ro)
			if v == "" {
				continue
			}

			body, _, _, err := cleanNumber(v)
			if err != nil {
				continue // reported with the row
			}

			at := cellRef{line: rec.line, role: ro, value: v}

			switch mark, sure := decimalMark(body); {
			case sure:
				ok = s.decideDecimal(mark, at) && ok
			case strings.ContainsAny(body, ".,"):
				p.needDecimal = true
				if s.unsure == nil {
					s.unsure = s.evidence(at)
				}
			}
		}
	}

	for _, ro := range []role{roleDate, roleValueDate} {
		v := s.lay.cell(rec.cells, ro)
		if v == "" {
			continue
		}

		if s.sampleDate == "" {
			s.sampleDate = v
		}

		if len(s.set.layouts) > 0 || s.set.order != DateAuto {
			continue
		}

		d, err := splitDate(v)
		if err != nil {
			continue // reported with the row
		}

		at := cellRef{line: rec.line, role: ro, value: v}

		switch d.shape {
		case shapeDayFirst:
			ok = s.decideOrder(DayFirst, at) && ok
		case shapeMonthFirst:
			ok = s.decideOrder(MonthFirst, at) && ok
		case shapeEither:
			p.needOrder = true
			if s.either == nil {
				s.either = s.evidence(at)
			}
		}
	}

	return p, ok
}

// noCurrency rejects a file with rows but no currency anywhere: no column, no
// metadata row, no profile and no code in the amount cells.
func (s *scan) noCurrency() {
	s.fail(0, "currency", "", "the file has no currency column and no currency in its "+
		"metadata rows: set the currency in a bank profile")
	s.fatal = true
}

// cellRef locates a cell that shows a decision.
type cellRef struct {
	line  int
	role  role
	value string
}

// evidence keeps the cell that showed a decision, for messages.
func (s *scan) evidence(at cellRef) *bankfile.Problem {
	return &bankfile.Problem{Line: at.line, Field: s.lay.name(at.role), Value: at.value}
}

func (s *scan) decideDecimal(mark byte, at cellRef) bool {
	first := &s.dot
	if mark == ',' {
		first = &s.comma
	}

	if *first == nil {
		*first = s.evidence(at)
	}

	if s.decimal == 0 {
		s.decimal = mark
		return true
	}

	if s.decimal == mark {
		return true
	}

	names := map[byte]string{'.': "decimal point", ',': "decimal comma"}
	other := s.dot
	if s.decimal == ',' {
		other = s.comma
	}

	s.fail(at.line, s.lay.name(at.role), at.value, fmt.Sprintf("%s here but %s on line %d "+
		"(%q): decimal mark inconsistent", names[mark], names[s.decimal], other.Line, other.Value))

	return false
}

func (s *scan) decideOrder(o DateOrder, at cellRef) bool {
	if s.order == DateAuto {
		s.order, s.orderFrom = o, s.evidence(at)
		return true
	}

	if s.order == o {
		return true
	}

	names := map[DateOrder]string{DayFirst: "day-first", MonthFirst: "month-first"}
	s.fail(at.line, s.lay.name(at.role), at.value, fmt.Sprintf("%s date but line %d has the "+
		"%s date %q: date format inconsistent", names[o], s.orderFrom.Line, names[s.order],
		s.orderFrom.Value))

	return false
}

// isFooter reports a summary row: its first cell starts with one of the
// profile's summary prefixes, or a date column holds, instead of a date, a
// label starting with a word such as "balance" or "total". Anything else in a
// date column is a bad row, so no payment is ever skipped as a summary.
func (s *scan) isFooter(cells []string) bool {
	if len(s.set.summary) > 0 {
		first := normalise(firstCell(cells))
		for _, w := range s.set.summary {
			if first == w || strings.HasPrefix(first, w+" ") {
				return true
			}
		}
	}

	footer := false

	for _, ro := range []role{roleDate, roleValueDate} {
		v := s.lay.cell(cells, ro)
		if v == "" {
			continue
		}

		if v[0] >= '0' && v[0] <= '9' {
			return false // a date, or a bad one: never a label
		}

		n := normalise(v)
		for _, w := range footerWords {
			if n == w || strings.HasPrefix(n, w+" ") {
				footer = true
			}
		}
	}

	return footer
}

// tooWide rejects a row with non-empty cells beyond the header: an unquoted
// delimiter inside a value shifts every later column, amounts included.
func (s *scan) tooWide(rec record) bool {
	for i := s.width; i < len(rec.cells); i++ {
		if strings.TrimSpace(rec.cells[i]) != "" {
			s.fail(rec.line, "columns", rec.cells[i], fmt.Sprintf(
				"row has %d fields, header has %d: a value may contain an unquoted delimiter",
				len(rec.cells), s.width))

			return true
		}
	}

	return false
}

// add numbers t, gives it its dedupe key and emits it, unless the file is
// already known to be rejected.
func (s *scan) add(t bankfile.Transaction, key string) {
	s.seq++
	t.Seq = s.seq
	t.DedupeKey = s.keys.key(key)
	s.common.note(t.Account, t.Amount.Currency)

	if len(s.problems) > 0 || s.emitErr != nil {
		return
	}

	if err := s.emit(t); err != nil {
		s.emitErr = err
	}
}

// end processes the rows still held back and closes the file: control
// checks, account and currency, the profile used.
func (s *scan) end() {
	if s.lay == nil || s.fatal {
		return
	}

	s.flush(true)

	if s.fatal || s.emitErr != nil {
		return
	}

	s.finishBalances()

	if s.common.n == 0 {
		s.file.Account, s.file.Currency = firstOf(s.set.account, s.metaAccount), s.currency
	} else {
		s.file.Account, s.file.Currency = s.common.account, s.common.currency
	}

	s.file.Profile = s.profileText()
	if s.set.name == "" {
		s.warn(0, "profile", "", s.file.Profile)
	}

	if s.moreWarnings > 0 {
		s.file.Warnings = append(s.file.Warnings, bankfile.Problem{File: s.name, Field: "file",
			Message: fmt.Sprintf("and %d more warnings not listed", s.moreWarnings)})
	}
}

// common tracks the account and currency every transaction shares.
type common struct {
	n                 int
	account, currency string
}

func (c *common) note(account, currency string) {
	c.n++
	if c.n == 1 {
		c.account, c.currency = account, currency
		return
	}

	if c.account != account {
		c.account = ""
	}

	if c.currency != currency {
		c.currency = ""
	}
}
