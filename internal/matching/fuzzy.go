package matching

import (
	"bytes"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// skeletonRef reduces a reference to the form in which common typing and OCR
// slips disappear: upper case, the letters O, I, L, S and B read as the digits 0,
// 1, 1, 5 and 8, then normalised with NormalizeRef (so separators and leading
// zeros do not count). "INV-2O24-O1O8" and "INV-2024-0108" share the skeleton
// "1NV2024108".
func skeletonRef(s string) string {
	return string(appendSkeleton(nil, s))
}

// appendSkeleton appends the skeleton of s (see skeletonRef) to dst.
func appendSkeleton(dst []byte, s string) []byte {
	var tmp [64]byte
	b := tmp[:0]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}

		switch c {
		case 'O':
			c = '0'
		case 'I', 'L':
			c = '1'
		case 'S':
			c = '5'
		case 'B':
			c = '8'
		}

		b = append(b, c)
	}

	return appendRef(dst, string(b))
}

// fuzzyHits returns the invoices a reference names after correction. The
// nearest correction that names anything decides, and all of its candidates are
// collected before the caller asks for uniqueness: first the OCR and typing
// confusions of skeletonRef (which also forgive a dropped or extra leading zero),
// then, when these name nothing, every swap of two neighbouring letters or
// digits of the reference as written, each read through the same skeleton, so
// that a swap that moves a zero to the front is forgiven as a leading zero too.
// The result is sorted and without repeats.
func (e *Engine) fuzzyHits(raw string) []int32 {
	sk := skeletonRef(raw)
	if len(sk) < 4 || digitsOf(sk) == "" {
		return nil
	}

	var hits []int32
	look := func(key string) {
		e.ids = e.byFuzzy.appendTo(e.ids[:0], key)
		e.ids = e.byNumber.appendTo(e.ids, key)
		for _, ii := range e.ids {
			if !containsID(hits, ii) {
				hits = append(hits, ii)
			}
		}
	}

	look(sk)
	if len(hits) > 0 {
		sort.Slice(hits, func(i, j int) bool { return hits[i] < hits[j] })
		return hits
	}

	b := []byte(strings.ToUpper(raw))
	for i := 0; i+1 < len(b); i++ {
		if b[i] == b[i+1] || !isAlnum(b[i]) || !isAlnum(b[i+1]) {
			continue
		}

		b[i], b[i+1] = b[i+1], b[i]
		if key := skeletonRef(string(b)); key != sk {
			look(key)
		}
		b[i], b[i+1] = b[i+1], b[i]
	}

	sort.Slice(hits, func(i, j int) bool { return hits[i] < hits[j] })

	return hits
}

// ISO 11649 creditor references.

// rfCheck computes the two check digits of an ISO 11649 reference for body
// (upper-case letters and digits): the body followed by "RF00", letters read as
// 10..35, taken mod 97, subtracted from 98.
func rfCheck(body string) (int, bool) {
	rem := 0
	for _, c := range body + "RF00" {
		switch {
		case c >= '0' && c <= '9':
			rem = (rem*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			rem = (rem*100 + int(c-'A'+10)) % 97
		default:
			return 0, false
		}
	}

	return 98 - rem, true
}

// RFReference returns the ISO 11649 creditor reference o2c derives for an
// invoice number: "RF", two check digits, then the number normalised with
// NormalizeRef ("INV-000123" gives "RF..INV123"). A payment quoting it, with or
// without spaces, is matched to the invoice like the invoice number itself. It
// returns "" when the normalised number is empty, longer than 21 characters or
// not plain letters and digits.
func RFReference(invoiceNumber string) string {
	body := NormalizeRef(invoiceNumber)
	if body == "" || len(body) > 21 {
		return ""
	}

	cd, ok := rfCheck(body)
	if !ok {
		return ""
	}

	return "RF" + twoDigits(cd) + body
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}

	return strconv.Itoa(n)
}

// parseRF reports whether s (spaces allowed) is a valid ISO 11649 reference and
// returns its body, the part after the check digits.
func parseRF(s string) (string, bool) {
	u := upperAlnum(s)
	if len(u) < 5 || len(u) > 25 || !strings.HasPrefix(u, "RF") ||
		!isDigit(u[2]) || !isDigit(u[3]) {
		return "", false
	}

	body := u[4:]
	cd, ok := rfCheck(body)
	if !ok || twoDigits(cd) != u[2:4] {
		return "", false
	}

	return body, true
}

// Fuzzy payer names.
//
// A customer's name and aliases are kept for fuzzy lookup, normalised, each
// shared by every customer who has it, with an index of their words. A payer
// name is compared, by token-sorted Jaro-Winkler similarity, with the names
// that hold each of its words, or all but one of three or more: the word
// itself, a word one typing slip away (one letter changed, dropped, added or
// two neighbours swapped) or a word it begins (a word cut short). Words held by
// thousands of names (AND, GROUP) are not looked up. So a search costs what the
// payer name's words cost, whatever the number of customers, and every
// customer whose name is near the payer's, such a near name being spelled
// alike word by word, is compared: two of them within 0.02 of each other hold
// the payment, however common their words are elsewhere.
//
// A payer name that begins a customer's name is that name cut to the width of
// a bank file's field, such as the 16 characters of an ACH company name: its
// similarity is 1, so a cut name that begins the names of two customers is
// held, like a cut name both are similar to.

// fuzzyNames indexes the customer names and aliases for fuzzyPayer. It holds no
// pointers, however many names.
type fuzzyNames struct {
	keys strTable // normalised name → customers
	// sortedAt is, per name, where its words sorted start in sortedText; they
	// are as long as the name.
	sortedAt   []uint32
	sortedText []byte
	words      strTable // word of a name → names holding it
	// near maps a word, and each of its forms with one letter deleted, to the
	// words: two words one slip apart share an entry.
	near strTable
	// sorted is the word numbers in the order of their words, for the words a
	// cut word begins; nil when words were added since it was sorted.
	sorted []int32
	// byText is the name numbers in the order of their names, for the names a
	// cut name begins; nil when names were added since it was sorted.
	byText []int32
	// seen is, per name, the search and the word of the payer name that last
	// counted it; count is how many of the payer name's words it holds.
	seen   []uint32
	word   []uint8
	count  []uint8
	search uint32
	cands  []int32 // scratch for the names a search counts
	buf    []byte  // scratch for the forms of a word
}

// minNearWord is the length from which a word's one-slip neighbours, and the
// words it begins, count: a slip in a shorter word changes too much of it.
const minNearWord = 4

// minCutName is the length from which a payer name that begins a customer's
// name counts as that name cut short.
const minCutName = 10

// maxWordNames is the number of names from which a word is too common to pick
// candidates by: such a word (AND, GROUP, SERVICES) need not be held by a
// candidate, and a payer name of only such words is not identified by its name.
const maxWordNames = 1 << 12

func (e *Engine) addFuzzyName(ci int32, key string) {
	f := &e.fz
	k, isNew := f.keys.addKey(key)
	f.keys.addID(k, ci)
	if !isNew {
		return
	}

	sorted := sortedWords(key)
	if len(f.sortedText)+len(sorted) > math.MaxUint32 {
		panic("matching: fuzzy names over 4 GiB")
	}

	f.sortedAt = append(f.sortedAt, uint32(len(f.sortedText)))
	f.sortedText = append(f.sortedText, sorted...)
	f.seen = append(f.seen, 0)
	f.word = append(f.word, 0)
	f.count = append(f.count, 0)
	f.byText = nil
	for _, w := range strings.Fields(sorted) {
		wk, isNew := f.words.addKey(w)
		f.words.addID(wk, k)
		if isNew {
			f.forms(w, func(form string) { f.near.add(form, wk) })
			f.sorted = nil
		}
	}
}

// sortedName returns name number k with its words sorted, which must not be
// changed.
func (f *fuzzyNames) sortedName(k int32) []byte {
	at := f.sortedAt[k]
	end := at + f.keys.keys[k].len

	return f.sortedText[at:end:end]
}

// wordText returns the text of word number wk, which must not be changed.
func (f *fuzzyNames) wordText(wk int32) []byte {
	return f.words.keyBytes(wk)
}

// cutFrom reports whether the payer name may be name number k cut short: the
// name begins with it, or it is the name and the first letters of a legal form
// that NormalizeName dropped from the name ("WILLOW AND MAPLE C" of Willow &
// Maple Co.).
func (f *fuzzyNames) cutFrom(k int32, payer, base string) bool {
	key := f.keys.keyBytes(k)
	if len(payer) < minCutName {
		return false
	}

	return len(key) > len(payer) && string(key[:len(payer)]) == payer || string(key) == base
}

// cutBase returns the payer name without its last word when that word is the
// beginning of a legal form, else "".
func cutBase(payer string) string {
	i := strings.LastIndexByte(payer, ' ')
	if i < 0 || !legalPrefixes[payer[i+1:]] {
		return ""
	}

	return payer[:i]
}

// legalPrefixes holds the beginnings of the legal forms NormalizeName drops,
// shorter than the form: "C" and "CO" of CORP, "L" and "LL" of LLC.
var legalPrefixes = func() map[string]bool {
	m := make(map[string]bool)
	for s := range legalSuffixes {
		for i := 1; i < len(s); i++ {
			m[s[:i]] = true
		}
	}

	return m
}()

// cutCustomers returns how many customers have a name or alias the payer name
// may be cut from (see cutFrom), 2 standing for two or more, and the customer
// when there is one.
func (f *fuzzyNames) cutCustomers(payer, base string) (int, int32) {
	if len(payer) < minCutName {
		return 0, -1
	}

	if f.byText == nil {
		f.byText = make([]int32, len(f.keys.keys))
		for i := range f.byText {
			f.byText[i] = int32(i)
		}

		slices.SortFunc(f.byText, func(a, b int32) int {
			return bytes.Compare(f.keys.keyBytes(a), f.keys.keyBytes(b))
		})
	}

	n, one := 0, int32(-1)
	var each [1]int32
	visit := func(k int32) {
		for _, c := range f.keys.pool.view(f.keys.keyIDs(k), &each) {
			switch {
			case n == 0:
				n, one = 1, c
			case c != one:
				n = 2
			}
		}
	}

	i, _ := slices.BinarySearchFunc(f.byText, payer, func(k int32, payer string) int {
		return bytes.Compare(f.keys.keyBytes(k), []byte(payer))
	})
	for ; i < len(f.byText) && n < 2; i++ {
		key := f.keys.keyBytes(f.byText[i])
		if !bytes.HasPrefix(key, []byte(payer)) {
			break
		}

		if len(key) > len(payer) {
			visit(f.byText[i])
		}
	}

	if base != "" && n < 2 {
		if k := f.keys.key(base); k >= 0 {
			visit(k)
		}
	}

	if n < 2 {
		return n, one
	}

	return 2, -1
}

// appendBegun appends the numbers of the words longer than w that begin with
// it: a payer name cut to the width of a bank file's field ends in a cut word.
func (f *fuzzyNames) appendBegun(dst []int32, w string) []int32 {
	if f.sorted == nil {
		f.sorted = make([]int32, len(f.words.keys))
		for i := range f.sorted {
			f.sorted[i] = int32(i)
		}

		slices.SortFunc(f.sorted, func(a, b int32) int {
			return bytes.Compare(f.wordText(a), f.wordText(b))
		})
	}

	i, _ := slices.BinarySearchFunc(f.sorted, w, func(wk int32, w string) int {
		return bytes.Compare(f.wordText(wk), []byte(w))
	})
	for ; i < len(f.sorted) && bytes.HasPrefix(f.wordText(f.sorted[i]), []byte(w)); i++ {
		if len(f.wordText(f.sorted[i])) > len(w) {
			dst = append(dst, f.sorted[i])
		}
	}

	return dst
}

// forms calls fn with w and, when it has minNearWord bytes or more, each form
// of w with one byte deleted.
func (f *fuzzyNames) forms(w string, fn func(string)) {
	fn(w)
	if len(w) < minNearWord {
		return
	}

	for i := range len(w) {
		f.buf = append(append(f.buf[:0], w[:i]...), w[i+1:]...)
		fn(string(f.buf))
	}
}

func sortedWords(s string) string {
	w := strings.Fields(s)
	sort.Strings(w)

	return strings.Join(w, " ")
}

// fuzzyHit is a remembered answer of fuzzyPayer.
type fuzzyHit struct {
	cust int32
	sim  float64
}

// fuzzyPayer returns the one customer whose name or alias is most similar to the
// normalised payer name, when the similarity reaches Rules.NameThreshold and no
// other customer comes within 0.02 of it; otherwise -1. Candidates come from the
// name word index (see fuzzyNames), never from a scan of all customers. The
// answer depends only on the names, which are fixed once the engine is built, so
// it is remembered per name.
func (e *Engine) fuzzyPayer(name string) (int32, float64) {
	if e.rules.NameThreshold <= 0 || name == "" {
		return -1, 0
	}

	if h, ok := e.fuzzyCache[name]; ok {
		return h.cust, h.sim
	}

	c, sim := e.searchPayer(name)
	if e.fuzzyCache == nil {
		e.fuzzyCache = make(map[string]fuzzyHit)
	}

	if len(e.fuzzyCache) >= maxFuzzyCache {
		clear(e.fuzzyCache)
	}

	e.fuzzyCache[strings.Clone(name)] = fuzzyHit{cust: c, sim: sim}

	return c, sim
}

// maxFuzzyCache bounds the names fuzzyPayer remembers; the cache starts again
// when it is full.
const maxFuzzyCache = 1 << 18

// maxFuzzyCompare bounds the names one search compares with the payer name. A
// payer name that more names hold all the words of is not identified by its
// name: so common a name says too little.
const maxFuzzyCompare = 256

// maxQueryWords is how many words of a payer name are looked up at most.
const maxQueryWords = 32

// queryWord is a word of a payer name with the name words one slip from it.
type queryWord struct {
	near []int32 // word numbers in fuzzyNames.words
	cost int     // names holding them, counted once per word
}

// searchPayer does the work of fuzzyPayer.
//
// When the payer name may be cut from the names of two customers, it is
// ambiguous; from one, that one is the best, with similarity 1. Candidates are
// the names holding all the payer name's words, or all but one of three or
// more, its too common words (see maxWordNames) aside, the words counted by
// their slips too. A candidate whose similarity cannot reach the threshold less
// the 0.02 margin (or the best less 0.02 when a cut name decided the best), by
// the bound of jaroBound, is not compared: it could neither be chosen nor come
// within 0.02 of a chosen one.
func (e *Engine) searchPayer(name string) (int32, float64) {
	f := &e.fz
	base := cutBase(name)
	bestCust, bestSim, second := int32(-1), 0.0, 0.0
	floor := e.rules.NameThreshold - 0.03
	switch n, c := f.cutCustomers(name, base); n {
	case 1:
		bestCust, bestSim, floor = c, 1, 1-0.03
	case 2:
		return -1, 1
	}

	q := sortedWords(name)
	words := strings.Fields(q)
	qs := make([]queryWord, 0, len(words))
	for i, w := range words {
		if i > 0 && w == words[i-1] {
			continue
		}

		var near []int32
		f.forms(w, func(form string) { near = f.near.appendTo(near, form) })
		if len(w) >= minNearWord {
			near = f.appendBegun(near, w)
		}

		slices.Sort(near)
		near = slices.Compact(near)

		cost := 0
		for _, wk := range near {
			cost += int(f.words.keyIDs(wk).n)
		}

		if cost <= maxWordNames && len(qs) < maxQueryWords {
			qs = append(qs, queryWord{near: near, cost: cost})
		}
	}

	f.search++
	if f.search == 0 {
		clear(f.seen)
		f.search = 1
	}

	// Count, per name, the payer name's words it holds.
	cands := f.cands[:0]
	defer func() { f.cands = cands[:0] }()

	var one [1]int32
	for qi, qw := range qs {
		for _, wk := range qw.near {
			for _, k := range f.words.pool.view(f.words.keyIDs(wk), &one) {
				switch {
				case f.seen[k] != f.search:
					f.seen[k], f.word[k], f.count[k] = f.search, uint8(qi), 1
					cands = append(cands, k)
				case f.word[k] != uint8(qi):
					f.word[k] = uint8(qi)
					f.count[k] = min(f.count[k]+1, math.MaxUint8)
				}
			}
		}
	}

	var hist, used [256]int32
	for i := 0; i < len(q); i++ {
		hist[q[i]]++
	}

	// A name of one or two words (too common ones aside) must hold them all,
	// a longer one all but one.
	need := len(qs)
	if need > 2 {
		need--
	}

	n := 0
	for _, k := range cands {
		if int(f.count[k]) >= need {
			cands[n] = k
			n++
		}
	}

	if n > maxFuzzyCompare {
		return -1, 0
	}

	var each [1]int32
	for _, k := range cands[:n] {
		sim := 1.0
		if !f.cutFrom(k, name, base) {
			sorted := f.sortedName(k)
			if jaroBound(&hist, &used, q, sorted) < floor {
				continue
			}

			sim = jaroWinkler(q, sorted)
		}

		for _, c := range f.keys.pool.view(f.keys.keyIDs(k), &each) {
			switch {
			case c == bestCust:
				bestSim = max(bestSim, sim)
			case sim > bestSim:
				second = bestSim
				bestCust, bestSim = c, sim
			case sim > second:
				second = sim
			}
		}
	}

	if bestSim < e.rules.NameThreshold || bestSim-second < 0.02 {
		return -1, bestSim
	}

	return bestCust, bestSim
}

// jaroBound returns an upper bound of jaroWinkler(a, b), where hist counts the
// bytes of a. The matching characters are at most the bytes the two strings
// have in common, counted with their multiplicity; with every one of them
// matched, in order, and a full four-byte prefix the similarity would be the
// bound. used is scratch, all zero on entry and on return.
func jaroBound[B ~string | ~[]byte](hist, used *[256]int32, a string, b B) float64 {
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 {
		return 1
	}

	common := 0
	for i := 0; i < lb; i++ {
		c := b[i]
		if used[c] < hist[c] {
			used[c]++
			common++
		}
	}

	for i := 0; i < lb; i++ {
		used[b[i]] = 0
	}

	if common == 0 {
		return 0
	}

	m := float64(common)
	jaro := (m/float64(la) + m/float64(lb) + 1) / 3

	return jaro + 0.4*(1-jaro)
}

// jaroWinkler returns the Jaro-Winkler similarity of two ASCII-ish strings, 0..1.
func jaroWinkler[A, B ~string | ~[]byte](a A, b B) float64 {
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 {
		return 0
	}

	window := max(max(la, lb)/2-1, 0)
	var bufA, bufB [64]bool
	var ma, mb []bool
	if la <= len(bufA) && lb <= len(bufB) {
		ma, mb = bufA[:la], bufB[:lb]
	} else {
		ma, mb = make([]bool, la), make([]bool, lb)
	}

	matches := 0
	for i := 0; i < la; i++ {
		lo, hi := max(0, i-window), min(lb, i+window+1)
		for j := lo; j < hi; j++ {
			if !mb[j] && a[i] == b[j] {
				ma[i], mb[j] = true, true
				matches++
				break
			}
		}
	}

	if matches == 0 {
		return 0
	}

	trans, k := 0, 0
	for i := 0; i < la; i++ {
		if !ma[i] {
			continue
		}

		for !mb[k] {
			k++
		}

		if a[i] != b[k] {
			trans++
		}

		k++
	}

	m := float64(matches)
	jaro := (m/float64(la) + m/float64(lb) + (m-float64(trans)/2)/m) / 3
	prefix := 0
	for prefix < 4 && prefix < la && prefix < lb && a[prefix] == b[prefix] {
		prefix++
	}

	return jaro + float64(prefix)*0.1*(1-jaro)
}
