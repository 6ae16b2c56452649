package nacha

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// recordLen is the length of every NACHA record, counted in characters.
const recordLen = 94

// record is one 94-character NACHA record after line-ending normalisation and
// decoding. Positions are counted in characters, never in bytes: a UTF-8 name
// makes a record longer than 94 bytes but it still has 94 positions.
type record struct {
	text  string // decoded UTF-8 text, padded with blanks to 94 characters
	runes []rune // set only when text holds non-ASCII characters
	line  int    // 1-based line (or record number when the file has no line breaks)
}

// field returns positions from..to (1-based, inclusive) as the NACHA layouts
// number them, untrimmed.
func (r *record) field(from, to int) string {
	if r.runes != nil {
		return string(r.runes[from-1 : to])
	}

	return r.text[from-1 : to]
}

// typ returns the record type code, the first character.
func (r *record) typ() byte {
	return r.text[0]
}

// filler reports whether the record is one of the all-nines lines that pad a
// file to a multiple of ten records.
func (r *record) filler() bool {
	return strings.Count(r.text, "9") == recordLen
}

// lineInfo describes how the raw bytes were split and decoded.
type lineInfo struct {
	encoding string
	padded   int // records shorter than 94 characters, padded with blanks
	trimmed  int // records longer than 94 characters whose surplus was blanks
	split    int // physical lines holding more than one record
}

// lineProblem is a physical line that cannot be cut into records.
type lineProblem struct {
	line  int
	field string
	value string
	msg   string
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func encodingName(bom, utf8Seen, cp1252, latin1 bool) string {
	switch {
	case latin1:
		return "iso-8859-1"
	case cp1252:
		return "windows-1252"
	case bom:
		return "utf-8-bom"
	case utf8Seen:
		return "utf-8"
	default:
		return "ascii"
	}
}

// decodeLine returns the line as UTF-8 and the encoding it was read in: "" for
// pure ASCII, "utf-8", "windows-1252" or, when the line has bytes that
// Windows-1252 leaves undefined, "iso-8859-1". Both single-byte decodings keep
// one character per byte, so positions stay right.
func decodeLine(raw string) (string, string) {
	ascii := true
	for i := 0; i < len(raw); i++ {
		if raw[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}

	if ascii {
		return raw, ""
	}

	if utf8.ValidString(raw) {
		return raw, "utf-8"
	}

	cm, enc := charmap.Windows1252, "windows-1252"
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case 0x81, 0x8d, 0x8f, 0x90, 0x9d: // undefined in Windows-1252
			cm, enc = charmap.ISO8859_1, "iso-8859-1"
		}
	}

	var b strings.Builder
	b.Grow(len(raw) * 2)

	for i := 0; i < len(raw); i++ {
		b.WriteRune(cm.DecodeByte(raw[i]))
	}

	return b.String(), enc
}

// cutLine splits one decoded physical line into record texts. A line of up to
// 94 characters is one record; a longer line is either one record with
// trailing blanks, or several records back to back (files without line
// breaks), each starting with a record type code.
func cutLine(text string, lineNo int, info *lineInfo) ([]string, *lineProblem) {
	n := utf8.RuneCountInString(text)
	if n <= recordLen {
		return []string{text}, nil
	}

	if t := strings.TrimRight(text, " "); utf8.RuneCountInString(t) <= recordLen {
		info.trimmed++
		return []string{t}, nil
	}

	chunks := chunkRunes(text, recordLen)
	for i, c := range chunks {
		if i > 0 && !strings.ContainsRune("156789", rune(c[0])) {
			name := recordNames[text[0]]
			if name == "" {
				name = "NACHA"
			}

			return nil, &lineProblem{
				line: lineNo, value: text, field: name + " record",
				msg: name + " record must be 94 characters, found " + strconv.Itoa(n) +
					" (and position 95 does not start another record)",
			}
		}
	}

	info.split++

	return chunks, nil
}

// chunkRunes cuts s into pieces of size characters; the last may be shorter.
func chunkRunes(s string, size int) []string {
	var out []string

	for s != "" {
		i, count := 0, 0
		for i < len(s) && count < size {
			_, w := utf8.DecodeRuneInString(s[i:])
			i += w
			count++
		}

		out = append(out, s[:i])
		s = s[i:]
	}

	return out
}

// minLen is how short a record of each type may arrive and still be read:
// only blanks may be missing at its end. Records that end in a mandatory
// field (a trace, batch or sequence number) must be whole.
var minLen = map[byte]int{'1': 40, '5': 94, '6': 94, '7': 94, '8': 44, '9': 55}

// recordNames name the record types in problems.
var recordNames = map[byte]string{
	'1': "file header", '5': "batch header", '6': "entry detail", '7': "addenda",
	'8': "batch control", '9': "file control",
}

// makeRecord pads a record text to 94 characters and indexes its runes when it
// is not plain ASCII. A record too short for its type is a problem.
func makeRecord(text string, line int, info *lineInfo) (record, *lineProblem) {
	ascii := true
	for i := 0; i < len(text); i++ {
		if text[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}

	n := len(text)
	if !ascii {
		n = utf8.RuneCountInString(text)
	}

	if n < recordLen {
		if n < minLen[text[0]] && strings.Count(text, "9") != n {
			return record{}, &lineProblem{
				line: line, value: text, field: recordNames[text[0]] + " record",
				msg: recordNames[text[0]] + " record must be 94 characters, found " +
					strconv.Itoa(n),
			}
		}

		info.padded++
		text += strings.Repeat(" ", recordLen-n)
	}

	rec := record{text: text, line: line}
	if !ascii {
		rec.runes = []rune(text)
	}

	return rec, nil
}
