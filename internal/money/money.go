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

// ErrNotCash reports an ISO 4217 code that names no currency of cash: no
// currency (XXX), the testing code (XTS), a precious metal, a unit of account
// or a fund code. No bank account pays or is paid in one.
var ErrNotCash = errors.New("not a currency of cash")

// notCash names the ISO 4217 codes that are no currency of cash, with what
// each is instead.
var notCash = map[string]string{
	"XXX": "the code for no currency",
	"XTS": "the code reserved for testing",
	"XAU": "gold", "XAG": "silver", "XPT": "platinum", "XPD": "palladium",
	"XDR": "the IMF's special drawing right, a unit of account",
	"XBA": "a bond markets unit", "XBB": "a bond markets unit",
	"XBC": "a bond markets unit", "XBD": "a bond markets unit",
	"XSU": "the SUCRE unit of account", "XUA": "the ADB unit of account",
	"XAD": "the Arab accounting dinar, a unit of account",
	// Fund codes: indexed units and settlement funds beside a currency.
	"BOV": "a fund code (Mvdol)", "CHE": "a fund code (WIR euro)",
	"CHW": "a fund code (WIR franc)", "CLF": "a fund code (Unidad de Fomento)",
	"COU": "a fund code (Unidad de Valor Real)",
	"MXV": "a fund code (Unidad de Inversion)",
	"USN": "a fund code (US dollar next day)",
	"UYI": "a fund code (Uruguay peso en unidades indexadas)",
	"UYW": "a fund code (Unidad previsional)",
}

// CheckCurrency returns nil when code, upper case, is an ISO 4217 currency of
// cash; an error wrapping ErrCurrency when ISO 4217 does not know it, or
// ErrNotCash when it is a code of no currency, of a metal, of a unit of account
// or of a fund. Every reader checks a currency taken from a file with it.
func CheckCurrency(code string) error {
	if len(code) != 3 || strings.ToUpper(code) != code {
		return fmt.Errorf("%w: %q", ErrCurrency, code)
	}

	if _, ok := iso4217.Lookup(code); !ok {
		return fmt.Errorf("%w: %q", ErrCurrency, code)
	}

	if what, ok := notCash[code]; ok {
		return fmt.Errorf("%w: %s is %s", ErrNotCash, code, what)
	}

	return nil
}

// CurrencyProblem is the text of CheckCurrency's error for code, "" when code is
// a currency of cash: what a reader says of a currency it refuses.
func CurrencyProblem(code string) string {
	if err := CheckCurrency(code); err != nil {
		return err.Error()
	}

	return ""
}

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
// JPY, 3 for KWD). It fails for a code that is no currency of cash (see
// CheckCurrency) as for an unknown one.
func Exponent(currency string) (int, error) {
	up := strings.ToUpper(currency)

	c, ok := iso4217.Lookup(up)
	if !ok {
		return 0, fmt.Errorf("%w: %q", ErrCurrency, currency)
	}

	if what, ok := notCash[up]; ok {
		return 0, fmt.Errorf("%w: %s is %s", ErrNotCash, up, what)
	}

	return int(c.DecimalPlaces), nil
}

// ValidCurrency reports whether code is an upper-case ISO 4217 currency of
// cash (see CheckCurrency).
func ValidCurrency(code string) bool {
	return CheckCurrency(code) == nil
}

// KnownCode reports whether code, in any case, is a code of the ISO 4217 list,
// a currency of cash or not: what a reader recognises as a currency code before
// it checks it with CheckCurrency.
func KnownCode(code string) bool {
	_, ok := iso4217.Lookup(strings.ToUpper(code))
	return ok && len(code) == 3
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
