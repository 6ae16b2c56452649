package xero

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/money"
)

// Payment is money received against one Xero invoice.
type Payment struct {
	InvoiceID     string       // Xero's InvoiceID; InvoiceNumber is used when empty
	InvoiceNumber string       // o2c's invoice number
	Amount        money.Amount // in the invoice's currency, positive, at most its AmountDue
	Date          time.Time    // value date; today (UTC) when zero
	Reference     string       // o2c's unique application reference, e.g. "o2c-app-123"
}

// RecordPayment records p against its invoice, into Config.BankAccountCode,
// and returns Xero's PaymentID. Xero lowers the invoice's AmountDue and marks
// it PAID when nothing is left.
//
// p.Reference must be unique per cash application: it is the Idempotency-Key,
// and after a lost answer the client looks for a live payment with that
// reference on the invoice before it sends again, so one application never
// becomes two payments. A payment found with a different amount is reported as
// ErrConflict. Paying more than is due, or paying an invoice that is not
// AUTHORISED, is a *ValidationError.
func (c *Client) RecordPayment(ctx context.Context, p Payment) (string, error) {
	if strings.TrimSpace(p.Reference) == "" {
		return "", fmt.Errorf("record payment: %w",
			&ValidationError{Messages: []string{"payment reference is required"}})
	}

	if p.InvoiceID == "" && p.InvoiceNumber == "" {
		return "", fmt.Errorf("record payment %s: %w", p.Reference,
			&ValidationError{Messages: []string{"invoice id or number is required"}})
	}

	exp, err := money.Exponent(p.Amount.Currency)
	if err != nil {
		return "", fmt.Errorf("record payment %s: %w", p.Reference, err)
	}

	date := p.Date
	if date.IsZero() {
		date = c.clock.Now()
	}

	xp := xPayment{
		Invoice:   &xInvoiceRef{InvoiceID: p.InvoiceID},
		Account:   &xAccountRef{Code: c.cfg.BankAccountCode},
		Date:      formatDate(date),
		Amount:    formatAmount(p.Amount.Minor, exp),
		Reference: p.Reference,
	}
	if p.InvoiceID == "" {
		xp.Invoice = &xInvoiceRef{InvoiceNumber: p.InvoiceNumber}
	}

	body, err := json.Marshal(envelope{Payments: []xPayment{xp}})
	if err != nil {
		return "", fmt.Errorf("record payment %s: %w", p.Reference, err)
	}

	var found string
	check := func(ctx context.Context) (bool, error) {
		id, err := c.existingPayment(ctx, p, exp)
		found = id

		return id != "", err
	}

	resp, err := c.do(ctx, call{
		op:      "record_payment",
		method:  "PUT",
		path:    "/Payments",
		body:    body,
		key:     idempotencyKey("o2c-payment-", p.Reference),
		recover: check,
	})

	id, err := c.settlePayment(ctx, resp, err, check, &found)
	if err != nil {
		return "", fmt.Errorf("record payment %s: %w", p.Reference, err)
	}

	return id, nil
}

func (c *Client) settlePayment(
	ctx context.Context, resp *response, err error,
	check func(context.Context) (bool, error), found *string,
) (string, error) {
	var ae *APIError

	switch {
	case errors.Is(err, errRecovered):
		return *found, nil

	case errors.As(err, &ae) && (ae.Status == 409 || ae.Status == 422):
		// The key was used before with another body: whatever that request
		// did is what Xero holds.
		ok, lookErr := check(ctx)
		if lookErr != nil {
			return "", lookErr
		}

		if !ok {
			return "", err
		}

		return *found, nil

	case err != nil:
		return "", err
	}

	var env envelope
	if err := json.Unmarshal(resp.body, &env); err != nil {
		return "", fmt.Errorf("decode response: %w", err)
	}

	if len(env.Payments) != 1 {
		return "", fmt.Errorf("decode response: %d payments, want 1", len(env.Payments))
	}

	got := env.Payments[0]
	if got.HasErrors || len(got.ValidationErrors) > 0 {
		return "", &ValidationError{Messages: messages(got.ValidationErrors)}
	}

	if got.PaymentID == "" {
		return "", errors.New("decode response: no PaymentID")
	}

	return got.PaymentID, nil
}

// existingPayment returns the PaymentID of the live (not deleted) payment with
// p's reference on p's invoice, or "" when there is none.
func (c *Client) existingPayment(ctx context.Context, p Payment, exp int) (string, error) {
	if strings.Contains(p.Reference, `"`) || strings.Contains(p.InvoiceNumber, `"`) {
		return "", fmt.Errorf("look up payment: reference %q cannot be queried", p.Reference)
	}

	where := `Reference=="` + p.Reference + `"`
	if p.InvoiceID != "" {
		where += ` AND Invoice.InvoiceID==guid("` + p.InvoiceID + `")`
	} else {
		where += ` AND Invoice.InvoiceNumber=="` + p.InvoiceNumber + `"`
	}

	q := url.Values{"where": {where}}

	resp, err := c.do(ctx, call{op: "find_payment", method: "GET", path: "/Payments?" + q.Encode()})
	if err != nil {
		return "", fmt.Errorf("look up payment: %w", err)
	}

	var env envelope
	if err := json.Unmarshal(resp.body, &env); err != nil {
		return "", fmt.Errorf("look up payment: %w", err)
	}

	for _, xp := range env.Payments {
		if xp.Reference != p.Reference || xp.Status == "DELETED" {
			continue
		}

		amount, err := parseAmount(xp.Amount, exp)
		if err != nil {
			return "", fmt.Errorf("look up payment: %w", err)
		}

		if amount != p.Amount.Minor {
			return "", fmt.Errorf("%w: payment %s is %s in xero, want %s", ErrConflict,
				p.Reference, money.FormatMinor(amount, exp), p.Amount.Decimal())
		}

		return xp.PaymentID, nil
	}

	return "", nil
}

// DeletePayment deletes a payment, as when the money is returned or the cash
// application is reversed; Xero restores the invoice's AmountDue. Deleting a
// payment that is already deleted succeeds, so the call is safe to repeat.
func (c *Client) DeletePayment(ctx context.Context, paymentID string) error {
	if paymentID == "" || strings.ContainsAny(paymentID, "/?#") {
		return fmt.Errorf("delete payment: invalid payment id %q", paymentID)
	}

	path := "/Payments/" + url.PathEscape(paymentID)

	_, err := c.do(ctx, call{
		op:     "delete_payment",
		method: "POST",
		path:   path,
		body:   []byte(`{"Status":"DELETED"}`),
		key:    idempotencyKey("o2c-payment-delete-", paymentID),
	})
	if err == nil {
		return nil
	}

	// A delete whose answer was lost and which was then sent again is refused
	// as already done; check the payment's state instead of failing.
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("delete payment %s: %w", paymentID, err)
	}

	deleted, lookErr := c.paymentDeleted(ctx, path)
	if lookErr != nil || !deleted {
		return fmt.Errorf("delete payment %s: %w", paymentID, err)
	}

	return nil
}

func (c *Client) paymentDeleted(ctx context.Context, path string) (bool, error) {
	resp, err := c.do(ctx, call{op: "get_payment", method: "GET", path: path})
	if err != nil {
		return false, err
	}

	var env envelope
	if err := json.Unmarshal(resp.body, &env); err != nil {
		return false, err
	}

	return len(env.Payments) == 1 && env.Payments[0].Status == "DELETED", nil
}

// shortHash returns the first 32 hex digits of the SHA-256 of s.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}
