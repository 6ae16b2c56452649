// Package camt reads ISO 20022 bank-to-customer cash reports into the
// format-neutral bankfile model: camt.052 account reports, camt.053 statements
// and camt.054 debit/credit notifications, any version (.001.02 to .001.08 are
// tested). Elements are matched by local name, so the namespace and version of
// the document do not matter.
//
// The document is read as a token stream and one entry (Ntry) at a time, so
// memory stays bounded by the largest entry plus the transactions produced.
// Batch entries are split into one transaction per TxDtls when the details add
// up to the booked amount, control totals (balances, TxsSummry) are reconciled,
// and a file that must be rejected yields a *bankfile.Error listing every
// problem with its line and element path.
package camt

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

// MaxSize is the largest document Read accepts, in bytes.
const MaxSize = 256 << 20

// ReversalSign says how a bank sets CdtDbtInd on a reversal entry (RvslInd=true).
type ReversalSign int

// Reversal sign conventions.
const (
	// ReversalFromBalances decides per statement from the opening and closing
	// balances; without balances, reversals are read with the ISO sign and carry
	// a Problem so they are never applied automatically.
	ReversalFromBalances ReversalSign = iota
	// ReversalISO means CdtDbtInd is the direction of the reversal itself, as
	// ISO 20022 specifies: DBIT + RvslInd undoes an earlier credit.
	ReversalISO
	// ReversalOriginal means the bank repeats the direction of the original
	// entry: CRDT + RvslInd undoes an earlier credit and takes money out.
	ReversalOriginal
)

// Options is the bank profile a file is read with. The zero value suits an
// unknown bank.
type Options struct {
	// Reversals is the bank's reversal sign convention. Defaults to
	// ReversalFromBalances.
	Reversals ReversalSign
}

// Read parses a camt.052, camt.053 or camt.054 document named name with the
// default Options. A file that must be rejected yields a *bankfile.Error listing
// every problem found.
func Read(name string, data []byte) (*bankfile.File, error) {
	return ReadOptions(name, data, Options{})
}

// ReadOptions parses a camt document like Read, using the bank profile opts.
func ReadOptions(name string, data []byte, opts Options) (*bankfile.File, error) {
	return read(name, data, opts, true)
}

// read is ReadOptions; fast lets plain documents go through the scanner.
func read(name string, data []byte, opts Options, fast bool) (*bankfile.File, error) {
	r := newReader(name, opts)
	if len(data) > MaxSize {
		r.fail(0, "file", "", fmt.Sprintf("file is %d bytes, larger than the %d accepted",
			len(data), MaxSize))
		return nil, r.reject()
	}

	text, err := r.decodeBytes(data)
	if err != nil {
		r.fail(0, "encoding", "", err.Error())
		return nil, r.reject()
	}

	if fast && plainXML(text) {
		fast := newReader(name, opts)
		f := *r.file
		fast.file = &f
		fast.file.Transactions = make([]bankfile.Transaction, 0, txHint(text))
		fast.lines = lines{buf: text, line: 1}
		fast.dec = newScanner(text)
		fast.walk()
		if len(fast.file.Transactions) == 0 {
			fast.file.Transactions = nil // as the slow path leaves it
		}

		if !fast.slow {
			return fast.result()
		}
	}

	r.lines = lines{buf: text, line: 1}
	dec := xml.NewDecoder(bytes.NewReader(text))
	dec.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) {
		return in, nil // the bytes were already decoded to UTF-8 above
	}

	r.dec = dec
	r.walk()

	return r.result()
}

// txHint guesses how many transactions text holds, one per entry or per
// detail, so the file's list is allocated once rather than grown.
func txHint(text []byte) int {
	return max(bytes.Count(text, []byte("<Ntry>")), bytes.Count(text, []byte("<TxDtls>")))
}

func newReader(name string, opts Options) *reader {
	return &reader{
		name: name,
		opts: opts,
		file: &bankfile.File{Name: name, Format: bankfile.FormatUnknown},
		keys: map[string]int{},
	}
}

// result ends a walk: the file, or the problems that reject it.
func (r *reader) result() (*bankfile.File, error) {
	if len(r.problems) > 0 {
		return nil, r.reject()
	}

	r.finish()

	return r.file, nil
}

// reader holds the state of one Read.
type reader struct {
	name     string
	opts     Options
	dec      tokens
	slow     bool // the scanner gave up: read again with encoding/xml
	lines    lines
	file     *bankfile.File
	problems []bankfile.Problem
	keys     map[string]int // dedupe keys seen, for occurrence ordinals
	text     []byte         // scratch buffer for element text
	stack    []*node        // scratch stack of open elements for tree
	marks    []int          // scratch text marks for tree
	out      []byte         // scratch texts of a subtree, see tree
	pend     []pendText     // scratch elements whose text is in out
	slab     []node         // nodes to hand out, see newNode
	arena    arena          // reused nodes for entries, see newNode
	accounts map[string]bool
	exps     map[string]int         // decimals of the valid currencies seen
	txs      []bankfile.Transaction // scratch transactions of one entry
	dets     []detail               // scratch details of one entry
	ccys     map[string]bool
	checked  int // statements whose control totals were verified
	open     int // statements with entries whose totals could not be verified
}

func (r *reader) fail(line int, field, value, msg string) {
	r.problems = append(r.problems, bankfile.Problem{
		File: r.name, Line: line, Field: field, Value: value, Message: msg,
	})
}

func (r *reader) warn(line int, field, value, msg string) {
	r.file.Warnings = append(r.file.Warnings, bankfile.Problem{
		File: r.name, Line: line, Field: field, Value: value, Message: msg,
	})
}

func (r *reader) reject() *bankfile.Error {
	format := r.file.Format
	if format == bankfile.FormatUnknown {
		format = bankfile.FormatCAMT053
	}

	return &bankfile.Error{File: r.name, Format: format, Problems: r.problems}
}

// decodeBytes returns the document as UTF-8 and sets File.Encoding. The
// encoding comes from a byte-order mark or the XML declaration; an undeclared or
// mis-declared document that is not valid UTF-8 is read as Windows-1252 with a
// warning rather than rejected.
func (r *reader) decodeBytes(data []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		r.file.Encoding = "utf-8-bom"
		return r.utf8OrFallback(data[3:]), nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		r.file.Encoding = "utf-16"
		dec := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()

		out, err := dec.Bytes(data)
		if err != nil {
			return nil, fmt.Errorf("decode utf-16: %w", err)
		}

		return out, nil
	}

	label := declaredEncoding(data)
	switch label {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		r.file.Encoding = "utf-8"
		if isASCII(data) {
			r.file.Encoding = "ascii"
		}

		return r.utf8OrFallback(data), nil
	}

	enc, err := ianaindex.IANA.Encoding(label)
	if err != nil || enc == nil {
		return nil, fmt.Errorf("declared encoding %q is not supported", label)
	}

	r.file.Encoding = encodingName(label, enc)

	out, err := enc.NewDecoder().Bytes(data)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", label, err)
	}

	return out, nil
}

func (r *reader) utf8OrFallback(data []byte) []byte {
	if utf8.Valid(data) {
		return data
	}

	line := 1 + bytes.Count(data[:firstInvalid(data)], []byte{'\n'})
	r.warn(line, "encoding", "", "not valid UTF-8: read as windows-1252")
	r.file.Encoding = "windows-1252"

	out, err := charmap.Windows1252.NewDecoder().Bytes(data)
	if err != nil {
		return data
	}

	return out
}

func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		c, size := utf8.DecodeRune(b[i:])
		if c == utf8.RuneError && size == 1 {
			return i
		}

		i += size
	}

	return len(b)
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}

	return true
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

// messages maps the camt message element to its format.
var messages = map[string]bankfile.Format{
	"BkToCstmrAcctRpt":      bankfile.FormatCAMT052,
	"BkToCstmrStmt":         bankfile.FormatCAMT053,
	"BkToCstmrDbtCdtNtfctn": bankfile.FormatCAMT054,
}

// walk reads tokens until the end of the document. It descends through any
// envelope (Document, a business application header wrapper, ...) until it finds
// a camt message element, and reads each message it finds.
func (r *reader) walk() {
	found, depth := false, 0

	for {
		off := r.dec.InputOffset()

		tok, err := r.dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}

		if err != nil {
			r.syntax(err, off)
			return
		}

		switch t := tok.(type) {
		case xml.Directive:
			if bytes.Contains(bytes.ToUpper(t), []byte("ENTITY")) {
				r.fail(r.lines.at(off), "DOCTYPE", "", "entity declarations are not accepted")
				return
			}
		case xml.EndElement:
			depth--
		case xml.StartElement:
			format, ok := messages[t.Name.Local]
			if !ok {
				if depth++; depth > maxDepth {
					r.fail(r.lines.at(off), t.Name.Local, "",
						fmt.Sprintf("elements nested more than %d deep", maxDepth))
					return
				}

				continue
			}

			if found && format != r.file.Format {
				r.fail(r.lines.at(off), t.Name.Local, "",
					"more than one kind of camt message in one file")
				return
			}

			found = true
			r.file.Format = format

			if err := r.message(); err != nil {
				r.syntax(err, r.dec.InputOffset())
				return
			}
		}
	}

	if !found && len(r.problems) == 0 {
		r.fail(0, "Document", "", "no camt.052, camt.053 or camt.054 message found")
	}
}

func (r *reader) syntax(err error, off int64) {
	if errors.Is(err, errSlowPath) {
		r.slow = true
		return
	}

	var se *xml.SyntaxError
	if errors.As(err, &se) {
		r.fail(se.Line, "xml", "", se.Msg)
		return
	}

	r.fail(r.lines.at(off), "xml", "", err.Error())
}

// skip reads past the element just started, refusing nesting deeper than
// maxDepth: the decoder keeps a record per open element, so depth is memory.
func (r *reader) skip(name string) error {
	for depth := 1; depth > 0; {
		tok, err := r.dec.Token()
		if err != nil {
			return err
		}

		switch tok.(type) {
		case xml.StartElement:
			if depth++; depth > maxDepth {
				return fmt.Errorf("%s: elements nested more than %d deep", name, maxDepth)
			}
		case xml.EndElement:
			depth--
		}
	}

	return nil
}

// message reads the children of a message element: each Stmt, Rpt or Ntfctn is
// a statement; the group header and anything else are skipped.
func (r *reader) message() error {
	for {
		off := r.dec.InputOffset()

		tok, err := r.dec.Token()
		if err != nil {
			return err
		}

		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			switch t.Name.Local {
			case "Stmt", "Rpt", "Ntfctn":
				if err := r.statement(t, off); err != nil {
					return err
				}
			default:
				if err := r.skip(t.Name.Local); err != nil {
					return err
				}
			}
		}
	}
}
