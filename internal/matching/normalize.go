package matching

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// NormalizeRef reduces a document reference to the form used for lookups: ASCII
// letters upper-cased, every separator dropped and the leading zeros of each run of
// digits removed, so "INV-000123", "inv 123" and "INV123" all become "INV123".
// Accented Latin letters are folded to their base letter.
func NormalizeRef(s string) string {
	return string(appendRef(make([]byte, 0, len(s)), s))
}

// appendRef appends the normalised form of s to dst.
func appendRef(dst []byte, s string) []byte {
	inDigits := false
	zeros := 0 // leading zeros held back in the current digit run

	flush := func() {
		if inDigits && zeros > 0 {
			dst = append(dst, '0')
		}

		inDigits, zeros = false, 0
	}

	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
			r = foldRune(r)
		}

		i += size

		switch {
		case r >= '0' && r <= '9':
			if !inDigits {
				inDigits, zeros = true, 0
			}

			if zeros >= 0 && r == '0' {
				zeros++
				continue
			}

			zeros = -1 // a significant digit was written; later zeros are kept
			dst = append(dst, byte(r))
		case r >= 'a' && r <= 'z':
			flush()
			dst = append(dst, byte(r-'a'+'A'))
		case r >= 'A' && r <= 'Z':
			flush()
			dst = append(dst, byte(r))
		case r >= utf8.RuneSelf && unicode.IsLetter(r):
			flush()
			dst = utf8.AppendRune(dst, unicode.ToUpper(r))
		default:
			flush()
		}
	}

	flush()

	return dst
}

// digitsOf returns the digits of a normalised reference, in order, or "" when it
// has none: "INV202442" gives "202442".
func digitsOf(norm string) string {
	n := 0
	for i := 0; i < len(norm); i++ {
		if norm[i] >= '0' && norm[i] <= '9' {
			n++
		}
	}

	if n == len(norm) || n == 0 {
		if n == 0 {
			return ""
		}

		return norm
	}

	b := make([]byte, 0, n)
	for i := 0; i < len(norm); i++ {
		if norm[i] >= '0' && norm[i] <= '9' {
			b = append(b, norm[i])
		}
	}

	return string(b)
}

// NormalizeAccount reduces a bank account to the form used for lookups. A
// "routing:account" pair keeps only the digits of each side and drops the leading
// zeros of the account ("011000015:000123456789" becomes "011000015:123456789");
// anything else, such as an IBAN, is upper-cased with everything but letters and
// digits removed. It returns "" when nothing is left.
func NormalizeAccount(s string) string {
	if routing, account, ok := strings.Cut(s, ":"); ok {
		r := keepDigits(routing)
		a := strings.TrimLeft(keepDigits(account), "0")
		if a == "" {
			return ""
		}

		return r + ":" + a
	}

	return upperAlnum(s)
}

func keepDigits(s string) string {
	var b strings.Builder

	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}

	return b.String()
}

// upperAlnum keeps the ASCII letters (upper-cased) and digits of s.
func upperAlnum(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			b = append(b, c-'a'+'A')
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			b = append(b, c)
		}
	}

	return string(b)
}

// legalSuffixes are words dropped from the end of a company name by NormalizeName.
var legalSuffixes = map[string]bool{
	"AB": true, "AG": true, "APS": true, "AS": true, "ASA": true, "BHD": true, "BV": true,
	"CO": true, "COMPANY": true, "CORP": true, "CORPORATION": true, "CV": true, "EK": true,
	"GMBH": true, "INC": true, "INCORPORATED": true, "KG": true, "KK": true, "LIMITED": true,
	"LLC": true, "LLP": true, "LP": true, "LTD": true, "LTDA": true, "MBH": true, "NV": true,
	"OHG": true, "OY": true, "OYJ": true, "PLC": true, "PRIVATE": true, "PTE": true,
	"PTY": true, "PVT": true, "SA": true, "SAS": true, "SARL": true, "SDN": true, "SE": true,
	"SL": true, "SPA": true, "SRL": true, "UG": true,
}

// NormalizeName reduces a company name to the form used for payer lookups: accents
// folded, upper case, "&" and "+" read as "AND", apostrophes and dots removed ("B.V." is
// "BV"), other punctuation read as spaces, a leading "THE" and trailing legal forms
// (Inc, LLC, Ltd, Limited, GmbH, BV, SA, AG, Corp, Co, PLC, Pvt, SARL, NV, Oy, AB
// and the like) dropped, words joined by single spaces. "Example Customer, LLC"
// and "EXAMPLE CUSTOMER" both become "EXAMPLE CUSTOMER". A name made only of legal
// forms keeps them.
func NormalizeName(s string) string {
	// The words are written separated by single spaces, and the result is a
	// slice of that text: one allocation for a name of up to maxNameWords words.
	var b strings.Builder

	b.Grow(len(s))
	space := func() {
		if n := b.Len(); n > 0 && b.String()[n-1] != ' ' {
			b.WriteByte(' ')
		}
	}

	for _, r := range s {
		r = foldRune(r)
		switch {
		case r == '\'' || r == '.' || r == '\u2019':
			continue
		case r == '&' || r == '+': // SWIFT's character set has no "&": banks write "+"
			space()
			b.WriteString("AND ")
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToUpper(r))
		default:
			space()
		}
	}

	text := strings.TrimSuffix(b.String(), " ")
	if text == "" {
		return ""
	}

	var buf [maxNameWords][2]int
	words := buf[:0]
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], ' ')
		if j < 0 {
			j = len(text) - i
		}

		words = append(words, [2]int{i, i + j})
		i += j + 1
	}

	word := func(w [2]int) string { return text[w[0]:w[1]] }
	all := words
	if len(words) > 1 && word(words[0]) == "THE" {
		words = words[1:]
	}

	end := len(words)
	for end > 0 && legalSuffixes[word(words[end-1])] {
		end--
		if end > 0 && end < len(words) && word(words[end-1]) == "AND" {
			end--
		}
	}

	if end == 0 {
		return text[all[0][0]:all[len(all)-1][1]]
	}

	return text[words[0][0]:words[end-1][1]]
}

// maxNameWords is how many words NormalizeName splits a name into without an
// allocation of its own.
const maxNameWords = 16

// foldRune maps common accented Latin letters to their base ASCII letter and
// returns other runes unchanged.
func foldRune(r rune) rune {
	if r < 0xC0 || r > 0x17F {
		return r
	}

	if r <= 0xFF {
		const latin1 = "AAAAAAACEEEEIIIIDNOOOOOxOUUUUYTsaaaaaaaceeeeiiiidnooooo/ouuuuyty"
		c := latin1[r-0xC0]
		if c == 'x' || c == '/' {
			return r
		}

		return rune(c)
	}

	// Latin Extended-A comes in upper/lower pairs; this maps the common ones.
	const extA = "AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIiJjJjKkkLlLlLlLlLl" +
		"NnNnNnnNnOoOoOoOoRrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs"
	i := int(r - 0x100)
	if i < len(extA) {
		return rune(extA[i])
	}

	return r
}
