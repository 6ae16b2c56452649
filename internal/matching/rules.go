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
	// only when every reference is an exact invoice or purchase-order number, not
	// a short one (see "Reference strength" in the package documentation), and
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
	// MinMargin is how far the best scored candidate must be ahead of the
	// runner-up to be applied; closer than that the payment is held with
	// ReasonAmbiguous and both listed. Defaults to 0.15.
	MinMargin float64
	// NameThreshold is the least similarity (token-sorted Jaro-Winkler, 0..1)
	// a payer name needs to a customer's name or alias to identify the payer when
	// no exact signal does (PayerByFuzzyName). 0 turns fuzzy names off. Defaults
	// to 0.92.
	NameThreshold float64
	// FuzzyRefs lets a reference that names no invoice be corrected for typing and
	// OCR slips (O/0, I/l/1, S/5, B/8, one swap of neighbouring characters, a
	// dropped or extra leading zero) when the correction leads to exactly one
	// invoice; two or more hold the payment with ReasonAmbiguous. Defaults to true.
	FuzzyRefs bool
	// Tolerances are the fee and rounding tolerances per currency: a payment short
	// of its invoices by at most the tolerance closes them, the difference written
	// off (Application.WriteOff, WriteOffReason). Currencies not listed have none.
	// Defaults: 0.50 and 0.1 % for USD, EUR, GBP, CHF, CAD and AUD.
	Tolerances map[string]Tolerance
	// Deductions applies a payment short of its one referenced invoice by more than
	// the tolerance but at most DeductionBasisPoints of the open amount and opens a
	// short_payment (deduction) exception for the gap; when false such a payment
	// is held whole. Larger gaps are part payments (see Partials). Defaults to true.
	Deductions bool
	// DeductionBasisPoints bounds a deduction, in hundredths of a percent of the
	// open amount. Defaults to 1000 (10 %).
	DeductionBasisPoints int64
	// KnownFees are the wire and intermediary bank fees, in minor units per
	// currency, that a payer's bank commonly takes out of a payment. A payment
	// short of its one referenced invoice by exactly one of them closes the
	// invoice, the fee written off as WriteOffBankFee (RuleReferenceBankFee), but
	// only when the reference is an exact invoice, PO, RF or structured number
	// (not a corrected one or a bare number's digits), the payer is identified and
	// is the invoice's customer or related to it, and the fee is less than half
	// the open amount. Defaults: 10.00 to 50.00 in steps of 5.00 for USD, EUR and
	// GBP. An empty map turns the rule off.
	KnownFees map[string][]int64
}

// Tolerance is how far short of the open amount a payment may be and still close
// the invoice, the difference written off. Both limits hold: the difference is at
// most Abs minor units and at most BasisPoints hundredths of a percent of the
// open amount (rounded down, but never below one minor unit).
type Tolerance struct {
	Abs         int64 // minor units
	BasisPoints int64 // 10 = 0.1 %
}

// Reasons an amount is written off, in Application.WriteOffReason.
const (
	// WriteOffRounding: a difference of at most two minor units.
	WriteOffRounding = "rounding"
	// WriteOffBankFee: a larger difference within tolerance, the usual cause being
	// a fee the payer's or an intermediary bank took.
	WriteOffBankFee = "bank_fee"
)

// defaultTolerance is 0.50 and 0.1 % in a currency of two decimals.
var defaultTolerance = Tolerance{Abs: 50, BasisPoints: 10}

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
		MinMargin:         0.15,
		NameThreshold:     0.92,
		FuzzyRefs:         true,
		Tolerances: map[string]Tolerance{
			"USD": defaultTolerance, "EUR": defaultTolerance, "GBP": defaultTolerance,
			"CHF": defaultTolerance, "CAD": defaultTolerance, "AUD": defaultTolerance,
		},
		Deductions:           true,
		DeductionBasisPoints: 1000,
		KnownFees: map[string][]int64{
			"USD": defaultFees(), "EUR": defaultFees(), "GBP": defaultFees(),
		},
	}
}

// defaultFees returns 10.00, 15.00, ... 50.00 in minor units of two decimals.
func defaultFees() []int64 {
	var fees []int64
	for f := int64(1000); f <= 5000; f += 500 {
		fees = append(fees, f)
	}

	return fees
}

// knownFee reports whether gap is one of the known bank fees of currency and
// less than half of open.
func (r Rules) knownFee(currency string, gap, open int64) bool {
	if gap <= 0 || 2*gap >= open {
		return false
	}

	for _, f := range r.KnownFees[currency] {
		if f == gap {
			return true
		}
	}

	return false
}

// tolerance returns the write-off allowed on an open amount in a currency.
func (r Rules) tolerance(currency string, open int64) int64 {
	t, ok := r.Tolerances[currency]
	if !ok || t.Abs <= 0 || t.BasisPoints <= 0 || open <= 0 {
		return 0
	}

	pct := max(open/10000*t.BasisPoints+open%10000*t.BasisPoints/10000, 1)

	return min(t.Abs, pct)
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
	amountByFuzzy   = 0.70 // amount-only match, payer identified by a fuzzy name

	strengthFuzzy    = 0.82 // reference read after correcting typing or OCR slips
	strengthRF       = 0.97 // valid ISO 11649 RF reference naming an invoice
	strengthCodeSO   = 0.93 // sales-order code
	strengthRange    = 0.93 // invoice number inside a written range
	strengthJoined   = 0.95 // invoice number written across words ("INV 2024 0108")
	strengthOtherRef = 0.40 // an invoice fitting by amount when the payment references others

	penaltySolver     = 0.05 // a set of invoices found by the multi-invoice search
	penaltyFuzzyRef   = 0.15 // extra off a corrected reference when the payer is not its customer
	penaltyFuzzyPayer = 0.02 // payer identified by a fuzzy name
	penaltyWriteOff   = 0.02 // difference written off within tolerance
	penaltyDeduction  = 0.05 // short beyond tolerance, deduction opened
)
