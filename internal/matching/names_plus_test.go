package matching

import (
	"testing"
)

// SWIFT files cannot carry "&": "Wildrose + Aspen" is the customer "Wildrose &
// Aspen".
func TestPlusInANameReadsAsAnd(t *testing.T) {
	t.Parallel()

	a, b := NormalizeName("WILDROSE + ASPEN LLC"), NormalizeName("Wildrose & Aspen LLC")
	if a != b {
		t.Fatalf("%q != %q", a, b)
	}
}
