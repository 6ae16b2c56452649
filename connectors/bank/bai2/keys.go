package bai2

import "encoding/binary"

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

// hashKey hashes a dedupe key, eight bytes at a time: a multiply-xorshift
// mix that is the same in every process, so a file reads the same keys
// whenever and wherever it is read.
func hashKey(b []byte) uint64 {
	h := uint64(len(b)) * 0x9e3779b97f4a7c15

	for len(b) >= 8 {
		h = (h ^ mix(binary.LittleEndian.Uint64(b))) * 0xbf58476d1ce4e5b9
		h ^= h >> 31
		b = b[8:]
	}

	var tail uint64
	for i, c := range b {
		tail |= uint64(c) << (8 * i)
	}

	return mix(h ^ mix(tail^0x94d049bb133111eb))
}
