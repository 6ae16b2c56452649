package matching

// Rules are the engine's thresholds and policies. Start from DefaultRules and
// change what you need: New takes the values as given, so a zero Rules turns every
// optional rule off. Fields that would make no sense at zero (MaxCandidates,
// MinRefDigits) fall back to their defaults.
type Rules struct {
	// AmountOnly lets a payment without any reference be applied to the identified
	// payer's only open invoice of exactly its amount (RuleAmountUnique), or of its
	// amount less an allowed early-payment discount (RuleAmountDiscount).
	// Defaults to true.
	AmountOnly bool
	// BareNumbers lets a number standing alone in the remittance text count as a
	// reference when it matches one invoice and something corroborates it: the
	// invoice belongs to the identified payer, or its open amount (less an allowed
	// discount) equals the payment. Defaults to true.
	BareNumbers bool
	// CrossCustomer lets references to invoices of another customer than the
	// identified payer (and not a parent, child or sibling of it) be applied, but
	// only when every reference is an exact invoice or purchase-order number and
	// the payment closes the invoices exactly; otherwise the payment is held with
	// ReasonPayerMismatch. Defaults to true.
	CrossCustomer bool
	// DiscountGraceDays extends every early-payment discount window by this many
	// days. Defaults to 0.
	DiscountGraceDays int
	// DiscountTolerance is how many minor units a discount the payer took may
	// differ from the one the invoice terms give (rounding). Defaults to 1.
	DiscountTolerance int64
	// MaxCandidates caps the invoices listed on an exception that were found by
	// amount closeness; referenced invoices are always listed. Defaults to 5; values
	// below 1 mean 5.
	MaxCandidates int
	// MinConfidence is the least confidence every application of a payment needs;
	// below it the payment is held with ReasonLowConfidence. Defaults to 0.75.
	MinConfidence float64
	// MinRefDigits is the least number of digits a bare number needs to be read as
	// a reference. Defaults to 3; values below 1 mean 3.
	MinRefDigits int
	// Partials applies a payment smaller than its referenced invoice's open amount
	// as a part payment and leaves the invoice open for the rest; when false such
	// a payment is held with ReasonShortPayment. Defaults to true.
	Partials bool
}

// DefaultRules returns the rules of RulesVersion with their documented defaults.
func DefaultRules() Rules {
	return Rules{
		AmountOnly:        true,
		BareNumbers:       true,
		CrossCustomer:     true,
		DiscountGraceDays: 0,
		DiscountTolerance: 1,
		MaxCandidates:     5,
		MinConfidence:     0.75,
		MinRefDigits:      3,
		Partials:          true,
	}
}

// withFallbacks fills the fields whose zero value is meaningless.
func (r Rules) withFallbacks() Rules {
	if r.MaxCandidates < 1 {
		r.MaxCandidates = 5
	}

	if r.MinRefDigits < 1 {
		r.MinRefDigits = 3
	}

	if r.DiscountTolerance < 0 {
		r.DiscountTolerance = 0
	}

	return r
}

// Evidence strengths: the confidence a reference gives before the payer and amount
// checks take their share off.
const (
	strengthStructured = 0.99 // invoice number in a structured remittance line
	strengthStructPO   = 0.95 // PO number or number digits in a structured line
	strengthCode       = 0.97 // invoice code in remittance text
	strengthCodePO     = 0.93 // PO code in remittance text
	strengthKeyword    = 0.95 // number after an invoice keyword, equal to the number
	strengthKeyDigits  = 0.93 // number after an invoice keyword, equal to its digits
	strengthBare       = 0.90 // bare number equal to a numeric invoice number
	strengthBareDigits = 0.85 // bare number equal to the digits of an invoice number

	penaltyUnknownPayer = 0.05 // payer not identified
	penaltyRelatedPayer = 0.03 // payer is a parent, child or sibling of the customer
	penaltyOtherPayer   = 0.15 // payer is another, unrelated customer
	penaltyDiscount     = 0.01 // discount granted
	penaltyPartial      = 0.10 // part payment without the payer saying so
	penaltyStatedPart   = 0.05 // part payment the payer's remittance line states
	penaltyOverpaid     = 0.05 // more paid than open

	amountByAccount = 0.85 // amount-only match, payer identified by account
	amountByID      = 0.83 // amount-only match, payer identified by id
	amountByName    = 0.80 // amount-only match, payer identified by name
	amountByAlias   = 0.78 // amount-only match, payer identified by alias
)
