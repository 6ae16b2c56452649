package matching

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// refIndex is the plain map the multiIndex tests compare against.
type refIndex[K comparable] map[K][]int32

func (r refIndex[K]) add(k K, id int32) {
	ids := r[k]
	if len(ids) > 0 && ids[len(ids)-1] == id {
		return
	}

	r[k] = append(ids, id)
}

func (r refIndex[K]) remove(k K, id int32) {
	ids := r[k]
	if i := slices.Index(ids, id); i >= 0 {
		r[k] = slices.Delete(ids, i, i+1)
	}
}

// TestMultiIndexAgainstMap runs random adds and removes on string and amount
// indexes, from tables that start too small so they grow, and checks every key
// against a map of slices after each step.
func TestMultiIndexAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))

	strs := newMultiIndex[string](1)
	amts := newMultiIndex[amountKey](1)
	var zeroStrs multiIndex[string] // the zero value works too
	refS, refA, refZ := refIndex[string]{}, refIndex[amountKey]{}, refIndex[string]{}

	// Few keys and ids, so that lists grow long, shrink and empty again.
	skey := func() string {
		n := rng.IntN(300)
		if n%2 == 0 {
			return "K" + strconv.Itoa(n) // held in the key
		}

		return "a key longer than sixteen bytes " + strconv.Itoa(n) // held in the text
	}
	akey := func() amountKey {
		return amountKey{cust: int32(rng.IntN(20)) - 1, cur: uint16(rng.IntN(2)),
			amount: int64(rng.IntN(40))}
	}

	for step := 0; step < 60_000; step++ {
		id := int32(rng.IntN(50))
		sk, ak := skey(), akey()
		if rng.IntN(3) == 0 {
			strs.remove(sk, id)
			refS.remove(sk, id)
			amts.remove(ak, id)
			refA.remove(ak, id)
		} else {
			strs.add(sk, id)
			refS.add(sk, id)
			amts.add(ak, id)
			refA.add(ak, id)
			zeroStrs.add(sk, id)
			refZ.add(sk, id)
		}

		if step%97 != 0 {
			continue
		}

		checkIndex(t, &strs, refS, skey)
		checkIndex(t, &amts, refA, akey)
		checkIndex(t, &zeroStrs, refZ, skey)
	}

	if got := strs.appendTo(nil, "absent"); len(got) != 0 {
		t.Errorf("absent key: %v", got)
	}
}

func checkIndex[K comparable](t *testing.T, m *multiIndex[K], ref refIndex[K], key func() K) {
	t.Helper()

	for k, want := range ref {
		got := m.appendTo(nil, k)
		if !slices.Equal(got, want) && (len(got) != 0 || len(want) != 0) {
			t.Fatalf("key %v: got %v, want %v", k, got, want)
		}

		if m.count(k) != len(want) {
			t.Fatalf("key %v: count %d, want %d", k, m.count(k), len(want))
		}
	}

	for range 50 {
		if k := key(); len(ref[k]) == 0 && m.count(k) != 0 {
			t.Fatalf("key %v: count %d, want 0", k, m.count(k))
		}
	}
}

// TestMultiIndexLongList keeps one key's list long while ids come and go, the
// case of an amount that many invoices are open for.
func TestMultiIndexLongList(t *testing.T) {
	m := newMultiIndex[amountKey](0)
	k := amountKey{cust: anyCustomer, cur: 1, amount: 100000}
	var want []int32
	for id := range int32(5000) {
		m.add(k, id)
		want = append(want, id)
	}

	for id := int32(0); id < 5000; id += 3 {
		m.remove(k, id)
		want = slices.DeleteFunc(want, func(x int32) bool { return x == id })
	}

	if got := m.appendTo(nil, k); !slices.Equal(got, want) {
		t.Fatalf("got %d ids, want %d", len(got), len(want))
	}

	for _, id := range want {
		m.remove(k, id)
	}

	if m.count(k) != 0 || m.amt.used != 0 {
		t.Fatalf("count %d, used %d after removing all", m.count(k), m.amt.used)
	}
}
