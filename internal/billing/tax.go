package billing

import (
	"fmt"
	"math/big"
	"strings"
)

// LineTax returns the tax on l in minor units: Tax when set, otherwise the
// tax worked out from Amount and TaxRate and rounded on the line, halves away
// from zero, the way a CRM that rounds per line does. A line without TaxRate
// has no tax. The arithmetic is exact; no float is involved.
func (l LineItem) LineTax() (int64, error) {
	if l.Tax != 0 || strings.TrimSpace(l.TaxRate) == "" {
		return l.Tax, nil
	}

	rate, err := ParseRate(l.TaxRate)
	if err != nil {
		return 0, err
	}

	tax := new(big.Rat).Mul(new(big.Rat).SetInt64(l.Amount), rate)
	if l.TaxIncluded {
		// Gross × r / (1 + r): the part of a tax-inclusive amount that is tax.
		tax.Quo(tax, new(big.Rat).Add(big.NewRat(1, 1), rate))
	}

	return RoundHalfAway(tax).Int64(), nil
}

// ParseRate reads a non-negative decimal rate such as "0.21" or "1.0850"
// exactly.
func ParseRate(s string) (*big.Rat, error) {
	s = strings.TrimSpace(s)

	r, ok := new(big.Rat).SetString(s)
	if !ok || s == "" || strings.ContainsAny(s, "eE/") || r.Sign() < 0 {
		return nil, fmt.Errorf("parse rate %q: not a non-negative decimal", s)
	}

	return r, nil
}

// RoundHalfAway rounds r to the nearest integer, halves away from zero.
func RoundHalfAway(r *big.Rat) *big.Int {
	num := new(big.Int).Abs(r.Num())
	den := r.Denom()

	q, rem := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Mul(rem, big.NewInt(2)).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}

	if r.Sign() < 0 {
		q.Neg(q)
	}

	return q
}
