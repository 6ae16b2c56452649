package camt

import (
	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

// Charges (Chrgs, at entry and at transaction level) are what the banks took
// from an incoming payment on its way: the booked amount is what the payer
// sent less the charges. Banks state them in every layout: a gross detail
// amount and the charges, a net detail amount with the gross instructed amount
// (AmtDtls/InstdAmt), or charges for the whole entry only. Charges may also be
// stated for information, booked apart or not at all (ChrgInclInd false), so
// they are used only where the amounts prove the deduction:
//
//   - charges of a detail: the detail is booked net, at its share of the entry,
//     and Transaction.Charges says what was deducted;
//   - charges of the entry, with one detail or none: the same, for that one;
//   - charges of the entry, with several details: the details keep what the
//     payers sent, and the charges become a transaction of their own (a debit
//     of KindCharge), so the entry's transactions still add up to what was
//     booked.
//
// Only credits that are no reversal are considered: cash to apply.

// charges sums the deducted charges of the Chrgs children of n in the entry's
// currency: the records (Rcrd, .04 on) or the elements themselves (.02, .03),
// except those booked apart (ChrgInclInd false). It reports false when a
// charge cannot be read, is in another currency or is a refund (CRDT).
func (r *reader) charges(e *entryCtx, n *node) (sum int64, line int, ok bool) {
	for _, c := range n.all("Chrgs") {
		recs := c.all("Rcrd")
		if len(recs) == 0 {
			recs = []*node{c}
		}

		for _, rc := range recs {
			switch rc.str("ChrgInclInd") {
			case "false", "0":
				continue
			}

			a := rc.child("Amt")
			if a == nil || rc.str("CdtDbtInd") == "CRDT" || firstOf(a.ccy, e.amt.Currency) !=
				e.amt.Currency {
				return 0, 0, false
			}

			minor, err := money.ParseMinor(a.text, e.exp)
			if err != nil || minor < 0 {
				return 0, 0, false
			}

			sum += minor
			if line == 0 {
				line = rc.line
			}
		}
	}

	return sum, line, true
}

// instructed returns the amount the payer instructed (AmtDtls/InstdAmt/Amt)
// when it is stated in the entry's currency.
func (r *reader) instructed(e *entryCtx, n *node) (int64, bool) {
	a := n.path("AmtDtls", "InstdAmt", "Amt")
	if a == nil || firstOf(a.ccy, e.amt.Currency) != e.amt.Currency {
		return 0, false
	}

	minor, err := money.ParseMinor(a.text, e.exp)

	return minor, err == nil && minor >= 0
}

// plan is how the charges of an entry are booked: the sum its details must
// add up to, the charges of the entry without details, and the charges booked
// as a transaction of their own (at line) for a batch.
type plan struct {
	target  int64
	charges int64
	fee     int64
	line    int
}

// chargePlan applies the charges of a credit entry to its details (see
// above): it nets the details and sets their charges, or plans the charges of
// a batch as a transaction of their own. Without charges the details must add
// up to the booked amount.
func (r *reader) chargePlan(e *entryCtx, dets []detail) plan {
	p := plan{target: e.amt.Minor}
	if e.dir != bankfile.Credit || e.reversal {
		return p
	}

	if len(dets) > 0 && r.detailCharges(e, dets) {
		return p
	}

	c, line, ok := r.charges(e, e.n)
	if !ok || c == 0 {
		return p
	}

	switch len(dets) {
	case 0:
		if i, ok := r.instructed(e, e.n); ok && i == e.amt.Minor+c {
			p.charges = c
		}
	case 1:
		r.oneDetailCharges(e, &dets[0], c)
	default:
		if sum, ok := sumOf(dets); ok && sum-c == e.amt.Minor {
			p.target, p.fee, p.line = sum, c, line
		}
	}

	return p
}

// oneDetailCharges applies charges c to the only detail of an entry: a gross
// detail amount is netted, a net one (or none) needs the instructed amount to
// show the charges were taken.
func (r *reader) oneDetailCharges(e *entryCtx, d *detail, c int64) {
	i, instd := r.instructed(e, d.n)

	switch {
	case d.has && d.minor-c == e.amt.Minor:
		d.minor, d.charges = e.amt.Minor, c
	case (!d.has || d.minor == e.amt.Minor) && instd && i == e.amt.Minor+c:
		d.charges = c
	}
}

// detailCharges applies charges stated on the details; it reports whether
// any detail states charges.
func (r *reader) detailCharges(e *entryCtx, dets []detail) bool {
	cs := make([]int64, len(dets))
	stated := false

	for i, d := range dets {
		c, _, ok := r.charges(e, d.n)
		if !ok {
			return true // unreadable: the details stand as they are
		}

		cs[i] = c
		stated = stated || c > 0
	}

	if !stated {
		return false
	}

	if len(dets) == 1 {
		r.oneDetailCharges(e, &dets[0], cs[0])
		return true
	}

	sum, ok := sumOf(dets)
	if !ok {
		return true
	}

	var charged int64
	for _, c := range cs {
		charged += c
	}

	switch {
	case sum-charged == e.amt.Minor:
		// The details are what the payers sent; the bank kept the charges.
		for i := range dets {
			dets[i].minor -= cs[i]
			dets[i].charges = cs[i]
		}
	case sum == e.amt.Minor:
		// The details are booked net already: the instructed amounts show
		// which of them the charges were taken from.
		for i := range dets {
			if in, ok := r.instructed(e, dets[i].n); ok && cs[i] > 0 &&
				in == dets[i].minor+cs[i] {
				dets[i].charges = cs[i]
			}
		}
	}

	return true
}

// sumOf adds up the detail amounts; false when one has none in the entry's
// currency or their directions differ.
func sumOf(dets []detail) (int64, bool) {
	if mixedDirections(dets) {
		return 0, false
	}

	var sum int64

	for _, d := range dets {
		if !d.has {
			return 0, false
		}

		sum += d.minor
	}

	return sum, true
}
