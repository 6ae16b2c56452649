// Package bank recognises a bank file's format from its content and hands it to
// the reader for that format (NACHA, camt.052/053/054, BAI2, MT940/942, CSV,
// lockbox). Unknown content is rejected cleanly with a *bankfile.Error, never by
// a crash: a panic inside a reader becomes a rejection of that one file.
package bank

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf16"

	"github.com/o2c-dev/o2c/connectors/bank/bai2"
	"github.com/o2c-dev/o2c/connectors/bank/bankcsv"
	"github.com/o2c-dev/o2c/connectors/bank/camt"
	"github.com/o2c-dev/o2c/connectors/bank/lockbox"
	"github.com/o2c-dev/o2c/connectors/bank/mt940"
	"github.com/o2c-dev/o2c/connectors/bank/nacha"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// MaxFileSize is the largest bank file ReadFile accepts: 256 MiB.
const MaxFileSize = 256 << 20

// ErrTooLarge reports a file over MaxFileSize.
var ErrTooLarge = errors.New("bank file too large")

// sniffLen is how much of a file detection looks at.
const sniffLen = 64 << 10

// ReadFile reads the bank file at path (at most MaxFileSize bytes) and parses it
// with Read under its base name.
func ReadFile(path string) (*bankfile.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open bank file: %w", err)
	}
	defer f.Close()

	if st, err := f.Stat(); err == nil && st.Size() > MaxFileSize {
		return nil, fmt.Errorf("read bank file: %w: %d bytes, the limit is %d",
			ErrTooLarge, st.Size(), MaxFileSize)
	}

	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read bank file: %w", err)
	}

	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("read bank file: %w: more than %d bytes", ErrTooLarge, MaxFileSize)
	}

	return std.Read(filepath.Base(path), data)
}

// Read detects the format of data and parses it with that format's reader. The
// returned file carries name and the detected format. A rejected file, an
// unsupported or unknown format and a panic inside a reader all yield a
// *bankfile.Error.
func Read(name string, data []byte) (*bankfile.File, error) {
	return std.Read(name, data)
}

// Reader reads bank files with the user's settings: the bank profiles that CSV
// exports are read with. The package's functions use the built-in profiles.
type Reader struct {
	csv     *bankcsv.Reader     // nil: the built-in profiles
	relaxed map[string][]string // control checks that only warn, by format family
}

// std is the Reader of the package's functions.
var std = &Reader{}

// NewReader returns a Reader that reads CSV exports with csv, made from the
// user's bank profiles (bankcsv.NewReader); nil keeps the built-in ones.
func NewReader(csv *bankcsv.Reader) *Reader {
	return &Reader{csv: csv}
}

// Read is bank.Read with the reader's settings.
func (rd *Reader) Read(name string, data []byte) (*bankfile.File, error) {
	if len(bytes.TrimSpace(bytes.TrimPrefix(data, utf8BOM))) == 0 {
		return nil, reject(name, bankfile.FormatUnknown, "file", "empty file")
	}

	format := Detect(data)

	if scan, ok := rd.relaxedScanner(format); ok {
		var txs []bankfile.Transaction

		f, _, err := safeScan(name, format, bytes.NewReader(data),
			func(t bankfile.Transaction) error {
				txs = append(txs, t)
				return nil
			}, scan)
		if err != nil {
			return nil, err
		}

		f.Transactions = txs

		return f, nil
	}

	switch format {
	case bankfile.FormatNACHA:
		return safeRead(name, format, data, nacha.Read)
	case bankfile.FormatCAMT052, bankfile.FormatCAMT053, bankfile.FormatCAMT054:
		return safeRead(name, format, data, camt.Read)
	case bankfile.FormatCSV:
		if rd.csv != nil {
			return safeRead(name, format, data, rd.csv.Read)
		}

		return safeRead(name, format, data, bankcsv.Read)
	case bankfile.FormatLockbox:
		return safeRead(name, format, data, lockbox.Read)
	case bankfile.FormatBAI2:
		return safeRead(name, format, data, bai2.Read)
	case bankfile.FormatMT940:
		return safeRead(name, format, data, mt940.Read)
	default:
		return nil, reject(name, format, "format", "unrecognised bank file format")
	}
}

// reader is the signature every format reader has.
type reader func(name string, data []byte) (*bankfile.File, error)

// safeRead runs read and turns a panic into a rejection of this file only.
func safeRead(name string, format bankfile.Format, data []byte, read reader) (
	file *bankfile.File, err error,
) {
	defer func() {
		if r := recover(); r != nil {
			file = nil
			err = reject(name, format, "file", fmt.Sprintf("internal error reading file: %v", r))
		}
	}()

	file, err = read(name, data)

	return finish(name, format, file, err)
}

// finish stamps name and format on what a reader returned.
func finish(name string, format bankfile.Format, file *bankfile.File, err error) (
	*bankfile.File, error,
) {
	if err != nil {
		var be *bankfile.Error
		if errors.As(err, &be) {
			if be.File == "" {
				be.File = name
			}

			if be.Format == "" {
				be.Format = format
			}
		}

		return nil, err
	}

	if file == nil {
		return nil, reject(name, format, "file",
			"internal error reading file: reader returned nothing")
	}

	file.Name = name
	if file.Format == "" || file.Format == bankfile.FormatUnknown {
		file.Format = format
	}

	// Text no store or export can hold (NUL bytes, invalid UTF-8) rejects the
	// file here, for every reader and every consumer alike.
	if probs := file.TextProblems(); len(probs) > 0 {
		return nil, &bankfile.Error{File: name, Format: file.Format, Problems: probs}
	}

	return file, nil
}

func reject(name string, format bankfile.Format, field, msg string) *bankfile.Error {
	return &bankfile.Error{
		File:   name,
		Format: format,
		Problems: []bankfile.Problem{
			{File: name, Field: field, Message: msg},
		},
	}
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Detect names the format of a bank file from its content alone (never its
// name): NACHA, camt.052/053/054, BAI2, MT940/942, BAI lockbox or CSV, else
// FormatUnknown. It looks at the first 64 KiB, ignores a byte order mark and
// leading blank lines.
func Detect(data []byte) bankfile.Format {
	head := sniff(data)

	switch {
	case len(head) == 0:
		return bankfile.FormatUnknown
	case head[0] == '<':
		return detectXML(head)
	case bytes.HasPrefix(head, []byte("01,")):
		return bankfile.FormatBAI2
	case isMT940(head):
		return bankfile.FormatMT940
	case isNACHA(head):
		return bankfile.FormatNACHA
	case isLockbox(head):
		return bankfile.FormatLockbox
	case isCSV(head):
		return bankfile.FormatCSV
	default:
		return bankfile.FormatUnknown
	}
}

// sniff returns the start of data as UTF-8 text without BOM, leading blanks
// or control characters (SOH/ETX wrappers).
func sniff(data []byte) []byte {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		data = fromUTF16(data[2:min(len(data), 2*sniffLen)], false)
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		data = fromUTF16(data[2:min(len(data), 2*sniffLen)], true)
	default:
		data = bytes.TrimPrefix(data, utf8BOM)
	}

	if len(data) > sniffLen {
		data = data[:sniffLen]
	}

	return bytes.TrimLeftFunc(data, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\r' || r == '\n' || r < 0x20 || r == 0xFEFF
	})
}

func fromUTF16(b []byte, bigEndian bool) []byte {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		if bigEndian {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		} else {
			u = append(u, uint16(b[i+1])<<8|uint16(b[i]))
		}
	}

	return []byte(string(utf16.Decode(u)))
}

// camtKinds maps the element under Document to the camt message.
var camtKinds = map[string]bankfile.Format{
	"BkToCstmrAcctRpt":      bankfile.FormatCAMT052,
	"BkToCstmrStmt":         bankfile.FormatCAMT053,
	"BkToCstmrDbtCdtNtfctn": bankfile.FormatCAMT054,
}

var camtURN = regexp.MustCompile(`camt\.05([234])\.`)

// detectXML finds the camt message element whatever its namespace prefix or
// envelope (a Document under a business-application wrapper is fine), and
// falls back to a camt.05x namespace URN.
func detectXML(head []byte) bankfile.Format {
	dec := xml.NewDecoder(bytes.NewReader(head))
	dec.Strict = false
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }

	for i := 0; i < 500; i++ {
		tok, err := dec.Token()
		if err != nil {
			break
		}

		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}

		if f, ok := camtKinds[se.Name.Local]; ok {
			return f
		}

		for _, a := range append([]xml.Attr{{Value: se.Name.Space}}, se.Attr...) {
			if m := camtURN.FindStringSubmatch(a.Value); m != nil {
				return bankfile.Format("camt.05" + m[1])
			}
		}
	}

	return bankfile.FormatUnknown
}

// mtTag matches an MT940/942 field tag at the start of a line: ":20:", ":61:",
// ":60F:", ":940:" (a Rabobank header).
var mtTag = regexp.MustCompile(`^:\d{2,3}[A-Z]?:`)

// isMT940 accepts SWIFT blocks ("{1:"), a file whose first line is a field tag,
// or a file with a ":20:" reference line and a ":25:" account line after bank
// header lines.
func isMT940(head []byte) bool {
	if bytes.HasPrefix(head, []byte("{1:")) {
		return true
	}

	first, _, _ := bytes.Cut(head, []byte("\n"))
	if mtTag.Match(bytes.TrimSpace(first)) {
		return true
	}

	lines := strings.Split(string(head), "\n")
	has20, has25 := false, false

	for _, l := range lines {
		l = strings.TrimLeft(l, " \r\x01")
		has20 = has20 || strings.HasPrefix(l, ":20:")
		has25 = has25 || strings.HasPrefix(l, ":25:") || strings.HasPrefix(l, ":60F:")
	}

	return has20 && has25
}

// firstLines returns up to n non-blank lines without their line ending.
func firstLines(head []byte, n int) []string {
	var out []string

	// CR alone ends lines in some bank files too.
	for _, l := range strings.FieldsFunc(string(head), func(r rune) bool {
		return r == '\n' || r == '\r'
	}) {
		if strings.TrimSpace(l) == "" {
			continue
		}

		out = append(out, l)
		if len(out) == n {
			break
		}
	}

	return out
}

// isNACHA accepts a file header ("101", record size 094 at positions 35-37, or
// a 94-character first record) and headerless fragments that start with a
// batch header (service class 200, 220, 225 or 280) followed by an entry.
func isNACHA(head []byte) bool {
	lines := firstLines(head, 3)
	if len(lines) == 0 {
		return false
	}

	first := lines[0]
	if len([]rune(first)) > 94 { // no line breaks: records back to back
		lines = []string{first[:94], first[94:]}
		first = lines[0]
	}

	if !nachaRecord(first) {
		return false
	}

	switch first[0] {
	case '1':
		// A lockbox header can start "101" too (priority 01); only NACHA says 094.
		return len(first) >= 40 && first[34:37] == "094"
	case '5':
		class := first[1:4]
		okClass := class == "200" || class == "220" || class == "225" || class == "280"

		return okClass && len(first) >= 80 && len(lines) > 1 && lines[1] != "" && lines[1][0] == '6'
	default:
		return false
	}
}

func nachaRecord(s string) bool {
	return len(s) >= 40 && strings.ContainsRune("1569", rune(s[0]))
}

// lockboxHeader is a BAI lockbox immediate-address header: record type 1,
// priority code, destination and origin, date YYMMDD and time HHMM.
var lockboxHeader = regexp.MustCompile(`^1\d{2}[A-Za-z0-9 ]{10,20}\d{6}`)

// isLockbox accepts a "1" header record followed by a "2" service record, a
// "5" lockbox or batch header or, from banks that send no batch records, a "6"
// check: fixed-width (BAI lockbox, of any record length; a NACHA file header
// says 094 where a lockbox header never does) or with '|' between fields.
func isLockbox(head []byte) bool {
	lines := firstLines(head, 2)
	if len(lines) < 2 {
		return false
	}

	if strings.HasPrefix(lines[0], "1|") {
		return strings.HasPrefix(lines[1], "2|") || strings.HasPrefix(lines[1], "5|") ||
			strings.HasPrefix(lines[1], "6|")
	}

	first := lines[0]
	if !lockboxHeader.MatchString(first) || len(first) >= 37 && first[34:37] == "094" {
		return false
	}

	return strings.ContainsRune("256", rune(lines[1][0]))
}

// isCSV accepts a first non-blank line (the header, or a bank's preamble)
// that splits into two or more columns on ',', ';' or tab, and a second line,
// if any, that splits on the same delimiter (headers often carry extra empty
// columns, so the counts need not be equal).
func isCSV(head []byte) bool {
	lines := firstLines(head, 2)
	if len(lines) == 0 {
		return false
	}

	for _, d := range []rune{',', ';', '\t'} {
		n := columns(lines[0], d)
		if n > 1 && (len(lines) == 1 || columns(lines[1], d) > 1) {
			return true
		}
	}

	return false
}

// columns counts the fields of a CSV line, ignoring delimiters inside quotes.
func columns(line string, delim rune) int {
	n, quoted := 1, false

	for _, r := range line {
		switch {
		case r == '"':
			quoted = !quoted
		case r == delim && !quoted:
			n++
		}
	}

	return n
}
