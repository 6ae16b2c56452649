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

// :86: dialects WriteMT940 can write.
const (
	// MT940Mixed writes each payment in one of the two dialects below, chosen
	// by a hash of its trace: about half and half.
	MT940Mixed = ""
	// MT940German writes the German/SEPA dialect: business transaction code
	// 166, ?00 booking text, ?20-?29 purpose lines with EREF+ and SVWZ+, ?30
	// BIC or bank code, ?31 IBAN or account, ?32 and ?33 payer name.
	MT940German = "german"
	// MT940Dutch writes the Dutch slash-tag dialect: /EREF/, /CNTP/ with the
	// payer's account, BIC and name, and /REMI/ as USTD free text or STRD for
	// an ISO 11649 creditor reference.
	MT940Dutch = "dutch"
)

// MT940 field limits.
const (
	mt940Line      = 65 // characters of one line of :86:
	mt940InfoLines = 6  // lines of :86:
	mt940SubField  = 27 // characters of a German ?nn subfield
	mt940Ref       = 16 // characters of a :61: reference
	mt940DutchName = 70 // characters of the name in a Dutch /CNTP/
)

// MT940Options describe the statements around the payments. Zero fields take
// their defaults.
type MT940Options struct {
	// Account is our account as :25: states it. Defaults to the generated
	// worlds' company account of the account currency (the account number
	// alone for routing:account).
	Account string
	// BIC is our bank's BIC, the sender in the SWIFT blocks. Defaults to the
	// EUR world's bank for IBAN currencies, else an invented US bank.
	BIC string
	// Blocks wraps each message in SWIFT blocks {1:}{2:}{4: ... -}. Defaults
	// to plain messages, each ended by a line "-".
	Blocks bool
	// CRLF ends lines with CR LF. Defaults to LF.
	CRLF bool
	// Created is when the statements were sent. Defaults to 06:00 UTC the day
	// after the latest value date.
	Created time.Time
	// Currency is the account currency, the first statement's. Payments in
	// other currencies go to further statements of the same account, one per
	// currency. Defaults to the most common payment currency.
	Currency string
	// Dialect is the :86: dialect: MT940Mixed, MT940German or MT940Dutch.
	// Defaults to MT940Mixed.
	Dialect string
	// LinesPerMessage is how many statement lines (:61:) one message holds; a
	// longer statement continues in further messages (pages) with
	// intermediate balances :62M: and :60M:. Defaults to 40.
	LinesPerMessage int
	// OpeningBalance is the opening balance of the account-currency statement
	// in minor units, negative for a debit balance. Defaults to 0.
	OpeningBalance int64
	// StatementNumber is the :28C: number of the first statement; the others
	// follow it. Defaults to 1.
	StatementNumber int
}

// MT940Options returns options for statements of the world's own account.
func (w *World) MT940Options() MT940Options {
	o := MT940Options{Currency: w.Config.Currency, BIC: w.Company.BIC}
	if _, acct, ok := strings.Cut(w.Company.Account, ":"); ok {
		o.Account = acct
	} else {
		o.Account = w.Company.Account
	}

	return o
}

// usBankBIC is the invented BIC of the US worlds' bank.
const usBankBIC = "BRVLUS33XXX"

func (o MT940Options) withDefaults(ps []Payment) (MT940Options, error) {
	if o.Dialect != MT940Mixed && o.Dialect != MT940German && o.Dialect != MT940Dutch {
		return o, fmt.Errorf("write mt940: dialect %q is not %q, %q or %q", o.Dialect,
			MT940Mixed, MT940German, MT940Dutch)
	}

	if o.Currency == "" {
		counts := make(map[string]int)
		for _, p := range ps {
			counts[p.Amount.Currency]++
		}

		o.Currency = mostCommon(counts, "EUR")
	}

	if o.Account == "" {
		_, o.Account, _ = strings.Cut(usCompany.Account, ":")
		if ibanCurrencies[o.Currency] {
			o.Account = euCompany.Account
		}
	}

	if o.BIC == "" {
		o.BIC = usBankBIC
		if ibanCurrencies[o.Currency] {
			o.BIC = euCompany.BIC
		}
	}

	if !isBIC(o.BIC) {
		return o, fmt.Errorf("write mt940: BIC %q is not 8 or 11 letters and digits", o.BIC)
	}

	if o.LinesPerMessage <= 0 {
		o.LinesPerMessage = 40
	}

	if o.StatementNumber <= 0 {
		o.StatementNumber = 1
	}

	if o.Created.IsZero() {
		latest := defaultStart
		for _, p := range ps {
			if p.ValueDate.After(latest) {
				latest = p.ValueDate
			}
		}

		o.Created = midnight(latest).AddDate(0, 0, 1).Add(6 * time.Hour)
	}

	return o, nil
}

// WriteMT940 writes ps as SWIFT MT940 customer statements of our account: one
// statement per currency (the account currency first), each cut into
// messages of LinesPerMessage statement lines. A message has :20: (a
// reference of the date, currency and page), :25: (the account), :28C:
// (statement number / page), the opening balance :60F: (:60M: on later
// pages), a :61: and :86: per payment in payment order, and the closing
// balance :62F: (:62M: before a further page); every page's balances
// reconcile (opening + credits = closing) and a page opens with the closing
// balance of the page before. Amounts have a decimal comma and the
// currency's digits ("1250,00", JPY "125000,").
//
// A :61: holds the value date, the entry date, mark C, the amount, type NTRF,
// the payer's end-to-end id as customer reference (NONREF when there is none
// or it is longer than 16 characters) and the payment's trace after "//" as
// bank reference. Its :86: carries what the payment kinds need, in the
// dialect of opts (MT940German, MT940Dutch, or both mixed):
//
//   - German: ?20-?29 purpose lines of 27 characters each, EREF+ and the
//     end-to-end id, SVWZ+ and the remittance; ?30 the payer's BIC (or US
//     routing number), ?31 the IBAN (or account number), ?32 and ?33 the name
//     over two subfields of 27 characters: names longer than 54 characters
//     are cut (no generated name is). '?' separates subfields and becomes '.'.
//   - Dutch: /EREF/ (NOTPROVIDED when there is none), /CNTP/account/BIC/
//     name/ with the name cut to 70 characters and '/' in it blanked,
//     /REMI/USTD//text/, or /REMI/STRD/ISO/reference/ for a single structured
//     ISO 11649 reference.
//
// MT940 has no structured remittance lines with amounts: remittance lines
// become text, references joined by blanks, so the paid, invoiced and
// discount amounts per line are lost and a PO line is known by its text only.
// Text is folded to the SWIFT x character set (letters, digits, blank and
// / - ? : ( ) . , ' +): accents are dropped (ü becomes ue), '&' becomes '+',
// ';' ',', and other characters (such as '#') become blanks. An :86: holds at
// most six lines of 65 characters; purpose text beyond them is cut (no
// generated payment reaches it). Lines are never cut before a blank, since
// readers trim line ends. The output is the same for the same input.
func WriteMT940(w io.Writer, ps []Payment, opts MT940Options) error {
	opts, err := opts.withDefaults(ps)
	if err != nil {
		return err
	}

	for i, p := range ps {
		if p.Amount.Minor <= 0 || len(p.Amount.Currency) != 3 {
			return fmt.Errorf("write mt940: payment %d (%s): %w: %s", i, p.Trace, ErrAmount,
				p.Amount)
		}
	}

	mw := &mt940Writer{bw: bufio.NewWriterSize(w, 64<<10), o: opts, eol: "\n"}
	if opts.CRLF {
		mw.eol = "\r\n"
	}

	number := opts.StatementNumber
	for _, s := range mw.statements(ps) {
		mw.statement(ps, s, number)
		number++
	}

	return mw.flush()
}

type mt940Writer struct {
	bw  *bufio.Writer
	o   MT940Options
	eol string
	err error
	seq int // messages written, for the SWIFT block sequence numbers
}

func (m *mt940Writer) flush() error {
	if m.err != nil {
		return fmt.Errorf("write mt940: %w", m.err)
	}

	if err := m.bw.Flush(); err != nil {
		return fmt.Errorf("write mt940: %w", err)
	}

	return nil
}

func (m *mt940Writer) line(s string) {
	if m.err != nil {
		return
	}

	if _, err := m.bw.WriteString(s); err != nil {
		m.err = err
		return
	}

	_, m.err = m.bw.WriteString(m.eol)
}

// mt940Statement is the payments of one currency.
type mt940Statement struct {
	currency string
	members  []int32
	from, to time.Time
	opening  int64
}

func (m *mt940Writer) statements(ps []Payment) []*mt940Statement {
	byCcy := make(map[string]*mt940Statement)
	var out []*mt940Statement
	for i, p := range ps {
		s := byCcy[p.Amount.Currency]
		if s == nil {
			s = &mt940Statement{currency: p.Amount.Currency}
			byCcy[p.Amount.Currency] = s
			out = append(out, s)
		}

		s.members = append(s.members, int32(i))
		if s.from.IsZero() || p.ValueDate.Before(s.from) {
			s.from = p.ValueDate
		}

		if p.ValueDate.After(s.to) {
			s.to = p.ValueDate
		}
	}

	slices.SortStableFunc(out, func(a, b *mt940Statement) int {
		switch {
		case a.currency == b.currency:
			return 0
		case a.currency == m.o.Currency:
			return -1
		case b.currency == m.o.Currency:
			return 1
		}

		return strings.Compare(a.currency, b.currency)
	})

	for _, s := range out {
		if s.currency == m.o.Currency {
			s.opening = m.o.OpeningBalance
		}
	}

	return out
}

// statement writes one statement as one or more messages.
func (m *mt940Writer) statement(ps []Payment, s *mt940Statement, number int) {
	balance := s.opening
	pages := (len(s.members) + m.o.LinesPerMessage - 1) / m.o.LinesPerMessage
	for page := 1; page <= pages; page++ {
		from := (page - 1) * m.o.LinesPerMessage
		members := s.members[from:min(len(s.members), from+m.o.LinesPerMessage)]
		m.begin()
		m.line(":20:" + s.to.Format("060102") + s.currency + "P" + fmt.Sprintf("%03d", page%1000))
		m.line(":25:" + swiftText(m.o.Account, false))
		m.line(":28C:" + fmt.Sprintf("%05d/%03d", number%100000, page%1000))

		tag := ":60F:"
		if page > 1 {
			tag = ":60M:"
		}

		m.line(tag + swiftBalance(balance, s.from, s.currency))
		for _, i := range members {
			p := &ps[i]
			m.entry(p)
			balance += p.Amount.Minor
		}

		tag = ":62F:"
		if page < pages {
			tag = ":62M:"
		}

		m.line(tag + swiftBalance(balance, s.to, s.currency))
		m.end()
	}
}

// begin opens a message: its SWIFT blocks, when wanted.
func (m *mt940Writer) begin() {
	if !m.o.Blocks {
		return
	}

	m.seq++
	lt := logicalTerminal(m.o.BIC)
	c := m.o.Created
	seq := fmt.Sprintf("%06d", m.seq%1000000)
	m.line("{1:F01" + lt + "0000" + seq + "}{2:O940" + c.Format("1504") + c.Format("060102") +
		lt + "0000" + seq + c.Format("060102") + c.Format("1504") + "N}{4:")
}

// end closes a message.
func (m *mt940Writer) end() {
	if m.o.Blocks {
		m.line("-}")
		return
	}

	m.line("-")
}

// logicalTerminal is the 12-character SWIFT address of a BIC: its first eight
// characters, terminal code A and the branch (XXX when none).
func logicalTerminal(bic string) string {
	branch := "XXX"
	if len(bic) == 11 {
		branch = bic[8:]
	}

	return bic[:8] + "A" + branch
}

// swiftBalance formats a balance: mark, YYMMDD, currency and amount.
func swiftBalance(minor int64, day time.Time, ccy string) string {
	mark := "C"
	if minor < 0 {
		mark, minor = "D", -minor
	}

	return mark + day.Format("060102") + ccy + swiftAmount(minor, ccy)
}

// swiftAmount writes minor units with a decimal comma: "1250,00", "125000,".
func swiftAmount(minor int64, ccy string) string {
	s := strings.Replace(decimal(minor, ccy), ".", ",", 1)
	if !strings.Contains(s, ",") {
		s += ","
	}

	return s
}

// entry writes the :61: and :86: of one payment.
func (m *mt940Writer) entry(p *Payment) {
	ref := swiftText(e2eOrEmpty(p.EndToEndID), false)
	if ref == "" || len(ref) > mt940Ref || strings.ContainsAny(ref, " /") {
		ref = "NONREF"
	}

	m.line(":61:" + p.ValueDate.Format("060102") + p.ValueDate.Format("0102") + "C" +
		swiftAmount(p.Amount.Minor, p.Amount.Currency) + "NTRF" + ref + "//" +
		cutRunes(swiftText(p.Trace, false), mt940Ref))

	dialect := m.o.Dialect
	if dialect == MT940Mixed {
		dialect = MT940German
		if splitmix(hashString("mt940"+p.Trace))%2 == 1 {
			dialect = MT940Dutch
		}
	}

	var lines []string
	if dialect == MT940German {
		lines = germanInfo(p)
	} else {
		lines = dutchInfo(p)
	}

	for k, l := range lines {
		if k == 0 {
			l = ":86:" + l
		}

		m.line(l)
	}
}

// payerParts returns the payer's bank id (BIC, or routing number of a US
// account) and account (IBAN or account number).
func payerParts(p *Payment) (bank, account string) {
	if routing, acct, ok := strings.Cut(p.PayerAccount, ":"); ok {
		return routing, acct
	}

	if isBIC(p.PayerID) {
		bank = p.PayerID
	}

	return bank, p.PayerAccount
}

// germanInfo returns the :86: lines of p in the German dialect.
func germanInfo(p *Payment) []string {
	var purpose []string
	if e := e2eOrEmpty(p.EndToEndID); e != "" {
		purpose = append(purpose, subfieldChunks("EREF+"+swiftText(e, true))...)
	}

	if text := swiftText(description(*p), true); text != "" {
		purpose = append(purpose, subfieldChunks("SVWZ+"+text)...)
	}

	bank, acct := payerParts(p)
	name := subfieldChunks(swiftText(p.PayerName, true))
	tail := []string{}
	if bank != "" {
		tail = append(tail, "?30"+swiftText(bank, true))
	}

	if acct != "" {
		tail = append(tail, "?31"+swiftText(acct, true))
	}

	for k, n := range name[:min(2, len(name))] {
		tail = append(tail, "?3"+strconv.Itoa(2+k)+n)
	}

	// Drop purpose chunks from the end until the field fits its six lines.
	for n := len(purpose); ; n-- {
		subs := []string{"166", "?00GUTSCHRIFT", "?109310"}
		for k, c := range purpose[:n] {
			subs = append(subs, purposeKey(k)+c)
		}

		lines := packSubfields(append(subs, tail...))
		if len(lines) <= mt940InfoLines || n == 0 {
			return lines
		}
	}
}

// purposeKey is the subfield of the k-th purpose line: ?20 to ?29, then ?60
// to ?63.
func purposeKey(k int) string {
	if k < 10 {
		return "?2" + strconv.Itoa(k)
	}

	return "?6" + strconv.Itoa(k-10)
}

// subfieldChunks cuts s into subfield values of at most 27 characters, none
// ending with a blank: a reader trims the end of a line, and a subfield may
// end one.
func subfieldChunks(s string) []string {
	var out []string
	for s != "" {
		n := min(len(s), mt940SubField)
		if n < len(s) && s[n-1] == ' ' && n > 1 {
			n--
		}

		out = append(out, s[:n])
		s = s[n:]
	}

	return out
}

// packSubfields puts whole subfields on lines of at most 65 characters.
func packSubfields(subs []string) []string {
	var lines []string
	cur := ""
	for _, s := range subs {
		if cur != "" && len(cur)+len(s) > mt940Line {
			lines = append(lines, cur)
			cur = ""
		}

		cur += s
	}

	if cur != "" {
		lines = append(lines, cur)
	}

	return lines
}

// dutchInfo returns the :86: lines of p in the Dutch dialect.
func dutchInfo(p *Payment) []string {
	var b strings.Builder
	b.WriteString("/EREF/")
	b.WriteString(cmpOr(dutchValue(e2eOrEmpty(p.EndToEndID)), "NOTPROVIDED"))
	bank, acct := payerParts(p)
	b.WriteString("/CNTP/" + dutchValue(acct) + "/" + dutchValue(bank) + "/")
	b.WriteString(cutRunes(dutchValue(p.PayerName), mt940DutchName) + "//")
	if rf, ok := singleRF(p); ok {
		b.WriteString("/REMI/STRD/ISO/" + dutchValue(rf) + "/")
	} else if text := strings.Trim(swiftText(description(*p), false), "/ "); text != "" {
		b.WriteString("/REMI/USTD//" + text + "/")
	}

	return wrapInfo(b.String())
}

// singleRF reports a payment whose only remittance is one structured ISO
// 11649 reference.
func singleRF(p *Payment) (string, bool) {
	if p.Remittance != "" || len(p.Remits) != 1 || p.Remits[0].RefType != "RF" {
		return "", false
	}

	return p.Remits[0].Ref, true
}

// dutchValue is s in the SWIFT x set without the '/' that delimits Dutch tags.
func dutchValue(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(swiftText(s, false), "/", " ")), " ")
}

// wrapInfo cuts s into lines of at most 65 characters (six at most, the rest
// is cut), never before a blank, which a reader would trim from the line's
// end, and never so that a line starts with ':' or '-', which could read as a
// field tag or the end of the message.
func wrapInfo(s string) []string {
	var lines []string
	for s != "" && len(lines) < mt940InfoLines {
		n := min(len(s), mt940Line)
		for n < len(s) && n > 1 && (s[n-1] == ' ' || s[n] == ':' || s[n] == '-') {
			n--
		}

		lines = append(lines, s[:n])
		s = s[n:]
	}

	return lines
}

// swiftText folds s to the SWIFT x character set: letters, digits, blank and
// / - ? : ( ) . , ' + , with accents dropped, '&' as '+', ';' as ',' and
// anything else as a blank; in German subfields '?' becomes '.'. Runs of
// blanks become one.
func swiftText(s string, german bool) string {
	s = asciiFold(s)
	out := []byte(s)
	for i := range out {
		c := out[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '?' && german:
			out[i] = '.'
		case strings.IndexByte("/-?:().,'+ ", c) >= 0:
		case c == '&':
			out[i] = '+'
		case c == ';':
			out[i] = ','
		default:
			out[i] = ' '
		}
	}

	return strings.Join(strings.Fields(string(out)), " ")
}
