package matching

import "testing"

// TestJaroBoundIsUpperBound checks the pre-filter of fuzzyPayer: the bound is
// never below the similarity it stands for, on pseudo-random names of a small
// alphabet (many shared letters) and on every pair of a fixed list.
func TestJaroBoundIsUpperBound(t *testing.T) {
	seed := uint64(7)
	next := func(n int) int {
		seed = seed*6364136223846793005 + 1442695040888963407
		return int(seed>>33) % n
	}

	word := func() string {
		b := make([]byte, 1+next(30))
		for i := range b {
			b[i] = "ABCDE FGH"[next(9)]
		}

		return string(b)
	}

	fixed := []string{"ACME WIDGETS", "ACME WIDGET", "WIDGETS ACME", "A", "AB", "BA",
		"NORTHWIND TRADERS", "NORTHWIND", "CONTOSO", "CONTOSSO", ""}
	pairs := make([][2]string, 0, 20000)
	for _, a := range fixed {
		for _, b := range fixed {
			pairs = append(pairs, [2]string{a, b})
		}
	}

	for range 20000 {
		pairs = append(pairs, [2]string{word(), word()})
	}

	for _, p := range pairs {
		var hist, used [256]int32
		for i := 0; i < len(p[0]); i++ {
			hist[p[0][i]]++
		}

		sim, bound := jaroWinkler(p[0], p[1]), jaroBound(&hist, &used, p[0], p[1])
		if bound+1e-12 < sim {
			t.Fatalf("jaroBound(%q, %q) = %v below jaroWinkler %v", p[0], p[1], bound, sim)
		}

		if used != ([256]int32{}) {
			t.Fatalf("jaroBound(%q, %q) left its scratch dirty", p[0], p[1])
		}
	}
}

// TestFuzzyPayerRemembered asks for the same payer names twice, in opposite
// orders, on two engines and wants the same answers both times.
func TestFuzzyPayerRemembered(t *testing.T) {
	customers, invoices, _ := synthetic(2000)
	names := []string{"CUSTOMER 12", "CUSTOMR 12", "CUSTOMER 399", "UNKNOWN PAYER", "CUST 7"}
	a := New(customers, invoices, DefaultRules())
	b := New(customers, invoices, DefaultRules())
	for i := range names {
		ca, sa := a.fuzzyPayer(names[i])
		cb, sb := b.fuzzyPayer(names[len(names)-1-i])
		ca2, sa2 := a.fuzzyPayer(names[i])
		cb2, sb2 := b.fuzzyPayer(names[len(names)-1-i])
		if ca != ca2 || sa != sa2 || cb != cb2 || sb != sb2 {
			t.Fatalf("fuzzyPayer changed its answer on the second call")
		}
	}

	for _, n := range names {
		ca, sa := a.fuzzyPayer(n)
		cb, sb := b.fuzzyPayer(n)
		if ca != cb || sa != sb {
			t.Fatalf("fuzzyPayer(%q) = %d %v and %d %v", n, ca, sa, cb, sb)
		}
	}
}
