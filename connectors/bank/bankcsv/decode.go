package bankcsv

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encodings as File.Encoding names them.
const (
	encASCII   = "ascii"
	encUTF8    = "utf-8"
	encUTF8BOM = "utf-8-bom"
	encUTF16   = "utf-16"
	encCP1252  = "windows-1252"
	encLatin1  = "iso-8859-1"
	encLatin9  = "iso-8859-15"
)

// Errors of the text layer under the CSV parser.
var (
	errMixedEncoding = errors.New("invalid UTF-8 after UTF-8 text: the file mixes " +
		"encodings; set the encoding in a bank profile")
	errRecordTooLong = errors.New("a row is longer than 1 MiB: an unclosed quote, or not " +
		"a bank CSV export")
	errTooLarge = errors.New("file too large")
)

// lookahead is how many bytes decide between UTF-8 and Windows-1252 at the
// first non-ASCII byte.
const lookahead = 4 << 10

// maxRecord is the longest row accepted, in decoded bytes.
const maxRecord = 1 << 20

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// decoder turns the raw bytes of an export into UTF-8 text as it is read.
type decoder struct {
	src  *bufio.Reader
	enc  string // the encoding asked for; "" decides from the bytes
	used string // the encoding in use; encASCII while only ASCII was seen
	r    io.Reader
}

// newDecoder reads src, which is at the start of the file, in encoding enc ("" to
// detect it). A byte-order mark wins over enc.
func newDecoder(src *bufio.Reader, enc string) *decoder {
	d := &decoder{src: src, enc: enc}
	head, _ := src.Peek(3)

	switch {
	case bytes.HasPrefix(head, utf8BOM):
		_, _ = src.Discard(3)
		d.use(encUTF8BOM)
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		d.use(encUTF16)
	case enc != "":
		d.use(enc)
	default:
		d.used = encASCII
	}

	return d
}

// use switches to decoding as enc from the current position.
func (d *decoder) use(enc string) {
	d.used = enc

	switch enc {
	case encUTF8, encUTF8BOM:
		d.r = transform.NewReader(d.src, &utf8Check{})
	case encUTF16:
		dec := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder()
		d.r = transform.NewReader(d.src, dec)
	case encCP1252:
		d.r = transform.NewReader(d.src, charmap.Windows1252.NewDecoder())
	case encLatin1:
		d.r = transform.NewReader(d.src, charmap.ISO8859_1.NewDecoder())
	case encLatin9:
		d.r = transform.NewReader(d.src, charmap.ISO8859_15.NewDecoder())
	}
}

// Read passes ASCII through until the first non-ASCII byte; the bytes from
// there decide: valid UTF-8 is read as UTF-8, anything else as Windows-1252,
// the usual single-byte bank encoding (a superset of ISO-8859-1's printable
// range). Everything before that byte reads the same in both.
func (d *decoder) Read(p []byte) (int, error) {
	if d.r != nil {
		return d.r.Read(p)
	}

	if len(p) == 0 {
		return 0, nil
	}

	if _, err := d.src.Peek(1); err != nil {
		return 0, err
	}

	b, _ := d.src.Peek(min(len(p), d.src.Buffered()))

	i := 0
	for i < len(b) && b[i] < utf8.RuneSelf {
		i++
	}

	if i > 0 {
		n := copy(p, b[:i])
		_, _ = d.src.Discard(n)

		return n, nil
	}

	look, err := d.src.Peek(lookahead)

	switch valid, invalid := scanUTF8(look, err != nil); {
	case valid && invalid:
		d.used, d.r = encUTF8, failing{errMixedEncoding}
	case invalid:
		d.use(encCP1252)
	default:
		d.use(encUTF8)
	}

	return d.r.Read(p)
}

// scanUTF8 reports whether b holds valid multi-byte UTF-8 sequences and bytes
// that are not UTF-8; a rune cut off at the end of b counts as neither unless b
// is the end of the file.
func scanUTF8(b []byte, atEOF bool) (valid, invalid bool) {
	for len(b) > 0 {
		if b[0] < utf8.RuneSelf {
			b = b[1:]
			continue
		}

		if !utf8.FullRune(b) && !atEOF {
			break
		}

		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			invalid = true
		} else {
			valid = true
		}

		b = b[size:]
	}

	return valid, invalid
}

// failing is a reader that fails with err.
type failing struct{ err error }

func (f failing) Read([]byte) (int, error) { return 0, f.err }

// utf8Check passes valid UTF-8 through and fails on anything else.
type utf8Check struct{}

func (*utf8Check) Reset() {}

func (*utf8Check) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	n := 0
	for n < len(src) {
		if src[n] < utf8.RuneSelf {
			n++
			continue
		}

		if !utf8.FullRune(src[n:]) && !atEOF {
			break
		}

		r, size := utf8.DecodeRune(src[n:])
		if r == utf8.RuneError && size == 1 {
			err = errMixedEncoding
			break
		}

		n += size
	}

	m := copy(dst, src[:n])

	switch {
	case m < n:
		return m, m, transform.ErrShortDst
	case err != nil:
		return m, m, err
	case n < len(src):
		return m, m, transform.ErrShortSrc
	}

	return m, m, nil
}

// macLines turns the lone carriage returns of classic Mac line ends into line
// feeds; CRLF is left to the CSV parser.
type macLines struct{}

func (macLines) Reset() {}

func (macLines) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		i := bytes.IndexByte(src[nSrc:], '\r')
		if i < 0 {
			i = len(src) - nSrc
		}

		n := copy(dst[nDst:], src[nSrc:nSrc+i])
		nDst += n
		nSrc += n

		if n < i {
			return nDst, nSrc, transform.ErrShortDst
		}

		if nSrc == len(src) {
			break
		}

		if nSrc+1 == len(src) && !atEOF {
			return nDst, nSrc, transform.ErrShortSrc
		}

		if nDst == len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}

		c := byte('\n')
		if nSrc+1 < len(src) && src[nSrc+1] == '\n' {
			c = '\r'
		}

		dst[nDst] = c
		nDst++
		nSrc++
	}

	return nDst, nSrc, nil
}

// rowGuard fails once a row grows past maxRecord: with lenient quoting an
// unclosed quote would otherwise read the rest of the file into one field.
type rowGuard struct {
	r    io.Reader
	read int64
	mark int64 // where the current row starts (csv.Reader.InputOffset)
}

func (g *rowGuard) Read(p []byte) (int, error) {
	if g.read-g.mark > maxRecord {
		return 0, errRecordTooLong
	}

	n, err := g.r.Read(p)
	g.read += int64(n)

	return n, err
}

// sizeLimit fails a read once more than max bytes went through it.
type sizeLimit struct {
	r    io.Reader
	read int64
	max  int64
}

func (l *sizeLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.read += int64(n)

	if l.read > l.max {
		return n, errTooLarge
	}

	return n, err
}
