package world

import (
	"fmt"
	"strconv"

	"github.com/o2c-dev/o2c/internal/billing"
)

// InvoicesFor raises one invoice per deal of w, in deal order, numbered
// "INV-%06d" from firstNumber. Total and Open are the deal amount; the issue
// date is the close day or up to two days later and the due date 30 days after
// it. About a quarter of the invoices carry early-payment terms (mostly 2/10
// net 30, some 1.5/10) and 40 % a customer PO number. The choices depend only
// on the world's seed and the deal's position.
func InvoicesFor(w *World, firstNumber int) []billing.Invoice {
	out := make([]billing.Invoice, len(w.Deals))
	for i, d := range w.Deals {
		h := mix(w.Config.Seed, 0x1A7, uint64(i))
		issue := midnight(d.CloseDate).AddDate(0, 0, int(h%3))
		inv := billing.Invoice{
			Number:       fmt.Sprintf("INV-%06d", firstNumber+i),
			CustomerID:   d.CompanyID,
			CustomerName: d.CompanyName,
			Currency:     d.Amount.Currency,
			Total:        d.Amount.Minor,
			Open:         d.Amount.Minor,
			IssueDate:    issue,
			DueDate:      issue.AddDate(0, 0, 30),
			DealID:       d.CRMID,
		}

		switch terms := (h >> 8) % 100; {
		case terms < 20:
			inv.DiscountBasisPoints, inv.DiscountDays = 200, 10
		case terms < 25:
			inv.DiscountBasisPoints, inv.DiscountDays = 150, 10
		}

		switch po := (h >> 16) % 100; {
		case po < 25:
			inv.PONumber = "PO-" + strconv.FormatUint(10000+(h>>24)%90000, 10)
		case po < 40:
			inv.PONumber = "4500" + fmt.Sprintf("%06d", (h>>24)%1000000)
		}

		out[i] = inv
	}

	return out
}
