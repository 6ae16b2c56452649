package camt

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/maphash"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

// Bank transaction sub-family codes (ISO 20022 BkTxCd/Domn/Fmly/SubFmlyCd) that
// decide a transaction's kind when RvslInd and RtrInf do not.
var (
	chargeCodes = map[string]bool{
		"CHRG": true, "FEES": true, "COMM": true, "COME": true, "COMI": true, "COMT": true,
	}
	returnCodes = map[string]bool{"RRTN": true, "ARET": true, "UPDD": true}
)

// entryCtx is an Ntry reduced to what its transactions inherit.
type entryCtx struct {
	n        *node
	amt      money.Amount
	exp      int
	dir      bankfile.Direction
	reversal bool
	booking  time.Time
	value    time.Time
	ref      string // AcctSvcrRef
	ntryRef  string
	key      string // entry part of the dedupe key
}

// detail is one TxDtls and the amount it states in the entry's currency.
type detail struct {
	n       *node
	minor   int64
	has     bool         // an amount in the entry's currency is stated
	other   money.Amount // an amount stated only in another currency
	dir     bankfile.Direction
	charges int64 // deducted before booking, see chargePlan
}

// entry reads one Ntry: it validates the booked amount, direction and dates,
// then produces one transaction, or one per TxDtls when a batch splits cleanly.
func (r *reader) entry(st *statement, n *node) {
	before := len(r.problems)
	e := &entryCtx{n: n}

	amt, ok := r.amount(n.child("Amt"), n.line, st.ccy, "Ntry/Amt")
	if ok {
		e.amt = amt
		e.exp, _ = r.exponent(amt.Currency)
	}

	switch n.str("CdtDbtInd") {
	case "CRDT":
		e.dir = bankfile.Credit
	case "DBIT":
		e.dir = bankfile.Debit
	default:
		r.fail(n.line, "Ntry/CdtDbtInd", n.str("CdtDbtInd"), "entry direction must be CRDT or DBIT")
	}

	switch v := n.str("RvslInd"); v {
	case "true", "1":
		e.reversal = true
	case "", "false", "0":
	default:
		r.fail(n.line, "Ntry/RvslInd", v, "reversal indicator must be true or false")
	}

	if d := n.child("BookgDt"); d != nil {
		e.booking, _ = r.date(d, "Ntry/BookgDt")
	}

	if d := n.child("ValDt"); d != nil {
		e.value, _ = r.date(d, "Ntry/ValDt")
	}

	dets := r.details(e, n)
	if len(r.problems) > before {
		return
	}

	booked := r.booked(n)
	st.count(e, booked)

	if e.reversal {
		st.revs = append(st.revs, revEntry{line: n.line, ccy: e.amt.Currency,
			from: len(st.revTxs), to: len(st.revTxs)})
	}

	if booked {
		r.emitEntry(st, e, dets)
	}
}

// booked reports whether an entry is booked cash. Pending (PDNG), information
// (INFO) and future (FUTR) entries are skipped with a warning.
func (r *reader) booked(n *node) bool {
	sts := n.str("Sts")
	if sts == "" {
		sts = n.str("Sts", "Cd")
	}

	if sts == "" {
		sts = n.str("Sts", "Prtry")
	}

	switch sts {
	case "BOOK":
		return true
	case "":
		r.warn(n.line, "Ntry/Sts", "", "entry has no status: read as booked")
		return true
	}

	r.warn(n.line, "Ntry/Sts", sts, "entry is not booked: skipped")

	return false
}

// details reads the TxDtls of every NtryDtls of the entry.
// The list is the reader's scratch, valid until the next entry.
func (r *reader) details(e *entryCtx, n *node) []detail {
	out := r.dets[:0]

	for _, nd := range n.kids {
		if nd.name != "NtryDtls" {
			continue
		}

		for _, d := range nd.kids {
			if d.name == "TxDtls" {
				out = append(out, r.detail(e, d))
			}
		}
	}

	r.dets = out
	if len(out) == 0 {
		return nil
	}

	return out
}

func (r *reader) detail(e *entryCtx, d *node) detail {
	det := detail{n: d, dir: e.dir}

	switch d.str("CdtDbtInd") {
	case "CRDT":
		det.dir = bankfile.Credit
	case "DBIT":
		det.dir = bankfile.Debit
	}

	// TxDtls/Amt exists from .03 on, AmtDtls/TxAmt/Amt in every version; the
	// first one in the entry's currency counts.
	for _, a := range []*node{d.child("Amt"), d.path("AmtDtls", "TxAmt", "Amt")} {
		if a == nil {
			continue
		}

		amt, ok := r.amount(a, a.line, e.amt.Currency, "TxDtls/Amt")
		if !ok {
			continue
		}

		if amt.Currency == e.amt.Currency {
			det.minor, det.has = amt.Minor, true
			break
		}

		if det.other.Currency == "" {
			det.other = amt
		}
	}

	return det
}

// emitEntry numbers the entry's transactions, gives them their keys and hands
// them on.
func (r *reader) emitEntry(st *statement, e *entryCtx, dets []detail) {
	e.ref = reference(e.n.str("AcctSvcrRef"))
	e.ntryRef = reference(e.n.str("NtryRef"))
	e.key = entryKey(e)

	txs := r.txs[:0]
	p := r.chargePlan(e, dets)

	switch problem := splitProblem(e, dets, p.target); {
	case len(dets) == 0:
		t := r.newTx(st, e, nil, e.amt.Minor, e.dir, e.n.line)
		t.Charges = p.charges
		txs = append(txs, t)
	case len(dets) == 1:
		t := r.newTx(st, e, dets[0].n, e.amt.Minor, e.dir, e.n.line)
		t.Problem = problem
		if problem == "" {
			t.Charges = dets[0].charges
		}

		txs = append(txs, t)
	case problem != "":
		t := r.merged(st, e, dets)
		t.Problem = problem
		txs = append(txs, t)
	default:
		mixed := mixedDirections(dets)
		for _, d := range dets {
			dir := e.dir
			if mixed {
				dir = d.dir
			}

			t := r.newTx(st, e, d.n, d.minor, dir, d.n.line)
			t.Charges = d.charges
			txs = append(txs, t)
		}

		if p.fee > 0 {
			t := r.newTx(st, e, nil, p.fee, bankfile.Debit, p.line)
			t.Kind, t.Remittance = bankfile.KindCharge, "bank charges of the entry"
			txs = append(txs, t)
		}
	}

	for i := range txs {
		r.seq++
		txs[i].Seq = r.seq
		txs[i].DedupeKey = r.dedupe(st, e, txs[i], i, len(dets))
		if e.ref != "" || e.ntryRef != "" {
			txs[i].EntryKey = "camt:" + st.account + ":" + e.key
		}

		r.hand(st, txs[i])
	}

	if e.reversal && !st.revPassed {
		st.revs[len(st.revs)-1].to = len(st.revTxs)
	}

	clear(txs)
	r.txs = txs[:0]
}

func mixedDirections(dets []detail) bool {
	for _, d := range dets[1:] {
		if d.dir != dets[0].dir {
			return true
		}
	}

	return false
}

// splitProblem says why the details cannot stand for the booked amount, or ""
// when they can. With one detail the entry amount is used and a differing
// detail amount is a problem; with several, the details must add up to target
// (signed when their directions differ): the booked amount, or that plus the
// entry's charges when they are booked apart (see chargePlan).
func splitProblem(e *entryCtx, dets []detail, target int64) string {
	if len(dets) == 0 {
		return ""
	}

	missing, others := 0, 0
	other := money.Amount{}
	var sum int64

	mixed := mixedDirections(dets)
	for _, d := range dets {
		switch {
		case d.has && mixed && d.dir != e.dir:
			sum -= d.minor
		case d.has:
			sum += d.minor
		case d.other.Currency != "":
			others++
			if other.Currency == "" || other.Currency == d.other.Currency {
				other = money.New(other.Minor+d.other.Minor, d.other.Currency)
			} else {
				other.Currency = "several currencies"
			}
		default:
			missing++
		}
	}

	switch {
	case len(dets) == 1 && missing == 1:
		return ""
	case others == 0 && missing == 0 && sum == target:
		return ""
	}

	booked := money.FormatMinor(e.amt.Minor, e.exp)

	switch {
	case others == len(dets) && money.ValidCurrency(other.Currency):
		return fmt.Sprintf("batch details %s ≠ booked %s %s", other, booked, e.amt.Currency)
	case others > 0:
		return fmt.Sprintf("batch details in %s ≠ booked %s %s", other.Currency, booked,
			e.amt.Currency)
	case missing == len(dets):
		return fmt.Sprintf("batch of %d details without amounts, booked %s", len(dets), booked)
	case missing > 0:
		return fmt.Sprintf("batch details %s ≠ booked %s (%d of %d details without amount)",
			money.FormatMinor(sum, e.exp), booked, missing, len(dets))
	case sum != target:
		return fmt.Sprintf("batch details %s ≠ booked %s", money.FormatMinor(sum, e.exp), booked)
	}

	return ""
}

// newTx builds the transaction of one detail (d may be nil for an entry without
// details) carrying amount minor in direction dir.
func (r *reader) newTx(st *statement, e *entryCtx, d *node, minor int64, dir bankfile.Direction,
	line int,
) bankfile.Transaction {
	t := bankfile.Transaction{
		Line:        line,
		Account:     st.account,
		Direction:   dir,
		Kind:        kind(e, d),
		Amount:      money.New(minor, e.amt.Currency),
		BookingDate: e.booking,
		ValueDate:   e.value,
		EndToEndID:  e2e(d),
		ReturnCode:  d.str("RtrInf", "Rsn", "Cd"),
	}

	if t.ReturnCode == "" {
		t.ReturnCode = d.str("RtrInf", "Rsn", "Prtry")
	}

	txRef := reference(d.str("Refs", "AcctSvcrRef"))
	t.BankRef = firstOf(txRef, e.ref, e.ntryRef, t.EndToEndID)

	if t.Kind == bankfile.KindReturn {
		// The references of a returned payment describe the original one; the
		// return itself is the entry the bank booked.
		t.BankRef = firstOf(e.ref, e.ntryRef, txRef, t.EndToEndID)
		t.OriginalRef = firstOf(txRef, t.EndToEndID, d.str("Refs", "InstrId"))
	}

	r.parties(&t, d)
	t.Remittance, t.Remits = r.remittance(d, e)

	if t.Remittance == "" {
		t.Remittance = firstOf(d.str("AddtlTxInf"), e.n.str("AddtlNtryInf"))
	}

	return t
}

// merged builds the single transaction of a batch entry that cannot be split:
// the booked amount, with the references and remittance of every detail.
func (r *reader) merged(st *statement, e *entryCtx, dets []detail) bankfile.Transaction {
	t := r.newTx(st, e, nil, e.amt.Minor, e.dir, e.n.line)

	var texts []string

	t.Remits = nil
	for i, d := range dets {
		one := r.newTx(st, e, d.n, 0, e.dir, 0)
		if one.Remittance != "" && one.Remittance != e.n.str("AddtlNtryInf") {
			texts = append(texts, one.Remittance)
		}

		t.Remits = append(t.Remits, one.Remits...)

		if i == 0 {
			t.EndToEndID, t.PayerName, t.PayerAccount, t.PayerID = one.EndToEndID, one.PayerName,
				one.PayerAccount, one.PayerID
			t.ReturnCode = one.ReturnCode

			continue
		}

		t.EndToEndID = same(t.EndToEndID, one.EndToEndID)
		t.PayerName = same(t.PayerName, one.PayerName)
		t.PayerAccount = same(t.PayerAccount, one.PayerAccount)
		t.PayerID = same(t.PayerID, one.PayerID)
		t.ReturnCode = same(t.ReturnCode, one.ReturnCode)
	}

	if len(texts) > 0 {
		t.Remittance = strings.Join(texts, " ")
	}

	return t
}

func same(a, b string) string {
	if a == b {
		return a
	}

	return ""
}

func kind(e *entryCtx, d *node) bankfile.Kind {
	if e.reversal {
		return bankfile.KindReversal
	}

	sub := d.str("BkTxCd", "Domn", "Fmly", "SubFmlyCd")
	if sub == "" {
		sub = e.n.str("BkTxCd", "Domn", "Fmly", "SubFmlyCd")
	}

	switch {
	case d.child("RtrInf") != nil || returnCodes[sub]:
		return bankfile.KindReturn
	case chargeCodes[sub]:
		return bankfile.KindCharge
	}

	return bankfile.KindPayment
}

// e2e returns the detail's EndToEndId; ISO's placeholder NOTPROVIDED counts as none.
func e2e(d *node) string {
	id := d.str("Refs", "EndToEndId")
	if strings.EqualFold(id, "NOTPROVIDED") {
		return ""
	}

	return id
}

// parties fills the ordering party: RltdPties/Dbtr (Dbtr/Pty from .08 on),
// else the ultimate debtor.
func (r *reader) parties(t *bankfile.Transaction, d *node) {
	rp := d.child("RltdPties")
	for _, who := range []string{"Dbtr", "UltmtDbtr"} {
		p := rp.child(who)
		if p == nil {
			continue
		}

		if pty := p.child("Pty"); pty != nil {
			p = pty
		}

		t.PayerName = p.str("Nm")
		t.PayerID = firstOf(p.str("Id", "OrgId", "AnyBIC"), p.str("Id", "OrgId", "BICOrBEI"),
			p.str("Id", "OrgId", "Othr", "Id"), p.str("Id", "PrvtId", "Othr", "Id"))

		if t.PayerName != "" {
			break
		}
	}

	t.PayerAccount = firstOf(rp.str("DbtrAcct", "Id", "IBAN"),
		rp.str("DbtrAcct", "Id", "Othr", "Id"))
}

// remittance returns the unstructured text (every Ustrd, then every
// AddtlRmtInf, joined with a space) and the structured references.
func (r *reader) remittance(d *node, e *entryCtx) (string, []bankfile.Remit) {
	var texts, extra []string
	var remits []bankfile.Remit

	for _, ri := range d.all("RmtInf") {
		for _, u := range ri.all("Ustrd") {
			if u.text != "" {
				texts = append(texts, u.text)
			}
		}

		for _, s := range ri.all("Strd") {
			remits = append(remits, r.structured(s, e)...)

			for _, a := range s.all("AddtlRmtInf") {
				if a.text != "" {
					extra = append(extra, a.text)
				}
			}
		}
	}

	return strings.Join(append(texts, extra...), " "), remits
}

// structured reads one Strd block: referred documents with their amounts and the
// creditor reference.
func (r *reader) structured(s *node, e *entryCtx) []bankfile.Remit {
	var out []bankfile.Remit

	docs := s.all("RfrdDocInf")
	for _, doc := range docs {
		if nb := doc.str("Nb"); nb != "" {
			out = append(out, bankfile.Remit{Ref: nb, RefType: firstOf(
				doc.str("Tp", "CdOrPrtry", "Cd"), doc.str("Tp", "CdOrPrtry", "Prtry"))})
		}
	}

	if amts := s.child("RfrdDocAmt"); amts != nil && len(out) == 1 {
		out[0].Paid = r.remitAmount(amts.child("RmtdAmt"), e)
		out[0].Invoiced = r.remitAmount(amts.child("DuePyblAmt"), e)
		out[0].Discount = r.remitAmount(amts.child("DscntApldAmt"), e)
	}

	if ref := s.str("CdtrRefInf", "Ref"); ref != "" {
		tp := s.path("CdtrRefInf", "Tp", "CdOrPrtry")

		typ := firstOf(tp.str("Cd"), tp.str("Prtry"))
		if isRF(ref) {
			typ = "RF"
		}

		out = append(out, bankfile.Remit{Ref: ref, RefType: typ})
	}

	return out
}

// remitAmount reads a remittance amount. It states what the payer says, not
// money booked, so an unreadable one or one in another currency is a warning.
func (r *reader) remitAmount(a *node, e *entryCtx) int64 {
	if a == nil {
		return 0
	}

	if inner := a.child("Amt"); inner != nil { // DscntApldAmt from .04 on
		a = inner
	}

	ccy := firstOf(a.ccy, e.amt.Currency)
	if ccy != e.amt.Currency {
		r.warn(a.line, "RfrdDocAmt/"+a.name, a.text+" "+ccy,
			"remittance amount in another currency: ignored")
		return 0
	}

	minor, err := money.ParseMinor(a.text, e.exp)
	if err != nil {
		r.warn(a.line, "RfrdDocAmt/"+a.name, a.text, "remittance amount unreadable: ignored")
		return 0
	}

	return minor
}

// isRF reports an ISO 11649 creditor reference: "RF", two check digits, then
// up to 21 letters or digits.
func isRF(ref string) bool {
	ref = strings.ReplaceAll(strings.ToUpper(ref), " ", "")
	if len(ref) < 5 || len(ref) > 25 || !strings.HasPrefix(ref, "RF") {
		return false
	}

	return ref[2] >= '0' && ref[2] <= '9' && ref[3] >= '0' && ref[3] <= '9'
}

// entryKey is the part of a dedupe key that identifies the entry, the same in
// every report of the booking (camt.052 intraday, camt.053 statement, camt.054
// notification): the bank's reference for it (AcctSvcrRef), else NtryRef,
// each with the booking date, the direction as written (R for a reversal) and
// the booked amount; else a hash of the entry's whole content.
//
// NtryRef is not enough on its own: many banks number the entries of each
// report ("1", "2", ...), so one booking has several and one NtryRef names
// different bookings in different reports. Nor is a reference alone: a bank
// that reuses references (per day, per batch) would tie distinct bookings
// together, and money stored under one key is not counted again.
func entryKey(e *entryCtx) string {
	var id string

	switch {
	case e.ref != "":
		id = e.ref
	case e.ntryRef != "":
		id = "n:" + e.ntryRef
	default:
		var b strings.Builder
		e.n.leaves(&b, "")
		sum := sha256.Sum256([]byte(b.String()))

		return "h:" + hex.EncodeToString(sum[:10])
	}

	var b strings.Builder

	b.Grow(len(id) + 40)
	b.WriteString(id)
	b.WriteByte(':')

	if !e.booking.IsZero() {
		b.WriteString(e.booking.Format(time.DateOnly))
	}

	b.WriteByte(':')

	if e.reversal {
		b.WriteByte('R')
	}

	if e.dir == bankfile.Credit {
		b.WriteByte('C')
	} else {
		b.WriteByte('D')
	}

	b.WriteString(money.FormatMinor(e.amt.Minor, e.exp))
	b.WriteString(e.amt.Currency)

	return b.String()
}

// reference returns a bank reference, or "" for the placeholders banks write
// when they have none.
func reference(ref string) string {
	if strings.EqualFold(ref, "NOTPROVIDED") || strings.EqualFold(ref, "NONREF") {
		return ""
	}

	return ref
}

// dedupe returns the transaction's key: account, entry key and, for a
// transaction that stands for one detail, its EndToEndId or position. A key
// already used in this file gets an occurrence ordinal, so identical entries
// both count and a re-sent file yields the same keys.
func (r *reader) dedupe(st *statement, e *entryCtx, t bankfile.Transaction, i, ndets int) string {
	var key string
	switch {
	case t.Problem != "" || ndets == 0:
		key = "camt:" + st.account + ":" + e.key
	case t.EndToEndID != "":
		key = "camt:" + st.account + ":" + e.key + ":" + t.EndToEndID
	default:
		key = "camt:" + st.account + ":" + e.key + ":#" + strconv.Itoa(i+1)
	}

	if n := r.keys.Add(maphash.String(r.seed, key)); n > 1 {
		key += fmt.Sprintf("~%d", n)
	}

	return key
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}

	return ""
}

// amount reads an amount element with its Ccy attribute (fallback when the
// attribute is missing). Amounts are never negative in camt and must not carry
// more decimals than the currency has, unless the extra digits are zeros.
func (r *reader) amount(a *node, line int, fallback, field string) (money.Amount, bool) {
	if a == nil {
		r.fail(line, field, "", "amount missing")
		return money.Amount{}, false
	}

	ccy := firstOf(a.ccy, fallback)
	if ccy == "" {
		r.fail(a.line, field+"@Ccy", "", "amount has no currency")
		return money.Amount{}, false
	}

	exp, ok := r.exponent(ccy)
	if !ok {
		r.fail(a.line, field+"@Ccy", ccy, money.CurrencyProblem(ccy))
		return money.Amount{}, false
	}

	if strings.HasPrefix(a.text, "-") || strings.HasPrefix(a.text, "+") {
		r.fail(a.line, field, a.text, "camt amounts are unsigned; direction is CdtDbtInd")
		return money.Amount{}, false
	}

	minor, err := money.ParseMinor(a.text, exp)
	if err != nil {
		r.fail(a.line, field, a.text, fmt.Sprintf(
			"not an exact %s amount with at most %d decimals", ccy, exp))

		return money.Amount{}, false
	}

	return money.Amount{Minor: minor, Currency: ccy}, true
}

// exponent returns the decimals of a valid currency code (see
// money.ValidCurrency), remembering the codes already looked up: the lookup
// allocates, and a file uses one or two currencies for every amount.
func (r *reader) exponent(ccy string) (int, bool) {
	if exp, ok := r.exps[ccy]; ok {
		return exp, true
	}

	if !money.ValidCurrency(ccy) {
		return 0, false
	}

	exp, err := money.Exponent(ccy)
	if err != nil {
		return 0, false
	}

	if r.exps == nil {
		r.exps = map[string]int{}
	}

	r.exps[ccy] = exp

	return exp, true
}

// minor reads a currency-less amount (TxsSummry sums) with exp decimals.
func (r *reader) minor(a *node, exp int, field string) (int64, bool) {
	v, err := money.ParseMinor(a.text, exp)
	if err != nil || strings.HasPrefix(a.text, "-") {
		r.fail(a.line, field, a.text, fmt.Sprintf(
			"not an exact amount with at most %d decimals", exp))
		return 0, false
	}

	return v, true
}

// date reads a Dt or DtTm child (ISO date, or date-time with optional fraction
// of up to 9 digits and optional offset) and returns the calendar date as
// written, at UTC midnight.
func (r *reader) date(n *node, field string) (time.Time, bool) {
	v := n.str("Dt")
	if v == "" {
		v = n.str("DtTm")
	}

	if v == "" {
		r.fail(n.line, field, "", "date has neither Dt nor DtTm")
		return time.Time{}, false
	}

	d, ok := parseDate(v)
	if !ok {
		r.fail(n.line, field, v, "not an ISO date or date-time")
		return time.Time{}, false
	}

	return d, true
}

func parseDate(v string) (time.Time, bool) {
	if len(v) < 10 {
		return time.Time{}, false
	}

	d, err := time.Parse(time.DateOnly, v[:10])
	if err != nil {
		return time.Time{}, false
	}

	rest := v[10:]
	switch {
	case rest == "":
		return d, true
	case rest[0] == 'T':
		for _, layout := range []string{
			"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999",
		} {
			if _, err := time.Parse(layout, v); err == nil {
				return d, true
			}
		}

		return time.Time{}, false
	default: // xs:date with an offset: 2025-01-15+01:00 or 2025-01-15Z
		if _, err := time.Parse("2006-01-02Z07:00", v); err == nil {
			return d, true
		}

		return time.Time{}, false
	}
}
