package nacha

// occurrences counts the dedupe keys of a file, so that the second of two
// identical entries gets "#2": it is the one per-entry state the reader keeps.
// A key of a numeric trace number, date, transaction code and amount (nearly
// every key) is packed exactly into 16 bytes and kept in a flat hash table
// that the garbage collector need not scan; keys seen twice and keys that
// cannot be packed are counted in maps.
type occurrences struct {
	once   keySet
	more   map[[2]uint64]int
	others map[string]int
}

// add counts the key of an entry and returns how often it was seen, this time
// included. key is the same key as text, used when it cannot be packed.
func (o *occurrences) add(trace, date string, code int, amount int64, key string) int {
	k, ok := pack(trace, date, code, amount)
	if !ok {
		return o.addKey(key)
	}

	if o.once.insert(k) {
		return 1
	}

	if o.more == nil {
		o.more = map[[2]uint64]int{}
	}

	o.more[k]++

	return o.more[k] + 1
}

// keySet is an open-addressing hash set of packed keys, two words a slot; a
// slot whose first word is 0 is free (a packed trace number is never 0).
type keySet struct {
	slots []uint64
	n     int
}

// insert adds k and reports whether it was new.
func (s *keySet) insert(k [2]uint64) bool {
	if 4*(s.n+1) > 3*(len(s.slots)/2) {
		s.grow()
	}

	mask := uint64(len(s.slots)/2 - 1)
	for i := mix(k) & mask; ; i = (i + 1) & mask {
		switch w := s.slots[2*i]; {
		case w == 0:
			s.slots[2*i], s.slots[2*i+1] = k[0], k[1]
			s.n++

			return true
		case w == k[0] && s.slots[2*i+1] == k[1]:
			return false
		}
	}
}

// grow doubles the table (at most three quarters of it is ever used).
func (s *keySet) grow() {
	old := s.slots
	s.slots = make([]uint64, max(2*len(old), 2*1024))
	s.n = 0

	for i := 0; i < len(old); i += 2 {
		if old[i] != 0 {
			s.insert([2]uint64{old[i], old[i+1]})
		}
	}
}

// mix spreads a packed key over 64 bits (the murmur3 finaliser), so that keys
// of consecutive trace numbers do not crowd one part of the table.
func mix(k [2]uint64) uint64 {
	h := k[0] ^ (k[1] * 0x9e3779b97f4a7c15)
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33

	return h
}

// addKey counts a key kept as text.
func (o *occurrences) addKey(key string) int {
	if o.others == nil {
		o.others = map[string]int{}
	}

	o.others[key]++

	return o.others[key]
}

// pack encodes the parts of a dedupe key without loss, keeping leading zeros:
// the trace number's length and value in the first word; the date's length and
// value, the transaction code and the amount in the second.
func pack(trace, date string, code int, amount int64) ([2]uint64, bool) {
	t, ok := decimal(trace, 15)
	if !ok {
		return [2]uint64{}, false
	}

	d, ok := decimal(date, 6)
	if !ok || code < 0 || code > 99 || amount < 0 || amount >= 1<<34 {
		return [2]uint64{}, false
	}

	return [2]uint64{
		uint64(len(trace))<<56 | t,
		uint64(len(date))<<61 | d<<41 | uint64(code)<<34 | uint64(amount),
	}, true
}

// decimal reads up to n digits; the empty string is 0.
func decimal(s string, n int) (uint64, bool) {
	if len(s) > n {
		return 0, false
	}

	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}

		v = v*10 + uint64(c-'0')
	}

	return v, true
}
