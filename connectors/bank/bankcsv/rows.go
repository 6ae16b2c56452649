package bankcsv

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
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

// row is a data record with what the file-wide passes learned about it.
type row struct {
	rec    record
	footer bool
	wide   bool // has values beyond the header: rejected, left out of the inference
}

// rows reads the data records under the header.
func (r *reader) rows(header record, recs []record) {
	var data []row

	cells := make([][]string, 0, len(recs))
	for _, rec := range recs {
		if blank(rec.cells) {
			continue
		}

		w := row{rec: rec, footer: r.isFooter(rec.cells), wide: r.tooWide(header, rec)}
		if !w.footer && !w.wide {
			cells = append(cells, rec.cells)
			data = append(data, w)
		}

		if w.footer {
			r.warn(w.rec.line, "", firstCell(w.rec.cells), "summary row skipped")
		}
	}

	r.lay.promoteIndicator(cells)

	before := len(r.problems)
	r.decideDecimal(data)
	r.decideDates(data)
	r.decideDebitSigns(data)
	r.needCurrency(data)

	if len(r.problems) > before {
		return
	}

	r.file.Transactions = make([]bankfile.Transaction, 0, len(data))
	for _, w := range data {
		r.row(w.rec)
	}

	r.finish()
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

// isFooter reports a summary row: a date column holds, instead of a date, a
// label starting with a word such as "balance" or "total". Anything else in a
// date column is a bad row, so no payment is ever skipped as a summary.
func (r *reader) isFooter(cells []string) bool {
	footer := false

	for _, ro := range []role{roleDate, roleValueDate} {
		v := r.lay.cell(cells, ro)
		if v == "" {
			continue
		}

		if _, err := splitDate(v); err == nil {
			return false
		}

		n := normalise(v)
		for _, w := range footerWords {
			if n == w || strings.HasPrefix(n, w+" ") {
				footer = true
			}
		}
	}

	return footer
}

// tooWide rejects a row with non-empty cells beyond the header: an unquoted
// delimiter inside a value shifts every later column, amounts included.
func (r *reader) tooWide(header record, rec record) bool {
	width := len(header.cells)

	for i := width; i < len(rec.cells); i++ {
		if strings.TrimSpace(rec.cells[i]) != "" {
			r.fail(rec.line, "columns", rec.cells[i], fmt.Sprintf(
				"row has %d fields, header has %d: a value may contain an unquoted delimiter",
				len(rec.cells), width))

			return true
		}
	}

	return false
}

// amountRoles are the columns whose cells are amounts.
var amountRoles = []role{
	roleAmount, roleCredit, roleDebit, roleGross, roleFee, roleNet, roleBalance, roleOriginalAmount,
}

// decideDecimal sets the decimal mark for the whole file from every amount cell.
func (r *reader) decideDecimal(data []row) {
	if r.opts.Decimal != 0 {
		r.decimal = r.opts.Decimal
		return
	}

	var dot, comma, unsure *bankfile.Problem

	for _, w := range data {
		for _, ro := range amountRoles {
			v := r.lay.cell(w.rec.cells, ro)
			body, _, _, err := cleanNumber(v)
			if v == "" || err != nil {
				continue
			}

			p := &bankfile.Problem{Line: w.rec.line, Field: r.colName(ro), Value: v}
			switch mark, sure := decimalMark(body); {
			case sure && mark == '.' && dot == nil:
				dot = p
			case sure && mark == ',' && comma == nil:
				comma = p
			case !sure && mark == 0 && strings.ContainsAny(body, ".,") && unsure == nil:
				unsure = p
			}
		}
	}

	switch {
	case dot != nil && comma != nil:
		r.fail(comma.Line, comma.Field, comma.Value, fmt.Sprintf(
			"decimal comma here but decimal point on line %d (%q): decimal mark inconsistent",
			dot.Line, dot.Value))
	case comma != nil:
		r.decimal = ','
	case dot != nil:
		r.decimal = '.'
	case unsure != nil:
		r.fail(unsure.Line, unsure.Field, unsure.Value,
			"decimal mark ambiguous: set the decimal mark in the bank profile")
	default:
		r.decimal = '.'
	}
}

// decideDates sets the day/month order for the whole file from every date cell.
func (r *reader) decideDates(data []row) {
	var dayFirst, monthFirst, either *bankfile.Problem

	for _, w := range data {
		for _, ro := range []role{roleDate, roleValueDate} {
			v := r.lay.cell(w.rec.cells, ro)

			d, err := splitDate(v)
			if v == "" || err != nil {
				continue // reported with the row
			}

			p := &bankfile.Problem{Line: w.rec.line, Field: r.colName(ro), Value: v}
			switch {
			case d.shape == shapeDayFirst && dayFirst == nil:
				dayFirst = p
			case d.shape == shapeMonthFirst && monthFirst == nil:
				monthFirst = p
			case d.shape == shapeEither && either == nil:
				either = p
			}
		}
	}

	r.order = r.opts.DateOrder

	switch {
	case dayFirst != nil && monthFirst != nil:
		r.fail(monthFirst.Line, monthFirst.Field, monthFirst.Value, fmt.Sprintf(
			"month-first date but line %d has the day-first date %q: date format inconsistent",
			dayFirst.Line, dayFirst.Value))
	case r.order != DateAuto:
	case dayFirst != nil:
		r.order = DayFirst
	case monthFirst != nil:
		r.order = MonthFirst
	case either == nil:
		r.order = DayFirst // no date in the file depends on the order
	case r.decimal == ',':
		r.order = DayFirst
		r.warn(either.Line, either.Field, either.Value, "date format ambiguous: read as "+
			"DD/MM/YYYY because the amounts use a decimal comma")
	default:
		r.fail(either.Line, either.Field, either.Value, "date format ambiguous: every date "+
			"fits both DD/MM/YYYY and MM/DD/YYYY; set the date order in the bank profile")
	}
}

// decideDebitSigns notes a debit column that mixes "-12.00" and "12.00": the
// signs then mean something the file does not say, and those rows are flagged.
func (r *reader) decideDebitSigns(data []row) {
	if !r.lay.has(roleDebit) {
		return
	}

	var neg, pos bool

	for _, w := range data {
		if body, n, _, err := cleanNumber(r.lay.cell(w.rec.cells, roleDebit)); err == nil &&
			strings.Trim(body, "0., ") != "" {
			neg, pos = neg || n, pos || !n
		}
	}

	r.debitMix = neg && pos
}

// needCurrency rejects a file with rows but no currency anywhere: no column,
// no metadata row, no profile and no code in the amount cells.
func (r *reader) needCurrency(data []row) {
	if r.lay.has(roleCurrency) || r.currency != "" {
		return
	}

	for _, w := range data {
		if r.cellCurrency(w.rec.cells) == "" {
			r.fail(0, "currency", "", "the file has no currency column and no currency in its "+
				"metadata rows: set the currency in the bank profile")

			return
		}
	}
}

// cellCurrency returns a currency written in the row's amount cells ("USD 12.00").
func (r *reader) cellCurrency(cells []string) string {
	for _, ro := range amountRoles {
		if _, _, ccy, err := cleanNumber(r.lay.cell(cells, ro)); err == nil && ccy != "" {
			return ccy
		}
	}

	return ""
}

func (r *reader) colName(ro role) string {
	i, ok := r.lay.first[ro]
	if !ok {
		return ""
	}

	for _, c := range r.lay.cols {
		if c.index == i {
			return c.name
		}
	}

	return ""
}

// rowCtx carries one row through its checks.
type rowCtx struct {
	rec      record
	ccy      string
	exp      int
	bad      bool
	problems []string // flags for the transaction (read, not applied automatically)
}

func (r *reader) rowFail(c *rowCtx, ro role, value, msg string) {
	c.bad = true
	r.fail(c.rec.line, r.colName(ro), value, msg)
}

// row reads one data record into one transaction (two with a fee).
func (r *reader) row(rec record) {
	c := &rowCtx{rec: rec}
	lay := r.lay

	r.rowCurrency(c)
	booking := r.rowDate(c, roleDate)
	value := r.rowDate(c, roleValueDate)

	if booking.IsZero() && value.IsZero() && !c.bad {
		ro := roleDate
		if !lay.has(roleDate) {
			ro = roleValueDate
		}

		r.rowFail(c, ro, "", "date missing")
	}

	amt, dir, fee, ok := r.rowAmount(c)
	if !ok || c.bad {
		return
	}

	t := bankfile.Transaction{
		Line:         rec.line,
		Account:      firstOf(r.opts.Account, lay.cell(rec.cells, roleAccount), r.account),
		Direction:    dir,
		Kind:         r.kind(rec.cells, amt),
		Amount:       money.New(amt, c.ccy),
		BookingDate:  booking,
		ValueDate:    value,
		BankRef:      lay.cell(rec.cells, roleTxID),
		EndToEndID:   lay.cell(rec.cells, roleEndToEnd),
		PaymentRef:   lay.cell(rec.cells, roleReference),
		PayerName:    lay.cell(rec.cells, rolePayer),
		PayerAccount: lay.cell(rec.cells, rolePayerAccount),
		PayerID:      lay.cell(rec.cells, rolePayerID),
		Remittance:   r.remittance(rec.cells),
		OriginalRef:  lay.cell(rec.cells, roleOriginalRef),
		Problem:      strings.Join(c.problems, "; "),
	}

	if inv := lay.cell(rec.cells, roleInvoice); inv != "" {
		t.Remits = []bankfile.Remit{{Ref: inv, RefType: "IV"}}
	}

	net := signed(t.Amount.Minor, dir)
	if fee != 0 {
		net += fee
	}

	r.balanceMove(c, net)

	if r.pending(rec.cells) {
		r.warn(rec.line, r.colName(roleStatus), lay.cell(rec.cells, roleStatus),
			"row is not booked yet: skipped")

		return
	}

	base := r.dedupeBase(t.Account, rec.cells)
	r.add(t, base)

	if fee != 0 {
		f := t
		f.Kind, f.Direction, f.Amount.Minor = bankfile.KindCharge, bankfile.Credit, fee
		f.Remits, f.Problem = nil, ""

		if fee < 0 {
			f.Direction, f.Amount.Minor = bankfile.Debit, -fee
		}

		r.add(f, base+"/fee")
	}
}

func signed(minor int64, dir bankfile.Direction) int64 {
	if dir == bankfile.Debit {
		return -minor
	}

	return minor
}

// add appends t with its dedupe key; a key already used in the file gets an
// occurrence ordinal so identical rows both count.
func (r *reader) add(t bankfile.Transaction, key string) {
	r.keys[key]++
	if n := r.keys[key]; n > 1 {
		key += fmt.Sprintf("~%d", n)
	}

	t.DedupeKey = key
	t.Seq = len(r.file.Transactions) + 1
	r.file.Transactions = append(r.file.Transactions, t)
}

func (r *reader) rowCurrency(c *rowCtx) {
	c.ccy = r.currency

	if v := strings.ToUpper(r.lay.cell(c.rec.cells, roleCurrency)); v != "" {
		if !money.ValidCurrency(v) {
			r.rowFail(c, roleCurrency, v, "not an ISO 4217 currency code")
			return
		}

		c.ccy = v
	}

	if c.ccy == "" {
		c.ccy = r.cellCurrency(c.rec.cells)
	}

	if c.ccy == "" {
		r.rowFail(c, roleCurrency, "", "currency missing")
		return
	}

	c.exp, _ = money.Exponent(c.ccy)
}

func (r *reader) rowDate(c *rowCtx, ro role) time.Time {
	v := r.lay.cell(c.rec.cells, ro)
	if v == "" {
		return time.Time{}
	}

	d, err := splitDate(v)
	if err != nil {
		r.rowFail(c, ro, v, "not a date")
		return time.Time{}
	}

	t, err := d.date(r.order)
	if err != nil {
		r.rowFail(c, ro, v, fmt.Sprintf("impossible date as %s", r.order))
		return time.Time{}
	}

	return t
}

// parseCell reads the amount cell of role ro; ok is false when the cell is
// empty. A malformed cell is a row problem.
func (r *reader) parseCell(c *rowCtx, ro role) (n number, ok bool) {
	v := r.lay.cell(c.rec.cells, ro)
	if v == "" || c.ccy == "" {
		return number{}, false
	}

	body, neg, ccy, err := cleanNumber(v)
	if err == nil && ccy != "" && ccy != c.ccy {
		r.rowFail(c, ro, v, fmt.Sprintf("amount in %s on a %s row", ccy, c.ccy))
		return number{}, false
	}

	if err == nil {
		n.minor, err = parseNumber(body, r.decimal, c.exp)
	}

	if err != nil {
		r.rowFail(c, ro, v, fmt.Sprintf("not an exact %s amount (decimal mark %q, at most %d "+
			"decimals)", c.ccy, string(rune(r.decimal)), c.exp))

		return number{}, false
	}

	n.neg = neg

	return n, true
}

// rowAmount returns the booked amount (positive), its direction and the
// signed fee (0 when none). Direction comes from the column (debit/credit),
// the indicator, or the sign written in the cell, so "-0,00" stays a debit.
func (r *reader) rowAmount(c *rowCtx) (minor int64, dir bankfile.Direction, fee int64, ok bool) {
	lay := r.lay

	switch {
	case lay.has(roleAmount) || lay.has(roleGross) || lay.has(roleNet):
		minor, dir, ok = r.signedAmount(c)
	default:
		minor, dir, ok = r.debitCredit(c)
	}

	if !ok {
		return 0, "", 0, false
	}

	if lay.has(roleGross) && lay.has(roleFee) {
		fee, ok = r.fee(c, signed(minor, dir))
	}

	if o, has := r.parseCell(c, roleOriginalAmount); has && o.minor != 0 && o.minor != minor {
		c.problems = append(c.problems, fmt.Sprintf("column %q holds a second amount %s: "+
			"which currency each amount is in is unclear", r.colName(roleOriginalAmount),
			money.FormatMinor(o.minor, c.exp)))
	}

	return minor, dir, fee, ok
}

func (r *reader) signedAmount(c *rowCtx) (int64, bankfile.Direction, bool) {
	ro := roleAmount
	if !r.lay.has(ro) {
		ro = roleGross
	}

	if !r.lay.has(ro) {
		ro = roleNet
	}

	n, ok := r.parseCell(c, ro)
	if !ok {
		if !c.bad {
			r.rowFail(c, ro, "", "amount missing")
		}

		return 0, "", false
	}

	dir := bankfile.Credit
	if n.neg {
		dir = bankfile.Debit
	}

	if !r.lay.has(roleIndicator) {
		return n.minor, dir, true
	}

	ind := normalise(r.lay.cell(c.rec.cells, roleIndicator))
	switch {
	case !indicatorWords[ind]:
		r.rowFail(c, roleIndicator, ind, "not a debit/credit indicator")
		return 0, "", false
	case creditWords[ind] && n.neg:
		r.rowFail(c, ro, r.lay.cell(c.rec.cells, ro), "negative amount on a credit row")
		return 0, "", false
	case !creditWords[ind]:
		dir = bankfile.Debit
	}

	return n.minor, dir, true
}

func (r *reader) debitCredit(c *rowCtx) (int64, bankfile.Direction, bool) {
	cr, hasCr := r.parseCell(c, roleCredit)
	db, hasDb := r.parseCell(c, roleDebit)

	if c.bad {
		return 0, "", false
	}

	switch {
	case hasCr && hasDb && cr.minor != 0 && db.minor != 0:
		r.rowFail(c, roleDebit, r.lay.cell(c.rec.cells, roleDebit), fmt.Sprintf(
			"both debit and credit on one row (credit %s)", r.lay.cell(c.rec.cells, roleCredit)))

		return 0, "", false
	case hasCr && cr.minor != 0:
		if cr.neg {
			c.problems = append(c.problems, "negative amount in the credit column: read as a debit")
			return cr.minor, bankfile.Debit, true
		}

		return cr.minor, bankfile.Credit, true
	case hasDb && db.minor != 0:
		if r.debitMix {
			c.problems = append(c.problems, "the debit column mixes signed and unsigned "+
				"amounts: read as a debit")
		}

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
	if !r.lay.has(ro) {
		ro = roleDebit
	}

	r.rowFail(c, ro, "", "amount missing: neither debit nor credit")

	return 0, "", false
}

// fee reads the fee of a gross/fee/net row and checks gross + fee = net.
func (r *reader) fee(c *rowCtx, gross int64) (int64, bool) {
	f, ok := r.parseCell(c, roleFee)
	if c.bad {
		return 0, false
	}

	fee := f.minor
	if ok && f.neg {
		fee = -fee
	}

	if n, has := r.parseCell(c, roleNet); has {
		net := n.minor
		if n.neg {
			net = -net
		}

		if gross+fee != net {
			r.rowFail(c, roleNet, r.lay.cell(c.rec.cells, roleNet), fmt.Sprintf(
				"gross %s + fee %s ≠ net", money.FormatMinor(gross, c.exp),
				money.FormatMinor(fee, c.exp)))

			return 0, false
		}
	}

	return fee, !c.bad
}

// kind classifies a row: zero amounts are notices, a type column naming a fee,
// reversal or return decides, anything else is a payment.
func (r *reader) kind(cells []string, minor int64) bankfile.Kind {
	if minor == 0 {
		return bankfile.KindNotice
	}

	for _, w := range strings.Fields(normalise(r.lay.cell(cells, roleType))) {
		switch {
		case chargeWords[w]:
			return bankfile.KindCharge
		case reversalWords[w]:
			return bankfile.KindReversal
		case returnWords[w]:
			return bankfile.KindReturn
		}
	}

	return bankfile.KindPayment
}

func (r *reader) pending(cells []string) bool {
	s := normalise(r.lay.cell(cells, roleStatus))
	return pendingWords[s]
}

// remittance joins the description and reference cells in column order.
func (r *reader) remittance(cells []string) string {
	var parts []string

	for _, c := range r.lay.cols {
		if (c.role == roleDescription || c.role == roleReference) && c.index < len(cells) {
			if v := strings.Join(strings.Fields(cells[c.index]), " "); v != "" {
				parts = append(parts, v)
			}
		}
	}

	return strings.Join(parts, " ")
}

// dedupeBase is the stable part of a row's key: account + transaction id (+
// serial number) when the file has them, else a hash of the row's content
// without its running balance and status, which change between exports.
func (r *reader) dedupeBase(account string, cells []string) string {
	lay := r.lay
	if id := lay.cell(cells, roleTxID); id != "" {
		key := "csv:" + account + ":" + id
		if lay.has(roleSerial) {
			key += ":" + lay.cell(cells, roleSerial)
		}

		if account == "" {
			// Without an account, transaction ids of two banks' exports may
			// collide ("TID1"); the row's date and money make the key the
			// bank's transaction, so a real payment is never taken for a
			// duplicate of another bank's.
			key += ":" + r.moneyHash(cells)
		}

		return key
	}

	parts := make([]string, 0, len(lay.cols))
	for _, c := range lay.cols {
		if c.role == roleBalance || c.role == roleStatus || c.index >= len(cells) {
			continue
		}

		parts = append(parts, c.norm+"="+strings.Join(strings.Fields(cells[c.index]), " "))
	}

	sort.Strings(parts)
	sum := sha256.Sum256([]byte(strings.Join(parts, "\n")))

	return "csv:" + account + ":h:" + hex.EncodeToString(sum[:10])
}

// moneyHash is a short hash of a row's date, amount and currency cells.
func (r *reader) moneyHash(cells []string) string {
	var parts []string
	for _, role := range []role{roleDate, roleValueDate, roleAmount, roleCredit, roleDebit,
		roleGross, roleNet, roleCurrency} {
		parts = append(parts, strings.Join(strings.Fields(r.lay.cell(cells, role)), " "))
	}

	sum := sha256.Sum256([]byte(strings.Join(parts, "\x1f")))

	return hex.EncodeToString(sum[:6])
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}

	return ""
}
