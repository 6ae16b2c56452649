package mt940

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/money"
)

// withdrawn holds the minor digits of ISO 4217 currencies withdrawn since
// (mostly into the euro) that old statements and test files still carry.
var withdrawn = map[string]int{
	"ATS": 2, "BEF": 0, "CYP": 2, "DEM": 2, "EEK": 2, "ESP": 0, "FIM": 2, "FRF": 2,
	"GRD": 0, "IEP": 2, "ITL": 0, "LTL": 2, "LUF": 0, "LVL": 2, "MTL": 2, "NLG": 2,
	"PTE": 0, "SIT": 2, "SKK": 2, "XEU": 2,
}

// currency describes a currency code: its minor digits and whether ISO 4217
// has withdrawn it.
type currency struct {
	code      string
	exp       int
	withdrawn bool
}

func lookupCurrency(code string) (currency, bool) {
	if len(code) != 3 || strings.ToUpper(code) != code {
		return currency{}, false
	}

	if exp, err := money.Exponent(code); err == nil && money.ValidCurrency(code) {
		return currency{code: code, exp: exp}, true
	}

	if exp, ok := withdrawn[code]; ok {
		return currency{code: code, exp: exp, withdrawn: true}, true
	}

	return currency{}, false
}

// errAmount reports an amount that is not digits, a decimal comma and digits.
var errAmount = errors.New("amount must be digits with a decimal comma")

// parseAmount reads an MT amount such as "1234,56", "6800," or "620,3" into
// minor units of a currency with exp minor digits. More fraction digits than
// exp are an error unless they are zeros.
func parseAmount(raw string, exp int) (int64, error) {
	whole, frac, ok := strings.Cut(raw, ",")
	if !ok || whole == "" || !digits(whole) || !digits(frac) {
		return 0, errAmount
	}

	if len(frac) > exp && strings.Trim(frac[exp:], "0") != "" {
		return 0, fmt.Errorf("amount has %d decimals, the currency allows %d", len(frac), exp)
	}

	minor, err := money.ParseMinor(whole+"."+frac, exp)
	if err != nil {
		return 0, fmt.Errorf("amount out of range: %w", err)
	}

	return minor, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}

	return true
}

func itoa(n int) string { return strconv.Itoa(n) }

// badDate describes a date that does not exist, with the day the lenient
// reading puts in its place.
type badDate struct {
	y, m, d int
	fixed   time.Time
}

func (b *badDate) Error() string {
	return fmt.Sprintf("date %s does not exist", isoDate(b.y, b.m, b.d))
}

func isoDate(y, m, d int) string {
	return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
}

// date builds a calendar date, or a *badDate holding the last day of the month
// when the day is past it (30 February), or another error.
func date(y, m, d int) (time.Time, error) {
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, fmt.Errorf("date %s is not a calendar date", isoDate(y, m, d))
	}

	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		last := time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC)
		return time.Time{}, &badDate{y: y, m: m, d: d, fixed: last}
	}

	return t, nil
}

// two reads two ASCII digits.
func two(s string) int {
	return int(s[0]-'0')*10 + int(s[1]-'0')
}

// yymmdd reads a SWIFT date; years 00-79 are 20xx, 80-99 are 19xx.
func yymmdd(raw string) (time.Time, error) {
	if len(raw) != 6 || !digits(raw) {
		return time.Time{}, fmt.Errorf("date %q is not YYMMDD", raw)
	}

	y := two(raw)
	if y < 80 {
		y += 2000
	} else {
		y += 1900
	}

	return date(y, two(raw[2:]), two(raw[4:]))
}

// entryDate reads the MMDD entry date of a :61: in the year that puts it
// closest to the value date: an entry on 2 January for a value date of 30
// December belongs to the next year, and the other way round.
func entryDate(raw string, value time.Time) (time.Time, error) {
	if len(raw) != 4 || !digits(raw) {
		return time.Time{}, fmt.Errorf("date %q is not MMDD", raw)
	}

	m, d := two(raw), two(raw[2:])

	var best time.Time
	var firstErr error

	for _, y := range [3]int{value.Year(), value.Year() - 1, value.Year() + 1} {
		t, err := date(y, m, d)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}

			continue
		}

		if best.IsZero() || absDays(t.Sub(value)) < absDays(best.Sub(value)) {
			best = t
		}
	}

	if best.IsZero() {
		return time.Time{}, firstErr
	}

	return best, nil
}

func absDays(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}

	return d
}

// balance is an opening, closing or available balance field.
type balance struct {
	tag   string
	line  int
	raw   string
	minor int64 // signed: debit balances are negative
	ccy   currency
	date  time.Time
}

// parseBalance reads "C110522EUR3236,28": mark, YYMMDD, currency, amount.
func parseBalance(raw string) (balance, error) {
	b := balance{raw: raw}
	s := strings.TrimSpace(raw)

	if len(s) < 11 {
		return b, errors.New("balance must be D/C mark, YYMMDD, currency and amount")
	}

	neg := false

	switch s[0] {
	case 'C':
	case 'D':
		neg = true
	default:
		return b, fmt.Errorf("balance mark %q must be C or D", s[:1])
	}

	d, err := yymmdd(s[1:7])
	if err != nil {
		return b, err
	}

	b.date = d

	ccy, ok := lookupCurrency(s[7:10])
	if !ok {
		return b, errors.New(money.CurrencyProblem(s[7:10]))
	}

	b.ccy = ccy

	minor, err := parseAmount(s[10:], ccy.exp)
	if err != nil {
		return b, err
	}

	if neg {
		minor = -minor
	}

	b.minor = minor

	return b, nil
}

// formatSigned writes minor units with the currency's digits.
func formatSigned(minor int64, c currency) string {
	return money.FormatMinor(minor, c.exp)
}

// normAccount reduces a :25: account to the account itself: a currency suffix
// ("/HUF", " EUR" or glued to an IBAN as in "NL77INGB0574908765EUR") and
// blanks inside an IBAN are dropped.
func normAccount(raw string) (account, ccy string) {
	s := strings.TrimSpace(raw)

	if i := strings.LastIndexAny(s, "/ "); i > 0 && i == len(s)-4 {
		if c, ok := lookupCurrency(s[i+1:]); ok {
			s, ccy = strings.TrimSpace(s[:i]), c.code
		}
	}

	if compact := strings.ReplaceAll(s, " ", ""); compact != s && validIBAN(compact) {
		s = compact
	}

	if len(s) > 4 && !validIBAN(s) && ibanPlusCurrency(s) {
		if c, ok := lookupCurrency(s[len(s)-3:]); ok {
			s, ccy = s[:len(s)-3], c.code
		}
	}

	return s, ccy
}

// ibanLengths are the IBAN lengths of the countries whose banks send MT940
// most; they tell an IBAN with a glued currency code from a longer IBAN even
// when test data carries wrong check digits.
var ibanLengths = map[string]int{
	"AT": 20, "BE": 16, "CH": 21, "CZ": 24, "DE": 22, "DK": 18, "EE": 20, "ES": 24,
	"FI": 18, "FR": 27, "GB": 22, "HU": 28, "IE": 22, "IT": 27, "LT": 20, "LU": 20,
	"LV": 21, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SK": 24,
}

// ibanPlusCurrency reports an IBAN followed by three letters.
func ibanPlusCurrency(s string) bool {
	iban := s[:len(s)-3]
	if validIBAN(iban) {
		return true
	}

	n, ok := ibanLengths[s[:2]]

	return ok && len(iban) == n && ibanShape(iban)
}

// ibanShape reports whether s looks like an IBAN: country letters, check
// digits and 10 to 30 letters and digits.
func ibanShape(s string) bool {
	if len(s) < 14 || len(s) > 34 {
		return false
	}

	if s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' || !digits(s[2:4]) {
		return false
	}

	for i := 4; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}

	return true
}

// validIBAN reports an IBAN shape with correct mod-97 check digits.
func validIBAN(s string) bool {
	if !ibanShape(s) {
		return false
	}

	rem := 0
	for _, c := range s[4:] + s[:4] {
		if c >= 'A' {
			rem = (rem*100 + int(c-'A'+10)) % 97
		} else {
			rem = (rem*10 + int(c-'0')) % 97
		}
	}

	return rem == 1
}
