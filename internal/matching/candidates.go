package matching

import (
	"fmt"
	"sort"
)

// candidate describes invoice ii as a candidate with a score and a reason.
func (e *Engine) candidate(ii int32, score float64, why string) Candidate {
	inv := &e.invs[ii]

	return Candidate{
		InvoiceNumber: inv.Number,
		CustomerID:    e.custs[inv.cust].id,
		Open:          inv.Open,
		Score:         round3(score),
		Why:           why,
	}
}

// refCandidates lists the candidates for a held payment: the referenced invoices,
// strongest evidence first, then the payer's open invoices closest to the amount
// or, with no payer, the open invoices of exactly the amount.
func (e *Engine) refCandidates(m *match) []Candidate {
	cands := make([]Candidate, 0, len(m.refs.list)+e.rules.MaxCandidates)
	exclude := make([]int32, 0, len(m.refs.list))
	for _, r := range m.refs.list {
		inv := &e.invs[r.inv]
		why := fmt.Sprintf("%s; open %s %s", refPhrase(inv.Number, r), e.format(inv.Open,
			inv.Currency), inv.Currency)
		if inv.Open == 0 {
			why = refPhrase(inv.Number, r) + "; already paid"
		}
		cands = append(cands, e.candidate(r.inv, r.strength, why))
		exclude = append(exclude, r.inv)
	}

	sort.SliceStable(cands, func(i, j int) bool { return cands[i].Score > cands[j].Score })

	switch {
	case m.py.cust >= 0:
		cands = append(cands, e.closestCandidates(m, m.py.cust, m.amt, exclude)...)
	case len(m.refs.list) == 0:
		cands = append(cands, e.exactAmountCandidates(m, exclude)...)
	}

	return cands
}

// exactAmountCandidates lists open invoices of any customer (or of the customers
// the payer name pointed to) open for exactly the payment amount.
func (e *Engine) exactAmountCandidates(m *match, exclude []int32) []Candidate {
	cur, ok := e.currencies[m.cur]
	if !ok {
		return nil
	}

	custs := m.py.several
	if len(custs) == 0 {
		custs = []int32{anyCustomer}
	}

	var cands []Candidate
	for _, c := range custs {
		e.ids = e.byAmount.appendTo(e.ids[:0], amountKey{cust: c, cur: cur, amount: m.amt})
		for _, ii := range e.sortedByDue(e.ids) {
			if len(cands) == e.rules.MaxCandidates {
				return cands
			}

			if !containsID(exclude, ii) {
				cands = append(cands, e.candidate(ii, 0.5, "open for exactly the payment amount"))
			}
		}
	}

	return cands
}

// candidatesFromApps turns planned applications that were held into candidates.
func (e *Engine) candidatesFromApps(apps []Application, m *match) []Candidate {
	cands := make([]Candidate, 0, len(apps))
	for _, a := range apps {
		ii := e.findInvoice(a.InvoiceNumber, a.CustomerID)
		c := e.candidate(ii, a.Confidence, a.Explanation)
		cands = append(cands, c)
	}

	sort.SliceStable(cands, func(i, j int) bool { return cands[i].Score > cands[j].Score })

	return cands
}

// findInvoice returns the position of the invoice with this number and customer.
func (e *Engine) findInvoice(number, customerID string) int32 {
	e.ids = e.byNumber.appendTo(e.ids[:0], NormalizeRef(number))
	for _, ii := range e.ids {
		if e.invs[ii].Number == number &&
			(customerID == "" || e.custs[e.invs[ii].cust].id == customerID) {
			return ii
		}
	}

	return e.ids[0]
}

// remainderCandidates lists candidates for what is left of an applied payment:
// for a refused deduction the invoices it stays open on, for unapplied cash the
// payer's other open invoices closest to it.
func (e *Engine) remainderCandidates(m *match, lines []line) []Candidate {
	var cands []Candidate
	exclude := make([]int32, 0, len(lines))
	for _, l := range lines {
		exclude = append(exclude, l.ref.inv)
		if e.invs[l.ref.inv].Open > 0 {
			inv := &e.invs[l.ref.inv]
			why := fmt.Sprintf("applied in part, %s %s still open", e.format(inv.Open,
				inv.Currency), inv.Currency)
			cands = append(cands, e.candidate(l.ref.inv, l.ref.strength, why))
		}
	}

	c := m.py.cust
	if c < 0 && len(lines) > 0 {
		c = e.invs[lines[0].ref.inv].cust
	}

	rest := m.amt - m.d.Applied()
	if rest > 0 {
		cands = append(cands, e.closestCandidates(m, c, rest, exclude)...)
	}

	return cands
}

// closestCandidates ranks customer c's open invoices in the payment's currency by
// how close their open amount is to target, best first, at most MaxCandidates.
func (e *Engine) closestCandidates(m *match, c int32, target int64, exclude []int32) []Candidate {
	type scored struct {
		ii    int32
		score float64
	}

	k := e.rules.MaxCandidates
	top := make([]scored, 0, k+1)
	better := func(a, b scored) bool {
		if a.score != b.score {
			return a.score > b.score
		}

		ia, ib := &e.invs[a.ii], &e.invs[b.ii]
		if !ia.DueDate.Equal(ib.DueDate) {
			return ia.DueDate.Before(ib.DueDate)
		}

		return ia.Number < ib.Number
	}

	for _, ii := range e.custInv[c] {
		inv := &e.invs[ii]
		if inv.Open <= 0 || inv.Currency != m.cur || containsID(exclude, ii) {
			continue
		}

		s := scored{ii: ii, score: closeness(inv.Open, target)}
		if len(top) == k && !better(s, top[k-1]) {
			continue
		}

		pos := sort.Search(len(top), func(i int) bool { return better(s, top[i]) })
		top = append(top, scored{})
		copy(top[pos+1:], top[pos:])
		top[pos] = s
		if len(top) > k {
			top = top[:k]
		}
	}

	cands := make([]Candidate, 0, len(top))
	for _, s := range top {
		inv := &e.invs[s.ii]
		cands = append(cands, e.candidate(s.ii, s.score, e.closenessWhy(inv.Open, target, m.cur)))
	}

	return cands
}

// closeness scores an open amount against a target: 1 when equal, falling towards
// 0 as they drift apart.
func closeness(open, target int64) float64 {
	if open == target {
		return 1
	}

	hi := max(open, target)
	if hi <= 0 {
		return 0
	}

	return 1 - float64(abs(open-target))/float64(hi)
}

func (e *Engine) closenessWhy(open, target int64, cur string) string {
	openS := e.format(open, cur)
	switch {
	case open == target:
		return "open " + openS + ", equal to the amount"
	case open > target:
		return fmt.Sprintf("open %s, %s more than the amount", openS, e.format(open-target, cur))
	default:
		return fmt.Sprintf("open %s, %s less than the amount", openS, e.format(target-open, cur))
	}
}

// otherCurrencyCandidates lists the payer's open invoices in other currencies,
// oldest due first.
func (e *Engine) otherCurrencyCandidates(m *match) []Candidate {
	var ids []int32
	for _, ii := range e.custInv[m.py.cust] {
		if e.invs[ii].Open > 0 && e.invs[ii].Currency != m.cur {
			ids = append(ids, ii)
		}
	}

	ids = e.sortedByDue(ids)
	cands := make([]Candidate, 0, min(len(ids), e.rules.MaxCandidates))
	for _, ii := range ids {
		if len(cands) == e.rules.MaxCandidates {
			break
		}

		inv := &e.invs[ii]
		why := fmt.Sprintf("open %s %s, payment in %s", e.format(inv.Open, inv.Currency),
			inv.Currency, m.cur)
		cands = append(cands, e.candidate(ii, 0.1, why))
	}

	return cands
}
