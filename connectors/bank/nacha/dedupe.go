package nacha

// occurrences counts the dedupe keys of a file, so that the second of two
// identical entries gets "#2": it is the one per-entry state the reader keeps.
// A key of a numeric trace number, date, transaction code and amount (nearly
// every key) is packed exactly into 16 bytes; other keys are kept as strings.
type occurrences struct {
	once   map[[2]uint64]struct{}
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

	if o.once == nil {
		o.once = map[[2]uint64]struct{}{}
	}

	if _, seen := o.once[k]; !seen {
		o.once[k] = struct{}{}
		return 1
	}

	if o.more == nil {
		o.more = map[[2]uint64]int{}
	}

	o.more[k]++

	return o.more[k] + 1
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
