package csvfile

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/money"
)

// InvoiceColumns are the columns of invoices.csv, in their usual order.
var InvoiceColumns = []string{
	"invoice_number", "customer_id", "customer_name", "currency", "total", "open_amount",
	"issue_date", "due_date", "discount_percent", "discount_days", "po_number",
}

// ReadInvoices reads an invoices.csv file named name (the name is used in errors
// only). Every bad row is reported in the returned error, which joins one
// *RowError per problem; invoices are returned only when there is none. Invoice
// numbers must be unique, amounts must not be negative, the open amount must not
// exceed the total and the due date must not precede the issue date.
func ReadInvoices(name string, r io.Reader) ([]billing.Invoice, error) {
	t, err := openTable(name, r, InvoiceColumns)
	if err != nil {
		return nil, err
	}

	var out []billing.Invoice
	seen := make(map[string]int)
	for {
		ok, err := t.next()
		if err != nil {
			return nil, err
		}

		if !ok {
			break
		}

		inv, ok := t.invoice()
		if !ok {
			continue
		}

		if first, dup := seen[inv.Number]; dup {
			err := fmt.Errorf("%w invoice number %q, first on line %d",
				ErrDuplicate, inv.Number, first)
			t.fail(t.line, "invoice_number", inv.Number, err)
			continue
		}

		seen[inv.Number] = t.line
		out = append(out, inv)
	}

	if err := t.err(); err != nil {
		return nil, err
	}

	return out, nil
}

// invoice parses the current row, recording every problem in it.
func (t *table) invoice() (billing.Invoice, bool) {
	before := len(t.errs) + t.more
	inv := billing.Invoice{CustomerName: t.get("customer_name"), PONumber: t.get("po_number")}
	inv.Number, _ = t.required("invoice_number")
	inv.CustomerID, _ = t.required("customer_id")

	cur, ok := t.required("currency")
	if ok {
		if up := strings.ToUpper(cur); money.ValidCurrency(up) {
			inv.Currency = up
		} else {
			t.fail(t.line, "currency", cur, fmt.Errorf("%w %q", money.ErrCurrency, cur))
		}
	}

	var totalOK, openOK bool
	if inv.Currency != "" {
		inv.Total, totalOK = t.amount("total", inv.Currency)
		inv.Open, openOK = t.amount("open_amount", inv.Currency)
	}

	if totalOK && openOK && inv.Open > inv.Total {
		t.fail(t.line, "open_amount", t.get("open_amount"), fmt.Errorf("%w: open amount %s "+
			"exceeds total %s", ErrRange, t.get("open_amount"), t.get("total")))
	}

	var issueOK, dueOK bool
	inv.IssueDate, issueOK = t.date("issue_date")
	inv.DueDate, dueOK = t.date("due_date")
	if issueOK && dueOK && inv.DueDate.Before(inv.IssueDate) {
		t.fail(t.line, "due_date", t.get("due_date"), fmt.Errorf("%w: due date %s before "+
			"issue date %s", ErrRange, t.get("due_date"), t.get("issue_date")))
	}

	inv.DiscountBasisPoints, inv.DiscountDays = t.discount()

	return inv, len(t.errs)+t.more == before
}

// amount parses a required non-negative amount of currency in column c.
func (t *table) amount(c, currency string) (int64, bool) {
	v, ok := t.required(c)
	if !ok {
		return 0, false
	}

	a, err := money.Parse(v, currency)
	if err != nil {
		t.fail(t.line, c, v, fmt.Errorf("%w %q for %s", money.ErrAmount, v, currency))
		return 0, false
	}

	if a.Minor < 0 {
		t.fail(t.line, c, v, fmt.Errorf("%w: negative amount %q", ErrRange, v))
		return 0, false
	}

	return a.Minor, true
}

// date parses a required YYYY-MM-DD date in column c as UTC midnight.
func (t *table) date(c string) (time.Time, bool) {
	v, ok := t.required(c)
	if !ok {
		return time.Time{}, false
	}

	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		t.fail(t.line, c, v, fmt.Errorf("%w %q, want YYYY-MM-DD", ErrDate, v))
		return time.Time{}, false
	}

	return d, true
}

// discount parses discount_percent into basis points and discount_days. Both are
// empty, or the percentage is above 0 and below 100 with at most two decimals and
// the days a whole number of at least 0.
func (t *table) discount() (int, int) {
	pv, dv := t.get("discount_percent"), t.get("discount_days")
	if pv == "" && dv == "" {
		return 0, 0
	}

	if pv == "" {
		t.fail(t.line, "discount_percent", "", fmt.Errorf("%w: discount_days is set",
			ErrMissing))
		return 0, 0
	}

	if dv == "" {
		t.fail(t.line, "discount_days", "", fmt.Errorf("%w: discount_percent is set",
			ErrMissing))
		return 0, 0
	}

	bp, err := money.ParseMinor(strings.TrimSuffix(pv, "%"), 2)
	switch {
	case err != nil:
		t.fail(t.line, "discount_percent", pv, fmt.Errorf("%w %q, want a percentage such "+
			"as 2 or 1.5", ErrNumber, pv))
		bp = 0
	case bp <= 0 || bp >= 10000:
		t.fail(t.line, "discount_percent", pv, fmt.Errorf("%w: discount %q must be above 0 "+
			"and below 100", ErrRange, pv))
		bp = 0
	}

	days, err := strconv.Atoi(dv)
	switch {
	case err != nil:
		t.fail(t.line, "discount_days", dv, fmt.Errorf("%w %q, want whole days", ErrNumber, dv))
	case days < 0 || days > 3660:
		t.fail(t.line, "discount_days", dv, fmt.Errorf("%w: %d days", ErrRange, days))
	}

	return int(bp), days
}
