package reconcile

import "hash/maphash"

// keySet is a set of strings, such as the dedupe keys of every bank file of a
// run. The strings are kept end to end in one byte slice and found through an
// open-addressing table of their numbers, so a million keys are three
// allocations without pointers for the garbage collector to scan, not a million
// strings.
type keySet struct {
	seed maphash.Seed
	// slots holds, for a used slot, the top 32 bits of the key's hash and its
	// number plus one; 0 is an empty slot. Its length is a power of two.
	slots []uint64
	ends  []int // key i is text[ends[i-1]:ends[i]], key 0 from 0
	text  []byte
}

// find returns the slot of s, or the empty slot where it would go, and its hash.
func (s *keySet) find(key string) (int, uint64) {
	h := maphash.String(s.seed, key)
	mask := len(s.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		v := s.slots[i]
		if v == 0 {
			return i, h
		}

		if v>>32 == h>>32 && s.key(int(uint32(v))-1) == key {
			return i, h
		}
	}
}

// key returns key number i.
func (s *keySet) key(i int) string {
	start := 0
	if i > 0 {
		start = s.ends[i-1]
	}

	return string(s.text[start:s.ends[i]])
}

// has reports whether key is in the set.
func (s *keySet) has(key string) bool {
	if len(s.slots) == 0 {
		return false
	}

	i, _ := s.find(key)

	return s.slots[i] != 0
}

// add puts key in the set.
func (s *keySet) add(key string) {
	if len(s.slots) == 0 {
		s.seed = maphash.MakeSeed()
		s.slots = make([]uint64, 1024)
	}

	i, h := s.find(key)
	if s.slots[i] != 0 {
		return
	}

	s.text = appendDoubling(s.text, key)
	if len(s.ends) == cap(s.ends) {
		s.ends = append(make([]int, 0, max(1024, 2*len(s.ends))), s.ends...)
	}

	s.ends = append(s.ends, len(s.text))
	s.slots[i] = h>>32<<32 | uint64(len(s.ends))
	if len(s.ends) > len(s.slots)/4*3 {
		s.grow()
	}
}

// grow doubles the table.
func (s *keySet) grow() {
	s.slots = make([]uint64, 2*len(s.slots))
	mask := len(s.slots) - 1
	start := 0
	for n, end := range s.ends {
		h := maphash.Bytes(s.seed, s.text[start:end])
		start = end

		i := int(h) & mask
		for s.slots[i] != 0 {
			i = (i + 1) & mask
		}

		s.slots[i] = h>>32<<32 | uint64(n+1)
	}
}

// appendDoubling appends key to text, doubling its room when it is full rather
// than growing it by a quarter as append does for large slices: a million keys
// are copied a few times, not a few dozen.
func appendDoubling(text []byte, key string) []byte {
	if len(text)+len(key) > cap(text) {
		text = append(make([]byte, 0, max(1<<16, 2*cap(text), len(text)+len(key))), text...)
	}

	return append(text, key...)
}
