package world

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Limits of the BAI lockbox layout WriteLockbox writes (the common field
// order: 6 record batch 2-4, item 5-7, amount 8-17, routing 18-26, account
// 27-36, check number 37-46, check date 47-52, remitter 53-82; 4 record
// batch 2-4, item 5-7, type 8, sequence 9-10, last indicator 11, invoice
// 12-41, amount 42-51; 7 record count 21-23, amount 24-33; 8 record count
// 21-24, amount 25-34; 9 record count 2-7).
const (
	lockboxAmountMax  = 9_999_999_999 // ten digits of cents
	lockboxBatchMax   = 999           // checks of a batch, and batches of a lockbox total
	lockboxSegmentMax = 9_999         // checks under one lockbox total
	lockboxRecordsMax = 999_999       // records of a file
	lockboxAccount    = 10            // MICR account digits
	lockboxRemitter   = 30            // remitter name
	lockboxInvoice    = 30            // invoice number
	lockboxOverflows  = 99            // overflow records of one check
)

// LockboxOptions describe the lockbox transmission around the payments. Zero
// fields take their defaults.
type LockboxOptions struct {
	// BatchSize is the number of checks per batch (at most 999). Defaults to
	// 100.
	BatchSize int
	// CRLF ends records with CR LF. Defaults to LF.
	CRLF bool
	// Created is the transmission date and time. Defaults to 18:00 UTC on the
	// latest value date.
	Created time.Time
	// Delimited writes the delimited dialect (fields between '|', dates
	// YYYYMMDD, no field widths) instead of BAI fixed-width records.
	Delimited bool
	// Destination is our id at the bank, in the header. Defaults to
	// "BROOKVALE".
	Destination string
	// Lockbox is the lockbox number, up to seven digits. Defaults to
	// "0077301".
	Lockbox string
	// Origin is the bank's id in the header: up to ten letters and digits.
	// Defaults to the US company's routing number, zero-padded.
	Origin string
	// Payee is our name in the delimited header. Defaults to the US company.
	Payee string
}

// LockboxOptions returns options for the world's own lockbox.
func (w *World) LockboxOptions() LockboxOptions {
	return LockboxOptions{Payee: w.Company.Name}
}

func (o LockboxOptions) withDefaults(ps []Payment) (LockboxOptions, error) {
	if o.BatchSize <= 0 {
		o.BatchSize = 100
	}

	o.BatchSize = min(o.BatchSize, lockboxBatchMax)
	o.Destination = strings.ToUpper(cmpOr(o.Destination, "BROOKVALE"))
	o.Lockbox = cmpOr(o.Lockbox, "0077301")
	routing, _, _ := strings.Cut(usCompany.Account, ":")
	o.Origin = cmpOr(o.Origin, "0"+routing)
	o.Payee = cmpOr(o.Payee, usCompany.Name)
	if o.Created.IsZero() {
		latest := defaultStart
		for _, p := range ps {
			if p.ValueDate.After(latest) {
				latest = p.ValueDate
			}
		}

		o.Created = midnight(latest).Add(18 * time.Hour)
	}

	if len(o.Lockbox) > 7 || !digitsOnly(o.Lockbox) {
		return o, fmt.Errorf("write lockbox: lockbox number %q is not up to seven digits",
			o.Lockbox)
	}

	for _, f := range []string{o.Destination, o.Origin} {
		if len(f) > 10 || strings.Trim(f, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ") != "" {
			return o, fmt.Errorf("write lockbox: header id %q is not up to ten letters and "+
				"digits", f)
		}
	}

	return o, nil
}

// LockboxCheckNumber returns the check number WriteLockbox writes for p,
// which the lockbox reader gives back as the bank reference: "1" and the
// seven-digit sequence number that ends the payment's trace, unique among
// the payments of one Pay call; a payment without a numeric trace gets a
// number derived from its trace and payer.
func LockboxCheckNumber(p Payment) string {
	if len(p.Trace) >= 7 && digitsOnly(p.Trace) {
		return "1" + p.Trace[len(p.Trace)-7:]
	}

	return "2" + pad7(int(hashString(p.Trace+"\x00"+p.PayerName)%10_000_000))
}

// WriteLockbox writes ps as a lockbox transmission: the checks our bank took
// out of our lockbox on their value date, with the remitters' MICR data and
// the invoice lines keyed from the remittance stubs. The BAI fixed-width
// dialect has a header (1) and service record (2), then batches of
// BatchSize checks: batch header (5), one detail (6) per check and its
// overflow records (4) holding one invoice line each (sequence numbers from
// 01, the last marked 9), and a batch total (7) with the item count and
// amount; a lockbox total (8) closes the checks before it, and the trailer
// (9) counts every record. A further lockbox total, whose batches are
// numbered from 1 again, starts when the next check would take the count or
// the amount beyond the fields' widths, or after 999 batches. The
// delimited dialect (Delimited) has the same records with fields between '|'.
//
// Each check is a payment: its amount in cents, the routing and account of
// the payer's account as the MICR line, the check number LockboxCheckNumber,
// a check date two to six days before the value date and the payer's name as
// remitter. Invoice lines: one per structured remittance line with its ref and
// paid amount (the invoiced and discount amounts and the line's type have no
// field, so discount_taken keeps its reference and paid amount, and PO and RF
// references are known by their text only); free remittance text is keyed as
// written, wrapped at blanks over as many lines as the invoice field needs,
// without an amount (the reader gives a check's single line the check
// amount). Memo lines that hold no digit (THANK YOU, VENDOR PAYMENT) name no
// document and are not keyed, so payments without a reference have no
// invoice line.
//
// What the fixed widths cut, and how the kinds degrade: the remitter name is
// upper-case ASCII cut to 30 characters (about one payer in fifteen of the
// benchmark world), so kinds known by name only (payer_name_variant,
// fuzzy_payer_name, third_party_payer) rely on the cut name; an account
// number longer than the 10-digit MICR field, or an IBAN, leaves the account
// blank, so its payer is known by name only; an invoice line holds 30
// characters. The end-to-end id and the payer's id have no field. The
// delimited dialect cuts nothing. Every payment must be in USD and at most
// 99,999,999.99, and the file at most 999,999 records (some 400,000 checks),
// else nothing is written and the error wraps ErrCurrency or ErrAmount. The
// output is the same for the same input.
func WriteLockbox(w io.Writer, ps []Payment, opts LockboxOptions) error {
	opts, err := opts.withDefaults(ps)
	if err != nil {
		return err
	}

	for i, p := range ps {
		switch {
		case p.Amount.Currency != "USD":
			return fmt.Errorf("write lockbox: payment %d (%s): %w: %s", i, p.Trace,
				ErrCurrency, p.Amount.Currency)
		case p.Amount.Minor <= 0 || p.Amount.Minor > lockboxAmountMax:
			return fmt.Errorf("write lockbox: payment %d (%s): %w: %d", i, p.Trace, ErrAmount,
				p.Amount.Minor)
		}
	}

	lw := &lockboxWriter{bw: bufio.NewWriterSize(w, 64<<10), o: opts, eol: "\n"}
	if opts.CRLF {
		lw.eol = "\r\n"
	}

	if err := lw.plan(ps); err != nil {
		return err
	}

	lw.file(ps)

	return lw.flush()
}

// lockboxBatch is a run of consecutive payments written as one batch.
type lockboxBatch struct {
	from, to int // payments [from, to)
	number   int // batch number, from 1 after each lockbox total
	amount   int64
	last     bool // the last batch before a lockbox total
}

type lockboxWriter struct {
	bw      *bufio.Writer
	o       LockboxOptions
	eol     string
	err     error
	records int
	batches []lockboxBatch
}

func (l *lockboxWriter) flush() error {
	if l.err != nil {
		return fmt.Errorf("write lockbox: %w", l.err)
	}

	if err := l.bw.Flush(); err != nil {
		return fmt.Errorf("write lockbox: %w", err)
	}

	return nil
}

func (l *lockboxWriter) record(s string) {
	l.records++
	if l.err != nil {
		return
	}

	if _, err := l.bw.WriteString(strings.TrimRight(s, " ")); err != nil {
		l.err = err
		return
	}

	_, l.err = l.bw.WriteString(l.eol)
}

// plan cuts the payments into batches and lockbox segments within the
// fields' widths, and checks the file stays within them.
func (l *lockboxWriter) plan(ps []Payment) error {
	var segCount, segBatches int
	var segAmount int64
	records := 3 // header, service record, trailer
	closeSegment := func() {
		l.batches[len(l.batches)-1].last = true
		segCount, segBatches, segAmount = 0, 0, 0
		records++ // lockbox total
	}

	for i := 0; i < len(ps); {
		b := lockboxBatch{from: i}
		for i < len(ps) && i-b.from < l.o.BatchSize {
			a := ps[i].Amount.Minor
			if b.amount+a > lockboxAmountMax || segCount+1 > lockboxSegmentMax ||
				segAmount+a > lockboxAmountMax {
				break
			}

			b.amount += a
			segCount++
			segAmount += a
			records += 1 + len(l.invoiceLines(&ps[i]))
			i++
		}

		b.to = i
		if b.to == b.from {
			// The lockbox total is full: close it before this batch.
			closeSegment()
			continue
		}

		records += 2 // batch header and total
		segBatches++
		b.number = segBatches
		l.batches = append(l.batches, b)
		if i == len(ps) || i-b.from < l.o.BatchSize || segBatches == lockboxBatchMax {
			closeSegment()
		}
	}

	if records > lockboxRecordsMax {
		return fmt.Errorf("write lockbox: %w: %d records", ErrAmount, records)
	}

	return nil
}

func (l *lockboxWriter) file(ps []Payment) {
	o := l.o
	if o.Delimited {
		l.record("1|" + o.Lockbox + "|" + delimitedValue(o.Payee) + "|" +
			o.Created.Format("20060102") + "|" + o.Created.Format("1504"))
	} else {
		l.record("100" + padRight(o.Destination, 10) + padLeft(o.Origin, 10, '0') +
			o.Created.Format("060102") + o.Created.Format("1504"))
		l.record("2" + padRight(o.Destination, 10) + padLeft(o.Origin, 10, '0') + "080000")
	}

	var segCount, fileCount int
	var segAmount, fileAmount int64
	for _, b := range l.batches {
		l.batch(ps, b)
		segCount += b.to - b.from
		segAmount += b.amount
		if b.last {
			l.lockboxTotal(ps[b.from].ValueDate, segCount, segAmount)
			fileCount += segCount
			fileAmount += segAmount
			segCount, segAmount = 0, 0
		}
	}

	if o.Delimited {
		l.record("9|" + strconv.Itoa(len(l.batches)) + "|" + strconv.Itoa(fileCount) + "|" +
			strconv.FormatInt(fileAmount, 10))
		return
	}

	l.record("9" + padInt(int64(l.records+1), 6))
}

// batch writes one batch of checks.
func (l *lockboxWriter) batch(ps []Payment, b lockboxBatch) {
	o := l.o
	batch := padInt(int64(b.number), 3)
	date := ps[b.from].ValueDate
	if o.Delimited {
		l.record("5|" + batch + "|" + date.Format("20060102"))
	} else {
		l.record("5" + batch + "000" + padLeft(o.Lockbox, 7, '0') + date.Format("060102") +
			padRight(o.Destination, 10) + padLeft(o.Origin, 10, '0'))
	}

	for i := b.from; i < b.to; i++ {
		l.check(&ps[i], batch, padInt(int64(i-b.from+1), 3))
	}

	count := int64(b.to - b.from)
	if o.Delimited {
		l.record("7|" + batch + "|" + strconv.FormatInt(count, 10) + "|" +
			strconv.FormatInt(b.amount, 10))
		return
	}

	l.record("7" + batch + "000" + padLeft(o.Lockbox, 7, '0') + date.Format("060102") +
		padInt(count, 3) + padInt(b.amount, 10))
}

func (l *lockboxWriter) lockboxTotal(date time.Time, count int, amount int64) {
	o := l.o
	if o.Delimited {
		l.record("8|" + o.Lockbox + "|" + strconv.Itoa(count) + "|" +
			strconv.FormatInt(amount, 10))
		return
	}

	l.record("8000000" + padLeft(o.Lockbox, 7, '0') + date.Format("060102") +
		padInt(int64(count), 4) + padInt(amount, 10))
}

// check writes the detail record of p and its invoice lines.
func (l *lockboxWriter) check(p *Payment, batch, item string) {
	routing, acct, us := strings.Cut(p.PayerAccount, ":")
	if !us {
		routing, acct = "", ""
	}

	number := LockboxCheckNumber(*p)
	checkDate := p.ValueDate.AddDate(0, 0, -2-int(hashString(number)%5))
	lines := l.invoiceLines(p)
	if l.o.Delimited {
		l.record("6|" + batch + "|" + item + "|CHK|" + number + "|" +
			strconv.FormatInt(p.Amount.Minor, 10) + "|" + routing + "|" + acct + "|" +
			delimitedValue(p.PayerName))
		for k, in := range lines {
			l.record("4|" + batch + "|" + item + "|" + padInt(int64(k+1), 2) + "|" +
				delimitedValue(in.ref) + "|" + in.amount)
		}

		return
	}

	if len(acct) > lockboxAccount {
		acct = ""
	}

	micr := padLeft(routing, 9, '0') + padLeft(acct, lockboxAccount, '0')
	if acct == "" {
		micr = padLeft(routing, 9, '0') + strings.Repeat(" ", lockboxAccount)
	}

	l.record("6" + batch + item + padInt(p.Amount.Minor, 10) + micr +
		padLeft(number, 10, '0') + checkDate.Format("060102") +
		bankName(p.PayerName, lockboxRemitter))
	for k, in := range lines {
		last := "0"
		if k == len(lines)-1 {
			last = "9"
		}

		amount := strings.Repeat(" ", 10)
		if in.amount != "" {
			amount = padLeft(in.amount, 10, '0')
		}

		l.record("4" + batch + item + "6" + padInt(int64(k+1), 2) + last +
			padRight(in.ref, lockboxInvoice) + amount)
	}
}

// lockboxLine is one keyed invoice line: reference and amount in cents ("" when
// not stated).
type lockboxLine struct {
	ref, amount string
}

// invoiceLines returns the keyed invoice lines of p (see WriteLockbox).
func (l *lockboxWriter) invoiceLines(p *Payment) []lockboxLine {
	var out []lockboxLine
	width := lockboxInvoice
	if l.o.Delimited {
		width = 1 << 10
	}

	for _, r := range p.Remits {
		ref := strings.ToUpper(strings.Join(strings.Fields(asciiFold(r.Ref)), " "))
		if ref == "" {
			continue
		}

		in := lockboxLine{ref: cutRunes(ref, width)}
		if r.Paid > 0 {
			in.amount = strconv.FormatInt(r.Paid, 10)
		}

		out = append(out, in)
	}

	for _, chunk := range wrapAt(asciiFold(p.Remittance), width) {
		if strings.ContainsAny(chunk, "0123456789") {
			out = append(out, lockboxLine{ref: chunk})
		}
	}

	return out[:min(len(out), lockboxOverflows)]
}

// wrapAt cuts text into lines of at most width characters at blanks; a word
// longer than width is cut.
func wrapAt(text string, width int) []string {
	var out []string
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len(line)+1+len(word) <= width {
			line += " " + word
			continue
		}

		if line != "" {
			out = append(out, line)
		}

		for len(word) > width {
			out = append(out, word[:width])
			word = word[width:]
		}

		line = word
	}

	if line != "" {
		out = append(out, line)
	}

	return out
}

// delimitedValue makes s a field of the delimited dialect: ASCII without '|'.
func delimitedValue(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(asciiFold(s), "|", " "))
}

func padRight(s string, n int) string {
	if len(s) >= n {
		return s[:n]
	}

	return s + strings.Repeat(" ", n-len(s))
}

func padLeft(s string, n int, c byte) string {
	if len(s) >= n {
		return s[len(s)-n:]
	}

	return strings.Repeat(string(c), n-len(s)) + s
}

// padInt writes v zero-filled to n digits, keeping the low digits.
func padInt(v int64, n int) string {
	return padLeft(strconv.FormatInt(v, 10), n, '0')
}
