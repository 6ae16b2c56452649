package camt

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
)

// stream is the token stream the reader walks: the scanner while the document
// stays in the plain subset of XML that bank files use, then encoding/xml from
// the token where the scanner stopped. Both read the text as it comes, so a
// document of any size is read in bounded memory.
type stream struct {
	sc    *scanner // nil once encoding/xml reads
	dec   *xml.Decoder
	lim   *tokenLimit
	line0 int // the line of the decoder's first line in the document
	t     tok // the token next returns when encoding/xml reads
}

// newStream reads text with the scanner, or with encoding/xml from the start
// when fast is false.
func newStream(text io.Reader, fast bool) *stream {
	if fast {
		return &stream{sc: newScanner(text)}
	}

	s := &stream{line0: 1}
	s.decoder(text)

	return s
}

func (s *stream) decoder(r io.Reader) {
	s.lim = &tokenLimit{r: bufio.NewReaderSize(r, 64<<10)}
	s.dec = xml.NewDecoder(s.lim)
	s.dec.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) {
		return in, nil // the text is already UTF-8 (decodeText)
	}
}

// line returns the line of the next byte to read: the start of the next token.
func (s *stream) line() int {
	if s.sc != nil {
		return s.sc.line()
	}

	l, _ := s.dec.InputPos()

	return s.line0 + l - 1
}

// next returns the next token or an error: io.EOF at the end, an
// *xml.SyntaxError with its line in the document, a *tokenError, or an error
// of the text's reader.
func (s *stream) next() (*tok, error) {
	if s.sc != nil {
		t, err := s.sc.next()
		if err == nil {
			return t, nil
		}

		switch err { // never wrapped; see scanner.next
		case errSlowPath:
		case errTokenTooLarge:
			return nil, &tokenError{line: s.sc.line()}
		default:
			return nil, err
		}

		if err := s.handover(); err != nil {
			return nil, err
		}
	}

	start := s.line()
	s.lim.mark()

	t, err := s.dec.Token()
	if s.lim.over {
		return nil, &tokenError{line: start}
	}

	if err != nil {
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			se.Line += s.line0 - 1
		}

		return nil, err
	}

	switch t := t.(type) {
	case xml.StartElement:
		s.t = tok{kind: tokStart, name: t.Name.Local, attrs: t.Attr}
	case xml.EndElement:
		s.t = tok{kind: tokEnd, name: t.Name.Local}
	case xml.CharData:
		s.t = tok{kind: tokText, text: t}
	case xml.Directive:
		s.t = tok{kind: tokDirective, text: t}
	case xml.ProcInst:
		s.t = tok{kind: tokProcInst, text: t.Inst}
	default:
		s.t = tok{} // comments
	}

	return &s.t, nil
}

// handover lets encoding/xml read on from the token the scanner stopped at. It
// is given the open elements first, as start tags without attributes, so that
// it checks the end tags to come as if it had read the whole document;
// attributes do not matter to the reader, which goes by local names.
func (s *stream) handover() error {
	sc := s.sc
	s.sc = nil

	var prefix []byte
	for _, o := range sc.stack {
		prefix = append(prefix, '<')
		prefix = append(prefix, o.raw...)
		prefix = append(prefix, '>')
	}

	s.line0 = sc.line()
	s.decoder(io.MultiReader(bytes.NewReader(prefix), bytes.NewReader(sc.buf[sc.pos:]), sc.src))

	for range sc.stack {
		if _, err := s.dec.Token(); err != nil {
			return err
		}
	}

	return nil
}

// tokenLimit feeds encoding/xml one byte at a time and fails a token that
// grows past maxToken, which encoding/xml would otherwise hold whole.
type tokenLimit struct {
	r    *bufio.Reader
	n    int64 // bytes read
	m    int64 // n when the current token began
	over bool
}

func (l *tokenLimit) ReadByte() (byte, error) {
	if l.n-l.m >= maxToken {
		l.over = true
		return 0, errTokenTooLarge
	}

	c, err := l.r.ReadByte()
	if err == nil {
		l.n++
	}

	return c, err
}

// Read is there for io.Reader; encoding/xml reads bytes.
func (l *tokenLimit) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}

	c, err := l.ReadByte()
	if err != nil {
		return 0, err
	}

	p[0] = c

	return 1, nil
}

func (l *tokenLimit) mark() { l.m = l.n }
