package bankfile

import (
	"time"

	"github.com/o2c-dev/o2c/internal/money"
)

// Balance is one figure a bank file states for an account rather than a
// transaction: a balance (opening or closing ledger, available, float) or a
// summary total (total credits with their item count). BAI2 03 summaries are
// balances; so are MT940 :60F:/:62F: and camt Bal elements.
type Balance struct {
	// Account the figure is stated for.
	Account string `json:"account"`

	// The format's own code for the figure: a BAI2 type code ("010", "015",
	// "100"), an MT940 tag ("60F", "62F") or a camt balance type ("OPBD").
	Code string `json:"code"`

	// What the code means ("opening ledger"), empty when the reader does not know.
	Name string `json:"name,omitempty"`

	// Signed amount: a negative balance is an overdraft.
	Amount money.Amount `json:"amount"`

	// Number of items a summary total counts; zero when not stated.
	ItemCount int `json:"item_count,omitempty"`

	// Date the figure is stated for (UTC midnight), zero if absent.
	Date time.Time `json:"date,omitzero"`

	// 1-based line where the figure is stated, 0 if unknown.
	Line int `json:"line,omitempty"`
}
