package matching

// multiIndex maps a key to one or more int32 ids (invoice or customer positions) in
// insertion order. Most keys have one id, which is held inline; keys with more
// spill into a shared slice of slices, so the common case costs one map entry and
// no allocation.
type multiIndex[K comparable] struct {
	first map[K]int32 // id ≥ 0, or -(slot+1) for the ids in many[slot]
	many  [][]int32
}

func newMultiIndex[K comparable](size int) multiIndex[K] {
	return multiIndex[K]{first: make(map[K]int32, size)}
}

// add appends id under k unless it is already the last id there.
func (m *multiIndex[K]) add(k K, id int32) {
	v, ok := m.first[k]
	switch {
	case !ok:
		m.first[k] = id
	case v >= 0:
		if v == id {
			return
		}

		m.many = append(m.many, []int32{v, id})
		m.first[k] = -int32(len(m.many))
	default:
		ids := m.many[-v-1]
		if ids[len(ids)-1] != id {
			m.many[-v-1] = append(ids, id)
		}
	}
}

// remove deletes id from k, keeping the order of the others.
func (m *multiIndex[K]) remove(k K, id int32) {
	v, ok := m.first[k]
	switch {
	case !ok:
	case v >= 0:
		if v == id {
			delete(m.first, k)
		}
	default:
		ids := m.many[-v-1]
		for i, x := range ids {
			if x == id {
				ids = append(ids[:i], ids[i+1:]...)
				break
			}
		}

		m.many[-v-1] = ids
		if len(ids) == 0 {
			delete(m.first, k)
		}
	}
}

// appendTo appends the ids under k to dst.
func (m *multiIndex[K]) appendTo(dst []int32, k K) []int32 {
	v, ok := m.first[k]
	switch {
	case !ok:
		return dst
	case v >= 0:
		return append(dst, v)
	default:
		return append(dst, m.many[-v-1]...)
	}
}

// count returns how many ids are under k.
func (m *multiIndex[K]) count(k K) int {
	v, ok := m.first[k]
	switch {
	case !ok:
		return 0
	case v >= 0:
		return 1
	default:
		return len(m.many[-v-1])
	}
}
