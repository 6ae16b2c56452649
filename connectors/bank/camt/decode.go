package camt

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// errFileTooLarge stops a read past MaxSize bytes.
var errFileTooLarge = errors.New("file too large")

// readError is a failure of the reader the document comes from: not a problem
// of the document, so it is returned as is rather than rejecting the file.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// decodeError is a failure to decode the document from its declared charset.
type decodeError struct{ msg string }

func (e *decodeError) Error() string { return e.msg }

// source counts the raw bytes read, refuses more than limit and marks the
// errors of the underlying reader as readErrors.
type source struct {
	r     io.Reader
	n     int64
	limit int64
}

func (s *source) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.n += int64(n)

	switch {
	case s.n > s.limit:
		return n, errFileTooLarge
	case err != nil && !errors.Is(err, io.EOF):
		return n, &readError{err: err}
	}

	return n, err
}

// text is the document decoded to UTF-8 as a stream, with what File.Encoding
// will say once it is read to its end.
type text struct {
	io.Reader
	label string    // encoding from the byte-order mark or the declaration
	fb    *fallback // the UTF-8-or-Windows-1252 decoder, nil for declared charsets
}

// encoding returns File.Encoding: for an undeclared or UTF-8 document it
// depends on what was read ("ascii", "utf-8", "utf-8-bom", "windows-1252").
func (t *text) encoding() string {
	if t.fb == nil {
		return t.label
	}

	switch {
	case t.fb.fellBack:
		return "windows-1252"
	case t.label == "utf-8-bom":
		return t.label
	case t.fb.nonASCII:
		return "utf-8"
	}

	return "ascii"
}

// decodeText returns the document on r as UTF-8. The encoding comes from a
// byte-order mark or the XML declaration; an undeclared or UTF-8 document is
// read line by line, and a line that is not valid UTF-8 is read as
// Windows-1252 (see fallback).
func decodeText(r io.Reader) (*text, error) {
	br := bufio.NewReaderSize(r, 64<<10)

	head, err := br.Peek(200)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}

	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		if _, err := br.Discard(3); err != nil {
			return nil, err
		}

		fb := newFallback(br)

		return &text{Reader: fb, label: "utf-8-bom", fb: fb}, nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		dec := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()

		return &text{Reader: decoding(br, dec, "utf-16"), label: "utf-16"}, nil
	}

	label := declaredEncoding(head)
	switch label {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		fb := newFallback(br)

		return &text{Reader: fb, fb: fb}, nil
	}

	enc, err := ianaindex.IANA.Encoding(label)
	if err != nil || enc == nil {
		return nil, &decodeError{msg: fmt.Sprintf("declared encoding %q is not supported", label)}
	}

	return &text{Reader: decoding(br, enc.NewDecoder(), label), label: encodingName(label, enc)},
		nil
}

// decoding reads r through the charset decoder dec; its failures are
// decodeErrors, the failures of r pass unchanged.
func decoding(r io.Reader, dec *encoding.Decoder, label string) io.Reader {
	return &decoded{r: transform.NewReader(&passErrors{r: r}, dec), label: label}
}

// passErrors marks the errors of the raw reader so that decoded can tell them
// from the decoder's own.
type passErrors struct{ r io.Reader }

type rawError struct{ err error }

func (e *rawError) Error() string { return e.err.Error() }

func (p *passErrors) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if err != nil && !errors.Is(err, io.EOF) {
		return n, &rawError{err: err}
	}

	return n, err
}

type decoded struct {
	r     io.Reader
	label string
}

func (d *decoded) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)

	var raw *rawError

	switch {
	case err == nil, errors.Is(err, io.EOF):
	case errors.As(err, &raw):
		err = raw.err
	default:
		err = &decodeError{msg: fmt.Sprintf("decode %s: %v", d.label, err)}
	}

	return n, err
}

func encodingName(label string, enc encoding.Encoding) string {
	switch enc {
	case charmap.ISO8859_1:
		return "iso-8859-1"
	case charmap.Windows1252:
		return "windows-1252"
	}

	return label
}

// declaredEncoding returns the lower-case encoding label of the XML
// declaration, or "" when there is none.
func declaredEncoding(data []byte) string {
	head := data[:min(len(data), 200)]
	if !bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n"), []byte("<?xml")) {
		return ""
	}

	end := bytes.Index(head, []byte("?>"))
	if end < 0 {
		return ""
	}

	decl := string(head[:end])

	i := strings.Index(decl, "encoding")
	if i < 0 {
		return ""
	}

	rest := strings.TrimLeft(decl[i+len("encoding"):], " \t\r\n")
	if !strings.HasPrefix(rest, "=") {
		return ""
	}

	rest = strings.TrimLeft(rest[1:], " \t\r\n")
	if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
		return ""
	}

	q := rest[0]

	j := strings.IndexByte(rest[1:], q)
	if j < 0 {
		return ""
	}

	return strings.ToLower(strings.TrimSpace(rest[1 : 1+j]))
}

// maxLine is how much of a line without a line break fallback decides on at
// once: longer runs are cut at a character boundary.
const maxLine = 1 << 20

// fallback decodes a document that is declared UTF-8, or not declared at all,
// one line at a time: a line that is valid UTF-8 passes as it is, any other
// line is read as Windows-1252, and the first such line is reported. Files
// from banks that write Latin-1 without saying so are read rather than
// refused, and one stray line does not garble the rest of a UTF-8 file.
type fallback struct {
	r        io.Reader
	in       []byte // bytes read; in[done:] are not decoded yet
	done     int
	out      []byte // decoded bytes not yet handed out
	eof      bool
	err      error
	lines    int  // line breaks decoded before the first fallback
	nonASCII bool // a byte above 0x7F was seen
	fellBack bool
	warnLine int // 1-based line of the first line read as Windows-1252
}

func newFallback(r io.Reader) *fallback {
	return &fallback{r: r, in: make([]byte, 0, 64<<10)}
}

func (f *fallback) Read(p []byte) (int, error) {
	for len(f.out) == 0 {
		if f.err != nil {
			return 0, f.err
		}

		f.fill()
	}

	n := copy(p, f.out)
	f.out = f.out[n:]

	return n, nil
}

// fill reads more and decodes the complete lines read so far.
func (f *fallback) fill() {
	// The previous output aliases in; it was handed out in full.
	rest := len(f.in) - f.done
	copy(f.in, f.in[f.done:])
	f.in, f.done = f.in[:rest], 0

	// Read up to a line break (or maxLine, or the end), looking for one only
	// in what is new: long lines cost no rereading.
	end := 0
	for end == 0 && !f.eof {
		if cap(f.in)-len(f.in) < 4<<10 {
			f.in = append(f.in, make([]byte, len(f.in))...)[:len(f.in)]
		}

		from := len(f.in)

		n, err := f.r.Read(f.in[from:cap(f.in)])
		f.in = f.in[:from+n]

		switch {
		case errors.Is(err, io.EOF):
			f.eof = true
		case err != nil:
			f.err = err
			return
		}

		if i := bytes.LastIndexByte(f.in[from:], '\n'); i >= 0 {
			end = from + i + 1
		} else if len(f.in) >= maxLine {
			end = runeStart(f.in)
		}
	}

	if f.eof {
		end = len(f.in)
	}

	f.out, f.done = f.decode(f.in[:end]), end
	if f.eof && end == len(f.in) && len(f.out) == 0 {
		f.err = io.EOF
	}
}

// runeStart returns the length of b without a trailing incomplete UTF-8
// sequence.
func runeStart(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if utf8.FullRune(b[i:]) {
				return len(b)
			}

			return i
		}
	}

	return len(b)
}

// decode returns the lines of b as UTF-8. The result aliases b unless a line
// had to be converted.
func (f *fallback) decode(b []byte) []byte {
	if isASCII(b) {
		f.countLines(b)
		return b
	}

	f.nonASCII = true
	if utf8.Valid(b) {
		f.countLines(b)
		return b
	}

	var out []byte

	for len(b) > 0 {
		n := bytes.IndexByte(b, '\n') + 1
		if n == 0 {
			n = len(b)
		}

		line := b[:n]
		b = b[n:]

		if utf8.Valid(line) {
			f.countLines(line)
			out = append(out, line...)

			continue
		}

		if !f.fellBack {
			f.fellBack, f.warnLine = true, f.lines+1
		}

		conv, err := charmap.Windows1252.NewDecoder().Bytes(line)
		if err != nil {
			conv = line
		}

		out = append(out, conv...)
	}

	return out
}

func (f *fallback) countLines(b []byte) {
	if !f.fellBack {
		f.lines += bytes.Count(b, []byte{'\n'})
	}
}

// isASCII reports whether b holds only 7-bit bytes, eight at a time.
func isASCII(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&0x8080808080808080 != 0 {
			return false
		}

		b = b[8:]
	}

	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}

	return true
}
