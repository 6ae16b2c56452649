package matching

import (
	"strings"
	"sync"
	"time"

	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/money"
)

// Engine holds the customers and invoices with their indexes and applies payments
// to them. Match changes the invoices' open amounts, so an Engine is not safe for
// concurrent use; build one per run or guard it.
type Engine struct {
	rules Rules

	// noTrace skips building Decision.Trace, see SetTrace.
	noTrace bool

	invs     []invoice
	custs    []customer
	custByID map[string]int32
	custInv  [][]int32 // invoices of each customer, in input order

	byAccount multiIndex[string] // normalised bank account → customers
	byPayerID multiIndex[string] // customer id and aliases, upper alnum → customers
	byName    multiIndex[string] // normalised name → customers
	byAlias   multiIndex[string] // normalised alias → customers
	// byFullName indexes names as written, legal suffixes kept (see fullName),
	// to tell apart customers whose normalised names are the same.
	byFullName multiIndex[string]
	// byTruncated indexes names longer than truncatedNameWidth by their first
	// truncatedNameWidth characters, upper case, as an ACH batch carries them.
	byTruncated multiIndex[string]

	byNumber multiIndex[string] // normalised invoice number → invoices
	byPO     multiIndex[string] // normalised PO number → invoices
	byDigits multiIndex[string] // digits of the normalised number → invoices
	bySO     multiIndex[string] // normalised sales-order number → invoices
	// byFuzzy maps the OCR skeleton (see skeletonRef) of invoice numbers that
	// differ from their normalised form; the others are found in byNumber.
	byFuzzy multiIndex[string]

	formats map[int32][]learnedFormat // approved reference formats by customer

	fz         fuzzyNames          // customer names and aliases for fuzzy lookup
	fuzzyCache map[string]fuzzyHit // fuzzyPayer's answers by payer name

	byAmount     multiIndex[amountKey] // open amount → open invoices
	byDiscounted multiIndex[amountKey] // open less terms discount → open invoices

	currencies map[string]uint16
	curCodes   []string // currency codes by currencies id - 1
	exps       map[string]int

	ids  []int32 // scratch for index lookups
	toks []token // scratch for reference extraction

	// m, pay and refBuf are the state of the payment Match is deciding, kept
	// between calls so that their memory is reused.
	m      match
	pay    Payment
	refBuf []ref
}

// SetTrace turns the building of Decision.Trace on or off; it is on by default.
// With it off, Match leaves Decision.Trace empty and saves the work of
// describing the candidates; every other field of the Decision is the same.
func (e *Engine) SetTrace(on bool) {
	e.noTrace = !on
}

// anyCustomer stands for every customer in an amountKey.
const anyCustomer = -1

type amountKey struct {
	cust   int32
	cur    uint16
	amount int64
}

// invoice holds what matching uses of a billing.Invoice, so that the engine does
// not keep the rest of a million invoices (and the CSV rows their strings are
// cut from) alive while it matches.
type invoice struct {
	Number    string // the engine's own copy, not a slice of a CSV row
	Currency  string // shared by every invoice in the currency
	Total     int64
	Open      int64
	IssueDate time.Time
	DueDate   time.Time
	// DiscountBasisPoints and DiscountDays are the invoice's early-payment terms.
	DiscountBasisPoints int32
	DiscountDays        int32
	cust                int32
	cur                 uint16
}

type customer struct {
	id       string
	nameKey  string // NormalizeName of the customer's name
	lastName string // last invoice customer name indexed as an alias
	parent   int32  // -1 when none is known
}

// New builds an engine over customers and invoices. Invoices with Open == 0 are
// known but paid: a reference to one is held with ReasonAlreadyPaid. Invoices of a
// customer id missing from customers get a customer of their own named after
// Invoice.CustomerName. The engine keeps its own copy of the fields of the
// invoices that matching uses.
func New(customers []billing.Customer, invoices []billing.Invoice, rules Rules) *Engine {
	return NewBuilder(customers, rules).Engine(invoices)
}

// Builder builds an Engine in two steps, the customers and then the invoices,
// so that a caller can index the customers while it still reads the invoices.
// NewBuilder(c, r).Engine(i) is New(c, i, r).
type Builder struct {
	e *Engine
}

// NewBuilder indexes the customers of an engine with rules.
func NewBuilder(customers []billing.Customer, rules Rules) *Builder {
	e := &Engine{
		rules:       rules.withFallbacks(),
		custs:       make([]customer, 0, len(customers)),
		custByID:    make(map[string]int32, len(customers)),
		byAccount:   newMultiIndex[string](len(customers)),
		byPayerID:   newMultiIndex[string](len(customers)),
		byName:      newMultiIndex[string](len(customers)),
		byAlias:     newMultiIndex[string](len(customers)),
		byFullName:  newMultiIndex[string](len(customers)),
		byTruncated: newMultiIndex[string](len(customers)),
		currencies:  make(map[string]uint16),
		exps:        make(map[string]int),
	}

	parents := make([]string, 0, len(customers))
	for _, c := range customers {
		if _, dup := e.custByID[c.ID]; dup {
			continue
		}

		ci := e.addCustomer(c.ID, c.Name)
		parents = append(parents, c.ParentID)
		for _, a := range c.BankAccounts {
			if k := NormalizeAccount(a); k != "" {
				e.byAccount.add(k, ci)
				if _, acct, ok := strings.Cut(k, ":"); ok {
					e.byAccount.add(":"+acct, ci) // for files that give no routing number
				}
			}
		}

		for _, a := range c.Aliases {
			e.addAlias(ci, a)
		}

		e.addFormats(ci, c)
	}

	for i, p := range parents {
		if pi, ok := e.custByID[p]; ok && p != "" && int(pi) != i {
			e.custs[i].parent = pi
		}
	}

	return &Builder{e: e}
}

// Engine adds the invoices and returns the engine. A Builder builds one engine:
// Engine must be called once.
func (b *Builder) Engine(invoices []billing.Invoice) *Engine {
	e := b.e
	if e == nil {
		panic("matching: Builder.Engine called twice")
	}

	b.e = nil
	e.invs = make([]invoice, 0, len(invoices))
	e.byNumber = newMultiIndex[string](len(invoices))
	e.byPO = newMultiIndex[string](len(invoices) / 4)
	e.byDigits = newMultiIndex[string](len(invoices))
	e.bySO = newMultiIndex[string](0)
	e.byFuzzy = newMultiIndex[string](len(invoices))
	e.byAmount = newMultiIndex[amountKey](2 * len(invoices))
	e.byDiscounted = newMultiIndex[amountKey](len(invoices) / 4)
	e.custInv = make([][]int32, len(e.custs), len(e.custs)+16)

	// The number indexes need nothing but the invoices' numbers and positions:
	// they are built beside the rest, which touches none of them. The skeleton
	// index for corrected references is built here too, though only references
	// that name nothing need it: beside the rest it costs no time.
	var wg sync.WaitGroup
	wg.Go(func() { e.indexNumbers(invoices) })

	// The invoices' numbers are kept end to end in one string: one object for
	// the garbage collector, not a million.
	size := 0
	for i := range invoices {
		size += len(invoices[i].Number)
	}

	numbers := make([]byte, 0, size)
	for i := range invoices {
		numbers = append(numbers, invoices[i].Number...)
	}

	all, at := string(numbers), 0
	for i := range invoices {
		n := len(invoices[i].Number)
		e.addInvoice(&invoices[i], all[at:at+n])
		at += n
	}

	wg.Wait()

	return e
}

// indexNumbers adds the invoices' numbers, their digits, OCR skeletons, PO and
// sales-order numbers to the number indexes; invoice i is at position i.
func (e *Engine) indexNumbers(invoices []billing.Invoice) {
	var buf, sk []byte
	for i := range invoices {
		src, ii := &invoices[i], int32(i)
		buf = appendRef(buf[:0], src.Number)
		if len(buf) > 0 {
			e.byNumber.str.add(string(buf), ii)
			if d := digitsOf(string(buf)); d != "" {
				e.byDigits.str.add(d, ii)
			}
		}

		sk = appendSkeleton(sk[:0], src.Number)
		if len(sk) > 0 && string(sk) != string(buf) {
			e.byFuzzy.str.add(string(sk), ii)
		}

		if src.PONumber != "" {
			if buf = appendRef(buf[:0], src.PONumber); len(buf) > 0 {
				e.byPO.str.add(string(buf), ii)
			}
		}

		if src.SONumber != "" {
			if buf = appendRef(buf[:0], src.SONumber); len(buf) > 0 {
				e.bySO.str.add(string(buf), ii)
			}
		}
	}
}

func (e *Engine) addCustomer(id, name string) int32 {
	ci := int32(len(e.custs))
	key := NormalizeName(name)
	e.custs = append(e.custs, customer{id: id, nameKey: key, lastName: name, parent: -1})
	e.custByID[id] = ci
	if k := upperAlnum(id); k != "" {
		e.byPayerID.add(k, ci)
	}

	if key != "" {
		e.byName.add(key, ci)
		e.addFuzzyName(ci, key)
		e.byFullName.add(fullName(name), ci)
		if k, ok := truncatedKey(name, false); ok {
			e.byTruncated.add(k, ci)
		}
	}

	return ci
}

// addAlias indexes alias as another name of customer ci and, when it has digits,
// as a payer id (an ACH company id, a tax number).
func (e *Engine) addAlias(ci int32, alias string) {
	k := NormalizeName(alias)
	if k == "" || k == e.custs[ci].nameKey {
		return
	}

	e.byAlias.add(k, ci)
	e.addFuzzyName(ci, k)
	if id := upperAlnum(alias); id != "" && hasDigit(id) {
		e.byPayerID.add(id, ci)
	}
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			return true
		}
	}

	return false
}

// addInvoice adds the invoice, whose number is number (a string of the
// engine's own).
func (e *Engine) addInvoice(src *billing.Invoice, number string) {
	ci, ok := e.custByID[src.CustomerID]
	if !ok {
		ci = e.addCustomer(src.CustomerID, src.CustomerName)
		e.custInv = append(e.custInv, nil)
	} else if src.CustomerName != "" && src.CustomerName != e.custs[ci].lastName {
		e.custs[ci].lastName = src.CustomerName
		e.addAlias(ci, src.CustomerName)
	}

	ii := int32(len(e.invs))
	cur := e.currencyID(src.Currency)
	e.invs = append(e.invs, invoice{
		Number:              number,
		Currency:            e.curCodes[cur-1],
		Total:               src.Total,
		Open:                src.Open,
		IssueDate:           src.IssueDate,
		DueDate:             src.DueDate,
		DiscountBasisPoints: int32(src.DiscountBasisPoints),
		DiscountDays:        int32(src.DiscountDays),
		cust:                ci,
		cur:                 cur,
	})
	e.custInv[ci] = append(e.custInv[ci], ii)
	if src.Open > 0 {
		e.indexOpen(ii)
	}
}

func (e *Engine) currencyID(code string) uint16 {
	id, ok := e.currencies[code]
	if !ok {
		code = strings.Clone(code)
		id = uint16(len(e.currencies) + 1)
		e.currencies[code] = id
		e.curCodes = append(e.curCodes, code)
	}

	return id
}

// indexOpen adds invoice ii to the amount indexes under its current open amount.
func (e *Engine) indexOpen(ii int32) {
	inv := &e.invs[ii]
	e.byAmount.add(amountKey{cust: inv.cust, cur: inv.cur, amount: inv.Open}, ii)
	e.byAmount.add(amountKey{cust: anyCustomer, cur: inv.cur, amount: inv.Open}, ii)
	if d := termsDiscount(*inv); d > 0 {
		e.byDiscounted.add(amountKey{cust: inv.cust, cur: inv.cur, amount: inv.Open - d}, ii)
	}
}

func (e *Engine) unindexOpen(ii int32) {
	inv := &e.invs[ii]
	e.byAmount.remove(amountKey{cust: inv.cust, cur: inv.cur, amount: inv.Open}, ii)
	e.byAmount.remove(amountKey{cust: anyCustomer, cur: inv.cur, amount: inv.Open}, ii)
	if d := termsDiscount(*inv); d > 0 {
		e.byDiscounted.remove(amountKey{cust: inv.cust, cur: inv.cur, amount: inv.Open - d}, ii)
	}
}

// setOpen changes invoice ii's open amount and keeps the amount indexes in step.
func (e *Engine) setOpen(ii int32, open int64) {
	if e.invs[ii].Open > 0 {
		e.unindexOpen(ii)
	}

	e.invs[ii].Open = open
	if open > 0 {
		e.indexOpen(ii)
	}
}

// Invoice returns the invoice with exactly this number and its current open
// amount, after the applications made so far. Of the invoice as given to New it
// carries the number, customer id, currency, total, dates and discount terms;
// the other fields are empty.
func (e *Engine) Invoice(number string) (billing.Invoice, bool) {
	e.ids = e.byNumber.appendTo(e.ids[:0], NormalizeRef(number))
	for _, ii := range e.ids {
		if e.invs[ii].Number == number {
			inv := &e.invs[ii]

			return billing.Invoice{
				Number:              inv.Number,
				CustomerID:          e.custs[inv.cust].id,
				Currency:            inv.Currency,
				Total:               inv.Total,
				Open:                inv.Open,
				IssueDate:           inv.IssueDate,
				DueDate:             inv.DueDate,
				DiscountBasisPoints: int(inv.DiscountBasisPoints),
				DiscountDays:        int(inv.DiscountDays),
			}, true
		}
	}

	return billing.Invoice{}, false
}

// Rules returns the rules the engine runs with.
func (e *Engine) Rules() Rules {
	return e.rules
}

// termsDiscount is the early-payment discount the invoice's terms give on its open
// amount, rounded half up to a minor unit, whatever the date.
func termsDiscount(inv invoice) int64 {
	bp := int64(inv.DiscountBasisPoints)
	if bp <= 0 || inv.Open <= 0 {
		return 0
	}

	return inv.Open/10000*bp + (inv.Open%10000*bp+5000)/10000
}

// discountDeadline is the last value date at which the invoice's discount may be
// taken, or the zero time when it has none.
func (e *Engine) discountDeadline(inv invoice) time.Time {
	if inv.DiscountBasisPoints <= 0 || inv.IssueDate.IsZero() {
		return time.Time{}
	}

	return inv.IssueDate.AddDate(0, 0, int(inv.DiscountDays)+e.rules.DiscountGraceDays)
}

// discountOpen reports whether the invoice's discount window is open at date.
func (e *Engine) discountOpen(inv invoice, date time.Time) bool {
	end := e.discountDeadline(inv)

	return !end.IsZero() && !date.IsZero() && !date.After(end)
}

// related reports whether customers a and b are the same, or parent and child, or
// children of one parent.
func (e *Engine) related(a, b int32) bool {
	if a == b {
		return true
	}

	if a < 0 || b < 0 {
		return false
	}

	pa, pb := e.custs[a].parent, e.custs[b].parent

	return pa == b || pb == a || (pa >= 0 && pa == pb)
}

// format writes minor units of currency as a plain decimal string.
func (e *Engine) format(minor int64, currency string) string {
	exp, ok := e.exps[currency]
	if !ok {
		var err error
		exp, err = money.Exponent(currency)
		if err != nil {
			exp = 2
		}

		e.exps[currency] = exp
	}

	return money.FormatMinor(minor, exp)
}

// Unapply takes back an application Match made: what it took off the invoice's
// open amount (Amount + Discount + WriteOff) is open again, for later payments to
// find. It reports false, and changes nothing, when the engine knows no
// invoice with the application's number and customer.
func (e *Engine) Unapply(a Application) bool {
	e.ids = e.byNumber.appendTo(e.ids[:0], NormalizeRef(a.InvoiceNumber))
	for _, ii := range e.ids {
		inv := &e.invs[ii]
		if inv.Number == a.InvoiceNumber &&
			(a.CustomerID == "" || e.custs[inv.cust].id == a.CustomerID) {
			e.setOpen(ii, inv.Open+a.Amount+a.Discount+a.WriteOff)
			return true
		}
	}

	return false
}
