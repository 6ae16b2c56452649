package mt940

// keySet counts occurrences of 64-bit key hashes in far less memory than a Go
// map: one uint64 per slot in an open-addressing table, and a map only for the
// rare hashes seen more than once. A 100 MB file has about half a million
// transactions; their counts take 8 MB instead of 15-20.
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

	for i := mix(h) & mask; ; i = (i + 1) & mask {
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

func (k *keySet) grow() {
	old := k.slots
	k.slots = make([]uint64, max(1024, 2*len(old)))
	mask := uint64(len(k.slots) - 1)

	for _, h := range old {
		if h == 0 {
			continue
		}

		i := mix(h) & mask
		for k.slots[i] != 0 {
			i = (i + 1) & mask
		}

		k.slots[i] = h
	}
}

// mix spreads the bits of h (the splitmix64 finaliser) so that similar keys do
// not cluster in the table.
func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31

	return h
}
