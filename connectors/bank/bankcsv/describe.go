package bankcsv

import (
	"fmt"
	"strings"
)

// profileText names the profile a file was read with or, for a file no
// profile matched, describes the guess, so that the user can check it and turn
// it into a profile.
func (s *scan) profileText() string {
	if s.set == nil {
		return ""
	}

	if s.set.name != "" {
		return s.set.name
	}

	if s.lay == nil {
		return "no bank profile matched"
	}

	parts := []string{"delimiter " + delimiterName(s.delimiter)}
	if s.headerLine > 1 {
		parts = append(parts, fmt.Sprintf("header on line %d", s.headerLine))
	}

	parts = append(parts, s.describeDecimal(), s.describeDates())
	parts = append(parts, s.describeAmounts()...)
	parts = append(parts, s.describeCurrency())

	if n := s.lay.name(roleTxID); n != "" {
		parts = append(parts, fmt.Sprintf("transaction id column %q", n))
	} else {
		parts = append(parts, "no transaction id column (rows keyed by their values)")
	}

	return "no bank profile matched: guessed " + strings.Join(parts, ", ")
}

func delimiterName(d rune) string {
	if d == '\t' {
		return "tab"
	}

	return fmt.Sprintf("'%c'", d)
}

func (s *scan) describeDecimal() string {
	switch {
	case s.decimal == ',' && s.comma != nil:
		return fmt.Sprintf("decimal comma (line %d %q)", s.comma.Line, s.comma.Value)
	case s.decimal == '.' && s.dot != nil:
		return fmt.Sprintf("decimal point (line %d %q)", s.dot.Line, s.dot.Value)
	}

	return "no amount with a decimal mark"
}

func (s *scan) describeDates() string {
	switch {
	case s.orderFrom != nil:
		return fmt.Sprintf("dates %s (line %d %q)", s.order, s.orderFrom.Line,
			s.orderFrom.Value)
	case s.sampleDate == "":
		return "no dates"
	case s.either != nil:
		return fmt.Sprintf("dates %s", s.order)
	}

	return fmt.Sprintf("dates like %q (no day/month choice)", s.sampleDate)
}

func (s *scan) describeAmounts() []string {
	l := s.lay
	col := func(what string, r role) string { return fmt.Sprintf("%s column %q", what, l.name(r)) }

	var out []string

	switch s.sign() {
	case signIndicator:
		out = append(out, col("amount", roleAmount), col("debit/credit indicator", roleIndicator))
	case signDebitCredit:
		for _, r := range []role{roleDebit, roleCredit} {
			if l.has(r) {
				out = append(out, col(map[role]string{roleDebit: "debit", roleCredit: "credit"}[r],
					r))
			}
		}
	default:
		for _, r := range []role{roleAmount, roleGross, roleNet} {
			if l.has(r) {
				name := map[role]string{roleAmount: "signed amount", roleGross: "gross",
					roleNet: "net"}[r]
				out = append(out, col(name, r))

				break
			}
		}
	}

	if l.has(roleGross) && l.has(roleFee) {
		out = append(out, col("fee", roleFee))
	}

	return out
}

func (s *scan) describeCurrency() string {
	switch {
	case s.lay.has(roleCurrency):
		return fmt.Sprintf("currency column %q", s.lay.name(roleCurrency))
	case s.currency != "":
		return fmt.Sprintf("currency %s from the metadata rows", s.currency)
	}

	return "no currency column"
}
