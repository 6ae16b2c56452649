package matching

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// match carries one payment through the decision.
type match struct {
	p    *Payment
	cur  string
	amt  int64
	py   payer
	refs refs
	d    Decision
	// chosen is the candidate applied and alts the others weighed, for the trace.
	chosen *ScoredCandidate
	// chosenVal holds what chosen points to.
	chosenVal ScoredCandidate
	alts      []ScoredCandidate
}

// line is one planned application before the checks that may still hold it.
type line struct {
	ref     ref
	apply   int64
	disc    int64
	rule    string
	why     string  // amount evidence, for the explanation
	penalty float64 // taken off the reference strength for the amount evidence
	closes  bool    // the invoice is fully closed by this line
	wo      int64   // written off within tolerance
	woWhy   string  // WriteOff* reason
}

// Match decides what to do with payment p and applies it: the open amounts of
// the invoices it is applied to go down by Amount + Discount + WriteOff, so a later
// payment cannot take the same money again.
func (e *Engine) Match(p Payment) Decision {
	e.pay = p
	m := &e.m
	*m = match{p: &e.pay, cur: p.Amount.Currency, amt: p.Amount.Minor}
	m.d.PaymentID = p.ID
	m.py = e.identify(m.p)
	if m.py.cust >= 0 {
		m.d.CustomerID, m.d.PayerMatch = e.custs[m.py.cust].id, m.py.how
	}

	m.refs = e.resolve(m.p, m.py, e.refBuf[:0])
	if m.py.cust < 0 && m.py.fullName >= 0 {
		e.tryFullName(m)
	}

	if m.py.cust < 0 {
		if c := e.refCustomer(m.refs.list); c >= 0 {
			m.d.CustomerID, m.d.PayerMatch = e.custs[c].id, PayerByReference
		}
	}

	switch {
	case p.Problem != "":
		e.hold(m, problemReason(p.Problem), "held: "+p.Problem, m.amt, e.refCandidates(m))
	case m.amt <= 0:
		e.hold(m, ReasonNoMatch, "held: payment amount is not positive", m.amt, nil)
	case m.refs.ambiguous != nil:
		e.holdAmbiguousRef(m)
	case len(m.refs.list) > 0:
		e.matchByReference(m)
	default:
		e.matchByAmount(m)
	}

	if !e.noTrace {
		e.finishTrace(m)
	}

	d := m.d
	e.refBuf = m.refs.list[:0]
	*m, e.pay = match{}, Payment{}

	return d
}

// tryFullName takes the customer whose name is written exactly as the payer's
// (payer.fullName) as the payer when the payment references nothing, or when,
// resolved again for that payer, every invoice it references is that customer's
// or a relative's. Otherwise the payer stays unidentified: a payer dropping its
// legal suffix may be any of the customers sharing the normalised name.
func (e *Engine) tryFullName(m *match) {
	py := m.py
	py.cust, py.how, py.several = py.fullName, PayerByName, nil
	if len(m.refs.list) > 0 || m.refs.ambiguous != nil {
		r := e.resolve(m.p, py, nil)
		if r.ambiguous != nil || len(r.list) == 0 {
			return
		}

		for _, rf := range r.list {
			if !e.related(py.cust, e.invs[rf.inv].cust) {
				return
			}
		}

		m.refs = r
	}

	m.py = py
	m.d.CustomerID, m.d.PayerMatch = e.custs[py.cust].id, py.how
}

// holdMargin holds a payment whose best candidate does not beat the runner-up by
// Rules.MinMargin, listing both; it reports whether it held.
func (e *Engine) holdMargin(m *match, best ScoredCandidate, alts []ScoredCandidate) bool {
	if len(alts) == 0 || best.Score-alts[0].Score >= e.rules.MinMargin {
		return false
	}

	ru := alts[0]
	msg := fmt.Sprintf("held: %s and %s both fit %s (scores %.3f and %.3f, margin %.3f below "+
		"%.3f)", joinAnd(best.Invoices), joinAnd(ru.Invoices), e.format(m.amt, m.cur), best.Score,
		ru.Score, best.Score-ru.Score, e.rules.MinMargin)
	cands := make([]Candidate, 0, len(best.Invoices)+len(alts))
	for _, sc := range append([]ScoredCandidate{best}, alts...) {
		for _, num := range sc.Invoices {
			ii := e.findInvoice(num, "")
			cands = append(cands, e.candidate(ii, sc.Score, "reference "+sc.Features.Reference+
				", amount "+sc.Features.Amount+", payer "+sc.Features.Payer))
		}
	}

	e.hold(m, ReasonAmbiguous, msg, m.amt, cands)
	m.alts = nil

	return true
}

// problemReason maps a bank reader's problem text to an exception reason.
func problemReason(problem string) string {
	low := strings.ToLower(problem)
	switch {
	case strings.Contains(low, "batch"):
		return ReasonBatchMismatch
	case strings.Contains(low, "remittance"), strings.Contains(low, "bpr"):
		return ReasonRemittanceMismatch
	default:
		return ReasonFlagged
	}
}

// refCustomer returns the one customer all referenced invoices belong to, or -1.
func (e *Engine) refCustomer(list []ref) int32 {
	c := int32(-1)
	for _, r := range list {
		ic := e.invs[r.inv].cust
		if c >= 0 && ic != c {
			return -1
		}

		c = ic
	}

	return c
}

func (e *Engine) hold(m *match, reason, msg string, amount int64, cands []Candidate) {
	m.d.Exception = &Exception{Reason: reason, Message: msg, Amount: amount, Candidates: cands}
}

func (e *Engine) holdAmbiguousRef(m *match) {
	nums := make([]string, 0, len(m.refs.ambiguous))
	cands := make([]Candidate, 0, len(m.refs.ambiguous))
	for _, ii := range m.refs.ambiguous {
		inv := e.invs[ii]
		nums = append(nums, inv.Number)
		cands = append(cands, e.candidate(ii, strengthStructPO, "reference "+m.refs.ambiguousRaw+
			" names it; open "+e.format(inv.Open, inv.Currency)))
	}

	msg := fmt.Sprintf("held: reference %s matches %s", m.refs.ambiguousRaw, joinAnd(nums))
	if m.refs.ambiguousFuzzy {
		msg = fmt.Sprintf("held: reference %s, corrected for typing or OCR slips, could be %s",
			m.refs.ambiguousRaw, joinAnd(nums))
	}
	e.hold(m, ReasonAmbiguous, msg, m.amt, cands)
}

// matchByReference decides a payment whose references name known invoices.
func (e *Engine) matchByReference(m *match) {
	for _, r := range m.refs.list {
		inv := e.invs[r.inv]
		if inv.Currency != m.cur {
			msg := fmt.Sprintf("held: %s is in %s, payment is in %s",
				inv.Number, inv.Currency, m.cur)
			e.hold(m, ReasonCurrency, msg, m.amt, e.refCandidates(m))
			return
		}
	}

	if m.refs.stated {
		e.byStatedAmounts(m)
		return
	}

	var open, paid []ref
	for _, r := range m.refs.list {
		if e.invs[r.inv].Open > 0 {
			open = append(open, r)
		} else {
			paid = append(paid, r)
		}
	}

	switch {
	case len(open) == 0:
		e.holdAlreadyPaid(m, paid)
	case len(open) == 1 && (len(paid) == 0 || e.invs[open[0].inv].Open == m.amt):
		e.singleReference(m, open[0], paid)
	default:
		e.multiReference(m, open, paid)
	}
}

func (e *Engine) holdAlreadyPaid(m *match, paid []ref) {
	nums := make([]string, 0, len(paid))
	for _, r := range paid {
		nums = append(nums, e.invs[r.inv].Number)
	}

	verb := "is"
	if len(nums) > 1 {
		verb = "are"
	}

	msg := fmt.Sprintf("held: %s %s already paid; %s not applied",
		joinAnd(nums), verb, e.format(m.amt, m.cur))
	e.hold(m, ReasonAlreadyPaid, msg, m.amt, e.refCandidates(m))
}

// singleReference applies a payment to its one open referenced invoice.
func (e *Engine) singleReference(m *match, r ref, paid []ref) {
	inv := e.invs[r.inv]
	openS := e.format(inv.Open, inv.Currency)
	amtS := e.format(m.amt, m.cur)
	ln := line{ref: r}

	var short int64
	var shortWhy string
	switch {
	case m.amt == inv.Open:
		ln.apply, ln.rule, ln.closes = m.amt, RuleReferenceExact, true
		ln.why = "amount " + amtS + " equals open amount"
	case m.amt > inv.Open:
		ln.apply, ln.rule, ln.closes = inv.Open, RuleReferenceOverpaid, true
		ln.penalty = penaltyOverpaid
		ln.why = fmt.Sprintf("open %s applied, %s over", openS, e.format(m.amt-inv.Open, m.cur))
	default:
		gap := inv.Open - m.amt
		terms := termsDiscount(inv)
		nearTerms := terms > 0 && abs(gap-terms) <= e.rules.DiscountTolerance
		switch {
		case nearTerms && e.discountOpen(inv, m.p.ValueDate):
			ln.apply, ln.disc, ln.rule, ln.closes = m.amt, gap, RuleReferenceDiscount, true
			ln.penalty = penaltyDiscount
			ln.why = fmt.Sprintf("amount %s is open %s less discount %s allowed until %s",
				amtS, openS, e.format(gap, m.cur), e.discountDeadline(inv).Format(dateLayout))
		case nearTerms:
			ln.apply, ln.rule, ln.penalty = m.amt, RuleReferencePartial, penaltyPartial
			short = gap
			shortWhy = e.unearned(inv, gap, m.p)
			ln.why = fmt.Sprintf("amount %s of open %s; discount %s", amtS, openS,
				e.discountRefusal(inv, m.p))
		case gap <= e.rules.tolerance(m.cur, inv.Open):
			ln.apply, ln.wo, ln.rule, ln.closes = m.amt, gap, RuleReferenceTolerance, true
			ln.woWhy, ln.penalty = writeOffReason(gap), penaltyWriteOff
			ln.why = fmt.Sprintf("amount %s is open %s less %s written off as %s", amtS, openS,
				e.format(gap, m.cur), ln.woWhy)
		case r.exact && r.via != viaFuzzy && m.py.cust >= 0 &&
			e.related(m.py.cust, e.invs[r.inv].cust) && e.rules.knownFee(m.cur, gap, inv.Open):
			ln.apply, ln.wo, ln.rule, ln.closes = m.amt, gap, RuleReferenceBankFee, true
			ln.woWhy, ln.penalty = WriteOffBankFee, penaltyWriteOff
			ln.why = fmt.Sprintf("amount %s is open %s less a known bank fee of %s, written off",
				amtS, openS, e.format(gap, m.cur))
		case e.isDeduction(gap, inv.Open) && !e.rules.Deductions:
			msg := fmt.Sprintf("held: %s pays %s of %s open on %s, %s short; deductions are "+
				"not applied", m.p.ID, amtS, openS, inv.Number, e.format(gap, m.cur))
			e.hold(m, ReasonShortPayment, msg, m.amt, e.refCandidates(m))
			return
		case e.isDeduction(gap, inv.Open):
			ln.apply, ln.rule, ln.penalty = m.amt, RuleReferenceDeduction, penaltyDeduction
			short = gap
			shortWhy = fmt.Sprintf("deduction of %s on %s (paid %s of %s)", e.format(gap, m.cur),
				inv.Number, amtS, openS)
			ln.why = fmt.Sprintf("amount %s of open %s, deduction %s opened", amtS, openS,
				e.format(gap, m.cur))
		case !e.rules.Partials:
			msg := fmt.Sprintf("held: %s pays %s of %s open on %s; part payments are not applied",
				m.p.ID, amtS, openS, inv.Number)
			e.hold(m, ReasonShortPayment, msg, m.amt, e.refCandidates(m))
			return
		default:
			ln.apply, ln.rule, ln.penalty = m.amt, RuleReferencePartial, penaltyPartial
			ln.why = fmt.Sprintf("part payment %s of open %s, %s stays open",
				amtS, openS, e.format(gap, m.cur))
		}
	}

	if len(paid) > 0 {
		ln.why += "; " + paidNote(e, paid)
	}

	rest := m.amt - ln.apply
	e.commit(m, []line{ln}, rest, ReasonOverpayment, overMessage(e, m, rest, []line{ln}),
		short, shortWhy)
}

func paidNote(e *Engine, paid []ref) string {
	nums := make([]string, 0, len(paid))
	for _, r := range paid {
		nums = append(nums, e.invs[r.inv].Number)
	}

	return "also referenced " + joinAnd(nums) + ", already paid"
}

func overMessage(e *Engine, m *match, rest int64, lines []line) string {
	if rest <= 0 {
		return ""
	}

	nums := make([]string, 0, len(lines))
	var open int64
	for _, l := range lines {
		nums = append(nums, e.invs[l.ref.inv].Number)
		open += l.apply + l.disc
	}

	return fmt.Sprintf("held: %s over: payment %s, %s open on %s", e.format(rest, m.cur),
		e.format(m.amt, m.cur), e.format(open, m.cur), joinAnd(nums))
}

// isDeduction reports whether a payment short of an open amount by gap, beyond
// tolerance, is a deduction rather than a part payment.
func (e *Engine) isDeduction(gap, open int64) bool {
	return e.rules.DeductionBasisPoints > 0 && gap*10000 <= open*e.rules.DeductionBasisPoints
}

// writeOffReason names a difference written off within tolerance.
func writeOffReason(gap int64) string {
	if gap <= 2 {
		return WriteOffRounding
	}

	return WriteOffBankFee
}

// unearned says why a discount taken outside its window stays open: "unearned
// discount 23.80 taken on INV-8802 (paid 7 days late)".
func (e *Engine) unearned(inv invoice, gap int64, p *Payment) string {
	end := e.discountDeadline(inv)
	if end.IsZero() || p.ValueDate.IsZero() {
		return fmt.Sprintf("%s deducted as discount on %s but %s", e.format(gap, inv.Currency),
			inv.Number, e.discountRefusal(inv, p))
	}

	days := int(p.ValueDate.Sub(end).Hours() / 24)

	return fmt.Sprintf("unearned discount %s taken (paid %d days late) on %s; the window "+
		"closed %s", e.format(gap, inv.Currency), days, inv.Number, end.Format(dateLayout))
}

// discountRefusal says why an invoice's discount cannot be granted to payment p.
func (e *Engine) discountRefusal(inv invoice, p *Payment) string {
	end := e.discountDeadline(inv)
	switch {
	case end.IsZero():
		return "the invoice terms give no discount"
	case p.ValueDate.IsZero():
		return "the payment has no value date to check the window"
	default:
		return fmt.Sprintf("the window closed %s, paid %s", end.Format(dateLayout),
			p.ValueDate.Format(dateLayout))
	}
}

// multiReference applies a payment to several referenced invoices when their open
// amounts, with allowed discounts or without, add up to it.
func (e *Engine) multiReference(m *match, open, paid []ref) {
	var sumOpen, sumDisc int64
	discs := make([]int64, len(open))
	nums := make([]string, 0, len(open))
	for i, r := range open {
		inv := e.invs[r.inv]
		sumOpen += inv.Open
		nums = append(nums, inv.Number)
		if d := termsDiscount(inv); d > 0 && e.discountOpen(inv, m.p.ValueDate) {
			discs[i] = d
			sumDisc += d
		}
	}

	withDisc := sumDisc > 0 && sumOpen-sumDisc == m.amt
	if sumOpen != m.amt && !withDisc {
		reason := ReasonAmountMismatch
		if len(paid) > 0 {
			reason = ReasonAlreadyPaid
		}

		msg := fmt.Sprintf("held: %s add up to %s, payment is %s", joinAnd(nums),
			e.format(sumOpen, m.cur), e.format(m.amt, m.cur))
		if len(paid) > 0 {
			msg += "; " + paidNote(e, paid)
		}

		e.hold(m, reason, msg, m.amt, e.refCandidates(m))
		return
	}

	total := e.format(m.amt, m.cur)
	lines := make([]line, 0, len(open))
	for i, r := range open {
		inv := e.invs[r.inv]
		ln := line{ref: r, apply: inv.Open, rule: RuleReferenceMulti, closes: true}
		ln.why = fmt.Sprintf("one of %d referenced invoices adding up to %s", len(open), total)
		if withDisc && discs[i] > 0 {
			ln.apply, ln.disc, ln.penalty = inv.Open-discs[i], discs[i], penaltyDiscount
			ln.why = fmt.Sprintf("one of %d referenced invoices adding up to %s after discount; "+
				"discount %s allowed until %s", len(open), total, e.format(discs[i], m.cur),
				e.discountDeadline(inv).Format(dateLayout))
		}

		if len(paid) > 0 {
			ln.why += "; " + paidNote(e, paid)
		}

		lines = append(lines, ln)
	}

	e.commit(m, lines, 0, "", "", 0, "")
}

// byStatedAmounts applies a payment whose structured remittance lines state the
// amount paid (and any discount taken) per document.
func (e *Engine) byStatedAmounts(m *match) {
	if m.refs.statedSum != m.amt {
		msg := fmt.Sprintf("held: remittance lines add up to %s, payment is %s",
			e.format(m.refs.statedSum, m.cur), e.format(m.amt, m.cur))
		e.hold(m, ReasonAmountMismatch, msg, m.amt, e.refCandidates(m))
		return
	}

	if !e.expandMultiLines(m) {
		return
	}

	var stated []ref
	for _, r := range m.refs.list {
		if r.stated {
			stated = append(stated, r)
		}
	}

	var (
		lines          []line
		rest, short    int64
		over, paidNums []string
		shortWhy       []string
	)
	for _, r := range stated {
		inv := e.invs[r.inv]
		if inv.Open == 0 {
			rest += r.paid
			paidNums = append(paidNums, inv.Number)
			continue
		}

		ln, s, sWhy := e.statedLine(m, r, inv)
		if ln.apply == 0 && ln.disc == 0 {
			continue
		}

		if r.paid > ln.apply {
			rest += r.paid - ln.apply
			over = append(over, inv.Number)
		}

		short += s
		if sWhy != "" {
			shortWhy = append(shortWhy, sWhy)
		}

		lines = append(lines, ln)
	}

	if !e.rules.Partials {
		for _, l := range lines {
			if !l.closes && l.rule == RuleReferencePartial {
				msg := fmt.Sprintf("held: remittance pays %s of %s open on %s; part payments "+
					"are not applied", e.format(l.apply, m.cur),
					e.format(e.invs[l.ref.inv].Open, m.cur), e.invs[l.ref.inv].Number)
				e.hold(m, ReasonShortPayment, msg, m.amt, e.refCandidates(m))
				return
			}
		}
	}

	if len(lines) > 1 {
		for i := range lines {
			lines[i].rule = RuleReferenceMulti
		}
	}

	rest += m.refs.unknownStated
	reason, msg := e.remainderReason(m, rest, paidNums, over)
	e.commit(m, lines, rest, reason, msg, short, strings.Join(shortWhy, "; "))
}

// expandMultiLines turns a stated line whose PO covers several invoices into
// stated amounts for each, when the line pays exactly their open total; otherwise
// it holds the payment and returns false.
func (e *Engine) expandMultiLines(m *match) bool {
	for li, rm := range m.p.Remits {
		hits, ok := m.refs.multiLines[li]
		if !ok || rm.Paid <= 0 {
			continue
		}

		var sum int64
		nums := make([]string, 0, len(hits))
		for _, ii := range hits {
			sum += e.invs[ii].Open
			nums = append(nums, e.invs[ii].Number)
		}

		if sum != rm.Paid {
			msg := fmt.Sprintf("held: remittance line %s pays %s for %s, open %s", rm.Ref,
				e.format(rm.Paid, m.cur), joinAnd(nums), e.format(sum, m.cur))
			e.hold(m, ReasonAmbiguous, msg, m.amt, e.refCandidates(m))
			return false
		}

		for i := range m.refs.list {
			r := &m.refs.list[i]
			if r.line == li && !r.stated {
				r.stated, r.paid = true, e.invs[r.inv].Open
			}
		}
	}

	return true
}

// statedLine plans one stated remittance line: the cash it states, capped at the
// open amount, and the discount it claims when the terms allow it. It returns the
// line, the claimed discount refused (which stays open) and why.
func (e *Engine) statedLine(m *match, r ref, inv invoice) (line, int64, string) {
	ln := line{ref: r, apply: min(r.paid, inv.Open)}
	room := inv.Open - ln.apply
	paidS := e.format(r.paid, m.cur)
	ln.why = "remittance states " + paidS + " paid"

	var short int64
	var shortWhy string
	if r.claimed > 0 && room > 0 {
		claim := min(r.claimed, room)
		ok, why := e.claimAllowed(inv, r.claimed, m.p)
		if ok {
			ln.disc = claim
			ln.penalty = penaltyDiscount
			ln.why += fmt.Sprintf(" with discount %s, allowed until %s", e.format(claim, m.cur),
				e.discountDeadline(inv).Format(dateLayout))
		} else {
			short = claim
			shortWhy = fmt.Sprintf("%s deducted as discount on %s but %s",
				e.format(claim, m.cur), inv.Number, why)
			ln.why += fmt.Sprintf("; discount %s refused: %s, it stays open",
				e.format(claim, m.cur), why)
		}
	}

	left := inv.Open - ln.apply - ln.disc
	ln.closes = left == 0
	switch {
	case r.paid > inv.Open:
		ln.rule, ln.penalty = RuleReferenceOverpaid, penaltyOverpaid
		ln.why += fmt.Sprintf("; open %s applied", e.format(inv.Open, m.cur))
	case left == 0 && ln.disc > 0:
		ln.rule = RuleReferenceDiscount
		ln.why += "; invoice closed"
	case left == 0:
		ln.rule = RuleReferenceExact
		ln.why += "; equals open amount"
	default:
		ln.rule = RuleReferencePartial
		if short == 0 {
			ln.penalty = penaltyStatedPart
		} else {
			ln.penalty = penaltyPartial
		}

		if left != short {
			ln.why += fmt.Sprintf("; %s stays open", e.format(left, m.cur))
		}
	}

	return ln, short, shortWhy
}

// claimAllowed reports whether a discount the payer claimed on inv is allowed:
// the terms give one, the window is open at the value date and the claim is not
// more than the terms give, give or take the tolerance.
func (e *Engine) claimAllowed(inv invoice, claimed int64, p *Payment) (bool, string) {
	terms := termsDiscount(inv)
	if terms == 0 || !e.discountOpen(inv, p.ValueDate) {
		return false, e.discountRefusal(inv, p)
	}

	if claimed > terms+e.rules.DiscountTolerance {
		return false, fmt.Sprintf("the terms give %s", e.format(terms, inv.Currency))
	}

	return true, ""
}

// remainderReason names the cash a stated payment leaves unapplied.
func (e *Engine) remainderReason(m *match, rest int64, paidNums, over []string) (string, string) {
	if rest <= 0 {
		return "", ""
	}

	restS := e.format(rest, m.cur)
	switch {
	case len(paidNums) > 0:
		return ReasonAlreadyPaid, fmt.Sprintf("held: %s not applied: %s already paid",
			restS, joinAnd(paidNums))
	case m.refs.unknownStated > 0:
		return ReasonNoMatch, fmt.Sprintf("held: %s not applied: %s not found", restS,
			joinAnd(firstN(m.refs.unknown, 3)))
	default:
		return ReasonOverpayment, fmt.Sprintf("held: %s over the open amount of %s", restS,
			joinAnd(over))
	}
}

// commit checks the planned lines against the payer and confidence rules, then
// applies them. rest is the unapplied cash and restReason/restMsg what to call it;
// short is a deduction refused that stays open on the invoices.
func (e *Engine) commit(m *match, lines []line, rest int64, restReason, restMsg string,
	short int64, shortWhy string,
) {
	if len(lines) == 0 {
		if rest <= 0 {
			rest, restReason, restMsg = m.amt, ReasonNoMatch, "held: nothing to apply"
		}

		e.hold(m, restReason, restMsg, rest, e.refCandidates(m))
		return
	}

	apps := make([]Application, 0, len(lines))
	lowest, lowestAt := 2.0, -1
	cross := false
	for i, l := range lines {
		inv := e.invs[l.ref.inv]
		conf, payerWhy, other := e.payerEvidence(m, l.ref)
		cross = cross || other
		conf = round3(l.ref.strength - l.penalty - conf)
		if conf < lowest {
			lowest, lowestAt = conf, i
		}

		rule := l.rule
		if l.ref.learned != nil {
			rule = l.ref.learned.rule
		}

		apps = append(apps, Application{
			InvoiceNumber:  inv.Number,
			CustomerID:     e.custs[e.invs[l.ref.inv].cust].id,
			Amount:         l.apply,
			Discount:       l.disc,
			WriteOff:       l.wo,
			WriteOffReason: l.woWhy,
			Rule:           rule,
			Confidence:     conf,
			Explanation:    refPhrase(inv.Number, l.ref) + "; " + l.why + "; " + payerWhy,
		})
	}

	if e.holdWeakRef(m, lines, apps, rest, short) {
		return
	}

	if cross && !e.crossAllowed(lines, rest, short) {
		msg := "held: references point to " + e.otherCustomers(m, lines) + ", not to payer " +
			e.custs[m.py.cust].id
		e.hold(m, ReasonPayerMismatch, msg, m.amt, e.candidatesFromApps(apps, m))
		return
	}

	if lowest < e.rules.MinConfidence {
		msg := fmt.Sprintf("held: confidence %.3f below %.3f: %s", lowest,
			e.rules.MinConfidence, apps[lowestAt].Explanation)
		e.hold(m, ReasonLowConfidence, msg, m.amt, e.candidatesFromApps(apps, m))
		return
	}

	chosen := e.chosenFrom(m, lines, apps)
	alts := e.otherFits(m, lines)
	if e.holdMargin(m, chosen, alts) {
		return
	}

	m.chosenVal, m.alts = chosen, alts
	m.chosen = &m.chosenVal
	for i, l := range lines {
		ii := l.ref.inv
		e.setOpen(ii, e.invs[ii].Open-apps[i].Amount-apps[i].Discount-apps[i].WriteOff)
	}

	m.d.Applications = apps
	switch {
	case rest > 0:
		if short > 0 {
			restMsg += "; also " + shortWhy
		}

		e.hold(m, restReason, restMsg, rest, e.remainderCandidates(m, lines))
	case short > 0:
		e.hold(m, ReasonShortPayment, "held: "+shortWhy+"; it stays open", short,
			e.remainderCandidates(m, lines))
	}
}

// payerEvidence returns what the payer evidence takes off a reference's strength,
// the phrase for the explanation, and whether the payer is another, unrelated
// customer than the invoice's.
func (e *Engine) payerEvidence(m *match, r ref) (float64, string, bool) {
	pen, why, other := e.payerEvidenceBase(m, r)
	if r.via == viaFuzzy && m.py.cust != e.invs[r.inv].cust {
		pen += penaltyFuzzyRef
		why += "; a corrected reference needs the invoice's own customer as payer"
	}

	if m.py.how == PayerByFuzzyName {
		pen += penaltyFuzzyPayer
		why += fmt.Sprintf(" (similarity %.2f)", m.py.similarity)
	}

	return pen, why, other
}

func (e *Engine) payerEvidenceBase(m *match, r ref) (float64, string, bool) {
	ic := e.invs[r.inv].cust
	switch {
	case m.py.cust == ic:
		return 0, "payer identified by " + m.py.how, false
	case m.py.cust >= 0 && e.related(m.py.cust, ic):
		return penaltyRelatedPayer, fmt.Sprintf("payer %s identified by %s is related to "+
			"invoice customer %s", e.custs[m.py.cust].id, m.py.how, e.custs[ic].id), false
	case m.py.cust >= 0:
		return penaltyOtherPayer, fmt.Sprintf("payer %s identified by %s differs from invoice "+
			"customer %s; applied because reference and amount are exact",
			e.custs[m.py.cust].id, m.py.how, e.custs[ic].id), true
	default:
		return penaltyUnknownPayer, "payer not identified, customer " + e.custs[ic].id +
			" taken from the reference", false
	}
}

// holdWeakRef holds a payment one of whose lines rests on a reference too weak
// for its payer, and reports whether it did: the payer is not identified as the
// invoice's customer (nor a parent, child or sibling of it) and the reference is
// short (needOwner), or digits only and the payment does not close the invoices
// exactly (needExact). See "Reference strength" in the package documentation.
// An unidentified payer is held as ReasonUnknownPayer and no longer taken from
// the reference; another customer as ReasonPayerMismatch.
func (e *Engine) holdWeakRef(m *match, lines []line, apps []Application, rest,
	short int64) bool {
	for _, l := range lines {
		r := l.ref
		ic := e.invs[r.inv].cust
		exact := l.closes && l.disc == 0 && l.wo == 0 && rest == 0 && short == 0

		if r.bare && !exact {
			inv := &e.invs[r.inv]
			e.hold(m, ReasonLowConfidence, fmt.Sprintf("held: number %s in %s matches %s but "+
				"is not written as an invoice reference, and %s does not close it (open %s)",
				r.raw, r.source, inv.Number, e.format(m.amt, m.cur),
				e.format(inv.Open, inv.Currency)), m.amt, e.candidatesFromApps(apps, m))

			return true
		}

		if r.need == needNothing || e.payerMayOwn(m, ic) {
			continue
		}

		if r.need == needExact && exact {
			continue
		}

		inv := &e.invs[r.inv]
		sig, letters := refDigits(r.raw)
		shape := fmt.Sprintf("%d significant digits, not written as issued", sig)
		if !letters {
			shape = fmt.Sprintf("digits only, %d significant digits", sig)
		}

		weak := fmt.Sprintf("reference %s in %s (%s) is too short to name %s without its "+
			"customer as payer", r.raw, r.source, shape, inv.Number)
		if r.need == needExact {
			weak = fmt.Sprintf("reference %s in %s (%s) names %s only when the payment closes "+
				"it exactly; paid %s, open %s", r.raw, r.source, shape, inv.Number,
				e.format(m.amt, m.cur), e.format(inv.Open, inv.Currency))
		}

		reason, who := ReasonUnknownPayer, "payer not identified"
		switch {
		case m.py.cust >= 0:
			reason = ReasonPayerMismatch
			who = fmt.Sprintf("payer %s is not customer %s of %s", e.custs[m.py.cust].id,
				e.custs[ic].id, inv.Number)
		case m.p.PayerName != "":
			who = fmt.Sprintf("payer %q not identified", m.p.PayerName)
		}

		if m.py.cust < 0 {
			m.d.CustomerID, m.d.PayerMatch = "", ""
		}

		e.hold(m, reason, "held: "+who+", and "+weak, m.amt, e.candidatesFromApps(apps, m))

		return true
	}

	return false
}

// payerMayOwn reports whether the payer is customer c, or a parent, child or
// sibling of it, or may be c by its name: not identified, or identified by name
// alone, the payer was narrowed down to a few customers among whom is c, by its
// account or id (payer.several) or by its name, as an alias too or cut to the
// width of an ACH company name. A reference that needs its customer as payer may
// then be applied (see holdWeakRef): it picks one of the payer's possible selves.
func (e *Engine) payerMayOwn(m *match, c int32) bool {
	switch {
	case m.py.cust >= 0 && e.related(m.py.cust, c):
		return true
	case m.py.how == PayerByAccount || m.py.how == PayerByID:
		return false
	}

	if containsID(m.py.several, c) {
		return true
	}

	if name := NormalizeName(m.p.PayerName); name != "" {
		e.ids = e.byAlias.appendTo(e.byName.appendTo(e.ids[:0], name), name)
		if containsID(e.ids, c) {
			return true
		}
	}

	if k, ok := truncatedKey(m.p.PayerName, true); ok {
		e.ids = e.byTruncated.appendTo(e.ids[:0], k)
		if containsID(e.ids, c) {
			return true
		}
	}

	return false
}

// crossAllowed reports whether lines for another customer than the payer may be
// applied: the rule allows it, every reference is exact and every invoice closes
// with nothing left over.
func (e *Engine) crossAllowed(lines []line, rest, short int64) bool {
	if !e.rules.CrossCustomer || rest > 0 || short > 0 {
		return false
	}

	for _, l := range lines {
		if !l.ref.exact || !l.closes || l.disc > 0 {
			return false
		}
	}

	return true
}

func (e *Engine) otherCustomers(m *match, lines []line) string {
	var ids []string
	for _, l := range lines {
		c := e.invs[l.ref.inv].cust
		if e.related(m.py.cust, c) {
			continue
		}

		id := e.custs[c].id
		if !contains(ids, id) {
			ids = append(ids, id)
		}
	}

	return joinAnd(ids)
}

// refPhrase names the reference evidence for an invoice.
func refPhrase(number string, r ref) string {
	switch r.via {
	case viaPO:
		return fmt.Sprintf("PO %s of %s referenced in %s", r.raw, number, r.source)
	case viaSO:
		return fmt.Sprintf("sales order %s of %s referenced in %s", r.raw, number, r.source)
	case viaRF:
		return fmt.Sprintf("RF reference %s of %s in %s", r.raw, number, r.source)
	case viaFuzzy:
		return fmt.Sprintf("read %s in %s as %s", r.raw, r.source, number)
	case viaRange:
		return fmt.Sprintf("%s referenced in %s as part of %s", number, r.source, r.raw)
	case viaJoined:
		return fmt.Sprintf("%s referenced in %s as %s", number, r.source, r.raw)
	case viaLearned:
		return fmt.Sprintf("%s referenced as %s in %s, a format approved for %s on %s", number,
			r.raw, r.source, r.learned.customer, r.learned.approved.Format(dateLayout))
	case viaAmount:
		return number + " has no reference"
	case viaDigits:
		return fmt.Sprintf("number %s in %s matches %s", r.raw, r.source, number)
	default:
		return fmt.Sprintf("%s referenced in %s", number, r.source)
	}
}

// matchByAmount decides a payment without any known reference.
func (e *Engine) matchByAmount(m *match) {
	unknown := ""
	if len(m.refs.unknown) > 0 {
		unknown = "; reference " + joinAnd(firstN(m.refs.unknown, 3)) + " not found"
	}

	if m.py.cust < 0 {
		e.holdUnknownPayer(m, unknown)
		return
	}

	cid := e.custs[m.py.cust].id
	cur, ok := e.currencies[m.cur]
	if !ok || !e.payerHasOpen(m.py.cust, m.cur) {
		if other := e.payerOtherCurrencies(m.py.cust, m.cur); other != "" {
			msg := fmt.Sprintf("held: %s has open invoices only in %s, payment is in %s%s",
				cid, other, m.cur, unknown)
			e.hold(m, ReasonCurrency, msg, m.amt, e.otherCurrencyCandidates(m))
			return
		}

		e.hold(m, ReasonNoMatch, fmt.Sprintf("held: %s has no open invoice%s", cid, unknown),
			m.amt, nil)
		return
	}

	if e.rules.AmountOnly {
		key := amountKey{cust: m.py.cust, cur: cur, amount: m.amt}
		e.ids = e.byAmount.appendTo(e.ids[:0], key)
		exact := e.sortedByDue(e.ids)
		disc := e.discountedMatches(m, cur)
		tol := e.toleranceMatches(m)
		base := amountStrength(m.py.how)
		switch {
		case len(exact) > 0:
			m.alts = e.amountAlts(m, disc, base-2*penaltyDiscount, "discount")
			m.alts = append(m.alts, e.amountAlts(m, tol, base-penaltyWriteOff, "tolerance")...)
			e.amountMatch(m, exact, 0, unknown)
			return
		case len(disc) > 0:
			m.alts = e.amountAlts(m, tol, base-penaltyWriteOff, "tolerance")
			e.amountMatch(m, disc, 1, unknown)
			return
		case len(tol) > 0:
			e.amountMatch(m, tol, 2, unknown)
			return
		}

		if e.solveAmount(m, unknown) {
			return
		}
	}

	msg := fmt.Sprintf("held: no open invoice of %s fits %s%s",
		cid, e.format(m.amt, m.cur), unknown)
	e.hold(m, ReasonNoMatch, msg, m.amt, e.closestCandidates(m, m.py.cust, m.amt, nil))
}

func (e *Engine) holdUnknownPayer(m *match, unknown string) {
	who := "payer not identified"
	if m.p.PayerName != "" {
		who = fmt.Sprintf("payer %q not identified", m.p.PayerName)
	}

	if len(m.py.several) > 0 {
		ids := make([]string, 0, len(m.py.several))
		for _, c := range m.py.several {
			ids = append(ids, e.custs[c].id)
		}

		who = "payer matches " + joinAnd(ids)
	}

	cands := e.exactAmountCandidates(m, nil)
	msg := "held: " + who + " and no invoice reference" + unknown
	e.hold(m, ReasonUnknownPayer, msg, m.amt, cands)
}

// amountMatch applies the one invoice found by amount (tier 0: exact, tier 1:
// less its discount) or holds the tie.
func (e *Engine) amountMatch(m *match, ids []int32, tier int, unknown string) {
	amtS := e.format(m.amt, m.cur)
	if len(ids) > 1 {
		nums := make([]string, 0, len(ids))
		cands := make([]Candidate, 0, len(ids))
		why := "open for exactly the payment amount"
		switch tier {
		case 1:
			why = "open less its discount equals the payment amount"
		case 2:
			why = "open within tolerance of the payment amount"
		}

		for _, ii := range ids {
			nums = append(nums, e.invs[ii].Number)
			cands = append(cands, e.candidate(ii, 0.5, why))
		}

		both := "both"
		if len(nums) > 2 {
			both = "all"
		}

		msg := fmt.Sprintf("held: %s %s open for %s, no reference", joinAnd(nums), both, amtS)
		switch tier {
		case 1:
			msg = fmt.Sprintf("held: %s %s come to %s after discount, no reference",
				joinAnd(nums), both, amtS)
		case 2:
			msg = fmt.Sprintf("held: %s %s within tolerance of %s, no reference",
				joinAnd(nums), both, amtS)
		}

		e.hold(m, ReasonAmbiguous, msg+unknown, m.amt, cands)
		return
	}

	ii := ids[0]
	inv := e.invs[ii]
	ln := line{
		ref:   ref{inv: ii, strength: amountStrength(m.py.how), line: -1},
		apply: m.amt, rule: RuleAmountUnique, closes: true,
	}
	ln.why = fmt.Sprintf("no reference; the payer's only open invoice of %s", amtS)
	if tier == 2 {
		ln.wo = inv.Open - m.amt
		ln.rule, ln.penalty, ln.woWhy = RuleAmountTolerance, penaltyWriteOff, writeOffReason(ln.wo)
		ln.why = fmt.Sprintf("no reference; the payer's only open invoice within tolerance, "+
			"open %s less %s written off as %s", e.format(inv.Open, m.cur),
			e.format(ln.wo, m.cur), ln.woWhy)
	}

	if tier == 1 {
		ln.disc = inv.Open - m.amt
		ln.rule, ln.penalty = RuleAmountDiscount, 2*penaltyDiscount
		ln.why = fmt.Sprintf("no reference; the payer's only open invoice of %s less "+
			"discount %s allowed until %s", e.format(inv.Open, m.cur), e.format(ln.disc, m.cur),
			e.discountDeadline(inv).Format(dateLayout))
	}

	e.commitAmount(m, ln, unknown)
}

// amountStrength is the confidence of an amount-only match by how the payer was
// identified.
func amountStrength(how string) float64 {
	switch how {
	case PayerByAccount:
		return amountByAccount
	case PayerByID:
		return amountByID
	case PayerByName:
		return amountByName
	case PayerByFuzzyName:
		return amountByFuzzy
	default:
		return amountByAlias
	}
}

// commitAmount applies an amount-only line; its explanation has no reference part.
func (e *Engine) commitAmount(m *match, ln line, unknown string) {
	inv := e.invs[ln.ref.inv]
	conf := round3(ln.ref.strength - ln.penalty)
	app := Application{
		InvoiceNumber:  inv.Number,
		CustomerID:     e.custs[e.invs[ln.ref.inv].cust].id,
		Amount:         ln.apply,
		Discount:       ln.disc,
		WriteOff:       ln.wo,
		WriteOffReason: ln.woWhy,
		Rule:           ln.rule,
		Confidence:     conf,
		Explanation: fmt.Sprintf("%s %s; payer identified by %s%s", inv.Number, ln.why,
			m.py.how, unknown),
	}

	if conf < e.rules.MinConfidence {
		msg := fmt.Sprintf("held: confidence %.3f below %.3f: %s", conf, e.rules.MinConfidence,
			app.Explanation)
		e.hold(m, ReasonLowConfidence, msg, m.amt,
			[]Candidate{e.candidate(ln.ref.inv, conf, app.Explanation)})
		return
	}

	chosen := ScoredCandidate{Invoices: []string{inv.Number}, Score: conf,
		Features: e.lineFeatures(m, ln)}
	if e.holdMargin(m, chosen, m.alts) {
		return
	}

	m.chosenVal = chosen
	m.chosen = &m.chosenVal
	e.setOpen(ln.ref.inv, inv.Open-app.Amount-app.Discount-app.WriteOff)
	m.d.Applications = []Application{app}
}

// discountedMatches returns the payer's open invoices whose amount less an allowed
// discount equals the payment, give or take the tolerance, oldest due first.
func (e *Engine) discountedMatches(m *match, cur uint16) []int32 {
	tol := e.rules.DiscountTolerance
	var out []int32
	for a := m.amt - tol; a <= m.amt+tol; a++ {
		e.ids = e.byDiscounted.appendTo(e.ids[:0], amountKey{cust: m.py.cust, cur: cur, amount: a})
		for _, ii := range e.ids {
			inv := e.invs[ii]
			gap := inv.Open - m.amt
			if gap > 0 && e.discountOpen(inv, m.p.ValueDate) &&
				abs(gap-termsDiscount(inv)) <= tol && !containsID(out, ii) {
				out = append(out, ii)
			}
		}
	}

	return e.sortedByDue(out)
}

// Bounds of the multi-invoice search for payments without a reference.
const (
	solveMaxItems = 40    // the payer's open invoices in the currency, at most
	solveMaxNodes = 20000 // search budget per payment
	solveMaxPick  = 8     // invoices in one solution, at most
)

// solveAmount looks for the one set of two or more of the payer's open invoices
// in the payment's currency that the payment pays, with allowed early-payment
// discounts and within the currency's tolerance, and applies it
// (RuleAmountMulti). It does nothing, and reports false, when the payer has more
// open invoices than the search takes, when the search ran out of budget or when
// the set is not unique.
func (e *Engine) solveAmount(m *match, unknown string) bool {
	items := make([]SolveItem, 0, 8)
	for _, ii := range e.custInv[m.py.cust] {
		inv := &e.invs[ii]
		if inv.Open <= 0 || inv.Currency != m.cur {
			continue
		}

		if len(items) == solveMaxItems {
			return false
		}

		it := SolveItem{ID: ii, Amount: inv.Open}
		if d := termsDiscount(*inv); d > 0 && d < inv.Open &&
			e.discountOpen(*inv, m.p.ValueDate) {
			it.Discount = d
		}

		items = append(items, it)
	}

	if len(items) < 2 {
		return false
	}

	sol, unique, complete := Solve(m.amt, items, SolveOptions{
		Tolerance: e.rules.tolerance(m.cur, m.amt), MaxItems: solveMaxItems,
		MaxNodes: solveMaxNodes, MaxPick: solveMaxPick,
	})
	if !unique || !complete || len(sol.Picks) < 2 {
		return false
	}

	total := e.format(m.amt, m.cur)
	lines := make([]line, 0, len(sol.Picks))
	for i, ii := range sol.Picks {
		inv := &e.invs[ii]
		ln := line{
			ref: ref{inv: ii, strength: amountStrength(m.py.how) - penaltySolver, line: -1,
				via: viaAmount, kind: "none"},
			apply: inv.Open - sol.Discounts[i], disc: sol.Discounts[i],
			rule: RuleAmountMulti, closes: true,
		}
		ln.why = fmt.Sprintf("one of %d open invoices of the payer, the only set adding up "+
			"to %s", len(sol.Picks), total)
		if ln.disc > 0 {
			ln.penalty = penaltyDiscount
			ln.why += fmt.Sprintf(" after discount %s allowed until %s",
				e.format(ln.disc, m.cur), e.discountDeadline(*inv).Format(dateLayout))
		}

		lines = append(lines, ln)
	}

	rest := int64(0)
	last := &lines[len(lines)-1]
	switch {
	case sol.Residual < 0:
		last.wo = -sol.Residual
		last.apply -= last.wo
		last.woWhy, last.penalty = writeOffReason(last.wo), last.penalty+penaltyWriteOff
		last.why += fmt.Sprintf("; %s written off as %s", e.format(last.wo, m.cur), last.woWhy)
	case sol.Residual > 0:
		rest = sol.Residual
	}

	for i := range lines {
		lines[i].why += unknown
	}

	msg := ""
	if rest > 0 {
		msg = fmt.Sprintf("held: %s over the open invoices the payment was applied to",
			e.format(rest, m.cur))
	}

	e.commit(m, lines, rest, ReasonOverpayment, msg, 0, "")

	return true
}

// toleranceMatches returns the payer's open invoices the payment falls short of by
// at most the currency's tolerance, oldest due first. It looks only at the
// payer's own invoices.
func (e *Engine) toleranceMatches(m *match) []int32 {
	var out []int32
	for _, ii := range e.custInv[m.py.cust] {
		inv := &e.invs[ii]
		gap := inv.Open - m.amt
		if inv.Open > 0 && inv.Currency == m.cur && gap > 0 &&
			gap <= e.rules.tolerance(m.cur, inv.Open) {
			out = append(out, ii)
		}
	}

	return e.sortedByDue(out)
}

// amountAlts scores the invoices of a weaker amount tier as alternatives.
func (e *Engine) amountAlts(m *match, ids []int32, score float64,
	amount string) []ScoredCandidate {
	out := make([]ScoredCandidate, 0, len(ids))
	for _, ii := range ids {
		out = append(out, ScoredCandidate{
			Invoices: []string{e.invs[ii].Number},
			Features: Features{Reference: "none", Payer: m.py.how, Amount: amount,
				Currency: "same"},
			Score: round3(score),
		})
	}

	return out
}

func (e *Engine) payerHasOpen(c int32, cur string) bool {
	for _, ii := range e.custInv[c] {
		if e.invs[ii].Open > 0 && e.invs[ii].Currency == cur {
			return true
		}
	}

	return false
}

// payerOtherCurrencies lists the other currencies the payer has open invoices in.
func (e *Engine) payerOtherCurrencies(c int32, cur string) string {
	var curs []string
	for _, ii := range e.custInv[c] {
		inv := &e.invs[ii]
		if inv.Open > 0 && inv.Currency != cur && !contains(curs, inv.Currency) {
			curs = append(curs, inv.Currency)
		}
	}

	sort.Strings(curs)

	return joinAnd(curs)
}

// sortedByDue returns a copy of ids sorted by due date, then invoice number.
func (e *Engine) sortedByDue(ids []int32) []int32 {
	out := append([]int32(nil), ids...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := &e.invs[out[i]], &e.invs[out[j]]
		if !a.DueDate.Equal(b.DueDate) {
			return a.DueDate.Before(b.DueDate)
		}

		return a.Number < b.Number
	})

	return out
}

func round3(x float64) float64 {
	x = math.Round(x*1000) / 1000
	return math.Max(0, math.Min(1, x))
}

// joinAnd lists items as "A", "A and B" or "A, B and C".
func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	default:
		return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
	}
}

func firstN(items []string, n int) []string {
	if len(items) > n {
		return items[:n]
	}

	return items
}

func contains(items []string, s string) bool {
	for _, x := range items {
		if x == s {
			return true
		}
	}

	return false
}

func containsID(ids []int32, id int32) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}

	return false
}

const dateLayout = "2006-01-02"
