package world

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// ValidABA reports whether s is a nine-digit US routing number whose check digit
// is right: 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) is a multiple of 10.
func ValidABA(s string) bool {
	if len(s) != 9 || !digitsOnly(s) {
		return false
	}

	return abaSum(s)%10 == 0
}

// abaCheck returns the nine-digit routing number made of the eight-digit
// prefix and its check digit.
func abaCheck(prefix string) string {
	s := abaSum(prefix + "0")
	return prefix + strconv.Itoa((10-s%10)%10)
}

func abaSum(s string) int {
	w := [9]int{3, 7, 1, 3, 7, 1, 3, 7, 1}
	sum := 0
	for i := 0; i < 9; i++ {
		sum += w[i] * int(s[i]-'0')
	}

	return sum
}

// ValidIBAN reports whether s (without spaces) is shaped like an IBAN and its
// check digits pass ISO 13616 mod 97.
func ValidIBAN(s string) bool {
	if len(s) < 15 || len(s) > 34 {
		return false
	}

	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i < 2 && (c < 'A' || c > 'Z'):
			return false
		case i >= 2 && i < 4 && (c < '0' || c > '9'):
			return false
		case i >= 4 && !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z'):
			return false
		}
	}

	return ibanMod97(s[4:]+s[:4]) == 1
}

// ibanMod97 returns the remainder of s mod 97, letters counting as 10..35.
func ibanMod97(s string) int {
	r := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			v := int(c-'A') + 10
			r = (r*100 + v) % 97
			continue
		}

		r = (r*10 + int(c-'0')) % 97
	}

	return r
}

// makeIBAN builds an IBAN of country and bban with the right check digits.
func makeIBAN(country, bban string) string {
	check := 98 - ibanMod97(bban+country+"00")
	return country + twoDigits(check) + bban
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}

	return strconv.Itoa(n)
}

func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}

	return s != ""
}

// usBankPrefixes are invented eight-digit routing prefixes (Federal Reserve
// district in the first two digits); abaCheck adds the check digit.
var usBankPrefixes = []string{
	"01120047", "02230719", "03140211", "04110058", "05390218", "06120301",
	"07190622", "08100433", "09110917", "10130726", "11150083", "12140258",
	"21130052", "26140617", "31170094", "32180311",
}

// euBank is a bank that can hold an IBAN: its country, national bank code and
// BIC.
type euBank struct {
	country string
	code    string
	bic     string
}

var euBanks = []euBank{
	{"DE", "37040044", "COBADEFFXXX"},
	{"DE", "50010517", "INGDDEFFXXX"},
	{"DE", "10010010", "PBNKDEFFXXX"},
	{"DE", "60050101", "SOLADEST600"},
	{"NL", "ABNA", "ABNANL2A"},
	{"NL", "INGB", "INGBNL2A"},
	{"NL", "RABO", "RABONL2U"},
	{"AT", "12000", "BKAUATWW"},
	{"AT", "20111", "GIBAATWW"},
	{"BE", "310", "BBRUBEBB"},
	{"BE", "001", "GEBABEBB"},
}

// usAccount returns a routing:account pair at one of the invented banks.
func usAccount(r *rand.Rand) (routing, account string) {
	routing = abaCheck(usBankPrefixes[r.IntN(len(usBankPrefixes))])
	account = randDigits(r, 8+r.IntN(5))
	if account[0] == '0' {
		account = "4" + account[1:]
	}

	return routing, account
}

// euAccount returns an IBAN with valid check digits and the BIC of its bank.
func euAccount(r *rand.Rand) (iban, bic string) {
	b := euBanks[r.IntN(len(euBanks))]
	switch b.country {
	case "NL":
		return makeIBAN("NL", b.code+nlAccount(r)), b.bic
	case "AT":
		return makeIBAN("AT", b.code+randDigits(r, 11)), b.bic
	case "BE":
		acct := randDigits(r, 7)
		n, _ := strconv.ParseInt(b.code+acct, 10, 64)
		check := int(n % 97)
		if check == 0 {
			check = 97
		}

		return makeIBAN("BE", b.code+acct+twoDigits(check)), b.bic
	default:
		return makeIBAN(b.country, b.code+randDigits(r, 10)), b.bic
	}
}

// nlAccount returns a ten-digit Dutch account number that passes the
// eleven test (Σ digit·weight, weights 10..1, divisible by 11).
func nlAccount(r *rand.Rand) string {
	for {
		d := randDigits(r, 9)
		sum := 0
		for i := 0; i < 9; i++ {
			sum += int(d[i]-'0') * (10 - i)
		}

		last := (11 - sum%11) % 11
		if last < 10 {
			return d + strconv.Itoa(last)
		}
	}
}

func randDigits(r *rand.Rand, n int) string {
	var b strings.Builder
	b.Grow(n)
	for i := 0; i < n; i++ {
		b.WriteByte(byte('0' + r.IntN(10)))
	}

	return b.String()
}
