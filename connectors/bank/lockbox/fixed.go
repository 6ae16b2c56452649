package lockbox

import (
	"strings"
	"time"
)

// fixed reads one BAI fixed-width record of type typ.
func (p *parser) fixed(line int, typ byte, f fixed) error {
	l := p.layout

	switch typ {
	case '1':
		date, _ := p.fixedDate(line, f, l.HeaderDate, "header date", false)
		p.header(line, "", date)
	case '2':
		// The service record carries routing data for the transmission only.
	case '5':
		date, bad := p.fixedDate(line, f, l.BatchHeaderDate, "deposit date", true)
		p.batchHeader(strings.TrimSpace(clean(f.field(l.BatchHeaderLockbox))), date, bad)
	case '6':
		p.fixedDetail(line, f)
	case '4':
		p.fixedOverflow(line, f)
	case '7':
		count, ok1 := p.number(line, f, l.BatchTotalCount, "batch total item count")
		amount, ok2 := p.number(line, f, l.BatchTotalAmount, "batch total amount")
		if !ok1 || !ok2 {
			return nil
		}

		return p.batchTotal(total{
			line: line, batch: norm(f.field(l.BatchTotalBatch)),
			lockbox: clean(f.field(l.BatchTotalLockbox)), count: count, amount: amount,
		})
	case '8':
		count, ok1 := p.number(line, f, l.LockboxTotalCount, "lockbox total item count")
		amount, ok2 := p.number(line, f, l.LockboxTotalAmount, "lockbox total amount")
		if !ok1 || !ok2 {
			return nil
		}

		return p.lockboxTotal(total{
			line: line, lockbox: clean(f.field(l.LockboxTotalLockbox)), count: count,
			amount: amount,
		})
	case '9':
		t := trailer{line: line}
		if !l.TrailerRecords.IsZero() {
			n, ok := p.number(line, f, l.TrailerRecords, "file trailer record count")
			if !ok {
				p.trailerLine = line
				return nil
			}

			t.records, t.hasRecords = n, true
		}

		return p.fileTrailer(t)
	default:
		p.reject(line, "record type", f.field(Span{1, 1}),
			"unknown record type %q: a BAI lockbox record starts with 1, 2, 4, 5, 6, 7, 8 or 9",
			f.field(Span{1, 1}))
	}

	return nil
}

// fixedDetail reads a check (6) record.
func (p *parser) fixedDetail(line int, f fixed) {
	l := p.layout

	amount, ok := p.number(line, f, l.DetailAmount, "check amount")
	if !ok {
		// The check cannot be counted; its overflow records still belong to it.
		p.voidCheck(f.field(l.DetailBatch), f.field(l.DetailItem))
		return
	}

	d := detail{
		line:    line,
		batch:   norm(f.field(l.DetailBatch)),
		item:    norm(f.field(l.DetailItem)),
		amount:  amount,
		routing: strings.TrimSpace(clean(f.field(l.DetailRouting))),
		account: strings.TrimSpace(clean(f.field(l.DetailAccount))),
		number:  norm(f.field(l.DetailCheck)),
		payer:   clean(f.field(l.DetailRemitter)),
	}

	d.invoices = p.fixedInvoices(line, f, l.DetailInvoices)
	p.detail(d)
}

// fixedOverflow reads an overflow (4) record.
func (p *parser) fixedOverflow(line int, f fixed) {
	l := p.layout
	o := overflow{
		line:  line,
		batch: norm(f.field(l.OverflowBatch)),
		item:  norm(f.field(l.OverflowItem)),
	}

	if s := strings.TrimSpace(f.field(l.OverflowSequence)); s != "" {
		if n, ok := digits(s); ok {
			o.seq = int(n)
		} else {
			p.warn(line, "overflow sequence", s, "overflow sequence %q is not a number", s)
		}
	}

	switch ind := strings.TrimSpace(f.field(l.OverflowLast)); ind {
	case "9":
		o.last = true
	case "", "0":
	default:
		p.warn(line, "overflow indicator", ind,
			"overflow indicator %q is neither 0 (more follow) nor 9 (last)", ind)
	}

	o.invoices = p.fixedInvoices(line, f, l.OverflowInvoices)
	p.overflowRec(o)
}

// fixedInvoices reads the invoice lines of a record; an amount that is blank
// is not stated, one that is not a number rejects the file.
func (p *parser) fixedInvoices(line int, f fixed, spans []InvoiceSpan) []invoice {
	var out []invoice

	for _, s := range spans {
		in := invoice{ref: clean(f.field(s.Ref))}

		if raw := strings.TrimSpace(f.field(s.Amount)); raw != "" {
			n, ok := digits(raw)
			if !ok {
				p.reject(line, "invoice amount", raw,
					"invoice amount %q (columns %d-%d) is not a number of cents", raw,
					s.Amount.From, s.Amount.To)
				continue
			}

			in.amount, in.stated = n, true
		}

		out = append(out, in)
	}

	return out
}

// number reads a required numeric field of a fixed-width record: zero-padded
// digits that the record must hold in full.
func (p *parser) number(line int, f fixed, s Span, field string) (int64, bool) {
	raw := f.field(s)

	if s.IsZero() {
		p.reject(line, field, "", "the layout has no %s", field)
		return 0, false
	}

	if f.length() < s.To {
		p.reject(line, field, raw, "record ends at column %d, inside the %s (columns %d-%d)",
			f.length(), field, s.From, s.To)

		return 0, false
	}

	n, ok := digits(raw)
	if !ok {
		p.reject(line, field, raw, "%s %q (columns %d-%d) is not a number", field, raw,
			s.From, s.To)

		return 0, false
	}

	return n, true
}

// fixedDate reads a YYMMDD date. A blank field is a warning; an unreadable
// one rejects the file when strict is set (a deposit date: it dates the
// money and keys the checks) and is a warning otherwise. It reports whether
// the field was unreadable.
func (p *parser) fixedDate(line int, f fixed, s Span, field string, strict bool) (
	time.Time, bool) {
	raw := strings.TrimSpace(f.field(s))
	if s.IsZero() {
		return time.Time{}, false
	}

	if raw == "" {
		p.warn(line, field, "", "%s is blank", field)
		return time.Time{}, false
	}

	d, ok := parseDate(raw)
	if ok {
		return d, false
	}

	if strict {
		p.reject(line, field, raw, "%s %q is not a date (YYMMDD)", field, raw)
	} else {
		p.warn(line, field, raw, "%s %q is not a date (YYMMDD)", field, raw)
	}

	return time.Time{}, true
}

// parseDate reads YYMMDD (years 2000-2099), YYYYMMDD or YYYY-MM-DD; the day
// must exist.
func parseDate(s string) (time.Time, bool) {
	s = strings.ReplaceAll(s, "-", "")

	var y, m, d int64
	var ok bool

	switch len(s) {
	case 6:
		var n int64
		n, ok = digits(s)
		y, m, d = 2000+n/10000, n/100%100, n%100
	case 8:
		var n int64
		n, ok = digits(s)
		y, m, d = n/10000, n/100%100, n%100
	}

	if !ok || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}

	t := time.Date(int(y), time.Month(m), int(d), 0, 0, 0, 0, time.UTC)
	if t.Day() != int(d) {
		return time.Time{}, false
	}

	return t, true
}

// digits reads an unsigned decimal; blanks around it are allowed, an empty or
// non-numeric value is not.
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

// norm cleans a number used as an identifier (batch, item, check number) and
// trims its leading zeros; "000" is "0", blank is "".
func norm(s string) string {
	s = clean(s)
	if s == "" {
		return ""
	}

	t := strings.TrimLeft(s, "0")
	if t == "" {
		return "0"
	}

	return t
}

// clean makes text safe to store: control characters (C0, DEL, C1) become
// blanks, runs of blanks one blank, and the ends are trimmed.
func clean(s string) string {
	s = strings.TrimSpace(s)
	ok := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= 0x80 {
			ok = false
			break
		}
	}

	if ok && !strings.Contains(s, "  ") {
		return s
	}

	var b strings.Builder
	b.Grow(len(s))

	space := false
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == ' ' {
			space = true
			continue
		}

		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}

		space = false
		b.WriteRune(r)
	}

	return b.String()
}
