package matching

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSolveTable(t *testing.T) {
	// hard is 40 near-equal even amounts: an odd target has no solution, but
	// the sum bounds cannot prune, so the default budget runs out.
	hard := make([]SolveItem, 40)
	for i := range hard {
		hard[i] = SolveItem{ID: int32(i), Amount: 2 * (50000 + int64(i)*3)}
	}

	five := []SolveItem{
		{ID: 1, Amount: 1000}, {ID: 2, Amount: 1001}, {ID: 3, Amount: 1002},
		{ID: 4, Amount: 1003}, {ID: 5, Amount: 1004},
	}

	tests := []struct {
		name      string
		target    int64
		items     []SolveItem
		opts      SolveOptions
		picks     []int32
		discounts []int64
		residual  int64
		unique    bool
		complete  bool
	}{
		{
			name:   "single item",
			target: 10000,
			items:  []SolveItem{{ID: 7, Amount: 10000}},
			picks:  []int32{7}, discounts: []int64{0},
			unique: true, complete: true,
		},
		{
			name:   "two of three",
			target: 19550,
			items: []SolveItem{
				{ID: 3, Amount: 7550}, {ID: 1, Amount: 12000}, {ID: 2, Amount: 5000},
			},
			picks: []int32{1, 3}, discounts: []int64{0, 0},
			unique: true, complete: true,
		},
		{
			name:   "discount makes it fit",
			target: 13800,
			items: []SolveItem{
				{ID: 1, Amount: 10000, Discount: 200}, {ID: 2, Amount: 4000},
			},
			picks: []int32{1, 2}, discounts: []int64{200, 0},
			unique: true, complete: true,
		},
		{
			name:   "bank fee of 15.00 within tolerance",
			target: 250000 + 130000 - 1500,
			items: []SolveItem{
				{ID: 1, Amount: 250000}, {ID: 2, Amount: 130000}, {ID: 3, Amount: 99900},
			},
			opts:  SolveOptions{Tolerance: 1500},
			picks: []int32{1, 2}, discounts: []int64{0, 0}, residual: -1500,
			unique: true, complete: true,
		},
		{
			name:   "fee just over tolerance",
			target: 250000 + 130000 - 1501,
			items: []SolveItem{
				{ID: 1, Amount: 250000}, {ID: 2, Amount: 130000}, {ID: 3, Amount: 99900},
			},
			opts:     SolveOptions{Tolerance: 1500},
			complete: true,
		},
		{
			name:   "two different subsets",
			target: 3000,
			items: []SolveItem{
				{ID: 3, Amount: 1000}, {ID: 2, Amount: 2000}, {ID: 1, Amount: 3000},
			},
			picks: []int32{1}, discounts: []int64{0},
			complete: true,
		},
		{
			name:     "same amount twice",
			target:   4000,
			items:    []SolveItem{{ID: 1, Amount: 4000}, {ID: 2, Amount: 4000}},
			picks:    []int32{1},
			complete: true, discounts: []int64{0},
		},
		{
			name:   "discount or not is ambiguous",
			target: 10000,
			items:  []SolveItem{{ID: 1, Amount: 10000, Discount: 200}},
			opts:   SolveOptions{Tolerance: 250},
			picks:  []int32{1}, discounts: []int64{0},
			complete: true,
		},
		{
			name:     "max pick excludes the only solution",
			target:   5010,
			items:    five,
			opts:     SolveOptions{MaxPick: 4},
			complete: true,
		},
		{
			name:   "max pick admits the only solution",
			target: 5010,
			items:  five,
			opts:   SolveOptions{MaxPick: 5},
			picks:  []int32{1, 2, 3, 4, 5}, discounts: []int64{0, 0, 0, 0, 0},
			unique: true, complete: true,
		},
		{
			name:     "max items drops the tail",
			target:   1004,
			items:    five,
			opts:     SolveOptions{MaxItems: 4},
			complete: true,
		},
		{
			name:     "budget runs out on a hard instance",
			target:   2*(50000*6+60) + 1,
			items:    hard,
			complete: false,
		},
		{
			name:     "no solution",
			target:   6000,
			items:    []SolveItem{{ID: 1, Amount: 5000}, {ID: 2, Amount: 7000}},
			complete: true,
		},
		{
			name:     "no items",
			target:   6000,
			complete: true,
		},
		{
			name:     "target not positive",
			target:   0,
			items:    []SolveItem{{ID: 1, Amount: 0}},
			complete: true,
		},
		{
			name:     "amount not positive",
			target:   5000,
			items:    []SolveItem{{ID: 1, Amount: 5000}, {ID: 2, Amount: -5000}},
			complete: true,
		},
		{
			name:     "discount not below amount",
			target:   5000,
			items:    []SolveItem{{ID: 1, Amount: 5000, Discount: 5000}},
			complete: true,
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, unique, complete := Solve(tt.target, tt.items, tt.opts)
			if unique != tt.unique || complete != tt.complete {
				t.Fatalf("unique, complete = %v, %v; want %v, %v",
					unique, complete, tt.unique, tt.complete)
			}

			if !slices.Equal(got.Picks, tt.picks) {
				t.Fatalf("picks = %v; want %v", got.Picks, tt.picks)
			}

			if !slices.Equal(got.Discounts, tt.discounts) {
				t.Fatalf("discounts = %v; want %v", got.Discounts, tt.discounts)
			}

			if got.Residual != tt.residual {
				t.Fatalf("residual = %d; want %d", got.Residual, tt.residual)
			}
		})
	}
}

// solveBrute lists every solution by enumerating each item as skipped, picked
// in full or picked with its discount.
func solveBrute(target int64, items []SolveItem, o SolveOptions) []Solution {
	if target <= 0 {
		return nil
	}

	var out []Solution

	state := make([]int, len(items))
	for {
		var sol Solution

		total := int64(0)
		for i, st := range state {
			if st == 0 {
				continue
			}

			d := int64(0)
			if st == 2 {
				d = items[i].Discount
			}

			sol.Picks = append(sol.Picks, items[i].ID)
			sol.Discounts = append(sol.Discounts, d)
			total += items[i].Amount - d
		}

		sol.Residual = target - total
		if n := len(sol.Picks); n > 0 && n <= o.MaxPick &&
			sol.Residual >= -o.Tolerance && sol.Residual <= o.Tolerance {
			out = append(out, sol)
		}

		// Next state, counting in a mixed radix: 3 for items with a discount.
		i := 0
		for ; i < len(state); i++ {
			top := 1
			if items[i].Discount > 0 {
				top = 2
			}

			if state[i] < top {
				state[i]++

				break
			}

			state[i] = 0
		}

		if i == len(state) {
			return out
		}
	}
}

func TestSolveMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(20261204, 3))
	counts := [4]int{} // none, one, several solutions, out of budget

	for round := range 4000 {
		n := 1 + rng.IntN(8)
		ids := rng.Perm(100)[:n]

		items := make([]SolveItem, n)
		for i := range items {
			items[i] = SolveItem{ID: int32(ids[i]), Amount: 100 * (1 + rng.Int64N(30))}
			if rng.IntN(3) == 0 {
				items[i].Discount = 100 * rng.Int64N(items[i].Amount/100)
			}
		}

		opts := SolveOptions{
			Tolerance: []int64{0, 0, 50, 100, 300}[rng.IntN(5)],
			MaxPick:   1 + rng.IntN(n+1),
		}
		if rng.IntN(5) == 0 {
			opts.MaxNodes = 1 + rng.IntN(20)
		}

		// Aim at a random subset most of the time so that solutions exist.
		target := 1 + 100*rng.Int64N(60)
		if rng.IntN(4) != 0 {
			target = 0
			for _, it := range items {
				switch rng.IntN(3) {
				case 1:
					target += it.Amount
				case 2:
					target += it.Amount - it.Discount
				}
			}

			target += rng.Int64N(2*opts.Tolerance+1) - opts.Tolerance
		}

		want := solveBrute(target, items, opts)
		got, unique, complete := Solve(target, items, opts)

		if !complete {
			// Out of budget: never unique, and anything returned is a solution.
			counts[3]++
			if unique || (got.Picks != nil && !solveIn(got, want, items)) {
				t.Fatalf("round %d: incomplete search returned %+v, unique %v",
					round, got, unique)
			}

			continue
		}

		switch {
		case len(want) == 0:
			counts[0]++
			if unique || got.Picks != nil {
				t.Fatalf("round %d: target %d items %v: got %+v, want none",
					round, target, items, got)
			}
		case len(want) == 1:
			counts[1]++
			if !unique || !solveSame(got, solveSorted(want[0], items)) {
				t.Fatalf("round %d: target %d items %v: got %+v %v, want unique %+v",
					round, target, items, got, unique, want[0])
			}
		default:
			counts[2]++
			if unique {
				t.Fatalf("round %d: target %d items %v: unique, but %d solutions",
					round, target, items, len(want))
			}

			if !solveIn(got, want, items) {
				t.Fatalf("round %d: %+v is not a solution", round, got)
			}
		}
	}

	for i, c := range counts {
		if c < 50 {
			t.Fatalf("only %d instances of kind %d; generator is off: %v", c, i, counts)
		}
	}
}

// solveSorted orders a brute-force solution's picks by ID, as Solve does.
func solveSorted(s Solution, items []SolveItem) Solution {
	idx := make([]int, len(s.Picks))
	for i := range idx {
		idx[i] = i
	}

	slices.SortFunc(idx, func(a, b int) int { return int(s.Picks[a] - s.Picks[b]) })

	out := Solution{Residual: s.Residual}
	for _, i := range idx {
		out.Picks = append(out.Picks, s.Picks[i])
		out.Discounts = append(out.Discounts, s.Discounts[i])
	}

	return out
}

func solveIn(got Solution, want []Solution, items []SolveItem) bool {
	for _, w := range want {
		if solveSame(got, solveSorted(w, items)) {
			return true
		}
	}

	return false
}

func solveSame(a, b Solution) bool {
	return slices.Equal(a.Picks, b.Picks) && slices.Equal(a.Discounts, b.Discounts) &&
		a.Residual == b.Residual
}

func TestSolveDeterministicAndFewAllocations(t *testing.T) {
	items, target, opts := solveBenchInstance()

	first, unique, complete := Solve(target, items, opts)
	if !unique || !complete {
		t.Fatalf("bench instance: unique, complete = %v, %v", unique, complete)
	}

	for range 5 {
		again, u, c := Solve(target, items, opts)
		if !solveSame(first, again) || u != unique || c != complete {
			t.Fatalf("second run differs: %+v vs %+v", again, first)
		}
	}

	cut := opts
	cut.MaxNodes = 10

	if _, u, c := Solve(target, items, cut); u || c {
		t.Fatalf("10-node budget: unique, complete = %v, %v; want false, false", u, c)
	}

	allocs := testing.AllocsPerRun(20, func() { Solve(target, items, opts) })
	if allocs > 8 {
		t.Fatalf("%v allocations per call; want a fixed handful", allocs)
	}
}

// solveBenchInstance is 40 invoice-like amounts, some with a 2 % discount,
// a target paying three of them with one discount taken, and a bound of four
// picks: with five or more, other subsets of these amounts hit the target too.
func solveBenchInstance() ([]SolveItem, int64, SolveOptions) {
	rng := rand.New(rand.NewPCG(7, 11))

	items := make([]SolveItem, 40)
	for i := range items {
		items[i] = SolveItem{ID: int32(i), Amount: 5000 + rng.Int64N(2_000_000)}
		if i%4 == 0 {
			items[i].Discount = items[i].Amount / 50
		}
	}

	target := items[4].Amount - items[4].Discount + items[17].Amount + items[29].Amount

	return items, target, SolveOptions{MaxPick: 4}
}

func BenchmarkSolve(b *testing.B) {
	b.Run("unique_40", func(b *testing.B) {
		items, target, opts := solveBenchInstance()

		b.ReportAllocs()

		for b.Loop() {
			Solve(target, items, opts)
		}
	})

	b.Run("default_opts_40", func(b *testing.B) {
		items, target, _ := solveBenchInstance()

		b.ReportAllocs()

		for b.Loop() {
			Solve(target, items, SolveOptions{Tolerance: 1500})
		}
	})

	b.Run("exhaust_40", func(b *testing.B) {
		items := make([]SolveItem, 40)
		for i := range items {
			items[i] = SolveItem{ID: int32(i), Amount: 2 * (50000 + int64(i)*3)}
		}

		b.ReportAllocs()

		for b.Loop() {
			Solve(2*(50000*6+60)+1, items, SolveOptions{})
		}
	})
}
