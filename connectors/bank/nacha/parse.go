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
// processors may lack the header, the control or both.
type achFile struct {
	ordinal int
	header  *record
	control *record
	batches []*batch
}

// batch is a batch header, its entries and its batch control. header is nil
// for entries found outside any batch (processor fragments).
type batch struct {
	ordinal int // 1-based position among all batches of the transmission
	number  string
	header  *record
	control *record
	entries []*entry
	records int // entry and addenda records, as the batch control counts them

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
	rec     *record
	addenda []*record
	code    int   // transaction code
	amount  int64 // cents
	valid   bool  // code and amount could be read
}

// parser walks the records once and collects rejections and warnings.
type parser struct {
	name   string
	files  []*achFile
	rejs   []bankfile.Problem
	warns  []bankfile.Problem
	nbatch int
	moov   moovCache
	key    []byte // scratch for dedupe keys
}

func (p *parser) reject(line int, field, value, format string, args ...any) {
	p.rejs = append(p.rejs, bankfile.Problem{
		File: p.name, Line: line, Field: field, Value: shorten(value),
		Message: fmt.Sprintf(format, args...),
	})
}

func (p *parser) warn(line int, field, value, format string, args ...any) {
	p.warns = append(p.warns, bankfile.Problem{
		File: p.name, Line: line, Field: field, Value: shorten(value),
		Message: fmt.Sprintf(format, args...),
	})
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

// structure groups the records into files, batches, entries and addenda. It
// is lenient about what real files get wrong (missing headers or controls,
// entries outside a batch) and strict about what could hide money (unknown
// record types, records after the file control).
func (p *parser) structure(recs []record) {
	var (
		cur  *achFile
		b    *batch
		last *entry
	)

	// One allocation for all entries and one for all addenda: count them first.
	n, na := 0, 0
	for i := range recs {
		switch recs[i].typ() {
		case '6':
			n++
		case '7':
			na++
		}
	}

	slab := make([]entry, n)
	adSlab, adUsed := make([]*record, na), 0

	closeBatch := func(line int) {
		if b != nil && b.control == nil {
			p.warn(line, "batch control", "",
				"batch %s has no batch control record; its totals are not checked", b.number)
		}

		b, last = nil, nil
	}

	ensureFile := func() {
		if cur == nil {
			cur = &achFile{ordinal: len(p.files) + 1}
			p.files = append(p.files, cur)
		}
	}

	for i := range recs {
		r := &recs[i]

		if cur != nil && cur.control != nil {
			if r.filler() {
				continue
			}

			if r.typ() != '1' {
				p.reject(r.line, "record type", r.field(1, 1),
					"record after the file control record of file %d", cur.ordinal)
				continue
			}
		}

		switch r.typ() {
		case '1':
			if cur != nil && (cur.header != nil || len(cur.batches) > 0 || cur.control != nil) {
				closeBatch(r.line)
				if cur.control == nil {
					p.warn(r.line, "file control", "",
						"file %d has no file control record; its totals are not checked",
						cur.ordinal)
				}

				cur = nil
			}

			ensureFile()
			cur.header = r
		case '5':
			ensureFile()
			closeBatch(r.line)
			b = p.newBatch(r)
			cur.batches = append(cur.batches, b)
		case '6':
			ensureFile()
			if b == nil {
				p.warn(r.line, "batch header", "",
					"entry detail record outside a batch; read without batch header")
				b = p.newBatch(nil)
				cur.batches = append(cur.batches, b)
			}

			last = &slab[0]
			slab = slab[1:]
			last.rec = r
			b.entries = append(b.entries, last)
			b.records++
		case '7':
			switch {
			case b == nil:
				p.warn(r.line, "addenda", r.field(2, 3),
					"addenda record outside a batch is ignored")
			case last == nil:
				p.warn(r.line, "addenda", r.field(2, 3),
					"addenda record without an entry detail record is ignored")
				b.records++
			default:
				// Only the last entry takes addenda slots, so its addenda are
				// the slots just before adUsed.
				adSlab[adUsed] = r
				adUsed++
				last.addenda = adSlab[adUsed-len(last.addenda)-1 : adUsed : adUsed]
				b.records++
			}
		case '8':
			if b == nil {
				p.warn(r.line, "batch control", "",
					"batch control record without a batch is ignored")
				continue
			}

			b.control = r
			b, last = nil, nil
		case '9':
			if r.filler() {
				continue
			}

			ensureFile()
			closeBatch(r.line)
			cur.control = r
		default:
			p.reject(r.line, "record type", r.field(1, 1),
				"unknown record type %q: a NACHA record starts with 1, 5, 6, 7, 8 or 9",
				r.field(1, 1))
		}
	}

	if b != nil && b.control == nil {
		p.warn(b.lastLine(), "batch control", "",
			"batch %s has no batch control record; its totals are not checked", b.number)
	}
}

func (p *parser) newBatch(h *record) *batch {
	p.nbatch++
	b := &batch{ordinal: p.nbatch, header: h, number: strconv.Itoa(p.nbatch)}

	if h == nil {
		return b
	}

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
		p.reject(h.line, "standard entry class", b.sec,
			"ADV (automated accounting advice) batches are not supported")
	}

	return b
}

func (b *batch) lastLine() int {
	if n := len(b.entries); n > 0 {
		e := b.entries[n-1]
		if m := len(e.addenda); m > 0 {
			return e.addenda[m-1].line
		}

		return e.rec.line
	}

	if b.header != nil {
		return b.header.line
	}

	return 0
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
