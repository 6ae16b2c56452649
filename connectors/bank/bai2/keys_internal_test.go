package bai2

import (
	"testing"
)

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
