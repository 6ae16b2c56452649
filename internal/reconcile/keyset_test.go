package reconcile

import (
	"strconv"
	"testing"
)

// TestKeySetAgainstMap adds keys, some twice and some empty, through several
// growths of the table and checks membership against a map.
func TestKeySetAgainstMap(t *testing.T) {
	var s keySet
	want := map[string]bool{}
	key := func(i int) string { return "nacha:" + strconv.Itoa(i*7919%100_003) }

	for i := range 30_000 {
		if i%3 == 0 {
			s.add(key(i / 2))
			want[key(i/2)] = true
		}

		if i == 100 {
			s.add("")
			want[""] = true
		}
	}

	for i := range 40_000 {
		if got := s.has(key(i)); got != want[key(i)] {
			t.Fatalf("has(%q) = %v, want %v", key(i), got, want[key(i)])
		}
	}

	if !s.has("") || s.has("nacha:") || len(s.ends) != len(want) {
		t.Fatalf("%d keys kept, want %d", len(s.ends), len(want))
	}
}
