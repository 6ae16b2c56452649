package nacha_test

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// The generated files are CCD credits from one company, each entry with one
// RMR addenda: trace numbers 12104288 + a 7-digit sequence, amounts cycling
// 100.01 / 200.02 / 300.03, invoice references INV- + a 6-digit sequence, the
// batch and file controls computed here.
const (
	genODFI      = "12104288"
	genRDFI      = "23138010" // and check digit 4
	genCompanyID = "1987654321"
)

// genAmounts is the cycle of entry amounts in cents.
var genAmounts = [3]int64{10001, 20002, 30003}

// genAmount is the amount of entry seq (1-based).
func genAmount(seq int) int64 {
	return genAmounts[(seq-1)%3]
}

// genCredits is the total of entries 1..n.
func genCredits(n int) int64 {
	var total int64
	for i := 0; i < 3; i++ {
		total += genAmounts[i] * int64((n-i+2)/3)
	}

	return total
}

// achGen streams a generated NACHA file, a record at a time: pairs entries
// with their addenda, perBatch of them to a batch, the last line padded with
// nines to a block of ten. It never holds more than one record.
type achGen struct {
	pairs    int
	perBatch int
	eol      string // line break after every record; "" for none
	corrupt  int    // physical line cut to 93 characters; 0 for none

	line    int // records produced so far
	seq     int // entries produced so far
	inBatch int // records of the current batch produced, its header included
	batch   int // batches started
	fill    int // nines records still to write
	state   int
	pending []byte
	rec     []byte
}

const (
	genHeader = iota
	genBatchHeader
	genEntry
	genAddenda
	genBatchControl
	genFileControl
	genFiller
	genDone
)

// newGen returns a generator of pairs entries, perBatch to a batch, with LF
// line breaks.
func newGen(pairs, perBatch int) *achGen {
	return &achGen{pairs: pairs, perBatch: perBatch, eol: "\n"}
}

func (g *achGen) batches() int {
	return (g.pairs + g.perBatch - 1) / g.perBatch
}

// records is the number of records before the nines.
func (g *achGen) records() int {
	return 2 + 2*g.batches() + 2*g.pairs
}

// lineOf returns the physical line of entry seq (1-based).
func (g *achGen) lineOf(seq int) int {
	b := (seq - 1) / g.perBatch
	return 1 + b*(2+2*g.perBatch) + 1 + 2*((seq-1)%g.perBatch) + 1
}

func (g *achGen) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(g.pending) == 0 {
			if !g.next() {
				if n == 0 {
					return 0, io.EOF
				}

				break
			}
		}

		c := copy(p[n:], g.pending)
		n += c
		g.pending = g.pending[c:]
	}

	return n, nil
}

// next makes the next record pending, false at the end of the file.
func (g *achGen) next() bool {
	r := g.rec[:0]

	switch g.state {
	case genHeader:
		r = append(r, "101 231380104 1210428822603020800A094101"...)
		r = pad(r, "RIVERSIDE NATIONAL", 23)
		r = pad(r, "HARBOR STATE BANK", 23)
		r = pad(r, "", 8)
		g.state = genBatchHeader
	case genBatchHeader:
		g.batch++
		g.inBatch = 0
		r = append(r, "5220"...)
		r = pad(r, "NORTHWIND SUPPLY", 16)
		r = pad(r, "", 20)
		r = append(r, genCompanyID+"CCD"...)
		r = pad(r, "PAYMENT", 10)
		r = append(r, "      260302   1"+genODFI...)
		r = num(r, int64(g.batch), 7)
		g.state = genEntry
	case genEntry:
		g.seq++
		r = append(r, "622"+genRDFI+"4"...)
		r = pad(r, "000555666777", 17)
		r = num(r, genAmount(g.seq), 10)
		r = pad(r, "CUST-"+strconv.Itoa(100000+g.seq%900000), 15)
		r = pad(r, "GLOBEX SUPPLY", 22)
		r = append(r, "  1"+genODFI...)
		r = num(r, int64(g.seq), 7)
		g.state = genAddenda
	case genAddenda:
		cents := genAmount(g.seq)
		text := "RMR*IV*INV-" + string(num(nil, int64(g.seq), 6)) + "**" +
			strconv.FormatInt(cents/100, 10) + "." + string(num(nil, cents%100, 2)) + `\`
		r = append(r, "705"...)
		r = pad(r, text, 80)
		r = append(r, "0001"...)
		r = num(r, int64(g.seq), 7)
		g.state = genEntry

		if g.seq == g.pairs || g.seq%g.perBatch == 0 {
			g.state = genBatchControl
		}
	case genBatchControl:
		n := g.seq - (g.batch-1)*g.perBatch
		r = append(r, "8220"...)
		r = num(r, int64(2*n), 6)
		r = num(r, hash(n), 10)
		r = num(r, 0, 12)
		r = num(r, genCredits(g.seq)-genCredits(g.seq-n), 12)
		r = append(r, genCompanyID...)
		r = pad(r, "", 25)
		r = append(r, genODFI...)
		r = num(r, int64(g.batch), 7)
		g.state = genBatchHeader

		if g.seq == g.pairs {
			g.state = genFileControl
		}
	case genFileControl:
		r = append(r, '9')
		r = num(r, int64(g.batches()), 6)
		r = num(r, int64((g.records()+9)/10), 6)
		r = num(r, int64(2*g.pairs), 8)
		r = num(r, hash(g.pairs), 10)
		r = num(r, 0, 12)
		r = num(r, genCredits(g.pairs), 12)
		r = pad(r, "", 39)
		g.fill = (10 - g.records()%10) % 10
		g.state = genFiller
	case genFiller:
		if g.fill == 0 {
			g.state = genDone
			return false
		}

		g.fill--
		r = append(r, bytes.Repeat([]byte("9"), 94)...)
	default:
		return false
	}

	g.line++
	if g.line == g.corrupt {
		r = r[:93]
	}

	g.rec = append(r, g.eol...)
	g.pending = g.rec

	return true
}

// hash is the entry hash of n entries to genRDFI.
func hash(n int) int64 {
	v, _ := strconv.ParseInt(genRDFI, 10, 64)
	return v * int64(n) % 10_000_000_000
}

func pad(b []byte, s string, width int) []byte {
	if len(s) > width {
		panic(fmt.Sprintf("%q is longer than %d", s, width))
	}

	b = append(b, s...)
	for i := len(s); i < width; i++ {
		b = append(b, ' ')
	}

	return b
}

func num(b []byte, v int64, width int) []byte {
	s := strconv.FormatInt(v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}

	return append(b, s...)
}

// genBytes returns a whole generated file.
func genBytes(g *achGen) []byte {
	data, err := io.ReadAll(g)
	if err != nil {
		panic(err)
	}

	return data
}
