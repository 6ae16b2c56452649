package bankcsv

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/o2c-dev/o2c/internal/money"
)

// DateOrder is the order of day and month in dates such as 03/04/2025.
type DateOrder int

// Date orders. DateAuto infers the order from the whole file.
const (
	DateAuto DateOrder = iota
	DayFirst
	MonthFirst
)

// String returns the order as a date pattern, "DD/MM/YYYY" or "MM/DD/YYYY".
func (o DateOrder) String() string {
	switch o {
	case DayFirst:
		return "DD/MM/YYYY"
	case MonthFirst:
		return "MM/DD/YYYY"
	}

	return "auto"
}

// dateShape says how much a date cell tells about the day/month order.
type dateShape int

const (
	shapeFixed      dateShape = iota // ISO, DD.MM.YYYY, month names: no choice to make
	shapeDayFirst                    // a/b/y with a > 12: proves day-first
	shapeMonthFirst                  // a/b/y with b > 12: proves month-first
	shapeEither                      // a/b/y with both ≤ 12 and a ≠ b: ambiguous
	shapeSame                        // a/b/y with a = b: same date either way
)

// rawDate is a date cell split into numbers before the order is known.
type rawDate struct {
	y, a, b int // for shapeFixed: a = month, b = day
	shape   dateShape
}

var months = map[string]int{
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
	"sep": 9, "oct": 10, "nov": 11, "dec": 12,
}

var (
	errDate       = errors.New("not a date")
	errImpossible = errors.New("impossible date")
)

// trimDate drops what follows the date in a date cell: a time, or " as of
// <date>" (the first date counts).
func trimDate(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(strings.ToLower(s), " as of "); i > 0 {
		s = s[:i]
	}

	if i := strings.IndexAny(s, " T"); i > 0 && strings.Contains(s[i:], ":") {
		s = s[:i] // a time follows
	}

	return s
}

// splitDate reads a date cell: YYYY-MM-DD (also with / or . and a time),
// YYYYMMDD, DD.MM.YYYY, a/b/YYYY or a-b-YYYY (two-digit years are 20YY),
// DD-Mon-YYYY and "<date> as of <date>" (the first date counts).
func splitDate(s string) (rawDate, error) {
	s = trimDate(s)

	if len(s) == 8 && allDigits(s) {
		return fixed(atoi(s[:4]), atoi(s[4:6]), atoi(s[6:]))
	}

	parts := strings.FieldsFunc(s, func(r rune) bool {
		return r == '/' || r == '-' || r == '.' || r == ' '
	})
	if len(parts) != 3 {
		return rawDate{}, errDate
	}

	sep := s[len(parts[0])]

	mon := strings.ToLower(parts[1][:min(3, len(parts[1]))])
	if m, ok := months[mon]; ok && allDigits(parts[0]) {
		return fixed(year(parts[2]), m, atoi(parts[0])) // 15-Jan-2025
	}

	for _, p := range parts {
		if !allDigits(p) {
			return rawDate{}, errDate
		}
	}

	switch {
	case len(parts[0]) == 4:
		return fixed(atoi(parts[0]), atoi(parts[1]), atoi(parts[2]))
	case len(parts[2]) != 4 && len(parts[2]) != 2:
		return rawDate{}, errDate
	case sep == '.':
		return fixed(year(parts[2]), atoi(parts[1]), atoi(parts[0])) // DD.MM.YYYY
	}

	d := rawDate{y: year(parts[2]), a: atoi(parts[0]), b: atoi(parts[1])}

	switch {
	case d.a > 12 && d.b > 12, d.a < 1, d.b < 1, d.a > 31, d.b > 31:
		return rawDate{}, errDate
	case d.a > 12:
		d.shape = shapeDayFirst
	case d.b > 12:
		d.shape = shapeMonthFirst
	case d.a == d.b:
		d.shape = shapeSame
	default:
		d.shape = shapeEither
	}

	return d, nil
}

func fixed(y, m, d int) (rawDate, error) {
	return rawDate{y: y, a: m, b: d, shape: shapeFixed}, nil
}

func year(s string) int {
	if len(s) == 2 {
		return 2000 + atoi(s)
	}

	return atoi(s)
}

// date returns the calendar date in the given order; impossible dates such as
// 31/02/2025 are errors, never rolled over.
func (d rawDate) date(order DateOrder) (time.Time, error) {
	month, day := d.a, d.b
	if d.shape != shapeFixed && order == DayFirst {
		month, day = d.b, d.a
	}

	return calendar(d.y, month, day)
}

// calendar returns the date y-m-d, or errImpossible for a day the calendar
// does not have.
func calendar(y, m, d int) (time.Time, error) {
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || int(t.Month()) != m || t.Day() != d || y < 1900 {
		return time.Time{}, errImpossible
	}

	return t, nil
}

// dateLayout is a date format of a bank profile, such as DD.MM.YYYY.
type dateLayout struct {
	text string
	toks []dateTok
}

// dateTok is one element of a layout: a field (kind Y, y, M, D or N for a
// month name) or a literal character (kind 0).
type dateTok struct {
	kind byte
	lit  rune
}

// layoutFields are the fields a layout is written with, longest first.
var layoutFields = []struct {
	text string
	kind byte
}{{"YYYY", 'Y'}, {"MON", 'N'}, {"MMM", 'N'}, {"YY", 'y'}, {"MM", 'M'}, {"DD", 'D'},
	{"M", 'M'}, {"D", 'D'}}

// parseLayout reads a layout written with YYYY, YY, MM, M, DD, D and MON.
func parseLayout(s string) (dateLayout, error) {
	l := dateLayout{text: s}
	seen := map[byte]bool{}
	up := strings.ToUpper(s)

	for i := 0; i < len(up); {
		matched := false

		for _, f := range layoutFields {
			if strings.HasPrefix(up[i:], f.text) {
				kind := f.kind
				if kind == 'y' {
					kind = 'Y'
				}

				if kind == 'N' {
					kind = 'M'
				}

				if seen[kind] {
					return l, errors.New("a field appears twice")
				}

				seen[kind] = true
				l.toks = append(l.toks, dateTok{kind: f.kind})
				i += len(f.text)
				matched = true

				break
			}
		}

		if matched {
			continue
		}

		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return l, fmt.Errorf("%q is not one of YYYY, YY, MM, M, DD, D, MON", r)
		}

		l.toks = append(l.toks, dateTok{lit: r})
		i += size
	}

	if !seen['Y'] || !seen['M'] || !seen['D'] {
		return l, errors.New("needs a year, a month and a day")
	}

	return l, nil
}

// order says whether the layout puts the day or the month first.
func (l dateLayout) order() DateOrder {
	for _, t := range l.toks {
		switch t.kind {
		case 'D':
			return DayFirst
		case 'M', 'N':
			return MonthFirst
		}
	}

	return DateAuto
}

// parse reads a date cell in the layout: errDate when it does not fit,
// errImpossible for a date such as 31/02/2025.
func (l dateLayout) parse(cell string) (time.Time, error) {
	s := trimDate(cell)
	y, m, d := -1, -1, -1

	for _, t := range l.toks {
		if t.kind == 0 {
			r, size := utf8.DecodeRuneInString(s)
			if size == 0 || r != t.lit {
				return time.Time{}, errDate
			}

			s = s[size:]

			continue
		}

		if t.kind == 'N' {
			n := 0
			for n < len(s) && unicode.IsLetter(rune(s[n])) {
				n++
			}

			mon, ok := months[strings.ToLower(s[:min(3, n)])]
			if !ok || n < 3 {
				return time.Time{}, errDate
			}

			m, s = mon, s[n:]

			continue
		}

		width, least := 2, 1
		switch t.kind {
		case 'Y':
			width, least = 4, 4
		case 'y':
			least = 2
		}

		n := 0
		for n < width && n < len(s) && s[n] >= '0' && s[n] <= '9' {
			n++
		}

		if n < least {
			return time.Time{}, errDate
		}

		v := atoi(s[:n])
		s = s[n:]

		switch t.kind {
		case 'Y':
			y = v
		case 'y':
			y = 2000 + v
		case 'M':
			m = v
		case 'D':
			d = v
		}
	}

	if s != "" {
		return time.Time{}, errDate
	}

	return calendar(y, m, d)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}

	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}

	return true
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}

	return n
}

// number is a parsed amount cell. Neg records a minus written in the cell, so
// "-0,00" keeps its direction even though its value is zero.
type number struct {
	minor int64
	neg   bool
	ccy   string // currency named in the cell (code or €/£), "" if none
}

var (
	errNumber   = errors.New("not a number")
	errGrouping = errors.New("digit grouping is not valid")
)

var symbols = map[rune]string{'€': "EUR", '£': "GBP", '$': "", '¥': ""}

// cleanNumber strips what surrounds the digits of an amount cell: spaces,
// currency symbols or codes, a sign (leading, trailing, U+2212, parentheses, or
// a CR/DR suffix). It returns the digits with their separators.
func cleanNumber(s string) (body string, neg bool, ccy string, err error) {
	s = strings.TrimSpace(s)

	if len(s) > 3 && isCode(s[len(s)-3:]) {
		ccy, s = strings.ToUpper(s[len(s)-3:]), strings.TrimSpace(s[:len(s)-3])
	} else if len(s) > 3 && isCode(s[:3]) {
		ccy, s = strings.ToUpper(s[:3]), strings.TrimSpace(s[3:])
	}

	if up := strings.ToUpper(s); strings.HasSuffix(up, "CR") || strings.HasSuffix(up, "DR") {
		neg = strings.HasSuffix(up, "DR")
		s = strings.TrimSpace(s[:len(s)-2])
	}

	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		neg, s = true, strings.TrimSpace(s[1:len(s)-1])
	}

	var b strings.Builder

	signs, digits, signAfter := 0, 0, 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
			if signs > 0 && signAfter > 0 {
				return "", false, "", errNumber // a sign between digits
			}

			b.WriteRune(r)
		case r == '.', r == ',':
			b.WriteRune(r)
		case r == '-' || r == '\u2212' || r == '+':
			signs++
			neg = neg || r != '+'

			if digits > 0 {
				signAfter++
			}
		case r == ' ', r == '\u00a0', r == '\u202f', r == '\'' && i > 0:
			b.WriteByte(' ') // a thousands separator; checked when parsed
		default:
			code, ok := symbols[r]
			if !ok {
				return "", false, "", errNumber
			}

			if code != "" {
				ccy = code
			}
		}
	}

	body = strings.TrimSpace(b.String())
	if digits == 0 || signs > 1 {
		return "", false, "", errNumber
	}

	return body, neg, ccy, nil
}

func isCode(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) || r > unicode.MaxASCII {
			return false
		}
	}

	// Any ISO 4217 code, cash or not: a file's "XXX" is a currency code the
	// row then refuses, not text.
	return money.KnownCode(s)
}

// decimalMark says which separator a cleaned number uses as decimal mark: sure
// is false when the cell cannot tell ("1,500", "2.000") or has no separator.
func decimalMark(body string) (mark byte, sure bool) {
	body = strings.ReplaceAll(body, " ", "")
	dot, comma := strings.LastIndexByte(body, '.'), strings.LastIndexByte(body, ',')

	switch {
	case dot >= 0 && comma >= 0:
		if dot > comma {
			return '.', true
		}

		return ',', true
	case dot < 0 && comma < 0:
		return 0, false
	}

	mark, other := byte('.'), byte(',')
	i := dot

	if comma >= 0 {
		mark, other, i = ',', '.', comma
	}

	if strings.Count(body, string(mark)) > 1 {
		return other, true // 1,234,567: the mark is a thousands separator
	}

	if len(body)-i-1 == 3 {
		return 0, false
	}

	return mark, true
}

// parseNumber reads a cleaned number with decimal mark dec into minor units of
// a currency with exp decimals. Thousands separators (the other mark when
// thousands is 0, spaces only when it is ' ', none when it is noGrouping) must
// group digits by three (Indian two-digit groups are accepted before the last
// three).
func parseNumber(body string, dec, thousands byte, exp int) (int64, error) {
	other := byte(',')
	if dec == ',' {
		other = '.'
	}

	switch thousands {
	case 0:
		thousands = other
	case noGrouping:
		if strings.ContainsAny(body, " "+string(other)) {
			return 0, errGrouping
		}
	case ' ':
		if strings.IndexByte(body, other) >= 0 {
			return 0, errGrouping
		}
	}

	whole, frac := body, ""
	if i := strings.LastIndexByte(body, dec); i >= 0 {
		whole, frac = body[:i], body[i+1:]
	}

	if strings.ContainsAny(frac, "., ") {
		return 0, errNumber
	}

	groups := splitGroups(whole, thousands)
	if strings.ContainsRune(whole, rune(thousands)) || strings.Contains(whole, " ") {
		if !validGroups(whole, thousands) {
			return 0, errGrouping
		}
	}

	digits := strings.Join(groups, "")
	if digits == "" {
		digits = "0"
	}

	if !allDigits(digits) || (frac != "" && !allDigits(frac)) {
		return 0, errNumber
	}

	return money.ParseMinor(digits+"."+frac, exp)
}

func validGroups(whole string, thousands byte) bool {
	groups := splitGroups(whole, thousands)
	if len(groups) < 2 || strings.HasPrefix(whole, string(thousands)) ||
		strings.HasSuffix(whole, string(thousands)) {
		return false
	}

	if len(groups[0]) > 3 || len(groups[len(groups)-1]) != 3 {
		return false
	}

	for _, g := range groups[1 : len(groups)-1] {
		if len(g) != 2 && len(g) != 3 {
			return false
		}
	}

	return true
}

func splitGroups(whole string, thousands byte) []string {
	return strings.FieldsFunc(whole, func(r rune) bool { return r == rune(thousands) || r == ' ' })
}
