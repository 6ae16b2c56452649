package lockbox

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

// dialect is the shape of a lockbox file.
type dialect int

const (
	dialectNone      dialect = iota // no record read yet
	dialectFixed                    // BAI fixed-width records
	dialectDelimited                // fields between a delimiter
)

// invoice is one invoice line of a check: its number and the amount paid.
type invoice struct {
	ref    string
	amount int64
	stated bool // the amount field was not empty
}

// detail is a check record (6) as read by either dialect.
type detail struct {
	line                            int
	batch, item                     string // normalised: no leading zeros
	amount                          int64
	routing, account, number, payer string
	invoices                        []invoice
}

// overflow is an overflow (4) or remittance line record.
type overflow struct {
	line        int
	batch, item string // normalised; "" when the layout has no such field
	seq         int    // 0 when absent or unreadable
	last        bool   // the last indicator is set
	invoices    []invoice
}

// total is a batch total (7) or lockbox total (8) record.
type total struct {
	line           int
	batch, lockbox string
	count, amount  int64
}

// trailer is the file trailer (9): a record count (BAI) or batch count, item
// count and total (delimited).
type trailer struct {
	line                  int
	records               int64
	hasRecords            bool
	batches, items, total int64
	hasTotals             bool
}

// tally counts and adds up checks. void is set when a check among them had an
// unreadable amount: that already rejects the file, and a comparison with the
// tally would only repeat it.
type tally struct {
	count, amount int64
	void          bool
}

func (t *tally) add(amount int64) {
	t.count++
	t.amount += amount
}

// check is a check being read or waiting for the control total that covers it.
type check struct {
	tx      bankfile.Transaction
	batch   string
	item    string
	segment int // lockbox segment: checks between two lockbox totals
	covered bool
	blank   int  // invoice lines without an amount
	lastSeq int  // sequence number of the last overflow record
	closed  bool // an overflow record with the last indicator was read
	overLen int  // overflow records read
	void    bool // its amount was unreadable: the file is rejected
}

// parser holds the state of one scan.
type parser struct {
	name    string
	cur     string
	exp     int
	layout  Layout
	width   int // last column the layout reads
	emit    func(bankfile.Transaction) error
	relaxed map[Control]bool
	file    *bankfile.File

	rejs, warns         []bankfile.Problem
	nrejs, nwarns       int
	dialect             dialect
	delim               string
	records             int64 // non-blank records read, for the BAI trailer
	headers, batchHeads int
	trailerLine         int
	headerDate          time.Time
	lockbox             string    // lockbox of the current batch
	depositDate         time.Time // of the current batch
	dateErr             bool      // the current batch's deposit date was unreadable
	lockboxes           map[string]bool

	cur6    *check              // the check whose overflow records are being read
	queue   []*check            // complete checks waiting for a control total, from head
	head    int                 // first check of queue not yet emitted
	open    map[string][]*check // queued checks of the current segment by batch
	seq     int
	segment int
	batches map[string]*tally // batches of the current lockbox segment not closed by a 7
	segTly  tally             // checks since the last lockbox total
	fileTly tally             // all checks
	checked int               // control comparisons made
	early   int               // checks emitted before a total covered them
	loose   int               // checks no total covered
	relaxd  bool              // a relaxed control did not reconcile

	seen map[uint64]struct{} // hashes of dedupe keys given out
	dups map[string]int      // occurrences of keys whose hash was seen before
	key  []byte
}

func newParser(name, cur string, exp int, layout Layout,
	emit func(bankfile.Transaction) error) *parser {
	width := 0
	for _, s := range layout.spans() {
		width = max(width, s.To)
	}

	return &parser{
		name: name, cur: cur, exp: exp, layout: layout, width: width, emit: emit,
		relaxed:   map[Control]bool{},
		lockboxes: map[string]bool{},
		batches:   map[string]*tally{},
		open:      map[string][]*check{},
		seen:      map[uint64]struct{}{},
		dups:      map[string]int{},
		file: &bankfile.File{
			Name: name, Format: bankfile.FormatLockbox, Currency: cur,
			Controls: bankfile.ControlsNone,
		},
	}
}

func (p *parser) reject(line int, field, value, format string, args ...any) {
	p.nrejs++
	if len(p.rejs) < maxProblems {
		p.rejs = append(p.rejs, bankfile.Problem{
			File: p.name, Line: line, Field: field, Value: shorten(value),
			Message: fmt.Sprintf(format, args...),
		})
	}
}

func (p *parser) warn(line int, field, value, format string, args ...any) {
	p.nwarns++
	if len(p.warns) < maxProblems {
		p.warns = append(p.warns, bankfile.Problem{
			File: p.name, Line: line, Field: field, Value: shorten(value),
			Message: fmt.Sprintf(format, args...),
		})
	}
}

// capped returns ps, of which n were found, with a last problem counting
// those left out.
func (p *parser) capped(ps []bankfile.Problem, n int) []bankfile.Problem {
	if n <= len(ps) {
		return ps
	}

	return append(ps, bankfile.Problem{
		File: p.name, Field: "file",
		Message: strconv.Itoa(n-len(ps)) + " more problems of this file not listed",
	})
}

// shorten keeps a problem's value to about one record, as valid UTF-8
// without NUL bytes.
func shorten(s string) string {
	const limit = 100

	if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
		s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", `\0`), "\uFFFD")
	}

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

// run reads every line of r and finishes the file.
func (p *parser) run(r io.Reader) error {
	lr, err := newLineReader(r)
	if err != nil {
		return fmt.Errorf("read lockbox file: %w", err)
	}

	for {
		ln, err := lr.next()
		if errors.Is(err, io.EOF) {
			break
		}

		if err != nil {
			return fmt.Errorf("read lockbox file: %w", err)
		}

		if err := p.physical(ln); err != nil {
			return err
		}
	}

	p.file.Encoding = lr.encoding()
	if lr.blockLen > 0 {
		p.warn(0, "record length", "",
			"file has no line breaks: records of %d characters back to back", lr.blockLen)
	}

	return p.end()
}

// physical handles one physical line: skips it when blank, rejects it when too
// long, and cuts it into records.
func (p *parser) physical(ln physical) error {
	text := strings.TrimRight(ln.text, " \t\x00\x1a")

	if ln.tooLong {
		p.reject(ln.line, "line", shorten(text),
			"line is longer than %d bytes: not a lockbox record", MaxLineLen)
		return nil
	}

	if strings.TrimSpace(text) == "" {
		return nil
	}

	if p.dialect == dialectNone {
		p.dialect, p.delim = detectDialect(text)
	}

	if p.dialect == dialectDelimited {
		return p.record(ln.line, text)
	}

	return p.split(ln.line, text, func(rec string) error { return p.record(ln.line, rec) })
}

// detectDialect tells the dialect from the first record: a record type
// followed by '|', ';', ',' or a tab is delimited, anything else fixed-width.
func detectDialect(text string) (dialect, string) {
	text = strings.TrimLeft(text, " \t")
	if len(text) > 1 && strings.IndexByte("|;,\t", text[1]) >= 0 {
		return dialectDelimited, text[1:2]
	}

	return dialectFixed, ""
}

// split cuts a fixed-width line holding several records back to back and
// hands each to fn: a line longer than the layout that cuts into pieces of one
// record size, every piece starting with a record type (the last may have
// lost its padding). Three pieces at least, or two when the record size
// covers the whole layout, so that one long record whose column 81 happens to
// hold a digit is not cut.
func (p *parser) split(line int, text string, fn func(string) error) error {
	if len(text) <= p.width {
		return fn(text)
	}

	shadow, runes := text, []rune(nil)
	if !isASCII(text) {
		runes = []rune(text)
		shadow = oneBytePerChar(runes)
	}

	n := blockSize(shadow, false)
	if n == 0 || (len(shadow) <= 2*n && n < p.width) {
		return fn(text)
	}

	p.warn(line, "record length", "", "line holds %d records of %d characters back to back",
		(len(shadow)+n-1)/n, n)

	for i := 0; i < len(shadow); i += n {
		j := min(i+n, len(shadow))

		rec := ""
		if runes == nil {
			rec = text[i:j]
		} else {
			rec = string(runes[i:j])
		}

		if rec = strings.TrimRight(rec, " "); rec != "" {
			if err := fn(rec); err != nil {
				return err
			}
		}
	}

	return nil
}

// oneBytePerChar maps each character to one byte, non-ASCII ones to DEL, so
// that byte positions are character positions.
func oneBytePerChar(runes []rune) string {
	b := make([]byte, len(runes))
	for i, r := range runes {
		b[i] = byte(min(r, 0x7f))
	}

	return string(b)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}

	return true
}

// record dispatches one record by its type.
func (p *parser) record(line int, text string) error {
	text = strings.TrimLeft(text, " \t")
	if text == "" {
		return nil
	}

	p.records++
	typ := text[0]

	if p.trailerLine > 0 {
		_, size := utf8.DecodeRuneInString(text)
		p.reject(line, "record type", text[:size],
			"record after the file trailer (9) of line %d", p.trailerLine)
		return nil
	}

	if typ != '4' {
		if err := p.finishCheck(); err != nil {
			return err
		}
	}

	var err error

	if p.dialect == dialectDelimited {
		err = p.delimited(line, typ, strings.Split(text, p.delim))
	} else {
		err = p.fixed(line, typ, newFixed(text))
	}

	return err
}

// header handles a 1 record.
func (p *parser) header(line int, lockbox string, date time.Time) {
	p.headers++
	if p.headers > 1 {
		p.reject(line, "record type", "1",
			"second header (1) record: one transmission per file is read")
	}

	if p.records > 1 {
		p.warn(line, "record type", "1", "header (1) record is not the first record")
	}

	p.headerDate = date
	if lockbox != "" {
		p.lockbox = lockbox
	}
}

// batchHeader handles a 5 record.
func (p *parser) batchHeader(lockbox string, date time.Time, dateErr bool) {
	p.batchHeads++
	if lockbox != "" {
		p.lockbox = lockbox
	}

	p.depositDate, p.dateErr = date, dateErr
}

// detail handles a 6 record: the check waits for its overflow records.
func (p *parser) detail(d detail) {
	if p.batchHeads == 0 && p.seq == 0 {
		p.warn(d.line, "batch header", "", "check before any batch header (5) record")
	}

	date := p.depositDate
	if date.IsZero() && !p.dateErr {
		date = p.headerDate
	}

	p.seq++
	c := &check{batch: d.batch, item: d.item, segment: p.segment}
	c.tx = bankfile.Transaction{
		Seq:          p.seq,
		Line:         d.line,
		Account:      p.lockbox,
		Direction:    bankfile.Credit,
		Kind:         bankfile.KindPayment,
		Amount:       money.New(d.amount, p.cur),
		BookingDate:  date,
		ValueDate:    date,
		BankRef:      d.number,
		PayerName:    d.payer,
		PayerAccount: payerAccount(d.routing, d.account),
	}

	if d.amount == 0 {
		c.tx.Kind = bankfile.KindNotice
	}

	if c.tx.BankRef == "" {
		c.tx.BankRef = d.batch + "/" + d.item
	}

	if p.lockbox != "" {
		p.lockboxes[p.lockbox] = true
	}

	c.tx.DedupeKey = p.dedupeKey(date, d)

	for _, in := range d.invoices {
		p.addInvoice(c, d.line, in)
	}

	b := p.batches[d.batch]
	if b == nil {
		b = &tally{}
		p.batches[d.batch] = b
	}

	b.add(d.amount)
	p.segTly.add(d.amount)
	p.fileTly.add(d.amount)
	p.cur6 = c
}

// payerAccount joins the MICR routing and account as routing:account; an
// account without a routing number stands alone.
func payerAccount(routing, account string) string {
	if strings.Trim(account, "0") == "" {
		return ""
	}

	if strings.Trim(routing, "0") == "" {
		return account
	}

	return routing + ":" + account
}

// dedupeKey builds the key of a check: "lockbox:" + lockbox number, deposit
// date (YYYYMMDD), remitter routing and account, check number and amount in
// cents, joined by ':', numbers without leading zeros (banks pad them to
// different widths); an item without MICR line or check number adds the
// payer's name. Batch and item numbers, names, invoice lines and the
// file's own header are left out, so the same check re-sent in another
// transmission (an intraday file and the day's final one, other line endings,
// rewrapped overflow records, another encoding) keeps its key. A second check
// with the same key in one file, which is a genuinely second item, gets "#2",
// a third "#3".
func (p *parser) dedupeKey(date time.Time, d detail) string {
	k := append(p.key[:0], "lockbox:"...)
	k = append(append(k, norm(p.lockbox)...), ':')

	if !date.IsZero() {
		k = date.AppendFormat(k, "20060102")
	}

	k = append(append(k, ':'), norm(d.routing)...)
	k = append(append(k, ':'), norm(d.account)...)
	k = append(append(k, ':'), d.number...)
	k = append(k, ':')
	k = strconv.AppendInt(k, d.amount, 10)

	if d.routing == "" && d.account == "" && d.number == "" && d.payer != "" {
		// Cash or a money order without MICR line or number: the payer's
		// name tells two of the same amount apart.
		k = append(append(k, ':'), strings.ToUpper(d.payer)...)
	}

	p.key = k

	sum := fnv64a(k)

	if _, ok := p.seen[sum]; !ok {
		p.seen[sum] = struct{}{}
		return string(k)
	}

	// The hash was seen: count occurrences of this exact key. The first one
	// had no suffix, so the count starts at 2. A different key whose hash
	// collided gets "#2" too, which keeps it unique and the same on a re-send.
	key := string(k)
	n := max(p.dups[key], 1) + 1
	p.dups[key] = n

	return key + "#" + strconv.Itoa(n)
}

// fnv64a is the 64-bit FNV-1a hash of b.
func fnv64a(b []byte) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)

	h := uint64(offset)
	for _, c := range b {
		h ^= uint64(c)
		h *= prime
	}

	return h
}

// voidCheck stands for a check whose amount was unreadable (the file is
// rejected): its overflow records still find it.
func (p *parser) voidCheck(batch, item string) {
	c := &check{void: true, batch: norm(batch), item: norm(item)}
	p.cur6 = c

	b := p.batches[c.batch]
	if b == nil {
		b = &tally{}
		p.batches[c.batch] = b
	}

	b.void, p.segTly.void, p.fileTly.void = true, true, true
}

// overflowRec handles a 4 record: it continues the invoice list of the check
// just read.
func (p *parser) overflowRec(o overflow) {
	c := p.cur6
	if c == nil {
		p.reject(o.line, "overflow record", o.batch+"/"+o.item,
			"overflow (4) record without a preceding check (6) record")
		return
	}

	if (o.batch != "" && o.batch != c.batch) || (o.item != "" && o.item != c.item) {
		p.reject(o.line, "overflow record", o.batch+"/"+o.item,
			"overflow (4) record for batch %s item %s follows the check of batch %s item %s",
			o.batch, o.item, c.batch, c.item)
		return
	}

	c.overLen++
	if c.closed {
		p.warn(o.line, "overflow indicator", "",
			"overflow record after the one marked last for check %s", c.tx.BankRef)
	}

	if o.seq > 0 && c.lastSeq > 0 && o.seq != c.lastSeq+1 {
		p.warn(o.line, "overflow sequence", strconv.Itoa(o.seq),
			"overflow sequence %d follows %d", o.seq, c.lastSeq)
	}

	c.lastSeq = o.seq
	c.closed = c.closed || o.last

	for _, in := range o.invoices {
		p.addInvoice(c, o.line, in)
	}
}

func (p *parser) addInvoice(c *check, line int, in invoice) {
	if in.ref == "" && !in.stated {
		return
	}

	if len(c.tx.Remits) >= maxRemits {
		if c.tx.Problem == "" {
			p.warn(line, "invoice", in.ref,
				"check %s has more than %d invoice lines; the rest are not kept",
				c.tx.BankRef, maxRemits)
			c.tx.Problem = fmt.Sprintf("more than %d invoice lines: remittance incomplete",
				maxRemits)
		}

		return
	}

	if in.ref == "" {
		p.warn(line, "invoice number", "", "invoice amount %s without an invoice number",
			money.FormatMinor(in.amount, p.exp))
	}

	if !in.stated {
		c.blank++
	}

	c.tx.Remits = append(c.tx.Remits, bankfile.Remit{Ref: in.ref, Paid: in.amount})
}

// finishCheck completes the check being read and queues it for its control.
func (p *parser) finishCheck() error {
	c := p.cur6
	if c == nil {
		return nil
	}

	p.cur6 = nil
	if c.void {
		return nil
	}

	if len(c.tx.Remits) == 1 && c.blank == 1 {
		c.tx.Remits[0].Paid = c.tx.Amount.Minor
	}

	var stated int64
	for _, r := range c.tx.Remits {
		stated += r.Paid
	}

	if stated > c.tx.Amount.Minor {
		p.warn(c.tx.Line, "invoice amount", "",
			"invoice amounts of check %s add up to %s, more than the check's %s",
			c.tx.BankRef, money.FormatMinor(stated, p.exp),
			money.FormatMinor(c.tx.Amount.Minor, p.exp))
	}

	if c.overLen > 0 && !c.closed && p.dialect == dialectFixed &&
		!p.layout.OverflowLast.IsZero() {
		p.warn(c.tx.Line, "overflow indicator", "",
			"no overflow record of check %s is marked last", c.tx.BankRef)
	}

	p.queue = append(p.queue, c)
	p.open[c.batch] = append(p.open[c.batch], c)

	if len(p.queue)-p.head > maxPending {
		return p.flush(1)
	}

	return nil
}

// batchTotal handles a 7 record.
func (p *parser) batchTotal(t total) error {
	p.checked++

	batch := t.batch
	if p.batches[batch] == nil {
		// Some banks number the totals apart from the checks: one open batch
		// is the one this total closes.
		if only := p.onlyOpenBatch(); only != "" {
			p.warn(t.line, "batch total batch", t.batch,
				"batch total names batch %s; its checks are numbered batch %s", t.batch, only)
			batch = only
		}
	}

	got := p.batches[batch]
	if got == nil {
		got = &tally{}
	}

	delete(p.batches, batch)

	label := "batch " + t.batch + " total"
	ok := p.compare(t.line, ControlBatch, "batch total", label, t.count, t.amount, *got)

	if t.lockbox != "" && p.lockbox != "" && t.lockbox != p.lockbox {
		p.warn(t.line, "batch total lockbox", t.lockbox,
			"%s names lockbox %s, the batch header %s", label, t.lockbox, p.lockbox)
	}

	if ok {
		for _, c := range p.open[batch] {
			c.covered = true
		}
	}

	delete(p.open, batch)

	return p.flush(0)
}

// onlyOpenBatch returns the batch of the checks not yet closed by a total
// when they all belong to one, else "".
func (p *parser) onlyOpenBatch() string {
	only := ""

	for b, t := range p.batches {
		if t.count == 0 && !t.void {
			continue
		}

		if only != "" {
			return ""
		}

		only = b
	}

	return only
}

// lockboxTotal handles an 8 record: it covers every check since the previous
// one.
func (p *parser) lockboxTotal(t total) error {
	p.checked++

	label := "lockbox total"
	if t.lockbox != "" {
		label = "lockbox " + t.lockbox + " total"
	}

	ok := p.compare(t.line, ControlLockbox, "lockbox total", label, t.count, t.amount, p.segTly)

	if ok {
		// The current segment's checks are the end of the queue.
		for i := len(p.queue) - 1; i >= p.head && p.queue[i].segment == p.segment; i-- {
			p.queue[i].covered = true
		}
	}

	p.segment++
	p.segTly = tally{}
	clear(p.batches)
	clear(p.open)

	return p.flush(0)
}

// fileTrailer handles a 9 record.
func (p *parser) fileTrailer(t trailer) error {
	p.trailerLine = t.line

	if t.hasRecords {
		p.checked++
		if t.records != p.records {
			p.mismatch(t.line, ControlTrailer, "file trailer record count",
				strconv.FormatInt(t.records, 10),
				"file trailer: record count %d != %d records in the file", t.records, p.records)
		}
	}

	if !t.hasTotals {
		return p.flush(0)
	}

	p.checked++

	batches := int64(p.batchHeads)
	if t.batches != batches {
		// A batch count alone cannot miscount money: the item count and total
		// below do.
		p.warn(t.line, "file trailer batch count", strconv.FormatInt(t.batches, 10),
			"file trailer: batch count %d != %d batch headers in the file", t.batches, batches)
	}

	ok := p.compare(t.line, ControlTrailer, "file trailer", "file trailer", t.items, t.total,
		p.fileTly)
	if ok {
		for _, c := range p.queue[p.head:] {
			c.covered = true
		}
	}

	return p.flush(0)
}

// compare checks a stated item count and amount against a tally and reports
// whether both agree (or the control is relaxed).
func (p *parser) compare(line int, ctl Control, field, label string, count, amount int64,
	got tally) bool {
	if got.void {
		return false
	}

	ok := true

	if count != got.count {
		ok = false
		p.mismatch(line, ctl, field+" item count", strconv.FormatInt(count, 10),
			"%s: item count %d != %d checks read", label, count, got.count)
	}

	if amount != got.amount {
		ok = false
		p.mismatch(line, ctl, field+" amount", money.FormatMinor(amount, p.exp),
			"%s: amount %s != sum of checks %s", label, money.FormatMinor(amount, p.exp),
			money.FormatMinor(got.amount, p.exp))
	}

	return ok || p.relaxed[ctl]
}

// mismatch rejects the file for a control that does not reconcile, or warns
// when the bank profile relaxed that control.
func (p *parser) mismatch(line int, ctl Control, field, value, format string, args ...any) {
	if p.relaxed[ctl] {
		p.relaxd = true
		p.warn(line, field, value, format+" (relaxed by the bank profile)", args...)

		return
	}

	p.reject(line, field, value, format, args...)
}

// flush emits the covered checks at the head of the queue, in file order, and
// the first force checks whether covered or not. Nothing is emitted once the
// file is rejected.
func (p *parser) flush(force int) error {
	for n := 0; p.head < len(p.queue) && (p.queue[p.head].covered || n < force); n++ {
		c := p.queue[p.head]
		if !c.covered {
			p.early++
			p.markLoose(c, "emitted before a control total covered it")
		}

		p.queue[p.head] = nil
		p.head++

		if len(p.rejs) == 0 {
			if err := p.emit(c.tx); err != nil {
				return fmt.Errorf("emit lockbox transaction: %w", err)
			}
		}
	}

	// Reuse the queue's room once half of it is emitted.
	if p.head > 0 && p.head >= len(p.queue)/2 {
		p.queue = p.queue[:copy(p.queue, p.queue[p.head:])]
		p.head = 0
	}

	return nil
}

func (p *parser) markLoose(c *check, why string) {
	p.loose++
	if c.tx.Direction == bankfile.Credit && c.tx.Kind == bankfile.KindPayment &&
		c.tx.Problem == "" {
		c.tx.Problem = "check not proved by a batch, lockbox or file total: " + why
	}
}

// end finishes the file after its last line.
func (p *parser) end() error {
	if err := p.finishCheck(); err != nil {
		return err
	}

	if p.records == 0 {
		p.reject(0, "file", "", "file holds no lockbox records")
		return nil
	}

	if p.trailerLine == 0 {
		p.warn(0, "file trailer", "", "file has no trailer (9) record")
	}

	if p.headers == 0 {
		p.warn(0, "header", "", "file has no header (1) record")
	}

	for b, t := range p.batches {
		if t.count > 0 {
			p.warn(0, "batch total", b, "batch %s has no batch total (7) record", b)
		}
	}

	uncovered := 0
	for _, c := range p.queue[p.head:] {
		if !c.covered {
			uncovered++
			p.markLoose(c, "the file has no total for it")
		}
	}

	if uncovered > 0 {
		p.warn(0, "controls", "",
			"%d checks are not covered by any batch, lockbox or file total", uncovered)
	}

	if err := p.flush(len(p.queue) - p.head); err != nil {
		return err
	}

	p.finishFile()

	return nil
}

func (p *parser) finishFile() {
	switch {
	case p.relaxd:
		p.file.Controls = bankfile.ControlsMismatch
	case p.checked == 0 || p.loose > 0:
		p.file.Controls = bankfile.ControlsNone
	default:
		p.file.Controls = bankfile.ControlsOK
	}

	if p.early > 0 {
		p.warn(0, "controls", "",
			"%d checks were emitted before a total covered them (more than %d waiting)",
			p.early, maxPending)
	}

	if len(p.lockboxes) == 1 {
		for lb := range p.lockboxes {
			p.file.Account = lb
		}
	}
}
