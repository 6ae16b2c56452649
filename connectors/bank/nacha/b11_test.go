package nacha_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/moov-io/ach"

	"github.com/o2c-dev/o2c/connectors/bank/nacha"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// scanAll scans r and returns the file, the transactions emitted and the error.
func scanAll(r io.Reader) (*bankfile.File, []bankfile.Transaction, error) {
	var txs []bankfile.Transaction

	f, err := nacha.Scan("big.ach", r, func(t bankfile.Transaction) error {
		txs = append(txs, t)
		return nil
	})

	return f, txs, err
}

// B11 seed: three credits, each with the invoice it pays.
func TestB11SeedCreditsWithTheirInvoices(t *testing.T) {
	t.Parallel()

	f := mustRead(t, "seed.ach", genBytes(newGen(3, 3)))
	if f.Controls != bankfile.ControlsOK || len(f.Warnings) != 0 {
		t.Fatalf("controls %q, warnings %v", f.Controls, f.Warnings)
	}

	want := []bankfile.Remit{
		{RefType: "IV", Ref: "INV-000001", Paid: 10001},
		{RefType: "IV", Ref: "INV-000002", Paid: 20002},
		{RefType: "IV", Ref: "INV-000003", Paid: 30003},
	}

	if n, total := f.Credits(); n != 3 || total != 60006 {
		t.Fatalf("credits %d totalling %d, want 3 totalling 600.06", n, total)
	}

	for i, tr := range f.Transactions {
		if len(tr.Remits) != 1 || tr.Remits[0] != want[i] || tr.Amount.Minor != want[i].Paid ||
			tr.PayerName != "NORTHWIND SUPPLY" || tr.Problem != "" {
			t.Errorf("credit %d: %+v", i+1, tr)
		}
	}
}

// B11: a generated file, handed to Scan as a stream, gives every payment with
// exact totals; moov-io/ach's reader and validation accept the same bytes, so
// the generator's controls are right.
func TestB11GeneratedFileImportsEveryPayment(t *testing.T) {
	t.Parallel()

	const pairs, perBatch = 20_000, 3_000

	moov, err := ach.NewReader(newGen(pairs, perBatch)).Read()
	if err != nil {
		t.Fatalf("moov-io/ach rejects the generated file: %v", err)
	}

	if err := moov.Validate(); err != nil {
		t.Fatalf("moov-io/ach validation: %v", err)
	}

	f, txs, err := scanAll(newGen(pairs, perBatch))
	if err != nil {
		t.Fatal(err)
	}

	if f.Controls != bankfile.ControlsOK || f.Transactions != nil || len(f.Warnings) != 0 ||
		f.Encoding != "ascii" || f.Account != "231380104:000555666777" {
		t.Errorf("file %+v", f)
	}

	if len(txs) != pairs {
		t.Fatalf("%d transactions, want %d", len(txs), pairs)
	}

	g := newGen(pairs, perBatch)
	keys := make(map[string]bool, pairs)

	var total int64

	for i, tr := range txs {
		seq := i + 1
		ref := fmt.Sprintf("INV-%06d", seq)

		if tr.Seq != seq || tr.Line != g.lineOf(seq) || tr.Amount.Minor != genAmount(seq) ||
			tr.Kind != bankfile.KindPayment || tr.Direction != bankfile.Credit ||
			len(tr.Remits) != 1 || tr.Remits[0].Ref != ref || tr.Problem != "" ||
			tr.BankRef != fmt.Sprintf("%s%07d", genODFI, seq) {
			t.Fatalf("transaction %d: %+v", seq, tr)
		}

		if keys[tr.DedupeKey] {
			t.Fatalf("transaction %d repeats dedupe key %q", seq, tr.DedupeKey)
		}

		keys[tr.DedupeKey] = true
		total += tr.Amount.Minor
	}

	if total != genCredits(pairs) {
		t.Errorf("credits %d, want %d", total, genCredits(pairs))
	}
}

// B11: a record cut to 93 characters deep inside a big file rejects the whole
// file, and the first problem names the physical line, the record type and
// the rule. Nothing after the bad line is emitted; callers roll back what
// was.
func TestB11CorruptRecordNamesLineTypeAndRule(t *testing.T) {
	t.Parallel()

	const pairs, perBatch, bad = 40_000, 5_000, 25_001

	g := newGen(pairs, perBatch)
	if g.lineOf(12_498) != bad {
		t.Fatalf("line %d is not an entry detail record", bad)
	}

	g.corrupt = bad

	f, txs, err := scanAll(g)

	var be *bankfile.Error
	if !errors.As(err, &be) || f != nil {
		t.Fatalf("err = %v, want a rejection", err)
	}

	p := be.Problems[0]
	if p.Line != bad || p.Field != "entry detail record" ||
		p.Message != "entry detail record must be 94 characters, found 93" ||
		!strings.HasPrefix(p.Value, "622"+genRDFI) {
		t.Errorf("first problem %+v", p)
	}

	if !strings.HasPrefix(be.Error(), "big.ach:25001: entry detail record: "+
		"entry detail record must be 94 characters") {
		t.Errorf("error text %q", be.Error())
	}

	// The lost record unbalances its batch: the control totals say so too.
	if be.Controls != bankfile.ControlsMismatch {
		t.Errorf("controls %q", be.Controls)
	}

	if len(txs) >= 12_498 {
		t.Errorf("%d transactions emitted after the file was known bad", len(txs))
	}
}

// Entries are emitted while the stream is still being read.
func TestScanEmitsBeforeTheEnd(t *testing.T) {
	t.Parallel()

	data := genBytes(newGen(10_000, 10_000))
	r := &countingReader{r: bytes.NewReader(data)}

	firstAt := -1
	_, err := nacha.Scan("stream.ach", r, func(bankfile.Transaction) error {
		if firstAt < 0 {
			firstAt = r.n
		}

		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	if firstAt < 0 || firstAt > len(data)/4 {
		t.Errorf("first entry emitted after %d of %d bytes", firstAt, len(data))
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n

	return n, err
}
