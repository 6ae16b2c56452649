package nacha

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/moov-io/ach"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

// currency of every ACH amount; IAT entries too settle in US dollars.
const currency = "USD"

// addendaSet sorts an entry's addenda by type code.
type addendaSet struct {
	payment []*record // 05 (and IAT 17): payment related information
	noc     []*record // 98: notification of change
	returns []*record // 99: return, dishonored or contested return
	iat     map[string]*record
}

// splitAddenda sorts the entry's addenda; ptrs is scratch space for the
// pointers.
func splitAddenda(e *entry, ptrs []*record) (addendaSet, []*record) {
	var s addendaSet

	ptrs = ptrs[:0]
	for i := range e.addenda {
		ptrs = append(ptrs, &e.addenda[i])
	}

	if len(ptrs) == 1 && ptrs[0].field(2, 3) == "05" {
		s.payment = ptrs // the usual CCD+/PPD+ case, without copying
		return s, ptrs
	}

	for _, a := range ptrs {
		switch tc := a.field(2, 3); tc {
		case "05", "17":
			s.payment = append(s.payment, a)
		case "98":
			s.noc = append(s.noc, a)
		case "99":
			s.returns = append(s.returns, a)
		case "10", "11", "12", "13", "14", "15", "16", "18":
			if s.iat == nil {
				s.iat = map[string]*record{}
			}

			if s.iat[tc] == nil {
				s.iat[tc] = a
			}
		}
	}

	return s, ptrs
}

// finishEntry maps the entry whose addenda are complete and hands it to emit,
// unless the file is already rejected: then nothing emitted would count, but
// the entry is still mapped for the problems it has.
func (p *parser) finishEntry() error {
	if !p.hasEntry {
		return nil
	}

	p.hasEntry = false

	t := p.transaction(p.entry.b, &p.entry)
	if p.rejs.total > 0 {
		return nil
	}

	p.seq++
	t.Seq = p.seq

	switch {
	case t.Account == "" || p.accountMixed:
	case p.account == "":
		p.account = t.Account
	case p.account != t.Account:
		p.account, p.accountMixed = "", true
	}

	return p.emit(t)
}

// transaction maps one entry detail and its addenda.
//
// Whose name goes where. The batch company (originator) is the payer of every
// forward entry we receive: for CCD, CTX, PPD, WEB, TEL and the other SEC codes
// the receiver named in the entry (individual name or receiving company) is
// our own company, so it never becomes PayerName. Exceptions:
//   - CIE and MTE: the consumer who pays a bill is the originator of the money
//     but the batch company is the bill-payment service; the entry's
//     individual name (positions 40-54) is the payer and the individual
//     identification number (55-76) is the payer's id at the biller.
//   - IAT: the originator's name is in the 711 addenda, not the batch header.
//   - Returns and notifications of change come back to the originator (us): the
//     entry describes the original receiver, our counterparty, so the
//     receiver's name and account are the payer's and Account stays empty.
//
// An N1*PR name in X12 remittance beats all of these.
func (p *parser) transaction(b *batch, e *entry) bankfile.Transaction {
	r := &e.rec

	var ad addendaSet
	ad, p.ptrs = splitAddenda(e, p.ptrs)

	t := bankfile.Transaction{
		Line:      r.line,
		Direction: bankfile.Debit,
		Amount:    money.New(e.amount, currency),
		BankRef:   strings.TrimSpace(r.field(80, 94)),
		ValueDate: b.date,
	}

	if isCredit(e.code) {
		t.Direction = bankfile.Credit
	}

	t.BookingDate = settlementDate(b.settlement, t.ValueDate)
	t.Kind = p.kind(b, e, ad)

	receiver, ident := p.parties(b, e, ad, &t)
	p.remittance(e, ad, &t)

	switch {
	case t.Kind == bankfile.KindReturn:
		p.returnInfo(ad, &t)
	case len(ad.noc) > 0:
		p.nocInfo(ad, &t)
	}

	if t.Kind == bankfile.KindReturn || b.sec == "COR" || len(ad.noc) > 0 {
		t.PayerName, t.PayerID, t.PayerAccount = receiver, "", t.Account
		t.Account = ""
	}

	if t.PaymentRef == "" {
		t.PaymentRef = ident
	}

	blank := strings.Trim(t.BankRef, "0 ") == ""
	if blank {
		p.warn(stageEntries, r.line, "trace number", t.BankRef,
			"blank trace number: the entry is recognised by its content")
	}

	if p.rejs.total > 0 {
		return t // read for its problems only: its key would never be used
	}

	date := strings.TrimSpace(b.effective)

	k := append(p.key[:0], "nacha:"...)
	k = append(append(k, t.BankRef...), ':')
	k = append(append(k, date...), ':')
	k = append(strconv.AppendInt(k, int64(e.code), 10), ':')
	k = strconv.AppendInt(k, e.amount, 10)
	t.DedupeKey, p.key = string(k), k

	var n int
	if blank {
		// Without a trace number two different entries of the same date, code and
		// amount would share a key and one would be dropped as a duplicate: key
		// the entry by everything it carries instead.
		t.DedupeKey = "nacha:content:" + contentKey(b, e)
		n = p.seen.addKey(t.DedupeKey)
	} else {
		n = p.seen.add(t.BankRef, date, e.code, e.amount, t.DedupeKey)
	}

	if n > 1 {
		t.DedupeKey += "#" + strconv.Itoa(n)
	}

	return t
}

// contentKey hashes what the batch says of the originator and the entry's own
// records.
func contentKey(b *batch, e *entry) string {
	h := sha256.New()
	for _, s := range []string{b.sec, b.companyName, b.companyID, b.description, b.effective} {
		h.Write([]byte(s + "\x1f"))
	}

	h.Write([]byte(e.rec.text))
	for _, a := range e.addenda {
		h.Write([]byte(a.text))
	}

	return hex.EncodeToString(h.Sum(nil)[:12])
}

// kind classifies the entry. Order matters: a NOC or a return outranks a
// reversal batch, and a reversal outranks the prenote and zero-dollar rule.
func (p *parser) kind(b *batch, e *entry, ad addendaSet) bankfile.Kind {
	last := e.code % 10

	switch {
	case b.sec == "COR" || len(ad.noc) > 0:
		return bankfile.KindNotice
	case len(ad.returns) > 0:
		return bankfile.KindReturn
	case last == 1 || last == 6:
		p.warn(stageEntries, e.rec.line, "entry detail transaction code", e.rec.field(2, 3),
			"return transaction code without a return (99) addenda record")
		return bankfile.KindReturn
	case strings.EqualFold(b.description, "REVERSAL"):
		return bankfile.KindReversal
	case last == 3 || last == 8 || last == 4 || last == 9 || e.amount == 0:
		return bankfile.KindNotice
	default:
		return bankfile.KindPayment
	}
}

// parties fills Account, PayerName and PayerID for a forward entry and returns
// the receiver's name and the entry's identification number.
func (p *parser) parties(b *batch, e *entry, ad addendaSet, t *bankfile.Transaction) (
	receiver, ident string,
) {
	r := &e.rec
	routing := strings.TrimSpace(r.field(4, 12))
	account := strings.TrimSpace(r.field(13, 29))
	receiver = strings.TrimSpace(r.field(55, 76))
	ident = strings.TrimSpace(r.field(40, 54))

	t.PayerName, t.PayerID = b.companyName, b.companyID

	switch b.sec {
	case "CTX", "ENR":
		receiver = strings.TrimSpace(r.field(59, 74))
		p.checkAddendaCount(b, e, ad)
	case "CIE", "MTE":
		receiver, ident = "", ""
		t.PayerName = strings.TrimSpace(r.field(40, 54))
		t.PayerID = strings.TrimSpace(r.field(55, 76))
	case "IAT":
		account = strings.TrimSpace(r.field(40, 74))
		receiver, ident = "", ""
		if a := ad.iat["10"]; a != nil {
			receiver = strings.TrimSpace(a.field(47, 81))
		}

		// The receiver identification number of the 715 addenda is the IAT
		// counterpart of the identification number of other SEC codes.
		if a := ad.iat["15"]; a != nil {
			ident = strings.TrimSpace(a.field(4, 18))
		}

		if a := ad.iat["11"]; a != nil {
			t.PayerName = strings.TrimSpace(a.field(4, 38))
		}

		if b.header != nil {
			t.PayerID = strings.TrimSpace(b.header.field(41, 50))
		}
	}

	if routing != "" || account != "" {
		t.Account = routing + ":" + account
	}

	return receiver, ident
}

func (p *parser) checkAddendaCount(b *batch, e *entry, ad addendaSet) {
	raw := e.rec.field(55, 58)

	n, ok := digits(raw)
	if !ok || int(n) != len(ad.payment) {
		p.warn(stageEntries, e.rec.line, "entry detail number of addenda records", raw,
			"%s entry says %q addenda records, %d follow", b.sec, raw, len(ad.payment))
	}
}

// remittance joins the payment related information (05, or 717 for IAT) in
// addenda sequence order using all 80 positions, then reads it as X12 when it
// is X12 and as free text otherwise.
func (p *parser) remittance(e *entry, ad addendaSet, t *bankfile.Transaction) {
	if len(ad.payment) == 0 {
		return
	}

	var parts []string
	if len(ad.payment) == 1 {
		parts = []string{ad.payment[0].field(4, 83)}
	} else {
		parts = p.paymentInfo(e, ad.payment)
	}

	raw := strings.Join(parts, "")

	x, ok := parseX12(raw)
	if !ok {
		t.Remittance = joinFreeText(parts)
		return
	}

	t.Remittance = strings.TrimSpace(raw)
	t.Remits = x.remits
	t.PaymentRef = x.traceRef

	if x.payer != "" && t.Kind != bankfile.KindReturn {
		t.PayerName = x.payer
	}

	problems := x.problems
	if x.hasTotal && x.total != e.amount {
		problems = append(problems, "BPR02 total "+money.FormatMinor(x.total, 2)+
			" != entry amount "+money.FormatMinor(e.amount, 2))
	}

	if x.hasPaid && x.paidSum != e.amount {
		problems = append(problems, "remittance total "+money.FormatMinor(x.paidSum, 2)+
			" != entry amount "+money.FormatMinor(e.amount, 2))
	}

	t.Problem = strings.Join(problems, "; ")
}

// paymentInfo returns the 80-character payment related information of each
// record in addenda sequence order (positions 84-87); records whose sequence
// number cannot be read stay in file order.
func (p *parser) paymentInfo(e *entry, recs []*record) []string {
	type part struct {
		seq  int64
		text string
	}

	parts := make([]part, len(recs))
	sorted := true

	for i, a := range recs {
		seq, ok := digits(a.field(84, 87))
		if !ok {
			sorted = false
		}

		parts[i] = part{seq: seq, text: a.field(4, 83)}
	}

	if sorted {
		sort.SliceStable(parts, func(i, j int) bool { return parts[i].seq < parts[j].seq })
	} else {
		p.warn(stageEntries, e.rec.line, "addenda sequence number", "",
			"addenda sequence numbers are not all numeric; addenda kept in file order")
	}

	out := make([]string, len(parts))
	for i, pt := range parts {
		out[i] = pt.text
	}

	return out
}

// joinFreeText makes readable text of free-text addenda: a record that fills all
// 80 positions continues into the next one as is (a word may be split there),
// otherwise records are trimmed and joined with one blank.
func joinFreeText(parts []string) string {
	var b strings.Builder

	prevFull := false
	for _, s := range parts {
		full := utf8.RuneCountInString(s) == 80 && !strings.HasSuffix(s, " ")

		if prevFull {
			b.WriteString(strings.TrimRight(s, " "))
		} else if t := strings.TrimSpace(s); t != "" {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}

			b.WriteString(t)
		}

		prevFull = full
	}

	return b.String()
}

// returnInfo reads the 99 addenda. An entry normally has one; when a return is
// followed by its dishonor and contest, the last one is the current state and
// gives ReturnCode and OriginalRef, and Remittance lists them all.
func (p *parser) returnInfo(ad addendaSet, t *bankfile.Transaction) {
	texts := make([]string, 0, len(ad.returns))

	for _, a := range ad.returns {
		code := strings.TrimSpace(a.field(4, 6))
		t.ReturnCode = code
		t.OriginalRef = strings.TrimSpace(a.field(7, 21))

		text := code
		if rc := ach.LookupReturnCode(code); rc != nil {
			text += " " + rc.Reason
		} else {
			p.warn(stageEntries, a.line, "return reason code", code,
				"return reason code %q is not in the NACHA list; kept as given", code)
		}

		if info := returnAddendaInfo(code, a); info != "" {
			text += ": " + info
		}

		texts = append(texts, text)
	}

	if t.Remittance != "" {
		texts = append(texts, t.Remittance)
	}

	t.Remittance = strings.Join(texts, "; ")
}

// returnAddendaInfo returns the free text of a 99 addenda; its position depends
// on the layout: return (36-79), dishonored return (59-79), contested
// dishonored return (none).
func returnAddendaInfo(code string, a *record) string {
	n, err := strconv.Atoi(strings.TrimPrefix(code, "R"))
	switch {
	case err == nil && n >= 71 && n <= 77:
		return ""
	case err == nil && (n == 61 || n == 62 || (n >= 67 && n <= 70)):
		return strings.TrimSpace(a.field(59, 79))
	default:
		return strings.TrimSpace(a.field(36, 79))
	}
}

// nocInfo reads the 98 addenda of a notification of change.
func (p *parser) nocInfo(ad addendaSet, t *bankfile.Transaction) {
	texts := make([]string, 0, len(ad.noc))

	for _, a := range ad.noc {
		code := strings.TrimSpace(a.field(4, 6))
		t.ReturnCode = code
		t.OriginalRef = strings.TrimSpace(a.field(7, 21))

		text := code
		if cc := ach.LookupChangeCode(code); cc != nil {
			text += " " + cc.Reason
		}

		if data := strings.TrimSpace(a.field(36, 64)); data != "" {
			text += "; corrected data: " + data
		}

		// A refused notification of change (C61-C69) names the change code of
		// the notification it refuses.
		if ach.IsRefusedChangeCode(code) {
			text += "; refuses change code " + strings.TrimSpace(a.field(65, 67))
		}

		texts = append(texts, text)
	}

	if t.Remittance != "" {
		texts = append(texts, t.Remittance)
	}

	t.Remittance = strings.Join(texts, "; ")
}

// batchDate parses the effective entry date (YYMMDD) of a batch; a blank,
// zero or invalid date gives the zero time and a warning.
func (p *parser) batchDate(b *batch) time.Time {
	raw := strings.TrimSpace(b.effective)
	if raw == "" || b.header == nil {
		return time.Time{}
	}

	d, err := time.Parse("060102", raw)
	if err != nil {
		p.warn(stageEntries, b.header.line, "batch header effective entry date", b.effective,
			"effective entry date %q is not a date", b.effective)

		return time.Time{}
	}

	return d
}

// settlementDate turns the Julian settlement day the ACH operator wrote into a
// date in the year of the effective date (or the next or previous year when
// the day lies across a year end).
func settlementDate(raw string, effective time.Time) time.Time {
	day, ok := digits(raw)
	if !ok || day < 1 || day > 366 || effective.IsZero() {
		return time.Time{}
	}

	best := time.Time{}
	for _, y := range []int{effective.Year(), effective.Year() + 1, effective.Year() - 1} {
		d := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(day)-1)
		if d.Year() != y {
			continue
		}

		if diff := d.Sub(effective); diff > -60*24*time.Hour && diff < 60*24*time.Hour {
			best = d
			break
		}
	}

	return best
}
