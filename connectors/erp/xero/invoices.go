package xero

import (
	"bytes"
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
// a contact found or created by name with ContactNumber = inv.CustomerID and
// one line per item, each booked to Config.SalesAccountCode. With no lines, one
// line of inv.Total is sent. Lines that do not add up to inv.Total (tax
// included), or whose amount is not quantity × unit price less a discount, are
// refused with a *ValidationError before anything is sent.
//
// Untaxed invoices go as LineAmountTypes NoTax, so Xero's total is exactly
// the sum of the lines. When lines carry tax (billing.LineItem TaxRate or
// Tax), the invoice goes as Inclusive or Exclusive, following the lines'
// TaxIncluded, and every line carries its TaxType (Config.TaxTypes) and an
// explicit TaxAmount: the tax the CRM rounded per line. Xero honours a given
// TaxAmount, so it never works tax out on the document total its own way and
// lands a cent off the CRM (net prices rounded, then taxed on the total).
//
// inv.ExchangeRate (base units per document unit, the CRM's convention) is
// sent as CurrencyRate in Xero's convention, the other way round; see
// currencyRate. Without it, Xero uses its own day rate.
//
// After the push the Total Xero answers is compared with the total o2c sent;
// when they differ the InvoiceID is returned together with a
// *TotalMismatchError.
//
// CreateInvoice is idempotent by invoice number: the Idempotency-Key is
// derived from it and the request, and if Xero already holds an invoice with
// this number (an earlier call whose answer was lost, or a previous run), its
// InvoiceID is returned when its currency and total match, with a
// *TotalMismatchError when only the total differs, and an error wrapping
// ErrConflict otherwise.
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

	xlines, amountTypes, total, err := c.buildLines(inv, lines, exp)
	if err != nil {
		return "", fmt.Errorf("create invoice %s: %w", inv.Number, err)
	}

	rate, err := currencyRate(inv)
	if err != nil {
		return "", fmt.Errorf("create invoice %s: %w", inv.Number,
			&ValidationError{Messages: []string{err.Error()}})
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
		LineAmountTypes: amountTypes,
		LineItems:       xlines,
		CurrencyCode:    strings.ToUpper(inv.Currency),
		CurrencyRate:    rate,
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

	id, got, err := c.settleCreate(ctx, resp, err, check, &found)

	var tm *TotalMismatchError
	if errors.As(err, &tm) {
		return tm.InvoiceID, fmt.Errorf("create invoice %s: %w", inv.Number, err)
	}

	if err != nil {
		return "", fmt.Errorf("create invoice %s: %w", inv.Number, err)
	}

	if got == "" {
		return id, nil
	}

	have, err := parseAmount(got, exp)
	if err != nil {
		return id, fmt.Errorf("create invoice %s: read total: %w", inv.Number, err)
	}

	if have != total {
		return id, fmt.Errorf("create invoice %s: %w", inv.Number, &TotalMismatchError{
			InvoiceID: id, Number: inv.Number, Want: want, Got: money.New(have, want.Currency)})
	}

	return id, nil
}

// currencyRate turns the CRM's rate into Xero's CurrencyRate. The CRM says
// how many base-currency units one document-currency unit is worth (1 EUR =
// 1.0850 USD). Xero's CurrencyRate on an invoice is the other way round: how
// many units of the invoice currency one unit of the organisation's base
// currency buys, as Xero shows "1 USD = 0.921659 EUR" on the invoice and its
// API keeps six decimals. So the rate sent is 1 / rate, rounded half away
// from zero to six decimals, worked out exactly on decimals (no float). No
// rate is sent (Xero then uses its own day rate) when the CRM gave none or
// the invoice is in the base currency.
func currencyRate(inv billing.Invoice) (json.Number, error) {
	if strings.TrimSpace(inv.ExchangeRate) == "" ||
		strings.EqualFold(inv.BaseCurrency, inv.Currency) {
		return "", nil
	}

	r, err := billing.ParseRate(inv.ExchangeRate)
	if err != nil {
		return "", err
	}

	if r.Sign() == 0 {
		return "", fmt.Errorf("exchange rate %q is zero", inv.ExchangeRate)
	}

	inverse := new(big.Rat).Quo(big.NewRat(1_000_000, 1), r)
	micro := billing.RoundHalfAway(inverse)

	if micro.Sign() == 0 || !micro.IsInt64() {
		return "", fmt.Errorf("exchange rate %q is out of range", inv.ExchangeRate)
	}

	return json.Number(money.FormatMinor(micro.Int64(), 6)), nil
}

// settleCreate reads the outcome of the PUT, turning "number already used" and
// idempotency-key conflicts into a look-up of the existing invoice.
// It returns the InvoiceID and the Total Xero answered, empty when the
// invoice was found rather than created (the look-up compared the total).
func (c *Client) settleCreate(
	ctx context.Context, resp *response, err error,
	check func(context.Context) (bool, error), found *string,
) (string, json.Number, error) {
	if errors.Is(err, errRecovered) {
		return *found, "", nil
	}

	var ve *ValidationError
	var ae *APIError

	switch {
	case errors.As(err, &ve) && ve.mentions("must be unique", "already exists",
		"already been used"):
		id, err := c.mustFind(ctx, check, found, err)
		return id, "", err

	case errors.As(err, &ae) && (ae.Status == 409 || ae.Status == 422):
		id, err := c.mustFind(ctx, check, found, err)
		return id, "", err

	case err != nil:
		return "", "", err
	}

	var env envelope
	if err := decodeNumbers(resp.body, &env); err != nil {
		return "", "", fmt.Errorf("decode response: %w", err)
	}

	if len(env.Invoices) != 1 {
		return "", "", fmt.Errorf("decode response: %d invoices, want 1", len(env.Invoices))
	}

	got := env.Invoices[0]
	if got.HasErrors || len(got.ValidationErrors) > 0 {
		ve := &ValidationError{Messages: messages(got.ValidationErrors)}
		if ve.mentions("must be unique", "already exists", "already been used") {
			id, err := c.mustFind(ctx, check, found, ve)
			return id, "", err
		}

		return "", "", ve
	}

	if got.InvoiceID == "" {
		return "", "", errors.New("decode response: no InvoiceID")
	}

	return got.InvoiceID, got.Total, nil
}

// decodeNumbers decodes a JSON body keeping numbers as their decimal text.
func decodeNumbers(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()

	return dec.Decode(v)
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
		case strings.EqualFold(xi.CurrencyCode, want.Currency) && total != want.Minor:
			// Ours, pushed before, but Xero's total is not the CRM's: the same
			// mismatch the first push met, never a reason to push it again.
			return xi.InvoiceID, &TotalMismatchError{InvoiceID: xi.InvoiceID, Number: number,
				Want: want, Got: money.New(total, want.Currency)}
		case !strings.EqualFold(xi.CurrencyCode, want.Currency):
			have := money.New(total, strings.ToUpper(xi.CurrencyCode))
			return "", fmt.Errorf("%w: invoice %s has total %s in xero, want %s",
				ErrConflict, number, have, want)
		}

		return xi.InvoiceID, nil
	}

	return "", nil
}

// buildLines maps o2c lines to Xero lines and returns them with the
// LineAmountTypes to send and the invoice total, tax included, in minor units.
func (c *Client) buildLines(
	inv billing.Invoice, lines []billing.LineItem, exp int,
) ([]xLine, string, int64, error) {
	if len(lines) == 0 {
		if inv.Total <= 0 {
			return nil, "", 0, &ValidationError{Messages: []string{
				"invoice has no lines and no positive total"}}
		}

		return []xLine{{
			Description: "Invoice " + inv.Number,
			Quantity:    "1",
			UnitAmount:  formatAmount(inv.Total, exp),
			AccountCode: c.cfg.SalesAccountCode,
		}}, "NoTax", inv.Total, nil
	}

	amountTypes, err := lineAmountTypes(lines)
	if err != nil {
		return nil, "", 0, &ValidationError{Messages: []string{err.Error()}}
	}

	out := make([]xLine, 0, len(lines))
	var total int64

	for i, li := range lines {
		xl, err := c.buildLine(li, exp)
		if err == nil && amountTypes != "NoTax" {
			err = c.addTax(&xl, li, exp)
		}

		if err != nil {
			return nil, "", 0, &ValidationError{Messages: []string{
				fmt.Sprintf("line %d: %v", i+1, err)}}
		}

		gross, err := li.Gross()
		if err != nil {
			return nil, "", 0, &ValidationError{Messages: []string{
				fmt.Sprintf("line %d: %v", i+1, err)}}
		}

		out = append(out, xl)
		total += gross
	}

	if inv.Total != 0 && total != inv.Total {
		return nil, "", 0, &ValidationError{Messages: []string{fmt.Sprintf(
			"lines add up to %s, invoice total is %s",
			money.FormatMinor(total, exp), money.FormatMinor(inv.Total, exp))}}
	}

	return out, amountTypes, total, nil
}

// lineAmountTypes picks Xero's LineAmountTypes for the lines: NoTax when none
// carries tax, else Inclusive or Exclusive as their TaxIncluded says. Xero
// has one setting per invoice, so lines that disagree are refused.
func lineAmountTypes(lines []billing.LineItem) (string, error) {
	taxed, included, excluded := false, false, false

	for _, li := range lines {
		if strings.TrimSpace(li.TaxRate) == "" && li.Tax == 0 {
			continue
		}

		taxed = true
		if li.TaxIncluded {
			included = true
		} else {
			excluded = true
		}
	}

	switch {
	case !taxed:
		return "NoTax", nil
	case included && excluded:
		return "", errors.New("lines mix tax-inclusive and tax-exclusive amounts")
	case included:
		return "Inclusive", nil
	default:
		return "Exclusive", nil
	}
}

// addTax puts the line's TaxType and its explicit TaxAmount on xl.
func (c *Client) addTax(xl *xLine, li billing.LineItem, exp int) error {
	tax, err := li.LineTax()
	if err != nil {
		return err
	}

	xl.TaxAmount = formatAmount(tax, exp)

	if strings.TrimSpace(li.TaxRate) == "" {
		if tax != 0 {
			return fmt.Errorf("tax %s without a tax rate", money.FormatMinor(tax, exp))
		}

		xl.TaxType = c.cfg.NoTaxType

		return nil
	}

	code, err := c.taxType(li.TaxRate)
	if err != nil {
		return err
	}

	xl.TaxType = code

	return nil
}

// taxType returns the Xero TaxType configured for rate, comparing rates as
// numbers ("0.21" and "0.210" are the same rate). A zero rate without a code
// of its own is Config.NoTaxType.
func (c *Client) taxType(rate string) (string, error) {
	want, err := billing.ParseRate(rate)
	if err != nil {
		return "", err
	}

	for k, code := range c.cfg.TaxTypes {
		r, err := billing.ParseRate(k)
		if err == nil && r.Cmp(want) == 0 {
			return code, nil
		}
	}

	if want.Sign() == 0 {
		return c.cfg.NoTaxType, nil
	}

	return "", fmt.Errorf("no xero tax type configured for tax rate %s", rate)
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
