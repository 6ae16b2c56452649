package nacha

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// defaultBufSize is how much of the stream the reader holds at a time. A
// physical line that does not fit (a file without line breaks) is cut into
// records as it streams, never held whole.
const defaultBufSize = 64 << 10

// maxJunkRun is the longest run of carriage returns, NULs and end-of-file
// marks held back inside a long line in case the line ends with it; a longer
// run is read as text.
const maxJunkRun = 1 << 20

// recordTypes are the characters that may start a record glued to the one
// before it on a line without line breaks.
const recordTypes = "156789"

// isJunk reports the bytes trimmed from the end of every physical line:
// carriage return, NUL and the DOS end-of-file mark.
func isJunk(c byte) bool {
	return c == '\r' || c == 0 || c == 0x1a
}

// trimJunk removes trailing junk bytes.
func trimJunk(s string) string {
	i := len(s)
	for i > 0 && isJunk(s[i-1]) {
		i--
	}

	return s[:i]
}

// blank reports whether text holds only white space; the common record starts
// with a digit and is answered at its first byte.
func blank(text string) bool {
	if text != "" && text[0] > ' ' && text[0] < utf8.RuneSelf {
		return false
	}

	return strings.TrimSpace(text) == ""
}

// splitter cuts a stream into physical lines and the lines into records, which
// it hands to the parser one at a time.
//
// Line breaks are LF (a CR before it is trimmed like any trailing junk) when
// the first buffer of the file holds a '\n', otherwise CR. Every line loses its
// trailing CR, NUL and end-of-file bytes, is decoded on its own (UTF-8 as is,
// else Windows-1252 or ISO-8859-1) and, when longer than 94 characters, is cut
// as cutLine says. A line longer than the buffer is cut as it streams (see
// long).
type splitter struct {
	p      *parser
	r      io.Reader
	buf    []byte
	pos    int // buf[pos:end] is read but not yet consumed
	end    int
	eof    bool
	err    error
	sep    byte // '\n' or '\r' once decided
	skipLF bool // CR mode: the last line ended with '\r' at the end of a region
	line   int  // physical lines consumed

	info                          lineInfo
	bom, utf8Seen, cp1252, latin1 bool
}

func newSplitter(p *parser, r io.Reader, size int) *splitter {
	return &splitter{p: p, r: r, buf: make([]byte, size)}
}

// fill moves the unconsumed bytes to the front of the buffer and reads until
// the buffer is full or the stream ends.
func (s *splitter) fill() error {
	if s.err != nil {
		return s.err
	}

	if s.eof {
		return nil
	}

	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:s.end])
		s.pos, s.end = 0, n
	}

	// Not io.ReadFull: it drops an error that comes with the bytes that fill
	// the buffer.
	for empty := 0; s.end < len(s.buf); {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n

		switch {
		case errors.Is(err, io.EOF):
			s.eof = true
			return nil
		case err != nil:
			s.err = fmt.Errorf("read nacha file: %w", err)
			return s.err
		case n > 0:
			empty = 0
		default:
			if empty++; empty == 100 {
				s.err = fmt.Errorf("read nacha file: %w", io.ErrNoProgress)
				return s.err
			}
		}
	}

	return nil
}

// run reads the stream to its end.
func (s *splitter) run() error {
	if err := s.fill(); err != nil {
		return err
	}

	if bytes.HasPrefix(s.buf[:s.end], utf8BOM) {
		s.bom, s.pos = true, len(utf8BOM)
	}

	for {
		// A CR that ended the data at hand may be the first half of a CRLF.
		if s.skipLF && s.pos < s.end {
			s.skipLF = false
			if s.buf[s.pos] == '\n' {
				s.pos++
				continue
			}
		}

		data := s.buf[s.pos:s.end]

		if s.sep == 0 {
			if more := s.decide(data); more {
				if err := s.fill(); err != nil {
					return err
				}

				continue
			}
		}

		cut := s.lastBreak(data)

		var err error

		switch {
		case cut >= 0:
			region := string(data[:cut+1])
			s.pos += cut + 1
			err = s.region(region)
		case s.eof:
			if len(data) > 0 {
				region := string(data)
				s.pos = s.end
				err = s.region(region)
			}

			if err == nil {
				return nil
			}
		case s.pos == 0 && s.end == len(s.buf):
			err = s.longLine()
		default:
			err = s.fill()
		}

		if err != nil {
			return err
		}
	}
}

// decide picks the line break from the data at hand: LF as soon as a '\n' is
// seen, CR when a full buffer (or the whole file) holds only '\r'. It reports
// whether more data is needed to decide.
func (s *splitter) decide(data []byte) bool {
	switch {
	case bytes.IndexByte(data, '\n') >= 0:
		s.sep = '\n'
	case bytes.IndexByte(data, '\r') >= 0:
		if !s.eof && len(data) < len(s.buf) {
			return true
		}

		s.sep = '\r'
	}

	return false
}

// lastBreak returns the index of the last line break in data, -1 if none.
func (s *splitter) lastBreak(data []byte) int {
	switch s.sep {
	case '\n':
		return bytes.LastIndexByte(data, '\n')
	case '\r':
		return max(bytes.LastIndexByte(data, '\r'), bytes.LastIndexByte(data, '\n'))
	default:
		return -1
	}
}

// nextBreak returns the index of the first line break in data, -1 if none.
// Before the break is decided, either byte ends the line.
func (s *splitter) nextBreak(data []byte) int {
	if s.sep == '\n' {
		return bytes.IndexByte(data, '\n')
	}

	return bytes.IndexAny(data, "\r\n")
}

// region reads whole lines; the last one lacks its break only at the end of
// the file.
func (s *splitter) region(str string) error {
	for str != "" {
		var raw string

		i := -1
		if s.sep == '\n' {
			i = strings.IndexByte(str, '\n')
		} else if s.sep == '\r' {
			i = strings.IndexAny(str, "\r\n")
		}

		if i < 0 {
			raw, str = str, ""
		} else {
			cr := str[i] == '\r'
			raw, str = str[:i], str[i+1:]

			// In CR mode a CRLF pair ends one line; a '\r' that ends the
			// region leaves its '\n' to the next one.
			if s.sep == '\r' && cr {
				if str == "" {
					s.skipLF = true
				} else if str[0] == '\n' {
					str = str[1:]
				}
			}
		}

		if err := s.lineText(raw, str); err != nil {
			return err
		}
	}

	return nil
}

// lineText reads one physical line without its break. rest is what follows it
// in the current region.
func (s *splitter) lineText(raw, rest string) error {
	s.line++

	text, enc := decodeLine(trimJunk(raw))
	s.noteEncoding(enc)

	if blank(text) {
		return nil
	}

	if len(text) <= recordLen { // the common case: one ASCII record
		return s.record(text, s.line)
	}

	chunks, lp := cutLine(text, s.line, &s.info)
	if lp != nil {
		s.p.lineProblem(*lp)
		return nil
	}

	// A file that is one line holding every record numbers them instead.
	oneLine := s.line == 1 && len(chunks) > 1 && s.onlyJunkLeft(rest)

	for i, c := range chunks {
		line := s.line
		if oneLine {
			line = i + 1
		}

		if err := s.record(c, line); err != nil {
			return err
		}
	}

	return nil
}

// record pads text to a record and hands it to the parser.
func (s *splitter) record(text string, line int) error {
	rec, lp := makeRecord(text, line, &s.info)
	if lp != nil {
		s.p.lineProblem(*lp)
		return nil
	}

	return s.p.record(rec)
}

func (s *splitter) noteEncoding(enc string) {
	switch enc {
	case "utf-8":
		s.utf8Seen = true
	case "windows-1252":
		s.cp1252 = true
	case "iso-8859-1":
		s.latin1 = true
	}
}

func (s *splitter) encoding() string {
	return encodingName(s.bom, s.utf8Seen, s.cp1252, s.latin1)
}

// onlyJunkLeft reports whether nothing but line breaks and junk bytes follow
// rest, up to the end of the stream. It reads ahead at most one buffer.
func (s *splitter) onlyJunkLeft(rest string) bool {
	if !allJunk(rest) {
		return false
	}

	for {
		if !allJunk(string(s.buf[s.pos:s.end])) {
			return false
		}

		if s.eof {
			return true
		}

		if s.pos == 0 && s.end == len(s.buf) || s.fill() != nil {
			return false
		}
	}
}

func allJunk(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '\n' && !isJunk(c) {
			return false
		}
	}

	return true
}
