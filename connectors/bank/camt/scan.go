package camt

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"unicode/utf8"
)

// tokens is the token stream the reader walks: *xml.Decoder, or the faster
// scanner for documents in the plain subset of XML that bank files use.
type tokens interface {
	Token() (xml.Token, error)
	InputOffset() int64
	Skip() error
}

// errSlowPath tells Read that the scanner met something outside its subset, so
// the document must be read again with encoding/xml from the start.
var errSlowPath = errors.New("document needs the full xml decoder")

// plainXML reports whether the scanner can read text: valid UTF-8 without
// carriage returns, control characters, U+FFFE or U+FFFF, and without
// declarations, CDATA sections, character references or "]]>". Anything else
// goes to encoding/xml, which also reports the errors.
func plainXML(text []byte) bool {
	for _, c := range text {
		if c < 0x20 && c != '\t' && c != '\n' {
			return false
		}
	}

	return utf8.Valid(text) && !hasPair(text, '<', '!') && !hasPair(text, '&', '#') &&
		!bytes.Contains(text, []byte("]]>")) &&
		!bytes.Contains(text, []byte("\uFFFE")) && !bytes.Contains(text, []byte("\uFFFF"))
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
// xml.Decoder.Token, names reduced to what the reader uses. It returns
// errSlowPath for anything else, errors included. Tokens are valid until the
// next call: CharData and Attr reuse the scanner's buffers.
type scanner struct {
	buf     []byte
	pos     int
	stack   []open            // the open elements
	names   map[string]string // interned names and attribute values
	attrs   []xml.Attr
	text    []byte
	pending bool   // an empty element's end is due
	endName string // its local name
}

// open is an element whose end tag is due: its raw and its local name.
type open struct {
	raw   []byte
	local string
}

func newScanner(text []byte) *scanner {
	return &scanner{buf: text, names: make(map[string]string)}
}

// InputOffset returns the offset of the next byte to read.
func (s *scanner) InputOffset() int64 { return int64(s.pos) }

// Skip reads tokens up to the end of the element whose start was just read.
func (s *scanner) Skip() error {
	depth := 0
	for {
		t, err := s.next()
		if err != nil {
			return err
		}

		switch t.kind {
		case tokStart:
			depth++
		case tokEnd:
			if depth == 0 {
				return nil
			}

			depth--
		}
	}
}

// Token kinds of scanner.next.
const (
	tokStart = iota + 1
	tokEnd
	tokText
	tokProcInst
)

// tok is one token of scanner.next: boxing it as an xml.Token costs an
// allocation the reader's hot loop does without.
type tok struct {
	kind  int
	name  string // local name of tokStart and tokEnd
	attrs []xml.Attr
	text  []byte // tokText, and the instruction of tokProcInst
}

// Token returns the next token, io.EOF at the end of a document whose elements
// are all closed, or errSlowPath.
func (s *scanner) Token() (xml.Token, error) {
	t, err := s.next()
	if err != nil {
		return nil, err
	}

	switch t.kind {
	case tokStart:
		return xml.StartElement{Name: xml.Name{Local: t.name}, Attr: t.attrs}, nil
	case tokEnd:
		return xml.EndElement{Name: xml.Name{Local: t.name}}, nil
	case tokText:
		return xml.CharData(t.text), nil
	}

	return xml.ProcInst{Target: "xml", Inst: t.text}, nil
}

// next is Token without the boxing.
func (s *scanner) next() (tok, error) {
	if s.pending {
		s.pending = false
		return tok{kind: tokEnd, name: s.endName}, nil
	}

	if s.pos >= len(s.buf) {
		if len(s.stack) > 0 {
			return tok{}, errSlowPath
		}

		return tok{}, io.EOF
	}

	if s.buf[s.pos] != '<' {
		return s.charData()
	}

	if s.pos+1 >= len(s.buf) {
		return tok{}, errSlowPath
	}

	switch s.buf[s.pos+1] {
	case '/':
		return s.endTag()
	case '?':
		return s.procInst()
	case '!':
		return tok{}, errSlowPath
	}

	return s.startTag()
}

// charData reads text up to the next '<', replacing the predefined entities.
func (s *scanner) charData() (tok, error) {
	rest := s.buf[s.pos:]
	n := bytes.IndexByte(rest, '<')
	if n < 0 {
		n = len(rest)
	}

	raw := rest[:n]
	s.pos += n
	if bytes.IndexByte(raw, '&') < 0 {
		return tok{kind: tokText, text: raw}, nil
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
			return tok{}, errSlowPath
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
			return tok{}, errSlowPath
		}

		raw = raw[j+1:]
	}

	s.text = out

	return tok{kind: tokText, text: out}, nil
}

// procInst skips the XML declaration at the very start of the document; any
// other processing instruction goes to the slow path.
func (s *scanner) procInst() (tok, error) {
	if s.pos != 0 || !bytes.HasPrefix(s.buf, []byte(`<?xml version="1.0"`)) {
		return tok{}, errSlowPath
	}

	end := bytes.Index(s.buf, []byte("?>"))
	if end < 0 {
		return tok{}, errSlowPath
	}

	decl := s.buf[len(`<?xml version="1.0"`):end]
	if bytes.ContainsAny(decl, "<>?") {
		return tok{}, errSlowPath
	}

	s.pos = end + 2

	return tok{kind: tokProcInst, text: s.buf[len("<?xml "):end]}, nil
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

func (s *scanner) startTag() (tok, error) {
	s.pos++
	raw, ok := s.name()
	if !ok {
		return tok{}, errSlowPath
	}

	local, ok := s.local(raw)
	if !ok {
		return tok{}, errSlowPath
	}

	s.attrs = s.attrs[:0]
	for {
		before := s.pos
		s.space()
		if s.pos >= len(s.buf) {
			return tok{}, errSlowPath
		}

		switch s.buf[s.pos] {
		case '>':
			s.pos++
			s.stack = append(s.stack, open{raw: raw, local: local})
			return tok{kind: tokStart, name: local, attrs: s.attrs}, nil
		case '/':
			if s.pos+1 >= len(s.buf) || s.buf[s.pos+1] != '>' {
				return tok{}, errSlowPath
			}

			s.pos += 2
			s.pending, s.endName = true, local
			return tok{kind: tokStart, name: local, attrs: s.attrs}, nil
		}

		if s.pos == before {
			return tok{}, errSlowPath
		}

		if err := s.attr(); err != nil {
			return tok{}, err
		}
	}
}

// attr reads name="value" or name='value' without references or '<'.
func (s *scanner) attr() error {
	raw, ok := s.name()
	if !ok {
		return errSlowPath
	}

	local, ok := s.local(raw)
	if !ok {
		return errSlowPath
	}

	s.space()
	if s.pos >= len(s.buf) || s.buf[s.pos] != '=' {
		return errSlowPath
	}

	s.pos++
	s.space()
	if s.pos >= len(s.buf) || s.buf[s.pos] != '"' && s.buf[s.pos] != '\'' {
		return errSlowPath
	}

	q := s.buf[s.pos]
	s.pos++
	n := bytes.IndexByte(s.buf[s.pos:], q)
	if n < 0 {
		return errSlowPath
	}

	v := s.buf[s.pos : s.pos+n]
	if bytes.IndexByte(v, '&') >= 0 || bytes.IndexByte(v, '<') >= 0 {
		return errSlowPath
	}

	s.pos += n + 1
	s.attrs = append(s.attrs, xml.Attr{Name: xml.Name{Local: local}, Value: s.intern(v)})

	return nil
}

func (s *scanner) endTag() (tok, error) {
	s.pos += 2
	raw, ok := s.name()
	if !ok || len(s.stack) == 0 || !bytes.Equal(raw, s.stack[len(s.stack)-1].raw) {
		return tok{}, errSlowPath
	}

	s.space()
	if s.pos >= len(s.buf) || s.buf[s.pos] != '>' {
		return tok{}, errSlowPath
	}

	s.pos++
	local := s.stack[len(s.stack)-1].local
	s.stack = s.stack[:len(s.stack)-1]

	return tok{kind: tokEnd, name: local}, nil
}
