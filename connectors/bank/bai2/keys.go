package bai2

// keySet counts how often each dedupe key occurred in a file, by a 64-bit
// hash of the key: an open-addressing table of hashes (0 marks a free slot)
// uses about 11 bytes per transaction, and the counts of the rare repeated
// keys are kept aside.
type keySet struct {
	slots []uint64
	used  int
	dups  map[uint64]uint32
}

// add records one occurrence of the key with hash h and returns its ordinal:
// 1 for the first, 2 for the second...
func (s *keySet) add(h uint64) uint32 {
	if h == 0 {
		h = 1
	}

	if 4*(s.used+1) > 3*len(s.slots) {
		s.grow()
	}

	mask := uint64(len(s.slots) - 1)

	for i := mix(h) & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case 0:
			s.slots[i] = h
			s.used++

			return 1
		case h:
			if s.dups == nil {
				s.dups = map[uint64]uint32{}
			}

			s.dups[h]++

			return s.dups[h] + 1
		}
	}
}

func (s *keySet) grow() {
	old := s.slots
	s.slots = make([]uint64, max(1024, 2*len(old)))
	mask := uint64(len(s.slots) - 1)

	for _, h := range old {
		if h == 0 {
			continue
		}

		i := mix(h) & mask
		for s.slots[i] != 0 {
			i = (i + 1) & mask
		}

		s.slots[i] = h
	}
}

// mix spreads the bits of h over the low bits the table indexes by.
func mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33

	return h
}

// fnv1a hashes b with 64-bit FNV-1a.
func fnv1a(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}

	return h
}
