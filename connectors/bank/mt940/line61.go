package mt940

import (
	"errors"
	"fmt"
	"strings"
)

// line61 is a :61: statement line split into its subfields (dates and amount
// still as written).
type line61 struct {
	value   string // YYMMDD
	entry   string // MMDD or ""
	mark    string // C, D, RC, RD, EC or ED
	funds   byte   // funds code letter or 0
	amount  string // digits and a decimal comma
	typ     string // transaction type: N, S or F and three characters
	custRef string
	bankRef string
	supp    string // supplementary details
}

// errShort says a :61: ended before its transaction type: the next physical
// line continues it.
var errShort = errors.New("statement line ends before its transaction type")

// parse61 splits the lines of a :61: field. Lines are joined without a
// separator until the subfields up to the transaction type are complete, since
// banks wrap anywhere (the Sparkasse "CR" / "30,00N062NONREF"); the references
// follow on that line, the supplementary details on the next ones.
func parse61(lines []string) (line61, string, error) {
	head := strings.TrimLeft(lines[0], " ")
	used := 1

	var l line61
	var pos int
	var err error

	for {
		l, pos, err = parseHead(head)
		if !errors.Is(err, errShort) || used >= len(lines) {
			break
		}

		head += strings.TrimSpace(lines[used])
		used++
	}

	if err != nil {
		return l, head, err
	}

	rest := head[pos:]

	if !strings.Contains(rest, "//") && used < len(lines) {
		// A customer reference cut before its "//bankref" part, or put on a
		// line of its own. Without "//" the next line is supplementary details
		// (Raiffeisen omits the reference and writes a booking text there).
		next := strings.TrimSpace(lines[used])
		if pre, _, ok := strings.Cut(next, "//"); ok && refChars(pre) &&
			len(rest)+len(pre) <= 16 {
			rest += next
			used++
		}
	}

	l.custRef, l.bankRef, _ = strings.Cut(rest, "//")
	l.custRef = strings.TrimSpace(l.custRef)
	l.bankRef = strings.TrimSpace(l.bankRef)

	// A numeric bank reference cut in the middle (ING "00000000001" / "005")
	// goes on when the next line holds only digits that fit and more lines
	// (the supplementary details) follow it.
	if digits(l.bankRef) && l.bankRef != "" && used+1 < len(lines) {
		next := strings.TrimSpace(lines[used])
		if next != "" && digits(next) && len(l.bankRef)+len(next) <= 16 {
			l.bankRef += next
			used++
		}
	}

	var supp strings.Builder
	for _, s := range lines[used:] {
		supp.WriteString(strings.TrimSpace(s))
	}

	l.supp = supp.String()

	return l, head, nil
}

// refChars reports characters of the SWIFT x set other than blank and '/',
// as references are made of.
func refChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' ||
			strings.IndexByte("-?:().,'+", c) >= 0) {
			return false
		}
	}

	return true
}

// parseHead reads the subfields of a :61: up to the transaction type and
// returns where the references start. errShort means head ended too soon.
func parseHead(head string) (line61, int, error) {
	var l line61

	if len(head) < 6 {
		if digits(head) {
			return l, 0, errShort
		}

		return l, 0, fmt.Errorf("value date %q is not YYMMDD", head)
	}

	if !digits(head[:6]) {
		return l, 0, fmt.Errorf("value date %q is not YYMMDD", head[:6])
	}

	l.value = head[:6]
	p := 6

	// Entry date MMDD: four digits before the mark.
	n := 0
	for p+n < len(head) && n < 4 && head[p+n] >= '0' && head[p+n] <= '9' {
		n++
	}

	switch {
	case p+n == len(head):
		return l, 0, errShort
	case n == 4:
		l.entry = head[p : p+4]
		p += 4
	case n > 0:
		return l, 0, fmt.Errorf("entry date %q is not MMDD", head[p:p+n])
	}

	mark, err := markAt(head, p)
	if err != nil {
		return l, 0, err
	}

	l.mark = mark
	p += len(mark)

	if p == len(head) {
		return l, 0, errShort
	}

	if c := head[p]; c >= 'A' && c <= 'Z' {
		l.funds = c
		p++
	}

	start := p
	for p < len(head) && (head[p] >= '0' && head[p] <= '9' || head[p] == ',') {
		p++
	}

	if p == len(head) {
		return l, 0, errShort
	}

	l.amount = head[start:p]
	if l.amount == "" {
		return l, 0, fmt.Errorf("amount missing before %q", clip(head[p:]))
	}

	if strings.Count(l.amount, ",") != 1 {
		return l, 0, fmt.Errorf("amount %q must have one decimal comma", l.amount)
	}

	if len(head)-p < 4 {
		return l, 0, errShort
	}

	typ := head[p : p+4]
	if typ[0] != 'N' && typ[0] != 'S' && typ[0] != 'F' || !printableASCII(typ) {
		return l, 0, fmt.Errorf("transaction type %q must be N, S or F and three characters",
			clip(head[p:]))
	}

	l.typ = typ

	return l, p + 4, nil
}

// markAt reads the debit/credit mark at p: RC and RD (reversals), EC and ED
// (MT942 expected entries), C and D.
func markAt(head string, p int) (string, error) {
	if p >= len(head) {
		return "", errShort
	}

	switch head[p] {
	case 'C', 'D':
		return head[p : p+1], nil
	case 'R', 'E':
		if p+1 >= len(head) {
			return "", errShort
		}

		if head[p+1] == 'C' || head[p+1] == 'D' {
			return head[p : p+2], nil
		}
	}

	return "", fmt.Errorf("debit/credit mark must be C, D, RC, RD, EC or ED, not %q",
		clip(head[p:]))
}

// printableASCII reports characters from blank to tilde only.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}

	return true
}

// clip shortens a value quoted in a message.
func clip(s string) string {
	n := 0
	for i := range s {
		if n == 40 {
			return s[:i] + "…"
		}

		n++
	}

	return s
}
