package matching

import (
	"strings"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

// payer is the result of payer identification.
type payer struct {
	cust int32  // identified customer, or -1
	how  string // PayerBy* constant, "" when not identified
	// several lists the customers a signal pointed to when it pointed to more
	// than one and nothing narrowed it down.
	several []int32
}

// identify finds the payer: by bank account, then payer id, then exact
// normalised name, then alias. A signal naming several customers is passed over.
func (e *Engine) identify(p *Payment) payer {
	res := payer{cust: -1}
	try := func(idx *multiIndex[string], key, how string) bool {
		if key == "" {
			return false
		}

		e.ids = idx.appendTo(e.ids[:0], key)
		ids := distinct(e.ids)
		switch {
		case len(ids) == 1:
			res.cust, res.how = ids[0], how
			return true
		case len(ids) > 1 && res.several == nil:
			res.several = append([]int32(nil), ids...)
		}

		return false
	}

	if try(&e.byAccount, NormalizeAccount(p.PayerAccount), PayerByAccount) {
		return res
	}

	if try(&e.byPayerID, upperAlnum(p.PayerID), PayerByID) {
		return res
	}

	name := NormalizeName(p.PayerName)
	if try(&e.byName, name, PayerByName) || try(&e.byAlias, name, PayerByAlias) {
		return res
	}

	return res
}

// distinct drops repeated ids in place, keeping first occurrences in order.
func distinct(ids []int32) []int32 {
	if len(ids) < 2 {
		return ids
	}

	out := ids[:1]
	for _, id := range ids[1:] {
		seen := false
		for _, o := range out {
			if o == id {
				seen = true
				break
			}
		}

		if !seen {
			out = append(out, id)
		}
	}

	return out
}

// Where a reference was found, as named in explanations.
const (
	srcStructured = "structured remittance"
	srcRemittance = "remittance"
	srcPaymentRef = "payment reference"
	srcEndToEnd   = "end-to-end id"
)

// How a reference hit an invoice.
const (
	viaNumber = "number" // normalised invoice number
	viaPO     = "po"     // normalised purchase-order number
	viaDigits = "digits" // digits of the invoice number
)

// ref is one invoice the payment references, with the evidence for it.
type ref struct {
	inv      int32
	strength float64
	exact    bool   // hit by invoice or PO code, not by digits alone
	via      string // viaNumber, viaPO or viaDigits
	source   string // src* constant
	raw      string // the reference as the payer wrote it
	line     int    // structured remittance line group, -1 for text
	stated   bool   // a remittance line states an amount for this invoice
	paid     int64  // stated amount paid, summed over the lines naming the invoice
	claimed  int64  // stated discount taken
}

// refs is what reference resolution found for a payment.
type refs struct {
	list []ref
	// stated is set when there are structured lines and every one states the
	// amount paid; statedSum adds those amounts up, whether or not the line's
	// reference was found. Lines that state nothing leave the amounts to the open
	// amounts of the invoices.
	stated    bool
	statedSum int64
	// unknown lists codes and stated lines that name no known invoice.
	unknown []string
	// unknownStated adds up the stated amounts of lines that named no invoice.
	unknownStated int64
	// ambiguous holds the invoices of an exact reference that names several,
	// none of them the payer's; ambiguousRaw is that reference.
	ambiguous    []int32
	ambiguousRaw string
	// groups maps a structured line with a PO covering several invoices to them.
	multiLines map[int][]int32
}

// resolve finds the invoices the payment references, structured lines first, then
// the remittance text, payment reference and end-to-end id.
func (e *Engine) resolve(p *Payment, py payer) refs {
	r := refs{stated: len(p.Remits) > 0}

	for li, rm := range p.Remits {
		r.stated = r.stated && rm.Paid > 0
		r.statedSum += rm.Paid

		if !e.resolveRemit(py, &r, li, rm) {
			if rm.Ref != "" {
				r.unknown = append(r.unknown, rm.Ref)
			}

			r.unknownStated += rm.Paid
		}
	}

	texts := [...]struct{ text, source string }{
		{p.Remittance, srcRemittance},
		{p.PaymentRef, srcPaymentRef},
		{p.EndToEndID, srcEndToEnd},
	}
	for _, t := range texts {
		if t.text != "" {
			e.resolveText(p, py, &r, t.text, t.source)
		}
	}

	return r
}

// resolveRemit resolves one structured remittance line and reports whether it
// named a known invoice.
func (e *Engine) resolveRemit(py payer, r *refs, li int, rm bankfile.Remit) bool {
	norm := NormalizeRef(rm.Ref)
	if norm == "" {
		return false
	}

	type attempt struct {
		idx      *multiIndex[string]
		key, via string
		strength float64
	}

	attempts := []attempt{
		{&e.byNumber, norm, viaNumber, strengthStructured},
		{&e.byPO, norm, viaPO, strengthStructPO},
	}
	if strings.EqualFold(rm.RefType, "PO") {
		attempts[0], attempts[1] = attempts[1], attempts[0]
	}

	if d := digitsOf(norm); d == norm {
		attempts = append(attempts, attempt{&e.byDigits, d, viaDigits, strengthStructPO})
	}

	for _, a := range attempts {
		e.ids = a.idx.appendTo(e.ids[:0], a.key)
		hits := e.preferPayer(distinct(e.ids), py)
		if len(hits) == 0 {
			continue
		}

		if len(hits) > 1 && a.via != viaPO {
			e.noteAmbiguous(r, hits, rm.Ref)
			return true
		}

		if len(hits) > 1 {
			if r.multiLines == nil {
				r.multiLines = make(map[int][]int32)
			}

			r.multiLines[li] = append([]int32(nil), hits...)
		}

		for _, ii := range hits {
			rf := ref{
				inv: ii, strength: a.strength, exact: a.via != viaDigits, via: a.via,
				source: srcStructured, raw: rm.Ref, line: li,
			}
			if rm.Paid > 0 && len(hits) == 1 {
				rf.stated, rf.paid, rf.claimed = true, rm.Paid, rm.Discount
			}

			r.add(rf)
		}

		return true
	}

	return false
}

// resolveText resolves the references found in a free text.
func (e *Engine) resolveText(p *Payment, py payer, r *refs, text, source string) {
	e.toks = appendTokens(e.toks[:0], text, e.rules.MinRefDigits, 0)
	hitGroup := -1

	for i, t := range e.toks {
		if t.group == hitGroup {
			continue
		}

		if e.resolveToken(p, py, r, t, source) {
			hitGroup = t.group
			continue
		}

		last := i+1 == len(e.toks) || e.toks[i+1].group != t.group
		if last && source == srcRemittance {
			r.noteUnknown(e.toks, t.group)
		}
	}
}

// noteUnknown records the code of a group of tokens none of which named an
// invoice. Only codes in the remittance text are worth reporting: payment
// references and end-to-end ids are often the payer's own numbers, and joined
// words or bare numbers are guesses.
func (r *refs) noteUnknown(toks []token, group int) {
	for _, t := range toks {
		if t.group != group {
			continue
		}

		if t.kind == tokenCode && hasLetterAndDigit(t.raw) && !strings.ContainsRune(t.raw, ' ') &&
			!r.hasUnknown(t.raw) {
			r.unknown = append(r.unknown, t.raw)
		}

		return
	}
}

func (r *refs) hasUnknown(raw string) bool {
	for _, u := range r.unknown {
		if u == raw {
			return true
		}
	}

	return false
}

// resolveToken looks one candidate up and reports whether it named an invoice.
func (e *Engine) resolveToken(p *Payment, py payer, r *refs, t token, source string) bool {
	type attempt struct {
		idx      *multiIndex[string]
		via      string
		strength float64
	}

	var attempts []attempt
	switch t.kind {
	case tokenCode:
		attempts = []attempt{
			{&e.byNumber, viaNumber, strengthCode}, {&e.byPO, viaPO, strengthCodePO},
		}
	case tokenKeyword:
		attempts = []attempt{
			{&e.byNumber, viaNumber, strengthKeyword}, {&e.byDigits, viaDigits, strengthKeyDigits},
		}
	case tokenBare:
		if !e.rules.BareNumbers {
			return false
		}

		attempts = []attempt{
			{&e.byNumber, viaNumber, strengthBare}, {&e.byDigits, viaDigits, strengthBareDigits},
		}
	}

	for _, a := range attempts {
		e.ids = a.idx.appendTo(e.ids[:0], t.norm)
		hits := e.preferPayer(distinct(e.ids), py)
		if len(hits) == 0 {
			continue
		}

		exact := t.kind == tokenCode || a.via == viaNumber && t.kind == tokenKeyword
		if len(hits) > 1 && a.via != viaPO {
			if exact {
				e.noteAmbiguous(r, hits, t.raw)
				return true
			}

			return false // a number matching several invoices proves nothing
		}

		if t.kind == tokenBare && !e.corroborated(p, py, hits[0]) {
			return false
		}

		for _, ii := range hits {
			r.add(ref{
				inv: ii, strength: a.strength, exact: exact, via: a.via,
				source: source, raw: t.raw, line: -1,
			})
		}

		return true
	}

	return false
}

// corroborated reports whether something besides a bare number points to invoice
// ii: it is the identified payer's, or its open amount (less an allowed discount)
// equals the payment.
func (e *Engine) corroborated(p *Payment, py payer, ii int32) bool {
	inv := e.invs[ii].Invoice
	if py.cust >= 0 && e.related(py.cust, e.invs[ii].cust) {
		return true
	}

	if inv.Currency != p.Amount.Currency || inv.Open <= 0 {
		return false
	}

	if inv.Open == p.Amount.Minor {
		return true
	}

	d := termsDiscount(inv)

	return d > 0 && e.discountOpen(inv, p.ValueDate) &&
		abs(inv.Open-d-p.Amount.Minor) <= e.rules.DiscountTolerance
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}

	return x
}

// preferPayer keeps the hits of the identified payer or its relatives when there
// are any, and all hits otherwise. It filters in place.
func (e *Engine) preferPayer(hits []int32, py payer) []int32 {
	if py.cust < 0 || len(hits) < 2 {
		return hits
	}

	n := 0
	for _, ii := range hits {
		if e.related(py.cust, e.invs[ii].cust) {
			hits[n] = ii
			n++
		}
	}

	if n == 0 {
		return hits
	}

	return hits[:n]
}

func (e *Engine) noteAmbiguous(r *refs, hits []int32, raw string) {
	if r.ambiguous != nil {
		return
	}

	r.ambiguous = append([]int32(nil), hits...)
	r.ambiguousRaw = raw
}

// add records a referenced invoice once, keeping the strongest evidence and adding
// up the stated amounts of every structured line that names it.
func (r *refs) add(rf ref) {
	for i := range r.list {
		old := &r.list[i]
		if old.inv != rf.inv {
			continue
		}

		if rf.stated {
			if old.stated && old.line != rf.line {
				old.paid += rf.paid
				old.claimed += rf.claimed
			} else if !old.stated {
				old.stated, old.paid, old.claimed, old.line = true, rf.paid, rf.claimed, rf.line
			}
		}

		if rf.strength > old.strength {
			old.strength, old.exact, old.via, old.source, old.raw =
				rf.strength, rf.exact, rf.via, rf.source, rf.raw
		}

		return
	}

	r.list = append(r.list, rf)
}
