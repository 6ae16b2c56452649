package matching

import (
	"strconv"
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
	// ranged marks a number read from a range or list after a code ("INV-101 to
	// 103", "INV-101, 102"): the code's prefix was put in front of it.
	ranged bool
	// ifMiss, when above zero, is one more than the group that must have named no
	// invoice for this token to count (a range read from "INV-101-103" counts only
	// when "INV101103" is no invoice).
	ifMiss int
	// code is, for a number read from a range, the code it stands for as written
	// with the range's prefix and width ("INV-000102"); raw is then the range.
	code string
}

// written is the reference a token stands for as the payer wrote it, for judging
// its shape (see refNeed).
func (t token) written() string {
	if t.code != "" {
		return t.code
	}

	return t.raw
}

// maxRange bounds how many invoice numbers a written range may stand for.
const maxRange = 50

// rangeWords announce the end of a range: "INV-101 to 103".
var rangeWords = map[string]bool{
	"TO": true, "THRU": true, "THROUGH": true, "BIS": true, "TIL": true, "A": true, "AU": true,
}

// listGap reports whether the text between two words only separates list items:
// spaces, commas, semicolons, slashes, ampersands, plus signs.
func listGap(gap string) bool {
	for i := 0; i < len(gap); i++ {
		switch gap[i] {
		case ' ', ',', ';', '/', '&', '+', '\t':
		default:
			return false
		}
	}

	return true
}

// rangeGap reports whether the text between two words is a dash standing for a
// range ("INV-101 - 103").
func rangeGap(gap string) bool {
	g := strings.TrimSpace(gap)

	return g == "-" || g == "\u2013" || g == ".."
}

// codePrefix splits a code like "INV-101" into its prefix "INV-" and number 101
// with its width; ok is false when the code does not end in a number after
// letters.
func codePrefix(raw string) (prefix string, n, width int, ok bool) {
	end := len(raw)
	start := end
	for start > 0 && isDigit(raw[start-1]) {
		start--
	}

	if start == end || end-start > 9 || !hasLetter(raw[:start]) {
		return "", 0, 0, false
	}

	n = 0
	for i := start; i < end; i++ {
		n = n*10 + int(raw[i]-'0')
	}

	return raw[:start], n, end - start, true
}

// parseSmall reads a run of at most nine digits.
func parseSmall(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}

	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}

		n = n*10 + int(s[i]-'0')
	}

	return n, true
}

// appendRange appends prefix+k for k in from..to as tokens of their own groups.
func appendRange(dst []token, prefix string, from, to, width, group, ifMiss int,
	raw string) ([]token, int) {
	if to < from || to-from >= maxRange {
		return dst, group
	}

	for k := from; k <= to; k++ {
		num := strconv.Itoa(k)
		for len(num) < width {
			num = "0" + num
		}

		dst = append(dst, token{
			norm: NormalizeRef(prefix + num), raw: raw, kind: tokenCode, group: group,
			ranged: true, ifMiss: ifMiss, code: prefix + num,
		})
		group++
	}

	return dst, group
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
	prevEnd := 0

	// The last code ending in a number ("INV-101"), for lists and ranges after it.
	lastPrefix, lastN, lastWidth := "", 0, 0
	ranging := false // a range word or dash follows the last code

	for i := 0; ; {
		w, next, ok := nextWord(text, i)
		if !ok {
			break
		}

		gap := ""
		if havePrev {
			wStart := next - len(w.raw)
			gap = text[prevEnd:wStart]
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

			if lastPrefix != "" && rangeWords[w.upper] && listGap(gap) {
				ranging = true
			} else if !fillers[w.upper] {
				lastPrefix, ranging = "", false
			}
		case w.letters > 0:
			// "INV-101 to INV-103": the numbers between two codes of one prefix.
			if lastPrefix != "" && (ranging || rangeGap(gap)) {
				p2, to, _, ok := codePrefix(w.raw)
				if ok && strings.EqualFold(p2, lastPrefix) && to > lastN+1 {
					dst, group = appendRange(dst, lastPrefix, lastN+1, to-1, lastWidth, group,
						0, lastPrefix+strconv.Itoa(lastN)+" to "+w.raw)
				}
			}

			n := len(dst)
			dst = appendCode(dst, w, group)
			group = dst[len(dst)-1].group + 1
			dst, group = appendCodeRange(dst, w.raw, group, n)
			lastPrefix, lastN, lastWidth, _ = codePrefix(w.raw)
			ranging = false
		default:
			if looksLikeDate(w.raw) || w.amountLike {
				keyword = false
				lastPrefix = ""
				break
			}

			if lastPrefix != "" && (ranging || rangeGap(gap)) {
				if to, ok := parseSmall(w.raw); ok && to > lastN {
					dst, group = appendRange(dst, lastPrefix, lastN+1, to, lastWidth, group, 0,
						lastPrefix+strconv.Itoa(lastN)+" to "+w.raw)
					lastPrefix, ranging = "", false
					prev, havePrev, prevEnd = w, true, next
					continue
				}
			}

			if strings.IndexByte(w.raw, '/') > 0 && !strings.ContainsAny(w.raw, ".-") &&
				(lastPrefix != "" || strings.Count(w.raw, "/") >= 2) {
				dst, group = appendNumberList(dst, w.raw, lastPrefix, keyword, minDigits, group)
				prev, havePrev, prevEnd = w, true, next
				continue
			}

			n := len(dst)
			if lastPrefix != "" && listGap(gap) {
				if _, ok := parseSmall(w.raw); ok {
					dst = append(dst, token{
						norm: NormalizeRef(lastPrefix + w.raw), raw: lastPrefix + w.raw,
						kind: tokenCode, group: group, ranged: true,
					})
				}
			} else if havePrev && prev.lettersOnly && len(prev.raw) <= 10 && !fillers[prev.upper] {
				joined := NormalizeRef(prev.raw + w.raw)
				dst = append(dst, token{
					norm: joined, raw: prev.raw + " " + w.raw, kind: tokenCode, group: group,
				})

				// "INV 50369 thru 50371": a range or list may follow, as after a code.
				if invoiceKeywords[prev.upper] {
					if p, _, _, ok := codePrefix(prev.raw + w.raw); ok {
						lastPrefix, ranging = p, false
					}
				}
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

			if v, ok := parseSmall(w.raw); ok && lastPrefix != "" {
				lastN, lastWidth = v, len(w.raw)
			}
		}

		prev, havePrev, prevEnd = w, true, next
	}

	return dst
}

// appendCodeRange reads a code written as a range, "INV-101-103", as the numbers
// from 101 to 103 with the code's prefix; they count only when the code itself
// (the tokens from index first on) names no invoice.
func appendCodeRange(dst []token, raw string, group, first int) ([]token, int) {
	dash := strings.LastIndexByte(raw, '-')
	if dash <= 0 || dash == len(raw)-1 {
		return dst, group
	}

	prefix, from, width, ok := codePrefix(raw[:dash])
	to, ok2 := parseSmall(raw[dash+1:])
	if !ok || !ok2 || to <= from || len(raw)-dash-1 > width {
		return dst, group
	}

	return appendRange(dst, prefix, from, to, width, group, dst[first].group+1, raw)
}

// appendNumberList reads numbers joined by slashes, "101/102/103", as a list:
// each with the prefix of the code before it when there is one, else as numbers
// after a keyword or bare numbers.
func appendNumberList(dst []token, raw, prefix string, keyword bool, minDigits,
	group int) ([]token, int) {
	for _, part := range strings.Split(raw, "/") {
		if _, ok := parseSmall(part); !ok {
			continue
		}

		n := len(dst)
		if prefix != "" {
			dst = append(dst, token{
				norm: NormalizeRef(prefix + part), raw: prefix + part, kind: tokenCode,
				group: group, ranged: true,
			})
		}

		switch {
		case keyword:
			dst = append(dst, token{norm: NormalizeRef(part), raw: part, kind: tokenKeyword,
				group: group})
		case len(part) >= minDigits:
			dst = append(dst, token{norm: NormalizeRef(part), raw: part, kind: tokenBare,
				group: group})
		}

		if len(dst) > n {
			group++
		}
	}

	return dst, group
}

// appendCode appends a word with letters and digits: whole, or split on '/' when
// every part is itself a code ("INV-1/INV-2"); otherwise the whole word first and
// then, as alternatives, its parts that are codes ("INV/INV-1"). A code that starts with an invoice
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

		prefix, _, _, ok := codePrefix(parts[0])
		if !allCodes && ok && numbersOnly(parts[1:]) {
			for i, p := range parts {
				if i > 0 {
					p = prefix + p
				}

				dst = append(dst, token{
					norm: NormalizeRef(p), raw: p, kind: tokenCode, group: group, ranged: i > 0,
				})
				group++
			}

			return dst
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

	// A code behind a slash-delimited tag ("/INV/INV-021538", "RFB/AR-77") is read
	// on its own when the whole word names nothing.
	if strings.IndexByte(w.raw, '/') >= 0 {
		for _, p := range strings.Split(w.raw, "/") {
			if hasLetterAndDigit(p) {
				dst = append(dst, token{norm: NormalizeRef(p), raw: p, kind: tokenCode,
					group: group})
			}
		}
	}

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

func numbersOnly(parts []string) bool {
	for _, p := range parts {
		if _, ok := parseSmall(p); !ok {
			return false
		}
	}

	return len(parts) > 0
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

// SpecificDigits is the least number of significant digits (leading zeros not
// counted) that makes a reference written without the invoice number's letters
// specific enough to name an invoice for a payer who is not identified as the
// invoice's customer; see "Reference strength" in the package documentation.
const SpecificDigits = 5

// What a reference needs, besides itself, to be applied (ref.need). A payer
// identified as the invoice's customer, or a parent, child or sibling of it,
// never needs more.
const (
	// needNothing: the reference names the invoice whoever pays: the number as
	// issued (letters and digits, leading zeros included), letters and at least
	// SpecificDigits significant digits, an RF reference or a corrected reference
	// (which has its own penalty).
	needNothing uint8 = iota
	// needExact: digits only, at least SpecificDigits significant ones. Applied
	// for a payer who is not the invoice's customer only when the payment closes
	// the invoices exactly, with nothing left over, discounted or written off.
	needExact
	// needOwner: fewer than SpecificDigits significant digits, not written as
	// issued ("31", "invoice 31", "INV 31" for INV-000031). Applied only for the
	// invoice's own customer (or a relative); otherwise held with the invoice
	// listed.
	needOwner
)

// refNeed says what the reference written as raw, which named the document
// number (the invoice number; "" for a PO or SO number, which are judged by
// their digits), needs to be applied for a payer who is not its customer.
func refNeed(raw, number string) uint8 {
	sig, letters := refDigits(raw)
	switch {
	case letters && (sig >= SpecificDigits || sameAlnum(raw, number)):
		return needNothing
	case !letters && sig >= SpecificDigits:
		return needExact
	default:
		return needOwner
	}
}

// refDigits counts the significant digits of s (the digits of each run of
// digits after its leading zeros) and reports whether s has letters.
func refDigits(s string) (sig int, letters bool) {
	lead := true
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if c != '0' || !lead {
				sig++
				lead = false
			}

			i++
			continue
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(s[i:])
			letters = letters || unicode.IsLetter(r)
			i += size
		default:
			letters = letters || isAlnum(c)
			i++
		}

		lead = true
	}

	return sig, letters
}

// sameAlnum reports whether a and b have the same ASCII letters and digits in
// the same order, case aside and leading zeros included: "inv 000031" and
// "INV-000031" are the same, "INV 31" and "INV-000031" are not.
func sameAlnum(a, b string) bool {
	if b == "" {
		return false
	}

	i, j := 0, 0
	for {
		for i < len(a) && !isAlnum(a[i]) {
			i++
		}

		for j < len(b) && !isAlnum(b[j]) {
			j++
		}

		if i == len(a) || j == len(b) {
			return i == len(a) && j == len(b)
		}

		if upperByte(a[i]) != upperByte(b[j]) {
			return false
		}

		i++
		j++
	}
}

func upperByte(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}

	return c
}
