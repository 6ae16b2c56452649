// Package money holds amounts as integer minor units with their ISO 4217 currency.
// No float ever touches an amount: decimal strings from banks, CRMs and ERPs are
// parsed exactly, and a string with more fractional digits than the currency allows
// is an error rather than a rounding.
package money

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/moov-io/iso4217"
)

// ErrCurrency reports a currency code that ISO 4217 does not know.
var ErrCurrency = errors.New("unknown currency")

// ErrAmount reports a decimal string that is not an exact amount in its currency.
var ErrAmount = errors.New("invalid amount")

// Amount is a quantity of money: Minor units (cents for USD, yen for JPY, fils for
// KWD) of Currency, an upper-case ISO 4217 code.
type Amount struct {
	Minor    int64  `json:"minor"`
	Currency string `json:"currency"`
}

// New returns an amount of minor units in currency.
func New(minor int64, currency string) Amount {
	return Amount{Minor: minor, Currency: currency}
}

// Exponent returns the number of minor-unit digits of currency (2 for USD, 0 for
// JPY, 3 for KWD).
func Exponent(currency string) (int, error) {
	c, ok := iso4217.Lookup(strings.ToUpper(currency))
	if !ok {
		return 0, fmt.Errorf("%w: %q", ErrCurrency, currency)
	}

	return int(c.DecimalPlaces), nil
}

// ValidCurrency reports whether code is a known ISO 4217 currency code.
func ValidCurrency(code string) bool {
	_, ok := iso4217.Lookup(code)
	return ok && len(code) == 3 && strings.ToUpper(code) == code
}

// Parse reads a decimal string such as "1234.5", "-0.01" or "1,234.50" (thousands
// separators are not accepted; see ParseMinor) as an amount of currency.
func Parse(s, currency string) (Amount, error) {
	exp, err := Exponent(currency)
	if err != nil {
		return Amount{}, err
	}

	minor, err := ParseMinor(s, exp)
	if err != nil {
		return Amount{}, err
	}

	return Amount{Minor: minor, Currency: strings.ToUpper(currency)}, nil
}

// ParseMinor reads a decimal string with '.' as the decimal mark into minor units
// of a currency with exp fractional digits. A leading '+' or '-' is allowed.
// Fractional digits beyond exp are accepted only when they are zeros, so "10.500"
// is 1050 cents but "10.505" is an error.
func ParseMinor(s string, exp int) (int64, error) {
	raw := s
	s = strings.TrimSpace(s)
	neg := false

	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}

	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" && (!hasDot || frac == "") {
		return 0, fmt.Errorf("%w: %q", ErrAmount, raw)
	}

	if !allDigits(whole) || !allDigits(frac) {
		return 0, fmt.Errorf("%w: %q", ErrAmount, raw)
	}

	if len(frac) > exp {
		if strings.Trim(frac[exp:], "0") != "" {
			return 0, fmt.Errorf("%w: %q has more than %d decimals", ErrAmount, raw, exp)
		}

		frac = frac[:exp]
	}

	frac += strings.Repeat("0", exp-len(frac))

	digits := strings.TrimLeft(whole+frac, "0")
	if digits == "" {
		return 0, nil
	}

	if len(digits) > 18 {
		return 0, fmt.Errorf("%w: %q is too large", ErrAmount, raw)
	}

	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q", ErrAmount, raw)
	}

	if neg {
		n = -n
	}

	return n, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}

	return true
}

// FormatMinor writes minor units with exp fractional digits, '.' as the decimal
// mark and no thousands separators: FormatMinor(-105, 2) is "-1.05".
func FormatMinor(minor int64, exp int) string {
	neg := minor < 0
	u := uint64(minor)
	if neg {
		u = uint64(-minor)
	}

	digits := strconv.FormatUint(u, 10)
	if exp > 0 {
		if len(digits) <= exp {
			digits = strings.Repeat("0", exp-len(digits)+1) + digits
		}

		digits = digits[:len(digits)-exp] + "." + digits[len(digits)-exp:]
	}

	if neg {
		return "-" + digits
	}

	return digits
}

// Decimal returns the amount as a plain decimal string in its currency's minor
// digits, without the currency code: "1234.50" for 123450 USD.
func (a Amount) Decimal() string {
	exp, err := Exponent(a.Currency)
	if err != nil {
		exp = 2
	}

	return FormatMinor(a.Minor, exp)
}

// String returns the amount with its currency code, as in "1234.50 USD".
func (a Amount) String() string {
	return a.Decimal() + " " + a.Currency
}

// IsZero reports whether the amount has no minor units.
func (a Amount) IsZero() bool {
	return a.Minor == 0
}
