package matching

import (
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
	b := make([]byte, 0, len(s))
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

	return string(appendRef(make([]byte, 0, len(b)), string(b)))
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

	if !e.fuzzyBuilt {
		e.buildFuzzy()
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

// buildFuzzy indexes the skeletons of all invoice numbers, once per engine.
func (e *Engine) buildFuzzy() {
	e.fuzzyBuilt = true
	e.byFuzzy = newMultiIndex[string](len(e.invs))
	for ii := range e.invs {
		num := e.invs[ii].Number
		if sk := skeletonRef(num); sk != "" && sk != NormalizeRef(num) {
			e.byFuzzy.add(sk, int32(ii))
		}
	}
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

// fuzzyName is a customer name or alias, normalised and with its words sorted,
// for fuzzy lookup.
type fuzzyName struct {
	cust int32
	key  string
}

// maxTriPostings skips name-word prefixes shared by so many names that they say
// nothing (such as "SER" of "SERVICES").
const maxTriPostings = 500

func (e *Engine) addFuzzyName(ci int32, key string) {
	sorted := sortedWords(key)
	ni := int32(len(e.names))
	e.names = append(e.names, fuzzyName{cust: ci, key: sorted})
	for _, w := range strings.Fields(key) {
		if len(w) >= 3 {
			e.namesByTri.add(w[:3], ni)
		}
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
// name-word prefix index, the rarest prefix first, never from a scan of all
// customers. The answer depends only on the names, which are fixed once the
// engine is built, so it is remembered per name.
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

// searchPayer does the work of fuzzyPayer. A candidate whose similarity cannot
// reach the threshold less the 0.02 margin, by the bound of jaroBound, is not
// compared: it could neither be chosen nor come within 0.02 of a chosen one.
func (e *Engine) searchPayer(name string) (int32, float64) {
	var best []int32
	for _, w := range strings.Fields(name) {
		if len(w) < 3 {
			continue
		}

		n := e.namesByTri.count(w[:3])
		if n == 0 || n > maxTriPostings || (best != nil && n >= len(best)) {
			continue
		}

		best = e.namesByTri.appendTo(best[:0], w[:3])
	}

	if len(best) == 0 {
		return -1, 0
	}

	q := sortedWords(name)
	var hist, used [256]int32
	for i := 0; i < len(q); i++ {
		hist[q[i]]++
	}

	floor := e.rules.NameThreshold - 0.03
	bestCust, bestSim, second := int32(-1), 0.0, 0.0
	for _, ni := range best {
		fn := e.names[ni]
		if jaroBound(&hist, &used, q, fn.key) < floor {
			continue
		}

		sim := jaroWinkler(q, fn.key)
		switch {
		case fn.cust == bestCust:
			bestSim = max(bestSim, sim)
		case sim > bestSim:
			second = bestSim
			bestCust, bestSim = fn.cust, sim
		case sim > second:
			second = sim
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
func jaroBound(hist, used *[256]int32, a, b string) float64 {
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
func jaroWinkler(a, b string) float64 {
	if a == b {
		return 1
	}

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
