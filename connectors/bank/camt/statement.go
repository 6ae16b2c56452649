package camt

import (
	"fmt"
	"hash/maphash"
	"sort"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

// Bounds on what one statement keeps until its end.
const (
	// maxBalances is the most Bal elements a statement may state.
	maxBalances = 1000
	// maxReversals is how many reversal transactions a statement holds back
	// for its balances to decide their sign; later ones (and the held ones)
	// are passed on unconfirmed, with a Problem.
	maxReversals = 10_000
	// maxHeld is how many other transactions a statement holds back when a
	// bank profile downgrades a control check, so that they can be marked if
	// the check fails; later ones are passed on with a warning.
	maxHeld = 10_000
	// maxLinks is how many EndToEndIds of a statement are remembered for
	// linking its reversals to what they undo.
	maxLinks = 1 << 18
	// maxValueDays is how many value dates of a statement are told apart;
	// past them, a closing balance that leaves out later values is not
	// recognised (the balances must then reconcile as they are).
	maxValueDays = 10_000
)

// statement is one Stmt, Rpt or Ntfctn while it is being read: its header,
// and compact facts about the entries read so far.
type statement struct {
	id       string
	line     int
	account  string
	ccy      string // Acct/Ccy, "" when the account does not state one
	balances []balance
	summary  *node

	entries  int // entries read without a problem, booked or not
	firstCcy string
	totals   map[string]*totals
	valued   map[valueDay]int64 // booked entries by currency and value date, signed
	tooMany  bool               // more value dates than maxValueDays

	revs      []revEntry             // reversal entries, in file order
	revTxs    []bankfile.Transaction // their transactions, held until the end
	revPassed bool                   // reversals were passed on before the end

	held     []bankfile.Transaction // lenient profile: the others, held
	passed   bool                   // held transactions were passed on before the end
	mismatch bool                   // a downgraded control check failed

	links map[uint64]string // EndToEndId hash → BankRef, see linkReversals
}

// balance is one Bal element: Minor is signed (a DBIT balance is negative).
type balance struct {
	code  string
	minor int64
	ccy   string
	date  time.Time
	line  int
}

// totals are the sums of one currency's entries the control checks need.
type totals struct {
	// Booked entries, for the balances; signed as written (CRDT positive).
	plain   int64 // entries that are no reversal
	rev     int64 // reversal entries
	nrev    int
	credits int64 // by direction as written
	debits  int64

	// Every entry, whatever its status, for TxsSummry.
	n, nc, nd int
	sc, sd    int64
}

type valueDay struct {
	ccy string
	day int64 // days since 1970-01-01
}

// revEntry is a reversal entry: its line, currency and transactions, at
// revTxs[from:to] (none once passed on).
type revEntry struct {
	line     int
	ccy      string
	from, to int
}

// statement reads one statement element, which started on line, up to its end
// tag.
func (r *reader) statement(line int) error {
	st := &statement{line: line}

	for {
		line := r.src.line()

		t, err := r.src.next()
		if err != nil {
			return err
		}

		switch t.kind {
		case tokEnd:
			r.closeStatement(st)
			if r.stopErr != nil {
				return errStop
			}

			return nil
		case tokStart:
			if err := r.statementChild(st, t, line); err != nil {
				return err
			}
		}
	}
}

func (r *reader) statementChild(st *statement, t *tok, line int) error {
	switch t.name {
	case "Id", "Acct", "Bal", "TxsSummry", "Ntry":
	default:
		return r.skip(t.name)
	}

	if t.name == "Ntry" {
		// An entry's nodes are read into transactions and dropped.
		defer r.reuseNodes()()
	}

	n, err := r.tree(t, line)
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
		if r.stopErr != nil {
			return errStop
		}
	}

	return nil
}

func (r *reader) balance(st *statement, n *node) {
	if len(st.balances) == maxBalances {
		r.fail(n.line, "Bal", "", fmt.Sprintf("statement states more than %d balances",
			maxBalances))
		return
	}

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

// count adds an entry read without a problem to the statement's totals.
func (st *statement) count(e *entryCtx, booked bool) {
	ccy := e.amt.Currency
	if st.entries == 0 {
		st.firstCcy = ccy
	}

	st.entries++

	if st.totals == nil {
		st.totals = map[string]*totals{}
	}

	t := st.totals[ccy]
	if t == nil {
		t = &totals{}
		st.totals[ccy] = t
	}

	credit := e.dir == bankfile.Credit

	t.n++
	if credit {
		t.nc++
		t.sc += e.amt.Minor
	} else {
		t.nd++
		t.sd += e.amt.Minor
	}

	if !booked {
		return
	}

	s := e.amt.Minor
	if credit {
		t.credits += s
	} else {
		t.debits += s
		s = -s
	}

	if e.reversal {
		t.rev += s
		t.nrev++
	} else {
		t.plain += s
	}

	if e.value.IsZero() || st.tooMany {
		return
	}

	if st.valued == nil {
		st.valued = map[valueDay]int64{}
	}

	k := valueDay{ccy: ccy, day: e.value.Unix() / 86400}
	if _, ok := st.valued[k]; !ok && len(st.valued) == maxValueDays {
		st.tooMany, st.valued = true, nil
		return
	}

	st.valued[k] += s
}

// valuedAfter sums the booked entries of ccy valued after date.
func (st *statement) valuedAfter(ccy string, date time.Time) int64 {
	var s int64

	day := date.Unix() / 86400
	for k, v := range st.valued {
		if k.ccy == ccy && k.day > day {
			s += v
		}
	}

	return s
}

// hand takes one transaction of an entry: a reversal is held for the
// statement's end, any other is remembered for linking and passed on.
func (r *reader) hand(st *statement, t bankfile.Transaction) {
	if t.Kind == bankfile.KindReversal {
		if st.revPassed {
			r.unchecked(st, &t)
			r.pass(t)

			return
		}

		st.revTxs = append(st.revTxs, t)
		if len(st.revTxs) >= maxReversals {
			r.releaseReversals(st)
		}

		return
	}

	r.remember(st, t)

	if (!r.lenientBalances && !r.lenientSummary) || st.passed {
		r.pass(t)
		return
	}

	st.held = append(st.held, t)
	if len(st.held) >= maxHeld {
		st.passed = true
		r.warn(t.Line, "Ntry", "", fmt.Sprintf("statement has more than %d transactions: "+
			"passed on before its control totals were checked", maxHeld))

		for _, h := range st.held {
			r.pass(h)
		}

		st.held = nil
	}
}

// remember notes the BankRef of the first transaction with each EndToEndId,
// which a reversal of the statement may undo.
func (r *reader) remember(st *statement, t bankfile.Transaction) {
	if t.EndToEndID == "" || t.BankRef == "" {
		return
	}

	if st.links == nil {
		st.links = map[uint64]string{}
	}

	h := maphash.String(r.seed, t.EndToEndID)
	if _, ok := st.links[h]; !ok && len(st.links) < maxLinks {
		st.links[h] = strings.Clone(t.BankRef) // not the entry's whole text
	}
}

// releaseReversals passes on the reversals held so far when there are too many
// to hold: their sign is the bank profile's, else ISO's, and unconfirmed.
func (r *reader) releaseReversals(st *statement) {
	st.revPassed = true
	r.warn(st.revTxs[len(st.revTxs)-1].Line, "Ntry/RvslInd", "", fmt.Sprintf(
		"statement has more than %d reversals: their sign is not checked", maxReversals))

	for i := range st.revTxs {
		r.unchecked(st, &st.revTxs[i])
		r.pass(st.revTxs[i])
	}

	for i := range st.revs {
		st.revs[i].from, st.revs[i].to = 0, 0
	}

	st.revTxs = nil
}

// unchecked settles a reversal passed on before its statement's balances were
// read: the profile's sign, else ISO's with a Problem; linked if it can be.
func (r *reader) unchecked(st *statement, t *bankfile.Transaction) {
	switch r.opts.Reversals {
	case ReversalOriginal:
		t.Direction = flip(t.Direction)
	case ReversalFromBalances:
		setProblem(t, "reversal sign not confirmed: too many reversals in the statement")
	}

	r.link(st, t)
}

// closeStatement runs the control checks of a statement once all of it is read:
// reversal signs, balances and the transaction summary; then it passes on the
// transactions it held.
func (r *reader) closeStatement(st *statement) {
	if st.account == "" && st.entries > 0 {
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
	case st.entries > 0:
		r.open++
	}

	for i := range st.revTxs {
		r.link(st, &st.revTxs[i])
	}

	r.release(st)
}

// release passes on the transactions the statement held, in file order,
// marked when a downgraded control check failed.
func (r *reader) release(st *statement) {
	if st.mismatch {
		for i := range st.held {
			setProblem(&st.held[i], "statement control totals do not reconcile")
		}

		for i := range st.revTxs {
			setProblem(&st.revTxs[i], "statement control totals do not reconcile")
		}
	}

	h, v := st.held, st.revTxs
	for len(h) > 0 || len(v) > 0 {
		if len(v) == 0 || len(h) > 0 && h[0].Seq < v[0].Seq {
			r.pass(h[0])
			h = h[1:]

			continue
		}

		r.pass(v[0])
		v = v[1:]
	}
}

// noteAccount counts the accounts and currencies of the file, up to two: the
// file has an account and a currency when it has only one.
func (r *reader) noteAccount(st *statement) {
	if st.account != "" {
		r.account, r.accounts = note(r.account, r.accounts, st.account)
	}

	switch {
	case st.ccy != "":
		r.ccy, r.ccys = note(r.ccy, r.ccys, st.ccy)
	case st.entries > 0:
		for c := range st.totals {
			r.ccy, r.ccys = note(r.ccy, r.ccys, c)
		}
	default:
		for _, b := range st.balances {
			if b.code == "OPBD" || b.code == "CLBD" || b.code == "PRCD" {
				r.ccy, r.ccys = note(r.ccy, r.ccys, b.ccy)
			}
		}
	}
}

func note(one string, n int, v string) (string, int) {
	switch {
	case n == 0:
		return v, 1
	case v != one:
		return one, 2
	}

	return one, n
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

	if opens, closes := splitPairs(pairs); len(done) == 0 && opens != "" && closes != "" {
		r.warn(st.line, "Bal", "", fmt.Sprintf("opening balance in %s, closing balance in %s: "+
			"not reconciled", opens, closes))
	}

	return len(done) > 0
}

// splitPairs returns the currencies of the opening and of the closing
// balances when no currency has both, which cannot be reconciled; "" and ""
// when one has.
func splitPairs(pairs map[string]pair) (opens, closes string) {
	var o, c []string

	for ccy, p := range pairs {
		if p.ok {
			return "", ""
		}

		if p.open.code != "" {
			o = append(o, ccy)
		}

		if p.close.code != "" {
			c = append(c, ccy)
		}
	}

	sort.Strings(o)
	sort.Strings(c)

	return strings.Join(o, ", "), strings.Join(c, ", ")
}

// reconcileCurrency checks one currency. Reversals are summed apart so both
// sign conventions can be tried: the one that balances is the bank's. When
// both balance (the reversals net to zero) their signs stay unconfirmed.
func (r *reader) reconcileCurrency(st *statement, p pair, avail bool) bool {
	ccy := p.open.ccy
	exp, _ := money.Exponent(ccy)
	f := func(v int64) string { return money.FormatMinor(v, exp) }

	t := st.totals[ccy]
	if t == nil {
		t = &totals{}
	}

	plain, rev, nrev := t.plain, t.rev, t.nrev

	var late int64
	if !p.close.date.IsZero() && !st.tooMany {
		late = st.valuedAfter(ccy, p.close.date)
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

	r.control(st, r.lenientBalances, p.close.line, "Bal/"+p.close.code, f(want), fmt.Sprintf(
		"balances do not reconcile: %s %s + credits %s − debits %s = %s, closing balance is %s %s",
		p.open.code, f(p.open.minor), f(t.credits), f(t.debits),
		f(p.open.minor+plain+rev), f(want), ccy))

	return false
}

// decideReversals applies the sign convention the balances proved (or the bank
// profile states) to the reversal transactions of one currency.
func (r *reader) decideReversals(st *statement, ccy string, sign ReversalSign, unsure bool) {
	warned := false

	for _, e := range st.revs {
		if e.ccy != ccy {
			continue
		}

		for i := e.from; i < e.to; i++ {
			t := &st.revTxs[i]
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
	for _, e := range st.revs {
		if done[e.ccy] {
			continue
		}

		for i := e.from; i < e.to; i++ {
			t := &st.revTxs[i]
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
	if ccy == "" {
		ccy = st.firstCcy
	}

	for c := range st.totals {
		if c != ccy {
			r.warn(st.summary.line, "TxsSummry", "",
				"entries in several currencies: summary sums not checked")
			return false
		}
	}

	exp := 2
	if ccy != "" {
		exp, _ = money.Exponent(ccy)
	}

	t := st.totals[ccy]
	if t == nil {
		t = &totals{}
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
			r.control(st, r.lenientSummary, g.line, field+"/NbOfNtries", s, fmt.Sprintf(
				"summary says %s entries, file has %d", s, count))
		}

		if g.child("Sum") == nil {
			return
		}

		want, ok := r.minor(g.child("Sum"), exp, field+"/Sum")
		if ok && want != sum {
			r.control(st, r.lenientSummary, g.child("Sum").line, field+"/Sum", g.str("Sum"),
				fmt.Sprintf("summary sum %s ≠ entries %s", money.FormatMinor(want, exp),
					money.FormatMinor(sum, exp)))
		}
	}

	check([]string{"TtlNtries"}, t.n, t.sc+t.sd)
	check([]string{"TtlCdtNtries"}, t.nc, t.sc)
	check([]string{"TtlDbtNtries"}, t.nd, t.sd)
	r.netCheck(st, exp, t.sc-t.sd)

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
		r.control(st, r.lenientSummary, amt.line, "TxsSummry/TtlNtries/TtlNetNtry", amt.text,
			fmt.Sprintf("summary net %s ≠ entries %s", money.FormatMinor(want, exp),
				money.FormatMinor(net, exp)))
	}
}

// link points a reversal at the transaction it undoes when that transaction
// is in the same statement: the first other transaction with its EndToEndId.
func (r *reader) link(st *statement, t *bankfile.Transaction) {
	if t.EndToEndID == "" || t.OriginalRef != "" {
		return
	}

	if ref, ok := st.links[maphash.String(r.seed, t.EndToEndID)]; ok {
		t.OriginalRef = ref
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

// finish sets the file-level account, currency, encoding and control result.
func (r *reader) finish() {
	if r.accounts == 1 {
		r.file.Account = r.account
	}

	if r.ccys == 1 {
		r.file.Currency = r.ccy
	}

	switch {
	case r.mismatch:
		r.file.Controls = bankfile.ControlsMismatch
	case r.checked > 0 && r.open == 0:
		r.file.Controls = bankfile.ControlsOK
	default:
		r.file.Controls = bankfile.ControlsNone
	}

	if r.droppedWarnings > 0 {
		r.file.Warnings = append(r.file.Warnings, bankfile.Problem{File: r.name, Field: "file",
			Message: fmt.Sprintf("%d more warnings of this file not listed", r.droppedWarnings)})
	}

	if r.text == nil {
		return
	}

	r.file.Encoding = r.text.encoding()
	if fb := r.text.fb; fb != nil && fb.fellBack {
		w := bankfile.Problem{File: r.name, Line: fb.warnLine, Field: "encoding",
			Message: "not valid UTF-8: read as windows-1252"}
		r.file.Warnings = append([]bankfile.Problem{w}, r.file.Warnings...)
	}
}
