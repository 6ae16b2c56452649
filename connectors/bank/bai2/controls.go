package bai2

import (
	"fmt"
	"strconv"

	"github.com/o2c-dev/o2c/internal/money"
)

// accountTrailer reads a 49 and compares it with the account it closes.
func (p *parser) accountTrailer(c *cursor, line, n int) {
	a := p.acct
	if a == nil {
		p.reject(line, "account trailer", "",
			"account trailer (49) without an account identifier (03)")
		p.count(n)

		return
	}

	p.count(n)

	label := "account " + a.number
	stated, ok := p.compare(CheckAccountTotal, line, "account trailer control total",
		c.value(), a.total, a.currency, a.exp,
		label+": control total %s != %s, the sum of its 03 summary and 16 detail amounts")
	p.compare(CheckAccountRecords, line, "account trailer number of records", c.value(),
		a.records, "", 0, label+": number of records %s != %s records from its 03 to its 49")

	p.closeAccount(stated, ok)
}

// compare checks a stated figure of a trailer against what the records add up
// to. format has two %s: stated, computed. ccy says how to show a money
// figure; "" shows a count. It returns the stated figure and whether it could
// be read.
func (p *parser) compare(c Check, line int, fieldName, raw string, want int64, ccy string,
	exp int, format string,
) (int64, bool) {
	got, ok := parseAmount(raw)
	if !ok {
		p.control(c, line, fieldName, raw, "not a number")
		return 0, false
	}

	if got == want {
		p.checked++
		return got, true
	}

	show := func(n int64) string {
		if ccy == "" {
			return strconv.FormatInt(n, 10)
		}

		return money.FormatMinor(n, exp) + " " + ccy
	}

	p.control(c, line, fieldName, raw, fmt.Sprintf(format, show(got), show(want)))

	return got, true
}

// missingAccountTrailer closes an account that has no 49.
func (p *parser) missingAccountTrailer(line int) {
	p.envelope(line, "account trailer", fmt.Sprintf("account %s (line %d) has no account "+
		"trailer (49)", p.acct.number, p.acct.line))
	p.closeAccount(0, false)
}

// closeAccount ends the open account: its control total (stated, or computed
// when it has no readable trailer) counts towards the group's.
func (p *parser) closeAccount(stated int64, ok bool) {
	a := p.acct
	if ok {
		a.group.sum += stated
	} else {
		a.group.sum += a.total
	}

	p.checkBalances(a)
	p.acct = nil
}

// groupTrailer reads a 98 and compares it with the group it closes.
func (p *parser) groupTrailer(c *cursor, line, n int) {
	if p.acct != nil {
		p.missingAccountTrailer(line)
	}

	g := p.grp
	if g == nil {
		p.reject(line, "group trailer", "", "group trailer (98) without a group header (02)")
		p.count(n)

		return
	}

	p.count(n)

	label := "group of line " + strconv.Itoa(g.line)
	stated, ok := p.compare(CheckGroupTotal, line, "group trailer control total", c.value(),
		g.sum, "", 0, label+": control total %s != %s, the sum of its account control totals")
	p.compare(CheckGroupAccounts, line, "group trailer number of accounts", c.value(),
		int64(g.accounts), "", 0, label+": number of accounts %s != %s accounts (03) in it")
	p.compare(CheckGroupRecords, line, "group trailer number of records", c.value(),
		g.records, "", 0, label+": number of records %s != %s records from its 02 to its 98")

	p.closeGroup(stated, ok)
}

// closeGroup ends the open group: its control total (stated, or computed
// when it has no readable trailer) counts towards the file's.
func (p *parser) closeGroup(stated int64, ok bool) {
	if p.fs != nil {
		if ok {
			p.fs.sum += stated
		} else {
			p.fs.sum += p.grp.sum
		}
	}

	p.grp = nil
}

// fileTrailer reads a 99 and compares it with the file it closes.
func (p *parser) fileTrailer(c *cursor, line, n int) {
	if p.acct != nil {
		p.missingAccountTrailer(line)
	}

	if p.grp != nil {
		p.envelope(line, "group trailer", fmt.Sprintf("group begun on line %d has no group "+
			"trailer (98)", p.grp.line))
		p.closeGroup(0, false)
	}

	f := p.fs
	if f == nil {
		p.reject(line, "file trailer", "", "file trailer (99) without a file header (01)")
		return
	}

	p.count(n)

	p.compare(CheckFileTotal, line, "file trailer control total", c.value(), f.sum, "", 0,
		"file control total %s != %s, the sum of its group control totals")
	p.compare(CheckFileGroups, line, "file trailer number of groups", c.value(),
		int64(f.groups), "", 0, "number of groups %s != %s groups (02) in the file")
	p.compare(CheckFileRecords, line, "file trailer number of records", c.value(),
		f.records, "", 0, "number of records %s != %s records from the 01 to the 99")

	p.fs = nil
	p.afterFile = true
}

// closeScopes ends an open account and group without their trailers.
func (p *parser) closeScopes(line int) {
	if p.acct != nil {
		p.missingAccountTrailer(line)
	}

	if p.grp != nil {
		p.envelope(line, "group trailer", fmt.Sprintf("group begun on line %d has no group "+
			"trailer (98)", p.grp.line))
		p.closeGroup(0, false)
	}
}

// endOfInput checks that the input ended where a file may end.
func (p *parser) endOfInput() {
	if p.records == 0 {
		p.reject(0, "file", "", "file holds no BAI2 records")
		return
	}

	line := p.lines.line
	p.closeScopes(line)

	if p.fs != nil {
		p.envelope(line, "file trailer", "file has no file trailer (99): it may be cut short")
		p.fs = nil
	}
}

// checkBalances reconciles an account's ledger balances with its details:
// opening ledger (010) + credits - debits = closing ledger (015). The check
// applies when the file holds the account's whole day: its total credits (100)
// and total debits (400) equal the details (a missing one counts when there
// are no details of its side), or it states neither but its group is a final
// report (as-of-date modifier 2 or 4). Otherwise a difference only warns.
func (p *parser) checkBalances(a *account) {
	show := func(n int64) string { return money.FormatMinor(n, a.exp) + " " + a.currency }

	credits := p.detailed(a, "credits", "100", a.has100, a.sum100, a.cr)
	debits := p.detailed(a, "debits", "400", a.has4, a.sum400, a.db)

	if !a.hasOpen || !a.hasClose {
		return
	}

	whole := credits && debits && (a.has100 || a.has4 || a.group.final)
	got := a.open + a.cr - a.db

	if got == a.close {
		if whole {
			p.checked++
		}

		return
	}

	msg := fmt.Sprintf("account %s: opening ledger %s + credits %s - debits %s = %s, but the "+
		"closing ledger (015) is %s", a.number, show(a.open), show(a.cr), show(a.db), show(got),
		show(a.close))

	if whole {
		p.control(CheckBalances, a.closeLine, "closing ledger (015)", "", msg)
		return
	}

	p.warn(a.closeLine, "closing ledger (015)", "", msg+"; the file does not show that it "+
		"details the whole day")
}

// detailed reports whether a summary total (100 or 400) equals the details of
// its side, and warns when it does not. Without the summary, a side without
// details counts as detailed.
func (p *parser) detailed(a *account, side, code string, has bool, sum, got int64) bool {
	if !has {
		return got == 0 || a.group.final
	}

	if sum == got {
		return true
	}

	p.warn(a.line, "summary total "+side+" ("+code+")", "", fmt.Sprintf("account %s: total "+
		"%s %s != %s in its detail records: the file does not detail every one", a.number, side,
		money.FormatMinor(sum, a.exp)+" "+a.currency, money.FormatMinor(got, a.exp)+" "+a.currency))

	return false
}
