package matching

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokenKind says how a candidate reference was written, which sets how much a hit
// on it is worth.
type tokenKind uint8

const (
	// tokenCode is a code with letters and digits ("INV-000123", "inv123") or a short
	// word joined to the number after it ("INV 123" read as "INV123").
	tokenCode tokenKind = iota + 1
	// tokenKeyword is a number after an invoice keyword: "Invoice #123", "Rechnung 77".
	tokenKeyword
	// tokenBare is a number standing alone in the text.
	tokenBare
)

// token is one candidate reference found in a text. Tokens of one group are
// alternative readings of the same words, best first: the first that hits an
// invoice wins and the others are dropped.
type token struct {
	norm  string
	raw   string
	kind  tokenKind
	group int
}

// invoiceKeywords are words that announce an invoice number.
var invoiceKeywords = map[string]bool{
	"BILL": true, "FACT": true, "FACTURA": true, "FACTURAS": true, "FACTURE": true,
	"FACTURES": true, "FAKTURA": true, "FATTURA": true, "FATTURE": true, "INV": true,
	"INVNO": true, "INVOICE": true, "INVOICES": true, "INVS": true, "RECHNUNG": true,
	"RECHNUNGEN": true, "RECHNUNGSNR": true,
}

// fillers may stand between an invoice keyword and its numbers ("Invoice No. 12",
// "invoices 12, 13 and 14") without ending the list.
var fillers = map[string]bool{
	"AND": true, "NO": true, "NOS": true, "NR": true, "NUM": true, "NUMBER": true,
	"NUMBERS": true, "UND": true, "ET": true, "Y": true,
}

// ExtractRefs returns the candidate document references in text, normalised with
// NormalizeRef, in order of appearance and without repeats. It finds codes with
// letters and digits ("INV-000123", "inv123", "PO-7788", several separated by
// commas, semicolons, slashes, spaces or "and"), a short word followed by a number
// ("INV 123" gives "INV123"), numbers after an invoice keyword ("Invoice #123" gives
// "INVOICE123" and "123") and bare numbers of at least three digits that do not
// look like a date or an amount.
func ExtractRefs(text string) []string {
	toks := appendTokens(nil, text, 3, 0)
	out := make([]string, 0, len(toks))
	seen := make(map[string]bool, len(toks))

	for _, t := range toks {
		if !seen[t.norm] {
			seen[t.norm] = true
			out = append(out, t.norm)
		}
	}

	return out
}

// word is one run of letters and digits, possibly joined by '-', '/', '_', '.' or
// '#', as found in a text.
type word struct {
	raw             string
	letters, digits int
	leadLetters     int    // length of the leading run of letters
	upper           string // raw upper-cased, set when it has letters
	lettersOnly     bool
	amountLike      bool // a number that reads as a money amount
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isJoiner(c byte) bool {
	return c == '-' || c == '/' || c == '_' || c == '.' || c == '#'
}

// wordRune reports whether the rune at s[i:] belongs in a word (an ASCII letter or
// digit, or a non-ASCII letter) and its size in bytes.
func wordRune(s string, i int) (bool, int) {
	if s[i] < utf8.RuneSelf {
		return isAlnum(s[i]), 1
	}

	r, size := utf8.DecodeRuneInString(s[i:])

	return unicode.IsLetter(r), size
}

// nextWord returns the next word of s at or after i and the index after it.
func nextWord(s string, i int) (word, int, bool) {
	for i < len(s) {
		ok, size := wordRune(s, i)
		if ok {
			break
		}

		i += size
	}

	if i == len(s) {
		return word{}, i, false
	}

	start, end := i, i
	for i < len(s) {
		if ok, size := wordRune(s, i); ok {
			i += size
			end = i
			continue
		}

		if isJoiner(s[i]) && i+1 < len(s) {
			if ok, _ := wordRune(s, i+1); ok {
				i++
				continue
			}
		}

		break
	}

	w := word{raw: s[start:end]}
	lead := true
	for _, r := range w.raw {
		switch {
		case r >= '0' && r <= '9':
			w.digits++
			lead = false
		case r < utf8.RuneSelf && isJoiner(byte(r)):
			lead = false
		default:
			w.letters++
			if lead {
				w.leadLetters += utf8.RuneLen(r)
			}
		}
	}

	w.lettersOnly = w.digits == 0 && !strings.ContainsAny(w.raw, "-/_.#")
	if w.letters > 0 {
		w.upper = strings.ToUpper(w.raw)
	}

	if w.letters == 0 {
		w.amountLike = looksLikeAmount(w.raw, s[end:])
	}

	return w, end, true
}

// looksLikeAmount reports whether a number reads as a money amount: it ends in a
// decimal point and one or two digits ("1250.00"), or a decimal comma and two
// digits follow it ("1.250,00").
func looksLikeAmount(raw, after string) bool {
	if dot := strings.LastIndexByte(raw, '.'); dot >= 0 && len(raw)-dot-1 <= 2 {
		return true
	}

	if len(after) >= 3 && after[0] == ',' && isDigit(after[1]) && isDigit(after[2]) {
		return len(after) == 3 || !isDigit(after[3])
	}

	return false
}

func isDigit(c byte) bool {
	return c >= '0' && c <= '9'
}

// appendTokens appends the candidate references of text to dst. minDigits is the
// least number of digits a bare number needs; group numbers start at firstGroup.
func appendTokens(dst []token, text string, minDigits, firstGroup int) []token {
	group := firstGroup
	keyword := false // an invoice keyword was seen and its list goes on
	var prev word
	havePrev := false

	for i := 0; ; {
		w, next, ok := nextWord(text, i)
		if !ok {
			break
		}

		i = next
		switch {
		case w.digits == 0:
			switch {
			case invoiceKeywords[w.upper]:
				keyword = true
			case keyword && fillers[w.upper]:
			default:
				keyword = false
			}
		case w.letters > 0:
			dst = appendCode(dst, w, group)
			group++
		default:
			if looksLikeDate(w.raw) || w.amountLike {
				keyword = false
				break
			}

			n := len(dst)
			if havePrev && prev.lettersOnly && len(prev.raw) <= 10 && !fillers[prev.upper] {
				joined := NormalizeRef(prev.raw + w.raw)
				dst = append(dst, token{
					norm: joined, raw: prev.raw + " " + w.raw, kind: tokenCode, group: group,
				})
			}

			norm := NormalizeRef(w.raw)
			switch {
			case keyword:
				dst = append(dst, token{norm: norm, raw: w.raw, kind: tokenKeyword, group: group})
			case w.digits >= minDigits:
				dst = append(dst, token{norm: norm, raw: w.raw, kind: tokenBare, group: group})
			}

			if len(dst) > n {
				group++
			}
		}

		prev, havePrev = w, true
	}

	return dst
}

// appendCode appends a word with letters and digits: whole, or split on '/' when
// every part is itself a code ("INV-1/INV-2"). A code that starts with an invoice
// keyword ("Invoice#123") also yields its number as an alternative.
func appendCode(dst []token, w word, group int) []token {
	if strings.IndexByte(w.raw, '/') >= 0 {
		parts := strings.Split(w.raw, "/")
		allCodes := true
		for _, p := range parts {
			if !hasLetterAndDigit(p) {
				allCodes = false
				break
			}
		}

		if allCodes {
			for _, p := range parts {
				dst = append(dst, token{
					norm: NormalizeRef(p), raw: p, kind: tokenCode, group: group,
				})
				group++
			}

			return dst
		}
	}

	dst = append(dst, token{norm: NormalizeRef(w.raw), raw: w.raw, kind: tokenCode, group: group})
	if w.leadLetters > 0 && invoiceKeywords[strings.ToUpper(w.raw[:w.leadLetters])] {
		rest := strings.TrimLeft(w.raw[w.leadLetters:], "-/_.#")
		if rest != "" && !hasLetter(rest) {
			dst = append(dst, token{
				norm: NormalizeRef(rest), raw: rest, kind: tokenKeyword, group: group,
			})
		}
	}

	return dst
}

func hasLetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if isAlnum(s[i]) && (s[i] < '0' || s[i] > '9') {
			return true
		}
	}

	return false
}

func hasLetterAndDigit(s string) bool {
	return hasLetter(s) && strings.ContainsAny(s, "0123456789")
}

// looksLikeDate reports whether a number with joiners reads as a calendar date:
// three parts split by one kind of separator, one of four digits starting 19 or
// 20 and the others of one or two digits (2025-01-15, 15.01.2025, 1/15/2025).
func looksLikeDate(s string) bool {
	for _, sep := range []string{"-", "/", "."} {
		parts := strings.Split(s, sep)
		if len(parts) != 3 {
			continue
		}

		years, small := 0, 0
		for _, p := range parts {
			switch {
			case len(p) == 4 && (strings.HasPrefix(p, "19") || strings.HasPrefix(p, "20")):
				years++
			case len(p) == 1 || len(p) == 2:
				small++
			}
		}

		if years == 1 && small == 2 {
			return true
		}
	}

	return false
}
