package world

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// BAI2 detail type codes WriteBAI2 writes for incoming payments.
const (
	// BAI2ACHCredit is type code 142, ACH credit received.
	BAI2ACHCredit = 142
	// BAI2CheckDeposit is type code 175, check deposit package.
	BAI2CheckDeposit = 175
	// BAI2Wire is type code 195, incoming money transfer.
	BAI2Wire = 195
)

// bai2RecordLength is the physical record length WriteBAI2 states in the file
// header and keeps every record within.
const bai2RecordLength = 80

// bai2NameWidth is the longest payer name a "DBNM: " 88 record holds without
// filling the record, which a reader would glue to the next one.
const bai2NameWidth = bai2RecordLength - len("88,DBNM: ") - 1

// BAI2Options describe the BAI2 file around the payments. Zero fields take
// their defaults.
type BAI2Options struct {
	// Account is our account number as the bank reports it. Defaults to the
	// account number of the generated worlds' company (the IBAN for IBAN
	// currencies).
	Account string
	// BankID is the sender of the file and originator of its groups: our
	// bank's routing number. Defaults to the US company's routing number.
	BankID string
	// CRLF ends records with CR LF. Defaults to LF.
	CRLF bool
	// Created is the file creation time. Defaults to 06:00 UTC the day after
	// the latest value date.
	Created time.Time
	// Currency is the account currency: its account comes first in each group
	// and gets OpeningBalance. Payments in other currencies go to further
	// accounts of the same number, one per currency. Defaults to the most
	// common payment currency.
	Currency string
	// FileID is the file identification number. Defaults to the creation date
	// as YYMMDD and "01".
	FileID string
	// OpeningBalance is the opening ledger balance of the account-currency
	// account on the first day, in minor units. Defaults to 0.
	OpeningBalance int64
	// ReceiverID is the receiver of the file: our customer id at the bank.
	// Defaults to "BROOKVALE".
	ReceiverID string
}

// BAI2Options returns options for a report of the world's own account.
func (w *World) BAI2Options() BAI2Options {
	o := BAI2Options{Currency: w.Config.Currency}
	if routing, acct, ok := strings.Cut(w.Company.Account, ":"); ok {
		o.Account, o.BankID = acct, routing
	} else {
		o.Account = w.Company.Account
	}

	return o
}

func (o BAI2Options) withDefaults(ps []Payment) BAI2Options {
	if o.Currency == "" {
		counts := make(map[string]int)
		for _, p := range ps {
			counts[p.Amount.Currency]++
		}

		o.Currency = mostCommon(counts, "USD")
	}

	routing, acct, _ := strings.Cut(usCompany.Account, ":")
	if o.Account == "" {
		o.Account = acct
		if ibanCurrencies[o.Currency] {
			o.Account = euCompany.Account
		}
	}

	o.BankID = cmpOr(o.BankID, routing)
	o.ReceiverID = cmpOr(o.ReceiverID, "BROOKVALE")
	if o.Created.IsZero() {
		latest := defaultStart
		for _, p := range ps {
			if p.ValueDate.After(latest) {
				latest = p.ValueDate
			}
		}

		o.Created = midnight(latest).AddDate(0, 0, 1).Add(6 * time.Hour)
	}

	o.FileID = cmpOr(o.FileID, o.Created.Format("060102")+"01")

	return o
}

// WriteBAI2 writes ps as a BAI2 prior-day report of our account, as a US bank
// delivers it: one group (02) per value date, the as-of date, in date order,
// and in each group one account (03) per currency, the account currency
// first. An account states its opening ledger (010), closing ledger (015),
// total credits (100, with the item count) and total debits (400, none); the
// closing ledger of a day opens the next day of that currency. Every payment is
// one credit detail (16) of funds type 0 (immediate, value date = as-of date)
// with the payment's trace as bank reference and its end-to-end id as customer
// reference; amounts are in the currency's minor units (implied decimals: 2
// for USD, 0 for JPY, 3 for BHD). Trailers 49, 98 and 99 carry the control
// totals (the account's summary and detail amounts, then their sums) and
// record counts, 88 continuations included. Records stay within 80
// characters; longer text continues in 88 records.
//
// The type code follows the payer: 195 (incoming money transfer) for IBAN
// payers, 142 (ACH credit) for US payers with structured remittance, and for
// the other US payers a stable mix of 142, 195 and 175 (check deposit) by
// trace. What each carries, one "KEY: value" text per 88 record as banks do:
//
//   - 142: "ORIGINATOR:" the payer's name as the ACH batch gave it, cut to the
//     16 characters of a NACHA company name, and "EREF:" the end-to-end id.
//     ACH tells the receiving bank nothing of the payer's account, so kinds
//     that need a known account (no_ref_unique_amount, multi_invoice_no_ref)
//     identify the payer by that cut name only, as in NACHA.
//   - 195: "DBNM:" the name (cut to 70 characters, which no generated name
//     reaches), "DABA:" the payer's routing number (none for an IBAN), "DACT:"
//     the account number or IBAN and "EREF:".
//   - 175: "DBNM:" the name printed on the check and the MICR routing and
//     account as "DABA:" and "DACT:".
//
// BAI2 has no structured remittance: remittance lines become text, their
// references joined by blanks, so the amounts paid, invoiced and discounted
// per line are lost (discount_taken and partial keep their references and
// the amount), a PO or RF line is known by its text only, and an RF
// reference keeps its check digits. Free text is written as the payer sent
// it. The payer's id (ACH company id or BIC) has no place. Text is folded to
// printable ASCII, names to upper case; a '/' ending a text record would read
// as its terminator and is dropped. The output is the same for the same input.
func WriteBAI2(w io.Writer, ps []Payment, opts BAI2Options) error {
	opts = opts.withDefaults(ps)
	for i, p := range ps {
		if p.Amount.Minor <= 0 || len(p.Amount.Currency) != 3 {
			return fmt.Errorf("write bai2: payment %d (%s): %w: %s", i, p.Trace, ErrAmount,
				p.Amount)
		}
	}

	bw := &bai2Writer{bw: bufio.NewWriterSize(w, 64<<10), eol: "\n", o: opts}
	if opts.CRLF {
		bw.eol = "\r\n"
	}

	bw.file(ps)

	return bw.flush()
}

// bai2Writer streams records and counts them for the trailers.
type bai2Writer struct {
	bw  *bufio.Writer
	eol string
	o   BAI2Options
	err error

	fileRecs, groupRecs, acctRecs int
	line                          []byte
}

func (b *bai2Writer) flush() error {
	if b.err != nil {
		return fmt.Errorf("write bai2: %w", b.err)
	}

	if err := b.bw.Flush(); err != nil {
		return fmt.Errorf("write bai2: %w", err)
	}

	return nil
}

// record writes one logical record on its own line and counts it.
func (b *bai2Writer) record(s string) {
	b.fileRecs++
	b.groupRecs++
	b.acctRecs++
	if b.err != nil {
		return
	}

	if _, err := b.bw.WriteString(s); err != nil {
		b.err = err
		return
	}

	_, b.err = b.bw.WriteString(b.eol)
}

// bai2Day is the payments of one as-of date, by currency.
type bai2Day struct {
	date  time.Time
	ccys  []string
	byCcy map[string][]int32
}

// days groups the payments by value date and currency, dates ascending and
// the account currency first.
func (b *bai2Writer) days(ps []Payment) []*bai2Day {
	index := make(map[time.Time]*bai2Day)
	var out []*bai2Day
	for i, p := range ps {
		d := midnight(p.ValueDate)
		day := index[d]
		if day == nil {
			day = &bai2Day{date: d, byCcy: make(map[string][]int32)}
			index[d] = day
			out = append(out, day)
		}

		ccy := p.Amount.Currency
		if day.byCcy[ccy] == nil {
			day.ccys = append(day.ccys, ccy)
		}

		day.byCcy[ccy] = append(day.byCcy[ccy], int32(i))
	}

	slices.SortFunc(out, func(a, c *bai2Day) int { return a.date.Compare(c.date) })
	for _, day := range out {
		slices.SortFunc(day.ccys, func(a, c string) int {
			switch {
			case a == c:
				return 0
			case a == b.o.Currency:
				return -1
			case c == b.o.Currency:
				return 1
			}

			return strings.Compare(a, c)
		})
	}

	return out
}

func (b *bai2Writer) file(ps []Payment) {
	o := b.o
	b.record("01," + o.BankID + "," + bai2Text(o.ReceiverID) + "," +
		o.Created.Format("060102") + "," + o.Created.Format("1504") + "," + o.FileID + "," +
		strconv.Itoa(bai2RecordLength) + ",,2/")

	balance := map[string]int64{o.Currency: o.OpeningBalance}
	var fileTotal int64
	days := b.days(ps)
	for _, day := range days {
		fileTotal += b.group(ps, day, balance)
	}

	b.record("99," + strconv.FormatInt(fileTotal, 10) + "," + strconv.Itoa(len(days)) + "," +
		strconv.Itoa(b.fileRecs+1) + "/")
}

// group writes one 02 ... 98 group and returns its control total.
func (b *bai2Writer) group(ps []Payment, day *bai2Day, balance map[string]int64) int64 {
	b.groupRecs = 0
	b.record("02," + bai2Text(b.o.ReceiverID) + "," + b.o.BankID + ",1," +
		day.date.Format("060102") + ",," + b.o.Currency + ",2/")

	var total int64
	for _, ccy := range day.ccys {
		total += b.account(ps, ccy, day.byCcy[ccy], balance)
	}

	b.record("98," + strconv.FormatInt(total, 10) + "," + strconv.Itoa(len(day.ccys)) + "," +
		strconv.Itoa(b.groupRecs+1) + "/")

	return total
}

// account writes one 03 ... 49 account and returns its control total: its
// summary amounts and its detail amounts.
func (b *bai2Writer) account(ps []Payment, ccy string, members []int32,
	balance map[string]int64) int64 {
	b.acctRecs = 0
	var credits int64
	for _, i := range members {
		credits += ps[i].Amount.Minor
	}

	opening := balance[ccy]
	closing := opening + credits
	balance[ccy] = closing
	tuples := []string{
		"010," + strconv.FormatInt(opening, 10) + ",,",
		"015," + strconv.FormatInt(closing, 10) + ",,",
		"100," + strconv.FormatInt(credits, 10) + "," + strconv.Itoa(len(members)) + ",",
		"400,0,0,",
	}

	// The summaries continue in 88 records, one tuple at least per record.
	rec := "03," + bai2Text(b.o.Account) + "," + ccy
	for _, t := range tuples {
		if len(rec)+1+len(t)+1 > bai2RecordLength {
			b.record(rec + "/")
			rec = "88," + t
			continue
		}

		rec += "," + t
	}

	b.record(rec + "/")
	total := opening + closing + credits
	for _, i := range members {
		b.detail(&ps[i])
		total += ps[i].Amount.Minor
	}

	b.record("49," + strconv.FormatInt(total, 10) + "," + strconv.Itoa(b.acctRecs+1) + "/")

	return total
}

// bai2Code returns the detail type code of a payment (see WriteBAI2).
func bai2Code(p *Payment) int {
	if _, _, us := strings.Cut(p.PayerAccount, ":"); !us {
		return BAI2Wire
	}

	if len(p.Remits) > 0 {
		return BAI2ACHCredit
	}

	switch h := splitmix(hashString("bai2" + p.Trace)); {
	case h%20 < 10:
		return BAI2ACHCredit
	case h%20 < 17:
		return BAI2Wire
	default:
		return BAI2CheckDeposit
	}
}

// detail writes the 16 record of p and its 88 continuations.
func (b *bai2Writer) detail(p *Payment) {
	code := bai2Code(p)
	head := "16," + strconv.Itoa(code) + "," + strconv.FormatInt(p.Amount.Minor, 10) + ",0," +
		bai2Ref(p.Trace) + "," + bai2Ref(e2eOrEmpty(p.EndToEndID)) + ","

	var keyed []string
	name := bankName(p.PayerName, bai2NameWidth)
	routing, acct, us := strings.Cut(p.PayerAccount, ":")
	if !us {
		acct = p.PayerAccount
	}

	switch code {
	case BAI2ACHCredit:
		keyed = append(keyed, "ORIGINATOR: "+bankName(p.PayerName, 16))
	default:
		keyed = append(keyed, "DBNM: "+name)
		if us {
			keyed = append(keyed, "DABA: "+routing)
		}

		if acct != "" {
			keyed = append(keyed, "DACT: "+bai2Text(acct))
		}
	}

	if e := e2eOrEmpty(p.EndToEndID); e != "" && code != BAI2CheckDeposit {
		keyed = append(keyed, "EREF: "+bai2Text(e))
	}

	text := strings.Join(strings.Fields(bai2Text(description(*p))), " ")
	text = strings.TrimRight(text, "/ ")

	// The remittance text starts on the 16 when it fits there whole, else it
	// goes to 88 records like the rest.
	if text != "" && len(head)+len(text) < bai2RecordLength {
		b.record(head + text)
		text = ""
	} else if text == "" && len(keyed) == 0 {
		b.record(head + "/")
		return
	} else {
		b.record(head)
	}

	for _, chunk := range wrapWords(text, bai2RecordLength-len("88,")) {
		b.record("88," + chunk)
	}

	for _, k := range keyed {
		b.record("88," + strings.TrimRight(k, "/ "))
	}
}

// e2eOrEmpty returns the end-to-end id unless it is the SEPA placeholder.
func e2eOrEmpty(id string) string {
	if strings.EqualFold(id, "NOTPROVIDED") {
		return ""
	}

	return id
}

// bai2Text folds s to printable ASCII for BAI2 text.
func bai2Text(s string) string {
	return strings.TrimSpace(asciiFold(s))
}

// bai2Ref makes s a BAI2 reference field: ASCII without the field and record
// delimiters.
func bai2Ref(s string) string {
	s = bai2Text(s)
	if !strings.ContainsAny(s, ",/") {
		return s
	}

	return strings.Map(func(r rune) rune {
		if r == ',' || r == '/' {
			return '-'
		}

		return r
	}, s)
}

// wrapWords cuts text into chunks for records of width characters. A chunk
// broken between words stays shorter than width, so a reader that glues a
// record filling the whole width to the next one (a word cut there) puts a
// blank between them; a word longer than width is cut at width exactly and
// read back whole.
func wrapWords(text string, width int) []string {
	var out []string
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len(line)+1+len(word) < width {
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

		if len(word) == width {
			// Filling the record would glue it to the next word.
			out = append(out, word[:width-1])
			word = word[width-1:]
		}

		line = word
	}

	if line != "" {
		out = append(out, line)
	}

	return out
}
