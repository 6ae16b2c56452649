// Package reversal holds o2c's rule for bank returns and reversals, shared by the
// ingest pipeline and the offline reconcile command: which ones may undo an
// earlier payment, how their original payment is found, and the words that
// explain the outcome to ops.
//
// The rule: a return or reversal the bank file does not let o2c trust (a
// problem set by the reader, such as a reversal sign the balances cannot
// confirm) or a NACHA dishonored return is held, never acted on. A reversal
// that brings money in undoes a debit, which was never applied: nothing to
// undo. Any other return or reversal undoes the one incoming payment of the
// same currency and amount whose bank reference is its original reference or,
// failing that, whose end-to-end id is its original reference or its own
// end-to-end id; none, several, or one already returned is held as unmatched.
package reversal

import (
	"strconv"
	"strings"

	"github.com/moov-io/ach"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

// Exception reasons for returns and reversals.
const (
	// ReasonReturned: an applied or held payment came back; its invoices are open
	// again and someone must follow up with the customer.
	ReasonReturned = "returned"
	// ReasonReturnUnmatched: a return or reversal whose original payment o2c
	// cannot identify (never seen, ambiguous or already returned).
	ReasonReturnUnmatched = "return_unmatched"
	// ReasonReversalUnverified: a return or reversal the bank file does not let
	// o2c trust (e.g. a reversal sign the balances cannot confirm); never acted on.
	ReasonReversalUnverified = "reversal_unverified"
)

// Action is what the rule does with a return or reversal before its original
// payment is looked for.
type Action int

// Actions of Screen.
const (
	// Link: find the original payment (see Original) and undo it.
	Link Action = iota
	// Hold: act on nothing; the return goes to the exception queue with the
	// Verdict's reason and message.
	Hold
	// NoCash: the reversal undoes a debit, which was never applied; nothing to
	// undo and nothing to queue.
	NoCash
)

// NoCashNote is what a NoCash reversal is marked with.
const NoCashNote = "reverses a debit: no cash to unapply"

// Verdict is Screen's answer.
type Verdict struct {
	Action  Action
	Reason  string // for Hold
	Message string // for Hold
}

// Is reports whether t is a return or a reversal, which the rule handles.
func Is(t *bankfile.Transaction) bool {
	return t.Kind == bankfile.KindReturn || t.Kind == bankfile.KindReversal
}

// Screen decides whether the return or reversal t may undo a payment at all.
func Screen(t *bankfile.Transaction) Verdict {
	what := Describe(t)

	if t.Problem != "" {
		return Verdict{Action: Hold, Reason: ReasonReversalUnverified,
			Message: what + " not acted on: " + t.Problem}
	}

	if Dishonored(t.ReturnCode) {
		return Verdict{Action: Hold, Reason: ReasonReversalUnverified,
			Message: what + " is a dishonored or contested return; not acted on automatically"}
	}

	if t.Kind == bankfile.KindReversal && t.Direction == bankfile.Credit {
		return Verdict{Action: NoCash}
	}

	return Verdict{Action: Link}
}

// EndToEndRefs are the references looked for among the end-to-end ids of
// incoming payments when no bank reference equals t's original reference: the
// original reference and t's own end-to-end id, empty ones and NOTPROVIDED
// left out.
func EndToEndRefs(t *bankfile.Transaction) []string {
	var refs []string
	for _, ref := range []string{t.OriginalRef, t.EndToEndID} {
		if Usable(ref) {
			refs = append(refs, ref)
		}
	}

	return refs
}

// Usable reports whether an end-to-end id can link a return to its payment: not
// empty and not the ISO 20022 placeholder NOTPROVIDED.
func Usable(e2e string) bool {
	return e2e != "" && !strings.EqualFold(e2e, "NOTPROVIDED")
}

// Describe names a return or reversal for a person: "returned R01
// insufficient funds", "reversed by the bank (entry A-0002)".
func Describe(t *bankfile.Transaction) string {
	if t.Kind == bankfile.KindReversal && t.ReturnCode == "" {
		if t.BankRef != "" {
			return "reversed by the bank (entry " + t.BankRef + ")"
		}

		return "reversed by the bank"
	}

	return "returned " + ReasonOf(t)
}

// ReasonOf is the return code with its meaning when known, else the kind.
func ReasonOf(t *bankfile.Transaction) string {
	if t.ReturnCode == "" {
		return string(t.Kind)
	}

	if rc := ach.LookupReturnCode(t.ReturnCode); rc != nil {
		return t.ReturnCode + " " + strings.ToLower(rc.Reason)
	}

	return t.ReturnCode
}

// Dishonored reports whether code is a NACHA dishonored (R61-R70) or contested
// dishonored (R71-R77) return: a dispute about a return, not a return.
func Dishonored(code string) bool {
	n, err := strconv.Atoi(strings.TrimPrefix(code, "R"))
	if err != nil || !strings.HasPrefix(code, "R") {
		return false
	}

	return n == 61 || n == 62 || (n >= 67 && n <= 77)
}

// Refs lists t's references for a message: "ORIG or E2E", "(none)".
func Refs(t *bankfile.Transaction) string {
	var refs []string
	for _, r := range []string{t.OriginalRef, t.EndToEndID} {
		if r != "" {
			refs = append(refs, r)
		}
	}

	if len(refs) == 0 {
		return "(none)"
	}

	return strings.Join(refs, " or ")
}

// NotFound is the message of a return whose original payment is unknown.
func NotFound(t *bankfile.Transaction) string {
	return Describe(t) + ": no stored payment of " + t.Amount.String() + " with reference " +
		Refs(t) + "; nothing unapplied"
}

// Ambiguous is the message of a return several payments fit, named by ids.
func Ambiguous(t *bankfile.Transaction, ids []string) string {
	return Describe(t) + ": payments " + strings.Join(ids, ", ") +
		" all fit; nothing unapplied"
}

// AlreadyReturned is the message of a return whose payment id was returned
// before.
func AlreadyReturned(t *bankfile.Transaction, id string) string {
	return Describe(t) + ": payment " + id + " was already returned; nothing unapplied"
}

// Returned is the message of a return that undid its payment and opened the
// invoices again (numbers, in order, repeats allowed).
func Returned(t *bankfile.Transaction, invoices []string) string {
	return Describe(t) + ": " + Reopened(invoices) + "; follow up with the customer"
}

// Reopened says which invoices a return opened again: "INV-1 reopened",
// "INV-1, INV-2 and INV-3 reopened", "nothing was applied".
func Reopened(invoices []string) string {
	seen := map[string]bool{}
	var nums []string

	for _, n := range invoices {
		if !seen[n] {
			seen[n] = true
			nums = append(nums, n)
		}
	}

	switch len(nums) {
	case 0:
		return "nothing was applied"
	case 1:
		return nums[0] + " reopened"
	default:
		return strings.Join(nums[:len(nums)-1], ", ") + " and " + nums[len(nums)-1] +
			" reopened"
	}
}
