package bai2

import (
	"fmt"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

// fileHeader reads an 01: it opens a file (closing one left without its 99)
// and notes the physical record length.
func (p *parser) fileHeader(c *cursor, line, n int) {
	if p.fs != nil {
		p.closeScopes(line)
		p.envelope(line, "file trailer", fmt.Sprintf("file header (01) while the file begun "+
			"on line %d has no file trailer (99)", p.fs.line))
	}

	p.afterFile = false
	p.fs = &fileScope{line: line}
	p.count(n)

	c.value() // sender
	c.value() // receiver

	if d := c.value(); d != "" {
		if _, ok := parseDate(d); !ok {
			p.warn(line, "file header creation date", d, "creation date is not YYMMDD")
		}
	}

	c.value() // creation time
	c.value() // file id

	p.recLen = 0
	if n, ok := parseCount(c.value()); ok {
		p.recLen = n
	}

	c.value() // block size

	if v := c.value(); v != "2" {
		p.warn(line, "file header version", v,
			"version number is not 2: read as BAI2 version 2")
	}
}

// groupHeader reads an 02: status, as-of date, currency and as-of-date
// modifier of the group it opens.
func (p *parser) groupHeader(c *cursor, line, n int) {
	if p.acct != nil {
		p.missingAccountTrailer(line)
	}

	if p.grp != nil {
		p.envelope(line, "group trailer", fmt.Sprintf("group header (02) while the group begun "+
			"on line %d has no group trailer (98)", p.grp.line))
		p.closeGroup(0, false)
	}

	if p.fs == nil {
		p.envelope(line, "file header", "group header (02) without a file header (01)")
		p.fs = &fileScope{line: line}
	}

	g := &group{line: line}
	p.grp = g
	p.fs.groups++
	p.count(n)

	c.value() // ultimate receiver
	c.value() // originator

	switch st := c.value(); st {
	case "", "1":
	case "2":
		p.reject(line, "group status", st, "group status 2 (deletion) asks to delete data "+
			"sent earlier: not read, handle it by hand")
	case "3":
		p.warn(line, "group status", st, "group status 3: the group corrects data sent earlier")
	case "4":
		p.reject(line, "group status", st, "group status 4: test data, not read")
	default:
		p.warn(line, "group status", st, "group status is not 1, 2, 3 or 4")
	}

	g.asOf = c.value()
	if d, ok := parseDate(g.asOf); ok {
		g.date = d
	} else {
		p.warn(line, "group as-of date", g.asOf, "as-of date is not YYMMDD")
	}

	c.value() // as-of time

	g.currency = p.ccy
	if ccy := c.value(); ccy != "" {
		g.currency, _ = p.currencyOf(line, "group currency", ccy)
	}

	switch mod := c.value(); mod {
	case "2", "4":
		g.final = true
	case "", "1", "3":
	default:
		p.warn(line, "group as-of-date modifier", mod, "as-of-date modifier is not 1, 2, 3 or 4")
	}
}

// currencyOf validates an ISO 4217 code and returns it upper-cased with its
// number of decimals.
func (p *parser) currencyOf(line int, field, code string) (string, int) {
	code = strings.ToUpper(code)

	exp, err := money.Exponent(code)
	if err != nil || len(code) != 3 {
		p.reject(line, field, code, money.CurrencyProblem(code))

		return code, 2
	}

	return code, exp
}

// accountHeader reads an 03: the account, its currency and its summaries.
func (p *parser) accountHeader(c *cursor, line, n int) {
	if p.acct != nil {
		p.missingAccountTrailer(line)
	}

	if p.grp == nil {
		p.envelope(line, "group header", "account identifier (03) without a group header (02)")

		if p.fs == nil {
			p.fs = &fileScope{line: line}
		}

		p.grp = &group{line: line, currency: p.ccy}
		p.fs.groups++
	}

	a := &account{line: line, group: p.grp}
	p.acct = a
	p.grp.accounts++
	p.count(n)

	a.number = c.value()
	if a.number == "" {
		p.reject(line, "account number", "", "account identifier (03) without an account number")
	}

	a.currency, a.exp = p.grp.currency, 2
	if exp, err := money.Exponent(a.currency); err == nil {
		a.exp = exp
	}

	if ccy := c.value(); ccy != "" {
		a.currency, a.exp = p.currencyOf(line, "account currency", ccy)
	}

	p.summaries(c, a)
	p.noteAccount(a)
}

// noteAccount tracks whether the file has one account and one currency.
func (p *parser) noteAccount(a *account) {
	if p.account == "" && !p.manyAccts {
		p.account = a.number
	} else if p.account != a.number {
		p.manyAccts = true
	}

	if p.currency == "" && !p.manyCcys {
		p.currency = a.currency
	} else if p.currency != a.currency {
		p.manyCcys = true
	}
}

// summaries reads the summary tuples of an 03 and its continuations: type code,
// amount, item count, funds type and the fields the funds type adds. Empty
// fields where a type code belongs (an empty tuple, or the empty last field of
// a record ending ",/") are skipped.
func (p *parser) summaries(c *cursor, a *account) {
	for {
		f, ok := c.next()
		if !ok {
			return
		}

		raw := f.value()
		if raw == "" {
			continue
		}

		code, ok := parseTypeCode(raw)
		if !ok {
			p.reject(f.line, "summary type code", raw,
				"summary type code is not a number of up to three digits")
			return
		}

		amt, _ := c.next()
		items := c.value()

		fu, ok := p.readFunds(c, f.line, "summary")
		if !ok {
			return
		}

		p.summary(a, code, amt, items, fu)
	}
}

// summary takes one summary tuple of account a.
func (p *parser) summary(a *account, code int, amt field, items string, fu funds) {
	count := 0
	if items != "" {
		n, ok := parseCount(items)
		if !ok {
			p.warn(amt.line, "summary item count", items, "item count is not a number")
		}

		count = n
	}

	raw := amt.value()
	if raw == "" {
		return
	}

	n, ok := parseAmount(raw)
	if !ok {
		p.reject(amt.line, "summary amount", raw, fmt.Sprintf("summary %03d amount is not a "+
			"number of minor units (digits with an optional sign, no decimal point)", code))

		return
	}

	a.total += n

	if fu.hasDist && fu.dist != n {
		p.warn(amt.line, "summary funds distribution", raw, fmt.Sprintf(
			"summary %03d: availability amounts add up to %s, not %s", code,
			money.FormatMinor(fu.dist, a.exp), money.FormatMinor(n, a.exp)))
	}

	switch {
	case code == 10 && !a.hasOpen:
		a.open, a.hasOpen = n, true
	case code == 15 && !a.hasClose:
		a.close, a.hasClose, a.closeLine = n, true, amt.line
	case code == 100 && !a.has100:
		a.sum100, a.has100 = n, true
	case code == 400 && !a.has4:
		a.sum400, a.has4 = n, true
	}

	if len(p.file.Balances) >= maxBalances {
		return
	}

	p.file.Balances = append(p.file.Balances, bankfile.Balance{
		Account:   a.number,
		Code:      fmt.Sprintf("%03d", code),
		Name:      balanceNames[code],
		Amount:    money.New(n, a.currency),
		ItemCount: count,
		Date:      a.group.date,
		Line:      amt.line,
	})
}

// funds is a funds type with what its extra fields say.
type funds struct {
	typ       byte      // 0 when blank
	valueDate time.Time // funds type V
	dist      int64     // S or D: the availability amounts added up
	hasDist   bool
}

// fundsType reports whether v is a funds type.
func fundsType(v string) bool {
	switch strings.ToUpper(v) {
	case "", "0", "1", "2", "Z", "S", "V", "D":
		return true
	}

	return false
}

// readFunds reads a funds type and the fields it adds. An unknown funds type
// rejects the file: the fields after it cannot be placed.
func (p *parser) readFunds(c *cursor, line int, where string) (funds, bool) {
	var out funds

	v := strings.ToUpper(c.value())

	switch v {
	case "":
		return out, true
	case "0", "1", "2", "Z":
		out.typ = v[0]
		return out, true
	case "S":
		out.typ = 'S'
		for range 3 {
			p.distAmount(&out, c.value(), line, where)
		}
	case "V":
		out.typ = 'V'
		d := c.value()
		c.value() // value time

		date, ok := parseDate(d)
		if !ok {
			p.warn(line, where+" value date", d, "value date of funds type V is not YYMMDD")
		}

		out.valueDate = date
	case "D":
		out.typ = 'D'
		raw := c.value()

		n, ok := parseCount(raw)
		if !ok || n > 1000 {
			p.reject(line, where+" funds distribution count", raw,
				"number of distributions of funds type D is not a number up to 1000")
			return out, false
		}

		for range n {
			if days := c.value(); days != "" {
				if _, ok := parseCount(days); !ok {
					p.warn(line, where+" funds distribution days", days,
						"availability days are not a number")
				}
			}

			p.distAmount(&out, c.value(), line, where)
		}
	default:
		p.reject(line, where+" funds type", v, "funds type is not 0, 1, 2, S, V, D or Z: "+
			"the fields after it cannot be placed")

		return out, false
	}

	return out, true
}

// distAmount adds one availability amount of funds type S or D.
func (p *parser) distAmount(out *funds, raw string, line int, where string) {
	if raw == "" {
		return
	}

	n, ok := parseAmount(raw)
	if !ok {
		p.reject(line, where+" availability amount", raw,
			"availability amount is not a number of minor units")
		return
	}

	out.dist += n
	out.hasDist = true
}
