package bai2

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// maxLine is the longest stretch of a physical line read at once. A longer line
// (a file without line breaks) is cut after its last '/' within the stretch;
// a stretch without any '/' is absurd for BAI2 and rejects the file.
const maxLine = 64 << 10

// errLineTooLong reports maxLine bytes without a line break or a '/'.
var errLineTooLong = errors.New("line too long")

// lines cuts the input into physical lines and decodes each to UTF-8.
type lines struct {
	sc      *bufio.Scanner
	cut     bool // the last chunk ended at a '/' cut, not at a line break
	glued   bool // the current chunk continues the previous one on the same line
	line    int  // 1-based number of the current physical line
	scratch []byte

	bom, utf16, utf8Seen, cp1252, latin1, controls bool
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// newLines prepares r for reading: it notes and strips a UTF-8 byte order mark
// and decodes UTF-16 (with its byte order mark) on the fly.
func newLines(r io.Reader) *lines {
	br := bufio.NewReaderSize(r, 64<<10)
	l := &lines{}

	var src io.Reader = br
	head, _ := br.Peek(3)

	switch {
	case bytes.HasPrefix(head, utf8BOM):
		l.bom = true
		_, _ = br.Discard(3)
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		l.utf16 = true
		dec := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()
		src = transform.NewReader(br, dec)
	}

	l.sc = bufio.NewScanner(src)
	l.sc.Buffer(make([]byte, 0, 64<<10), maxLine+2)
	l.sc.Split(l.split)

	return l
}

// split is the bufio.SplitFunc: one physical line without its line end (LF,
// CRLF or a lone CR), or a chunk of an over-long line ending in '/'.
func (l *lines) split(data []byte, atEOF bool) (int, []byte, error) {
	if atEOF && len(data) == 0 {
		return 0, nil, nil
	}

	limit := min(len(data), maxLine)
	i := bytes.IndexByte(data[:limit], '\n')

	scan := data[:limit]
	if i >= 0 {
		scan = data[:i]
	}

	if j := bytes.IndexByte(scan, '\r'); j >= 0 {
		switch {
		case j+1 < len(data):
			if data[j+1] == '\n' {
				return l.token(j+2, data[:j], false)
			}

			return l.token(j+1, data[:j], false)
		case !atEOF:
			return 0, nil, nil // a '\n' may follow
		default:
			return l.token(j+1, data[:j], false)
		}
	}

	if i >= 0 {
		return l.token(i+1, data[:i], false)
	}

	if len(data) >= maxLine {
		cut := bytes.LastIndexByte(data[:maxLine], '/')
		if cut < 0 {
			return 0, nil, errLineTooLong
		}

		return l.token(cut+1, data[:cut+1], true)
	}

	if atEOF {
		return l.token(len(data), data, false)
	}

	return 0, nil, nil
}

func (l *lines) token(advance int, tok []byte, cut bool) (int, []byte, error) {
	l.glued = l.cut
	l.cut = cut

	return advance, tok, nil
}

// next returns the next chunk of decoded text, whether it continues the
// previous chunk on the same physical line, and false at the end of input.
// The text is valid until the next call.
func (l *lines) next() ([]byte, bool, bool) {
	if !l.sc.Scan() {
		return nil, false, false
	}

	if !l.glued {
		l.line++
	}

	return l.decode(l.sc.Bytes()), l.glued, true
}

// err returns the read error, if any, after next returned false.
func (l *lines) err() error {
	return l.sc.Err()
}

// encoding names what the input was read as.
func (l *lines) encoding() string {
	switch {
	case l.utf16:
		return "utf-16"
	case l.latin1:
		return "iso-8859-1"
	case l.cp1252:
		return "windows-1252"
	case l.bom:
		return "utf-8-bom"
	case l.utf8Seen:
		return "utf-8"
	default:
		return "ascii"
	}
}

// decode returns the line as UTF-8: ASCII and valid UTF-8 as they are,
// anything else as Windows-1252, or ISO-8859-1 when the line holds a byte
// Windows-1252 leaves undefined. Control characters (NUL, SUB, form feeds...)
// become blanks. The result is raw itself or the scratch buffer.
func (l *lines) decode(raw []byte) []byte {
	ascii, ctl := true, false

	for _, c := range raw {
		if c >= utf8.RuneSelf {
			ascii = false
		} else if c < 0x20 && c != '\t' || c == 0x7f {
			ctl = true
		}
	}

	if ascii && !ctl {
		return raw
	}

	out := l.scratch[:0]

	switch {
	case ascii || utf8.Valid(raw):
		l.utf8Seen = l.utf8Seen || !ascii
		out = append(out, raw...)
	default:
		cm := charmap.Windows1252
		if undefinedIn1252(raw) {
			cm = charmap.ISO8859_1
			l.latin1 = true
		} else {
			l.cp1252 = true
		}

		for _, c := range raw {
			out = utf8.AppendRune(out, cm.DecodeByte(c))
		}
	}

	if ctl {
		l.controls = true

		for i, c := range out {
			if c < 0x20 && c != '\t' || c == 0x7f {
				out[i] = ' '
			}
		}
	}

	l.scratch = out

	return out
}

// undefinedIn1252 reports a byte that Windows-1252 leaves undefined, which
// makes ISO-8859-1 the better guess for the line.
func undefinedIn1252(raw []byte) bool {
	for _, c := range raw {
		switch c {
		case 0x81, 0x8d, 0x8f, 0x90, 0x9d:
			return true
		}
	}

	return false
}
