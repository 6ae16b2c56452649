package xero

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strconv"
	"strings"

	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/money"
)

// maxKey is Xero's limit on Idempotency-Key length.
const maxKey = 128

// CreateInvoice creates inv in Xero as an AUTHORISED sales invoice (ACCREC)
// under inv.Number and returns Xero's InvoiceID.
//
// The invoice carries Reference = inv.PONumber, empty when it has none: Xero
// prints an ACCREC invoice's Reference for the customer, the usual place for
// their purchase-order number, and OpenInvoices reads it back. It also carries
// a contact found or created by name with ContactNumber = inv.CustomerID,
// LineAmountTypes NoTax (so Xero's total is exactly the sum of the lines) and
// one line per item, each booked to Config.SalesAccountCode. With no lines, one
// line of inv.Total is sent. Lines that do not add up to inv.Total, or whose
// amount is not quantity × unit price less a discount, are refused with a *ValidationError before anything is sent.
//
// CreateInvoice is idempotent by invoice number: the Idempotency-Key is
// derived from it and the request, and if Xero already holds an invoice with
// this number (an earlier call whose answer was lost, or a previous run), its
// InvoiceID is returned when its currency and total match, and an error
// wrapping ErrConflict otherwise.
func (c *Client) CreateInvoice(
	ctx context.Context, inv billing.Invoice, lines []billing.LineItem,
) (string, error) {
	exp, err := money.Exponent(inv.Currency)
	if err != nil {
		return "", fmt.Errorf("create invoice %s: %w", inv.Number, err)
	}

	if strings.TrimSpace(inv.Number) == "" {
		return "", fmt.Errorf("create invoice: %w",
			&ValidationError{Messages: []string{"invoice number is required"}})
	}

	xlines, total, err := c.buildLines(inv, lines, exp)
	if err != nil {
		return "", fmt.Errorf("create invoice %s: %w", inv.Number, err)
	}

	xi := xInvoice{
		Type:          "ACCREC",
		InvoiceNumber: inv.Number,
		Reference:     strings.TrimSpace(inv.PONumber),
		Contact: &xContact{
			ContactNumber: inv.CustomerID,
			Name:          inv.CustomerName,
		},
		Date:            formatDate(inv.IssueDate),
		DueDate:         formatDate(inv.DueDate),
		Status:          "AUTHORISED",
		LineAmountTypes: "NoTax",
		LineItems:       xlines,
		CurrencyCode:    strings.ToUpper(inv.Currency),
	}

	body, err := json.Marshal(envelope{Invoices: []xInvoice{xi}})
	if err != nil {
		return "", fmt.Errorf("create invoice %s: %w", inv.Number, err)
	}

	want := money.New(total, xi.CurrencyCode)

	var found string
	check := func(ctx context.Context) (bool, error) {
		id, err := c.existingInvoice(ctx, inv.Number, want, exp)
		found = id

		return id != "", err
	}

	// The key is the invoice number plus a digest of the body: stable across
	// retries of this request, yet a corrected invoice (after a validation
	// error, which a server may also remember under the key) gets a fresh key.
	// Duplicates across different bodies are caught by the number itself.
	resp, err := c.do(ctx, call{
		op:      "create_invoice",
		method:  "PUT",
		path:    "/Invoices?unitdp=4",
		body:    body,
		key:     idempotencyKey("o2c-invoice-", inv.Number+"-"+shortHash(string(body))[:12]),
		recover: check,
	})

	id, err := c.settleCreate(ctx, resp, err, check, &found)
	if err != nil {
		return "", fmt.Errorf("create invoice %s: %w", inv.Number, err)
	}

	return id, nil
}

// settleCreate reads the outcome of the PUT, turning "number already used" and
// idempotency-key conflicts into a look-up of the existing invoice.
func (c *Client) settleCreate(
	ctx context.Context, resp *response, err error,
	check func(context.Context) (bool, error), found *string,
) (string, error) {
	if errors.Is(err, errRecovered) {
		return *found, nil
	}

	var ve *ValidationError
	var ae *APIError

	switch {
	case errors.As(err, &ve) && ve.mentions("must be unique", "already exists",
		"already been used"):
		return c.mustFind(ctx, check, found, err)

	case errors.As(err, &ae) && (ae.Status == 409 || ae.Status == 422):
		return c.mustFind(ctx, check, found, err)

	case err != nil:
		return "", err
	}

	var env envelope
	if err := json.Unmarshal(resp.body, &env); err != nil {
		return "", fmt.Errorf("decode response: %w", err)
	}

	if len(env.Invoices) != 1 {
		return "", fmt.Errorf("decode response: %d invoices, want 1", len(env.Invoices))
	}

	got := env.Invoices[0]
	if got.HasErrors || len(got.ValidationErrors) > 0 {
		ve := &ValidationError{Messages: messages(got.ValidationErrors)}
		if ve.mentions("must be unique", "already exists", "already been used") {
			return c.mustFind(ctx, check, found, ve)
		}

		return "", ve
	}

	if got.InvoiceID == "" {
		return "", errors.New("decode response: no InvoiceID")
	}

	return got.InvoiceID, nil
}

// mustFind looks up the invoice Xero says already exists. The look-up returns
// ErrConflict itself when the amounts differ.
func (c *Client) mustFind(
	ctx context.Context, check func(context.Context) (bool, error), found *string, cause error,
) (string, error) {
	ok, err := check(ctx)
	if err != nil {
		return "", err
	}

	if !ok {
		return "", cause
	}

	return *found, nil
}

// existingInvoice returns the InvoiceID of the sales invoice numbered number,
// or "" when there is none. It returns ErrConflict when that invoice's
// currency or total differ from want, or it is voided or deleted.
func (c *Client) existingInvoice(
	ctx context.Context, number string, want money.Amount, exp int,
) (string, error) {
	q := url.Values{}
	if strings.Contains(number, ",") {
		if strings.Contains(number, `"`) {
			return "", fmt.Errorf("look up invoice: number %q cannot be queried", number)
		}

		q.Set("where", `InvoiceNumber=="`+number+`"`)
	} else {
		q.Set("InvoiceNumbers", number)
	}

	resp, err := c.do(ctx, call{op: "find_invoice", method: "GET", path: "/Invoices?" + q.Encode()})
	if err != nil {
		return "", fmt.Errorf("look up invoice: %w", err)
	}

	var env envelope
	if err := json.Unmarshal(resp.body, &env); err != nil {
		return "", fmt.Errorf("look up invoice: %w", err)
	}

	for _, xi := range env.Invoices {
		if xi.InvoiceNumber != number || (xi.Type != "" && xi.Type != "ACCREC") {
			continue
		}

		total, err := parseAmount(xi.Total, exp)
		if err != nil {
			return "", fmt.Errorf("look up invoice: %w", err)
		}

		switch {
		case xi.Status == "VOIDED" || xi.Status == "DELETED":
			return "", fmt.Errorf("%w: invoice %s is %s in xero", ErrConflict, number, xi.Status)
		case !strings.EqualFold(xi.CurrencyCode, want.Currency) || total != want.Minor:
			have := money.New(total, strings.ToUpper(xi.CurrencyCode))
			return "", fmt.Errorf("%w: invoice %s has total %s in xero, want %s",
				ErrConflict, number, have, want)
		}

		return xi.InvoiceID, nil
	}

	return "", nil
}

// buildLines maps o2c lines to Xero lines and returns them with their total in
// minor units.
func (c *Client) buildLines(
	inv billing.Invoice, lines []billing.LineItem, exp int,
) ([]xLine, int64, error) {
	if len(lines) == 0 {
		if inv.Total <= 0 {
			return nil, 0, &ValidationError{Messages: []string{
				"invoice has no lines and no positive total"}}
		}

		return []xLine{{
			Description: "Invoice " + inv.Number,
			Quantity:    "1",
			UnitAmount:  formatAmount(inv.Total, exp),
			AccountCode: c.cfg.SalesAccountCode,
		}}, inv.Total, nil
	}

	out := make([]xLine, 0, len(lines))
	var total int64

	for i, li := range lines {
		xl, err := c.buildLine(li, exp)
		if err != nil {
			return nil, 0, &ValidationError{Messages: []string{
				fmt.Sprintf("line %d: %v", i+1, err)}}
		}

		out = append(out, xl)
		total += li.Amount
	}

	if inv.Total != 0 && total != inv.Total {
		return nil, 0, &ValidationError{Messages: []string{fmt.Sprintf(
			"lines add up to %s, invoice total is %s",
			money.FormatMinor(total, exp), money.FormatMinor(inv.Total, exp))}}
	}

	return out, total, nil
}

// buildLine sends quantity and unit price as given when their product, rounded
// to the currency's minor unit, is the line amount; a smaller amount becomes a
// DiscountAmount. A line with no unit price is sent as 1 × amount.
func (c *Client) buildLine(li billing.LineItem, exp int) (xLine, error) {
	xl := xLine{Description: li.Name, AccountCode: c.cfg.SalesAccountCode}
	if xl.Description == "" {
		xl.Description = li.SKU
	}

	qty := strings.TrimSpace(li.Quantity)
	if qty == "" {
		qty = "1"
	}

	if li.UnitPrice == 0 && li.Amount != 0 {
		xl.Quantity = "1"
		xl.UnitAmount = formatAmount(li.Amount, exp)

		return xl, nil
	}

	// Xero keeps quantities to four decimals.
	q4, err := money.ParseMinor(qty, 4)
	if err != nil {
		return xLine{}, fmt.Errorf("quantity %q: %w", li.Quantity, err)
	}

	if q4 < 0 {
		return xLine{}, fmt.Errorf("quantity %q is negative", li.Quantity)
	}

	product := new(big.Rat).SetFrac(
		new(big.Int).Mul(big.NewInt(q4), big.NewInt(li.UnitPrice)), big.NewInt(10000))
	rounded := roundHalfAway(product)

	discount := new(big.Int).Sub(rounded, big.NewInt(li.Amount))
	if discount.Sign() != 0 && (discount.Sign() < 0 || rounded.Sign() <= 0) {
		return xLine{}, fmt.Errorf("amount %s is not quantity %s × unit price %s",
			money.FormatMinor(li.Amount, exp), qty, money.FormatMinor(li.UnitPrice, exp))
	}

	xl.Quantity = json.Number(strconv.FormatInt(q4/10000, 10) + fraction(q4%10000))
	xl.UnitAmount = formatAmount(li.UnitPrice, exp)

	if discount.Sign() > 0 {
		xl.DiscountAmount = formatAmount(discount.Int64(), exp)
	}

	return xl, nil
}

// fraction renders the four-decimal remainder of a quantity without trailing
// zeros: 5000 → ".5", 0 → "".
func fraction(rem int64) string {
	if rem == 0 {
		return ""
	}

	s := strings.TrimRight(fmt.Sprintf("%04d", rem), "0")

	return "." + s
}

// idempotencyKey builds a key from a prefix and o2c's reference, replacing the
// reference by its hash when the result would exceed Xero's 128 characters.
func idempotencyKey(prefix, ref string) string {
	k := prefix + ref
	if len(k) <= maxKey {
		return k
	}

	return prefix + "sha256-" + shortHash(ref)
}

func messages(ms []xMessage) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.Message)
	}

	return out
}

// mentions reports whether any message contains one of the phrases, ignoring
// case.
func (e *ValidationError) mentions(phrases ...string) bool {
	for _, m := range e.Messages {
		lm := strings.ToLower(m)
		for _, p := range phrases {
			if strings.Contains(lm, p) {
				return true
			}
		}
	}

	return false
}
