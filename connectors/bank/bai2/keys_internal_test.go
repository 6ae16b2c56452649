package bai2

import (
	"strconv"
	"testing"
)

// keySet counts occurrences exactly across growth, for hash 0 too.
func TestKeySetCounts(t *testing.T) {
	t.Parallel()

	var s keySet

	for round := uint32(1); round <= 3; round++ {
		for i := range 5000 {
			h := hashKey([]byte("bai2:acct:USD:250228:142:" + strconv.Itoa(i)))
			if got := s.add(h); got != round {
				t.Fatalf("round %d key %d: ordinal %d", round, i, got)
			}
		}
	}

	if s.used != 5000 || s.add(0) != 1 || s.add(0) != 2 || s.add(1) != 3 {
		t.Fatalf("used %d", s.used)
	}
}

// hashKey tells apart keys that differ in one byte anywhere or in length.
func TestHashKeyDiffers(t *testing.T) {
	t.Parallel()

	base := []byte("bai2:000123456789:USD:250228:142:125000:ACH0000001:PO-4411")
	seen := map[uint64]string{hashKey(base): string(base)}

	for i := range base {
		k := append([]byte(nil), base...)
		k[i] ^= 1

		for _, v := range [][]byte{k, base[:i]} {
			h := hashKey(v)
			if prev, ok := seen[h]; ok {
				t.Fatalf("%q and %q hash alike", prev, v)
			}

			seen[h] = string(v)
		}
	}
}
