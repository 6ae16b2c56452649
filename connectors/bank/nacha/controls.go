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
	} else if t.hashOK {
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
}

func (p *parser) compareBatch(b *batch, c *record) {
	t := b.sum
	label := "batch " + b.number + " control"

	p.compareFields(c, "batch control", label, []controlField{
		{from: 5, to: 10, name: "entry/addenda count", want: int64(b.records)},
		{from: 11, to: 20, name: "entry hash", want: t.hash, skip: !t.hashOK},
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

	p.compareFields(f.control, "file control", label, []controlField{
		{from: 14, to: 21, name: "entry/addenda count", want: f.entryAddenda},
		{from: 22, to: 31, name: "entry hash", want: t.hash, skip: !t.hashOK},
		{from: 32, to: 43, name: "total debit", money: true, want: t.debit},
		{from: 44, to: 55, name: "total credit", money: true, want: t.credit},
	})

	p.checkBatchCount(f, label)
	p.checkBlockCount(f)
}

// checkBatchCount compares the batch count with the batches read. A batch
// that went missing also changes the record count, hash and totals, which
// reject the file; a wrong batch count alone cannot miscount money, so it is a
// warning.
func (p *parser) checkBatchCount(f *achFile, label string) {
	c := f.control
	raw := c.field(2, 7)

	got, ok := digits(raw)
	if !ok {
		p.warn(stageControls, c.line, "file control batch count", raw,
			"%s: batch count %q is not a number", label, raw)
	} else if got != int64(f.batches) {
		p.warn(stageControls, c.line, "file control batch count", raw,
			"%s: batch count %d != %d batches in the file", label, got, f.batches)
	}
}

func (p *parser) compareFields(c *record, record, label string, fields []controlField) {
	for _, fd := range fields {
		raw := c.field(fd.from, fd.to)
		got, ok := digits(raw)

		switch {
		case !ok:
			p.reject(stageControls, c.line, record+" "+fd.name, raw,
				"%s: %s %q is not a number", label, fd.name, raw)
		case fd.skip:
		case got != fd.want && fd.money:
			p.reject(stageControls, c.line, record+" "+fd.name, raw,
				"%s: %s %s != sum of entries %s",
				label, fd.name, money.FormatMinor(got, 2), money.FormatMinor(fd.want, 2))
		case got != fd.want:
			p.reject(stageControls, c.line, record+" "+fd.name, raw,
				"%s: %s %d != %d counted in the file", label, fd.name, got, fd.want)
		}
	}
}

// checkBlockCount compares the block count with the records of the file, with
// or without the nines filler; files that drop the filler are common, so a
// difference is only a warning.
func (p *parser) checkBlockCount(f *achFile) {
	c := f.control
	raw := c.field(8, 13)

	got, ok := digits(raw)
	if !ok {
		p.warn(stageControls, c.line, "file control block count", raw,
			"block count %q is not a number", raw)
		return
	}

	n := f.batchRecords + f.entryAddenda + 1 // and the file control
	if f.header != nil {
		n++
	}

	if want := (n + 9) / 10; got != want {
		p.warn(stageControls, c.line, "file control block count", raw,
			"block count %d != %d blocks of 10 records", got, want)
	}
}
