package bai2

import "bytes"

// Record codes of BAI2.
const (
	recFileHeader     = 1
	recGroupHeader    = 2
	recAccount        = 3
	recDetail         = 16
	recAccountTrailer = 49
	recContinuation   = 88
	recGroupTrailer   = 98
	recFileTrailer    = 99
)

// maxRecord is the longest logical record kept; a longer one rejects the file.
const maxRecord = 1 << 20

// tokenizer turns decoded physical lines into logical records: the text after
// the record code and its comma, without the terminating '/'. Physical lines
// that continue a record are kept in its text behind a '\n'.
type tokenizer struct {
	open       bool
	code       int
	line       int
	buf        []byte
	terminated bool // the '/' that ended the record was already removed
	over       bool // the record grew past maxRecord
	contLines  int  // physical lines read as the continuation of a record

	// record receives each logical record; ended says that a '/' closed it.
	record func(code, line int, text []byte, over, ended bool)
	stray  func(line int, text []byte)
}

// feed takes one chunk of a physical line. glued says that it continues the
// previous chunk on the same line (a line longer than maxLine, cut at a '/').
func (t *tokenizer) feed(b []byte, line int, glued bool) {
	if glued && t.open {
		j := skipBlanks(b, 0)
		if n := len(t.buf); n > 0 && t.buf[n-1] == '/' {
			if code := recordStart(b[j:]); code != 0 {
				t.buf = t.buf[:n-1]
				t.terminated = true
				t.begin(code, line, b[j+3:])

				return
			}
		}

		t.add(b, line)

		return
	}

	// A byte order mark inside the input: files with one each, concatenated.
	b = bytes.TrimPrefix(b, utf8BOM)

	j := skipBlanks(b, 0)
	if j == len(b) {
		return
	}

	if code := lineStart(b[j:]); code != 0 {
		t.begin(code, line, b[j+3:])
		return
	}

	if !t.open || t.closed() {
		t.stray(line, b)
		return
	}

	t.contLines++
	t.append([]byte{'\n'})
	t.add(b, line)
}

// closed reports an open record that cannot take a physical continuation
// line: one without free text (not a 16 or 88) that already ended with its '/'.
func (t *tokenizer) closed() bool {
	if t.code == recDetail || t.code == recContinuation {
		return false
	}

	text := bytes.TrimRight(t.buf, " \t")

	return len(text) > 0 && text[len(text)-1] == '/'
}

// begin ends the open record and starts a new one with text.
func (t *tokenizer) begin(code, line int, text []byte) {
	t.flush()

	t.open, t.code, t.line = true, code, line
	t.buf, t.terminated, t.over = t.buf[:0], false, false
	t.add(text, line)
}

// add appends a piece of the current record, splitting it where a '/' is
// followed, on the same line, by the start of another record.
func (t *tokenizer) add(seg []byte, line int) {
	for {
		k := bytes.IndexByte(seg, '/')
		if k < 0 {
			t.append(seg)
			return
		}

		if j := skipBlanks(seg, k+1); j < len(seg) {
			if code := recordStart(seg[j:]); code != 0 {
				t.append(seg[:k])
				t.terminated = true
				t.begin(code, line, seg[j+3:])

				return
			}
		}

		t.append(seg[:k+1])
		seg = seg[k+1:]
	}
}

func (t *tokenizer) append(b []byte) {
	if t.over {
		return
	}

	if len(t.buf)+len(b) > maxRecord {
		t.over = true
		return
	}

	t.buf = append(t.buf, b...)
}

// flush hands the open record over: trailing blanks and one terminating '/'
// removed.
func (t *tokenizer) flush() {
	if !t.open {
		return
	}

	t.open = false
	text := bytes.TrimRight(t.buf, " \t\n")
	ended := t.terminated

	if !t.terminated && len(text) > 0 && text[len(text)-1] == '/' {
		text = text[:len(text)-1]
		ended = true
	}

	t.record(t.code, t.line, text, t.over, ended)
}

func skipBlanks(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}

	return i
}

// lineStart returns the record code a physical line starts with: two digits
// naming a BAI2 record, then a comma. Anything else (0) continues the record
// before it.
func lineStart(b []byte) int {
	if len(b) < 3 || b[2] != ',' || !isDigit(b[0]) || !isDigit(b[1]) {
		return 0
	}

	switch code := int(b[0]-'0')*10 + int(b[1]-'0'); code {
	case recFileHeader, recGroupHeader, recAccount, recDetail, recAccountTrailer,
		recContinuation, recGroupTrailer, recFileTrailer:
		return code
	}

	return 0
}

// recordStart returns the code of a record that starts at b right after a
// '/' on the same line, or 0. Text after a '/' can look like a record code
// ("PAID 1/16, 2/16", "DATED 12/03,2025"), so the first fields must have the
// shape of that record too.
func recordStart(b []byte) int {
	code := lineStart(b)
	rest := b[min(3, len(b)):]
	f, n := leading(rest)

	ok := false

	switch code {
	case recFileHeader: // sender, receiver, creation date
		ok = n == 3 && len(f[2]) == 6 && allDigits(f[2])
	case recGroupHeader: // receiver, originator, group status
		ok = n == 3 && len(f[2]) == 1 && allDigits(f[2])
	case recAccount: // account number, currency, then a delimiter
		ok = n >= 2 && len(f[0]) > 0 && (len(f[1]) == 0 || len(f[1]) == 3 && allLetters(f[1])) &&
			delimitedAt(rest, len(f[0])+1+len(f[1]))
	case recDetail: // type code, amount, then a delimiter
		ok = n >= 2 && len(f[0]) == 3 && allDigits(f[0]) && signedDigits(f[1], true) &&
			delimitedAt(rest, 4+len(f[1]))
	case recAccountTrailer: // control total, number of records
		ok = n >= 2 && signedDigits(f[0], false) && len(f[1]) > 0 && allDigits(f[1])
	case recGroupTrailer, recFileTrailer: // control total, two counts
		ok = n == 3 && signedDigits(f[0], false) && len(f[1]) > 0 && allDigits(f[1]) &&
			len(f[2]) > 0 && allDigits(f[2])
	case recContinuation:
		ok = len(rest) > 0 && rest[0] != ' '
	}

	if !ok {
		return 0
	}

	return code
}

// leading returns up to three comma-separated fields at the start of b and
// how many it found; the last one ends at a comma, a '/', a blank or the end
// of b.
func leading(b []byte) ([3][]byte, int) {
	var out [3][]byte

	for n := 0; n < len(out); n++ {
		i := bytes.IndexAny(b, ",/ ")
		if i < 0 {
			out[n] = b
			return out, n + 1
		}

		out[n] = b[:i]
		if b[i] != ',' {
			return out, n + 1
		}

		b = b[i+1:]
	}

	return out, len(out)
}

// delimitedAt reports a ',' or '/' at b[i].
func delimitedAt(b []byte, i int) bool {
	return i < len(b) && (b[i] == ',' || b[i] == '/')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}

	return true
}

func allLetters(b []byte) bool {
	for _, c := range b {
		if (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') {
			return false
		}
	}

	return true
}

// signedDigits reports an optional sign followed by digits (none if empty is
// allowed).
func signedDigits(b []byte, empty bool) bool {
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		b = b[1:]
	}

	if len(b) == 0 {
		return empty
	}

	return allDigits(b)
}
