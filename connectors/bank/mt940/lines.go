package mt940

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// maxLine is the longest physical line read. SWIFT lines hold 65 characters
// and bank exports a few hundred; a longer line is reported and cut.
const maxLine = 8 << 10

// lineReader splits a byte stream into physical lines ending in LF, CRLF or a
// lone CR, and decodes each to UTF-8 without control characters.
type lineReader struct {
	sc       *bufio.Scanner
	n        int  // physical line number of the last line read
	cut      bool // the last line was longer than maxLine and cut
	skipping bool // the rest of an over-long line is being skipped

	charset *charmap.Charmap // profile charset for non-UTF-8 lines, or nil
	csName  string

	bom, utf8Seen, cp1252, latin1, custom bool
	utf16                                 bool // the input starts with a UTF-16 BOM
	firstBad                              int  // first line not valid UTF-8
}

func newLineReader(r io.Reader, cs *charmap.Charmap, csName string) *lineReader {
	lr := &lineReader{charset: cs, csName: csName}
	lr.sc = bufio.NewScanner(r)
	lr.sc.Buffer(make([]byte, 0, 64<<10), 4*maxLine)
	lr.sc.Split(lr.split)

	return lr
}

// next returns the next decoded line, or false at the end of the input (the
// error, if any, is in err).
func (lr *lineReader) next() (string, bool) {
	if !lr.sc.Scan() {
		return "", false
	}

	lr.n++
	raw := lr.sc.Bytes()

	if lr.n == 1 {
		switch {
		case bytes.HasPrefix(raw, []byte{0xEF, 0xBB, 0xBF}):
			lr.bom = true
			raw = raw[3:]
		case bytes.HasPrefix(raw, []byte{0xFF, 0xFE}), bytes.HasPrefix(raw, []byte{0xFE, 0xFF}):
			lr.utf16 = true
		}
	}

	return lr.decode(raw), true
}

func (lr *lineReader) err() error {
	return lr.sc.Err()
}

// split is a bufio.SplitFunc for LF, CRLF and CR line ends that cuts lines at
// maxLine and skips the rest of them.
func (lr *lineReader) split(data []byte, atEOF bool) (int, []byte, error) {
	if atEOF && len(data) == 0 {
		return 0, nil, nil
	}

	i := bytes.IndexAny(data, "\r\n")
	if lr.skipping {
		if i < 0 {
			return len(data), nil, nil
		}

		adv, ok := lineEnd(data, i, atEOF)
		if !ok {
			return i, nil, nil
		}

		lr.skipping = false

		return adv, nil, nil
	}

	switch {
	case i >= 0 && i <= maxLine:
		adv, ok := lineEnd(data, i, atEOF)
		if !ok {
			return 0, nil, nil // a CR at the end of the buffer: is an LF next?
		}

		lr.cut = false

		return adv, data[:i], nil
	case i < 0 && len(data) <= maxLine:
		if !atEOF {
			return 0, nil, nil
		}

		lr.cut = false

		return len(data), data, nil
	default:
		lr.cut, lr.skipping = true, true
		return maxLine, data[:maxLine], nil
	}
}

// lineEnd returns how far to advance past the line end at data[i], or false
// when a CR ends the buffer and more input may hold its LF.
func lineEnd(data []byte, i int, atEOF bool) (int, bool) {
	if data[i] == '\n' {
		return i + 1, true
	}

	if i+1 < len(data) {
		if data[i+1] == '\n' {
			return i + 2, true
		}

		return i + 1, true
	}

	return i + 1, atEOF
}

// decode returns raw as UTF-8 with control characters (C0, DEL, C1) replaced
// by spaces and trailing blanks removed.
func (lr *lineReader) decode(raw []byte) string {
	ascii := true
	for _, c := range raw {
		if c >= utf8.RuneSelf || c < 0x20 || c == 0x7f {
			ascii = false
			break
		}
	}

	if ascii {
		return string(bytes.TrimRight(raw, " "))
	}

	var text string

	switch {
	case utf8.Valid(raw):
		text = string(raw)
		if !isASCII(raw) {
			lr.utf8Seen = true
		}
	default:
		if lr.firstBad == 0 {
			lr.firstBad = lr.n
		}

		text = lr.single(raw)
	}

	return strings.TrimRight(strings.Map(clean, text), " ")
}

// single decodes a line in a single-byte charset: the profile's, else
// Windows-1252, else ISO-8859-1 for bytes Windows-1252 leaves undefined.
func (lr *lineReader) single(raw []byte) string {
	cm := lr.charset
	switch {
	case cm != nil:
		lr.custom = true
	case cp1252Undefined(raw):
		cm, lr.latin1 = charmap.ISO8859_1, true
	default:
		cm, lr.cp1252 = charmap.Windows1252, true
	}

	var b strings.Builder
	b.Grow(len(raw) * 2)

	for _, c := range raw {
		b.WriteRune(cm.DecodeByte(c))
	}

	return b.String()
}

// cp1252Undefined reports bytes that Windows-1252 leaves undefined.
func cp1252Undefined(raw []byte) bool {
	for _, c := range raw {
		switch c {
		case 0x81, 0x8d, 0x8f, 0x90, 0x9d:
			return true
		}
	}

	return false
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}

	return true
}

// clean maps control characters to a space.
func clean(r rune) rune {
	if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
		return ' '
	}

	return r
}

// encoding names what the lines were read as.
func (lr *lineReader) encoding() string {
	switch {
	case lr.custom:
		return lr.csName
	case lr.latin1:
		return "iso-8859-1"
	case lr.cp1252:
		return "windows-1252"
	case lr.bom:
		return "utf-8-bom"
	case lr.utf8Seen:
		return "utf-8"
	default:
		return "ascii"
	}
}
