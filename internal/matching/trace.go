package matching

import (
	"strings"
)

// amountFeature names the amount fit of a planned line for the trace.
func amountFeature(l line) string {
	switch l.rule {
	case RuleReferenceExact, RuleAmountUnique:
		return "exact"
	case RuleReferenceDiscount, RuleAmountDiscount:
		return "discount"
	case RuleReferenceTolerance, RuleAmountTolerance:
		return "tolerance"
	case RuleReferenceDeduction:
		return "deduction"
	case RuleReferenceOverpaid:
		return "over"
	case RuleReferenceMulti, RuleAmountMulti:
		return "sum"
	case RuleReferencePartial:
		if l.ref.stated {
			return "stated"
		}

		return "partial"
	default:
		return l.rule
	}
}

// payerFeature names how the payer relates to customer c for the trace.
func (e *Engine) payerFeature(m *match, c int32) string {
	switch {
	case m.py.cust < 0:
		return "unknown"
	case m.py.cust == c:
		return m.py.how
	case e.related(m.py.cust, c):
		return "related"
	default:
		return "other"
	}
}

// lineFeatures are the features of one planned line.
func (e *Engine) lineFeatures(m *match, l line) Features {
	f := Features{
		Reference: l.ref.kind,
		Payer:     e.payerFeature(m, e.invs[l.ref.inv].cust),
		Amount:    amountFeature(l),
		Currency:  "same",
	}
	if f.Reference == "" {
		f.Reference = "none"
	}

	if l.disc > 0 {
		f.Date = "in_window"
	}

	if l.ref.via == viaFuzzy {
		f.Raw, f.Corrected = l.ref.raw, e.invs[l.ref.inv].Number
	}

	return f
}

// chosenFrom builds the scored candidate of the lines about to be applied: its
// features are those of the weakest line, its score the lowest confidence.
func (e *Engine) chosenFrom(m *match, lines []line, apps []Application) ScoredCandidate {
	sc := ScoredCandidate{Invoices: make([]string, 0, len(apps)), Score: 2}
	weakest := 0
	for i, a := range apps {
		sc.Invoices = append(sc.Invoices, a.InvoiceNumber)
		if a.Confidence < sc.Score {
			sc.Score, weakest = a.Confidence, i
		}
	}

	sc.Features = e.lineFeatures(m, lines[weakest])
	if len(lines) > 1 && sc.Features.Amount == "exact" {
		sc.Features.Amount = "sum"
	}

	return sc
}

// otherFits returns the identified payer's open invoices, not among skip, that
// the payment would close exactly without any reference: candidates a referenced
// invoice must beat by the margin. They score strengthOtherRef.
func (e *Engine) otherFits(m *match, skip []line) []ScoredCandidate {
	if m.py.cust < 0 {
		return nil
	}

	cur, ok := e.currencies[m.cur]
	if !ok {
		return nil
	}

	e.ids = e.byAmount.appendTo(e.ids[:0], amountKey{cust: m.py.cust, cur: cur, amount: m.amt})
	var out []ScoredCandidate
	for _, ii := range e.ids {
		taken := false
		for _, l := range skip {
			taken = taken || l.ref.inv == ii
		}

		if !taken {
			out = append(out, ScoredCandidate{
				Invoices: []string{e.invs[ii].Number},
				Features: Features{Reference: "other", Payer: m.py.how, Amount: "exact",
					Currency: "same"},
				Score: strengthOtherRef,
			})
		}
	}

	return out
}

// finishTrace fills the decision's trace once the decision is made.
func (e *Engine) finishTrace(m *match) {
	t := &m.d.Trace
	t.RulesVersion = RulesVersion
	t.Chosen = -1
	n := len(m.alts)
	if m.chosen != nil {
		n++
	} else if x := m.d.Exception; x != nil {
		n += len(x.Candidates)
	}

	if n > 0 && t.Candidates == nil {
		t.Candidates = make([]ScoredCandidate, 0, n)
	}

	if m.chosen != nil {
		t.Candidates = append(t.Candidates, *m.chosen)
		t.Chosen = 0
		t.Rule = m.d.Applications[0].Rule
	} else if x := m.d.Exception; x != nil {
		for _, c := range x.Candidates {
			t.Candidates = append(t.Candidates, e.candidateTrace(m, c))
		}
	}

	t.Candidates = append(t.Candidates, m.alts...)
	t.Margin = 1
	if len(t.Candidates) > 1 {
		ru := t.Candidates[1]
		t.RunnerUp = &ru
		t.Margin = round3(t.Candidates[0].Score - ru.Score)
	}

	t.Sentence = e.sentence(m)
}

// candidateTrace describes an exception candidate in the trace.
func (e *Engine) candidateTrace(m *match, c Candidate) ScoredCandidate {
	f := Features{Reference: "none", Currency: "same", Payer: "unknown"}
	ii := e.findInvoice(c.InvoiceNumber, c.CustomerID)
	inv := &e.invs[ii]
	for _, r := range m.refs.list {
		if r.inv == ii {
			f.Reference = r.kind
			if r.via == viaFuzzy {
				f.Raw, f.Corrected = r.raw, inv.Number
			}
		}
	}

	if containsID(m.refs.ambiguous, ii) {
		f.Reference = "ambiguous"
	}

	f.Payer = e.payerFeature(m, inv.cust)
	if inv.Currency != m.cur {
		f.Currency = "other"
	}

	switch {
	case inv.Open == 0:
		f.Amount = "paid"
	case inv.Open == m.amt:
		f.Amount = "exact"
	case inv.Open > m.amt:
		f.Amount = "partial"
	default:
		f.Amount = "over"
	}

	return ScoredCandidate{Invoices: []string{c.InvoiceNumber}, Features: f, Score: c.Score}
}

// sentence is the plain sentence of a decision.
func (e *Engine) sentence(m *match) string {
	d := &m.d
	if len(d.Applications) == 0 {
		if d.Exception != nil {
			return d.Exception.Message
		}

		return ""
	}

	var nums, why string
	if len(d.Applications) == 1 {
		nums, why = d.Applications[0].InvoiceNumber, d.Applications[0].Explanation
	} else {
		list := make([]string, 0, len(d.Applications))
		var disc, wo int64
		for _, a := range d.Applications {
			list = append(list, a.InvoiceNumber)
			disc += a.Discount
			wo += a.WriteOff
		}

		nums = joinAnd(list)
		why = "all referenced, amounts add up"
		if m.chosen != nil && m.chosen.Features.Reference == "none" {
			why = "no reference, the only set of the payer's open invoices adding up"
		}

		if disc > 0 {
			why += " less discount " + e.format(disc, m.cur)
		}

		if wo > 0 {
			why += " less " + e.format(wo, m.cur) + " written off"
		}
	}

	s := "applied to " + nums + ": " + why
	if d.Exception != nil {
		s += "; " + strings.TrimPrefix(d.Exception.Message, "held: ")
	}

	return s
}
