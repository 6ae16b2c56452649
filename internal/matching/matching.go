// Package matching is o2c's cash-application engine: given customers, open invoices
// and rules, it decides for each incoming payment which invoices it pays, how much
// of each, and why, or sends it to the exception queue with a reason and ranked
// candidates. It is pure and deterministic: no I/O, no clock, no randomness, and
// the same inputs with the same rules always give the same decisions.
//
// The engine works in three steps for each payment:
//
//  1. Identify the payer by bank account, then by payer id, then by exact
//     normalised name or alias (see NormalizeName). An unknown payer is fine when
//     references identify the invoices.
//  2. Find the invoices the payment references: structured remittance lines
//     first, then the remittance text, payment reference and end-to-end id (see
//     ExtractRefs), looked up by normalised invoice number, purchase-order number
//     or, for numbers standing alone, the digits of an invoice number.
//  3. Decide: apply referenced invoices when the amounts agree (exactly, with an
//     allowed early-payment discount, as a part payment, or with an overpayment
//     remainder held back); without a reference, apply the payer's one open
//     invoice of exactly the payment's amount; otherwise hold.
//
// It never applies across currencies, on a tie, past an invoice's open amount, or
// a payment its bank reader flagged.
//
// Policies of RulesVersion v1, each switchable in Rules:
//
//   - A payment below its one referenced invoice's open amount is applied as a
//     part payment and the invoice stays open. When the gap equals the invoice's
//     early-payment discount and the window is open at the value date, the
//     discount is granted and the invoice closes; when the window has closed, the
//     payment is applied and the gap becomes a short_payment exception.
//   - Above the open amount, the open amount is applied and the rest held as an
//     overpayment. Several referenced invoices are applied only when their open
//     amounts (less allowed discounts) add up to the payment exactly.
//   - Remittance lines that state the amount paid per invoice are followed line by
//     line; a discount a line claims is granted only within the terms (window and
//     size, within Rules.DiscountTolerance), otherwise it stays open and becomes a
//     short_payment exception.
//   - References to another customer than the identified payer (not a parent,
//     child or sibling) are applied only when every reference is an exact invoice
//     or PO number and the invoices close exactly; the confidence drops by 0.15.
//   - A bare number counts only when the invoice is the payer's or its amount
//     matches; a number matching several invoices counts for none.
//
// Confidence starts from the strength of the reference (0.99 for an invoice
// number in a structured remittance line down to 0.85 for a bare number matching
// an invoice number's digits; 0.78 to 0.85 for an amount-only match by how the
// payer was identified) and loses a little for an unknown or other payer and for
// discounts, part payments and overpayments. Applications below
// Rules.MinConfidence are held with ReasonLowConfidence.
package matching

import (
	"time"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

// RulesVersion names the behaviour of this engine. It changes whenever the same
// inputs could give a different decision, so stored decisions can say which rules
// made them.
const RulesVersion = "v2"

// Reasons a payment, or the rest of one, goes to the exception queue.
const (
	// ReasonUnknownPayer: the payer was not identified and no reference was found.
	ReasonUnknownPayer = "unknown_payer"
	// ReasonNoMatch: the payer is known but nothing of theirs fits, or a reference
	// names no known invoice.
	ReasonNoMatch = "no_match"
	// ReasonAmbiguous: two or more invoices fit equally well.
	ReasonAmbiguous = "ambiguous"
	// ReasonCurrency: the invoices found are in another currency than the payment.
	ReasonCurrency = "currency_mismatch"
	// ReasonOverpayment: more was paid than the referenced invoices have open.
	ReasonOverpayment = "overpayment"
	// ReasonShortPayment: the payer deducted an amount, such as a discount, that
	// the invoice terms do not allow; the deducted amount stays open.
	ReasonShortPayment = "short_payment"
	// ReasonAmountMismatch: the referenced invoices, or the payer's own remittance
	// figures, do not add up to the payment.
	ReasonAmountMismatch = "amount_mismatch"
	// ReasonBatchMismatch: the bank reader flagged the payment because its batch
	// details do not add up to the booked amount.
	ReasonBatchMismatch = "batch_mismatch"
	// ReasonRemittanceMismatch: the bank reader flagged the payment because its
	// remittance totals disagree with the amount paid.
	ReasonRemittanceMismatch = "remittance_mismatch"
	// ReasonFlagged: the bank reader flagged the payment for another reason.
	ReasonFlagged = "flagged"
	// ReasonAlreadyPaid: the payment references an invoice that is already paid.
	ReasonAlreadyPaid = "already_paid"
	// ReasonPayerMismatch: the references point to another customer than the
	// identified payer and the evidence is not strong enough to apply anyway.
	ReasonPayerMismatch = "payer_mismatch"
	// ReasonLowConfidence: a match was found but its confidence is below
	// Rules.MinConfidence.
	ReasonLowConfidence = "low_confidence"
)

// Rules found in Application.Rule.
const (
	// RuleReferenceExact: one referenced invoice, paid exactly its open amount.
	RuleReferenceExact = "reference_exact"
	// RuleReferenceDiscount: one referenced invoice, paid its open amount less an
	// early-payment discount its terms allow.
	RuleReferenceDiscount = "reference_discount"
	// RuleReferencePartial: one referenced invoice, paid less than its open amount;
	// the invoice stays open for the rest.
	RuleReferencePartial = "reference_partial"
	// RuleReferenceOverpaid: one referenced invoice, paid more than its open amount;
	// the open amount is applied and the rest held as an overpayment.
	RuleReferenceOverpaid = "reference_overpaid"
	// RuleReferenceMulti: several referenced invoices whose amounts add up to the
	// payment, from their open amounts or the payer's remittance lines.
	RuleReferenceMulti = "reference_multi"
	// RuleAmountUnique: no reference; the identified payer's only open invoice of
	// exactly the payment's amount.
	RuleAmountUnique = "amount_unique"
	// RuleAmountDiscount: no reference; the identified payer's only open invoice
	// whose amount less its allowed early-payment discount equals the payment.
	RuleAmountDiscount = "amount_discount"
	// RuleReferenceTolerance: one referenced invoice, paid short by at most the
	// currency's fee and rounding tolerance; the difference is written off.
	RuleReferenceTolerance = "reference_tolerance"
	// RuleReferenceDeduction: one referenced invoice, paid short beyond the
	// tolerance but within Rules.DeductionBasisPoints; the gap stays open and a
	// short_payment exception is opened for it.
	RuleReferenceDeduction = "reference_deduction"
	// RuleAmountTolerance: no reference; the identified payer's only open invoice
	// the payment falls short of by at most the tolerance, written off.
	RuleAmountTolerance = "amount_tolerance"
	// RuleAmountMulti: no reference; the only set of two or more of the
	// identified payer's open invoices the payment pays, allowing early-payment
	// discounts and the tolerance (a bounded search, see Solve).
	RuleAmountMulti = "amount_multi"
)

// How the payer was identified, in Decision.PayerMatch.
const (
	PayerByAccount   = "account"
	PayerByID        = "id"
	PayerByName      = "name"
	PayerByAlias     = "alias"
	PayerByReference = "reference"
	// PayerByFuzzyName: the payer name is close to, but not the same as, one
	// customer's name or alias (see Rules.NameThreshold).
	PayerByFuzzyName = "fuzzy_name"
)

// Payment is one incoming payment to apply, in the form the engine needs.
type Payment struct {
	ID           string       // unique id of the payment within its source
	Amount       money.Amount // amount received, positive
	ValueDate    time.Time    // value date, used for discount windows; may be zero
	PayerName    string       // ordering party's name as the bank shows it
	PayerAccount string       // ordering party's IBAN or routing:account
	PayerID      string       // ordering party's id (ACH company id, BIC, org id)
	PaymentRef   string       // payer's payment reference
	EndToEndID   string       // payer's end-to-end id, often an invoice number
	Remittance   string       // free remittance text
	Remits       []bankfile.Remit
	// Problem, when set, is why the bank reader says the payment must not be
	// applied automatically; the payment is held with candidates still listed.
	Problem string
}

// PaymentFrom builds a Payment from a bank transaction. It takes the value date,
// falling back to the booking date when the file has none.
func PaymentFrom(id string, t bankfile.Transaction) Payment {
	date := t.ValueDate
	if date.IsZero() {
		date = t.BookingDate
	}

	return Payment{
		ID:           id,
		Amount:       t.Amount,
		ValueDate:    date,
		PayerName:    t.PayerName,
		PayerAccount: t.PayerAccount,
		PayerID:      t.PayerID,
		PaymentRef:   t.PaymentRef,
		EndToEndID:   t.EndToEndID,
		Remittance:   t.Remittance,
		Remits:       t.Remits,
		Problem:      t.Problem,
	}
}

// Decision is what the engine decided for one payment.
type Decision struct {
	PaymentID  string
	CustomerID string // the identified payer, or the customer the references point to
	// PayerMatch is how the payer was identified: PayerByAccount, PayerByID,
	// PayerByName, PayerByAlias, PayerByReference, or "" when it was not.
	PayerMatch   string
	Applications []Application
	// Exception is nil when the whole payment was applied and nothing is left to
	// look at.
	Exception *Exception
	// Trace records how the decision was reached: the scored candidates, the one
	// chosen, the runner-up and margin, and a plain sentence. It is meant to be
	// stored with the decision.
	Trace Trace
}

// Trace is the record of one decision: which candidates were weighed, with what
// features and scores, which was chosen and by how much it beat the runner-up.
type Trace struct {
	RulesVersion string            `json:"rules_version"`
	Rule         string            `json:"rule,omitempty"`
	Candidates   []ScoredCandidate `json:"candidates"`
	// Chosen is the index in Candidates of the applied candidate, -1 when none
	// was applied.
	Chosen   int              `json:"chosen"`
	RunnerUp *ScoredCandidate `json:"runner_up,omitempty"`
	// Margin is the chosen (or best) score less the runner-up's; 1 without a
	// runner-up.
	Margin   float64 `json:"margin"`
	Sentence string  `json:"sentence"`
}

// ScoredCandidate is one invoice, or set of invoices, weighed for a payment.
type ScoredCandidate struct {
	Invoices []string `json:"invoices"`
	Features Features `json:"features"`
	Score    float64  `json:"score"`
}

// Features are the evidence a candidate was scored on. Each is a short word; the
// score is the reference strength less the payer and amount penalties listed in
// the package documentation.
type Features struct {
	// Reference: structured, exact, keyword, joined, range, po, so, rf, bare,
	// digits, fuzzy, other (the payment references other invoices) or none.
	Reference string `json:"reference"`
	// Payer: account, id, name, alias, fuzzy_name, related, other, unknown.
	Payer string `json:"payer"`
	// Amount: exact, discount, tolerance, deduction, partial, over, sum, stated.
	Amount string `json:"amount"`
	// Currency: same or other.
	Currency string `json:"currency"`
	// Date: in_window, late (a discount window had closed), or "".
	Date string `json:"date,omitempty"`
	// Corrected is the reference as read after correction, with the original in
	// Raw, for fuzzy references.
	Raw       string `json:"raw,omitempty"`
	Corrected string `json:"corrected,omitempty"`
}

// Applied returns the cash applied by the decision, in minor units.
func (d Decision) Applied() int64 {
	var n int64
	for _, a := range d.Applications {
		n += a.Amount
	}

	return n
}

// Application is cash applied to one invoice.
type Application struct {
	InvoiceNumber string
	CustomerID    string
	// Amount is the cash applied in minor units. Amount + Discount + WriteOff is
	// what the application takes off the invoice's open amount.
	Amount   int64
	Discount int64 // early-payment discount granted, minor units
	WriteOff int64 // amount written off within tolerance, minor units
	// WriteOffReason says why WriteOff was written off: WriteOffRounding or
	// WriteOffBankFee; "" without a write-off.
	WriteOffReason string
	Rule           string  // one of the Rule* constants
	Confidence     float64 // 0..1, rounded to three decimals
	// Explanation is a plain sentence naming the evidence, such as "INV-10017
	// referenced in remittance; amount 1250.00 equals open amount; payer identified
	// by account".
	Explanation string
}

// Exception is what goes to the exception queue for a payment.
type Exception struct {
	Reason string // one of the Reason* constants
	// Message is a plain sentence, such as "held: INV-7 and INV-9 both open for
	// 640.00, no reference".
	Message string
	// Amount is the payment's unapplied cash in minor units. For ReasonShortPayment
	// with all cash applied it is instead the amount the payer deducted that stays
	// open on the invoices.
	Amount     int64
	Candidates []Candidate // best first
}

// Candidate is an invoice ops may want to apply a held payment to.
type Candidate struct {
	InvoiceNumber string
	CustomerID    string
	Open          int64   // open amount in minor units of the invoice's currency
	Score         float64 // 0..1, higher is better, rounded to three decimals
	Why           string  // short phrase, such as "referenced in remittance"
}
