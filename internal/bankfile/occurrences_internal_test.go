package bankfile

import (
	"hash/maphash"
	"strconv"
	"testing"
)

// Occurrences counts exactly across growth, for hash 0 too.
func TestOccurrencesCount(t *testing.T) {
	t.Parallel()

	var o Occurrences
	seed := maphash.MakeSeed()

	for round := uint32(1); round <= 3; round++ {
		for i := range 5000 {
			h := maphash.String(seed, "bai2:acct:USD:250228:142:"+strconv.Itoa(i))
			if got := o.Add(h); got != round {
				t.Fatalf("round %d key %d: ordinal %d", round, i, got)
			}
		}
	}

	if o.n != 5000 || o.Add(0) != 1 || o.Add(0) != 2 || o.Add(1) != 3 {
		t.Fatalf("used %d", o.n)
	}
}
