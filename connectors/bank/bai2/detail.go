package bai2

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

// detail reads a 16 record with its continuations and emits its transaction.
func (p *parser) detail(c *cursor, line int) {
	a := p.acct

	code, meaning, amount, ok := p.detailHead(c, line)
	a.total += amount

	fu, refs, fundsOK := p.detailFunds(c, line)
	if !ok || !fundsOK {
		return
	}

	if fu.hasDist && fu.dist != amount {
		p.warn(line, "detail funds distribution", strconv.FormatInt(amount, 10), fmt.Sprintf(
			"availability amounts add up to %s, not the amount %s",
			money.FormatMinor(fu.dist, a.exp), money.FormatMinor(amount, a.exp)))
	}

	t := bankfile.Transaction{
		Line:        line,
		Account:     a.number,
		Direction:   meaning.Direction,
		Kind:        meaning.Kind,
		Amount:      money.New(amount, a.currency),
		BookingDate: a.group.date,
	}

	if refs {
		t.BankRef, t.PaymentRef = c.value(), c.value()
	}

	switch fu.typ {
	case 'V':
		t.ValueDate = fu.valueDate
	case '0':
		t.ValueDate = a.group.date
	}

	p.texts = c.text(p.texts[:0])
	p.text(&t, p.texts)
	p.depositItems(a, code, &t)
	p.emitDetail(a, code, &t)
}

// detailHead reads the type code and the amount of a detail. ok is false when
// either rejects the file.
func (p *parser) detailHead(c *cursor, line int) (int, TypeCode, int64, bool) {
	tcRaw := c.value()
	code, ok := parseTypeCode(tcRaw)

	var meaning TypeCode

	switch {
	case tcRaw == "" || !ok:
		p.reject(line, "detail type code", tcRaw,
			"type code is not a number of up to three digits")
		ok = false
	default:
		meaning, ok = detailCode(code, p.opts.TypeCodes)
		if !ok {
			p.reject(line, "detail type code", tcRaw, fmt.Sprintf("type code %03d is a status "+
				"or unassigned code, not a credit or debit; name it in the bank profile's "+
				"TypeCodes if this bank uses it for transactions", code))
		}
	}

	amtRaw := c.value()
	amount, okAmt := parseAmount(amtRaw)

	switch {
	case amtRaw == "":
		p.reject(line, "detail amount", "", "transaction detail without an amount")
	case !okAmt:
		p.reject(line, "detail amount", amtRaw, "amount is not a number of minor units "+
			"(digits, no decimal point)")
	case amount < 0:
		p.reject(line, "detail amount", amtRaw, "detail amount is negative: the type code "+
			"gives the direction")
	}

	return code, meaning, amount, ok && okAmt && amount >= 0
}

// detailFunds reads the funds type of a detail and the fields it adds. refs is
// false when the 16 ended after its amount and the 88 after it holds text,
// not a funds type: the detail then has no funds type and no references.
func (p *parser) detailFunds(c *cursor, line int) (fu funds, refs, ok bool) {
	saved := *c
	next, found := c.next()
	*c = saved

	if found && next.part > 0 && !fundsType(next.value()) {
		return fu, false, true
	}

	fu, ok = p.readFunds(c, line, "detail")

	return fu, true, ok
}

// emitDetail adds a detail to its account's sides, keys and numbers it, and
// hands it to emit unless the file is already rejected.
func (p *parser) emitDetail(a *account, code int, t *bankfile.Transaction) {
	if t.Kind != bankfile.KindNotice {
		if t.Direction == bankfile.Credit {
			a.cr += t.Amount.Minor
		} else {
			a.db += t.Amount.Minor
		}
	}

	t.DedupeKey = p.dedupeKey(a, code, t.Amount.Minor, t.BankRef, t.PaymentRef)
	p.seq++
	t.Seq = p.seq

	if len(p.problems) > 0 || p.emitErr != nil {
		return // the file is rejected: the caller would void it anyway
	}

	if err := p.emit(*t); err != nil {
		p.emitErr = err
	}
}

// text joins the free text of the record and its continuations into
// Remittance, one blank between records (none after a record that fills the
// physical record length, see parser.full), and reads the "KEY: value" and
// "KEY:=value" fields banks write one per 88 record.
func (p *parser) text(t *bankfile.Transaction, pieces []part) {
	var (
		b            strings.Builder
		routing, act string
		first        string // the only piece so far, not copied yet
		n            int    // pieces with text
		glue         bool   // the next piece continues the last one's word
	)

	size := 0
	for _, pc := range pieces {
		size += len(pc.text) + 1
	}

	for _, pc := range pieces {
		s := normalize(pc.text, pc.full)
		if s == "" {
			continue
		}

		switch n++; n {
		case 1:
			first = s
		case 2:
			b.Grow(size)
			b.WriteString(first)
			fallthrough
		default:
			if !glue || pc.text[0] == ' ' {
				b.WriteByte(' ')
			}

			b.WriteString(s)
		}

		glue = pc.full && !strings.HasSuffix(pc.text, " ")

		key, value, ok := keyValue(s)
		if !ok || value == "" {
			continue
		}

		switch key {
		case "EREF":
			setOnce(&t.EndToEndID, value)
		case "CREF":
			setOnce(&t.PaymentRef, value)
		case "DBNM", "ORG", "ORIGINATOR", "ORIGINATOR NAME":
			setOnce(&t.PayerName, value)
		case "DACT":
			setOnce(&act, value)
		case "DABA":
			setOnce(&routing, value)
		}
	}

	t.Remittance = first
	if n > 1 {
		t.Remittance = b.String()
	}

	p.payer(t, routing, act)
}

// payer keeps what the text says of the ordering party for credits only, and
// reads the return reason of returns.
func (p *parser) payer(t *bankfile.Transaction, routing, act string) {
	if t.Direction != bankfile.Credit {
		t.PayerName = ""
	} else {
		switch {
		case act != "" && routing != "":
			t.PayerAccount = routing + ":" + act
		case act != "":
			t.PayerAccount = act
		}
	}

	if t.Kind == bankfile.KindReturn {
		t.ReturnCode = returnReason(t.Remittance)
	}
}

func setOnce(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

// keyValue splits "KEY: value" or "KEY:=value" where KEY is one to four words
// of letters; the key comes back upper-cased.
func keyValue(s string) (string, string, bool) {
	i := strings.IndexByte(s, ':')
	if i < 2 || i > 30 {
		return "", "", false
	}

	key := strings.TrimSpace(s[:i])
	for j := 0; j < len(key); j++ {
		c := key[j]
		if c != ' ' && (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') {
			return "", "", false
		}
	}

	value := strings.TrimPrefix(s[i+1:], "=")

	return strings.ToUpper(key), strings.TrimSpace(value), true
}

// returnReason finds an ACH return reason code (R01-R99) stated after the word
// "reason" in a return's text, as in `Reason: "R02"`.
func returnReason(text string) string {
	i := strings.Index(strings.ToUpper(text), "REASON")
	if i < 0 {
		return ""
	}

	rest := text[i+len("REASON"):]
	rest = rest[:min(len(rest), 16)]

	for j := 0; j+3 <= len(rest); j++ {
		if rest[j] != 'R' || !isDigit(rest[j+1]) || !isDigit(rest[j+2]) {
			continue
		}

		before := j == 0 || !isAlnum(rest[j-1])
		after := j+3 == len(rest) || !isAlnum(rest[j+3])

		if before && after {
			return rest[j : j+3]
		}
	}

	return ""
}

func isAlnum(c byte) bool {
	return isDigit(c) || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// depositItems keeps a deposit and the items in it from both counting as cash.
// Whichever an account reports first decides: a deposit first makes its later
// items notices; items first stay credits, and a deposit reported after them
// carries a Problem so that nobody applies the money twice.
func (p *parser) depositItems(a *account, code int, t *bankfile.Transaction) {
	if t.Direction != bankfile.Credit || t.Kind != bankfile.KindPayment {
		return
	}

	if dep, ok := depositItems[code]; ok {
		switch a.family(dep) {
		case 0:
			a.families[dep] = itemsFirst
		case depositFirst:
			t.Kind = bankfile.KindNotice
			t.Problem = fmt.Sprintf("item of a type %03d deposit reported before it in this "+
				"account: the deposit carries the money", dep)
		}

		return
	}

	if item, ok := itemsOf[code]; ok {
		switch a.family(code) {
		case 0:
			a.families[code] = depositFirst
		case itemsFirst:
			t.Problem = fmt.Sprintf("deposit reported after items in it (type %03d) that were "+
				"read as credits: applying both would count the money twice", item)
		}
	}
}

func (a *account) family(deposit int) int8 {
	if a.families == nil {
		a.families = map[int]int8{}
	}

	return a.families[deposit]
}

// dedupeKey returns the transaction's key:
//
//	bai2:<account>:<currency>:<as-of YYMMDD>:<type code>:<minor units>:<bank ref>:<customer ref>
//
// with "#n" appended to the n-th transaction of the file that has the same key
// (n > 1), so that two identical details both count. Everything in it is read
// from the fields, never from line layout, encoding, file id or creation time,
// so a re-sent file, a copy with other line ends or wrapping, and a later
// intraday or prior-day report of the same transaction give the same key.
func (p *parser) dedupeKey(a *account, code int, amount int64, bankRef, custRef string) string {
	k := append(p.key[:0], "bai2:"...)
	k = append(append(k, a.number...), ':')
	k = append(append(k, a.currency...), ':')
	k = append(append(k, a.group.asOf...), ':')
	k = append(k, '0'+byte(code/100), '0'+byte(code/10%10), '0'+byte(code%10), ':')
	k = append(strconv.AppendInt(k, amount, 10), ':')
	k = append(append(k, bankRef...), ':')
	k = append(k, custRef...)

	if n := p.keys.Add(hashKey(k)); n > 1 {
		k = strconv.AppendUint(append(k, '#'), uint64(n), 10)
	}

	p.key = k

	return string(k)
}
