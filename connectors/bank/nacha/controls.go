package nacha

import (
	"strings"

	"github.com/o2c-dev/o2c/internal/money"
)

// hashModulus keeps the rightmost ten digits of an entry hash.
const hashModulus = 10_000_000_000

// totals are what a batch or file control record states, or what its records
// add up to.
type totals struct {
	hash   int64 // sum of 8-digit RDFI identifications, rightmost 10 digits
	hashOK bool  // false when an RDFI identification is not numeric
	debit  int64
	credit int64
}

func (t *totals) add(o totals) {
	t.hash = (t.hash + o.hash) % hashModulus
	t.hashOK = t.hashOK && o.hashOK
	t.debit += o.debit
	t.credit += o.credit
}

// readEntry reads the transaction code and amount of an entry; they decide
// direction and money, so a bad value rejects the file.
func (p *parser) readEntry(e *entry) {
	r := &e.rec
	code, okCode := digits(r.field(2, 3))
	if !okCode || code < 10 || code%10 == 0 {
		p.reject(stageAmounts, r.line, "entry detail transaction code", r.field(2, 3),
			"transaction code %q is not a credit or debit code", r.field(2, 3))
	}

	amount, okAmount := digits(r.field(30, 39))
	if !okAmount {
		p.reject(stageAmounts, r.line, "entry detail amount", r.field(30, 39),
			"amount %q is not a number of cents", r.field(30, 39))
	}

	e.code, e.amount = int(code), amount
	e.valid = okCode && okAmount && code >= 10 && code%10 != 0
}

// addEntry adds an entry to its batch's hash and totals.
func (p *parser) addEntry(b *batch, e *entry) {
	t := &b.sum

	rdfi := e.rec.field(4, 11)
	if n, ok := digits(rdfi); ok {
		t.hash = (t.hash + n) % hashModulus
	} else {
		t.hashOK = false
		p.warn(stageControls, e.rec.line, "entry detail RDFI identification", rdfi,
			"RDFI identification is not numeric; entry hash of batch %s not checked", b.number)
	}

	if !e.valid {
		return
	}

	if isCredit(e.code) {
		t.credit += e.amount
	} else {
		t.debit += e.amount
	}
}

// isCredit tells the side from the transaction code's last digit: 1-4 credit
// the receiver's account, 5-9 debit it. Control totals count them the same way.
func isCredit(code int) bool {
	d := code % 10
	return d >= 1 && d <= 4
}

// controlField is one numeric field of a control record and the value the
// records add up to.
type controlField struct {
	from, to int
	name     string
	money    bool
	want     int64
	skip     bool
	check    Check  // the check a bank profile may relax; "" for the money totals
	unit     string // what want counts, for the message
}

// controlProblem reports a control field that does not reconcile: a rejection,
// or a warning when the bank profile relaxes check; File.Controls then says
// mismatch.
func (p *parser) controlProblem(check Check, line int, field, value, format string,
	args ...any) {
	if p.opts.relaxed(check) {
		p.mismatch = true
		p.warn(stageControls, line, field, value, format, args...)

		return
	}

	p.controlRejected = true
	p.reject(stageControls, line, field, value, format, args...)
}

func (p *parser) compareBatch(b *batch, c *record) {
	t := b.sum
	label := "batch " + b.number + " control"

	p.compareFields(c, "batch control", label, []controlField{
		{from: 5, to: 10, name: "entry/addenda count", want: int64(b.records),
			check: CheckEntryAddendaCount},
		{from: 11, to: 20, name: "entry hash", want: t.hash, skip: !t.hashOK,
			check: CheckEntryHash},
		{from: 21, to: 32, name: "total debit", money: true, want: t.debit},
		{from: 33, to: 44, name: "total credit", money: true, want: t.credit},
	})

	if b.header == nil {
		return
	}

	h := b.header
	if h.field(2, 4) != c.field(2, 4) {
		p.warn(stageControls, c.line, "batch control service class code", c.field(2, 4),
			"%s: service class code %s != batch header %s", label, c.field(2, 4), h.field(2, 4))
	}

	if b.sec != "IAT" && strings.TrimSpace(h.field(41, 50)) != strings.TrimSpace(c.field(45, 54)) {
		p.warn(stageControls, c.line, "batch control company identification", c.field(45, 54),
			"%s: company identification %q != batch header %q",
			label, c.field(45, 54), h.field(41, 50))
	}

	if h.field(88, 94) != c.field(88, 94) {
		p.warn(stageControls, c.line, "batch control batch number", c.field(88, 94),
			"%s: batch number %s != batch header %s", label, c.field(88, 94), h.field(88, 94))
	}
}

func (p *parser) compareFile(f *achFile, label string) {
	t := f.sum

	// Blocks of ten records: the file header and control, the batch headers and
	// controls, the entries and addenda; the nines only fill the last block.
	records := f.batchRecords + f.entryAddenda + 1
	if f.header != nil {
		records++
	}

	p.compareFields(f.control, "file control", label, []controlField{
		{from: 14, to: 21, name: "entry/addenda count", want: f.entryAddenda,
			check: CheckEntryAddendaCount},
		{from: 22, to: 31, name: "entry hash", want: t.hash, skip: !t.hashOK,
			check: CheckEntryHash},
		{from: 32, to: 43, name: "total debit", money: true, want: t.debit},
		{from: 44, to: 55, name: "total credit", money: true, want: t.credit},
		{from: 2, to: 7, name: "batch count", want: int64(f.batches), check: CheckBatchCount,
			unit: "batches in the file"},
		{from: 8, to: 13, name: "block count", want: (records + 9) / 10, check: CheckBlockCount,
			unit: "blocks of 10 records"},
	})
}

func (p *parser) compareFields(c *record, record, label string, fields []controlField) {
	for _, fd := range fields {
		raw := c.field(fd.from, fd.to)
		got, ok := digits(raw)

		unit := fd.unit
		if unit == "" {
			unit = "counted in the file"
		}

		switch {
		case !ok:
			p.controlProblem(fd.check, c.line, record+" "+fd.name, raw,
				"%s: %s %q is not a number", label, fd.name, raw)
		case fd.skip:
		case got != fd.want && fd.money:
			p.controlProblem(fd.check, c.line, record+" "+fd.name, raw,
				"%s: %s %s != sum of entries %s",
				label, fd.name, money.FormatMinor(got, 2), money.FormatMinor(fd.want, 2))
		case got != fd.want:
			p.controlProblem(fd.check, c.line, record+" "+fd.name, raw,
				"%s: %s %d != %d %s", label, fd.name, got, fd.want, unit)
		}
	}
}
