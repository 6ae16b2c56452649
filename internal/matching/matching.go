// Package matching is o2c's cash-application engine: given customers, open invoices
// and rules, it decides for each incoming payment which invoices it pays, how much
// of each, and why, or sends it to the exception queue with a reason and ranked
// candidates. It is pure and deterministic: no I/O, no clock, no randomness, and
// the same inputs with the same rules always give the same decisions.
//
// The engine works in three steps for each payment:
//
//  1. Identify the payer by bank account (IBAN or routing:account; an account
//     number given without its routing number names the one customer holding
//     it), then by payer id, then by exact normalised name or alias, pooled (see
//     NormalizeName: case, punctuation and legal suffixes do not count), then by
//     a name cut to the 16 characters of an ACH company name that begins one
//     customer's name. When a normalised name names several customers, the one
//     whose name is written exactly like the payer's (legal suffix and all) is
//     taken for payments without references, or whose references all name its
//     invoices. Then by a fuzzy name: the token-sorted Jaro-Winkler similarity to
//     one customer's name or alias is at least Rules.NameThreshold and no other
//     customer comes within 0.02; a name that begins a customer's name (cut
//     short by a bank file's field) counts as that name, and one that begins
//     two customers' names identifies neither. Fuzzy candidates are the names
//     holding the payer name's words, or words one typing slip away, from an
//     index of name words, never from a scan. An unknown payer is fine when
//     references identify the invoices.
//  2. Find the invoices the payment references: structured remittance lines
//     first (camt RfrdDocInf/CdtrRefInf, X12 RMR and the like, as bankfile.Remit),
//     then the remittance text, payment reference and end-to-end id (see
//     ExtractRefs). A reference is looked up as a normalised invoice number, a
//     purchase-order number, a sales-order number, the digits of an invoice
//     number (numbers standing alone), or an ISO 11649 RF reference whose check
//     digits are valid and whose body is an invoice's normalised number (see
//     RFReference). Lists and ranges ("INV-101 to 103", "INV-101-103",
//     "INV-101/102/103") stand for each number in them, at most 50. Numbers
//     written across words ("INV 2024 0108") are joined. When nothing else names
//     an invoice, a reference is corrected for typing and OCR slips (O/0, I/l/1,
//     S/5, B/8; leading zeros never count; when these name nothing, every swap
//     of two neighbouring characters, each read the same way) and used only when
//     the correction names exactly one invoice; two or more hold the payment as
//     ambiguous. A valid RF reference naming no invoice is not read further.
//     Explanations keep both the text as written and the invoice it was read as.
//     A payer identified as a customer may also write the number in a format
//     ops approved for that customer (see "Learned reference formats").
//  3. Decide: build the candidate (an invoice or a set of invoices), score it
//     from its features and apply it only when the score is at least
//     Rules.MinConfidence and at least Rules.MinMargin above the runner-up;
//     otherwise hold it with the ranked candidates.
//
// It never applies across currencies, on a tie, past an invoice's open amount, or
// a payment its bank reader flagged. Decision.Trace records the candidates with
// their features and scores, the one chosen, the runner-up, the margin and a
// plain sentence.
//
// # Scores (RulesVersion v2 and later)
//
// A candidate's score is the strength of its reference less penalties for the
// payer and the amount fit; every application of a payment must reach
// Rules.MinConfidence (0.75) and beat the runner-up by Rules.MinMargin (0.15).
//
//	reference                                  strength
//	invoice number in a structured line        0.99
//	invoice code in text, RF reference         0.97
//	number after an invoice keyword            0.95 (0.93 by its digits)
//	number written across words                0.95
//	PO or SO number, number in a range/list    0.93 (0.95 for PO in a structured line)
//	bare number, corroborated                  0.90 (0.85 by its digits)
//	corrected (fuzzy) reference                0.82
//	none: payer's invoice fits by amount       0.85 account, 0.83 id, 0.80 name,
//	                                           0.78 alias, 0.70 fuzzy name;
//	                                           0.05 less for a set found by Solve
//	none, while the payment names others       0.40 (only ever a runner-up)
//
//	penalty                                    off the strength
//	payer unknown                              0.05
//	payer is a parent, child or sibling        0.03
//	payer is another customer                  0.15 (exact references only)
//	corrected reference, payer not its customer 0.15 more
//	payer found by fuzzy name                  0.02
//	discount granted                           0.01 (0.02 amount-only)
//	written off within tolerance               0.02
//	deduction opened                           0.05
//	part payment (0.05 when a line states it)  0.10
//	overpayment                                0.05
//
// So a corrected reference applies only when the payer is the invoice's own
// customer; with an unknown payer it is held and listed as the suggestion.
//
// # Reference strength (RulesVersion v4)
//
// A reference is worth what it says on its own, by its shape as written, and by
// who pays. Many payers write "invoice 31" meaning their own numbering, so a
// short number from a payer who is not the invoice's customer names nothing.
// Significant digits are the digits after each run's leading zeros ("000031"
// has two); SpecificDigits is 5.
//
//	shape as written                  payer is the invoice's    payer unknown or another
//	                                  customer (or relative)    customer
//	the number as issued: letters     applies (scores above)    applies (scores above)
//	and digits, leading zeros too
//	("INV-000031", "inv 000031"),
//	or letters and >= 5 significant
//	digits ("INV 48213"); RF
//	digits only, >= 5 significant     applies                   applies only when the
//	("48213", "invoice 048213",                                 payment closes the
//	a structured line "48213")                                  invoices exactly: no
//	                                                            part, over, discount
//	                                                            or write-off
//	short: < 5 significant digits,    applies                   held, the invoice
//	not as issued ("31", "invoice                               listed as candidate
//	31", "INV 31" for INV-000031)
//
// PO and SO numbers count by their significant digits; corrected references
// keep their own penalty. A payer not identified, or identified by its name
// alone, counts as the invoice's customer here when its account, id or name
// (as an alias too, or cut to the width of an ACH company name) points to that
// customer among others: the reference then picks one of the payer's possible
// selves. A payment held for a weak reference is ReasonUnknownPayer when the
// payer is not identified (and Decision.CustomerID stays empty), else
// ReasonPayerMismatch.
//
// # Learned reference formats
//
// Ops approve reference formats per customer from resolved exceptions
// (billing.Customer.RefFormats): RefFormatDigits, the digits alone, or
// RefFormatPrefix and letters, the digits behind another prefix ("IN123" for
// INV-000123). For a payer identified as that customer, a reference in one of
// its formats that names exactly one of the customer's own invoices by its
// digits is a full reference to it (strength 0.97, 0.99 in a structured line),
// tried before the other readings. Other customers' invoices are never read
// so. The application's Rule is LearnedFormatRule of the customer and format
// (so backtests report it per learned rule) and its explanation names it:
// "INV-000123 referenced as IN123 in remittance, a format approved for ACME on
// 2026-12-04".
//
// # Amount policies
//
//   - Exact: the invoice closes.
//   - Early-payment discount: a payment short by the invoice's terms discount
//     (Invoice.DiscountBasisPoints) closes the invoice when its value date is at
//     most DiscountDays (plus Rules.DiscountGraceDays) after the issue date,
//     inclusive. Later, the payment is applied, the discount stays open and a
//     short_payment exception says "unearned discount 23.80 taken (paid 7 days
//     late)".
//   - Fee and rounding tolerance (Rules.Tolerances, per currency; default 0.50
//     and 0.1 %, both limits apply): a payment short by at most the tolerance
//     closes the invoice and the difference is written off (Application.WriteOff)
//     as WriteOffRounding (at most two minor units) or WriteOffBankFee. An
//     overpayment within tolerance is not written off: it is held as an
//     overpayment like any other.
//   - Known bank fees (Rules.KnownFees; default 10.00 to 50.00 in steps of 5.00
//     for USD, EUR and GBP): a payment short of its one exactly referenced
//     invoice by one of them, from an identified payer that is the invoice's
//     customer or a relative, closes the invoice, the fee written off as
//     WriteOffBankFee (RuleReferenceBankFee).
//   - Deduction (Rules.Deductions, Rules.DeductionBasisPoints, default 10 %):
//     short beyond tolerance but within the bound, the payment is applied and a
//     short_payment exception opened for the gap; when off, the payment is held.
//   - Part payment (Rules.Partials): short by more, the payment is applied and the
//     invoice stays open; when off, the payment is held with short_payment.
//   - Overpayment: the open amount is applied and the rest held as an
//     overpayment exception.
//   - Already paid: a reference to a paid invoice is held with already_paid.
//   - Several referenced invoices are applied when their open amounts, less
//     allowed discounts, add up to the payment; remittance lines stating amounts
//     per invoice are followed line by line.
//   - No reference: the payer's one open invoice of the amount, or of the amount
//     less its allowed discount, or within tolerance; failing that, the one set of
//     two or more of the payer's open invoices that adds up (Solve, with
//     discounts and tolerance; at most 40 open invoices, 8 picked, 20000 search
//     nodes; never when the set is not unique or the search ran out).
//   - References to another customer than the identified payer (not a parent,
//     child or sibling) are applied only when every reference is exact and the
//     invoices close exactly (Rules.CrossCustomer).
package matching

import (
	"time"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

// RulesVersion names the behaviour of this engine. It changes whenever the same
// inputs could give a different decision, so stored decisions can say which rules
// made them.
const RulesVersion = "v5"

// Reasons a payment, or the rest of one, goes to the exception queue.
const (
	// ReasonUnknownPayer: the payer was not identified and no reference was found,
	// or only one too weak to name an invoice on its own (see "Reference
	// strength").
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
	// identified payer and the evidence is not strong enough to apply anyway (a
	// reference not exact, or too weak to name an invoice on its own).
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
	// RuleReferenceBankFee: one invoice referenced exactly by an identified payer
	// (or its parent, child or sibling), paid short by one of the currency's known
	// bank fees (Rules.KnownFees); the fee is written off as WriteOffBankFee.
	RuleReferenceBankFee = "reference_bank_fee"
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
	// RuleLearnedFormat begins the rule of an application whose reference the
	// payer, identified as the invoice's customer, wrote in a format ops approved
	// for that customer (billing.Customer.RefFormats); the whole rule names the
	// customer and the format, see LearnedFormatRule. The amount policies are
	// those of a reference written in full.
	RuleLearnedFormat = "learned_ref_format"
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
	// digits, fuzzy, learned (a format approved for the payer), other (the
	// payment references other invoices) or none.
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
