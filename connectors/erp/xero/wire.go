package xero

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/money"
)

// This file holds the JSON shapes Xero sends and accepts, and the exact
// conversions between them and o2c's integer minor units. Every amount travels
// as a json.Number, so its decimal text is never turned into a float.

// envelope is the body of every Accounting API response and of batch requests.
type envelope struct {
	ID         string       `json:"Id,omitempty"`
	Status     string       `json:"Status,omitempty"`
	Invoices   []xInvoice   `json:"Invoices,omitempty"`
	Payments   []xPayment   `json:"Payments,omitempty"`
	Pagination *xPagination `json:"pagination,omitempty"`
	Elements   []xElement   `json:"Elements,omitempty"`
	Type       string       `json:"Type,omitempty"`
	Message    string       `json:"Message,omitempty"`
	ErrorNum   int          `json:"ErrorNumber,omitempty"`
}

// problemBlock is the problem-style body Xero uses for 401, 403 and 429.
type problemBlock struct {
	Title  string `json:"Title"`
	Status int    `json:"Status"`
	Detail string `json:"Detail"`
}

type xPagination struct {
	Page      int `json:"page"`
	PageSize  int `json:"pageSize"`
	PageCount int `json:"pageCount"`
	ItemCount int `json:"itemCount"`
}

// xElement is one element echoed back in a validation error, with its messages.
type xElement struct {
	ValidationErrors []xMessage `json:"ValidationErrors"`
}

type xMessage struct {
	Message string `json:"Message"`
}

type xContact struct {
	ContactID     string `json:"ContactID,omitempty"`
	ContactNumber string `json:"ContactNumber,omitempty"`
	Name          string `json:"Name,omitempty"`
}

type xLine struct {
	Description    string      `json:"Description,omitempty"`
	Quantity       json.Number `json:"Quantity,omitempty"`
	UnitAmount     json.Number `json:"UnitAmount,omitempty"`
	ItemCode       string      `json:"ItemCode,omitempty"`
	AccountCode    string      `json:"AccountCode,omitempty"`
	DiscountAmount json.Number `json:"DiscountAmount,omitempty"`
	LineAmount     json.Number `json:"LineAmount,omitempty"`
	TaxType        string      `json:"TaxType,omitempty"`
	TaxAmount      json.Number `json:"TaxAmount,omitempty"`
}

// xInvoice serves both directions: the fields we send are set on create, the
// others are filled by Xero's responses.
type xInvoice struct {
	Type             string      `json:"Type,omitempty"`
	InvoiceID        string      `json:"InvoiceID,omitempty"`
	InvoiceNumber    string      `json:"InvoiceNumber,omitempty"`
	Reference        string      `json:"Reference,omitempty"`
	Contact          *xContact   `json:"Contact,omitempty"`
	Date             string      `json:"Date,omitempty"`
	DateString       string      `json:"DateString,omitempty"`
	DueDate          string      `json:"DueDate,omitempty"`
	DueDateString    string      `json:"DueDateString,omitempty"`
	Status           string      `json:"Status,omitempty"`
	LineAmountTypes  string      `json:"LineAmountTypes,omitempty"`
	LineItems        []xLine     `json:"LineItems,omitempty"`
	CurrencyCode     string      `json:"CurrencyCode,omitempty"`
	CurrencyRate     json.Number `json:"CurrencyRate,omitempty"`
	SubTotal         json.Number `json:"SubTotal,omitempty"`
	TotalTax         json.Number `json:"TotalTax,omitempty"`
	Total            json.Number `json:"Total,omitempty"`
	AmountDue        json.Number `json:"AmountDue,omitempty"`
	HasErrors        bool        `json:"HasErrors,omitempty"`
	ValidationErrors []xMessage  `json:"ValidationErrors,omitempty"`
}

type xInvoiceRef struct {
	InvoiceID     string `json:"InvoiceID,omitempty"`
	InvoiceNumber string `json:"InvoiceNumber,omitempty"`
}

type xAccountRef struct {
	Code string `json:"Code,omitempty"`
}

type xPayment struct {
	PaymentID        string       `json:"PaymentID,omitempty"`
	Invoice          *xInvoiceRef `json:"Invoice,omitempty"`
	Account          *xAccountRef `json:"Account,omitempty"`
	Date             string       `json:"Date,omitempty"`
	Amount           json.Number  `json:"Amount,omitempty"`
	Reference        string       `json:"Reference,omitempty"`
	Status           string       `json:"Status,omitempty"`
	HasErrors        bool         `json:"HasErrors,omitempty"`
	ValidationErrors []xMessage   `json:"ValidationErrors,omitempty"`
}

// dateLayout is how Xero accepts dates in requests.
const dateLayout = "2006-01-02"

// parseDate reads a Xero date: the MS-JSON form "/Date(1518685950940+0000)/"
// that responses use, or an ISO "2018-02-15T00:00:00" / "2018-02-15" string. It
// returns the UTC midnight of that day; an empty string is the zero time.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}

	if body, ok := strings.CutPrefix(s, "/Date("); ok {
		body, ok = strings.CutSuffix(body, ")/")
		if !ok {
			return time.Time{}, fmt.Errorf("parse date %q: missing \")/\"", s)
		}

		// The milliseconds are since the Unix epoch in UTC; an offset such as
		// "+0000" only says which zone the value was entered in.
		if i := strings.IndexAny(body[1:], "+-"); i >= 0 {
			body = body[:i+1]
		}

		ms, err := strconv.ParseInt(body, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("parse date %q: %w", s, err)
		}

		return midnight(time.UnixMilli(ms).UTC()), nil
	}

	day, _, _ := strings.Cut(s, "T")

	t, err := time.Parse(dateLayout, day)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse date %q: %w", s, err)
	}

	return t, nil
}

// pickDate prefers the ISO companion field (DateString) and falls back to the
// MS-JSON field.
func pickDate(iso, msjson string) (time.Time, error) {
	if iso != "" {
		return parseDate(iso)
	}

	return parseDate(msjson)
}

func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}

	return t.UTC().Format(dateLayout)
}

// parseAmount reads a JSON number from Xero as minor units of a currency with
// exp fractional digits. Xero's amounts have two decimals, but the API
// serialises doubles and a value such as 1500.4999999 can appear; digits beyond
// exp are then rounded half away from zero on the decimal text itself.
func parseAmount(n json.Number, exp int) (int64, error) {
	s := strings.TrimSpace(n.String())
	if s == "" {
		return 0, nil
	}

	minor, err := money.ParseMinor(s, exp)
	if err == nil {
		return minor, nil
	}

	r, ok := new(big.Rat).SetString(s)
	if !ok || strings.ContainsAny(s, "eE") {
		return 0, fmt.Errorf("parse amount: %w", err)
	}

	scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(pow10(exp)))
	rounded := roundHalfAway(scaled)

	if !rounded.IsInt64() {
		return 0, fmt.Errorf("parse amount: %w", err)
	}

	return rounded.Int64(), nil
}

// formatAmount writes minor units as a JSON number literal.
func formatAmount(minor int64, exp int) json.Number {
	return json.Number(money.FormatMinor(minor, exp))
}

func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// roundHalfAway rounds r to the nearest integer, halves away from zero.
func roundHalfAway(r *big.Rat) *big.Int {
	num := new(big.Int).Abs(r.Num())
	den := r.Denom()

	q, rem := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Mul(rem, big.NewInt(2)).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}

	if r.Sign() < 0 {
		q.Neg(q)
	}

	return q
}
