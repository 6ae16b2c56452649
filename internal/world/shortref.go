package world

import (
	"math/rand/v2"
	"strings"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

// KindShortRefUnknownPayer comes from a company that is no customer, from an
// account nobody knows, and names an open invoice by a short number: its
// digits without our prefix and with at most four significant digits, after
// a keyword or not ("invoice 31", "Payment for invoice 0031", "INV 31", or a
// structured line "31"). Half of them pay the invoice's open amount exactly,
// the others part of it. Must not apply: any of thousands of payers could
// write "invoice 31" meaning their own numbering. The invoice is not paid by
// another payment.
const KindShortRefUnknownPayer = "short_ref_unknown_payer"

// maxShortDigits is the most significant digits a short reference has.
const maxShortDigits = 4

// shortRefs is the pool of KindShortRefUnknownPayer: open invoices whose number
// ends in at most maxShortDigits significant digits, drawn on a stream of its
// own so the other kinds draw as before.
type shortRefs struct {
	r    *rand.Rand
	pool []int32
}

func (p *payRun) shortRefPool() *shortRefs {
	n := p.noise
	if n.short != nil {
		return n.short
	}

	s := &shortRefs{r: newRand(p.cfg.Seed, streamShortRef)}
	for _, i := range p.general {
		_, d := numParts(p.invs[i].Number)
		if sig := strings.TrimLeft(d, "0"); sig != "" && len(sig) <= maxShortDigits {
			s.pool = append(s.pool, i)
		}
	}

	s.r.Shuffle(len(s.pool), func(a, b int) { s.pool[a], s.pool[b] = s.pool[b], s.pool[a] })
	n.short = s

	return s
}

// shortRefUnknownPayer makes a KindShortRefUnknownPayer payment, or reports
// false when no invoice with a short number is left.
func (p *payRun) shortRefUnknownPayer() (Payment, bool) {
	s := p.shortRefPool()
	i := p.next(&s.pool)
	if i < 0 {
		return Payment{}, false
	}

	inv := p.invs[i]
	iban := isIBANCurrency(inv.Currency)
	pm := Payment{
		Kind: KindShortRefUnknownPayer, ValueDate: p.cfg.ValueDate, MustNotApply: true,
		PayerName: p.strangerName(iban), PayerAccount: newAccount(s.r, iban),
		Amount: inv.OpenAmount(),
	}
	pm.PayerID = payerID(pm.PayerAccount, pm.PayerName+inv.Number)
	pm.EndToEndID = p.endToEnd(pm.PayerAccount)
	pm.Trace = p.trace(pm.PayerAccount)

	if s.r.IntN(2) == 0 {
		if part := partialAmount(s.r, inv); part > 0 {
			pm.Amount.Minor = part
		}
	}

	_, d := numParts(inv.Number)
	short := strings.TrimLeft(d, "0")
	switch s.r.IntN(5) {
	case 0:
		pm.Remittance = "invoice " + short
	case 1:
		pm.Remittance = "Payment for invoice " + d
	case 2:
		pm.Remittance = "INV " + short
	case 3:
		pm.Remittance = "Inv. " + short + " thank you"
	default:
		pm.Remits = []bankfile.Remit{{Ref: short, RefType: "IV", Paid: pm.Amount.Minor}}
	}

	return pm, true
}
