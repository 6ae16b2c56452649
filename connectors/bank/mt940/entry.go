package mt940

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

// entry reads a :61: statement line; it becomes a transaction once its :86:
// (if any) is known, see settle.
func (s *scanner) entry(f *field) {
	st := s.st

	if st.close != nil {
		s.fail(f.line, ":61:", clip(f.lines[0]), "statement line after the closing balance")
		st.bad = true

		return
	}

	l, head, err := parse61(f.lines)
	if err != nil {
		msg := err.Error()
		if errors.Is(err, errShort) {
			msg = "statement line is incomplete: it ends before its transaction type"
		}

		s.fail(f.line, ":61:", clip(head), msg)
		st.bad = true

		return
	}

	s.pend = pending{ok: true, line: f.line, l: l}
}

// settle turns the pending :61: and its :86: (info, nil when it has none)
// into a transaction and holds it. Without a pending line, info belongs to the
// statement.
func (s *scanner) settle(info *field) {
	if !s.pend.ok {
		if info != nil {
			s.statementInfo(info)
		}

		return
	}

	p := s.pend
	s.pend = pending{}
	st := s.st
	st.lines++

	t, ok := s.transaction(st, &p, info)
	if !ok {
		st.bad = true
		return
	}

	s.hold(t)
}

// transaction builds the transaction of one :61: and its :86:.
func (s *scanner) transaction(st *statement, p *pending, info *field) (
	bankfile.Transaction, bool,
) {
	l, line := p.l, p.line

	if st.ccy.code == "" && s.opts.Currency != "" {
		st.ccy, _ = lookupCurrency(s.opts.Currency)
	}

	if st.ccy.code == "" {
		if !st.bad { // else an unreadable balance or an earlier line said it already
			s.fail(line, ":61:", "", "no currency for this line: the statement has no "+
				"opening balance (:60F:) or floor limit (:34F:) before it")
		}

		return bankfile.Transaction{}, false
	}

	minor, err := parseAmount(l.amount, st.ccy.exp)
	if err != nil {
		s.fail(line, ":61:", l.amount, err.Error()+" ("+st.ccy.code+")")
		return bankfile.Transaction{}, false
	}

	var notes []string

	value, ok := s.lineDate(line, "value", l.value, time.Time{}, &notes)
	if !ok {
		return bankfile.Transaction{}, false
	}

	var booking time.Time
	if l.entry != "" {
		if booking, ok = s.lineDate(line, "entry", l.entry, value, &notes); !ok {
			return bankfile.Transaction{}, false
		}
	}

	dir := bankfile.Credit
	if l.mark == "D" || l.mark == "RC" || l.mark == "ED" {
		dir = bankfile.Debit
	}

	s.count(st, dir, minor)

	var in Info
	if info != nil {
		in = parseInfo(info.lines)
	}

	t := bankfile.Transaction{
		Line:        line,
		Account:     st.account,
		Direction:   dir,
		Kind:        kindOf(l, in, minor),
		Amount:      money.New(minor, st.ccy.code),
		BookingDate: booking,
		ValueDate:   value,
		BankRef:     l.bankRef,
		EndToEndID:  in.EndToEndID,
		PaymentRef:  firstOf(in.PaymentRef, ownRef(l.custRef)),
		PayerName:   in.Name,
		Remittance:  firstOf(in.Remittance, in.Purpose),
		ReturnCode:  in.ReturnCode,
	}

	t.PayerAccount, t.PayerID = payerBank(in)
	counterparty(&t, l)

	if len(in.References) > 0 {
		t.Remits = make([]bankfile.Remit, 0, len(in.References))
		for _, r := range in.References {
			t.Remits = append(t.Remits, bankfile.Remit{Ref: r, RefType: refType(r)})
		}
	}

	if t.Kind == bankfile.KindReturn {
		t.ReturnCode = firstOf(t.ReturnCode, in.TextKeyExt)
		t.OriginalRef = firstOf(t.EndToEndID, t.PaymentRef)
	}

	if l.mark == "EC" || l.mark == "ED" {
		notes = append(notes, "expected entry of an interim report, not booked yet")
	}

	if st.ccy.withdrawn {
		notes = append(notes, st.ccy.code+" is a withdrawn currency")
	}

	t.Problem = strings.Join(notes, "; ")
	t.DedupeKey = s.dedupe(st, l, minor)

	return t, true
}

// lineDate reads the value date (YYMMDD) or entry date (MMDD, near value) of
// a line. An impossible date rejects the file, or with CheckDates lenient is
// read as the month's last day and noted.
func (s *scanner) lineDate(line int, which, raw string, value time.Time, notes *[]string) (
	time.Time, bool,
) {
	var d time.Time
	var err error

	if which == "value" {
		d, err = yymmdd(raw)
	} else {
		d, err = entryDate(raw, value)
	}

	if err == nil {
		return d, true
	}

	var bad *badDate
	if errors.As(err, &bad) && s.lenient[CheckDates] {
		msg := fmt.Sprintf("%s %s: read as %s", which, err, bad.fixed.Format(time.DateOnly))
		s.warn(line, ":61:", raw, msg)
		*notes = append(*notes, msg)

		return bad.fixed, true
	}

	s.fail(line, ":61:", raw, which+" "+err.Error())

	return time.Time{}, false
}

// count adds a line to its statement's sums.
func (s *scanner) count(st *statement, dir bankfile.Direction, minor int64) {
	if dir == bankfile.Debit {
		st.sum -= minor
		st.nDebit++
		st.sumDebit += minor

		return
	}

	st.sum += minor
	st.nCredit++
	st.sumCredit += minor
}

// Codes that make a line a return or a charge: SWIFT transaction types (the
// three characters after N/S/F) and German business transaction codes (GVC).
var (
	returnTypes = map[string]bool{"RTI": true}
	chargeTypes = map[string]bool{"CHG": true, "COM": true, "BRF": true}
	returnGVCs  = map[string]bool{"009": true, "010": true, "159": true}
	chargeGVCs  = map[string]bool{"805": true}
)

// returnWords and chargeWords in a German booking text (?00) mark returns and
// charges whatever the code.
var (
	returnWords = []string{"RETOURE", "RUECKLASTSCHRIFT", "RÜCKLASTSCHRIFT",
		"RUECKUEBERWEISUNG", "RÜCKÜBERWEISUNG", "RUECKGABE", "RÜCKGABE"}
	chargeWords = []string{"ENTGELT", "GEBUEHR", "GEBÜHR"}
)

// kindOf classifies a line: zero amounts are notices, RC/RD reversals, then
// returns and charges by type code, GVC or booking text; the rest payments.
func kindOf(l line61, in Info, minor int64) bankfile.Kind {
	code := ""
	if len(l.typ) == 4 {
		code = l.typ[1:]
	}

	booking := strings.ToUpper(in.BookingText)

	switch {
	case minor == 0:
		return bankfile.KindNotice
	case l.mark == "RC" || l.mark == "RD":
		return bankfile.KindReversal
	case returnTypes[code] || in.ReturnCode != "" || returnGVCs[in.Code] ||
		containsAny(booking, returnWords):
		return bankfile.KindReturn
	case chargeTypes[code] || chargeGVCs[in.Code] || containsAny(booking, chargeWords):
		return bankfile.KindCharge
	}

	return bankfile.KindPayment
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}

	return false
}

// ownRef returns the customer reference of a :61: unless it is a placeholder
// (NONREF, or ING's "EREF"/"PREF" saying where the reference is) or the
// counterparty's IBAN.
func ownRef(ref string) string {
	switch strings.ToUpper(ref) {
	case "", "NONREF", "NONE", "NOTPROVIDED", "EREF", "PREF", "KREF", "KREF+", "MARF":
		return ""
	}

	if ibanShape(ref) {
		return ""
	}

	return ref
}

// counterparty fills the payer from the :61: where banks put it there: an IBAN
// as customer reference and the name as supplementary details (SNS, ASN), or
// the IBAN as supplementary details (Rabobank).
func counterparty(t *bankfile.Transaction, l line61) {
	supp := collapse(l.supp)

	switch {
	case ibanShape(l.custRef):
		if t.PayerAccount == "" {
			t.PayerAccount = l.custRef
		}

		if t.PayerName == "" && supp != "" && !ibanShape(supp) {
			t.PayerName = supp
		}
	case t.PayerAccount == "" && ibanShape(strings.ReplaceAll(supp, " ", "")):
		t.PayerAccount = strings.ReplaceAll(supp, " ", "")
	}
}

// payerBank returns the counterparty account and bank id of an :86:: an
// IBAN, or a German bank code and account as "bankcode:account"; the id only
// when it is a BIC.
func payerBank(in Info) (account, id string) {
	account = in.Account
	if account != "" && !ibanShape(account) && len(in.BankID) == 8 && digits(in.BankID) {
		account = in.BankID + ":" + account
	}

	if bicShape(in.BankID) {
		id = in.BankID
	}

	return account, id
}

// bicShape reports 8 or 11 letters and digits with letters for bank and
// country (the first six).
func bicShape(s string) bool {
	if len(s) != 8 && len(s) != 11 {
		return false
	}

	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c >= 'A' && c <= 'Z'
		if i < 6 && !letter || !letter && (c < '0' || c > '9') {
			return false
		}
	}

	return true
}

// refType names a structured creditor reference: "RF" for ISO 11649, else
// "SCOR" (a national structured reference such as the Dutch payment
// reference).
func refType(ref string) string {
	if len(ref) > 4 && strings.HasPrefix(strings.ToUpper(ref), "RF") && digits(ref[2:4]) {
		return "RF"
	}

	return "SCOR"
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}

	return ""
}

// dedupe returns the transaction's dedupe key:
//
//	mt940:<account>:<value date YYMMDD>:<mark>:<amount><currency>:<type>:<customer ref>/<bank ref>
//
// with blanks removed from the references, and "#n" appended to the n-th
// occurrence (n ≥ 2) of the same key in one file. Everything in it comes from
// the :61: as the bank wrote it, never from line breaks, encoding, the :86:
// text, the statement's :20: reference or the file's name, so a re-sent file,
// a rewrapped copy and the end-of-day statement repeating an intraday (MT942)
// line give the same keys; two identical lines in one file get two keys.
// The mark keeps EC/ED (expected) apart from the booked C/D line.
func (s *scanner) dedupe(st *statement, l line61, minor int64) string {
	var b strings.Builder

	b.Grow(96)
	b.WriteString("mt940:")
	b.WriteString(st.account)
	b.WriteByte(':')
	b.WriteString(l.value)
	b.WriteByte(':')
	b.WriteString(l.mark)
	b.WriteByte(':')
	b.WriteString(money.FormatMinor(minor, st.ccy.exp))
	b.WriteString(st.ccy.code)
	b.WriteByte(':')
	b.WriteString(noBlanks(l.typ))
	b.WriteByte(':')
	b.WriteString(noBlanks(l.custRef))
	b.WriteByte('/')
	b.WriteString(noBlanks(l.bankRef))

	key := b.String()
	sum := fnv64a(key)

	if n := s.keys.Add(sum); n > 1 {
		key += "#" + itoa(int(n))
	}

	return key
}

// fnv64a is the 64-bit FNV-1a hash of s.
func fnv64a(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}

	return h
}

func noBlanks(s string) string {
	if !strings.Contains(s, " ") {
		return s
	}

	return strings.ReplaceAll(s, " ", "")
}

// summary is a bank's closing summary :86: line: ING "/SUM/4/4/134,46/36,58/"
// or the older "D000004C000002D25,24C28,71" (number of debits and credits,
// debit sum, credit sum).
type summary struct {
	line       int
	raw        string
	nD, nC     int
	sumD, sumC string
}

var legacySum = regexp.MustCompile(`^D(\d{1,9})C(\d{1,9})D(\d+,\d*)C(\d+,\d*)$`)

// statementInfo reads an :86: that belongs to the statement, not to a line:
// only a summary line is used.
func (s *scanner) statementInfo(f *field) {
	var b strings.Builder
	for _, l := range f.lines {
		b.WriteString(strings.TrimSpace(l))
	}

	text := b.String()
	sm := &summary{line: f.line, raw: text}

	switch {
	case strings.HasPrefix(text, "/SUM/"):
		parts := strings.Split(strings.TrimSuffix(text[len("/SUM/"):], "/"), "/")
		if len(parts) != 4 || !digits(parts[0]) || !digits(parts[1]) ||
			parts[0] == "" || parts[1] == "" {
			s.warn(f.line, ":86:", text, "summary line not understood: not checked")
			return
		}

		sm.nD, sm.nC, sm.sumD, sm.sumC = atoi(parts[0]), atoi(parts[1]), parts[2], parts[3]
	case legacySum.MatchString(text):
		m := legacySum.FindStringSubmatch(text)
		sm.nD, sm.nC, sm.sumD, sm.sumC = atoi(m[1]), atoi(m[2]), m[3], m[4]
	default:
		return
	}

	s.st.summary = sm
}

// summaryCheck compares a summary line with the statement's lines: whether it
// proved them and whether it failed.
func (s *scanner) summaryCheck(st *statement) (proved, failed bool) {
	sm := st.summary

	sumD, errD := parseAmount(sm.sumD, st.ccy.exp)
	sumC, errC := parseAmount(sm.sumC, st.ccy.exp)
	if err := errors.Join(errD, errC); err != nil || st.ccy.code == "" {
		s.warn(sm.line, ":86:", sm.raw, "summary amounts not readable: not checked")
		return false, false
	}

	if sm.nD == st.nDebit && sm.nC == st.nCredit && sumD == st.sumDebit && sumC == st.sumCredit {
		return true, false
	}

	s.check(CheckSummary, sm.line, ":86:", sm.raw, fmt.Sprintf(
		"summary states %d debits of %s and %d credits of %s, the lines are %d debits of %s "+
			"and %d credits of %s %s", sm.nD, formatSigned(sumD, st.ccy), sm.nC,
		formatSigned(sumC, st.ccy), st.nDebit, formatSigned(st.sumDebit, st.ccy), st.nCredit,
		formatSigned(st.sumCredit, st.ccy), st.ccy.code))

	return false, true
}
