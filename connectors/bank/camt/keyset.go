package camt

// keySet counts occurrences of 64-bit key hashes in far less memory than a Go
// map of the keys: one uint64 per slot of an open-addressing table, and a map
// only for the rare hashes seen more than once. Half a million transactions
// take 8 MB.
type keySet struct {
	slots   []uint64
	n       int
	repeats map[uint64]uint32 // occurrences beyond the first
}

// add records one occurrence of h and returns how many there are now.
func (k *keySet) add(h uint64) uint32 {
	if h == 0 {
		h = 1 // 0 marks an empty slot
	}

	if (k.n+1)*4 > len(k.slots)*3 {
		k.grow()
	}

	mask := uint64(len(k.slots) - 1)

	for i := h & mask; ; i = (i + 1) & mask {
		switch k.slots[i] {
		case 0:
			k.slots[i] = h
			k.n++

			return 1
		case h:
			if k.repeats == nil {
				k.repeats = map[uint64]uint32{}
			}

			k.repeats[h]++

			return k.repeats[h] + 1
		}
	}
}

// grow doubles the table. The hashes come from maphash and are spread
// already, so their low bits index it.
func (k *keySet) grow() {
	old := k.slots
	k.slots = make([]uint64, max(1024, 2*len(old)))
	mask := uint64(len(k.slots) - 1)

	for _, h := range old {
		if h == 0 {
			continue
		}

		i := h & mask
		for k.slots[i] != 0 {
			i = (i + 1) & mask
		}

		k.slots[i] = h
	}
}
