package bank

import (
	"errors"
	"io"
	"slices"
	"sort"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

// Report is what Inspect found in one bank file: what treasury checks before
// handing a file over. Amounts are decimal strings in their currency.
type Report struct {
	File         string            `json:"file"`
	Format       bankfile.Format   `json:"format"`
	Encoding     string            `json:"encoding"`
	Accounts     []string          `json:"accounts"`
	Currency     string            `json:"currency"`
	Transactions int               `json:"transactions"`
	Credits      Tally             `json:"credits"`
	Debits       Tally             `json:"debits"`
	Controls     bankfile.Controls `json:"controls"`
	// Profile names the bank profile a CSV export was read with, or describes
	// the one guessed when none matched.
	Profile  string             `json:"profile,omitempty"`
	Errors   []bankfile.Problem `json:"errors"`
	Warnings []bankfile.Problem `json:"warnings"`
	// Rejected is true when o2c would refuse the file.
	Rejected bool `json:"rejected"`
	// ByCurrency has the tallies per currency when the file holds several.
	ByCurrency map[string]Sides `json:"by_currency,omitempty"`
}

// Tally is a count of transactions and their total.
type Tally struct {
	Count int    `json:"count"`
	Total string `json:"total"`
}

// Sides are the credit and debit tallies of one currency.
type Sides struct {
	Credits Tally `json:"credits"`
	Debits  Tally `json:"debits"`
}

// Inspect reads the bank file on r as Scan does, in bounded memory, and reports
// on it. It never fails: a file that cannot be read is a report with errors.
func Inspect(name string, r io.Reader) Report {
	return std.Inspect(name, r)
}

// Inspect is bank.Inspect with the reader's settings.
func (rd *Reader) Inspect(name string, r io.Reader) Report {
	rep := Report{File: name, Format: bankfile.FormatUnknown, Controls: bankfile.ControlsNone,
		Accounts: []string{}, Errors: []bankfile.Problem{}, Warnings: []bankfile.Problem{}}

	type sums struct {
		credits, debits int64
		nc, nd          int
	}

	totals := map[string]*sums{}
	accounts := map[string]bool{}

	f, n, err := rd.Scan(name, r, func(t bankfile.Transaction) error {
		s := totals[t.Amount.Currency]
		if s == nil {
			s = &sums{}
			totals[t.Amount.Currency] = s
		}

		if t.Direction == bankfile.Debit {
			s.debits += t.Amount.Minor
			s.nd++
		} else {
			s.credits += t.Amount.Minor
			s.nc++
		}

		if t.Account != "" {
			accounts[t.Account] = true
		}

		return nil
	})

	if err != nil {
		rep.Rejected = true

		var be *bankfile.Error
		if !errors.As(err, &be) {
			rep.Errors = append(rep.Errors, bankfile.Problem{File: name, Message: err.Error()})
			return rep
		}

		rep.Errors = append(rep.Errors, be.Problems...)
		if be.Format != "" {
			rep.Format = be.Format
		}

		if be.Controls != "" {
			rep.Controls = be.Controls
		}

		rep.Profile = be.Profile

		return rep
	}

	rep.Format, rep.Encoding, rep.Transactions = f.Format, f.Encoding, n
	rep.Profile = f.Profile
	if f.Controls != "" {
		rep.Controls = f.Controls
	}

	rep.Warnings = append(rep.Warnings, f.Warnings...)

	if f.Account != "" {
		accounts[f.Account] = true
	}

	for a := range accounts {
		rep.Accounts = append(rep.Accounts, a)
	}

	sort.Strings(rep.Accounts)

	currencies := make([]string, 0, len(totals))
	for c := range totals {
		currencies = append(currencies, c)
	}

	slices.Sort(currencies)

	tally := func(count int, minor int64, cur string) Tally {
		return Tally{Count: count, Total: money.New(minor, cur).Decimal()}
	}

	switch len(currencies) {
	case 0:
		rep.Currency = f.Currency
		rep.Credits, rep.Debits = tally(0, 0, f.Currency), tally(0, 0, f.Currency)
	case 1:
		c, s := currencies[0], totals[currencies[0]]
		rep.Currency = c
		rep.Credits, rep.Debits = tally(s.nc, s.credits, c), tally(s.nd, s.debits, c)
	default:
		rep.Currency = "mixed"
		rep.ByCurrency = map[string]Sides{}

		for _, c := range currencies {
			s := totals[c]
			rep.Credits.Count += s.nc
			rep.Debits.Count += s.nd
			rep.ByCurrency[c] = Sides{Credits: tally(s.nc, s.credits, c),
				Debits: tally(s.nd, s.debits, c)}
		}
	}

	return rep
}
