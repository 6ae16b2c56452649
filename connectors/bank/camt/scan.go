package camt

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Limits of the token stream: the scanner's first window, and the longest
// token (a tag, a text, a comment, a declaration) either reader accepts.
const (
	window   = 256 << 10
	maxToken = 1 << 20
)

// errTokenTooLarge rejects a token longer than maxToken: no bank file needs
// one, and neither reader may hold an unbounded one in memory.
var errTokenTooLarge = fmt.Errorf("a tag or text longer than %d bytes", maxToken)

// errSlowPath tells the stream that the scanner met something outside its
// subset: encoding/xml reads on from the token where it stopped.
var errSlowPath = errors.New("document needs the full xml decoder")

// errMore tells scanner.next that the window ends inside the token.
var errMore = errors.New("token continues past the window")

// plainXML reports whether the scanner can read text: valid UTF-8 without
// carriage returns, control characters, U+FFFE or U+FFFF, and without
// declarations, CDATA sections, character references or "]]>". Anything else
// goes to encoding/xml, which also reports the errors.
func plainXML(text []byte) bool {
	return utf8.Valid(text) && plainChunk(text, 0)
}

// plainChunk is plainXML for b[from:], which follows b[:from]: the byte
// pairs and sequences it looks for may start in the two bytes before from.
// Validity is not checked: the scanner reads decoded text, valid UTF-8.
func plainChunk(b []byte, from int) bool {
	if controls(b[from:]) {
		return false
	}

	b = b[max(0, from-2):]

	return !hasPair(b, '<', '!') && !hasPair(b, '&', '#') && !bytes.Contains(b, []byte("]]>")) &&
		!bytes.Contains(b, []byte("\uFFFE")) && !bytes.Contains(b, []byte("\uFFFF"))
}

// controls reports a control character other than tab and line feed. It
// looks at eight bytes at a time and at single bytes only in the words that
// hold one below 0x20, which in a bank file are mostly the line feeds.
func controls(b []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080

	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		if (x-0x20*ones)&^x&highs != 0 && controls1(b[:8]) {
			return true
		}

		b = b[8:]
	}

	return controls1(b)
}

func controls1(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' {
			return true
		}
	}

	return false
}

// hasPair reports whether text holds a followed by b. It looks for b, which is
// rare in bank files, where bytes.Contains would stop at every common a.
func hasPair(text []byte, a, b byte) bool {
	for i := 1; i < len(text); {
		j := bytes.IndexByte(text[i:], b)
		if j < 0 {
			return false
		}

		if text[i+j-1] == a {
			return true
		}

		i += j + 1
	}

	return false
}

// scanner tokenizes plain XML (see plainXML) to the same tokens as
// xml.Decoder.Token, names reduced to what the reader uses, from a window
// over the text that slides as tokens are read. It returns errSlowPath for
// anything else, errors included, and leaves its position at the start of
// that token. Tokens are valid until the next call: their text and
// attributes reuse the scanner's buffers.
type scanner struct {
	src     io.Reader
	buf     []byte // the window; buf[pos:] is not read yet
	pos     int
	base    int64 // offset of buf[0] in the text
	eof     bool  // src is read to its end: buf holds all that is left
	lineOff int   // lines are counted up to buf[lineOff]
	lineNo  int   // the line of buf[lineOff]
	stack   []open
	names   map[string]string // interned names and attribute values
	attrs   []xml.Attr
	text    []byte
	t       tok    // the token next returns
	pending bool   // an empty element's end is due
	endName string // its local name
}

// open is an element whose end tag is due: its raw and its local name.
type open struct {
	raw   string
	local string
}

func newScanner(src io.Reader) *scanner {
	return &scanner{src: src, buf: make([]byte, 0, window), lineNo: 1,
		names: make(map[string]string)}
}

// line returns the line of the next byte to read.
func (s *scanner) line() int {
	s.countLines(s.pos)

	return s.lineNo
}

func (s *scanner) countLines(upto int) {
	if upto > s.lineOff {
		s.lineNo += bytes.Count(s.buf[s.lineOff:upto], []byte{'\n'})
		s.lineOff = upto
	}
}

// fill slides the window past the tokens read and reads more of src. The
// token being read, buf[pos:], stays.
func (s *scanner) fill() error {
	s.countLines(s.pos)

	keep := len(s.buf) - s.pos
	if keep >= maxToken {
		return errTokenTooLarge
	}

	if s.pos > 0 {
		copy(s.buf, s.buf[s.pos:])
		s.base += int64(s.pos)
		s.lineOff -= s.pos
		s.buf, s.pos = s.buf[:keep], 0
	}

	if cap(s.buf)-keep < cap(s.buf)/2 {
		grown := make([]byte, keep, 2*cap(s.buf))
		copy(grown, s.buf)
		s.buf = grown
	}

	// Read at least as much as the token already has: a token cut by the
	// window is read again from its start, so this keeps the rereading
	// logarithmic in its length, whatever sizes src reads in. A new token
	// takes what src has, which may be little when it streams.
	need := min(max(1, keep), cap(s.buf)-keep)

	var err error
	for got := 0; got < need && err == nil; {
		var n int
		n, err = s.src.Read(s.buf[keep+got : cap(s.buf)])
		got += n
		s.buf = s.buf[:keep+got]
	}

	switch {
	case errors.Is(err, io.EOF):
		s.eof = true
	case err != nil:
		return err
	}

	if !plainChunk(s.buf, keep) {
		return errSlowPath
	}

	return nil
}

// Token kinds of scanner.next.
const (
	tokStart = iota + 1
	tokEnd
	tokText
	tokProcInst
	tokDirective
)

// tok is one token: boxing it as an xml.Token costs an allocation the
// reader's hot loop does without.
type tok struct {
	kind  int
	name  string // local name of tokStart and tokEnd
	attrs []xml.Attr
	text  []byte // tokText, the instruction of tokProcInst, tokDirective
}

// next returns the next token, io.EOF at the end of a document whose elements
// are all closed, errSlowPath, errTokenTooLarge, or the error of src. The
// token is the scanner's own, valid until the next call.
func (s *scanner) next() (*tok, error) {
	if s.pending {
		s.pending = false
		s.t = tok{kind: tokEnd, name: s.endName}

		return &s.t, nil
	}

	for {
		start := s.pos

		// The sentinels of this file are never wrapped: == is enough, and this
		// runs once per token.
		err := s.token()
		switch err {
		case nil:
			return &s.t, nil
		case errMore:
		case errSlowPath:
			s.pos = start
			return nil, err
		default:
			return nil, err
		}

		s.pos = start
		if err := s.fill(); err != nil {
			return nil, err
		}
	}
}

// short is the error for a token cut by the end of the window: more is to
// come, or the document ends inside the token.
func (s *scanner) short() error {
	if s.eof {
		return errSlowPath
	}

	return errMore
}

func (s *scanner) token() error {
	if s.pos >= len(s.buf) {
		switch {
		case !s.eof:
			return errMore
		case len(s.stack) > 0:
			return errSlowPath
		}

		return io.EOF
	}

	if s.buf[s.pos] != '<' {
		return s.charData()
	}

	if s.pos+1 >= len(s.buf) {
		return s.short()
	}

	switch s.buf[s.pos+1] {
	case '/':
		return s.endTag()
	case '?':
		return s.procInst()
	case '!':
		return errSlowPath
	}

	return s.startTag()
}

// charData reads text up to the next '<', replacing the predefined entities.
func (s *scanner) charData() error {
	rest := s.buf[s.pos:]

	n := bytes.IndexByte(rest, '<')
	if n < 0 {
		if !s.eof {
			return errMore
		}

		n = len(rest)
	}

	raw := rest[:n]
	s.pos += n
	if bytes.IndexByte(raw, '&') < 0 {
		s.t = tok{kind: tokText, text: raw}

		return nil
	}

	out := s.text[:0]
	for len(raw) > 0 {
		i := bytes.IndexByte(raw, '&')
		if i < 0 {
			out = append(out, raw...)
			break
		}

		out = append(out, raw[:i]...)
		raw = raw[i:]
		j := bytes.IndexByte(raw, ';')
		if j < 0 {
			return errSlowPath
		}

		switch string(raw[1:j]) {
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "amp":
			out = append(out, '&')
		case "apos":
			out = append(out, '\'')
		case "quot":
			out = append(out, '"')
		default:
			return errSlowPath
		}

		raw = raw[j+1:]
	}

	s.text = out

	s.t = tok{kind: tokText, text: out}

	return nil
}

// xmlDecl is how the one declaration the scanner reads begins.
const xmlDecl = `<?xml version="1.0"`

// procInst skips the XML declaration at the very start of the document; any
// other processing instruction goes to the slow path.
func (s *scanner) procInst() error {
	rest := s.buf[s.pos:]
	if s.base+int64(s.pos) != 0 {
		return errSlowPath
	}

	if len(rest) < len(xmlDecl) && !s.eof {
		return errMore
	}

	if !bytes.HasPrefix(rest, []byte(xmlDecl)) {
		return errSlowPath
	}

	const longest = 1 << 10

	end := bytes.Index(rest[:min(len(rest), longest)], []byte("?>"))
	if end < 0 {
		if len(rest) < longest {
			return s.short()
		}

		return errSlowPath
	}

	if bytes.ContainsAny(rest[len(xmlDecl):end], "<>?") {
		return errSlowPath
	}

	s.pos += end + 2

	s.t = tok{kind: tokProcInst, text: rest[len("<?xml "):end]}

	return nil
}

// name reads an ASCII XML name at pos.
func (s *scanner) name() ([]byte, bool) {
	start := s.pos
	for s.pos < len(s.buf) {
		c := s.buf[s.pos]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' ||
			s.pos > start && (c >= '0' && c <= '9' || c == '-' || c == '.') {
			s.pos++
			continue
		}

		break
	}

	return s.buf[start:s.pos], s.pos > start
}

// local returns the interned local part of a raw name, or false when the name
// has more than one colon.
func (s *scanner) local(raw []byte) (string, bool) {
	if i := bytes.IndexByte(raw, ':'); i >= 0 {
		if bytes.IndexByte(raw[i+1:], ':') >= 0 {
			return "", false
		}

		if i > 0 && i < len(raw)-1 {
			raw = raw[i+1:]
		}
	}

	return s.intern(raw), true
}

func (s *scanner) intern(b []byte) string {
	if v, ok := s.names[string(b)]; ok {
		return v
	}

	v := string(b)
	if len(s.names) < 4096 {
		s.names[v] = v
	}

	return v
}

func (s *scanner) space() {
	for s.pos < len(s.buf) && (s.buf[s.pos] == ' ' || s.buf[s.pos] == '\t' ||
		s.buf[s.pos] == '\n') {
		s.pos++
	}
}

func (s *scanner) startTag() error {
	s.pos++

	raw, ok := s.name()
	if s.pos >= len(s.buf) {
		return s.short()
	}

	if !ok {
		return errSlowPath
	}

	local, ok := s.local(raw)
	if !ok {
		return errSlowPath
	}

	s.attrs = s.attrs[:0]
	for {
		before := s.pos
		s.space()
		if s.pos >= len(s.buf) {
			return s.short()
		}

		switch s.buf[s.pos] {
		case '>':
			s.pos++

			name := local
			if len(raw) != len(local) { // a prefix: the end tag must repeat it
				name = s.intern(raw)
			}

			s.stack = append(s.stack, open{raw: name, local: local})
			s.t = tok{kind: tokStart, name: local, attrs: s.attrs}

			return nil
		case '/':
			if s.pos+1 >= len(s.buf) {
				return s.short()
			}

			if s.buf[s.pos+1] != '>' {
				return errSlowPath
			}

			s.pos += 2
			s.pending, s.endName = true, local
			s.t = tok{kind: tokStart, name: local, attrs: s.attrs}

			return nil
		}

		if s.pos == before {
			return errSlowPath
		}

		if err := s.attr(); err != nil {
			return err
		}
	}
}

// attr reads name="value" or name='value' without references or '<'.
func (s *scanner) attr() error {
	raw, ok := s.name()
	if s.pos >= len(s.buf) {
		return s.short()
	}

	if !ok {
		return errSlowPath
	}

	local, ok := s.local(raw)
	if !ok {
		return errSlowPath
	}

	s.space()
	if s.pos >= len(s.buf) {
		return s.short()
	}

	if s.buf[s.pos] != '=' {
		return errSlowPath
	}

	s.pos++
	s.space()
	if s.pos >= len(s.buf) {
		return s.short()
	}

	if s.buf[s.pos] != '"' && s.buf[s.pos] != '\'' {
		return errSlowPath
	}

	q := s.buf[s.pos]
	s.pos++

	n := bytes.IndexByte(s.buf[s.pos:], q)
	if n < 0 {
		return s.short()
	}

	v := s.buf[s.pos : s.pos+n]
	if bytes.IndexByte(v, '&') >= 0 || bytes.IndexByte(v, '<') >= 0 {
		return errSlowPath
	}

	s.pos += n + 1
	s.attrs = append(s.attrs, xml.Attr{Name: xml.Name{Local: local}, Value: s.intern(v)})

	return nil
}

func (s *scanner) endTag() error {
	s.pos += 2

	raw, ok := s.name()
	if s.pos >= len(s.buf) {
		return s.short()
	}

	if !ok || len(s.stack) == 0 || string(raw) != s.stack[len(s.stack)-1].raw {
		return errSlowPath
	}

	s.space()
	if s.pos >= len(s.buf) {
		return s.short()
	}

	if s.buf[s.pos] != '>' {
		return errSlowPath
	}

	s.pos++
	local := s.stack[len(s.stack)-1].local
	s.stack = s.stack[:len(s.stack)-1]

	s.t = tok{kind: tokEnd, name: local}

	return nil
}
