package world

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/money"
)

// Payment kinds: the noise a payment carries. The applicable kinds pay open
// invoices and carry their Truth; the must-not-apply kinds (MustNotApplyKind)
// must end in the exception queue and carry no Truth.
const (
	// KindClean names the invoice exactly ("INV-000123"), pays its open amount
	// from a known account under the customer's registered name.
	KindClean = "clean"
	// KindRefVariant writes the invoice number differently: "INV 123",
	// "Invoice #123", "inv123", a bare "123" or buried in a sentence.
	KindRefVariant = "ref_in_text_variant"
	// KindPayerVariant pays with an exact reference from an account not on file,
	// under a variant of the customer's name (upper case, suffix dropped, alias).
	KindPayerVariant = "payer_name_variant"
	// KindMultiInvoice pays two to four invoices of one customer in one amount
	// and lists every reference.
	KindMultiInvoice = "multi_invoice"
	// KindNoRefUniqueAmount names no document but comes from a known account and
	// pays an amount that only one of the customer's invoices has.
	KindNoRefUniqueAmount = "no_ref_unique_amount"
	// KindDiscountTaken pays an invoice with early-payment terms inside the
	// discount window, less the discount, with structured remittance stating
	// paid, invoiced and discount amounts.
	KindDiscountTaken = "discount_taken"
	// KindPartial pays part of one invoice with its exact reference.
	KindPartial = "partial"
	// KindPORef names only the customer's purchase-order number.
	KindPORef = "po_reference"
	// KindUnknownPayer comes from a payer that is not a customer, from an
	// unknown account, with no reference; half of them match the amount of some
	// open invoice. Must not apply.
	KindUnknownPayer = "unknown_payer"
	// KindEqualAmountsNoRef comes from a known account without a reference and
	// pays an amount that two of the customer's open invoices share. Must not
	// apply: which one is paid is a guess.
	KindEqualAmountsNoRef = "equal_amounts_no_ref"
	// KindWrongCurrency names an invoice exactly but pays in another currency.
	// Must not apply. NACHA cannot carry it (WriteNACHA rejects non-USD
	// payments); leave it out with Weights.Without for NACHA files.
	KindWrongCurrency = "wrong_currency"
)

// kinds lists every kind in a fixed order, which fixes the weighted draw.
var kinds = []string{
	KindClean, KindRefVariant, KindPayerVariant, KindMultiInvoice,
	KindNoRefUniqueAmount, KindDiscountTaken, KindPartial, KindPORef,
	KindUnknownPayer, KindEqualAmountsNoRef, KindWrongCurrency,
	KindOCRReference, KindRefRange, KindRFReference, KindFuzzyPayer, KindParentPays,
	KindThirdParty, KindFeeDeducted, KindMultiNoRef, KindAlreadyPaid, KindRefFuzzAmbiguous,
	KindShortRefUnknownPayer,
}

// Kinds returns every payment kind in a fixed order.
func Kinds() []string {
	return slices.Clone(kinds)
}

// MustNotApplyKind reports whether payments of kind must not be applied to any
// invoice.
func MustNotApplyKind(kind string) bool {
	switch kind {
	case KindUnknownPayer, KindEqualAmountsNoRef, KindWrongCurrency, KindAlreadyPaid,
		KindRefFuzzAmbiguous, KindShortRefUnknownPayer:
		return true
	}

	return false
}

// Weights gives each kind its relative share of the payments Pay makes when
// PayConfig.Noise is set. Kinds absent or at zero are not drawn.
type Weights map[string]int

// DefaultWeights returns the demo and benchmark mix: about 40 % clean
// payments, 48 % applicable noise and 9 % must-not-apply payments.
func DefaultWeights() Weights {
	return Weights{
		KindClean:             41,
		KindRefVariant:        14,
		KindPayerVariant:      8,
		KindMultiInvoice:      8,
		KindNoRefUniqueAmount: 6,
		KindDiscountTaken:     6,
		KindPartial:           5,
		KindPORef:             3,
		KindUnknownPayer:      4,
		KindEqualAmountsNoRef: 3,
		KindWrongCurrency:     2,
	}
}

// Without returns a copy of w with the given kinds removed.
func (w Weights) Without(kinds ...string) Weights {
	out := make(Weights, len(w))
	for k, v := range w {
		if !slices.Contains(kinds, k) {
			out[k] = v
		}
	}

	return out
}

// PayConfig says which invoices Pay pays and how.
type PayConfig struct {
	// Fraction is the share of invoices that applicable payments pay, between 0
	// and 1. Must-not-apply payments come on top. Defaults to 0.7.
	Fraction float64
	// Noise turns on the kinds of Weights; without it every payment is clean.
	Noise bool
	// Seed seeds every random choice.
	Seed int64
	// TraceStart is the sequence number of the first payment's trace. Defaults
	// to a number derived from Seed, so that files of different seeds do not
	// share bank references.
	TraceStart int
	// ValueDate is the value date of every payment. Defaults to three days
	// after the latest issue date, so recent invoices are inside their discount
	// window.
	ValueDate time.Time
	// Weights is the mix of kinds when Noise is set. Defaults to DefaultWeights.
	Weights Weights
}

// TruthLine is one invoice a payment pays: the amount applied to it, the
// early-payment discount taken and the fee written off, in minor units.
type TruthLine struct {
	InvoiceNumber string
	Amount        int64
	Discount      int64
	WriteOff      int64
}

// Payment is one incoming bank transaction together with its truth.
type Payment struct {
	// Kind is the noise label, one of the Kind constants.
	Kind string
	// CustomerID is the customer who really paid; empty for unknown payers.
	CustomerID string
	// PayerName, PayerAccount and PayerID are the ordering party as the payer's
	// bank sent them: full name (writers truncate it to their format's width),
	// IBAN or "routing:account", ACH company id or BIC.
	PayerName    string
	PayerAccount string
	PayerID      string
	// Amount is what reached our account.
	Amount    money.Amount
	ValueDate time.Time
	// EndToEndID is the payer's own payment id: letters only, so that it never
	// passes for an invoice reference.
	EndToEndID string
	// Remittance is free remittance text (at most 80 characters) and Remits the
	// structured remittance; a payment has either, or neither.
	Remittance string
	Remits     []bankfile.Remit
	// Trace is the bank reference: 15 digits, the payer bank's 8-digit routing
	// prefix (or the value date) and a 7-digit sequence number.
	Trace string
	// Truth lists the invoices paid; empty for must-not-apply kinds.
	Truth []TruthLine
	// MustNotApply is set for payments no invoice may be matched to.
	MustNotApply bool
}

// Pay makes payments for a Fraction of invoices, with the noise of cfg. It
// looks invoices' customers up in w by id, then by name; invoices of unknown
// customers are paid from accounts nobody knows. Invoices with nothing open
// are never paid. The result is in the order drawn and deterministic for the
// same inputs.
func Pay(w *World, invoices []billing.Invoice, cfg PayConfig) []Payment {
	p := newPayRun(w, invoices, cfg)
	return p.run()
}

// payRun is the state of one Pay call.
type payRun struct {
	w        *World
	cfg      PayConfig
	r        *rand.Rand
	invs     []billing.Invoice
	cust     []int32 // customer index per invoice, -1 when unknown
	used     []bool
	byCust   [][]int32
	currency string // the most common invoice currency
	seq      int
	names    map[string]bool // lower-case customer names, for strangers

	general, discount, unique, withPO []int32
	pairs                             [][2]int32

	noise *noisePools // pools of the kinds of noise.go, on their own stream
}

func newPayRun(w *World, invoices []billing.Invoice, cfg PayConfig) *payRun {
	if cfg.Fraction <= 0 || cfg.Fraction > 1 {
		cfg.Fraction = 0.7
	}

	if cfg.Weights == nil {
		cfg.Weights = DefaultWeights()
	}

	if cfg.ValueDate.IsZero() {
		cfg.ValueDate = defaultValueDate(w, invoices)
	}

	cfg.ValueDate = midnight(cfg.ValueDate)
	if cfg.TraceStart <= 0 {
		cfg.TraceStart = 1 + int(mix(cfg.Seed, 0x7ACE)%8_000_000)
	}

	p := &payRun{
		w: w, cfg: cfg, r: newRand(cfg.Seed, streamPay), invs: invoices,
		cust: make([]int32, len(invoices)), used: make([]bool, len(invoices)),
		byCust: make([][]int32, len(w.Customers)), seq: cfg.TraceStart - 1,
		names: make(map[string]bool, len(w.Customers)),
	}
	p.index()

	return p
}

func defaultValueDate(w *World, invoices []billing.Invoice) time.Time {
	var latest time.Time
	for _, inv := range invoices {
		if inv.IssueDate.After(latest) {
			latest = inv.IssueDate
		}
	}

	if latest.IsZero() {
		return w.Config.Start
	}

	return latest.AddDate(0, 0, 3)
}

// index links invoices to customers and fills the pools kinds draw from.
func (p *payRun) index() {
	byID := make(map[string]int32, len(p.w.Customers))
	byName := make(map[string]int32, len(p.w.Customers))
	for i, c := range p.w.Customers {
		byID[c.ID] = int32(i)
		byName[strings.ToLower(c.Name)] = int32(i)
		p.names[strings.ToLower(c.Name)] = true
	}

	type key struct {
		cust     int32
		currency string
		open     int64
	}

	same := make(map[key][]int32)
	currencies := make(map[string]int)
	for i, inv := range p.invs {
		c, ok := byID[inv.CustomerID]
		if !ok {
			c, ok = byName[strings.ToLower(inv.CustomerName)]
		}

		if !ok {
			c = -1
		}

		p.cust[i] = c
		if inv.Open <= 0 {
			p.used[i] = true
			continue
		}

		currencies[inv.Currency]++
		p.general = append(p.general, int32(i))
		if c < 0 {
			continue
		}

		p.byCust[c] = append(p.byCust[c], int32(i))
		k := key{c, inv.Currency, inv.Open}
		same[k] = append(same[k], int32(i))
		if p.discountable(inv) {
			p.discount = append(p.discount, int32(i))
		}

		if inv.PONumber != "" {
			p.withPO = append(p.withPO, int32(i))
		}
	}

	for _, i := range p.general {
		c := p.cust[i]
		if c < 0 || len(p.w.Customers[c].BankAccounts) == 0 {
			continue
		}

		inv := p.invs[i]
		switch group := same[key{c, inv.Currency, inv.Open}]; {
		case len(group) == 1:
			p.unique = append(p.unique, i)
		case len(group) >= 2 && group[0] == i:
			p.pairs = append(p.pairs, [2]int32{group[0], group[1]})
		}
	}

	p.currency = mostCommon(currencies, p.w.Config.Currency)
	for _, pool := range [][]int32{p.general, p.discount, p.unique, p.withPO} {
		p.r.Shuffle(len(pool), func(a, b int) { pool[a], pool[b] = pool[b], pool[a] })
	}

	p.r.Shuffle(len(p.pairs), func(a, b int) { p.pairs[a], p.pairs[b] = p.pairs[b], p.pairs[a] })
	p.noise = p.indexNoise()
}

func mostCommon(counts map[string]int, fallback string) string {
	best, n := fallback, 0
	for c, k := range counts {
		if k > n || k == n && c < best {
			best, n = c, k
		}
	}

	return best
}

// discountable reports whether inv has early-payment terms whose window is
// open on the value date.
func (p *payRun) discountable(inv billing.Invoice) bool {
	if inv.DiscountBasisPoints <= 0 || inv.DiscountDays <= 0 {
		return false
	}

	vd := p.cfg.ValueDate
	issue := midnight(inv.IssueDate)

	return !vd.Before(issue) && !vd.After(issue.AddDate(0, 0, inv.DiscountDays))
}

// next takes the first unused invoice of pool, or -1.
func (p *payRun) next(pool *[]int32) int {
	for len(*pool) > 0 {
		i := (*pool)[0]
		*pool = (*pool)[1:]
		if !p.used[i] {
			p.used[i] = true
			return int(i)
		}
	}

	return -1
}

func (p *payRun) nextPair() (int, int, bool) {
	for len(p.pairs) > 0 {
		pr := p.pairs[0]
		p.pairs = p.pairs[1:]
		if !p.used[pr[0]] && !p.used[pr[1]] {
			p.used[pr[0]], p.used[pr[1]] = true, true
			return int(pr[0]), int(pr[1]), true
		}
	}

	return 0, 0, false
}

func (p *payRun) run() []Payment {
	target := int(math.Round(p.cfg.Fraction * float64(len(p.general))))
	out := make([]Payment, 0, target+target/8+1)
	paid := 0
	for iter := 0; paid < target && iter < 2*len(p.invs)+16; iter++ {
		pm, n, ok := p.one(p.drawKind())
		if !ok {
			break
		}

		paid += n
		out = append(out, pm)
	}

	return out
}

func (p *payRun) drawKind() string {
	if !p.cfg.Noise {
		return KindClean
	}

	total := 0
	for _, k := range kinds {
		total += max(p.cfg.Weights[k], 0)
	}

	if total == 0 {
		return KindClean
	}

	n := p.r.IntN(total)
	for _, k := range kinds {
		n -= max(p.cfg.Weights[k], 0)
		if n < 0 {
			return k
		}
	}

	return KindClean
}

// one makes a payment of kind, falling back to a clean payment when no
// invoice fits the kind. It returns how many invoices the payment pays, and
// false when no invoice is left to pay.
func (p *payRun) one(kind string) (Payment, int, bool) {
	var pm Payment
	ok := false
	switch kind {
	case KindUnknownPayer:
		return p.unknownPayer(), 0, true
	case KindEqualAmountsNoRef:
		if a, b, found := p.nextPair(); found {
			return p.equalAmounts(a, b), 0, true
		}

		return p.unknownPayer(), 0, true
	case KindDiscountTaken:
		pm, ok = p.discountTaken()
	case KindNoRefUniqueAmount:
		pm, ok = p.noRefUnique()
	case KindPORef:
		pm, ok = p.poRef()
	case KindMultiInvoice:
		pm, ok = p.multi()
	case KindPartial, KindRefVariant, KindPayerVariant, KindWrongCurrency:
		pm, ok = p.single(kind)
	default:
		pm, ok = p.noisy(kind)
	}

	if !ok {
		pm, ok = p.single(KindClean)
	}

	if !ok {
		return Payment{}, 0, false
	}

	if pm.MustNotApply {
		return pm, 0, true
	}

	return pm, len(pm.Truth), true
}

// base starts a payment by customer c (or the invoice's unknown customer) with
// a known account, the registered name and a fresh trace.
func (p *payRun) base(kind string, inv billing.Invoice, c int32) Payment {
	pm := Payment{
		Kind: kind, ValueDate: p.cfg.ValueDate, MustNotApply: MustNotApplyKind(kind),
		Amount: money.New(0, inv.Currency),
	}
	if c >= 0 {
		cu := p.w.Customers[c]
		pm.CustomerID, pm.PayerName = cu.ID, cu.Name
		if len(cu.BankAccounts) > 0 {
			pm.PayerAccount = cu.BankAccounts[p.r.IntN(len(cu.BankAccounts))]
		} else {
			pm.PayerAccount = stableAccount(cu.ID+cu.Name, isIBANCurrency(inv.Currency))
		}

		pm.PayerID = payerID(pm.PayerAccount, cu.ID+cu.Name)
	} else {
		pm.CustomerID, pm.PayerName = inv.CustomerID, inv.CustomerName
		pm.PayerAccount = stableAccount(inv.CustomerID+inv.CustomerName,
			isIBANCurrency(inv.Currency))
		pm.PayerID = payerID(pm.PayerAccount, inv.CustomerID+inv.CustomerName)
	}

	pm.EndToEndID = p.endToEnd(pm.PayerAccount)
	pm.Trace = p.trace(pm.PayerAccount)

	return pm
}

func isIBANCurrency(c string) bool { return ibanCurrencies[c] }

// single pays one invoice in full (or in part for KindPartial).
func (p *payRun) single(kind string) (Payment, bool) {
	i := p.next(&p.general)
	if i < 0 {
		return Payment{}, false
	}

	inv := p.invs[i]
	pm := p.base(kind, inv, p.cust[i])
	pm.Amount.Minor = inv.Open
	pm.Truth = []TruthLine{{InvoiceNumber: inv.Number, Amount: inv.Open}}
	switch kind {
	case KindClean:
		p.cleanRemittance(&pm, inv)
	case KindRefVariant:
		pm.Remittance = refVariant(p.r, inv.Number)
	case KindPayerVariant:
		p.cleanRemittance(&pm, inv)
		pm.PayerName = p.nameVariant(p.cust[i], pm.PayerName)
		pm.PayerAccount = newAccount(p.r, isIBANCurrency(inv.Currency))
		pm.Trace = p.retrace(pm.Trace, pm.PayerAccount)
	case KindPartial:
		part := partialAmount(p.r, inv)
		if part <= 0 {
			p.used[i] = false
			p.general = append(p.general, int32(i))
			return Payment{}, false
		}

		pm.Amount.Minor = part
		pm.Truth[0].Amount = part
		p.partialRemittance(&pm, inv, part)
	case KindWrongCurrency:
		p.cleanRemittance(&pm, inv)
		pm.Amount.Currency = otherCurrency(inv.Currency)
		pm.Truth = nil
	}

	return pm, true
}

func (p *payRun) cleanRemittance(pm *Payment, inv billing.Invoice) {
	if p.r.IntN(100) < 65 {
		pm.Remittance = inv.Number
		return
	}

	pm.Remits = []bankfile.Remit{{Ref: inv.Number, RefType: "IV", Paid: pm.Amount.Minor}}
}

func (p *payRun) partialRemittance(pm *Payment, inv billing.Invoice, part int64) {
	switch p.r.IntN(3) {
	case 0:
		pm.Remittance = "PARTIAL PAYMENT " + inv.Number
	case 1:
		pm.Remittance = inv.Number + " PART PMT"
	default:
		pm.Remits = []bankfile.Remit{{
			Ref: inv.Number, RefType: "IV", Paid: part, Invoiced: inv.Open,
		}}
	}
}

// partialAmount returns 25-75 % of the open amount, rounded down to whole
// major units when that stays above zero, or 0 when the invoice is too small.
func partialAmount(r *rand.Rand, inv billing.Invoice) int64 {
	if inv.Open < 2 {
		return 0
	}

	part := inv.Open * int64(25+r.IntN(51)) / 100
	exp, err := money.Exponent(inv.Currency)
	if err == nil {
		unit := int64(1)
		for range exp {
			unit *= 10
		}

		if part/unit*unit > 0 {
			part = part / unit * unit
		}
	}

	if part <= 0 || part >= inv.Open {
		part = inv.Open / 2
	}

	return part
}

func (p *payRun) discountTaken() (Payment, bool) {
	for {
		i := p.next(&p.discount)
		if i < 0 {
			return Payment{}, false
		}

		inv := p.invs[i]
		disc := (inv.Open*int64(inv.DiscountBasisPoints) + 5000) / 10000
		if disc <= 0 || disc >= inv.Open {
			p.used[i] = false
			continue
		}

		pm := p.base(KindDiscountTaken, inv, p.cust[i])
		pm.Amount.Minor = inv.Open - disc
		pm.Truth = []TruthLine{{InvoiceNumber: inv.Number, Amount: pm.Amount.Minor, Discount: disc}}
		pm.Remits = []bankfile.Remit{{
			Ref: inv.Number, RefType: "IV", Paid: pm.Amount.Minor, Invoiced: inv.Open,
			Discount: disc,
		}}

		return pm, true
	}
}

func (p *payRun) noRefUnique() (Payment, bool) {
	i := p.next(&p.unique)
	if i < 0 {
		return Payment{}, false
	}

	inv := p.invs[i]
	pm := p.base(KindNoRefUniqueAmount, inv, p.cust[i])
	pm.Amount.Minor = inv.Open
	pm.Remittance = pick(p.r, genericRemittance)
	pm.Truth = []TruthLine{{InvoiceNumber: inv.Number, Amount: inv.Open}}

	return pm, true
}

func (p *payRun) poRef() (Payment, bool) {
	i := p.next(&p.withPO)
	if i < 0 {
		return Payment{}, false
	}

	inv := p.invs[i]
	pm := p.base(KindPORef, inv, p.cust[i])
	pm.Amount.Minor = inv.Open
	pm.Truth = []TruthLine{{InvoiceNumber: inv.Number, Amount: inv.Open}}
	switch p.r.IntN(3) {
	case 0:
		pm.Remittance = "PO " + inv.PONumber
	case 1:
		pm.Remittance = "YOUR ORDER " + inv.PONumber
	default:
		pm.Remits = []bankfile.Remit{{Ref: inv.PONumber, RefType: "PO", Paid: inv.Open}}
	}

	return pm, true
}

// multi pays an invoice and one to three other open invoices of the same
// customer and currency.
func (p *payRun) multi() (Payment, bool) {
	i := p.next(&p.general)
	if i < 0 {
		return Payment{}, false
	}

	inv, c := p.invs[i], p.cust[i]
	picked := []int{i}
	if c >= 0 {
		want := 1 + p.r.IntN(3)
		for _, j := range p.byCust[c] {
			if len(picked) > want {
				break
			}

			if !p.used[j] && p.invs[j].Currency == inv.Currency {
				p.used[j] = true
				picked = append(picked, int(j))
			}
		}
	}

	if len(picked) < 2 {
		p.used[i] = false
		p.general = append(p.general, int32(i))
		return Payment{}, false
	}

	slices.SortFunc(picked, func(a, b int) int {
		return strings.Compare(p.invs[a].Number, p.invs[b].Number)
	})
	pm := p.base(KindMultiInvoice, inv, c)
	refs := make([]string, 0, len(picked))
	structured := p.r.IntN(100) < 60
	for _, j := range picked {
		x := p.invs[j]
		pm.Amount.Minor += x.Open
		pm.Truth = append(pm.Truth, TruthLine{InvoiceNumber: x.Number, Amount: x.Open})
		refs = append(refs, x.Number)
		if structured {
			pm.Remits = append(pm.Remits, bankfile.Remit{
				Ref: x.Number, RefType: "IV", Paid: x.Open, Invoiced: x.Open,
			})
		}
	}

	if !structured {
		pm.Remittance = strings.Join(refs, pick(p.r, []string{", ", " ", "/", "; "}))
	}

	return pm, true
}

// equalAmounts pays, without reference, the amount invoices a and b share.
// Both stay unpaid: no other payment is drawn for them.
func (p *payRun) equalAmounts(a, b int) Payment {
	inv := p.invs[a]
	pm := p.base(KindEqualAmountsNoRef, inv, p.cust[a])
	pm.Amount.Minor = p.invs[b].Open
	pm.Remittance = pick(p.r, genericRemittance)

	return pm
}

// unknownPayer pays from a company that is not a customer. Half the time the
// amount equals an open invoice's, which is the trap.
func (p *payRun) unknownPayer() Payment {
	iban := isIBANCurrency(p.currency)
	pm := Payment{
		Kind: KindUnknownPayer, ValueDate: p.cfg.ValueDate, MustNotApply: true,
		PayerName: p.strangerName(iban), PayerAccount: newAccount(p.r, iban),
		Remittance: pick(p.r, genericRemittance),
	}
	pm.PayerID = payerID(pm.PayerAccount, pm.PayerName+strconv.Itoa(p.seq))
	pm.EndToEndID = p.endToEnd(pm.PayerAccount)
	pm.Trace = p.trace(pm.PayerAccount)

	exp, err := money.Exponent(p.currency)
	if err != nil {
		exp = 2
	}

	unit := int64(math.Pow10(exp))
	pm.Amount = money.New(int64(100+p.r.IntN(19900))*unit+int64(p.r.IntN(int(unit))), p.currency)
	if len(p.invs) > 0 && p.r.IntN(2) == 0 {
		inv := p.invs[p.r.IntN(len(p.invs))]
		if inv.Open > 0 && inv.Currency == p.currency {
			pm.Amount.Minor = inv.Open
		}
	}

	return pm
}

func (p *payRun) strangerName(iban bool) string {
	suffixes := usSuffixes
	if iban {
		suffixes = euSuffixes
	}

	for {
		n := join(pick(p.r, strangerHeads), pick(p.r, strangerTrades), pick(p.r, suffixes))
		if !p.names[strings.ToLower(n)] {
			return n
		}
	}
}

// nameVariant returns the name as another bank might print it: upper case,
// without its legal suffix, or an alias.
func (p *payRun) nameVariant(c int32, name string) string {
	var aliases []string
	if c >= 0 {
		aliases = p.w.Customers[c].Aliases
	}

	v := name
	switch p.r.IntN(4) {
	case 0:
		v = strings.ToUpper(name)
	case 1:
		v = stripSuffix(name)
	case 2:
		if len(aliases) > 0 {
			v = aliases[p.r.IntN(len(aliases))]
		} else {
			v = strings.ToUpper(stripSuffix(name))
		}
	default:
		v = strings.ToUpper(stripSuffix(name))
	}

	if v == name {
		v = strings.ToUpper(name)
	}

	return v
}

// refVariant writes invoice number n as payers do when they retype it.
func refVariant(r *rand.Rand, n string) string {
	prefix, digits := splitNumber(n)
	short := strings.TrimLeft(digits, "0")
	if digits == "" {
		return "REF " + n
	}

	if short == "" {
		short = "0"
	}

	if prefix == "" {
		prefix = "INV"
	}

	switch r.IntN(7) {
	case 0:
		return prefix + " " + short
	case 1:
		return "Invoice #" + short
	case 2:
		return strings.ToLower(prefix) + short
	case 3:
		return short
	case 4:
		return "PAYMENT FOR " + strings.ToUpper(prefix) + digits + " THANK YOU"
	case 5:
		return "INVOICE NO. " + digits
	default:
		return "Inv. " + digits
	}
}

// splitNumber cuts "INV-000123" into its letters "INV" and last digit run
// "000123".
func splitNumber(n string) (prefix, digits string) {
	end := len(n)
	for end > 0 && (n[end-1] < '0' || n[end-1] > '9') {
		end--
	}

	start := end
	for start > 0 && n[start-1] >= '0' && n[start-1] <= '9' {
		start--
	}

	var b strings.Builder
	for i := 0; i < start; i++ {
		c := n[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
			b.WriteByte(c)
		}
	}

	return b.String(), n[start:end]
}

func otherCurrency(c string) string {
	switch c {
	case "USD":
		return "CAD"
	case "EUR":
		return "GBP"
	case "GBP", "CHF":
		return "EUR"
	default:
		return "USD"
	}
}

// trace returns the next bank reference: the payer bank's routing prefix (or
// the value date for IBAN payers) and the sequence number.
func (p *payRun) trace(account string) string {
	p.seq++
	return tracePrefix(account, p.cfg.ValueDate) + pad7(p.seq)
}

// retrace keeps the sequence of t but moves it to the bank of account.
func (p *payRun) retrace(t, account string) string {
	return tracePrefix(account, p.cfg.ValueDate) + t[8:]
}

func tracePrefix(account string, vd time.Time) string {
	if routing, _, ok := strings.Cut(account, ":"); ok && len(routing) == 9 && digitsOnly(routing) {
		return routing[:8]
	}

	return vd.Format("060102") + "00"
}

func pad7(n int) string {
	s := strconv.Itoa(n % 10_000_000)
	return strings.Repeat("0", 7-len(s)) + s
}

// endToEnd returns a payer payment id: none, or a prefix and letters, which
// cannot be read as an invoice reference. SEPA payers often send "NOTPROVIDED".
func (p *payRun) endToEnd(account string) string {
	iban := !strings.Contains(account, ":")
	n := p.r.IntN(10)
	switch {
	case iban && n < 3:
		return "NOTPROVIDED"
	case !iban && n < 4:
		return ""
	case iban:
		return "E2E-" + p.letters(12)
	default:
		return "PMT" + p.letters(9)
	}
}

// idLetters has no digits (a digit run could pass for an invoice number) and
// no I, N or V (nor "INV").
const idLetters = "ABCDEFGHJKLMPQRSTUWXYZ"

func (p *payRun) letters(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = idLetters[p.r.IntN(len(idLetters))]
	}

	return string(b)
}

// payerID returns the ordering party's id: the BIC of an IBAN's bank, or a
// stable ACH company id ("1" and nine digits) for US payers.
func payerID(account, seed string) string {
	if !strings.Contains(account, ":") && len(account) > 8 {
		for _, b := range euBanks {
			if account[:2] == b.country && strings.HasPrefix(account[4:], b.code) {
				return b.bic
			}
		}

		return ""
	}

	s := strconv.FormatUint(100000000+hashString(seed)%900000000, 10)

	return "1" + s
}

// stableAccount returns an account derived from seed, for payers the world
// does not know.
func stableAccount(seed string, iban bool) string {
	h := hashString(seed)
	return newAccount(rand.New(rand.NewPCG(h, h>>7)), iban)
}
