package matching

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

// payer is the result of payer identification.
type payer struct {
	cust int32  // identified customer, or -1
	how  string // PayerBy* constant, "" when not identified
	// several lists the customers a signal pointed to when it pointed to more
	// than one and nothing narrowed it down.
	several []int32
	// similarity is the name similarity for PayerByFuzzyName.
	similarity float64
	// fullName is, when the normalised name pointed to several customers, the one
	// of them whose name is written exactly as the payer's, else -1. A payer who
	// drops a legal suffix may be any of them, so it identifies the payer only for
	// payments without references (see Match).
	fullName int32
}

// identify finds the payer: by bank account, then payer id, then exact
// normalised name or alias, then the name as written or cut to an ACH company
// name's width, then a fuzzy name. A signal naming several customers is passed
// over.
func (e *Engine) identify(p *Payment) payer {
	res := payer{cust: -1, fullName: -1}
	try := func(idx *multiIndex[string], key, how string) bool {
		if key == "" {
			return false
		}

		e.ids = idx.appendTo(e.ids[:0], key)
		ids := distinct(e.ids)
		switch {
		case len(ids) == 1:
			res.cust, res.how = ids[0], how
			return true
		case len(ids) > 1 && res.several == nil:
			res.several = append([]int32(nil), ids...)
		}

		return false
	}

	acct := NormalizeAccount(p.PayerAccount)
	if try(&e.byAccount, acct, PayerByAccount) {
		return res
	}

	// A file that gives the payer's account number without its routing number
	// (camt Othr/Id) names the customers holding that number at any bank.
	if bare := strings.TrimLeft(acct, "0"); bare != "" && bare == keepDigits(acct) &&
		try(&e.byAccount, ":"+bare, PayerByAccount) {
		return res
	}

	if try(&e.byPayerID, upperAlnum(p.PayerID), PayerByID) {
		return res
	}

	// Names and aliases are one signal: an alias of one customer that is also
	// another's name names both.
	name := NormalizeName(p.PayerName)
	if name != "" {
		ids := distinct(e.byName.appendTo(e.ids[:0], name))
		named := len(ids)
		ids = distinct(e.byAlias.appendTo(ids, name))
		e.ids = ids
		switch {
		case len(ids) == 1 && named == 1:
			res.cust, res.how = ids[0], PayerByName
			return res
		case len(ids) == 1:
			res.cust, res.how = ids[0], PayerByAlias
			return res
		case len(ids) > 1 && res.several == nil:
			res.several = append([]int32(nil), ids...)
		}
	}

	// Several customers share the normalised name ("Lighthouse Solutions",
	// "Lighthouse Solutions LLC"): note the one whose name is written exactly as
	// the payer's, legal suffix and all (see payer.fullName).
	if res.several != nil {
		e.ids = e.byFullName.appendTo(e.ids[:0], fullName(p.PayerName))
		if ids := distinct(e.ids); len(ids) == 1 && containsID(res.several, ids[0]) {
			res.fullName = ids[0]
		} else if c := e.truncatedPayer(p.PayerName); c >= 0 && containsID(res.several, c) {
			res.fullName = c
		}

		return res
	}

	// A name cut to the width of an ACH company name ("EASTGATE & WESTB") names
	// the one customer whose name begins so.
	if c := e.truncatedPayer(p.PayerName); c >= 0 {
		res.cust, res.how = c, PayerByName
		return res
	}

	if res.several == nil {
		if c, sim := e.fuzzyPayer(name); c >= 0 {
			res.cust, res.how, res.similarity = c, PayerByFuzzyName, sim
		}
	}

	return res
}

// truncatedNameWidth is how many characters of a payer's name an ACH batch
// header keeps (the company name field).
const truncatedNameWidth = 16

// truncatedKey returns the upper-case first truncatedNameWidth bytes of a name,
// trailing spaces dropped. For a customer's name (payer false) it reports false
// unless the name is longer than that; for a payer's name, unless the name may
// have been cut there (it is that long, or one shorter for a cut before a space).
func truncatedKey(name string, payer bool) (string, bool) {
	u := strings.ToUpper(strings.TrimSpace(name))
	if !payer {
		if len(u) <= truncatedNameWidth {
			return "", false
		}

		return strings.TrimRight(u[:truncatedNameWidth], " "), true
	}

	if len(u) < truncatedNameWidth-1 || len(u) > truncatedNameWidth {
		return "", false
	}

	return u, true
}

// truncatedPayer returns the one customer whose name, cut to the width of an
// ACH company name, is the payer's name, or -1.
func (e *Engine) truncatedPayer(name string) int32 {
	k, ok := truncatedKey(name, true)
	if !ok {
		return -1
	}

	e.ids = e.byTruncated.appendTo(e.ids[:0], k)
	if ids := distinct(e.ids); len(ids) == 1 {
		return ids[0]
	}

	return -1
}

// fullName is a name as written, for exact comparison: upper case, runs of other
// characters than letters and digits as one space, "&" as "AND". Unlike
// NormalizeName it keeps legal suffixes and articles.
func fullName(s string) string {
	b := make([]byte, 0, len(s))
	space := false
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == '&':
			b = append(b, " AND "...)
		case r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			if space && len(b) > 0 {
				b = append(b, ' ')
			}

			space = false
			b = append(b, byte(r))
			continue
		case r >= utf8.RuneSelf && unicode.IsLetter(r):
			if space && len(b) > 0 {
				b = append(b, ' ')
			}

			space = false
			b = utf8.AppendRune(b, r)
			continue
		}

		space = true
	}

	return strings.Join(strings.Fields(string(b)), " ")
}

// distinct drops repeated ids in place, keeping first occurrences in order.
func distinct(ids []int32) []int32 {
	if len(ids) < 2 {
		return ids
	}

	out := ids[:1]
	for _, id := range ids[1:] {
		seen := false
		for _, o := range out {
			if o == id {
				seen = true
				break
			}
		}

		if !seen {
			out = append(out, id)
		}
	}

	return out
}

// Where a reference was found, as named in explanations.
const (
	srcStructured = "structured remittance"
	srcRemittance = "remittance"
	srcPaymentRef = "payment reference"
	srcEndToEnd   = "end-to-end id"
)

// How a reference hit an invoice.
const (
	viaNumber = "number" // normalised invoice number
	viaPO     = "po"     // normalised purchase-order number
	viaDigits = "digits" // digits of the invoice number
	viaSO     = "so"     // normalised sales-order number
	viaRF     = "rf"     // ISO 11649 reference whose body is the invoice number
	viaFuzzy  = "fuzzy"  // invoice number after correcting typing or OCR slips
	viaRange  = "range"  // invoice number inside a written range or list
	viaJoined = "joined" // invoice number written across several words
	viaAmount = "amount" // no reference: chosen by amount
	// viaLearned: the payer, identified as the invoice's customer, wrote the
	// number in a format approved for it (see billing.Customer.RefFormats).
	viaLearned = "learned"
)

// ref is one invoice the payment references, with the evidence for it.
type ref struct {
	inv      int32
	strength float64
	exact    bool   // hit by invoice or PO code, not by digits alone
	via      string // viaNumber, viaPO or viaDigits
	source   string // src* constant
	raw      string // the reference as the payer wrote it
	line     int    // structured remittance line group, -1 for text
	stated   bool   // a remittance line states an amount for this invoice
	paid     int64  // stated amount paid, summed over the lines naming the invoice
	claimed  int64  // stated discount taken
	kind     string // reference feature for the trace, see Features.Reference
	// need is what the reference needs besides itself to be applied for a payer
	// who is not the invoice's customer: needNothing, needExact or needOwner.
	need uint8
	// bare: only a bare number in free text named the invoice, without an invoice
	// keyword or prefix ("SUITE 131", "QTY 200"). It may be anything, so it is
	// applied only when the payment closes the invoice exactly, whoever pays.
	bare bool
	// learned is the approved format the reference was read in (viaLearned).
	learned *learnedFormat
}

// refs is what reference resolution found for a payment.
type refs struct {
	list []ref
	// stated is set when there are structured lines and every one states the
	// amount paid; statedSum adds those amounts up, whether or not the line's
	// reference was found. Lines that state nothing leave the amounts to the open
	// amounts of the invoices.
	stated    bool
	statedSum int64
	// unknown lists codes and stated lines that name no known invoice.
	unknown []string
	// unknownStated adds up the stated amounts of lines that named no invoice.
	unknownStated int64
	// ambiguous holds the invoices of an exact reference that names several,
	// none of them the payer's; ambiguousRaw is that reference.
	ambiguous    []int32
	ambiguousRaw string
	// ambiguousFuzzy is set when the ambiguity came from correcting a reference.
	ambiguousFuzzy bool
	// groups maps a structured line with a PO covering several invoices to them.
	multiLines map[int][]int32
}

// resolve finds the invoices the payment references, structured lines first, then
// the remittance text, payment reference and end-to-end id. The list of
// referenced invoices is appended to buf.
func (e *Engine) resolve(p *Payment, py payer, buf []ref) refs {
	r := refs{stated: len(p.Remits) > 0, list: buf}

	for li, rm := range p.Remits {
		r.stated = r.stated && rm.Paid > 0
		r.statedSum += rm.Paid

		if !e.resolveRemit(py, &r, li, rm) {
			if rm.Ref != "" {
				r.addUnknown(rm.Ref)
			}

			r.unknownStated += rm.Paid
		}
	}

	texts := [...]struct{ text, source string }{
		{p.Remittance, srcRemittance},
		{p.PaymentRef, srcPaymentRef},
		{p.EndToEndID, srcEndToEnd},
	}
	for _, t := range texts {
		if t.text != "" {
			e.resolveText(p, py, &r, t.text, t.source)
		}
	}

	return r
}

// resolveRemit resolves one structured remittance line and reports whether it
// named a known invoice.
func (e *Engine) resolveRemit(py payer, r *refs, li int, rm bankfile.Remit) bool {
	norm := NormalizeRef(rm.Ref)
	if norm == "" {
		return false
	}

	if ii, f := e.learnedHit(py.cust, norm); ii >= 0 {
		rf := ref{inv: ii, strength: strengthStructured, exact: true, via: viaLearned,
			source: srcStructured, raw: rm.Ref, line: li, kind: viaLearned, learned: f}
		if rm.Paid > 0 {
			rf.stated, rf.paid, rf.claimed = true, rm.Paid, rm.Discount
		}

		r.add(rf)

		return true
	}

	type attempt struct {
		idx      *multiIndex[string]
		key, via string
		strength float64
	}

	attempts := []attempt{
		{&e.byNumber, norm, viaNumber, strengthStructured},
		{&e.byPO, norm, viaPO, strengthStructPO},
		{&e.bySO, norm, viaSO, strengthStructPO},
	}
	switch {
	case strings.EqualFold(rm.RefType, "PO"):
		attempts[0], attempts[1] = attempts[1], attempts[0]
	case strings.EqualFold(rm.RefType, "SO"):
		attempts[0], attempts[2] = attempts[2], attempts[0]
	}

	if body, ok := parseRF(rm.Ref); ok {
		attempts = append([]attempt{{&e.byNumber, NormalizeRef(body), viaRF, strengthRF}},
			attempts...)
	}

	if d := digitsOf(norm); d == norm {
		attempts = append(attempts, attempt{&e.byDigits, d, viaDigits, strengthStructPO})
	}

	for _, a := range attempts {
		e.ids = a.idx.appendTo(e.ids[:0], a.key)
		hits := e.preferPayer(distinct(e.ids), py)
		if len(hits) == 0 {
			continue
		}

		if len(hits) > 1 && a.via != viaPO {
			e.noteAmbiguous(r, hits, rm.Ref)
			return true
		}

		if len(hits) > 1 {
			if r.multiLines == nil {
				r.multiLines = make(map[int][]int32)
			}

			r.multiLines[li] = append([]int32(nil), hits...)
		}

		for _, ii := range hits {
			rf := ref{
				inv: ii, strength: a.strength, exact: a.via != viaDigits, via: a.via,
				source: srcStructured, raw: rm.Ref, line: li, kind: refKind(a.via, "structured"),
				need: e.needOf(rm.Ref, ii, a.via),
			}
			if rm.Paid > 0 && len(hits) == 1 {
				rf.stated, rf.paid, rf.claimed = true, rm.Paid, rm.Discount
			}

			r.add(rf)
		}

		return true
	}

	if e.rules.FuzzyRefs {
		return e.resolveFuzzy(py, r, rm.Ref, srcStructured, li, rm)
	}

	return false
}

// refKind names the reference feature of a hit by via, with def for a plain
// invoice number.
func refKind(via, def string) string {
	switch via {
	case viaNumber:
		return def
	default:
		return via
	}
}

// resolveFuzzy corrects a reference that named no invoice (see skeletonRef and
// fuzzyHits) and records the one invoice it then names, or notes the ambiguity
// when it names several. It reports whether the reference was settled either way.
func (e *Engine) resolveFuzzy(py payer, r *refs, raw, source string, li int,
	rm bankfile.Remit) bool {
	hits := e.fuzzyHits(raw)
	hits = e.preferPayer(hits, py)
	switch {
	case len(hits) == 0:
		return false
	case len(hits) > 1:
		e.noteAmbiguous(r, hits, raw)
		r.ambiguousFuzzy = true
		return true
	}

	rf := ref{
		inv: hits[0], strength: strengthFuzzy, via: viaFuzzy, source: source, raw: raw,
		line: li, kind: viaFuzzy,
	}
	if li >= 0 && rm.Paid > 0 {
		rf.stated, rf.paid, rf.claimed = true, rm.Paid, rm.Discount
	}

	r.add(rf)
	r.dropUnknown(raw)

	return true
}

// dropUnknown forgets unknown codes that a later reading of raw explained.
func (r *refs) dropUnknown(raw string) {
	n := 0
	for _, u := range r.unknown {
		if !strings.Contains(raw, u) {
			r.unknown[n] = u
			n++
		}
	}

	r.unknown = r.unknown[:n]
}

// resolveText resolves the references found in a free text: an ISO 11649 RF
// reference, then codes, numbers, lists and ranges, then, when none of these
// named an invoice, numbers written across words and corrected references.
func (e *Engine) resolveText(p *Payment, py payer, r *refs, text, source string) {
	found, text := e.resolveRF(py, r, text, source)
	if found {
		return
	}

	e.toks = appendTokens(e.toks[:0], text, e.rules.MinRefDigits, 0)
	hitGroup := -1
	var hitGroups []int

	for i, t := range e.toks {
		if t.group == hitGroup || t.ifMiss > 0 && containsInt(hitGroups, t.ifMiss-1) {
			continue
		}

		if e.resolveToken(p, py, r, t, source) {
			hitGroup = t.group
			hitGroups = append(hitGroups, t.group)
			found = true
			continue
		}

		last := i+1 == len(e.toks) || e.toks[i+1].group != t.group
		if last && source == srcRemittance && t.ifMiss == 0 && !t.ranged {
			first := i
			for first > 0 && e.toks[first-1].group == t.group {
				first--
			}

			r.noteUnknown(e.toks[first : i+1])
		}
	}

	if !found && r.ambiguous == nil {
		e.resolveWindows(py, r, text, source)
	}
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}

	return false
}

// maxWindowWords bounds the words of one text looked at for references written
// across words or needing correction.
const maxWindowWords = 40

// resolveWindows looks at runs of one to three words with digits among them:
// joined with dashes they may be an invoice number written with spaces ("INV 2024
// 0108"), or, corrected, one typed or read wrongly ("lNV 2024 0l80"). The longest
// run that names an invoice at each word wins.
func (e *Engine) resolveWindows(py payer, r *refs, text, source string) {
	type span struct {
		raw        string
		start, end int
		letters    bool
		digits     int
	}

	var words []span
	for i := 0; len(words) < maxWindowWords; {
		w, next, ok := nextWord(text, i)
		if !ok {
			break
		}

		if !w.amountLike && !looksLikeDate(w.raw) {
			words = append(words, span{raw: w.raw, start: next - len(w.raw), end: next,
				letters: w.letters > 0, digits: w.digits})
		}

		i = next
	}

	for s := 0; s < len(words); s++ {
		for n := min(3, len(words)-s); n >= 1; n-- {
			var b strings.Builder
			digits, letters := 0, false
			for k := s; k < s+n; k++ {
				if k > s {
					b.WriteByte('-')
				}

				b.WriteString(words[k].raw)
				digits += words[k].digits
				letters = letters || words[k].letters
			}

			if digits == 0 || !letters && digits < 5 {
				continue
			}

			raw := text[words[s].start:words[s+n-1].end]
			if n > 1 && e.resolveJoined(py, r, b.String(), raw, source) {
				s += n - 1
				break
			}

			if e.rules.FuzzyRefs && e.resolveFuzzy(py, r, b.String(), source, -1,
				bankfile.Remit{}) {
				e.fixRaw(r, b.String(), raw)
				s += n - 1
				break
			}
		}
	}
}

// fixRaw puts the words as written back in place of their dash-joined form in the
// refs a window produced.
func (e *Engine) fixRaw(r *refs, joined, raw string) {
	for i := range r.list {
		if r.list[i].raw == joined {
			r.list[i].raw = raw
		}
	}

	if r.ambiguousRaw == joined {
		r.ambiguousRaw = raw
	}
}

// resolveJoined looks up words joined by dashes as an invoice number.
func (e *Engine) resolveJoined(py payer, r *refs, joined, raw, source string) bool {
	e.ids = e.byNumber.appendTo(e.ids[:0], NormalizeRef(joined))
	hits := e.preferPayer(distinct(e.ids), py)
	switch {
	case len(hits) == 0:
		return false
	case len(hits) > 1:
		e.noteAmbiguous(r, hits, raw)
		return true
	}

	r.add(ref{inv: hits[0], strength: strengthJoined, exact: true, via: viaJoined,
		source: source, raw: raw, line: -1, kind: viaJoined,
		need: e.needOf(raw, hits[0], viaJoined)})
	r.dropUnknown(raw)

	return true
}

// resolveRF finds an ISO 11649 reference in text, written whole or in groups of
// four, and looks its body up as an invoice number, normalised like one (so a
// body written with or without its leading zeros names the same invoice). It
// reports whether one named an invoice. A valid reference naming none is noted as
// unknown and blanked out of the returned text: its groups of four are not
// invoice numbers, and read as such they name the wrong invoice.
func (e *Engine) resolveRF(py payer, r *refs, text, source string) (bool, string) {
	rest := text
	idx := 0
	for {
		at := indexFold(text[idx:], "RF")
		if at < 0 {
			return false, rest
		}

		at += idx
		idx = at + 2
		if at > 0 && isAlnum(text[at-1]) {
			continue
		}

		// Read letters and digits, allowing single spaces, up to 25 of them.
		var body []byte
		ends := make([]int, 0, 8)
		stops := make([]int, 0, 8) // where in text each entry of ends finishes
		for j := at; j < len(text) && len(body) < 25; j++ {
			c := text[j]
			if isAlnum(c) {
				body = append(body, c)
				if j+1 == len(text) || !isAlnum(text[j+1]) {
					ends = append(ends, len(body))
					stops = append(stops, j+1)
				}

				continue
			}

			if c != ' ' || j+1 == len(text) || !isAlnum(text[j+1]) {
				break
			}
		}

		for k := len(ends) - 1; k >= 0; k-- {
			cand, ok := parseRF(string(body[:ends[k]]))
			if !ok {
				continue
			}

			e.ids = e.byNumber.appendTo(e.ids[:0], NormalizeRef(cand))
			hits := e.preferPayer(distinct(e.ids), py)
			raw := string(body[:ends[k]])
			switch {
			case len(hits) == 1:
				r.add(ref{inv: hits[0], strength: strengthRF, exact: true, via: viaRF,
					source: source, raw: raw, line: -1, kind: viaRF})
				return true, rest
			case len(hits) > 1:
				e.noteAmbiguous(r, hits, raw)
				return true, rest
			}

			r.addUnknown(raw)

			rest = rest[:at] + strings.Repeat(" ", stops[k]-at) + rest[stops[k]:]
			idx = stops[k]

			break
		}
	}
}

// indexFold is strings.Index for an upper-case ASCII needle, ignoring case.
func indexFold(s, upper string) int {
	for i := 0; i+len(upper) <= len(s); i++ {
		ok := true
		for k := 0; k < len(upper); k++ {
			c := s[i+k]
			if c >= 'a' && c <= 'z' {
				c -= 'a' - 'A'
			}

			if c != upper[k] {
				ok = false
				break
			}
		}

		if ok {
			return i
		}
	}

	return -1
}

// noteUnknown records the code of a group of tokens (group holds exactly the
// group's tokens) none of which named an invoice. Only codes in the remittance
// text are worth reporting: payment references and end-to-end ids are often the
// payer's own numbers, and joined words or bare numbers are guesses.
func (r *refs) noteUnknown(group []token) {
	if len(group) == 0 {
		return
	}

	t := group[0]
	if t.kind == tokenCode && hasLetterAndDigit(t.raw) && !strings.ContainsRune(t.raw, ' ') {
		r.addUnknown(t.raw)
	}
}

// maxUnknown bounds the unknown codes a payment records: they only explain a
// decision, and remittance naming thousands of them must not cost quadratic time.
const maxUnknown = 64

// addUnknown records raw as a code that names no invoice, once.
func (r *refs) addUnknown(raw string) {
	if len(r.unknown) < maxUnknown && !r.hasUnknown(raw) {
		r.unknown = append(r.unknown, raw)
	}
}

func (r *refs) hasUnknown(raw string) bool {
	for _, u := range r.unknown {
		if u == raw {
			return true
		}
	}

	return false
}

// resolveToken looks one candidate up and reports whether it named an invoice.
func (e *Engine) resolveToken(p *Payment, py payer, r *refs, t token, source string) bool {
	type attempt struct {
		idx      *multiIndex[string]
		via      string
		strength float64
		key      string // looked up instead of t.norm, when set
	}

	if !t.ranged {
		if ii, f := e.learnedHit(py.cust, t.norm); ii >= 0 {
			r.add(ref{inv: ii, strength: strengthCode, exact: true, via: viaLearned,
				source: source, raw: t.raw, line: -1, kind: viaLearned, learned: f})

			return true
		}
	}

	var attempts []attempt
	switch t.kind {
	case tokenCode:
		attempts = []attempt{
			{&e.byNumber, viaNumber, strengthCode, ""}, {&e.byPO, viaPO, strengthCodePO, ""},
			{&e.bySO, viaSO, strengthCodeSO, ""},
		}
		if t.ranged {
			attempts = attempts[:1]
			attempts[0].via, attempts[0].strength = viaRange, strengthRange
		}
	case tokenKeyword:
		attempts = []attempt{
			{&e.byNumber, viaNumber, strengthKeyword, ""},
			{&e.byDigits, viaDigits, strengthKeyDigits, ""},
		}
	case tokenBare:
		if e.rules.BareNumbers {
			attempts = []attempt{
				{&e.byNumber, viaNumber, strengthBare, ""},
				{&e.byDigits, viaDigits, strengthBareDigits, ""},
			}
		}
	}

	// Customers' purchase-order numbers are mostly digits ("4500012345"), written
	// bare or after "PO", "order", "Bestellung". A number that long is specific
	// enough to be looked up as a PO or SO number whatever the bare-number rule.
	// "PO4500012345", "ORDER 4500012345": the number behind an order word is
	// looked up the same way.
	key := t.norm
	if t.kind == tokenCode && !t.ranged {
		key = orderNumber(t.norm)
	}

	if sig, letters := refDigits(key); !t.ranged && !letters && sig >= SpecificDigits {
		attempts = append(attempts, attempt{&e.byPO, viaPO, strengthCodePO, key},
			attempt{&e.bySO, viaSO, strengthCodeSO, key})
	}

	if len(attempts) == 0 {
		return false
	}

	for _, a := range attempts {
		k := t.norm
		if a.key != "" {
			k = a.key
		}

		e.ids = a.idx.appendTo(e.ids[:0], k)
		hits := e.preferPayer(distinct(e.ids), py)
		if len(hits) == 0 {
			continue
		}

		if a.via == viaRange && len(hits) > 1 {
			return false
		}

		exact := t.kind == tokenCode || a.via == viaNumber && t.kind == tokenKeyword
		if len(hits) > 1 && a.via != viaPO {
			if exact {
				e.noteAmbiguous(r, hits, t.raw)
				return true
			}

			return false // a number matching several invoices proves nothing
		}

		if t.kind == tokenBare && !e.corroborated(p, py, hits[0]) {
			return false
		}

		kind := "exact"
		switch {
		case t.kind == tokenBare && a.via == viaDigits:
			kind = "digits"
		case t.kind == tokenBare:
			kind = "bare"
		case t.kind == tokenKeyword:
			kind = "keyword"
		}

		for _, ii := range hits {
			need := e.needOf(t.written(), ii, a.via)
			if a.key != "" {
				// A PO number read behind an order word is judged by its digits.
				need = max(need, e.needOf(a.key, ii, a.via))
			}

			r.add(ref{
				inv: ii, strength: a.strength, exact: exact, via: a.via,
				source: source, raw: t.raw, line: -1, kind: refKind(a.via, kind), need: need,
				bare: t.kind == tokenBare && (a.via == viaNumber || a.via == viaDigits),
			})
		}

		return true
	}

	return false
}

// corroborated reports whether something besides a bare number points to invoice
// ii: it is the identified payer's, or its open amount (less an allowed discount)
// equals the payment.
func (e *Engine) corroborated(p *Payment, py payer, ii int32) bool {
	inv := e.invs[ii]
	if py.cust >= 0 && e.related(py.cust, e.invs[ii].cust) {
		return true
	}

	if inv.Currency != p.Amount.Currency || inv.Open <= 0 {
		return false
	}

	if inv.Open == p.Amount.Minor {
		return true
	}

	d := termsDiscount(inv)

	return d > 0 && e.discountOpen(inv, p.ValueDate) &&
		abs(inv.Open-d-p.Amount.Minor) <= e.rules.DiscountTolerance
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}

	return x
}

// preferPayer keeps the hits of the identified payer or its relatives when there
// are any, and all hits otherwise. It filters in place.
func (e *Engine) preferPayer(hits []int32, py payer) []int32 {
	if py.cust < 0 || len(hits) < 2 {
		return hits
	}

	n := 0
	for _, ii := range hits {
		if e.related(py.cust, e.invs[ii].cust) {
			hits[n] = ii
			n++
		}
	}

	if n == 0 {
		return hits
	}

	return hits[:n]
}

func (e *Engine) noteAmbiguous(r *refs, hits []int32, raw string) {
	if r.ambiguous != nil {
		return
	}

	r.ambiguous = append([]int32(nil), hits...)
	r.ambiguousRaw = raw
}

// add records a referenced invoice once, keeping the strongest evidence and adding
// up the stated amounts of every structured line that names it.
func (r *refs) add(rf ref) {
	for i := range r.list {
		old := &r.list[i]
		if old.inv != rf.inv {
			continue
		}

		if rf.stated {
			if old.stated && old.line != rf.line {
				old.paid += rf.paid
				old.claimed += rf.claimed
			} else if !old.stated {
				old.stated, old.paid, old.claimed, old.line = true, rf.paid, rf.claimed, rf.line
			}
		}

		if rf.strength > old.strength {
			old.strength, old.exact, old.via, old.source, old.raw, old.kind =
				rf.strength, rf.exact, rf.via, rf.source, rf.raw, rf.kind
			old.learned = rf.learned
		}

		old.need = min(old.need, rf.need)
		old.bare = old.bare && rf.bare

		return
	}

	r.list = append(r.list, rf)
}

// needOf is what a reference written as raw that named invoice ii by via needs
// to be applied for a payer who is not the invoice's customer (see refNeed). RF
// references carry check digits and corrected ones have a penalty of their own.
func (e *Engine) needOf(raw string, ii int32, via string) uint8 {
	switch via {
	case viaRF, viaFuzzy, viaLearned:
		return needNothing
	case viaPO, viaSO:
		return refNeed(raw, "")
	default:
		return refNeed(raw, e.invs[ii].Number)
	}
}

// orderWords are the words payers put before a purchase-order number, upper
// case, as NormalizeRef leaves them.
var orderWords = []string{"PURCHASEORDER", "BESTELLNUMMER", "BESTELLUNG", "COMMANDE",
	"AUFTRAG", "BESTNR", "PEDIDO", "ORDINE", "ORDER", "PONO", "ORD", "PO"}

// orderNumber returns the digits of a normalised code written as an order word
// and a number ("PO4500012345" gives "4500012345"), or "" for any other code.
func orderNumber(norm string) string {
	for _, w := range orderWords {
		rest, ok := strings.CutPrefix(norm, w)
		if ok && rest != "" && digitsOf(rest) == rest {
			return rest
		}
	}

	return ""
}
