package xero

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/money"
)

// pageSize is how many invoices OpenInvoices asks for per page, Xero's default.
const pageSize = 100

// maxWalks bounds how often OpenInvoices restarts a walk whose result set
// changed under it.
const maxWalks = 3

// OpenInvoices returns every AUTHORISED sales invoice, that is every invoice
// with money still owed, with Open set from Xero's AmountDue and PONumber from
// its Reference.
//
// It pages through GET /Invoices 100 at a time, ordered by invoice number. If
// Xero reports a different item count part-way (an invoice was paid or raised
// during the walk, which shifts offset pages), the walk starts again, at most
// three times in all, so no invoice is skipped by a page shift.
func (c *Client) OpenInvoices(ctx context.Context) ([]billing.Invoice, error) {
	var (
		out    []billing.Invoice
		stable bool
		err    error
	)

	for walk := 1; walk <= maxWalks && !stable; walk++ {
		out, stable, err = c.walkOpen(ctx, walk == maxWalks)
		if err != nil {
			return nil, fmt.Errorf("read open invoices: %w", err)
		}
	}

	if !stable {
		c.log.WarnContext(ctx, "xero: open invoices changed during every walk",
			"walks", maxWalks, "invoices", len(out))
	}

	return out, nil
}

// walkOpen reads all pages once. stable is false when the reported item count
// changed between pages; the walk then stops early unless it is the last one,
// which reads on to the end and drops repeats.
func (c *Client) walkOpen(ctx context.Context, last bool) ([]billing.Invoice, bool, error) {
	var out []billing.Invoice
	seen := map[string]bool{}
	itemCount := -1
	stable := true

	for page := 1; ; page++ {
		q := url.Values{
			"where":    {`Type=="ACCREC" AND Status=="AUTHORISED"`},
			"order":    {"InvoiceNumber ASC"},
			"page":     {strconv.Itoa(page)},
			"pageSize": {strconv.Itoa(pageSize)},
		}

		resp, err := c.do(ctx, call{op: "list_invoices", method: "GET",
			path: "/Invoices?" + q.Encode()})
		if err != nil {
			return nil, false, err
		}

		var env envelope
		if err := json.Unmarshal(resp.body, &env); err != nil {
			return nil, false, fmt.Errorf("decode page %d: %w", page, err)
		}

		if env.Pagination != nil {
			if itemCount >= 0 && env.Pagination.ItemCount != itemCount {
				stable = false
				if !last {
					return nil, false, nil
				}
			}

			itemCount = env.Pagination.ItemCount
		}

		for _, xi := range env.Invoices {
			if seen[xi.InvoiceID] || xi.Status != "AUTHORISED" || xi.Type != "ACCREC" {
				continue
			}

			inv, err := toInvoice(xi)
			if err != nil {
				return nil, false, err
			}

			seen[xi.InvoiceID] = true
			out = append(out, inv)
		}

		if len(env.Invoices) < pageSize ||
			(env.Pagination != nil && page >= env.Pagination.PageCount) {
			return out, stable, nil
		}
	}
}

// toInvoice maps a Xero invoice to o2c's. The customer id is the contact's
// ContactNumber (o2c's own id, set on create) or else Xero's ContactID. The
// Reference is the customer's purchase-order number, as CreateInvoice sends it
// and as people typing invoices in Xero use it.
func toInvoice(xi xInvoice) (billing.Invoice, error) {
	currency := strings.ToUpper(xi.CurrencyCode)

	exp, err := money.Exponent(currency)
	if err != nil {
		return billing.Invoice{}, fmt.Errorf("map invoice %s: %w", xi.InvoiceNumber, err)
	}

	total, err := parseAmount(xi.Total, exp)
	if err != nil {
		return billing.Invoice{}, fmt.Errorf("map invoice %s total: %w", xi.InvoiceNumber, err)
	}

	due, err := parseAmount(xi.AmountDue, exp)
	if err != nil {
		return billing.Invoice{}, fmt.Errorf("map invoice %s amount due: %w",
			xi.InvoiceNumber, err)
	}

	issued, err := pickDate(xi.DateString, xi.Date)
	if err != nil {
		return billing.Invoice{}, fmt.Errorf("map invoice %s: %w", xi.InvoiceNumber, err)
	}

	dueDate, err := pickDate(xi.DueDateString, xi.DueDate)
	if err != nil {
		return billing.Invoice{}, fmt.Errorf("map invoice %s: %w", xi.InvoiceNumber, err)
	}

	inv := billing.Invoice{
		Number:    xi.InvoiceNumber,
		ERPID:     xi.InvoiceID,
		Currency:  currency,
		Total:     total,
		Open:      due,
		IssueDate: issued,
		DueDate:   dueDate,
		PONumber:  strings.TrimSpace(xi.Reference),
	}

	if xi.Contact != nil {
		inv.CustomerID = xi.Contact.ContactNumber
		if inv.CustomerID == "" {
			inv.CustomerID = xi.Contact.ContactID
		}

		inv.CustomerName = xi.Contact.Name
	}

	return inv, nil
}
