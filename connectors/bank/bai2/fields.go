package bai2

import (
	"strings"
	"time"
)

// part is the text of one logical record, the record itself or one of its 88
// continuations, with the line it starts on.
type part struct {
	text string
	line int
	full bool // the record fills its physical record length: see parser.full
}

// cursor walks the comma-separated fields of a record and its continuations
// as one list: the end of a record ends a field, and the next record's first
// field follows it.
type cursor struct {
	parts []part
	i     int    // current part
	rest  string // unread text of parts[i]
	done  bool   // parts[i] has no field left
}

func newCursor(parts []part) cursor {
	c := cursor{parts: parts}
	if len(parts) > 0 {
		c.rest = parts[0].text
	}

	return c
}

// field is one field as read: its raw text, its line and whether it is the
// last field of its record.
type field struct {
	raw  string
	line int
	last bool
	part int // 0 for the record itself, n for its n-th continuation
}

// value returns the field without surrounding blanks and without the line
// breaks of physically wrapped records.
func (f field) value() string {
	v := f.raw
	if strings.IndexByte(v, '\n') >= 0 {
		v = strings.ReplaceAll(v, "\n", "")
	}

	return strings.TrimSpace(v)
}

// next returns the next field, or false when every record is used up.
func (c *cursor) next() (field, bool) {
	for c.i < len(c.parts) {
		if c.done {
			c.i++
			c.done = false

			if c.i < len(c.parts) {
				c.rest = c.parts[c.i].text
			}

			continue
		}

		line := c.parts[c.i].line
		if k := strings.IndexByte(c.rest, ','); k >= 0 {
			v := c.rest[:k]
			c.rest = c.rest[k+1:]

			return field{raw: v, line: line, part: c.i}, true
		}

		v := c.rest
		c.rest, c.done = "", true

		return field{raw: v, line: line, last: true, part: c.i}, true
	}

	return field{}, false
}

// value returns the next field's value, "" when there is none.
func (c *cursor) value() string {
	f, _ := c.next()
	return f.value()
}

// line returns the line of the field the cursor is at.
func (c *cursor) line() int {
	if c.i < len(c.parts) {
		return c.parts[c.i].line
	}

	if len(c.parts) > 0 {
		return c.parts[len(c.parts)-1].line
	}

	return 0
}

// text appends to out the free text that ends a record: the rest of the
// current record (if its last field read ended with a comma) and every
// following continuation whole, commas and slashes included.
func (c *cursor) text(out []part) []part {
	if c.i < len(c.parts) && !c.done {
		out = append(out, part{text: c.rest, line: c.parts[c.i].line, full: c.parts[c.i].full})
	}

	if c.i+1 < len(c.parts) {
		out = append(out, c.parts[c.i+1:]...)
	}

	return out
}

// parseAmount reads a BAI2 amount: an optional sign, then 1 to 18 digits (zero
// padding allowed), no decimal point. It returns false for anything else.
func parseAmount(s string) (int64, bool) {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}

	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}

	if s == "" || len(s) > 18 {
		return 0, false
	}

	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}

		n = n*10 + int64(c-'0')
	}

	if neg {
		n = -n
	}

	return n, true
}

// parseCount reads an unsigned count of up to 9 digits.
func parseCount(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}

	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}

		n = n*10 + int(c-'0')
	}

	return n, true
}

// parseTypeCode reads a type code of one to three digits.
func parseTypeCode(s string) (int, bool) {
	if len(s) > 3 {
		return 0, false
	}

	return parseCount(s)
}

// parseDate reads YYMMDD (years 00-68 are 20xx, as time.Parse does); false for
// anything else, an empty field included.
func parseDate(s string) (time.Time, bool) {
	if len(s) != 6 {
		return time.Time{}, false
	}

	d, err := time.Parse("060102", s)
	if err != nil {
		return time.Time{}, false
	}

	return d, true
}

// normalize makes one piece of free text readable: runs of blanks and line
// breaks become one blank, the ends are trimmed, and one trailing comma (the
// ",/" some banks end every record with) is dropped unless the record fills
// its physical length (full), where the comma is text cut off mid-sentence.
func normalize(s string, full bool) string {
	s = strings.TrimSpace(s)
	if !full {
		s = strings.TrimSuffix(s, ",")
	}

	if !needsSpacing(s) {
		return strings.TrimSpace(s)
	}

	return strings.Join(strings.Fields(s), " ")
}

// needsSpacing reports whether s holds a tab, a line break or two blanks in a
// row.
func needsSpacing(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\t', '\n', '\r', '\v', '\f':
			return true
		case ' ':
			if i+1 < len(s) && s[i+1] == ' ' {
				return true
			}
		}
	}

	return false
}
