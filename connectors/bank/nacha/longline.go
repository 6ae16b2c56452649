package nacha

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// longLine reads a physical line that does not fit in the buffer, a piece at
// a time.
func (s *splitter) longLine() error {
	s.line++
	ll := &long{s: s, lineNo: s.line, allWhite: true, restSpace: true}

	for {
		data := s.buf[s.pos:s.end]
		brk := s.nextBreak(data)

		piece := data
		if brk >= 0 {
			piece = data[:brk]
		} else if !s.eof {
			piece = piece[:len(piece)-partialRune(piece)]
		}

		if err := ll.feed(piece); err != nil {
			return err
		}

		s.pos += len(piece)

		if brk >= 0 || s.eof {
			if brk >= 0 {
				s.consumeBreak()
			}

			return ll.finish()
		}

		if err := s.fill(); err != nil {
			return err
		}
	}
}

// consumeBreak consumes the line break at s.pos, deciding the break kind if
// the long first line left it open.
func (s *splitter) consumeBreak() {
	c := s.buf[s.pos]
	s.pos++

	if s.sep == 0 {
		s.sep = '\r'
		if c == '\n' || s.pos < s.end && s.buf[s.pos] == '\n' {
			s.sep = '\n'
		}
	}

	if c == '\r' {
		switch {
		case s.pos < s.end && s.buf[s.pos] == '\n':
			s.pos++
		case s.pos == s.end:
			s.skipLF = true
		}
	}
}

// partialRune returns how many bytes at the end of b start a UTF-8 sequence
// that b cuts short.
func partialRune(b []byte) int {
	for n := 1; n <= 3 && n <= len(b); n++ {
		c := b[len(b)-n]
		if c < utf8.RuneSelf {
			return 0
		}

		if utf8.RuneStart(c) {
			if !utf8.FullRune(b[len(b)-n:]) {
				return n
			}

			return 0
		}
	}

	return 0
}

// long cuts one physical line too long for the buffer into records as it
// streams, with the rules of cutLine: every 94 characters a record, each after
// the first starting with a record type code; a line whose surplus is blanks is
// one record; a white-space line is nothing. Trailing junk is held back until
// the line shows whether it ends with it. Unlike a line read whole, one that
// breaks the rules after its second record has already handed the records
// before to the parser; the file is rejected all the same.
type long struct {
	s      *splitter
	lineNo int

	pend    []byte // decoded text not yet cut, from pend[off:]
	off     int
	junkRun int // length of the junk run that ends pend

	k       int    // chunks cut so far
	held    string // the last chunk cut, waiting for the next one's first character
	hasHeld bool

	head  []byte // the line's first 101 characters, for a problem's value
	nhead int
	runes int // characters of the line consumed so far

	bad       bool // a chunk after the first did not start with a record type code
	badAt     int
	allWhite  bool // every character so far is white space
	restSpace bool // every character after the first 94 is a blank
}

func (ll *long) feed(piece []byte) error {
	text, enc := decodeLine(string(piece))
	ll.s.noteEncoding(enc)

	if j := len(text) - len(trimJunk(text)); j == len(text) {
		ll.junkRun += j
	} else {
		ll.junkRun = j
	}

	ll.pend = append(ll.pend, text...)

	return ll.settle(false)
}

// settle cuts what is certain to belong to the line into chunks.
func (ll *long) settle(final bool) error {
	if final {
		ll.pend = ll.pend[:len(ll.pend)-ll.junkRun]
		ll.junkRun = 0
	} else if ll.junkRun > maxJunkRun {
		ll.junkRun = 0
	}

	for {
		safe := ll.pend[ll.off : len(ll.pend)-ll.junkRun]

		if ll.bad {
			ll.consume(safe, len(safe))
			break
		}

		if ll.hasHeld {
			if len(safe) == 0 {
				break
			}

			if strings.IndexByte(recordTypes, safe[0]) < 0 {
				ll.bad, ll.badAt = true, ll.k
				continue
			}

			if err := ll.emit(ll.held, ll.k-1); err != nil {
				return err
			}

			ll.hasHeld = false
		}

		n := runeOffset(safe, recordLen)
		if n < 0 {
			break
		}

		ll.held, ll.hasHeld = string(safe[:n]), true
		ll.consume(safe, n)
		ll.k++
	}

	if ll.off > len(ll.pend)/2 {
		ll.pend = append(ll.pend[:0], ll.pend[ll.off:]...)
		ll.off = 0
	}

	return nil
}

// consume takes n bytes of text (the start of the unread pend) as read,
// keeping the line's head and what the white-space rules need.
func (ll *long) consume(text []byte, n int) {
	part := text[:n]

	if ll.nhead < 101 {
		for i := 0; i < len(part) && ll.nhead < 101; ll.nhead++ {
			_, w := utf8.DecodeRune(part[i:])
			ll.head = append(ll.head, part[i:i+w]...)
			i += w
		}
	}

	if !ll.allWhite && !ll.restSpace {
		ll.runes += utf8.RuneCount(part)
		ll.off += n

		return
	}

	for i := 0; i < len(part); {
		r, w := utf8.DecodeRune(part[i:])
		if !unicode.IsSpace(r) {
			ll.allWhite = false
		}

		if ll.runes >= recordLen && r != ' ' {
			ll.restSpace = false
		}

		ll.runes++
		i += w

		if !ll.allWhite && !ll.restSpace {
			ll.runes += utf8.RuneCount(part[i:])
			break
		}
	}

	ll.off += n
}

// emit hands chunk i of the line to the parser.
func (ll *long) emit(text string, i int) error {
	line := ll.lineNo
	if ll.lineNo == 1 {
		line = i + 1
	}

	return ll.s.record(text, line)
}

// finish ends the line: what is left is its last chunk.
func (ll *long) finish() error {
	if err := ll.settle(true); err != nil {
		return err
	}

	last := ll.pend[ll.off:]

	switch {
	case !ll.bad:
		if ll.hasHeld {
			if err := ll.emit(ll.held, ll.k-1); err != nil {
				return err
			}
		}

		if len(last) > 0 {
			ll.k++
			if err := ll.emit(string(last), ll.k-1); err != nil {
				return err
			}
		}

		if ll.k > 1 {
			ll.s.info.split++
		}
	case ll.allWhite:
	case ll.badAt == 1 && ll.restSpace:
		ll.s.info.trimmed++
		return ll.s.record(strings.TrimRight(ll.held, " "), ll.lineNo)
	default:
		ll.problem()
	}

	return nil
}

func (ll *long) problem() {
	head := string(ll.head)

	name := ""
	if head != "" {
		name = recordNames[head[0]]
	}

	if name == "" {
		name = "NACHA"
	}

	ll.s.p.lineProblem(lineProblem{
		line: ll.lineNo, value: head, field: name + " record",
		msg: fmt.Sprintf("%s record must be 94 characters, found %d "+
			"(and position 95 does not start another record)", name, ll.runes),
	})
}

// runeOffset returns the byte offset after n characters of b, -1 when b holds
// fewer.
func runeOffset(b []byte, n int) int {
	i := 0
	for c := 0; c < n; c++ {
		if i >= len(b) {
			return -1
		}

		if b[i] < utf8.RuneSelf {
			i++
			continue
		}

		_, w := utf8.DecodeRune(b[i:])
		i += w
	}

	return i
}
