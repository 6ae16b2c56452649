package world

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

// ErrCurrency reports a payment whose currency the file format cannot carry.
var ErrCurrency = errors.New("currency not supported by format")

// ErrAmount reports a payment amount the file format cannot carry.
var ErrAmount = errors.New("amount out of range for format")

// NACHAOptions describe the NACHA file around the payments. Zero fields take
// their defaults.
type NACHAOptions struct {
	// CRLF ends records with CR LF. Defaults to LF.
	CRLF bool
	// Created is the file creation date and time. Defaults to 06:00 UTC on the
	// first payment's value date.
	Created time.Time
	// DestinationName is the immediate destination name (our bank). Defaults
	// to "BROOKVALE NATIONAL BANK".
	DestinationName string
	// Envelope wraps each CTX 820 in ISA/GS ... GE/IEA segments. Defaults to a
	// bare ST ... SE transaction set.
	Envelope bool
	// FileIDModifier is the file id modifier, 'A'-'Z' or '0'-'9'. Defaults to 'A'.
	FileIDModifier byte
	// OriginName is the immediate origin name (the ACH operator). Defaults to
	// "ACH OPERATOR".
	OriginName string
	// OriginRouting is the immediate origin routing number. Defaults to an
	// invented valid routing number.
	OriginRouting string
	// ReceiverAccount is our account as "routing:account": the RDFI of every
	// entry and the immediate destination. Defaults to the US world's Company
	// account.
	ReceiverAccount string
	// ReceiverName is our name in the entries. Defaults to the US world's
	// Company name.
	ReceiverName string
}

// NACHAOptions returns options that credit the world's own company.
func (w *World) NACHAOptions() NACHAOptions {
	o := NACHAOptions{ReceiverName: w.Company.Name}
	if strings.Contains(w.Company.Account, ":") {
		o.ReceiverAccount = w.Company.Account
	}

	return o
}

func (o NACHAOptions) withDefaults(ps []Payment) (NACHAOptions, error) {
	if o.DestinationName == "" {
		o.DestinationName = "BROOKVALE NATIONAL BANK"
	}

	if o.OriginName == "" {
		o.OriginName = "ACH OPERATOR"
	}

	if o.OriginRouting == "" {
		o.OriginRouting = abaCheck("09100201")
	}

	if o.ReceiverAccount == "" {
		o.ReceiverAccount = usCompany.Account
	}

	if o.ReceiverName == "" {
		o.ReceiverName = usCompany.Name
	}

	if o.FileIDModifier == 0 {
		o.FileIDModifier = 'A'
	}

	if o.Created.IsZero() {
		o.Created = defaultStart
		if len(ps) > 0 {
			o.Created = ps[0].ValueDate
		}

		o.Created = midnight(o.Created).Add(6 * time.Hour)
	}

	routing, acct, ok := strings.Cut(o.ReceiverAccount, ":")
	if !ok || !ValidABA(routing) || acct == "" || len(acct) > 17 {
		return o, fmt.Errorf("write nacha: receiver account %q is not routing:account",
			o.ReceiverAccount)
	}

	if !ValidABA(o.OriginRouting) {
		return o, fmt.Errorf("write nacha: origin routing %q is not a routing number",
			o.OriginRouting)
	}

	return o, nil
}

// maxNACHAAmount is the largest entry amount: ten digits of cents.
const maxNACHAAmount = 9_999_999_999

// WriteNACHA writes ps as a NACHA file of credits (transaction code 22) to our
// account, as our bank would deliver it: one batch per originating company
// (payer name, company id, ODFI, entry description and value date), in order
// of first appearance. Payments with several remittance lines or with invoiced or
// discount amounts become CTX entries whose addenda carry an X12 820 split
// over 80-character records; the others are CCD entries with at most one
// addenda (free text, or one RMR segment). Names are folded to upper-case
// ASCII and cut to the field widths (company name 16, receiving name 22).
// Entries keep the payments' 15-digit traces; a batch whose traces do not
// ascend under one ODFI is renumbered. Every payment must be in USD and at
// most 99,999,999.99, else nothing is written and the error wraps ErrCurrency
// or ErrAmount.
func WriteNACHA(w io.Writer, ps []Payment, opts NACHAOptions) error {
	opts, err := opts.withDefaults(ps)
	if err != nil {
		return err
	}

	for i, p := range ps {
		switch {
		case p.Amount.Currency != "USD":
			return fmt.Errorf("write nacha: payment %d (%s): %w: %s", i, p.Trace, ErrCurrency,
				p.Amount.Currency)
		case p.Amount.Minor <= 0 || p.Amount.Minor > maxNACHAAmount:
			return fmt.Errorf("write nacha: payment %d (%s): %w: %d", i, p.Trace, ErrAmount,
				p.Amount.Minor)
		}
	}

	nw := newNACHAWriter(w, opts)
	nw.fileHeader()
	for _, b := range groupBatches(ps) {
		nw.batch(ps, b)
	}

	nw.fileControl()

	return nw.flush()
}

// nachaBatch is one batch: its key fields and the payments in it, in order.
type nachaBatch struct {
	name, id, sec, odfi, desc string
	members                   []int32
}

// groupBatches puts payments into batches by originating company, keeping
// the order of first appearance.
func groupBatches(ps []Payment) []*nachaBatch {
	index := make(map[string]*nachaBatch)
	var out []*nachaBatch
	key := make([]byte, 0, 64)
	for i := range ps {
		p := &ps[i]
		name, id, sec, odfi := bankName(p.PayerName, 16), companyID(p), secCode(p), odfiOf(p)
		key = append(key[:0], name...)
		for _, s := range []string{id, sec, odfi} {
			key = append(key, 0)
			key = append(key, s...)
		}

		key = strconv.AppendInt(append(key, 0), p.ValueDate.Unix(), 10)
		if got, ok := index[string(key)]; ok {
			got.members = append(got.members, int32(i))
			continue
		}

		b := &nachaBatch{name: name, id: id, sec: sec, odfi: odfi, members: []int32{int32(i)}}
		b.desc = entryDescriptions[hashString(id)%uint64(len(entryDescriptions))]
		index[string(key)] = b
		out = append(out, b)
	}

	return out
}

// companyID returns the ten-character company identification of the payer.
func companyID(p *Payment) string {
	id := strings.ToUpper(asciiFold(p.PayerID))
	if id == "" {
		id = "1" + strconv.FormatUint(100000000+hashString(p.PayerName)%900000000, 10)
	}

	if len(id) > 10 {
		id = id[:10]
	}

	return id
}

// secCode is CTX for payments with structured remittance beyond one plain
// RMR, else CCD.
func secCode(p *Payment) string {
	if len(p.Remits) > 1 {
		return "CTX"
	}

	for _, r := range p.Remits {
		if r.Invoiced != 0 || r.Discount != 0 {
			return "CTX"
		}
	}

	return "CCD"
}

func validTrace(t string) bool {
	return len(t) == 15 && digitsOnly(t)
}

func odfiOf(p *Payment) string {
	if validTrace(p.Trace) {
		return p.Trace[:8]
	}

	return tracePrefix(p.PayerAccount, p.ValueDate)
}

// nachaWriter streams records and keeps the file totals.
type nachaWriter struct {
	bw      *bufio.Writer
	opts    NACHAOptions
	rdfi    string // our routing number's first eight digits
	check   byte
	account string
	eol     string
	rec     [94]byte
	x12     []byte
	batches int
	lines   int
	entries int // entries and addenda
	hash    int64
	credit  int64
	seq     int // renumbering counter
	err     error
}

func newNACHAWriter(w io.Writer, opts NACHAOptions) *nachaWriter {
	routing, acct, _ := strings.Cut(opts.ReceiverAccount, ":")
	eol := "\n"
	if opts.CRLF {
		eol = "\r\n"
	}

	return &nachaWriter{
		bw: bufio.NewWriterSize(w, 64<<10), opts: opts, rdfi: routing[:8],
		check: routing[8], account: acct, eol: eol, x12: make([]byte, 0, 1024),
	}
}

func (n *nachaWriter) flush() error {
	if n.err != nil {
		return fmt.Errorf("write nacha: %w", n.err)
	}

	if err := n.bw.Flush(); err != nil {
		return fmt.Errorf("write nacha: %w", err)
	}

	return nil
}

// blank fills the record with spaces and sets its type code.
func (n *nachaWriter) blank(kind byte) {
	for i := range n.rec {
		n.rec[i] = ' '
	}

	n.rec[0] = kind
}

// alphaBytes is alpha for a byte slice.
func (n *nachaWriter) alphaBytes(pos, width int, s []byte) {
	for i := 0; i < width; i++ {
		c := byte(' ')
		if i < len(s) {
			c = s[i]
		}

		n.rec[pos-1+i] = c
	}
}

// alpha puts s left-justified at 1-based position pos, cut or padded to width.
func (n *nachaWriter) alpha(pos, width int, s string) {
	for i := 0; i < width; i++ {
		c := byte(' ')
		if i < len(s) {
			c = s[i]
		}

		n.rec[pos-1+i] = c
	}
}

// num puts v right-justified and zero-filled at pos, keeping the low digits.
func (n *nachaWriter) num(pos, width int, v int64) {
	for i := width - 1; i >= 0; i-- {
		n.rec[pos-1+i] = byte('0' + v%10)
		v /= 10
	}
}

func (n *nachaWriter) emit() {
	if n.err != nil {
		return
	}

	if _, err := n.bw.Write(n.rec[:]); err != nil {
		n.err = err
		return
	}

	_, n.err = n.bw.WriteString(n.eol)
	n.lines++
}

func (n *nachaWriter) fileHeader() {
	o := n.opts
	n.blank('1')
	n.alpha(2, 2, "01")
	n.alpha(4, 10, " "+n.rdfi+string(n.check))
	n.alpha(14, 10, " "+o.OriginRouting)
	n.alpha(24, 6, o.Created.Format("060102"))
	n.alpha(30, 4, o.Created.Format("1504"))
	n.rec[33] = o.FileIDModifier
	n.alpha(35, 3, "094")
	n.alpha(38, 2, "10")
	n.alpha(40, 1, "1")
	n.alpha(41, 23, bankName(o.DestinationName, 23))
	n.alpha(64, 23, bankName(o.OriginName, 23))
	n.emit()
}

func (n *nachaWriter) batch(ps []Payment, b *nachaBatch) {
	n.batches++
	vd := ps[b.members[0]].ValueDate
	n.blank('5')
	n.alpha(2, 3, "220")
	n.alpha(5, 16, b.name)
	n.alpha(41, 10, b.id)
	n.alpha(51, 3, b.sec)
	n.alpha(54, 10, b.desc)
	n.alpha(70, 6, vd.Format("060102"))
	n.num(76, 3, int64(vd.YearDay()))
	n.alpha(79, 1, "1")
	n.alpha(80, 8, b.odfi)
	n.num(88, 7, int64(n.batches))
	n.emit()

	renumber := !ascendingTraces(ps, b)
	count, credit := 0, int64(0)
	for _, i := range b.members {
		p := &ps[i]
		trace := p.Trace
		if renumber {
			n.seq++
			trace = b.odfi + pad7(n.seq)
		}

		count += 1 + n.entry(p, b.sec, trace)
		credit += p.Amount.Minor
	}

	hash := int64(len(b.members)) * mustAtoi(n.rdfi) % 10_000_000_000
	n.entries += count
	n.hash = (n.hash + hash) % 10_000_000_000
	n.credit += credit

	n.blank('8')
	n.alpha(2, 3, "220")
	n.num(5, 6, int64(count))
	n.num(11, 10, hash)
	n.num(21, 12, 0)
	n.num(33, 12, credit)
	n.alpha(45, 10, b.id)
	n.alpha(80, 8, b.odfi)
	n.num(88, 7, int64(n.batches))
	n.emit()
}

// ascendingTraces reports whether the batch's traces are valid, under its
// ODFI and strictly ascending.
func ascendingTraces(ps []Payment, b *nachaBatch) bool {
	last := ""
	for _, i := range b.members {
		t := ps[i].Trace
		if !validTrace(t) || t[:8] != b.odfi || t <= last {
			return false
		}

		last = t
	}

	return true
}

func mustAtoi(s string) int64 {
	v, _ := strconv.ParseInt(s, 10, 64)
	return v
}

// entry writes the entry detail record of p and its addenda, and returns the
// number of addenda.
func (n *nachaWriter) entry(p *Payment, sec, trace string) int {
	var addenda []byte
	switch {
	case sec == "CTX":
		addenda = n.build820(p, trace)
	case len(p.Remits) == 1:
		addenda = n.rmr(n.x12[:0], p.Remits[0], p.Amount.Currency)
	case p.Remittance != "":
		addenda = append(n.x12[:0], asciiFold(p.Remittance)...)
		if len(addenda) > 80 {
			addenda = addenda[:80]
		}
	}

	count := (len(addenda) + 79) / 80
	n.blank('6')
	n.alpha(2, 2, "22")
	n.alpha(4, 8, n.rdfi)
	n.rec[11] = n.check
	n.alpha(13, 17, n.account)
	n.num(30, 10, p.Amount.Minor)
	n.alpha(40, 15, strings.ToUpper(asciiFold(p.EndToEndID)))
	if sec == "CTX" {
		n.num(55, 4, int64(count))
		n.alpha(59, 16, bankName(n.opts.ReceiverName, 16))
	} else {
		n.alpha(55, 22, bankName(n.opts.ReceiverName, 22))
	}

	if count > 0 {
		n.rec[78] = '1'
	} else {
		n.rec[78] = '0'
	}

	n.alpha(80, 15, trace)
	n.emit()

	for k := 0; k < count; k++ {
		chunk := addenda[k*80 : min(len(addenda), k*80+80)]
		n.blank('7')
		n.alpha(2, 2, "05")
		n.alphaBytes(4, 80, chunk)
		n.num(84, 4, int64(k+1))
		n.alpha(88, 7, trace[8:])
		n.emit()
	}

	return count
}

// x12Clean makes s safe as an X12 element: ASCII, upper case, without the
// separators * \ ~ > .
func x12Clean(s string) string {
	s = strings.ToUpper(asciiFold(s))
	if !strings.ContainsAny(s, "*\\~>") {
		return s
	}

	return strings.Map(func(r rune) rune {
		if strings.ContainsRune("*\\~>", r) {
			return ' '
		}

		return r
	}, s)
}

// rmr appends one RMR segment: qualifier, reference, paid, invoiced and
// discount amounts, leaving off empty trailing elements.
func (n *nachaWriter) rmr(b []byte, r bankfile.Remit, currency string) []byte {
	qual := r.RefType
	if qual == "" {
		qual = "IV"
	}

	b = append(b, "RMR*"...)
	b = append(b, x12Clean(qual)...)
	b = append(b, '*')
	b = append(b, x12Clean(r.Ref)...)
	b = append(b, "**"...)
	b = append(b, decimal(r.Paid, currency)...)
	if r.Invoiced != 0 || r.Discount != 0 {
		b = append(b, '*')
		b = append(b, decimal(r.Invoiced, currency)...)
	}

	if r.Discount != 0 {
		b = append(b, '*')
		b = append(b, decimal(r.Discount, currency)...)
	}

	return append(b, '\\')
}

// decimal formats minor units of currency with the currency's digits (two for
// an unknown code).
func decimal(minor int64, currency string) string {
	return money.FormatMinor(minor, exponent(currency))
}

// exponents caches money.Exponent, which the writers ask once per amount.
var exponents sync.Map

func exponent(currency string) int {
	if v, ok := exponents.Load(currency); ok {
		return v.(int)
	}

	exp, err := money.Exponent(currency)
	if err != nil {
		exp = 2
	}

	exponents.Store(currency, exp)

	return exp
}

// build820 returns the X12 820 transaction set for a CTX payment, optionally
// inside an ISA/GS envelope. It reuses n.x12.
func (n *nachaWriter) build820(p *Payment, trace string) []byte {
	b := n.x12[:0]
	id := companyID(p)
	ctl := fmt.Sprintf("%09d", mustAtoi(trace[8:]))
	if n.opts.Envelope {
		b = append(b, "ISA*00*          *00*          *ZZ*"...)
		b = append(b, fmt.Sprintf("%-15s*ZZ*%-15s*", id, n.rdfi+string(n.check))...)
		b = append(b, n.opts.Created.Format("060102*1504")...)
		b = append(b, "*U*00401*"...)
		b = append(b, ctl...)
		b = append(b, "*0*P*>\\GS*RA*"...)
		b = append(b, id+"*"+n.rdfi+string(n.check)+"*"...)
		b = append(b, n.opts.Created.Format("20060102*1504")...)
		b = append(b, "*1*X*004010\\"...)
	}

	b = append(b, "ST*820*0001\\BPR*C*"...)
	b = append(b, decimal(p.Amount.Minor, p.Amount.Currency)...)
	b = append(b, "*C*ACH*CTX*"...)
	if routing, acct, ok := strings.Cut(p.PayerAccount, ":"); ok {
		b = append(b, "01*"+routing+"*DA*"+x12Clean(acct)+"*"...)
	} else {
		b = append(b, "****"...)
	}

	b = append(b, id+"**01*"+n.rdfi+string(n.check)+"*DA*"+n.account+"*"...)
	b = append(b, p.ValueDate.Format("20060102")...)
	b = append(b, "\\TRN*1*"...)
	ref := p.EndToEndID
	if ref == "" {
		ref = trace
	}

	b = append(b, x12Clean(ref)+"*"+id+"\\N1*PR*"...)
	b = append(b, x12Clean(p.PayerName)...)
	b = append(b, "\\N1*PE*"...)
	b = append(b, x12Clean(n.opts.ReceiverName)...)
	b = append(b, "\\ENT*1\\"...)
	for _, r := range p.Remits {
		b = n.rmr(b, r, p.Amount.Currency)
	}

	segments := 7 + len(p.Remits) // ST BPR TRN N1 N1 ENT RMR... SE
	b = append(b, "SE*"+strconv.Itoa(segments)+"*0001\\"...)
	if n.opts.Envelope {
		b = append(b, "GE*1*1\\IEA*1*"+ctl+"\\"...)
	}

	n.x12 = b

	return b
}

func (n *nachaWriter) fileControl() {
	lines := n.lines + 1
	blocks := (lines + 9) / 10
	n.blank('9')
	n.num(2, 6, int64(n.batches))
	n.num(8, 6, int64(blocks))
	n.num(14, 8, int64(n.entries))
	n.num(22, 10, n.hash)
	n.num(32, 12, 0)
	n.num(44, 12, n.credit)
	n.emit()

	for n.lines < blocks*10 && n.err == nil {
		for i := range n.rec {
			n.rec[i] = '9'
		}

		n.emit()
	}
}
