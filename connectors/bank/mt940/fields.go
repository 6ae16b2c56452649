package mt940

import (
	"strings"
)

// field is one tagged field: its tag, the line of the tag and its content
// lines, the first without the tag. Lines carry no trailing blanks.
type field struct {
	tag   string
	line  int
	lines []string
	size  int  // bytes of content held
	over  bool // content beyond the limits was dropped
}

// Limits on one field's continuation: an :86: holds 6 lines of 65 characters,
// banks pad or add a few more; anything far beyond is not a bank field.
const (
	maxFieldLines = 100
	maxFieldBytes = 16 << 10
	maxLazyLines  = 16
)

// knownTags are the tags that start a field wherever they appear at the start
// of a line.
var knownTags = map[string]bool{
	"20": true, "21": true, "25": true, "25P": true, "28": true, "28C": true,
	"60F": true, "60M": true, "61": true, "86": true, "62F": true, "62M": true,
	"64": true, "65": true, "34F": true, "13": true, "13D": true, "90D": true,
	"90C": true, "NS": true,
}

// textTags are fields whose continuation lines may look like tags.
var textTags = map[string]bool{"86": true, "NS": true, "61": true}

// tagOf splits ":TAG:rest" into its tag and rest when the tag is well formed
// (two or three digits and an optional letter, or NS). known says whether the
// tag is one of knownTags.
func tagOf(t string) (tag, rest string, known, ok bool) {
	if len(t) < 3 || t[0] != ':' {
		return "", "", false, false
	}

	end := strings.IndexByte(t[1:min(len(t), 6)], ':')
	if end < 0 {
		return "", "", false, false
	}

	tag = t[1 : 1+end]
	if knownTags[tag] {
		return tag, t[2+end:], true, true
	}

	if len(tag) < 2 || !digits(tag[:2]) {
		return "", "", false, false
	}

	switch rest := tag[2:]; {
	case rest == "", len(rest) == 1 && (rest[0] >= 'A' && rest[0] <= 'Z' || digits(rest)):
		return tag, t[2+end:], false, true
	case len(rest) == 2 && digits(rest[:1]) && rest[1] >= 'A' && rest[1] <= 'Z':
		return tag, t[2+end:], false, true
	}

	return "", "", false, false
}

// tagPrefix reports whether t may be the first half of a tag cut by a line
// break: ":", ":8", ":86", ":60F" and the like.
func tagPrefix(t string) bool {
	if t == "" || t[0] != ':' || len(t) > 4 {
		return false
	}

	for i := 1; i < len(t); i++ {
		c := t[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}

	return true
}

// held is a line kept back until the next line says what it is.
type held struct {
	text string
	n    int
}

// fielder turns physical lines into fields and message boundaries.
type fielder struct {
	s      *scanner
	cur    *field // the field being read: buf, or nil
	buf    field  // reused for every field; the scanner keeps nothing of it
	inMsg  bool
	prefix *held  // a possible first half of a tag
	lazy   []held // a lone "-" and the lines after it, until a tag decides
	isLazy bool
}

func (fz *fielder) line(text string, n int) {
	if fz.prefix != nil {
		p := *fz.prefix
		fz.prefix = nil

		joined := strings.TrimLeft(p.text, " ") + strings.TrimLeft(text, " ")
		if _, _, known, ok := tagOf(joined); ok && known {
			fz.classify(joined, p.n, false)
			return
		}

		fz.classify(p.text, p.n, false)
	}

	fz.classify(text, n, true)
}

// classify handles one line; mayHold allows keeping it as a tag prefix.
func (fz *fielder) classify(text string, n int, mayHold bool) {
	t := strings.TrimLeft(text, " ")

	switch {
	case mayHold && tagPrefix(t):
		fz.prefix = &held{text: text, n: n}
	case strings.HasPrefix(t, "{"):
		fz.decideLazy(true)
		fz.blocks(t, n)
	case strings.HasPrefix(t, "-}"), strings.HasPrefix(t, "}"):
		fz.decideLazy(true)
		fz.endMessage()

		rest := strings.TrimLeft(strings.TrimPrefix(strings.TrimPrefix(t, "-"), "}"), " }")
		if strings.HasPrefix(rest, "{") {
			fz.blocks(rest, n)
		}
	case lazyEnd(t) && (fz.inMsg || fz.isLazy):
		if fz.isLazy {
			fz.keepLazy(text, n)
			return
		}

		fz.isLazy = true
		fz.lazy = append(fz.lazy[:0], held{text: text, n: n})
	default:
		fz.content(text, t, n)
	}
}

// lazyEnd reports a line that ends a message unless it turns out to be text:
// "-", "$", or "-" with a short code ("-XXX").
func lazyEnd(t string) bool {
	if t == "-" || t == "$" {
		return true
	}

	if len(t) < 2 || len(t) > 5 || t[0] != '-' {
		return false
	}

	for i := 1; i < len(t); i++ {
		if t[i] < 'A' || t[i] > 'Z' {
			return false
		}
	}

	return true
}

// content handles a line that is neither a block nor a terminator.
func (fz *fielder) content(text, t string, n int) {
	tag, rest, known, ok := tagOf(t)

	switch {
	case ok && known:
		fz.decideLazy(tag == "20")
		fz.start(tag, rest, n)
	case ok && (!fz.inMsg || fz.isLazy):
		// A header such as Rabobank's ":940:" outside a message.
		if fz.isLazy {
			fz.keepLazy(text, n)
		}
	case ok && (fz.cur == nil || !textTags[fz.cur.tag]):
		fz.start(tag, rest, n)
	case fz.isLazy:
		fz.keepLazy(text, n)
	case fz.inMsg && fz.cur != nil:
		fz.cont(text, n)
	}
}

func (fz *fielder) keepLazy(text string, n int) {
	if len(fz.lazy) >= maxLazyLines {
		fz.decideLazy(true)
		return
	}

	fz.lazy = append(fz.lazy, held{text: text, n: n})
}

// decideLazy settles a pending "-": when the next field starts a message (or
// a block or the end comes), or the field before it holds no text, it was a
// terminator and the lines after it were a bank's header; otherwise it and
// those lines continue the current text field.
func (fz *fielder) decideLazy(ends bool) {
	if !fz.isLazy {
		return
	}

	fz.isLazy = false
	lines := fz.lazy
	fz.lazy = fz.lazy[:0]

	if ends || fz.cur == nil || !textTags[fz.cur.tag] {
		fz.endMessage()
		return
	}

	for _, l := range lines {
		fz.cont(l.text, l.n)
	}
}

// start begins a new field, completing the current one.
func (fz *fielder) start(tag, rest string, n int) {
	fz.flush()

	fz.inMsg = true
	clear(fz.buf.lines)
	fz.buf = field{tag: tag, line: n, lines: append(fz.buf.lines[:0], rest), size: len(rest)}
	fz.cur = &fz.buf
}

// cont adds a continuation line to the current field. Blank lines only count
// inside text fields.
func (fz *fielder) cont(text string, n int) {
	f := fz.cur
	if f == nil {
		return
	}

	if strings.TrimSpace(text) == "" && f.tag != "86" && f.tag != "NS" {
		return
	}

	if len(f.lines) >= maxFieldLines || f.size+len(text) > maxFieldBytes {
		if !f.over {
			f.over = true
			fz.s.fail(n, ":"+f.tag+":", "", "field continues beyond "+
				itoa(maxFieldLines)+" lines or "+itoa(maxFieldBytes)+" bytes")
		}

		return
	}

	f.lines = append(f.lines, text)
	f.size += len(text)
}

func (fz *fielder) flush() {
	if fz.cur == nil {
		return
	}

	f := fz.cur
	fz.cur = nil
	fz.s.field(f)
}

func (fz *fielder) endMessage() {
	fz.flush()

	if fz.inMsg {
		fz.s.endMessage()
	}

	fz.inMsg = false
}

// blocks reads SWIFT blocks {1:...}{2:...}{3:{...}}{4: on one line. Block 1
// begins a new message, block 2 names its type (940 or 942), and text after
// "{4:" is the first line of the message.
func (fz *fielder) blocks(t string, n int) {
	for strings.HasPrefix(t, "{") {
		colon := strings.IndexByte(t, ':')
		if colon < 0 {
			return
		}

		id := t[1:colon]
		if id == "4" {
			fz.inMsg = true
			if rest := strings.TrimLeft(t[colon+1:], " "); rest != "" {
				fz.classify(rest, n, false)
			}

			return
		}

		end := closeBrace(t)
		body := t[colon+1 : max(colon+1, end)]

		switch id {
		case "1":
			fz.endMessage()
		case "2":
			if len(body) >= 4 && (body[0] == 'I' || body[0] == 'O') {
				fz.s.msgType = body[1:4]
			}
		}

		if end < 0 {
			return
		}

		t = strings.TrimLeft(t[end+1:], " ")
	}
}

// closeBrace returns the index of the brace closing the block that t starts
// with, or -1.
func closeBrace(t string) int {
	depth := 0

	for i := 0; i < len(t); i++ {
		switch t[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}

	return -1
}

// finish ends the input: held lines are settled and the last message closed.
func (fz *fielder) finish() {
	if fz.prefix != nil {
		p := *fz.prefix
		fz.prefix = nil
		fz.classify(p.text, p.n, false)
	}

	fz.decideLazy(true)
	fz.endMessage()
}
