package nacha

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

// x12Tags are segment ids that may open the remittance of a CTX, CCD+ or PPD+
// entry (an ASC X12 820 transaction or a single banking-convention segment).
// Text that starts with anything else is read as free text.
var x12Tags = map[string]bool{
	"ISA": true, "GS": true, "ST": true, "BPR": true, "TRN": true, "CUR": true,
	"REF": true, "DTM": true, "N1": true, "N2": true, "N3": true, "N4": true,
	"PER": true, "ENT": true, "NM1": true, "RMR": true, "ADX": true, "IT1": true,
	"NTE": true, "TXP": true, "RPA": true, "SE": true, "GE": true, "IEA": true,
}

// x12 is what the reader takes from an X12 820 remittance.
type x12 struct {
	total    int64 // BPR02
	hasTotal bool
	traceRef string // TRN02
	payer    string // N1*PR name
	remits   []bankfile.Remit
	paidSum  int64 // sum of RMR04 and ADX01
	hasPaid  bool
	problems []string
}

// parseX12 reads text as X12 segments. It reports false when text does not
// look like X12. The element separator is the character after the first
// segment id (for ISA, its fourth character); the segment terminator is the
// character after ISA16, or else the one character that ends segments in the
// data. Both are taken from the data, so '*', '\', '~' or '¦' inside the text
// never cut it short.
func parseX12(text string) (*x12, bool) {
	text = strings.TrimLeft(text, " ")

	elem, term, ok := x12Delimiters(text)
	if !ok {
		return nil, false
	}

	out := &x12{}
	rest := text

	for rest != "" {
		var seg string
		if term == 0 {
			seg, rest = rest, ""
		} else {
			seg, rest, _ = strings.Cut(rest, string(term))
		}

		if seg = strings.TrimSpace(seg); seg != "" {
			out.segment(seg, string(elem))
		}
	}

	return out, true
}

// x12Delimiters finds the element separator and segment terminator; term is 0
// when the text is a single segment without a terminator.
func x12Delimiters(text string) (elem, term rune, ok bool) {
	if strings.HasPrefix(text, "ISA") && len(text) > 3 {
		elem, _ = utf8.DecodeRuneInString(text[3:])
		if !separatorRune(elem) {
			return 0, 0, false
		}

		if t, found := isaTerminator(text, elem); found {
			return elem, t, true
		}

		return 0, 0, false
	}

	tag, rest := segmentTag(text)
	if !x12Tags[tag] || rest == "" {
		return 0, 0, false
	}

	elem, _ = utf8.DecodeRuneInString(rest)
	if !separatorRune(elem) {
		return 0, 0, false
	}

	return elem, guessTerminator(text, elem), true
}

// isaTerminator walks the 16 elements of the fixed-layout ISA segment: the
// character after ISA16 (one character) ends every segment.
func isaTerminator(text string, elem rune) (rune, bool) {
	seps := 0
	for i, r := range text {
		if r != elem {
			continue
		}

		seps++
		if seps < 16 {
			continue
		}

		// text[i] is the 16th separator: ISA16 is the next rune, then the terminator.
		rest := text[i+utf8.RuneLen(r):]
		_, w := utf8.DecodeRuneInString(rest)
		if w == 0 || len(rest) <= w {
			return 0, false
		}

		t, _ := utf8.DecodeRuneInString(rest[w:])

		return t, t != elem && t != ' '
	}

	return 0, false
}

// segmentTag splits a leading segment id (a capital letter and one or two
// capitals or digits) off text.
func segmentTag(text string) (string, string) {
	n := 0
	for n < len(text) && n < 3 {
		c := text[n]
		if (c < 'A' || c > 'Z') && (n == 0 || c < '0' || c > '9') {
			break
		}

		n++
	}

	if n < 2 {
		return "", text
	}

	return text[:n], text[n:]
}

// asciiSeparators are the ASCII characters separatorRune accepts: printable
// punctuation and symbols.
var asciiSeparators = func() (t [utf8.RuneSelf]bool) {
	for c := '!'; c < 0x7f; c++ {
		t[c] = (c < '0' || c > '9') && (c < 'A' || c > 'Z') && (c < 'a' || c > 'z')
	}

	return t
}()

// separatorRune accepts punctuation and symbols as X12 delimiters, never
// letters, digits or blanks.
func separatorRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 0 && asciiSeparators[r]
	}

	return r != utf8.RuneError && !unicode.IsLetter(r) && !unicode.IsDigit(r) &&
		!unicode.IsSpace(r) && unicode.IsPrint(r)
}

// guessTerminator scores every candidate character by how often it is followed
// by a segment id and the element separator (and whether it ends the text),
// and returns the best, or 0 when no character ends a segment. Ties go to the
// usual terminators in the order '~', '\', '\”, '!', '^'.
func guessTerminator(text string, elem rune) rune {
	var buf [8]cand
	cands := buf[:0]

	for i, r := range text {
		if r == elem || !separatorRune(r) {
			continue
		}

		next := trimBreaks(text[i+utf8.RuneLen(r):], true)
		tag, rest := segmentTag(next)
		if tag != "" && strings.HasPrefix(rest, string(elem)) {
			cands = addCandidate(cands, r, 2)
		}
	}

	trimmed := trimBreaks(text, false)
	if last, _ := utf8.DecodeLastRuneInString(trimmed); last != elem && separatorRune(last) {
		cands = addCandidate(cands, last, 1)
	}

	best, bestScore, bestRank := rune(0), 0, 0
	for _, c := range cands {
		rank := strings.IndexRune("~\\'!^", c.r)
		if rank < 0 {
			rank = 100 + int(c.r)
		}

		if c.score > bestScore || (c.score == bestScore && rank < bestRank) {
			best, bestScore, bestRank = c.r, c.score, rank
		}
	}

	return best
}

// trimBreaks removes blanks, carriage returns and line feeds from the start
// (left) or the end of s.
func trimBreaks(s string, left bool) string {
	blank := func(c byte) bool { return c == ' ' || c == '\r' || c == '\n' }

	if left {
		i := 0
		for i < len(s) && blank(s[i]) {
			i++
		}

		return s[i:]
	}

	i := len(s)
	for i > 0 && blank(s[i-1]) {
		i--
	}

	return s[:i]
}

// maxElements is how many elements of a segment the reader looks at (RMR06).
const maxElements = 7

// cand is a possible segment terminator and its score.
type cand struct {
	r     rune
	score int
}

func addCandidate(cands []cand, r rune, n int) []cand {
	for i := range cands {
		if cands[i].r == r {
			cands[i].score += n
			return cands
		}
	}

	return append(cands, cand{r, n})
}

// segment interprets one segment: its id and up to six elements.
func (x *x12) segment(seg, elem string) {
	var e [maxElements]string

	n := 0
	for n < maxElements {
		var v string

		v, seg, _ = strings.Cut(seg, elem)
		e[n] = strings.TrimSpace(v)
		n++

		if seg == "" {
			break
		}
	}

	get := func(i int) string { return e[i] }

	switch e[0] {
	case "BPR":
		if v, ok := x.amount("BPR02", get(2)); ok {
			x.total, x.hasTotal = v, true
		}
	case "TRN":
		if x.traceRef == "" {
			x.traceRef = get(2)
		}
	case "N1":
		if get(1) == "PR" && x.payer == "" {
			x.payer = get(2)
		}
	case "RMR":
		x.rmr(get)
	case "ADX":
		if v, ok := x.amount("ADX01", get(1)); ok {
			x.paidSum += v
		}
	}
}

func (x *x12) rmr(get func(int) string) {
	rm := bankfile.Remit{RefType: get(1), Ref: get(2)}

	if s := get(4); s != "" {
		if v, ok := x.amount("RMR04", s); ok {
			rm.Paid = v
			x.paidSum += v
			x.hasPaid = true
		}
	}

	if v, ok := x.amount("RMR05", get(5)); ok {
		rm.Invoiced = v
	}

	if v, ok := x.amount("RMR06", get(6)); ok {
		rm.Discount = v
	}

	x.remits = append(x.remits, rm)
}

// amount parses an X12 decimal amount exactly; an empty element is absent.
func (x *x12) amount(elem, s string) (int64, bool) {
	if s == "" {
		return 0, false
	}

	v, err := money.ParseMinor(s, 2)
	if err != nil {
		x.problems = append(x.problems, elem+" "+strconv.Quote(s)+" is not an amount in USD")
		return 0, false
	}

	return v, true
}
