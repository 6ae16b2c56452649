package lockbox

import (
	"strings"
	"time"
)

// Field positions (0-based, the record type is field 0) of the delimited
// dialect.
const (
	dlHeaderLockbox = 1
	dlHeaderDate    = 3

	dlBatchNumber = 1
	dlBatchDate   = 2

	dlCheckBatch   = 1
	dlCheckItem    = 2
	dlCheckNumber  = 4
	dlCheckAmount  = 5
	dlCheckRouting = 6
	dlCheckAccount = 7
	dlCheckPayer   = 8

	dlRemitBatch   = 1
	dlRemitItem    = 2
	dlRemitSeq     = 3
	dlRemitInvoice = 4
	dlRemitAmount  = 5
)

// delimited reads one record of the delimited dialect.
func (p *parser) delimited(line int, typ byte, fs []string) error {
	for i := range fs {
		fs[i] = strings.TrimSpace(fs[i])
	}

	if len(fs[0]) != 1 {
		p.reject(line, "record type", fs[0], "record type %q is not one character", fs[0])
		return nil
	}

	switch typ {
	case '1':
		date := p.delimitedDate(line, fs, dlHeaderDate, "header date", false)
		p.header(line, clean(field(fs, dlHeaderLockbox)), date)
	case '2':
	case '5':
		raw := field(fs, dlBatchDate)
		date := p.delimitedDate(line, fs, dlBatchDate, "deposit date", true)
		p.batchHeader("", date, raw != "" && date.IsZero())
	case '6':
		p.delimitedCheck(line, fs)
	case '4':
		p.delimitedRemit(line, fs)
	case '7':
		if !p.fields(line, fs, 4, "batch total") {
			return nil
		}

		count, ok1 := p.count(line, fs[2], "batch total item count")
		amount, ok2 := p.cents(line, fs[3], "batch total amount")
		if !ok1 || !ok2 {
			return nil
		}

		return p.batchTotal(total{line: line, batch: norm(fs[1]), count: count, amount: amount})
	case '8':
		// Lockbox trailer: the lockbox, if any, then item count and total.
		if !p.fields(line, fs, 3, "lockbox total") {
			return nil
		}

		n := len(fs)
		count, ok1 := p.count(line, fs[n-2], "lockbox total item count")
		amount, ok2 := p.cents(line, fs[n-1], "lockbox total amount")
		if !ok1 || !ok2 {
			return nil
		}

		lb := ""
		if n > 3 {
			lb = clean(fs[1])
		}

		return p.lockboxTotal(total{line: line, lockbox: lb, count: count, amount: amount})
	case '9':
		if !p.fields(line, fs, 4, "file trailer") {
			p.trailerLine = line
			return nil
		}

		batches, ok1 := p.count(line, fs[1], "file trailer batch count")
		items, ok2 := p.count(line, fs[2], "file trailer item count")
		amount, ok3 := p.cents(line, fs[3], "file trailer amount")
		if !ok1 || !ok2 || !ok3 {
			p.trailerLine = line
			return nil
		}

		return p.fileTrailer(trailer{
			line: line, batches: batches, items: items, total: amount, hasTotals: true,
		})
	default:
		p.reject(line, "record type", fs[0],
			"unknown record type %q: a lockbox record starts with 1, 2, 4, 5, 6, 7, 8 or 9", fs[0])
	}

	return nil
}

// delimitedCheck reads a check (6) record.
func (p *parser) delimitedCheck(line int, fs []string) {
	if !p.fields(line, fs, dlCheckAmount+1, "check") {
		p.voidCheck(field(fs, dlCheckBatch), field(fs, dlCheckItem))
		return
	}

	amount, ok := p.cents(line, fs[dlCheckAmount], "check amount")
	if !ok {
		p.voidCheck(fs[dlCheckBatch], fs[dlCheckItem])
		return
	}

	payer := ""
	if len(fs) > dlCheckPayer {
		// A payer name holding the delimiter comes as several fields.
		payer = clean(strings.Join(fs[dlCheckPayer:], p.delim))
	}

	p.detail(detail{
		line:    line,
		batch:   norm(fs[dlCheckBatch]),
		item:    norm(fs[dlCheckItem]),
		amount:  amount,
		routing: clean(field(fs, dlCheckRouting)),
		account: clean(field(fs, dlCheckAccount)),
		number:  norm(fs[dlCheckNumber]),
		payer:   payer,
	})
}

// delimitedRemit reads a remittance line (4) record.
func (p *parser) delimitedRemit(line int, fs []string) {
	if !p.fields(line, fs, dlRemitInvoice+1, "remittance line") {
		return
	}

	o := overflow{line: line, batch: norm(fs[dlRemitBatch]), item: norm(fs[dlRemitItem])}

	if s := fs[dlRemitSeq]; s != "" {
		if n, ok := digits(s); ok {
			o.seq = int(n)
		} else {
			p.warn(line, "remittance sequence", s, "remittance sequence %q is not a number", s)
		}
	}

	in := invoice{ref: clean(fs[dlRemitInvoice])}
	if raw := field(fs, dlRemitAmount); raw != "" {
		n, ok := p.cents(line, raw, "invoice amount")
		if !ok {
			return
		}

		in.amount, in.stated = n, true
	}

	o.invoices = []invoice{in}
	p.overflowRec(o)
}

// field returns fs[i], or "" when the record is shorter.
func field(fs []string, i int) string {
	if i < len(fs) {
		return fs[i]
	}

	return ""
}

// fields reports whether the record has at least n fields, rejecting it when
// not.
func (p *parser) fields(line int, fs []string, n int, what string) bool {
	if len(fs) >= n {
		return true
	}

	p.reject(line, what+" record", strings.Join(fs, p.delim),
		"%s record has %d fields, at least %d expected", what, len(fs), n)

	return false
}

// cents reads an amount in cents: digits only.
func (p *parser) cents(line int, raw, field string) (int64, bool) {
	n, ok := digits(raw)
	if !ok {
		p.reject(line, field, raw, "%s %q is not a number of cents", field, raw)
	}

	return n, ok
}

// count reads a count: digits only.
func (p *parser) count(line int, raw, field string) (int64, bool) {
	n, ok := digits(raw)
	if !ok {
		p.reject(line, field, raw, "%s %q is not a number", field, raw)
	}

	return n, ok
}

// delimitedDate reads a date field (YYYYMMDD, YYYY-MM-DD or YYMMDD). A blank
// field is a warning; an unreadable one rejects the file when strict is set.
func (p *parser) delimitedDate(line int, fs []string, i int, name string, strict bool) time.Time {
	raw := field(fs, i)
	if raw == "" {
		p.warn(line, name, "", "%s is blank", name)
		return time.Time{}
	}

	d, ok := parseDate(raw)
	if ok {
		return d
	}

	if strict {
		p.reject(line, name, raw, "%s %q is not a date (YYYYMMDD)", name, raw)
	} else {
		p.warn(line, name, raw, "%s %q is not a date (YYYYMMDD)", name, raw)
	}

	return time.Time{}
}
