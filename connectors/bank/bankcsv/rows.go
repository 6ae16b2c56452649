package bankcsv

import (
	"fmt"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

// footerWords start the first cell of summary rows after (or between) the
// data rows: "Balance at start of period", "Total", "Saldo", ...
var footerWords = []string{
	"balance", "total", "totals", "opening", "closing", "ending", "beginning", "end of",
	"start of", "sum", "summe", "saldo", "solde", "kontostand", "anfangssaldo", "endsaldo",
	"schlusssaldo", "total general",
}

// pendingWords mark rows that are not booked yet.
var pendingWords = map[string]bool{
	"pending": true, "pendiente": true, "vorgemerkt": true, "en attente": true,
	"in progress": true, "processing": true, "authorized": true, "authorised": true,
	"in bearbeitung": true, "non comptabilise": true, "in afwachting": true, "in sospeso": true,
}

// Kinds by words of a type column.
var (
	chargeWords = map[string]bool{
		"fee": true, "fees": true, "charge": true, "charges": true, "gebuhr": true,
		"gebuhren": true, "entgelt": true, "frais": true, "comision": true, "commission": true,
	}
	reversalWords = map[string]bool{
		"reversal": true, "reversed": true, "storno": true, "chargeback": true, "annulation": true,
	}
	returnWords = map[string]bool{
		"return": true, "returned": true, "retour": true, "rucklastschrift": true,
		"devolucion": true, "rueckgabe": true,
	}
)

// amountRoles are the columns whose cells are amounts.
var amountRoles = []role{
	roleAmount, roleCredit, roleDebit, roleGross, roleFee, roleNet, roleBalance, roleOriginalAmount,
}

// rowCtx carries one row through its checks.
type rowCtx struct {
	rec      record
	ccy      string
	exp      int
	bad      bool
	badCcy   bool     // the currency was refused: no amount can be read
	problems []string // flags for the transaction (read, not applied automatically)
}

func (s *scan) rowFail(c *rowCtx, ro role, value, msg string) {
	c.bad = true
	s.fail(c.rec.line, s.lay.name(ro), value, msg)
}

// row reads one data record into one transaction (two with a fee) and emits
// them.
func (s *scan) row(rec record) {
	c := &rowCtx{rec: rec}
	lay := s.lay

	if !s.rowCurrency(c) {
		return
	}

	booking := s.rowDate(c, roleDate)
	value := s.rowDate(c, roleValueDate)

	if booking.IsZero() && value.IsZero() && !c.bad {
		ro := roleDate
		if !lay.has(roleDate) {
			ro = roleValueDate
		}

		s.rowFail(c, ro, "", "date missing")
	}

	if c.badCcy {
		return
	}

	amt, dir, fee, ok := s.rowAmount(c)
	if !ok || c.bad {
		return
	}

	t := bankfile.Transaction{
		Line:         rec.line,
		Account:      firstOf(s.set.account, lay.cell(rec.cells, roleAccount), s.metaAccount),
		Direction:    dir,
		Kind:         s.kind(rec.cells, amt, dir),
		Amount:       money.New(amt, c.ccy),
		BookingDate:  booking,
		ValueDate:    value,
		BankRef:      lay.cell(rec.cells, roleTxID),
		EndToEndID:   lay.cell(rec.cells, roleEndToEnd),
		PaymentRef:   lay.cell(rec.cells, roleReference),
		PayerName:    lay.cell(rec.cells, rolePayer),
		PayerAccount: lay.cell(rec.cells, rolePayerAccount),
		PayerID:      lay.cell(rec.cells, rolePayerID),
		Remittance:   s.remittance(rec.cells),
		OriginalRef:  lay.cell(rec.cells, roleOriginalRef),
		Problem:      strings.Join(c.problems, "; "),
	}

	if inv := lay.cell(rec.cells, roleInvoice); inv != "" {
		t.Remits = []bankfile.Remit{{Ref: inv, RefType: "IV"}}
	}

	s.balanceMove(c, signed(t.Amount.Minor, dir)+fee)

	if s.pending(rec.cells) {
		s.warn(rec.line, lay.name(roleStatus), lay.cell(rec.cells, roleStatus),
			"row is not booked yet: skipped")

		return
	}

	base := s.dedupeBase(&t, rec.cells)
	s.add(t, base)

	if fee != 0 {
		f := t
		f.Kind, f.Direction, f.Amount.Minor = bankfile.KindCharge, bankfile.Credit, fee
		f.Remits, f.Problem = nil, ""

		if fee < 0 {
			f.Direction, f.Amount.Minor = bankfile.Debit, -fee
		}

		s.add(f, base+"/fee")
	}
}

func signed(minor int64, dir bankfile.Direction) int64 {
	if dir == bankfile.Debit {
		return -minor
	}

	return minor
}

// rowCurrency sets the row's currency; false when the file has none at all,
// which is a file-level problem that ends the read. A currency that is not one
// of cash (see money.CheckCurrency) fails the row, naming where it was written.
func (s *scan) rowCurrency(c *rowCtx) bool {
	c.ccy = s.currency
	field := "currency"

	if v := strings.ToUpper(s.lay.cell(c.rec.cells, roleCurrency)); v != "" {
		c.ccy, field = v, s.lay.name(roleCurrency)
	}

	if c.ccy == "" {
		var ro role
		c.ccy, ro = s.cellCurrency(c.rec.cells)
		field = s.lay.name(ro)
	}

	switch {
	case c.ccy != "":
		exp, ok := s.exponent(c.ccy)
		if !ok {
			c.bad, c.badCcy = true, true
			s.fail(c.rec.line, field, c.ccy, money.CurrencyProblem(c.ccy))

			return true
		}

		c.exp = exp
	case !s.lay.has(roleCurrency):
		s.noCurrency()
		return false
	default:
		s.rowFail(c, roleCurrency, "", "currency missing")
	}

	return true
}

// exponent returns the minor-unit digits of a currency code, remembering the
// codes of the file; ok is false for a code that is no ISO 4217 currency of
// cash.
func (s *scan) exponent(code string) (exp int, ok bool) {
	if e, seen := s.exponents[code]; seen {
		return e, e >= 0
	}

	exp = -1
	if money.ValidCurrency(code) {
		exp, _ = money.Exponent(code)
	}

	if s.exponents == nil {
		s.exponents = map[string]int{}
	}

	if len(s.exponents) < 1000 {
		s.exponents[code] = exp
	}

	return exp, exp >= 0
}

// cellCurrency returns a currency written in the row's amount cells ("USD 12.00")
// and the role of the cell it was found in.
func (s *scan) cellCurrency(cells []string) (string, role) {
	for _, ro := range amountRoles {
		if _, _, ccy, err := cleanNumber(s.lay.cell(cells, ro)); err == nil && ccy != "" {
			return ccy, ro
		}
	}

	return "", 0
}

// hasCellCurrency reports whether the row's amount cells name a currency.
func (s *scan) hasCellCurrency(cells []string) bool {
	ccy, _ := s.cellCurrency(cells)
	return ccy != ""
}

func (s *scan) rowDate(c *rowCtx, ro role) time.Time {
	v := s.lay.cell(c.rec.cells, ro)
	if v == "" {
		return time.Time{}
	}

	if ls := s.set.layouts; len(ls) > 0 {
		texts := make([]string, 0, len(ls))

		for _, l := range ls {
			t, err := l.parse(v)
			if err == nil {
				return t
			}

			if err == errImpossible {
				s.rowFail(c, ro, v, "impossible date as "+l.text)
				return time.Time{}
			}

			texts = append(texts, l.text)
		}

		s.rowFail(c, ro, v, "not a date in the bank profile's layout "+
			strings.Join(texts, " or "))

		return time.Time{}
	}

	d, err := splitDate(v)
	if err != nil {
		s.rowFail(c, ro, v, "not a date")
		return time.Time{}
	}

	t, err := d.date(s.order)
	if err != nil {
		s.rowFail(c, ro, v, fmt.Sprintf("impossible date as %s", s.order))
		return time.Time{}
	}

	return t
}

// decimalMark returns the decimal mark rows are parsed with.
func (s *scan) decimalMark() byte {
	if s.decimal == 0 {
		return '.' // no amount of the file depends on it
	}

	return s.decimal
}

// parseCell reads the amount cell of role ro; ok is false when the cell is
// empty. A malformed cell is a row problem.
func (s *scan) parseCell(c *rowCtx, ro role) (n number, ok bool) {
	v := s.lay.cell(c.rec.cells, ro)
	if v == "" || c.ccy == "" {
		return number{}, false
	}

	body, neg, ccy, err := cleanNumber(v)
	if err == nil && ccy != "" && ccy != c.ccy {
		s.rowFail(c, ro, v, fmt.Sprintf("amount in %s on a %s row", ccy, c.ccy))
		return number{}, false
	}

	dec := s.decimalMark()
	if err == nil {
		n.minor, err = parseNumber(body, dec, s.set.thousands, c.exp)
	}

	if err != nil {
		s.rowFail(c, ro, v, fmt.Sprintf("not an exact %s amount (decimal mark %q, at most %d "+
			"decimals)", c.ccy, string(rune(dec)), c.exp))

		return number{}, false
	}

	n.neg = neg

	return n, true
}

// sign returns the sign convention of the file: the profile's, or the one its
// columns imply.
func (s *scan) sign() string {
	if s.set.sign != "" {
		return s.set.sign
	}

	switch l := s.lay; {
	case l.has(roleAmount) && l.has(roleIndicator):
		return signIndicator
	case l.has(roleAmount) || l.has(roleGross) || l.has(roleNet):
		return signAmount
	}

	return signDebitCredit
}

// rowAmount returns the booked amount (positive), its direction and the
// signed fee (0 when none). Direction comes from the column (debit/credit),
// the indicator, or the sign written in the cell, so "-0,00" stays a debit.
func (s *scan) rowAmount(c *rowCtx) (minor int64, dir bankfile.Direction, fee int64, ok bool) {
	lay := s.lay

	switch s.sign() {
	case signDebitCredit:
		minor, dir, ok = s.debitCredit(c)
	case signIndicator:
		minor, dir, ok = s.signedAmount(c, true)
	default:
		minor, dir, ok = s.signedAmount(c, false)
	}

	if !ok {
		return 0, "", 0, false
	}

	if lay.has(roleGross) && lay.has(roleFee) {
		fee, ok = s.fee(c, signed(minor, dir))
	}

	if o, has := s.parseCell(c, roleOriginalAmount); has && o.minor != 0 && o.minor != minor {
		c.problems = append(c.problems, fmt.Sprintf("column %q holds a second amount %s: "+
			"which currency each amount is in is unclear", lay.name(roleOriginalAmount),
			money.FormatMinor(o.minor, c.exp)))
	}

	return minor, dir, fee, ok
}

func (s *scan) signedAmount(c *rowCtx, indicator bool) (int64, bankfile.Direction, bool) {
	ro := roleAmount
	if !s.lay.has(ro) {
		ro = roleGross
	}

	if !s.lay.has(ro) {
		ro = roleNet
	}

	n, ok := s.parseCell(c, ro)
	if !ok {
		if !c.bad {
			s.rowFail(c, ro, "", "amount missing")
		}

		return 0, "", false
	}

	dir := bankfile.Credit
	if n.neg {
		dir = bankfile.Debit
	}

	if !indicator {
		return n.minor, dir, true
	}

	raw := s.lay.cell(c.rec.cells, roleIndicator)
	ind := indicatorKey(raw)

	switch {
	case s.creditWords[ind]:
		if n.neg {
			s.rowFail(c, ro, s.lay.cell(c.rec.cells, ro), "negative amount on a credit row")
			return 0, "", false
		}

		return n.minor, bankfile.Credit, true
	case s.debitWords[ind]:
		return n.minor, bankfile.Debit, true
	}

	s.rowFail(c, roleIndicator, raw, "not a debit/credit indicator")

	return 0, "", false
}

func (s *scan) debitCredit(c *rowCtx) (int64, bankfile.Direction, bool) {
	cr, hasCr := s.parseCell(c, roleCredit)
	db, hasDb := s.parseCell(c, roleDebit)

	if c.bad {
		return 0, "", false
	}

	switch {
	case hasCr && hasDb && cr.minor != 0 && db.minor != 0:
		s.rowFail(c, roleDebit, s.lay.cell(c.rec.cells, roleDebit), fmt.Sprintf(
			"both debit and credit on one row (credit %s)", s.lay.cell(c.rec.cells, roleCredit)))

		return 0, "", false
	case hasCr && cr.minor != 0:
		if !cr.neg {
			return cr.minor, bankfile.Credit, true
		}

		if s.set.creditSign != "signed" {
			c.problems = append(c.problems, "negative amount in the credit column: read as a debit")
		}

		return cr.minor, bankfile.Debit, true
	case hasDb && db.minor != 0:
		s.debitConvention(c, db.neg)
		return db.minor, bankfile.Debit, true
	case hasCr && (!cr.neg || !hasDb):
		if cr.neg {
			return 0, bankfile.Debit, true
		}

		return 0, bankfile.Credit, true
	case hasDb:
		return 0, bankfile.Debit, true
	}

	ro := roleCredit
	if !s.lay.has(ro) {
		ro = roleDebit
	}

	s.rowFail(c, ro, "", "amount missing: neither debit nor credit")

	return 0, "", false
}

// debitConvention flags a debit written with the other sign than the
// profile's convention, or than the file's first debit when the profile
// states none: the sign then means something the file does not say.
func (s *scan) debitConvention(c *rowCtx, neg bool) {
	want := neg

	switch s.set.debitSign {
	case "any":
		return
	case "positive":
		want = false
	case "negative":
		want = true
	default:
		if s.debitNeg == 0 {
			s.debitNeg = map[bool]int{true: 1, false: -1}[neg]
		}

		want = s.debitNeg > 0
	}

	if neg != want {
		c.problems = append(c.problems, "the debit column mixes signed and unsigned "+
			"amounts: read as a debit")
	}
}

// fee reads the fee of a gross/fee/net row and checks gross + fee = net.
func (s *scan) fee(c *rowCtx, gross int64) (int64, bool) {
	f, ok := s.parseCell(c, roleFee)
	if c.bad {
		return 0, false
	}

	fee := f.minor
	if ok && f.neg {
		fee = -fee
	}

	n, has := s.parseCell(c, roleNet)
	if !has || c.bad || s.set.net == checkOff {
		return fee, !c.bad
	}

	net := n.minor
	if n.neg {
		net = -net
	}

	if gross+fee == net {
		return fee, true
	}

	v := s.lay.cell(c.rec.cells, roleNet)
	msg := fmt.Sprintf("gross %s + fee %s ≠ net", money.FormatMinor(gross, c.exp),
		money.FormatMinor(fee, c.exp))

	if s.set.net == checkReject {
		s.rowFail(c, roleNet, v, msg)
		return 0, false
	}

	c.problems = append(c.problems, msg)
	s.warn(c.rec.line, s.lay.name(roleNet), v, msg)

	return fee, true
}

// kind classifies a row: zero amounts are notices, a type column naming a fee,
// reversal or return decides; without one, a debit whose text names a fee
// ("ENTGELT", "CHARGES") is a charge; anything else is a payment.
func (s *scan) kind(cells []string, minor int64, dir bankfile.Direction) bankfile.Kind {
	if minor == 0 {
		return bankfile.KindNotice
	}

	for _, w := range strings.Fields(normalise(s.lay.cell(cells, roleType))) {
		switch {
		case chargeWords[w]:
			return bankfile.KindCharge
		case reversalWords[w]:
			return bankfile.KindReversal
		case returnWords[w]:
			return bankfile.KindReturn
		}
	}

	if dir != bankfile.Debit || s.lay.has(roleType) {
		return bankfile.KindPayment
	}

	for _, i := range s.lay.descrs {
		if i >= len(cells) {
			continue
		}

		for _, w := range strings.Fields(normalise(cells[i])) {
			if chargeWords[w] {
				return bankfile.KindCharge
			}
		}
	}

	return bankfile.KindPayment
}

func (s *scan) pending(cells []string) bool {
	v := s.lay.cell(cells, roleStatus)
	if v == "" {
		return false
	}

	if s.set.skipStatus != nil {
		return s.set.skipStatus[normalise(v)]
	}

	return pendingWords[normalise(v)]
}

// remittance joins the description and reference cells in column order.
func (s *scan) remittance(cells []string) string {
	var parts []string

	for _, c := range s.lay.cols {
		if (c.role == roleDescription || c.role == roleReference) && c.index < len(cells) {
			if v := strings.Join(strings.Fields(cells[c.index]), " "); v != "" {
				parts = append(parts, v)
			}
		}
	}

	return strings.Join(parts, " ")
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}

	return true
}

func firstCell(cells []string) string {
	for _, c := range cells {
		if c = strings.TrimSpace(c); c != "" {
			return c
		}
	}

	return ""
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}

	return ""
}
