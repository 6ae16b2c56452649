package bankcsv

import (
	"fmt"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

// move is one row's effect on the running balance.
type move struct {
	line    int
	net     int64 // signed movement: amount plus fee
	balance int64
}

// chain is the running-balance check of one currency, kept as the rows pass:
// whether every row states a balance and whether the balances follow from the
// movements oldest first (forward) or newest first (reverse).
type chain struct {
	n        int
	all      bool
	forward  bool
	reverse  bool
	last     move
	broken   bool
	brk      move // first row where the forward chain breaks
	brkPrev  move
	currency string
}

// balances are the chains per currency, in the order the currencies appear.
type balances struct {
	byCcy map[string]*chain
	order []*chain
}

// balanceMove records the row's movement and stated balance for the
// running-balance check. Rows not yet booked are included: exports that carry
// a running balance (PayPal) let them move it.
func (s *scan) balanceMove(c *rowCtx, net int64) {
	if !s.lay.has(roleBalance) || s.set.balance == checkOff {
		return
	}

	b := &s.balances
	ch := b.byCcy[c.ccy]

	if ch == nil {
		if b.byCcy == nil {
			b.byCcy = map[string]*chain{}
		}

		ch = &chain{all: true, forward: true, reverse: true, currency: c.ccy}
		b.byCcy[c.ccy] = ch
		b.order = append(b.order, ch)
	}

	bal, ok := s.parseCell(c, roleBalance)
	if !ok {
		ch.all = false
		return
	}

	m := move{line: c.rec.line, net: net, balance: bal.minor}
	if bal.neg {
		m.balance = -m.balance
	}

	if ch.n > 0 {
		prev := ch.last
		if prev.balance+m.net != m.balance {
			ch.forward = false
			if !ch.broken {
				ch.broken, ch.brk, ch.brkPrev = true, m, prev
			}
		}

		if m.balance+prev.net != prev.balance {
			ch.reverse = false
		}
	}

	ch.n++
	ch.last = m
}

// finishBalances reports the running-balance check. Each currency's rows must
// chain, in file order (oldest first) or reverse order (newest first):
// previous balance + movement = balance. By default a break is a warning with
// ControlsMismatch, not a rejection: a CSV balance column is informational and
// banks compute it in different ways; a profile may make it a rejection.
func (s *scan) finishBalances() {
	checked := false

	for _, ch := range s.balances.order {
		if ch.n < 2 || !ch.all {
			continue
		}

		if ch.forward || ch.reverse {
			checked = true
			continue
		}

		exp, _ := money.Exponent(ch.currency)
		msg := fmt.Sprintf("running balance does not follow from the amounts (%s %s + %s)",
			money.FormatMinor(ch.brkPrev.balance, exp), ch.currency,
			money.FormatMinor(ch.brk.net, exp))
		value := money.FormatMinor(ch.brk.balance, exp)

		if s.set.balance == checkReject {
			s.fail(ch.brk.line, "balance", value, msg)
		} else {
			s.warn(ch.brk.line, "balance", value, msg)
		}

		s.file.Controls = bankfile.ControlsMismatch

		return
	}

	if checked {
		s.file.Controls = bankfile.ControlsOK
	}
}
