package matching

import (
	"cmp"
	"slices"
	"sort"
)

// SolveItem is one open invoice the solver may pick.
type SolveItem struct {
	ID       int32 // caller's index
	Amount   int64 // open amount in minor units, > 0
	Discount int64 // largest early-payment discount allowed at the payment's date, 0 if none
}

// SolveOptions bound the search. Zero or negative limits take their defaults.
type SolveOptions struct {
	// Tolerance is the absolute difference allowed between the target and the
	// picked sum (bank fees, rounding). Negative counts as 0.
	Tolerance int64
	// MaxItems is how many items, from the front of the list, are considered;
	// the caller passes them sorted by relevance. Default 40.
	MaxItems int
	// MaxNodes is the search budget in nodes visited. Default 200000.
	MaxNodes int
	// MaxPick is the largest number of items in a solution. Default 12.
	MaxPick int
}

// Solution is a set of items whose amounts, less the discounts taken, add up to
// the target within tolerance.
type Solution struct {
	Picks     []int32 // item IDs in ascending order
	Discounts []int64 // discount taken per pick (0 or the item's full Discount)
	Residual  int64   // target − (sum of amounts − discounts); within ±Tolerance
}

// Default bounds of Solve.
const (
	solveDefaultMaxItems = 40
	solveDefaultMaxNodes = 200000
	solveDefaultMaxPick  = 12
)

// solveMaxAmount bounds every amount, discount, target and tolerance so that no
// sum the search forms can overflow int64 (40 items of 2^53 stay below 2^59).
const solveMaxAmount = int64(1) << 53

// Solve finds whether exactly one subset of items pays target. Each picked item
// counts at its full Amount or, when it has a Discount, at Amount − Discount;
// a subset with its choice of discounts is a solution when its total is within
// opts.Tolerance of target. Solutions that differ in their items or in the
// discounts taken are different solutions, so a subset that fits both with and
// without a discount is ambiguous.
//
// unique is true only when exactly one solution exists and the search proved
// it. complete is false when the budget ran out first; the caller must then not
// apply anything automatically. The search stops at the second solution found
// (unique false, complete true). best is the preferred solution among those
// found: smallest |Residual|, then fewest picks, then fewest and smallest
// discounts, then lowest IDs. Invalid input (target ≤ 0, an Amount ≤ 0, a
// Discount outside [0, Amount)) has no solution. Solve is deterministic and
// allocates a fixed number of times per call.
func Solve(target int64, items []SolveItem, opts SolveOptions) (best Solution, unique bool,
	complete bool) {
	opts = solveDefaults(opts)
	if len(items) > opts.MaxItems {
		items = items[:opts.MaxItems]
	}

	if !solveValid(target, items) {
		return Solution{}, false, true
	}

	s := solveNew(target, items, opts)
	s.search(0, 0)

	if s.nfound == 0 {
		return Solution{}, false, !s.aborted
	}

	best = s.solution(0)
	if s.nfound == 2 {
		if other := s.solution(1); solveBetter(other, best) {
			best = other
		}

		return best, false, true
	}

	return best, !s.aborted, !s.aborted
}

func solveDefaults(o SolveOptions) SolveOptions {
	if o.Tolerance < 0 {
		o.Tolerance = 0
	}

	if o.Tolerance > solveMaxAmount {
		o.Tolerance = solveMaxAmount
	}

	if o.MaxItems <= 0 {
		o.MaxItems = solveDefaultMaxItems
	}

	if o.MaxNodes <= 0 {
		o.MaxNodes = solveDefaultMaxNodes
	}

	if o.MaxPick <= 0 {
		o.MaxPick = solveDefaultMaxPick
	}

	return o
}

func solveValid(target int64, items []SolveItem) bool {
	if target <= 0 || target > solveMaxAmount {
		return false
	}

	for _, it := range items {
		if it.Amount <= 0 || it.Amount > solveMaxAmount {
			return false
		}

		if it.Discount < 0 || it.Discount >= it.Amount {
			return false
		}
	}

	return true
}

// solveEntry is an item in search order.
type solveEntry struct {
	id       int32
	pos      int32 // position in the caller's list, the last tie-break
	amount   int64
	discount int64
}

// solveStep is one pick on the search path.
type solveStep struct {
	entry    int32
	discount int64
}

// solveState is one call's search: items sorted by amount descending, suffix
// sums of amounts for the bounds, the current path and up to two solutions.
type solveState struct {
	target  int64
	lo, hi  int64
	maxPick int
	budget  int
	nodes   int
	aborted bool

	entries []solveEntry
	suffix  []int64 // suffix[i] = Σ amount of entries[i:]
	maxDisc int64   // largest discount of any entry
	path    []solveStep
	found   [2][]solveStep
	nfound  int
}

func solveNew(target int64, items []SolveItem, o SolveOptions) *solveState {
	n := len(items)
	s := &solveState{
		target:  target,
		lo:      target - o.Tolerance,
		hi:      target + o.Tolerance,
		maxPick: min(o.MaxPick, n),
		budget:  o.MaxNodes,
		entries: make([]solveEntry, n),
		suffix:  make([]int64, n+1),
	}

	steps := make([]solveStep, 3*s.maxPick)
	s.path = steps[:0:s.maxPick]
	s.found[0] = steps[s.maxPick : s.maxPick : 2*s.maxPick]
	s.found[1] = steps[2*s.maxPick : 2*s.maxPick : 3*s.maxPick]

	for i, it := range items {
		s.entries[i] = solveEntry{id: it.ID, pos: int32(i), amount: it.Amount,
			discount: it.Discount}
	}

	slices.SortFunc(s.entries, func(a, b solveEntry) int {
		if c := cmp.Compare(b.amount, a.amount); c != 0 {
			return c
		}

		if c := cmp.Compare(a.id, b.id); c != 0 {
			return c
		}

		return cmp.Compare(a.pos, b.pos)
	})

	for i := n - 1; i >= 0; i-- {
		s.suffix[i] = s.suffix[i+1] + s.entries[i].amount
		s.maxDisc = max(s.maxDisc, s.entries[i].discount)
	}

	return s
}

// search extends the path, whose total is cur, with a next pick from
// entries[from:]. Every extension is a node of the budget. It returns false
// when the search must stop: a second solution or the budget ran out.
func (s *solveState) search(from int, cur int64) bool {
	left := s.maxPick - len(s.path)
	n := len(s.entries)

	// Entries too large to fit even with the largest discount come first;
	// skip them by bisection on the descending amounts.
	room := s.hi - cur + s.maxDisc
	tail := s.entries[from:]
	start := from + sort.Search(len(tail), func(k int) bool { return tail[k].amount <= room })

	for j := start; j < n; j++ {
		// The most the remaining picks can add is the sum of the next `left`
		// amounts, which only shrinks as j grows: past here nothing reaches lo.
		if cur+s.suffix[j]-s.suffix[min(j+left, n)] < s.lo {
			return true
		}

		e := s.entries[j]
		if !s.try(j, cur, e.amount, 0) {
			return false
		}

		if e.discount > 0 && !s.try(j, cur, e.amount-e.discount, e.discount) {
			return false
		}
	}

	return true
}

// try visits the node that picks entries[j] for add with discount d taken.
func (s *solveState) try(j int, cur, add, d int64) bool {
	v := cur + add
	if v > s.hi {
		return true
	}

	s.nodes++
	if s.nodes > s.budget {
		s.aborted = true

		return false
	}

	s.path = append(s.path, solveStep{entry: int32(j), discount: d})
	ok := true

	if v >= s.lo {
		s.found[s.nfound] = append(s.found[s.nfound][:0], s.path...)
		s.nfound++
		ok = s.nfound < 2
	}

	if ok && len(s.path) < s.maxPick && j+1 < len(s.entries) {
		ok = s.search(j+1, v)
	}

	s.path = s.path[:len(s.path)-1]

	return ok
}

// solution builds the caller's view of found solution k, picks ordered by ID.
func (s *solveState) solution(k int) Solution {
	steps := s.found[k]
	slices.SortFunc(steps, func(a, b solveStep) int {
		ea, eb := s.entries[a.entry], s.entries[b.entry]
		if c := cmp.Compare(ea.id, eb.id); c != 0 {
			return c
		}

		return cmp.Compare(ea.pos, eb.pos)
	})

	sol := Solution{
		Picks:     make([]int32, len(steps)),
		Discounts: make([]int64, len(steps)),
	}

	total := int64(0)
	for i, st := range steps {
		e := s.entries[st.entry]
		sol.Picks[i] = e.id
		sol.Discounts[i] = st.discount
		total += e.amount - st.discount
	}

	sol.Residual = s.target - total

	return sol
}

// solveBetter reports whether a is preferred to b: smaller |Residual|, fewer
// picks, fewer discounts, less discount in total, then lower IDs.
func solveBetter(a, b Solution) bool {
	if c := cmp.Compare(solveAbs(a.Residual), solveAbs(b.Residual)); c != 0 {
		return c < 0
	}

	if c := cmp.Compare(len(a.Picks), len(b.Picks)); c != 0 {
		return c < 0
	}

	na, ta := solveDiscounts(a)
	nb, tb := solveDiscounts(b)

	if c := cmp.Compare(na, nb); c != 0 {
		return c < 0
	}

	if c := cmp.Compare(ta, tb); c != 0 {
		return c < 0
	}

	return slices.Compare(a.Picks, b.Picks) < 0
}

func solveDiscounts(s Solution) (n int, total int64) {
	for _, d := range s.Discounts {
		if d > 0 {
			n++
			total += d
		}
	}

	return n, total
}

func solveAbs(x int64) int64 {
	if x < 0 {
		return -x
	}

	return x
}
