package reconcile

import (
	"hash/maphash"
	"slices"
	"strconv"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/matching"
	"github.com/o2c-dev/o2c/internal/reversal"
)

// ReversalsFile is the output file listing every return and reversal.
const ReversalsFile = "reversals.csv"

// ReversalsHeader is the header row of reversals.csv.
var ReversalsHeader = []string{
	"payment_id", "bank_reference", "value_date", "payer_name", "amount", "currency", "kind",
	"return_code", "outcome", "reason", "reverses_payment_id", "reverses_bank_reference",
	"message",
}

// Outcomes of a return or reversal in reversals.csv.
const (
	// OutcomeUndone: the payment it takes back was found and its applications
	// undone; the invoices are open again.
	OutcomeUndone = "undone"
	// OutcomeHeld: nothing was undone; the return is in exceptions.csv with the
	// reason (reversal_unverified or return_unmatched).
	OutcomeHeld = "held"
	// OutcomeNoCash: a reversal of a debit; no cash had been applied.
	OutcomeNoCash = "no_cash"
)

// undoRule is the rule column of the rows of applications.csv that undo an
// application: the kind of the return or reversal ("return" or "reversal").
func undoRule(t *bankfile.Transaction) string {
	return string(t.Kind)
}

// paidIndex remembers the matched payments of a run, so that a return or
// reversal, in the same or a later file, finds the payment it takes back and its
// applications. Remembering a payment only appends to flat lists; the lookup
// tables are built, or brought up to date, when a return asks, so a run
// without returns never builds them. Payments are found by a 64-bit hash of
// currency and reference with the amount, by bank reference or by end-to-end
// id; two different references of one currency and amount share a hash with a
// probability of about 2^-64. Nothing in it holds a pointer, so the collector
// does not scan it however many payments a run has.
type paidIndex struct {
	seed  maphash.Seed
	recs  []paidPayment
	apps  []paidApp
	byRef map[refKey]int32 // → last payment with the key; older ones by nextRef
	byE2E map[refKey]int32 // → last payment with the key; older ones by nextE2E
	// indexed is how many of recs are in byRef and byE2E.
	indexed int
	// text holds the payments' bank references, end-to-end ids and currencies
	// and their applications' invoice numbers and customer ids, end to end.
	text []byte
}

// span is a string of paidIndex.text.
type span struct {
	from, to int32
}

type refKey struct {
	hash   uint64
	amount int64
}

// paidPayment is one matched payment.
type paidPayment struct {
	file, seq        int32 // payment id: the run's file names[file] + "#" + seq
	ref, e2e, cur    span  // bank reference, usable end-to-end id or empty, currency
	amount           int64
	appFrom, appTo   int32 // applications: apps[appFrom:appTo]
	nextRef, nextE2E int32 // older payment of the same key, -1 for none
	returned         bool
}

// paidApp is an application as the engine made it, enough to undo it.
type paidApp struct {
	invoice, customer          span
	amount, discount, writeoff int64
}

func newPaidIndex() *paidIndex {
	return &paidIndex{seed: maphash.MakeSeed()}
}

// reserve makes room for the payments of a file of transactions txs at once,
// doubling when it grows: append would grow the large slices by a quarter at a
// time and allocate five times their final size on the way.
func (x *paidIndex) reserve(txs []bankfile.Transaction) {
	// Room for the references and currency, and invoice numbers and customer
	// ids of about the bank reference's length.
	size := 0
	for i := range txs {
		t := &txs[i]
		size += 3*len(t.BankRef) + len(t.EndToEndID) + len(t.Amount.Currency)
	}

	x.recs = grow(x.recs, len(txs))
	x.apps = grow(x.apps, len(txs)+len(txs)/4)
	x.text = grow(x.text, size)
}

// keep adds s to text.
func (x *paidIndex) keep(s string) span {
	from := int32(len(x.text))
	x.text = append(x.text, s...)

	return span{from, int32(len(x.text))}
}

// bytes returns the text of sp.
func (x *paidIndex) bytes(sp span) []byte {
	return x.text[sp.from:sp.to]
}

// str returns the string of sp.
func (x *paidIndex) str(sp span) string {
	return string(x.bytes(sp))
}

// grow returns s with room for n more elements, at least doubling its capacity
// when it must reallocate.
func grow[T any](s []T, n int) []T {
	if cap(s)-len(s) >= n {
		return s
	}

	out := make([]T, len(s), max(2*cap(s), len(s)+n))
	copy(out, s)

	return out
}

// key is the lookup key of a reference in a currency with an amount.
func (x *paidIndex) key(cur, ref string, amount int64) refKey {
	var h maphash.Hash
	h.SetSeed(x.seed)
	h.WriteString(cur)
	h.WriteByte(0)
	h.WriteString(ref)

	return refKey{hash: h.Sum64(), amount: amount}
}

// keyOf is key for a remembered payment's reference ref.
func (x *paidIndex) keyOf(p *paidPayment, ref span) refKey {
	var h maphash.Hash
	h.SetSeed(x.seed)
	h.Write(x.bytes(p.cur))
	h.WriteByte(0)
	h.Write(x.bytes(ref))

	return refKey{hash: h.Sum64(), amount: p.amount}
}

// add remembers payment t, number seq of file, and its applications.
func (x *paidIndex) add(file, seq int, t *bankfile.Transaction, apps []matching.Application) {
	p := paidPayment{file: int32(file), seq: int32(seq), nextRef: -1, nextE2E: -1,
		ref: x.keep(t.BankRef), cur: x.keep(t.Amount.Currency), amount: t.Amount.Minor,
		appFrom: int32(len(x.apps))}
	if reversal.Usable(t.EndToEndID) {
		p.e2e = x.keep(t.EndToEndID)
	}

	for _, a := range apps {
		x.apps = append(x.apps, paidApp{invoice: x.keep(a.InvoiceNumber),
			customer: x.keep(a.CustomerID), amount: a.Amount, discount: a.Discount,
			writeoff: a.WriteOff})
	}

	p.appTo = int32(len(x.apps))
	x.recs = append(x.recs, p)
}

// catchUp puts the payments remembered since the last call in the lookup
// tables.
func (x *paidIndex) catchUp() {
	if x.byRef == nil {
		x.byRef = make(map[refKey]int32, len(x.recs))
		x.byE2E = make(map[refKey]int32, len(x.recs))
	}

	for n := x.indexed; n < len(x.recs); n++ {
		p := &x.recs[n]
		if p.ref.to > p.ref.from {
			k := x.keyOf(p, p.ref)
			if prev, ok := x.byRef[k]; ok {
				p.nextRef = prev
			}

			x.byRef[k] = int32(n)
		}

		if p.e2e.to > p.e2e.from {
			k := x.keyOf(p, p.e2e)
			if prev, ok := x.byE2E[k]; ok {
				p.nextE2E = prev
			}

			x.byE2E[k] = int32(n)
		}
	}

	x.indexed = len(x.recs)
}

// candidates returns the payments return t may take back, oldest first, by the
// rule of package reversal: the payments whose bank reference is t's original
// reference, or failing those, whose end-to-end id is one of
// reversal.EndToEndRefs(t); always of t's currency and amount.
func (x *paidIndex) candidates(t *bankfile.Transaction) []int32 {
	x.catchUp()
	cur, amt := t.Amount.Currency, t.Amount.Minor

	var out []int32
	if t.OriginalRef != "" {
		if n, ok := x.byRef[x.key(cur, t.OriginalRef, amt)]; ok {
			for ; n >= 0; n = x.recs[n].nextRef {
				out = append(out, n)
			}

			return oldestFirst(out)
		}
	}

	seen := map[int32]bool{}
	for _, ref := range reversal.EndToEndRefs(t) {
		n, ok := x.byE2E[x.key(cur, ref, amt)]
		if !ok {
			continue
		}

		for ; n >= 0; n = x.recs[n].nextE2E {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}

	return oldestFirst(out)
}

// oldestFirst sorts payment numbers ascending (the lists are short).
func oldestFirst(ns []int32) []int32 {
	for i := 1; i < len(ns); i++ {
		for j := i; j > 0 && ns[j] < ns[j-1]; j-- {
			ns[j], ns[j-1] = ns[j-1], ns[j]
		}
	}

	return ns
}

// pendingReturn is a return or reversal of the file being read, handled after
// the file's payments, as the ingest pipeline does.
type pendingReturn struct {
	t  *bankfile.Transaction
	id string
}

// reversal handles one return or reversal by the rule of package reversal: it
// undoes the payment it takes back (reopening the invoices in the engine and
// writing undo rows) or holds it, and lists it in reversals.csv.
func (r *run) reversal(pr pendingReturn) {
	t := pr.t
	d := decision{id: pr.id, bankRef: t.BankRef, valueDate: t.ValueDate, payer: t.PayerName,
		amount: t.Amount}
	if d.valueDate.IsZero() {
		d.valueDate = t.BookingDate
	}

	row := &reversalRow{kind: string(t.Kind), returnCode: t.ReturnCode}
	d.rev = row
	r.sum.Returns.Count++

	hold := func(reason, msg string) {
		row.outcome, row.reason, row.message = OutcomeHeld, reason, msg
		d.exception = &matching.Exception{Reason: reason, Message: msg, Amount: t.Amount.Minor}
		r.sum.Returns.Held++
		r.sum.addException(t.Amount.Currency, reason, t.Amount.Minor)
		r.rec.put(d)
	}

	v := reversal.Screen(t)
	switch v.Action {
	case reversal.Hold:
		hold(v.Reason, v.Message)
		return
	case reversal.NoCash:
		row.outcome, row.message = OutcomeNoCash, reversal.NoCashNote
		r.sum.Returns.NoCash++
		r.rec.put(d)

		return
	}

	cands := r.paid.candidates(t)
	switch {
	case len(cands) == 0:
		hold(reversal.ReasonReturnUnmatched, reversal.NotFound(t))
		return
	case len(cands) > 1:
		ids := make([]string, len(cands))
		for i, n := range cands {
			ids[i] = r.paidID(n)
		}

		hold(reversal.ReasonReturnUnmatched, reversal.Ambiguous(t, ids))

		return
	case r.paid.recs[cands[0]].returned:
		hold(reversal.ReasonReturnUnmatched, reversal.AlreadyReturned(t, r.paidID(cands[0])))
		return
	}

	orig := &r.paid.recs[cands[0]]
	orig.returned = true
	row.outcome, row.reason = OutcomeUndone, reversal.ReasonReturned
	row.origID = r.paidID(cands[0])
	row.origRef = r.paid.str(orig.ref)

	apps := r.paid.apps[orig.appFrom:orig.appTo]
	var invoices []string
	var reopened []matching.Candidate
	d.amount.Minor = -t.Amount.Minor
	for _, a := range apps {
		inv := r.paid.str(a.invoice)
		app := matching.Application{InvoiceNumber: inv, CustomerID: r.paid.str(a.customer),
			Amount: a.amount, Discount: a.discount, WriteOff: a.writeoff}
		r.engine.Unapply(app)
		r.sum.addUndone(t.Amount.Currency, a.amount, a.discount, a.writeoff)

		app.Amount, app.Discount, app.WriteOff = -a.amount, -a.discount, -a.writeoff
		app.Rule, app.Confidence = undoRule(t), 1
		d.apps = append(d.apps, app)

		if !slices.Contains(invoices, inv) {
			invoices = append(invoices, inv)
			reopened = append(reopened, matching.Candidate{InvoiceNumber: inv,
				CustomerID: app.CustomerID})
		}
	}

	row.message = reversal.Returned(t, invoices)
	d.exception = &matching.Exception{Reason: reversal.ReasonReturned, Message: row.message,
		Amount: t.Amount.Minor, Candidates: reopened}
	r.sum.Returns.Undone++
	r.sum.addException(t.Amount.Currency, reversal.ReasonReturned, t.Amount.Minor)
	r.rec.put(d)
}

// paidID is the payment id of remembered payment n.
func (r *run) paidID(n int32) string {
	p := &r.paid.recs[n]
	return r.names[p.file] + "#" + strconv.Itoa(int(p.seq))
}

// reversalRow is what reversals.csv needs beyond the decision.
type reversalRow struct {
	kind, returnCode, outcome, reason, origID, origRef, message string
}
