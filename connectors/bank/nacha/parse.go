package nacha

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

// achFile is one logical ACH file: a file header, its batches and a file
// control. A transmission can hold several back to back; fragments sent by
// processors may lack the header, the control or both. Only what the file
// control is checked against is kept, never the batches themselves.
type achFile struct {
	ordinal int
	header  *record
	control *record
	batches int
	sum     totals // what its batches add up to

	entryAddenda int64 // entry and addenda records of its batches
	batchRecords int64 // batch headers and batch controls
}

// batch is a batch header and what its batch control is checked against.
// header is nil for entries found outside any batch (processor fragments).
type batch struct {
	ordinal    int // 1-based position among all batches of the transmission
	number     string
	header     *record
	hasControl bool
	records    int    // entry and addenda records, as the batch control counts them
	sum        totals // of its entries
	lastLine   int    // line of its last entry or addenda

	sec         string
	companyName string
	companyID   string
	description string
	effective   string    // YYMMDD as written
	date        time.Time // effective entry date, zero when unreadable
	settlement  string    // Julian day as written
}

// entry is an entry detail record with the addenda records that follow it.
type entry struct {
	b       *batch
	rec     record
	addenda []record
	code    int   // transaction code
	amount  int64 // cents
	valid   bool  // code and amount could be read
}

// parser takes the records of a stream one at a time. It keeps the current
// file, batch and entry, running control totals and the problems found; an
// entry is mapped and emitted as soon as the record after its last addenda
// arrives.
type parser struct {
	name string
	opts Options
	emit func(bankfile.Transaction) error

	rejs  problemList
	warns problemList
	// controlRejected is set when a control total rejects the file.
	controlRejected bool

	file     *achFile
	batch    *batch
	entry    entry
	hasEntry bool
	nfiles   int
	nbatch   int
	nrecs    int
	nbadLine int

	unchecked bool // a batch or file without its control record, or no file at all
	mismatch  bool // a control mismatch that the bank profile let through

	seq          int
	seen         occurrences
	account      string
	accountMixed bool
	moov         moovCache
	key          []byte    // scratch for dedupe keys
	ptrs         []*record // scratch for an entry's addenda
}

func newParser(name string, opts Options, emit func(bankfile.Transaction) error) *parser {
	return &parser{name: name, opts: opts, emit: emit}
}

func (p *parser) reject(s stage, line int, field, value, format string, args ...any) {
	p.rejs.add(s, p.problem(line, field, value, format, args...))
}

func (p *parser) warn(s stage, line int, field, value, format string, args ...any) {
	if p.warns.full(s) {
		p.warns.total++
		return
	}

	p.warns.add(s, p.problem(line, field, value, format, args...))
}

func (p *parser) problem(line int, field, value, format string, args ...any) bankfile.Problem {
	return bankfile.Problem{
		File: p.name, Line: line, Field: field, Value: shorten(value),
		Message: fmt.Sprintf(format, args...),
	}
}

// lineProblem rejects a physical line that could not be cut into records.
func (p *parser) lineProblem(lp lineProblem) {
	p.nbadLine++
	p.reject(stageLines, lp.line, lp.field, lp.value, "%s", lp.msg)
}

// shorten keeps a problem's value to about one record.
func shorten(s string) string {
	const limit = 100

	if len(s) <= limit {
		return s
	}

	n := 0
	for i := range s {
		if n == limit {
			return s[:i] + "..."
		}

		n++
	}

	return s
}

// record places one record in the structure of files, batches, entries and
// addenda. It is lenient about what real files get wrong (missing headers or
// controls, entries outside a batch) and strict about what could hide money
// (unknown record types, records after the file control). Only an error of
// emit is returned.
func (p *parser) record(r record) error {
	p.nrecs++

	if f := p.file; f != nil && f.control != nil {
		if r.filler() {
			return nil
		}

		if r.typ() != '1' {
			p.reject(stageStructure, r.line, "record type", r.field(1, 1),
				"record after the file control record of file %d", f.ordinal)
			return nil
		}
	}

	switch r.typ() {
	case '1':
		return p.fileHeader(r)
	case '5':
		p.ensureFile()
		if err := p.closeBatch(r.line); err != nil {
			return err
		}

		h := r // only headers and controls are kept: r itself stays on the stack
		p.openBatch(&h)
	case '6':
		p.ensureFile()
		if p.batch == nil {
			p.warn(stageStructure, r.line, "batch header", "",
				"entry detail record outside a batch; read without batch header")
			p.openBatch(nil)
		}

		return p.startEntry(r)
	case '7':
		p.addenda(r)
	case '8':
		return p.batchControl(r)
	case '9':
		if r.filler() {
			return nil
		}

		p.ensureFile()
		if err := p.closeBatch(r.line); err != nil {
			return err
		}

		c := r
		p.file.control = &c
		p.validate(&c, "file control", newFileControl())
	default:
		p.reject(stageStructure, r.line, "record type", r.field(1, 1),
			"unknown record type %q: a NACHA record starts with 1, 5, 6, 7, 8 or 9",
			r.field(1, 1))
	}

	return nil
}

func (p *parser) fileHeader(r record) error {
	if f := p.file; f != nil && (f.header != nil || f.batches > 0 || f.control != nil) {
		if err := p.closeBatch(r.line); err != nil {
			return err
		}

		if f.control == nil {
			p.warn(stageStructure, r.line, "file control", "",
				"file %d has no file control record; its totals are not checked", f.ordinal)
		}

		p.closeFile(true)
	}

	p.ensureFile()
	p.file.header = &r
	p.validate(&r, "file header", newFileHeader())

	return nil
}

func (p *parser) ensureFile() {
	if p.file == nil {
		p.nfiles++
		p.file = &achFile{ordinal: p.nfiles, sum: totals{hashOK: true}}
	}
}

func (p *parser) openBatch(h *record) {
	p.nbatch++
	b := &batch{ordinal: p.nbatch, header: h, number: strconv.Itoa(p.nbatch),
		sum: totals{hashOK: true}}
	p.batch = b
	p.file.batches++

	if h == nil {
		return
	}

	b.lastLine = h.line

	if n, ok := digits(h.field(88, 94)); ok {
		b.number = strconv.FormatInt(n, 10)
	}

	b.sec = strings.ToUpper(strings.TrimSpace(h.field(51, 53)))
	b.companyName = strings.TrimSpace(h.field(5, 20))
	b.companyID = strings.TrimSpace(h.field(41, 50))
	b.description = strings.TrimSpace(h.field(54, 63))
	b.effective = h.field(70, 75)
	b.settlement = h.field(76, 78)

	if b.sec == "ADV" {
		p.reject(stageStructure, h.line, "standard entry class", b.sec,
			"ADV (automated accounting advice) batches are not supported")
	}

	p.validateBatchHeader(b)
	b.date = p.batchDate(b)
}

func (p *parser) startEntry(r record) error {
	if err := p.finishEntry(); err != nil {
		return err
	}

	b := p.batch
	e := &p.entry
	e.b, e.rec, e.addenda = b, r, e.addenda[:0]
	p.hasEntry = true

	b.records++
	b.lastLine = r.line

	p.validateEntry(b, &e.rec)
	p.readEntry(e)
	p.addEntry(b, e)

	return nil
}

func (p *parser) addenda(r record) {
	b := p.batch

	switch {
	case b == nil:
		p.warn(stageStructure, r.line, "addenda", r.field(2, 3),
			"addenda record outside a batch is ignored")
	case !p.hasEntry:
		p.warn(stageStructure, r.line, "addenda", r.field(2, 3),
			"addenda record without an entry detail record is ignored")
		b.records++
	default:
		e := &p.entry
		e.addenda = append(e.addenda, r)
		b.records++
		b.lastLine = r.line
		p.validateAddenda(&e.addenda[len(e.addenda)-1])
	}
}

func (p *parser) batchControl(r record) error {
	b := p.batch
	if b == nil {
		p.warn(stageStructure, r.line, "batch control", "",
			"batch control record without a batch is ignored")
		return nil
	}

	if err := p.finishEntry(); err != nil {
		return err
	}

	b.hasControl = true
	p.validate(&r, "batch control", newBatchControl())
	p.compareBatch(b, &r)
	p.endBatch(b)

	return nil
}

// closeBatch ends the current batch and its last entry at line, when the
// batch has no control record.
func (p *parser) closeBatch(line int) error {
	if err := p.finishEntry(); err != nil {
		return err
	}

	b := p.batch
	if b == nil {
		return nil
	}

	p.warn(stageStructure, line, "batch control", "",
		"batch %s has no batch control record; its totals are not checked", b.number)
	p.unchecked = true
	p.endBatch(b)

	return nil
}

// endBatch adds a finished batch to its file's totals.
func (p *parser) endBatch(b *batch) {
	f := p.file
	f.sum.add(b.sum)
	f.entryAddenda += int64(b.records)

	if b.header != nil {
		f.batchRecords++
	}

	if b.hasControl {
		f.batchRecords++
	}

	p.batch = nil
}

// closeFile checks the file's control; more says that another file follows.
func (p *parser) closeFile(more bool) {
	f := p.file
	p.file = nil

	if f.header == nil {
		p.warn(stageControls, 0, "file header", "", "file %d has no file header record",
			f.ordinal)
	}

	if f.control == nil {
		p.warn(stageControls, 0, "file control", "",
			"file %d has no file control record; file totals are not checked", f.ordinal)
		p.unchecked = true

		return
	}

	label := "file control"
	if more || f.ordinal > 1 {
		label = "file " + strconv.Itoa(f.ordinal) + " control"
	}

	p.compareFile(f, label)
}

// end closes what the stream left open.
func (p *parser) end() error {
	if err := p.finishEntry(); err != nil {
		return err
	}

	if b := p.batch; b != nil {
		p.warn(stageStructure, b.lastLine, "batch control", "",
			"batch %s has no batch control record; its totals are not checked", b.number)
		p.unchecked = true
		p.endBatch(b)
	}

	if p.file != nil {
		p.closeFile(false)
	}

	if p.nfiles == 0 {
		p.unchecked = true
	}

	if p.nrecs == 0 && p.nbadLine == 0 {
		p.reject(stageLines, 0, "file", "", "file holds no NACHA records")
	}

	return nil
}

// digits reads an unsigned decimal field; surrounding blanks are allowed, an
// empty or non-numeric field is not.
func digits(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 18 {
		return 0, false
	}

	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}

		n = n*10 + int64(c-'0')
	}

	return n, true
}
