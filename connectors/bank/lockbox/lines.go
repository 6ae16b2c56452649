package lockbox

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// physical is one physical line (or, in a blocked file, one record) as read.
type physical struct {
	text    string // decoded to UTF-8, line ending removed
	line    int    // 1-based line number (record number in a blocked file)
	tooLong bool   // the line exceeded MaxLineLen; text holds its start
}

// lineReader splits a stream into lines ending in LF, CRLF or CR, or, when the
// file has no line breaks at all, into fixed-width records of blockLen bytes.
// It holds at most MaxLineLen bytes of a line.
type lineReader struct {
	br       *bufio.Reader
	buf      []byte
	line     int
	blockLen int // >0: a blocked file, records of blockLen bytes back to back

	bom, utf8Seen, cp1252, latin1 bool
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// blockWindow is how much of a file's start is examined for line breaks.
const blockWindow = 4096

func newLineReader(r io.Reader) (*lineReader, error) {
	l := &lineReader{br: bufio.NewReaderSize(r, 64<<10)}

	head, err := l.br.Peek(len(utf8BOM))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}

	if bytes.Equal(head, utf8BOM) {
		l.bom = true
		_, _ = l.br.Discard(len(utf8BOM))
	}

	head, err = l.br.Peek(blockWindow)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}

	// A fixed-width file without a single line break in its first records is
	// blocked: records of one length written back to back.
	if bytes.IndexAny(head, "\r\n") < 0 {
		l.blockLen = blockSize(charShadow(head), true)
	}

	return l, nil
}

// charShadow maps the characters of b to one byte each (see oneBytePerChar):
// b's characters as UTF-8 when b is UTF-8 (but for a character cut at its
// end), else one character per byte.
func charShadow(b []byte) string {
	for cut := 0; cut < utf8.UTFMax && cut < len(b); cut++ {
		if utf8.Valid(b[:len(b)-cut]) {
			return oneBytePerChar([]rune(string(b[:len(b)-cut])))
		}
	}

	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = min(c, 0x7f)
	}

	return string(out)
}

// encoding names the encoding of what was read: ISO-8859-1 or Windows-1252 when
// a line was not UTF-8, else UTF-8 with or without BOM, else ASCII.
func (l *lineReader) encoding() string {
	switch {
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

// next returns the next line, or io.EOF after the last one.
func (l *lineReader) next() (physical, error) {
	if l.blockLen > 0 {
		return l.nextBlock()
	}

	l.buf = l.buf[:0]
	tooLong := false
	read := false

	for {
		chunk, err := l.br.Peek(max(l.br.Buffered(), 1))
		if len(chunk) == 0 {
			if err == nil || errors.Is(err, bufio.ErrBufferFull) {
				continue
			}

			if errors.Is(err, io.EOF) && read {
				return l.finish(tooLong), nil
			}

			return physical{}, err
		}

		read = true
		end := bytes.IndexByte(chunk, '\n')
		seg := chunk
		if end >= 0 {
			seg = chunk[:end]
		}

		if cr := bytes.IndexByte(seg, '\r'); cr >= 0 {
			end, seg = cr, chunk[:cr]
		}

		tooLong = l.keep(seg) || tooLong

		if end < 0 {
			_, _ = l.br.Discard(len(chunk))
			continue
		}

		term := chunk[end]
		_, _ = l.br.Discard(end + 1)

		if term == '\r' {
			if nx, err := l.br.Peek(1); err == nil && nx[0] == '\n' {
				_, _ = l.br.Discard(1)
			}
		}

		return l.finish(tooLong), nil
	}
}

// keep appends seg to the line buffer up to MaxLineLen and reports whether
// anything was left out.
func (l *lineReader) keep(seg []byte) bool {
	room := MaxLineLen - len(l.buf)
	if len(seg) <= room {
		l.buf = append(l.buf, seg...)
		return false
	}

	l.buf = append(l.buf, seg[:max(room, 0)]...)

	return true
}

func (l *lineReader) finish(tooLong bool) physical {
	l.line++

	return physical{text: l.decode(l.buf), line: l.line, tooLong: tooLong}
}

// nextBlock reads one record of a blocked file: blockLen characters, which
// are more bytes than that when the file is UTF-8 with multi-byte characters.
// Line breaks or blanks at the end of the file are dropped.
func (l *lineReader) nextBlock() (physical, error) {
	size := l.blockLen

	for {
		b, err := l.br.Peek(size)
		if len(b) == 0 {
			if err == nil || errors.Is(err, bufio.ErrBufferFull) {
				err = io.EOF
			}

			return physical{}, err
		}

		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
			return physical{}, err
		}

		end, missing := charsEnd(b, l.blockLen)
		if missing > 0 && len(b) == size && size+missing <= 4*l.blockLen {
			size += missing
			continue
		}

		rec := b[:end]
		l.line++
		p := physical{text: l.decode(bytes.TrimRight(rec, "\r\n")), line: l.line}
		_, _ = l.br.Discard(end)

		return p, nil
	}
}

// charsEnd returns the byte length of the first n characters of b read as
// UTF-8, and how many bytes at least are missing when b holds fewer. A byte
// that is not UTF-8 makes every byte one character.
func charsEnd(b []byte, n int) (end, missing int) {
	i, chars := 0, 0

	for i < len(b) && chars < n {
		if b[i] < utf8.RuneSelf {
			i++
			chars++

			continue
		}

		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			if !utf8.FullRune(b[i:]) {
				return len(b), n - chars
			}

			return min(n, len(b)), 0
		}

		i += size
		chars++
	}

	if chars < n {
		return i, n - chars
	}

	return i, 0
}

// decode returns raw as UTF-8: as is when it is ASCII or valid UTF-8, else
// read as Windows-1252, or as ISO-8859-1 when it holds a byte Windows-1252
// leaves undefined. Both keep one character per byte, so columns stay right.
func (l *lineReader) decode(raw []byte) string {
	ascii := true
	for _, c := range raw {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}

	if ascii {
		return string(raw)
	}

	if utf8.Valid(raw) {
		l.utf8Seen = true
		return string(raw)
	}

	cm := charmap.Windows1252
	for _, c := range raw {
		switch c {
		case 0x81, 0x8d, 0x8f, 0x90, 0x9d:
			cm = charmap.ISO8859_1
		}
	}

	if cm == charmap.ISO8859_1 {
		l.latin1 = true
	} else {
		l.cp1252 = true
	}

	var b strings.Builder
	b.Grow(len(raw) * 2)

	for _, c := range raw {
		b.WriteRune(cm.DecodeByte(c))
	}

	return b.String()
}

// recordTypes are the record type codes of a BAI lockbox transmission.
const recordTypes = "1245 6789"

func isRecordType(c byte) bool {
	return c != ' ' && strings.IndexByte(recordTypes, c) >= 0
}

// blockSizes are the record lengths tried on records written back to back:
// the common BAI ones first.
var blockSizes = []int{80, 104, 160, 94, 100, 120, 128, 132, 150, 200, 250, 256}

// blockSize returns the record length n at which s (one byte per character)
// splits into two or more records that all start with a record type code, or
// 0. With header set, s must start with a BAI immediate address header ("1"
// and a numeric priority code). A partial last record is allowed.
func blockSize(s string, header bool) int {
	if len(s) < 3 || (header && (s[0] != '1' || !isDigit(s[1]) || !isDigit(s[2]))) {
		return 0
	}

	for _, n := range blockSizes {
		if len(s) <= n {
			continue
		}

		ok := true
		for k := 0; k < len(s); k += n {
			if !isRecordType(s[k]) {
				ok = false
				break
			}
		}

		if ok {
			return n
		}
	}

	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
