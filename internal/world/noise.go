package world

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/money"
)

// Payment kinds added for the matching benchmark. BenchmarkWeights draws them;
// DefaultWeights leaves them out, so the demo and existing worlds keep their
// mix. The kinds that need particular invoices (already paid, ranges,
// ambiguous references) find them only among invoices shaped by
// BenchmarkInvoices and otherwise fall back to clean payments.
const (
	// KindOCRReference names the invoice with a typed or OCR'd error that
	// still leads to exactly one invoice: a letter for a digit (O for 0, I or l
	// for 1, S for 5, B for 8), two neighbouring digits swapped, or a leading
	// zero dropped or added.
	KindOCRReference = "ocr_fuzzed_reference"
	// KindRefRange pays two or three invoices of one customer with consecutive
	// numbers and names them as a range: "INV-000101 to 000103".
	KindRefRange = "reference_range"
	// KindRFReference names the invoice by an ISO 11649 creditor reference:
	// "RF", two mod-97 check digits and the invoice number without separators.
	KindRFReference = "rf_creditor_reference"
	// KindFuzzyPayer pays with an exact reference from an account not on file
	// under the customer's name with a typo.
	KindFuzzyPayer = "fuzzy_payer_name"
	// KindParentPays is the parent company paying its subsidiary's invoice by
	// exact reference, from the parent's own account and under its name.
	KindParentPays = "parent_pays_subsidiary"
	// KindThirdParty is a company that is no customer paying an invoice by
	// exact reference, from an unknown account.
	KindThirdParty = "third_party_payer"
	// KindFeeDeducted pays a large invoice by exact reference less a bank fee
	// of 10.00 to 25.00, which the truth writes off.
	KindFeeDeducted = "fee_deducted"
	// KindMultiNoRef pays two or three invoices of one customer from a known
	// account without any reference; no other choice of the customer's open
	// invoices, with or without their early-payment discounts, adds up to the
	// amount.
	KindMultiNoRef = "multi_invoice_no_ref"
	// KindAlreadyPaid pays, by exact reference and from a known account, the
	// total of an invoice that is already fully paid. Must not apply.
	KindAlreadyPaid = "already_paid"
	// KindRefFuzzAmbiguous names a misread number that is one digit
	// transposition away from two open invoices. Must not apply.
	KindRefFuzzAmbiguous = "reference_fuzzes_to_two"
)

// BenchmarkWeights returns the benchmark's mix: every kind present, about a
// third clean payments and about one payment in eight that must not apply.
func BenchmarkWeights() Weights {
	return Weights{
		KindClean:                34,
		KindRefVariant:           8,
		KindPayerVariant:         4,
		KindMultiInvoice:         5,
		KindNoRefUniqueAmount:    4,
		KindDiscountTaken:        4,
		KindPartial:              3,
		KindPORef:                3,
		KindOCRReference:         5,
		KindRefRange:             2,
		KindRFReference:          3,
		KindFuzzyPayer:           3,
		KindParentPays:           2,
		KindThirdParty:           2,
		KindFeeDeducted:          3,
		KindMultiNoRef:           3,
		KindUnknownPayer:         3,
		KindEqualAmountsNoRef:    2,
		KindWrongCurrency:        2,
		KindAlreadyPaid:          2,
		KindRefFuzzAmbiguous:     2,
		KindShortRefUnknownPayer: 2,
	}
}

// BenchmarkInvoices returns a copy of invoices shaped for the kinds that need
// particular invoices. About 3 % are fully paid (Open 0), for KindAlreadyPaid.
// About 5 % of the customers with two or more open invoices of one currency
// get two or three of them renumbered consecutively after the highest number,
// for KindRefRange. About 1 % of the invoices are renumbered so that one
// digit transposition of the number of another invoice of the same customer
// is also one transposition of theirs, and take that invoice's open amount
// as their total and open amount, for KindRefFuzzAmbiguous. Numbers must end in a digit run, as
// InvoicesFor's do. The choices depend only on seed and the input.
func BenchmarkInvoices(invoices []billing.Invoice, seed int64) []billing.Invoice {
	out := slices.Clone(invoices)
	if len(out) == 0 {
		return out
	}

	r := newRand(seed, streamShape)
	numbers := make(map[string]bool, len(out))
	head, width, top := "", 0, int64(0)
	for _, inv := range out {
		numbers[numberKey(inv.Number)] = true
		h, d := numParts(inv.Number)
		if d == "" {
			continue
		}

		v, err := strconv.ParseInt(d, 10, 64)
		if err == nil && v > top {
			top, head, width = v, h, len(d)
		}
	}

	if head == "" {
		return out
	}

	touched := make([]bool, len(out))
	order := r.Perm(len(out))
	renumberRanges(r, out, touched, numbers, head, width, &top)
	craftTwins(r, out, order, touched, numbers, head)

	for _, i := range order {
		if !touched[i] && out[i].Open > 0 && r.IntN(100) < 3 {
			out[i].Open = 0
			touched[i] = true
		}
	}

	return out
}

// renumberRanges gives two or three open invoices of about one customer in
// twenty consecutive numbers after top.
func renumberRanges(r *rand.Rand, invs []billing.Invoice, touched []bool,
	numbers map[string]bool, head string, width int, top *int64) {
	type group struct {
		cust, ccy string
	}

	byCust := make(map[group][]int)
	var keys []group
	for i, inv := range invs {
		if inv.Open <= 0 {
			continue
		}

		g := group{inv.CustomerID, inv.Currency}
		if byCust[g] == nil {
			keys = append(keys, g)
		}

		byCust[g] = append(byCust[g], i)
	}

	for _, g := range keys {
		members := byCust[g]
		if len(members) < 2 || r.IntN(100) >= 5 {
			continue
		}

		n := min(len(members), 2+r.IntN(2))
		for _, i := range members[:n] {
			*top++
			s := strconv.FormatInt(*top, 10)
			if len(s) < width {
				s = strings.Repeat("0", width-len(s)) + s
			}

			invs[i].Number = head + s
			numbers[numberKey(invs[i].Number)] = true
			touched[i] = true
		}
	}
}

// craftTwins renumbers about one invoice in a hundred, C, so that a
// misreading of another invoice A of the same customer fuzzes to both, and
// gives C the open amount and total of A: neither the payer nor the amount
// can tell them apart.
func craftTwins(r *rand.Rand, invs []billing.Invoice, order []int, touched []bool,
	numbers map[string]bool, head string) {
	type group struct {
		cust, ccy string
	}

	byCust := make(map[group][]int)
	for _, i := range order {
		g := group{invs[i].CustomerID, invs[i].Currency}
		byCust[g] = append(byCust[g], i)
	}

	want := max(1, len(invs)/100)
	for _, a := range order {
		if want == 0 {
			return
		}

		h, d := numParts(invs[a].Number)
		if touched[a] || invs[a].Open <= 0 || h != head {
			continue
		}

		c := -1
		for _, j := range byCust[group{invs[a].CustomerID, invs[a].Currency}] {
			if j != a && !touched[j] && invs[j].Open > 0 {
				c = j
				break
			}
		}

		if c < 0 {
			continue
		}

		twin := twinOf(r, h, d, numbers)
		if twin == "" {
			continue
		}

		invs[c].Number = h + twin
		invs[c].Total, invs[c].Open = invs[a].Open, invs[a].Open
		numbers[numberKey(invs[c].Number)] = true
		touched[a], touched[c] = true, true
		want--
	}
}

// twinOf returns digits B, not yet an invoice number, such that swapping two
// neighbouring digits of d gives a misreading R that is no invoice number and
// from which another swap gives B; or "" when d has none.
func twinOf(r *rand.Rand, head, d string, numbers map[string]bool) string {
	for _, k := range r.Perm(max(len(d)-1, 0)) {
		if d[k] == d[k+1] {
			continue
		}

		mis := swapAt(d, k)
		if numbers[numberKey(head+mis)] {
			continue
		}

		for j := 0; j+1 < len(mis); j++ {
			if j >= k-1 && j <= k+1 || mis[j] == mis[j+1] {
				continue
			}

			b := swapAt(mis, j)
			if !numbers[numberKey(head+b)] {
				return b
			}
		}
	}

	return ""
}

func swapAt(s string, k int) string {
	b := []byte(s)
	b[k], b[k+1] = b[k+1], b[k]

	return string(b)
}

// numParts cuts an invoice number into everything before its final digit run
// and that run: "INV-000123" gives "INV-" and "000123". A number that does not
// end in a digit gives digits "".
func numParts(n string) (head, digits string) {
	start := len(n)
	for start > 0 && n[start-1] >= '0' && n[start-1] <= '9' {
		start--
	}

	return n[:start], n[start:]
}

// numberKey is how a payer's reference and an invoice number are compared:
// the letters before the digits in upper case and the digits without leading
// zeros, so that a dropped or an extra leading zero does not matter.
func numberKey(n string) string {
	head, d := numParts(n)
	var b strings.Builder
	for i := 0; i < len(head); i++ {
		c := head[i]
		switch {
		case c >= 'a' && c <= 'z':
			b.WriteByte(c - 'a' + 'A')
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c)
		}
	}

	b.WriteByte('|')
	d = strings.TrimLeft(d, "0")
	if d == "" {
		d = "0"
	}

	b.WriteString(d)

	return b.String()
}

// ocrDigit maps the letters OCR and typists put for digits.
var ocrDigit = map[byte]byte{'O': '0', 'o': '0', 'I': '1', 'l': '1', 'S': '5', 'B': '8'}

// noisePools are the invoices the kinds of this file draw from.
type noisePools struct {
	r        *rand.Rand
	byKey    map[string]int32 // numberKey of every invoice, paid ones included
	parent   map[int32]int32  // customer index → its parent's index
	ocr      []int32
	rf       []int32
	fuzzy    []int32
	parents  []int32
	third    []int32
	fee      []int32
	settled  []int32
	ranges   [][]int32
	ambig    []ambiguous
	noRefCus []int32
	short    *shortRefs // built on the first KindShortRefUnknownPayer payment
}

// ambiguous is an open invoice and a misreading of its number that also
// fuzzes to another open invoice.
type ambiguous struct {
	inv  int32
	ref  string
	twin []int32
}

// indexNoise fills the pools of this file's kinds from its own random stream,
// so the draws of the other kinds stay as they were.
func (p *payRun) indexNoise() *noisePools {
	n := &noisePools{
		r:      newRand(p.cfg.Seed, streamNoise),
		byKey:  make(map[string]int32, len(p.invs)),
		parent: make(map[int32]int32),
	}

	byID := make(map[string]int32, len(p.w.Customers))
	for i, c := range p.w.Customers {
		byID[c.ID] = int32(i)
	}

	for i, c := range p.w.Customers {
		if k, ok := byID[c.ParentID]; ok && c.ParentID != "" && k != int32(i) &&
			len(p.w.Customers[k].BankAccounts) > 0 {
			n.parent[int32(i)] = k
		}
	}

	for i, inv := range p.invs {
		if _, dup := n.byKey[numberKey(inv.Number)]; !dup {
			n.byKey[numberKey(inv.Number)] = int32(i)
		}
	}

	for _, i := range p.general {
		n.ocr = append(n.ocr, i)
		n.third = append(n.third, i)
		c := p.cust[i]
		if c < 0 {
			continue
		}

		n.rf = append(n.rf, i)
		n.fuzzy = append(n.fuzzy, i)
		if _, ok := n.parent[c]; ok {
			n.parents = append(n.parents, i)
		}

		if p.invs[i].Open >= 1000*unitOf(p.invs[i].Currency) {
			n.fee = append(n.fee, i)
		}
	}

	for i, inv := range p.invs {
		if inv.Open == 0 && inv.Total > 0 && p.cust[i] >= 0 {
			n.settled = append(n.settled, int32(i))
		}
	}

	for c := range p.byCust {
		if len(p.byCust[c]) >= 2 && len(p.w.Customers[c].BankAccounts) > 0 {
			n.noRefCus = append(n.noRefCus, int32(c))
		}

		n.ranges = append(n.ranges, p.consecutive(p.byCust[c])...)
	}

	n.ambig = p.ambiguousRefs(n)
	for _, pool := range [][]int32{
		n.ocr, n.rf, n.fuzzy, n.parents, n.third, n.fee, n.settled, n.noRefCus,
	} {
		n.r.Shuffle(len(pool), func(a, b int) { pool[a], pool[b] = pool[b], pool[a] })
	}

	n.r.Shuffle(len(n.ranges), func(a, b int) {
		n.ranges[a], n.ranges[b] = n.ranges[b], n.ranges[a]
	})
	n.r.Shuffle(len(n.ambig), func(a, b int) { n.ambig[a], n.ambig[b] = n.ambig[b], n.ambig[a] })

	return n
}

// unitOf returns one major unit of currency in minor units.
func unitOf(currency string) int64 {
	u := int64(1)
	for range exponent(currency) {
		u *= 10
	}

	return u
}

// consecutive returns the runs of two or three invoices among invs, all of one
// currency, whose numbers follow each other.
func (p *payRun) consecutive(invs []int32) [][]int32 {
	sorted := slices.Clone(invs)
	slices.SortFunc(sorted, func(a, b int32) int {
		return strings.Compare(p.invs[a].Number, p.invs[b].Number)
	})

	var out [][]int32
	run := []int32{}
	next := func(a, b int32) bool {
		ha, da := numParts(p.invs[a].Number)
		hb, db := numParts(p.invs[b].Number)
		va, _ := strconv.ParseInt(da, 10, 64)
		vb, _ := strconv.ParseInt(db, 10, 64)

		return ha == hb && da != "" && len(da) == len(db) && vb == va+1 &&
			p.invs[a].Currency == p.invs[b].Currency
	}

	for _, i := range sorted {
		if len(run) > 0 && (len(run) == 3 || !next(run[len(run)-1], i)) {
			if len(run) >= 2 {
				out = append(out, run)
			}

			run = []int32{}
		}

		run = append(run, i)
	}

	if len(run) >= 2 {
		out = append(out, run)
	}

	return out
}

// ambiguousRefs finds the open invoices of known customers with a
// misreading that fuzzes to them and to another open invoice of the customer
// with the same open amount.
func (p *payRun) ambiguousRefs(n *noisePools) []ambiguous {
	var out []ambiguous
	for _, i := range p.general {
		if p.cust[i] < 0 || len(p.w.Customers[p.cust[i]].BankAccounts) == 0 {
			continue
		}

		head, d := numParts(p.invs[i].Number)
		for k := 0; k+1 < len(d); k++ {
			if d[k] == d[k+1] {
				continue
			}

			mis := swapAt(d, k)
			c := n.candidates(head, mis)
			if len(c) < 2 || !slices.Contains(c, i) {
				continue
			}

			// Only the crafted twins: the same customer and open amount, so
			// that neither the payer nor the amount tells them apart.
			alike := true
			for _, j := range c {
				alike = alike && p.invs[j].Open == p.invs[i].Open && p.cust[j] == p.cust[i] &&
					p.invs[j].Currency == p.invs[i].Currency
			}

			if alike {
				out = append(out, ambiguous{inv: i, ref: head + mis, twin: c})
				break
			}
		}
	}

	return out
}

// candidates returns the invoices a reference made of head and the digits d
// (possibly with OCR letters) leads to under the corrections of issue 3: the
// OCR letters read as digits, leading zeros ignored, and, when the digits name
// no invoice, every swap of two neighbouring digits that does.
func (n *noisePools) candidates(head, d string) []int32 {
	mapped := []byte(d)
	letters := false
	for k := range mapped {
		if c, ok := ocrDigit[mapped[k]]; ok {
			mapped[k], letters = c, true
		} else if mapped[k] < '0' || mapped[k] > '9' {
			return nil
		}
	}

	if i, ok := n.byKey[numberKey(head+string(mapped))]; ok {
		return []int32{i}
	}

	if letters {
		return nil
	}

	var out []int32
	for k := 0; k+1 < len(d); k++ {
		if d[k] == d[k+1] {
			continue
		}

		if i, ok := n.byKey[numberKey(head+swapAt(d, k))]; ok && !slices.Contains(out, i) {
			out = append(out, i)
		}
	}

	return out
}

// noisy makes a payment of one of this file's kinds.
func (p *payRun) noisy(kind string) (Payment, bool) {
	n := p.noise
	switch kind {
	case KindOCRReference:
		return p.ocrRef()
	case KindRefRange:
		return p.refRange()
	case KindRFReference:
		return p.exactRef(kind, &n.rf)
	case KindFuzzyPayer:
		return p.exactRef(kind, &n.fuzzy)
	case KindParentPays:
		return p.exactRef(kind, &n.parents)
	case KindThirdParty:
		return p.exactRef(kind, &n.third)
	case KindFeeDeducted:
		return p.exactRef(kind, &n.fee)
	case KindMultiNoRef:
		return p.multiNoRef()
	case KindAlreadyPaid:
		return p.alreadyPaid()
	case KindRefFuzzAmbiguous:
		return p.ambiguousRef()
	case KindShortRefUnknownPayer:
		return p.shortRefUnknownPayer()
	}

	return Payment{}, false
}

// ocrRef pays one invoice in full, naming it with one typing or OCR error
// that still leads to it alone.
func (p *payRun) ocrRef() (Payment, bool) {
	n := p.noise
	for {
		i := p.next(&n.ocr)
		if i < 0 {
			return Payment{}, false
		}

		inv := p.invs[i]
		ref := p.misread(inv.Number, int32(i))
		if ref == "" {
			p.used[i] = false
			continue
		}

		pm := p.base(KindOCRReference, inv, p.cust[i])
		pm.Amount.Minor = inv.Open
		pm.Truth = []TruthLine{{InvoiceNumber: inv.Number, Amount: inv.Open}}
		if n.r.IntN(3) == 0 {
			// X12 and other structured formats are upper case: no "l".
			ref = strings.ReplaceAll(ref, "l", "I")
			pm.Remits = []bankfile.Remit{{Ref: ref, RefType: "IV", Paid: inv.Open}}
		} else {
			pm.Remittance = pick(n.r, []string{"", "", "INV ", "PAYMENT "}) + ref
		}

		return pm, true
	}
}

// misread returns number with one error whose candidates are invoice i alone,
// or "" when there is none.
func (p *payRun) misread(number string, i int32) string {
	n := p.noise
	head, d := numParts(number)
	if d == "" {
		return ""
	}

	for _, way := range n.r.Perm(3) {
		var mis string
		switch way {
		case 0:
			mis = ocrLetters(n.r, d)
		case 1:
			for _, k := range n.r.Perm(len(d) - 1) {
				if d[k] == d[k+1] {
					continue
				}

				m := swapAt(d, k)
				if _, exact := n.byKey[numberKey(head+m)]; !exact {
					mis = m
					break
				}
			}
		default:
			if d[0] == '0' && n.r.IntN(2) == 0 {
				mis = d[1:]
			} else {
				mis = "0" + d
			}
		}

		if mis == "" || mis == d {
			continue
		}

		if c := n.candidates(head, mis); len(c) == 1 && c[0] == i {
			return head + mis
		}
	}

	return ""
}

// ocrLetters puts one or two look-alike letters for digits of d, or returns
// "" when d has no digit with a look-alike.
func ocrLetters(r *rand.Rand, d string) string {
	b := []byte(d)
	var at []int
	for k, c := range b {
		if c == '0' || c == '1' || c == '5' || c == '8' {
			at = append(at, k)
		}
	}

	if len(at) == 0 {
		return ""
	}

	r.Shuffle(len(at), func(x, y int) { at[x], at[y] = at[y], at[x] })
	for _, k := range at[:min(len(at), 1+r.IntN(2))] {
		switch b[k] {
		case '0':
			b[k] = 'O'
		case '1':
			b[k] = pick(r, []string{"I", "l"})[0]
		case '5':
			b[k] = 'S'
		case '8':
			b[k] = 'B'
		}
	}

	return string(b)
}

// exactRef pays one invoice of pool by its exact number, with the payer,
// wording or amount of kind.
func (p *payRun) exactRef(kind string, pool *[]int32) (Payment, bool) {
	n := p.noise
	i := p.next(pool)
	if i < 0 {
		return Payment{}, false
	}

	inv := p.invs[i]
	c := p.cust[i]
	pm := p.base(kind, inv, c)
	pm.Amount.Minor = inv.Open
	pm.Truth = []TruthLine{{InvoiceNumber: inv.Number, Amount: inv.Open}}
	iban := isIBANCurrency(inv.Currency)
	switch kind {
	case KindRFReference:
		rf := CreditorReference(inv.Number)
		switch n.r.IntN(3) {
		case 0:
			pm.Remittance = rf
		case 1:
			pm.Remittance = groupsOf4(rf)
		default:
			pm.Remits = []bankfile.Remit{{Ref: rf, RefType: "RF", Paid: inv.Open}}
		}

		return pm, true
	case KindFuzzyPayer:
		pm.PayerName = p.typo(pm.PayerName)
		pm.PayerAccount = newAccount(n.r, iban)
		pm.PayerID = payerID(pm.PayerAccount, pm.PayerName)
		pm.Trace = p.retrace(pm.Trace, pm.PayerAccount)
	case KindParentPays:
		parent := p.w.Customers[n.parent[c]]
		pm.CustomerID, pm.PayerName = parent.ID, parent.Name
		pm.PayerAccount = parent.BankAccounts[n.r.IntN(len(parent.BankAccounts))]
		pm.PayerID = payerID(pm.PayerAccount, parent.ID+parent.Name)
		pm.Trace = p.retrace(pm.Trace, pm.PayerAccount)
	case KindThirdParty:
		pm.CustomerID, pm.PayerName = "", p.strangerName(iban)
		pm.PayerAccount = newAccount(n.r, iban)
		pm.PayerID = payerID(pm.PayerAccount, pm.PayerName)
		pm.Trace = p.retrace(pm.Trace, pm.PayerAccount)
	case KindFeeDeducted:
		fee := int64(10+5*n.r.IntN(4)) * unitOf(inv.Currency)
		pm.Amount.Minor = inv.Open - fee
		pm.Truth[0].Amount, pm.Truth[0].WriteOff = inv.Open-fee, fee
		pm.Remittance = pick(n.r, []string{"", "WIRE ", "/INV/"}) + inv.Number

		return pm, true
	}

	p.cleanRemittance(&pm, inv)

	return pm, true
}

// CreditorReference returns the ISO 11649 creditor reference of an invoice
// number: "RF", two check digits and the number's letters and digits in upper
// case, for example "RF" + check + "INV000123". The check digits make the
// reference, moved "RF" and check digits to the end and letters counted as
// 10..35, leave 1 mod 97.
func CreditorReference(number string) string {
	var b strings.Builder
	for i := 0; i < len(number) && b.Len() < 21; i++ {
		c := number[i]
		switch {
		case c >= 'a' && c <= 'z':
			b.WriteByte(c - 'a' + 'A')
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			b.WriteByte(c)
		}
	}

	body := b.String()

	return "RF" + twoDigits(98-ibanMod97(body+"RF00")) + body
}

// ValidCreditorReference reports whether s (without spaces) is an ISO 11649
// creditor reference whose check digits pass.
func ValidCreditorReference(s string) bool {
	if len(s) < 5 || len(s) > 25 || s[:2] != "RF" || !digitsOnly(s[2:4]) {
		return false
	}

	for i := 4; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}

	return ibanMod97(s[4:]+s[:4]) == 1
}

// groupsOf4 prints a reference in groups of four characters, as on paper.
func groupsOf4(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}

		b.WriteString(s[i:min(len(s), i+4)])
	}

	return b.String()
}

// typo returns name with one typing error in a letter of its first word
// longer than three letters, different from every customer's name.
func (p *payRun) typo(name string) string {
	r := p.noise.r
	for try := 0; try < 8; try++ {
		b := []byte(name)
		var at []int
		for k := 1; k+1 < len(b); k++ {
			if isLetter(b[k]) && isLetter(b[k-1]) && isLetter(b[k+1]) {
				at = append(at, k)
			}
		}

		if len(at) == 0 {
			break
		}

		k := at[r.IntN(len(at))]
		switch r.IntN(4) {
		case 0:
			b[k], b[k+1] = b[k+1], b[k]
		case 1:
			b = slices.Delete(b, k, k+1)
		case 2:
			b = slices.Insert(b, k, b[k])
		default:
			b[k] = "aeiou"[r.IntN(5)]
		}

		v := string(b)
		if v != name && !p.names[strings.ToLower(v)] {
			return v
		}
	}

	return strings.ToUpper(name)
}

func isLetter(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// refRange pays a run of consecutive invoices of one customer and names it as
// a range.
func (p *payRun) refRange() (Payment, bool) {
	n := p.noise
	for len(n.ranges) > 0 {
		run := n.ranges[0]
		n.ranges = n.ranges[1:]
		free := true
		for _, i := range run {
			free = free && !p.used[i]
		}

		if !free {
			continue
		}

		first, last := p.invs[run[0]], p.invs[run[len(run)-1]]
		pm := p.base(KindRefRange, first, p.cust[run[0]])
		for _, i := range run {
			p.used[i] = true
			inv := p.invs[i]
			pm.Amount.Minor += inv.Open
			pm.Truth = append(pm.Truth, TruthLine{InvoiceNumber: inv.Number, Amount: inv.Open})
		}

		head, d1 := numParts(first.Number)
		_, d2 := numParts(last.Number)
		s1, s2 := strings.TrimLeft(d1, "0"), strings.TrimLeft(d2, "0")
		switch n.r.IntN(4) {
		case 0:
			pm.Remittance = first.Number + " to " + d2
		case 1:
			pm.Remittance = first.Number + " TO " + head + d2
		case 2:
			pm.Remittance = "Invoices " + s1 + "-" + s2
		default:
			pm.Remittance = strings.TrimRight(head, "-") + " " + s1 + " thru " + s2
		}

		return pm, true
	}

	return Payment{}, false
}

// multiNoRef pays two or three open invoices of a known customer without a
// reference, when no other choice of the customer's invoices adds up to the
// amount.
func (p *payRun) multiNoRef() (Payment, bool) {
	n := p.noise
	for len(n.noRefCus) > 0 {
		c := n.noRefCus[0]
		n.noRefCus = n.noRefCus[1:]
		var free []int32
		for _, i := range p.byCust[c] {
			if !p.used[i] {
				free = append(free, i)
			}
		}

		if len(free) < 2 {
			continue
		}

		n.r.Shuffle(len(free), func(a, b int) { free[a], free[b] = free[b], free[a] })
		picked := free[:min(len(free), 2+n.r.IntN(2))]
		ccy := p.invs[picked[0]].Currency
		var sum int64
		same := true
		for _, i := range picked {
			sum += p.invs[i].Open
			same = same && p.invs[i].Currency == ccy
		}

		if !same || !p.uniqueSum(c, ccy, sum) {
			continue
		}

		slices.Sort(picked)
		inv := p.invs[picked[0]]
		pm := p.base(KindMultiNoRef, inv, c)
		pm.Amount = money.New(sum, ccy)
		pm.Remittance = pick(n.r, genericRemittance)
		for _, i := range picked {
			p.used[i] = true
			pm.Truth = append(pm.Truth, TruthLine{
				InvoiceNumber: p.invs[i].Number, Amount: p.invs[i].Open,
			})
		}

		return pm, true
	}

	return Payment{}, false
}

// maxSolverInvoices bounds the invoices uniqueSum enumerates (3^n choices).
const maxSolverInvoices = 9

// uniqueSum reports whether exactly one choice of customer c's open invoices
// in ccy, each absent, in full or less its early-payment discount, adds up to
// sum.
func (p *payRun) uniqueSum(c int32, ccy string, sum int64) bool {
	var full, disc []int64
	for _, i := range p.byCust[c] {
		inv := p.invs[i]
		if inv.Currency != ccy || inv.Open <= 0 {
			continue
		}

		full = append(full, inv.Open)
		d := int64(0)
		if p.discountable(inv) {
			d = (inv.Open*int64(inv.DiscountBasisPoints) + 5000) / 10000
		}

		disc = append(disc, d)
	}

	if len(full) > maxSolverInvoices {
		return false
	}

	found := 0
	var walk func(k int, acc int64)
	walk = func(k int, acc int64) {
		if found > 1 || acc > sum {
			return
		}

		if k == len(full) {
			if acc == sum {
				found++
			}

			return
		}

		walk(k+1, acc)
		walk(k+1, acc+full[k])
		if disc[k] > 0 {
			walk(k+1, acc+full[k]-disc[k])
		}
	}
	walk(0, 0)

	return found == 1
}

// alreadyPaid pays an invoice that has nothing open, by exact reference.
func (p *payRun) alreadyPaid() (Payment, bool) {
	n := p.noise
	if len(n.settled) == 0 {
		return Payment{}, false
	}

	i := n.settled[0]
	n.settled = n.settled[1:]
	inv := p.invs[i]
	pm := p.base(KindAlreadyPaid, inv, p.cust[i])
	pm.Amount.Minor = inv.Total
	p.cleanRemittance(&pm, inv)

	return pm, true
}

// ambiguousRef pays an invoice's amount naming a misreading of its number
// that fuzzes to another open invoice too; neither is paid by another payment.
func (p *payRun) ambiguousRef() (Payment, bool) {
	n := p.noise
	for len(n.ambig) > 0 {
		a := n.ambig[0]
		n.ambig = n.ambig[1:]
		free := true
		for _, i := range a.twin {
			free = free && !p.used[i]
		}

		if !free {
			continue
		}

		for _, i := range a.twin {
			p.used[i] = true
		}

		inv := p.invs[a.inv]
		pm := p.base(KindRefFuzzAmbiguous, inv, p.cust[a.inv])
		pm.Amount.Minor = inv.Open
		pm.Remittance = a.ref

		return pm, true
	}

	return Payment{}, false
}
