package matching

import (
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/billing"
)

// Reference formats ops may approve for a customer (billing.RefFormat.Format),
// learned from how its payments wrote the invoice numbers.
const (
	// RefFormatDigits: the customer writes the invoice number's digits alone,
	// "123" or "invoice 123" for INV-000123.
	RefFormatDigits = "digits"
	// RefFormatPrefix, followed by letters: the customer writes the digits behind
	// a prefix of its own, "prefix:IN" for "IN123" or "IN-123" for INV-000123.
	RefFormatPrefix = "prefix:"
)

// LearnedFormatRule is the Application.Rule of an application whose reference
// was read in a format approved for a customer: RuleLearnedFormat, the
// customer's id and the format, joined by colons
// ("learned_ref_format:CUST-7:prefix:IN").
func LearnedFormatRule(customerID, format string) string {
	return RuleLearnedFormat + ":" + customerID + ":" + format
}

// learnedFormat is a reference format approved for one customer.
type learnedFormat struct {
	prefix   string    // the letters before the digits, normalised; "" for digits
	customer string    // the customer's name (its id when it has none)
	approved time.Time // when it was approved
	rule     string    // LearnedFormatRule of the customer and format
}

// addFormats keeps the reference formats approved for customer ci. Formats it
// does not know are left out.
func (e *Engine) addFormats(ci int32, c billing.Customer) {
	for _, f := range c.RefFormats {
		lf := learnedFormat{customer: c.Name, approved: f.ApprovedAt,
			rule: LearnedFormatRule(c.ID, f.Format)}
		if lf.customer == "" {
			lf.customer = c.ID
		}

		switch {
		case f.Format == RefFormatDigits:
		case strings.HasPrefix(f.Format, RefFormatPrefix):
			lf.prefix = NormalizeRef(f.Format[len(RefFormatPrefix):])
			if lf.prefix == "" || hasDigit(lf.prefix) {
				continue
			}
		default:
			continue
		}

		if e.formats == nil {
			e.formats = make(map[int32][]learnedFormat)
		}

		e.formats[ci] = append(e.formats[ci], lf)
	}
}

// learnedHit returns the one invoice of customer c that the normalised
// reference norm names in a format approved for c, with the format; -1 when it
// names none, or names several of c's invoices. Other customers' invoices are
// never looked at.
func (e *Engine) learnedHit(c int32, norm string) (int32, *learnedFormat) {
	if e.formats == nil || c < 0 {
		return -1, nil
	}

	fs := e.formats[c]
	if len(fs) == 0 {
		return -1, nil
	}

	k := 0
	for k < len(norm) && !isDigit(norm[k]) {
		k++
	}

	letters, digits := norm[:k], norm[k:]
	if digits == "" || !allDigits(digits) {
		return -1, nil
	}

	for i := range fs {
		if fs[i].prefix != letters {
			continue
		}

		hit := int32(-1)
		e.ids = e.byDigits.appendTo(e.ids[:0], digits)
		for _, ii := range e.ids {
			if e.invs[ii].cust != c || ii == hit {
				continue
			}

			if hit >= 0 {
				return -1, nil
			}

			hit = ii
		}

		if hit >= 0 {
			return hit, &fs[i]
		}
	}

	return -1, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}

	return true
}
