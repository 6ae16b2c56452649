package matching

import (
	"hash/maphash"
	"math"
	"math/bits"
)

// multiIndex maps a key to one or more int32 ids (invoice or customer positions)
// in insertion order. Keys are strings or amountKeys.
//
// The engine of a million invoices holds several million keys, so the tables are
// built for the garbage collector as much as for lookups: they hold no pointers
// (the collector never scans them), a string key lives in its table's record of
// it, or end to end with the longer ones in one byte arena, instead of one
// allocation each, and a key's one id (the common case) is held inline. Keys
// with more ids keep them in a shared pool.
type multiIndex[K comparable] struct {
	str strTable
	amt amountTable
}

func newMultiIndex[K comparable](size int) multiIndex[K] {
	var m multiIndex[K]
	var k K
	switch any(k).(type) {
	case string:
		m.str.init(size)
	case amountKey:
		m.amt.init(size)
	}

	return m
}

// add appends id under k unless it is already the last id there.
func (m *multiIndex[K]) add(k K, id int32) {
	switch k := any(k).(type) {
	case string:
		m.str.add(k, id)
	case amountKey:
		m.amt.add(k, id)
	}
}

// remove deletes id from k, keeping the order of the others.
func (m *multiIndex[K]) remove(k K, id int32) {
	switch k := any(k).(type) {
	case string:
		m.str.remove(k, id)
	case amountKey:
		m.amt.remove(k, id)
	}
}

// appendTo appends the ids under k to dst.
func (m *multiIndex[K]) appendTo(dst []int32, k K) []int32 {
	switch k := any(k).(type) {
	case string:
		return m.str.appendTo(dst, k)
	case amountKey:
		return m.amt.appendTo(dst, k)
	}

	return dst
}

// count returns how many ids are under k.
func (m *multiIndex[K]) count(k K) int {
	switch k := any(k).(type) {
	case string:
		return m.str.count(k)
	case amountKey:
		return m.amt.count(k)
	}

	return 0
}

// idList is the ids of one key: the id itself when n is 1, else n ids in the
// pool from at. A list in the pool has room for listCap(n) ids at least.
type idList struct {
	at int32
	n  int32
}

// listCap is the room a pool list of n ids is sure to have.
func listCap(n int32) int32 {
	if n <= 2 {
		return 2
	}

	return int32(1) << bits.Len32(uint32(n-1))
}

// idPool holds the lists of keys with more than one id. A list that outgrows its
// room moves to the end of the pool with twice the room; the space it leaves is
// not reused, which at most doubles the pool.
type idPool struct {
	ids []int32
}

// appendTo appends the ids of l to dst.
func (p *idPool) appendTo(dst []int32, l idList) []int32 {
	switch l.n {
	case 0:
		return dst
	case 1:
		return append(dst, l.at)
	default:
		return append(dst, p.ids[l.at:l.at+l.n]...)
	}
}

// view returns the ids of l in place, using one for a list of one id. The ids
// must not be changed.
func (p *idPool) view(l idList, one *[1]int32) []int32 {
	switch l.n {
	case 0:
		return nil
	case 1:
		one[0] = l.at
		return one[:]
	default:
		return p.ids[l.at : l.at+l.n : l.at+l.n]
	}
}

// last returns the last id of a non-empty list.
func (p *idPool) last(l idList) int32 {
	if l.n == 1 {
		return l.at
	}

	return p.ids[l.at+l.n-1]
}

// push appends id to l.
func (p *idPool) push(l idList, id int32) idList {
	switch {
	case l.n == 0:
		return idList{at: id, n: 1}
	case l.n == 1:
		at := p.grow(2)
		p.ids[at], p.ids[at+1] = l.at, id
		return idList{at: at, n: 2}
	case l.n == listCap(l.n):
		at := p.grow(2 * l.n)
		copy(p.ids[at:], p.ids[l.at:l.at+l.n])
		l.at = at
	}

	p.ids[l.at+l.n] = id
	l.n++

	return l
}

// grow adds room for n ids at the end of the pool and returns where it starts.
func (p *idPool) grow(n int32) int32 {
	at := len(p.ids)
	if at+int(n) > math.MaxInt32 {
		panic("matching: more than 2^31 index entries")
	}

	p.ids = append(p.ids, make([]int32, n)...)

	return int32(at)
}

// drop deletes id from l, keeping the order of the others.
func (p *idPool) drop(l idList, id int32) idList {
	switch l.n {
	case 0:
		return l
	case 1:
		if l.at == id {
			return idList{}
		}

		return l
	}

	ids := p.ids[l.at : l.at+l.n]
	for i, x := range ids {
		if x == id {
			copy(ids[i:], ids[i+1:])
			l.n--
			break
		}
	}

	if l.n == 1 {
		return idList{at: p.ids[l.at], n: 1}
	}

	return l
}

// strTable is the multiIndex of string keys: an open-addressing hash table of
// key numbers, the keys with their id lists, and the bytes of the longer keys
// end to end.
type strTable struct {
	seed maphash.Seed
	// slots holds, for a used slot, the top 32 bits of the key's hash and its
	// key number plus one; 0 is an empty slot. Its length is a power of two.
	slots []uint64
	keys  []strKey
	text  []byte
	pool  idPool
}

// strKey is one key of a strTable: its ids and its bytes, held in the key
// itself when they fit, so that finding a short key reads no text, else
// text[off:off+len].
type strKey struct {
	ids  idList
	len  uint32
	off  uint32
	head [inlineKey]byte
}

// inlineKey is the length up to which a key's bytes are held in the key: an
// invoice number, its digits and skeleton, a bank account fit.
const inlineKey = 16

// bytes returns the bytes of the key, which must not be changed, in text.
func (k *strKey) bytes(text []byte) []byte {
	if k.len <= inlineKey {
		return k.head[:k.len:k.len]
	}

	return text[k.off : k.off+k.len : k.off+k.len]
}

// maxLoad is the share of slots a table may fill before it grows, in 1/8.
const maxLoad = 6

func (t *strTable) init(size int) {
	t.seed = maphash.MakeSeed()
	t.slots = make([]uint64, slotsFor(size))
	t.keys = make([]strKey, 0, size)
}

// slotsFor is the power of two of slots that holds n keys within maxLoad.
func slotsFor(n int) int {
	s := 8
	for s*maxLoad/8 < n {
		s *= 2
	}

	return s
}

// find returns the slot of key s, or the empty slot where it would go, and its
// hash.
func (t *strTable) find(s string) (int, uint64) {
	h := maphash.String(t.seed, s)
	tag := h >> 32
	mask := len(t.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		v := t.slots[i]
		if v == 0 {
			return i, h
		}

		if v>>32 == tag {
			if k := &t.keys[uint32(v)-1]; int(k.len) == len(s) && string(k.bytes(t.text)) == s {
				return i, h
			}
		}
	}
}

// lookup returns the ids of key s.
func (t *strTable) lookup(s string) idList {
	if len(t.keys) == 0 {
		return idList{}
	}

	i, _ := t.find(s)
	if v := t.slots[i]; v != 0 {
		return t.keys[uint32(v)-1].ids
	}

	return idList{}
}

func (t *strTable) appendTo(dst []int32, s string) []int32 {
	return t.pool.appendTo(dst, t.lookup(s))
}

func (t *strTable) count(s string) int {
	return int(t.lookup(s).n)
}

func (t *strTable) add(s string, id int32) {
	if len(t.slots) == 0 {
		t.init(0)
	}

	i, h := t.find(s)
	if v := t.slots[i]; v != 0 {
		k := &t.keys[uint32(v)-1]
		if k.ids.n > 0 && t.pool.last(k.ids) == id {
			return
		}

		k.ids = t.pool.push(k.ids, id)
		return
	}

	if len(t.text)+len(s) > math.MaxUint32 || len(t.keys) >= math.MaxInt32 {
		panic("matching: string index over 4 GiB")
	}

	key := strKey{ids: idList{at: id, n: 1}, len: uint32(len(s))}
	if len(s) <= inlineKey {
		copy(key.head[:], s)
	} else {
		key.off = uint32(len(t.text))
		t.text = append(t.text, s...)
	}

	t.keys = append(t.keys, key)
	t.slots[i] = h>>32<<32 | uint64(len(t.keys))
	if len(t.keys) > len(t.slots)*maxLoad/8 {
		t.rehash(2 * len(t.slots))
	}
}

// rehash moves the keys into a table of n slots.
func (t *strTable) rehash(n int) {
	t.slots = make([]uint64, n)
	mask := n - 1
	for ki := range t.keys {
		h := maphash.Bytes(t.seed, t.keys[ki].bytes(t.text))
		i := int(h) & mask
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}

		t.slots[i] = h>>32<<32 | uint64(ki+1)
	}
}

// key returns the number of key s, or -1 when it is not in the table.
func (t *strTable) key(s string) int32 {
	if len(t.slots) == 0 {
		return -1
	}

	i, _ := t.find(s)

	return int32(uint32(t.slots[i])) - 1
}

// addKey adds s, without ids, unless it is a key already, and returns its
// number and whether it is new.
func (t *strTable) addKey(s string) (int32, bool) {
	if k := t.key(s); k >= 0 {
		return k, false
	}

	t.add(s, 0)
	k := int32(len(t.keys)) - 1
	t.keys[k].ids = idList{}

	return k, true
}

// keyBytes returns the bytes of key number k, which must not be changed, until
// the next key is added.
func (t *strTable) keyBytes(k int32) []byte {
	return t.keys[k].bytes(t.text)
}

// keyIDs returns the ids of key number k.
func (t *strTable) keyIDs(k int32) idList {
	return t.keys[k].ids
}

// addID appends id to key number k unless it is already the last id there.
func (t *strTable) addID(k int32, id int32) {
	key := &t.keys[k]
	if key.ids.n > 0 && t.pool.last(key.ids) == id {
		return
	}

	key.ids = t.pool.push(key.ids, id)
}

// remove deletes id from key s. A key left without ids stays in the table with
// an empty list.
func (t *strTable) remove(s string, id int32) {
	if len(t.slots) == 0 {
		return
	}

	if i, _ := t.find(s); t.slots[i] != 0 {
		k := &t.keys[uint32(t.slots[i])-1]
		k.ids = t.pool.drop(k.ids, id)
	}
}

// amountTable is the multiIndex of amountKeys: an open-addressing hash table
// with linear probing of the keys and their id lists. A key whose last id is
// removed leaves the table (by shifting back the entries after it), so open
// amounts that come and go leave nothing behind.
type amountTable struct {
	seed  uint64
	slots []amountSlot // a power of two of them; ids.n == 0 is an empty slot
	used  int
	pool  idPool
}

type amountSlot struct {
	key amountKey
	ids idList
}

func (t *amountTable) init(size int) {
	t.seed = maphash.Comparable(maphash.MakeSeed(), 0)
	t.slots = make([]amountSlot, slotsFor(size))
}

// hash mixes the key (and the table's random seed) into 64 bits.
func (t *amountTable) hash(k amountKey) uint64 {
	h := uint64(k.amount) ^ t.seed
	h ^= (uint64(uint32(k.cust))<<16 | uint64(k.cur)) * 0x9e3779b97f4a7c15
	h ^= h >> 32
	h *= 0xd6e8feb86659fd93
	h ^= h >> 32

	return h
}

// find returns the slot of key k or the empty slot where it would go.
func (t *amountTable) find(k amountKey) int {
	mask := len(t.slots) - 1
	for i := int(t.hash(k)) & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.ids.n == 0 || s.key == k {
			return i
		}
	}
}

func (t *amountTable) lookup(k amountKey) idList {
	if len(t.slots) == 0 {
		return idList{}
	}

	return t.slots[t.find(k)].ids
}

func (t *amountTable) appendTo(dst []int32, k amountKey) []int32 {
	return t.pool.appendTo(dst, t.lookup(k))
}

func (t *amountTable) count(k amountKey) int {
	return int(t.lookup(k).n)
}

func (t *amountTable) add(k amountKey, id int32) {
	if len(t.slots) == 0 {
		t.init(0)
	}

	s := &t.slots[t.find(k)]
	if s.ids.n > 0 {
		if t.pool.last(s.ids) != id {
			s.ids = t.pool.push(s.ids, id)
		}

		return
	}

	s.key, s.ids = k, idList{at: id, n: 1}
	t.used++
	if t.used > len(t.slots)*maxLoad/8 {
		old := t.slots
		t.slots = make([]amountSlot, 2*len(old))
		for _, o := range old {
			if o.ids.n > 0 {
				t.slots[t.find(o.key)] = o
			}
		}
	}
}

func (t *amountTable) remove(k amountKey, id int32) {
	if len(t.slots) == 0 {
		return
	}

	i := t.find(k)
	s := &t.slots[i]
	if s.ids.n == 0 {
		return
	}

	if s.ids = t.pool.drop(s.ids, id); s.ids.n > 0 {
		return
	}

	// Shift back the entries after the emptied slot that probing would no
	// longer reach.
	t.used--
	mask := len(t.slots) - 1
	for j := (i + 1) & mask; t.slots[j].ids.n != 0; j = (j + 1) & mask {
		home := int(t.hash(t.slots[j].key)) & mask
		if (j-home)&mask >= (j-i)&mask {
			t.slots[i] = t.slots[j]
			t.slots[j] = amountSlot{}
			i = j
		}
	}
}
