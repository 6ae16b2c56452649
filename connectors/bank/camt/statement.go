package camt

import (
	"encoding/xml"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

// statement is one Stmt, Rpt or Ntfctn while it is being read.
type statement struct {
	id       string
	line     int
	account  string
	ccy      string // Acct/Ccy, "" when the account does not state one
	balances []balance
	summary  *node
	entries  []entryTotal
	first    int // index in File.Transactions of the statement's first transaction
}

// balance is one Bal element: Minor is signed (a DBIT balance is negative).
type balance struct {
	code  string
	minor int64
	ccy   string
	date  time.Time
	line  int
}

// entryTotal is what reconciliation needs from each entry.
type entryTotal struct {
	line      int
	minor     int64
	ccy       string
	credit    bool // CdtDbtInd as written
	reversal  bool
	booked    bool
	valueDate time.Time
	txs       []int // indices in File.Transactions
}

// statement reads one statement element up to its end tag.
func (r *reader) statement(start xml.StartElement, off int64) error {
	st := &statement{line: r.lines.at(off), first: len(r.file.Transactions)}

	for {
		off := r.dec.InputOffset()

		t, err := r.token()
		if err != nil {
			return err
		}

		switch t.kind {
		case tokEnd:
			r.closeStatement(st)
			return nil
		case tokStart:
			start := xml.StartElement{Name: xml.Name{Local: t.name}, Attr: t.attrs}
			if err := r.statementChild(st, start, off); err != nil {
				return err
			}
		}
	}
}

func (r *reader) statementChild(st *statement, t xml.StartElement, off int64) error {
	switch t.Name.Local {
	case "Id", "Acct", "Bal", "TxsSummry", "Ntry":
	default:
		return r.skip(t.Name.Local)
	}

	if t.Name.Local == "Ntry" {
		// An entry's nodes are read into transactions and dropped.
		defer r.reuseNodes()()
	}

	n, err := r.tree(t, off)
	if err != nil {
		return err
	}

	switch n.name {
	case "Id":
		st.id = n.text
	case "Acct":
		st.account = n.str("Id", "IBAN")
		if st.account == "" {
			st.account = n.str("Id", "Othr", "Id")
		}

		st.ccy = n.str("Ccy")
		if st.account == "" {
			r.fail(n.line, "Acct/Id", "", "account has neither IBAN nor Othr/Id")
		}
	case "Bal":
		r.balance(st, n)
	case "TxsSummry":
		st.summary = n
	case "Ntry":
		r.entry(st, n)
	}

	return nil
}

func (r *reader) balance(st *statement, n *node) {
	code := n.str("Tp", "CdOrPrtry", "Cd")
	if code == "" {
		code = n.str("Tp", "CdOrPrtry", "Prtry")
	}

	amt, ok := r.amount(n.child("Amt"), n.line, st.ccy, "Bal/Amt")
	if !ok {
		return
	}

	b := balance{code: code, minor: amt.Minor, ccy: amt.Currency, line: n.line}

	switch n.str("CdtDbtInd") {
	case "CRDT":
	case "DBIT":
		b.minor = -b.minor
	default:
		r.fail(n.line, "Bal/CdtDbtInd", n.str("CdtDbtInd"),
			"balance direction must be CRDT or DBIT")
		return
	}

	if d := n.child("Dt"); d != nil {
		b.date, _ = r.date(d, "Bal/Dt")
	}

	st.balances = append(st.balances, b)
}

// closeStatement runs the control checks of a statement once all of it is read:
// reversal signs, balances and the transaction summary.
func (r *reader) closeStatement(st *statement) {
	if st.account == "" && len(st.entries) > 0 {
		r.fail(st.line, "Acct", "", "statement has entries but no account")
	}

	r.noteAccount(st)

	verified := r.reconcile(st)
	if st.summary != nil && r.summaryCheck(st) {
		verified = true
	}

	switch {
	case verified:
		r.checked++
	case len(st.entries) > 0:
		r.open++
	}

	r.linkReversals(st)
}

func (r *reader) noteAccount(st *statement) {
	if r.accounts == nil {
		r.accounts = map[string]bool{}
		r.ccys = map[string]bool{}
	}

	if st.account != "" {
		r.accounts[st.account] = true
	}

	switch {
	case st.ccy != "":
		r.ccys[st.ccy] = true
	case len(st.entries) > 0:
		for _, e := range st.entries {
			r.ccys[e.ccy] = true
		}
	default:
		for _, b := range st.balances {
			if b.code == "OPBD" || b.code == "CLBD" || b.code == "PRCD" {
				r.ccys[b.ccy] = true
			}
		}
	}
}

// pair is an opening and a closing balance in one currency.
type pair struct {
	open, close balance
	ok          bool
}

// balancePairs returns, per currency, the opening (OPBD, else PRCD) and closing
// (CLBD) booked balances, falling back to OPAV/CLAV when a statement has no
// booked balances at all. avail reports that fallback.
func balancePairs(st *statement) (pairs map[string]pair, avail bool) {
	pick := func(openCodes []string, closeCode string) map[string]pair {
		out := map[string]pair{}

		for _, code := range openCodes {
			for _, b := range st.balances {
				p := out[b.ccy]
				if b.code == code && p.open.code == "" {
					p.open = b
					out[b.ccy] = p
				}
			}
		}

		for _, b := range st.balances {
			p := out[b.ccy]
			if b.code == closeCode && p.close.code == "" {
				p.close = b
				out[b.ccy] = p
			}
		}

		for c, p := range out {
			p.ok = p.open.code != "" && p.close.code != ""
			out[c] = p
		}

		return out
	}

	pairs = pick([]string{"OPBD", "PRCD"}, "CLBD")
	for _, p := range pairs {
		if p.open.code != "" || p.close.code != "" {
			return pairs, false
		}
	}

	return pick([]string{"OPAV"}, "CLAV"), true
}

// reconcile checks opening + booked credits - booked debits = closing for every
// currency with both balances, decides the sign of reversal entries, and
// reports whether at least one currency was verified.
func (r *reader) reconcile(st *statement) bool {
	pairs, avail := balancePairs(st)
	done := map[string]bool{}
	ccys := make([]string, 0, len(pairs))

	for c := range pairs {
		ccys = append(ccys, c)
	}

	sort.Strings(ccys)

	for _, c := range ccys {
		if p := pairs[c]; p.ok && r.reconcileCurrency(st, p, avail) {
			done[c] = true
		}
	}

	r.unverifiedReversals(st, done)

	if len(done) == 0 && splitPairs(pairs) {
		r.warn(st.line, "Bal", "", "opening and closing balances are in different currencies: "+
			"not reconciled")
	}

	return len(done) > 0
}

// splitPairs reports an opening balance in one currency and a closing balance
// only in another, which cannot be reconciled.
func splitPairs(pairs map[string]pair) bool {
	var open, closing bool

	for _, p := range pairs {
		if p.ok {
			return false
		}

		open = open || p.open.code != ""
		closing = closing || p.close.code != ""
	}

	return open && closing
}

// reconcileCurrency checks one currency. Reversals are summed apart so both
// sign conventions can be tried: the one that balances is the bank's. When
// both balance (the reversals net to zero) their signs stay unconfirmed.
func (r *reader) reconcileCurrency(st *statement, p pair, avail bool) bool {
	ccy := p.open.ccy
	exp, _ := money.Exponent(ccy)
	f := func(v int64) string { return money.FormatMinor(v, exp) }

	var plain, rev, late int64
	var nrev int

	for _, e := range st.entries {
		if !e.booked || e.ccy != ccy {
			continue
		}

		s := e.minor
		if !e.credit {
			s = -s
		}

		if e.reversal {
			rev += s
			nrev++
		} else {
			plain += s
		}

		if !p.close.date.IsZero() && e.valueDate.After(p.close.date) {
			late += s
		}
	}

	want := p.close.minor
	iso := p.open.minor+plain+rev == want
	orig := p.open.minor+plain-rev == want

	sign, ok, unsure := r.opts.Reversals, false, false
	switch sign {
	case ReversalISO:
		ok = iso
	case ReversalOriginal:
		ok = orig
	default:
		ok, sign, unsure = iso || orig, ReversalISO, iso && orig && nrev > 0
		if !iso && orig {
			sign = ReversalOriginal
		}
	}

	switch {
	case ok:
		r.decideReversals(st, ccy, sign, unsure)
		return true
	case avail:
		r.warn(p.close.line, "Bal/CLAV", "", fmt.Sprintf(
			"available balances do not reconcile: %s + entries %s ≠ %s %s; not used as a control",
			f(p.open.minor), f(plain+rev), f(want), ccy))

		return false
	case late != 0 && nrev == 0 && p.open.minor+plain-late == want:
		r.warn(p.close.line, "Bal/CLBD", "", fmt.Sprintf(
			"closing balance leaves out entries valued after %s (%s %s); reconciled without them",
			p.close.date.Format(time.DateOnly), f(late), ccy))

		return true
	}

	r.fail(p.close.line, "Bal/"+p.close.code, f(want), fmt.Sprintf(
		"balances do not reconcile: %s %s + credits %s − debits %s = %s, closing balance is %s %s",
		p.open.code, f(p.open.minor), f(sumDir(st, ccy, true)), f(sumDir(st, ccy, false)),
		f(p.open.minor+plain+rev), f(want), ccy))

	return false
}

func sumDir(st *statement, ccy string, credit bool) int64 {
	var s int64

	for _, e := range st.entries {
		if e.booked && e.ccy == ccy && e.credit == credit {
			s += e.minor
		}
	}

	return s
}

// decideReversals applies the sign convention the balances proved (or the bank
// profile states) to the reversal transactions of one currency.
func (r *reader) decideReversals(st *statement, ccy string, sign ReversalSign, unsure bool) {
	warned := false

	for _, e := range st.entries {
		if !e.reversal || e.ccy != ccy {
			continue
		}

		for _, i := range e.txs {
			t := &r.file.Transactions[i]
			if sign == ReversalOriginal {
				t.Direction = flip(t.Direction)
			}

			if unsure {
				setProblem(t, "reversal sign not confirmed by the balances")
			}
		}

		if sign == ReversalOriginal && r.opts.Reversals == ReversalFromBalances && !warned {
			warned = true
			r.warn(e.line, "Ntry/RvslInd", "", "bank repeats the original direction on "+
				"reversals; sign taken from the balances")
		}
	}
}

// unverifiedReversals handles reversals in currencies whose balances could not
// be checked: with a bank profile its convention applies; without one the sign
// is never guessed and the reversal goes to the exception queue.
func (r *reader) unverifiedReversals(st *statement, done map[string]bool) {
	for _, e := range st.entries {
		if !e.reversal || done[e.ccy] {
			continue
		}

		for _, i := range e.txs {
			t := &r.file.Transactions[i]
			switch r.opts.Reversals {
			case ReversalOriginal:
				t.Direction = flip(t.Direction)
			case ReversalFromBalances:
				setProblem(t, "reversal sign cannot be checked: no reconciled balances")
			}
		}
	}
}

// summaryCheck compares TxsSummry with the entries, counting every entry the
// statement lists whatever its status, as the summary does. A mismatch is a
// problem; it reports whether anything was verified.
func (r *reader) summaryCheck(st *statement) bool {
	ccy := st.ccy
	for _, e := range st.entries {
		if ccy == "" {
			ccy = e.ccy
		}

		if e.ccy != ccy {
			r.warn(st.summary.line, "TxsSummry", "",
				"entries in several currencies: summary sums not checked")
			return false
		}
	}

	exp := 2
	if ccy != "" {
		exp, _ = money.Exponent(ccy)
	}

	var n, nc, nd int
	var sc, sd int64

	for _, e := range st.entries {
		n++

		if e.credit {
			nc++
			sc += e.minor
		} else {
			nd++
			sd += e.minor
		}
	}

	checked := false
	check := func(path []string, count int, sum int64) {
		g := st.summary.path(path...)
		if g == nil {
			return
		}

		checked = true
		field := "TxsSummry/" + strings.Join(path, "/")

		if s := g.str("NbOfNtries"); s != "" && s != fmt.Sprint(count) {
			r.fail(g.line, field+"/NbOfNtries", s, fmt.Sprintf(
				"summary says %s entries, file has %d", s, count))
		}

		if g.child("Sum") == nil {
			return
		}

		want, ok := r.minor(g.child("Sum"), exp, field+"/Sum")
		if ok && want != sum {
			r.fail(g.child("Sum").line, field+"/Sum", g.str("Sum"), fmt.Sprintf(
				"summary sum %s ≠ entries %s", money.FormatMinor(want, exp),
				money.FormatMinor(sum, exp)))
		}
	}

	check([]string{"TtlNtries"}, n, sc+sd)
	check([]string{"TtlCdtNtries"}, nc, sc)
	check([]string{"TtlDbtNtries"}, nd, sd)
	r.netCheck(st, exp, sc-sd)

	return checked
}

// netCheck verifies the net total: TtlNtries/TtlNetNtry (.04+) or
// TtlNtries/TtlNetNtryAmt with TtlNtries/CdtDbtInd (.02, .03).
func (r *reader) netCheck(st *statement, exp int, net int64) {
	tn := st.summary.child("TtlNtries")
	amt, ind := tn.path("TtlNetNtry", "Amt"), tn.str("TtlNetNtry", "CdtDbtInd")
	if amt == nil {
		amt, ind = tn.child("TtlNetNtryAmt"), tn.str("CdtDbtInd")
	}

	if amt == nil {
		return
	}

	want, ok := r.minor(amt, exp, "TxsSummry/TtlNtries/TtlNetNtry")
	if !ok {
		return
	}

	if ind == "DBIT" {
		want = -want
	}

	if want != net {
		r.fail(amt.line, "TxsSummry/TtlNtries/TtlNetNtry", amt.text, fmt.Sprintf(
			"summary net %s ≠ entries %s", money.FormatMinor(want, exp),
			money.FormatMinor(net, exp)))
	}
}

// linkReversals points each reversal at the transaction it undoes when that
// transaction is in the same statement (same EndToEndId, opposite effect).
func (r *reader) linkReversals(st *statement) {
	txs := r.file.Transactions[st.first:]
	for i := range txs {
		t := &txs[i]
		if t.Kind != bankfile.KindReversal || t.EndToEndID == "" || t.OriginalRef != "" {
			continue
		}

		for j := range txs {
			o := txs[j]
			if o.Kind != bankfile.KindReversal && o.EndToEndID == t.EndToEndID && o.BankRef != "" {
				t.OriginalRef = o.BankRef
				break
			}
		}
	}
}

func flip(d bankfile.Direction) bankfile.Direction {
	if d == bankfile.Credit {
		return bankfile.Debit
	}

	return bankfile.Credit
}

func setProblem(t *bankfile.Transaction, msg string) {
	if t.Problem == "" {
		t.Problem = msg
		return
	}

	if !strings.Contains(t.Problem, msg) {
		t.Problem += "; " + msg
	}
}

// finish sets the file-level account, currency and control result.
func (r *reader) finish() {
	if len(r.accounts) == 1 {
		for a := range r.accounts {
			r.file.Account = a
		}
	}

	if len(r.ccys) == 1 {
		for c := range r.ccys {
			r.file.Currency = c
		}
	}

	switch {
	case r.checked > 0 && r.open == 0:
		r.file.Controls = bankfile.ControlsOK
	default:
		r.file.Controls = bankfile.ControlsNone
	}
}
