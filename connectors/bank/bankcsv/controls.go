package bankcsv

import (
	"fmt"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

// move is one row's effect on the running balance.
type move struct {
	line    int
	ccy     string
	net     int64 // signed movement: amount plus fee
	balance int64
	has     bool // the row states a balance
}

// balanceMove records the row's movement and stated balance for the
// running-balance check. Rows not yet booked are included: exports that carry
// a running balance (PayPal) let them move it.
func (r *reader) balanceMove(c *rowCtx, net int64) {
	if !r.lay.has(roleBalance) {
		return
	}

	m := move{line: c.rec.line, ccy: c.ccy, net: net}

	if b, ok := r.parseCell(c, roleBalance); ok {
		m.balance, m.has = b.minor, true
		if b.neg {
			m.balance = -m.balance
		}
	}

	r.moves = append(r.moves, m)
}

// finish runs the running-balance check and sets the file-level account and
// currency. Each currency's rows must chain, in file order (oldest first) or
// reverse order (newest first): previous balance + movement = balance. A break
// is reported as a warning with ControlsMismatch, not a rejection: a CSV
// balance column is informational and banks compute it in different ways.
func (r *reader) finish() {
	r.file.Account, r.file.Currency = r.common()

	byCcy := map[string][]move{}
	var order []string

	for _, m := range r.moves {
		if _, seen := byCcy[m.ccy]; !seen {
			order = append(order, m.ccy)
		}

		byCcy[m.ccy] = append(byCcy[m.ccy], m)
	}

	checked := false

	for _, ccy := range order {
		ms := byCcy[ccy]
		if len(ms) < 2 || !allHave(ms) {
			continue
		}

		if chains(ms, false) || chains(ms, true) {
			checked = true
			continue
		}

		exp, _ := money.Exponent(ccy)
		i := breakAt(ms)
		r.warn(ms[i].line, "balance", money.FormatMinor(ms[i].balance, exp), fmt.Sprintf(
			"running balance does not follow from the amounts (%s %s + %s)",
			money.FormatMinor(ms[i-1].balance, exp), ccy, money.FormatMinor(ms[i].net, exp)))
		r.file.Controls = bankfile.ControlsMismatch

		return
	}

	if checked {
		r.file.Controls = bankfile.ControlsOK
	}
}

func allHave(ms []move) bool {
	for _, m := range ms {
		if !m.has {
			return false
		}
	}

	return true
}

// chains reports whether balances follow from movements, oldest first, or
// newest first when reverse is set.
func chains(ms []move, reverse bool) bool {
	for i := 1; i < len(ms); i++ {
		prev, cur := ms[i-1], ms[i]
		if reverse {
			if cur.balance+prev.net != prev.balance {
				return false
			}

			continue
		}

		if prev.balance+cur.net != cur.balance {
			return false
		}
	}

	return true
}

// breakAt returns the first row where the oldest-first chain breaks.
func breakAt(ms []move) int {
	for i := 1; i < len(ms); i++ {
		if ms[i-1].balance+ms[i].net != ms[i].balance {
			return i
		}
	}

	return len(ms) - 1
}

// common returns the account and currency shared by every transaction.
func (r *reader) common() (account, currency string) {
	for i, t := range r.file.Transactions {
		if i == 0 {
			account, currency = t.Account, t.Amount.Currency
			continue
		}

		if t.Account != account {
			account = ""
		}

		if t.Amount.Currency != currency {
			currency = ""
		}
	}

	if len(r.file.Transactions) == 0 {
		account, currency = firstOf(r.opts.Account, r.account), r.currency
	}

	return account, currency
}
