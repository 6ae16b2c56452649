package camt

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

// chunks hands out at most n bytes per Read, so that the scanner's window
// ends inside tokens, names, entities and multi-byte characters.
type chunks struct {
	r io.Reader
	n int
}

func (c *chunks) Read(p []byte) (int, error) {
	return c.r.Read(p[:min(len(p), c.n)])
}

// scanAll scans data from r and returns the file with the transactions emit
// received, in file order.
func scanAll(name string, r io.Reader, fast bool) (*bankfile.File, error) {
	var txs []bankfile.Transaction

	f, err := scan(name, r, Options{}, fast, func(t bankfile.Transaction) error {
		txs = append(txs, t)
		return nil
	})
	if err != nil {
		return nil, err
	}

	slices.SortFunc(txs, bySeq)
	if len(txs) > 0 {
		f.Transactions = txs
	}

	return f, nil
}

// TestScanReadsLikeDecoder scans every input as it arrives in pieces of
// several sizes, with the scanner and with encoding/xml alone, and wants what
// encoding/xml reads from the whole document: the window may end anywhere.
func TestScanReadsLikeDecoder(t *testing.T) {
	t.Parallel()

	in := scanInputs(t)
	for name, data := range in {
		want, wantErr := read(name, data, Options{}, false)

		for _, fast := range []bool{true, false} {
			for _, n := range []int{1, 7, 4096} {
				var src io.Reader = &chunks{r: bytes.NewReader(data), n: n}
				if n == 1 {
					src = iotest.OneByteReader(bytes.NewReader(data))
				}

				got, gotErr := scanAll(name, src, fast)
				if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotErr, wantErr) {
					t.Errorf("%s (fast %v, %d-byte reads): differs from encoding/xml:\n"+
						" got %+v, %v\nwant %+v, %v", name, fast, n, got, gotErr, want, wantErr)
				}
			}
		}
	}
}

// A document over the size limit is refused as it is read; one at the limit
// is read.
func TestScanRefusesDocumentOverLimit(t *testing.T) {
	t.Parallel()

	doc := "<Document><BkToCstmrStmt><Stmt><Id>S</Id></Stmt></BkToCstmrStmt></Document>" +
		strings.Repeat("\n", 2000)
	none := func(bankfile.Transaction) error { return nil }

	_, err := scanSized("big.xml", strings.NewReader(doc), Options{}, true, 1000, none)

	var be *bankfile.Error
	if !errors.As(err, &be) || be.Problems[0].Field != "file" ||
		!strings.Contains(be.Problems[0].Message, "larger than the 1000 bytes accepted") {
		t.Fatalf("err = %v, want the size limit", err)
	}

	limit := int64(len(doc))
	if _, err := scanSized("at.xml", strings.NewReader(doc), Options{}, true, limit,
		none); err != nil {
		t.Fatalf("a document at the limit: %v", err)
	}
}

// A tag or text longer than maxToken is refused by both readers alike, at the
// line where it starts, without holding it whole.
func TestTokenTooLarge(t *testing.T) {
	t.Parallel()

	head := `<?xml version="1.0" encoding="UTF-8"?>` + "\n<Document><BkToCstmrStmt>\n<Stmt>\n"
	long := strings.Repeat("x", maxToken+10)

	docs := map[string]string{
		"text":      head + "<Id>" + long + "</Id>\n</Stmt></BkToCstmrStmt></Document>",
		"attribute": head + `<Id a="` + long + `">1</Id>` + "\n</Stmt></BkToCstmrStmt></Document>",
		"comment":   head + "<!-- " + long + " -->\n</Stmt></BkToCstmrStmt></Document>",
	}

	for name, doc := range docs {
		for _, fast := range []bool{true, false} {
			_, err := read(name, []byte(doc), Options{}, fast)

			var be *bankfile.Error
			if !errors.As(err, &be) || be.Problems[0].Field != "xml" ||
				be.Problems[0].Line != 4 || !strings.Contains(be.Error(), "longer than") {
				t.Errorf("%s (fast %v): err = %v, want a long token on line 4", name, fast, err)
			}
		}
	}
}

// The scanner hands over to encoding/xml where the document leaves its
// subset; the lines of later problems stay right.
func TestHandoverKeepsLines(t *testing.T) {
	t.Parallel()

	doc := "<?xml version=\"1.0\"?>\n<Document>\n<BkToCstmrStmt>\n<Stmt>\n" +
		"<!-- comment -->\n<Id>A &#38; B</Id>\n<Acct><Id><IBAN>X</IBAN></Id></Acct>\n" +
		"<Bal><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CREDIT</CdtDbtInd></Bal>\n</Stmt>\n" +
		"</BkToCstmrStmt>\n</Document>\n"

	for _, n := range []int{1, 3, 1 << 20} {
		src := &chunks{r: strings.NewReader(doc), n: n}
		_, err := scanAll("lines", src, true)

		var be *bankfile.Error
		if !errors.As(err, &be) || be.Problems[0].Field != "Bal/CdtDbtInd" ||
			be.Problems[0].Line != 8 {
			t.Errorf("%d-byte reads: err = %v, want Bal/CdtDbtInd on line 8", n, err)
		}
	}
}

// bulk returns a camt.053 of n entries of 1.00 EUR, each a reversal when
// reversal is set (the bank repeats the original direction: CRDT), with
// balances that close at closing.
func bulk(n int, reversal bool, closing string) []byte {
	var b strings.Builder

	b.WriteString("<Document><BkToCstmrStmt><Stmt><Id>B</Id>\n" +
		"<Acct><Id><IBAN>DE02100100100006820101</IBAN></Id></Acct>\n" +
		`<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0</Amt>` +
		"<CdtDbtInd>CRDT</CdtDbtInd></Bal>\n" +
		`<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">` + closing +
		"</Amt><CdtDbtInd>DBIT</CdtDbtInd></Bal>\n")

	rvsl := ""
	if reversal {
		rvsl = "<RvslInd>true</RvslInd>"
	}

	for i := range n {
		b.WriteString(`<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>` + rvsl +
			"<Sts>BOOK</Sts><AcctSvcrRef>R" + strconv.Itoa(i) + "</AcctSvcrRef></Ntry>\n")
	}

	b.WriteString("</Stmt></BkToCstmrStmt></Document>\n")

	return []byte(b.String())
}

// A statement with more reversals than are held for its balances passes them
// on with the sign unconfirmed; the file is still checked whole.
func TestManyReversalsPassedOn(t *testing.T) {
	t.Parallel()

	n := maxReversals + 5
	data := bulk(n, true, strconv.Itoa(n)+".00")

	f, err := read("many", data, Options{}, true)
	if err != nil {
		t.Fatal(err)
	}

	if len(f.Transactions) != n || f.Controls != bankfile.ControlsOK ||
		!strings.Contains(f.Warnings[0].Message, "reversals") {
		t.Fatalf("%d transactions, controls %s, warnings %v", len(f.Transactions), f.Controls,
			f.Warnings[:1])
	}

	for _, tx := range f.Transactions {
		if !strings.Contains(tx.Problem, "not confirmed") {
			t.Fatalf("transaction %d: problem %q", tx.Seq, tx.Problem)
		}
	}

	// With the bank's convention in its profile the sign is known.
	g, err := read("many", data, Options{Reversals: ReversalOriginal}, true)
	if err != nil || g.Transactions[0].Direction != bankfile.Debit ||
		g.Transactions[0].Problem != "" {
		t.Fatalf("with profile: %v, %+v", err, g.Transactions[0])
	}
}

// A lenient profile holds the transactions of a statement to mark them, up
// to maxHeld; a longer statement passes them on, and says so.
func TestLenientHoldIsBounded(t *testing.T) {
	t.Parallel()

	n := maxHeld + 5
	data := bytes.Replace(bulk(n, false, "1.00"), []byte("<CdtDbtInd>DBIT</CdtDbtInd>"),
		[]byte("<CdtDbtInd>CRDT</CdtDbtInd>"), 1)

	var emitted int

	f, err := scan("held", bytes.NewReader(data), Options{Lenient: []Check{CheckBalances}}, true,
		func(tx bankfile.Transaction) error {
			emitted++
			if tx.Seq <= maxHeld && tx.Problem != "" {
				t.Errorf("transaction %d marked after it was passed on", tx.Seq)
			}

			return nil
		})
	if err != nil || emitted != n || f.Controls != bankfile.ControlsMismatch {
		t.Fatalf("%v, %d emitted, controls %s", err, emitted, f.Controls)
	}

	if !hasWarning(f.Warnings, "passed on before its control totals were checked") {
		t.Fatalf("warnings %v", f.Warnings)
	}
}

func hasWarning(ps []bankfile.Problem, text string) bool {
	for _, p := range ps {
		if strings.Contains(p.Message, text) {
			return true
		}
	}

	return false
}
