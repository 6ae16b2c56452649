package bankfile

// Occurrences counts how often each dedupe key occurred in a file, by a 64-bit
// hash of the key, so that the second of two identical transactions gets its own
// key ("#2"). It takes far less memory than a Go map of the keys and nothing the
// garbage collector must scan: one uint64 per slot of an open-addressing table,
// and a map only for the rare hashes seen more than once. Half a million
// transactions take 8 MB. The zero value is ready to use.
type Occurrences struct {
	slots   []uint64
	n       int
	repeats map[uint64]uint32 // occurrences beyond the first
}

// Add records one occurrence of the key with hash h and returns its ordinal: 1
// for the first, 2 for the second, and so on.
func (o *Occurrences) Add(h uint64) uint32 {
	if h == 0 {
		h = 1 // 0 marks an empty slot
	}

	if (o.n+1)*4 > len(o.slots)*3 {
		o.grow()
	}

	mask := uint64(len(o.slots) - 1)

	for i := spread(h) & mask; ; i = (i + 1) & mask {
		switch o.slots[i] {
		case 0:
			o.slots[i] = h
			o.n++

			return 1
		case h:
			if o.repeats == nil {
				o.repeats = map[uint64]uint32{}
			}

			o.repeats[h]++

			return o.repeats[h] + 1
		}
	}
}

// grow doubles the table.
func (o *Occurrences) grow() {
	old := o.slots
	o.slots = make([]uint64, max(1024, 2*len(old)))
	mask := uint64(len(o.slots) - 1)

	for _, h := range old {
		if h == 0 {
			continue
		}

		i := spread(h) & mask
		for o.slots[i] != 0 {
			i = (i + 1) & mask
		}

		o.slots[i] = h
	}
}

// spread mixes the bits of h (the splitmix64 finaliser), so that hashes which
// differ only in their high bits do not cluster in the table.
func spread(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31

	return h
}
