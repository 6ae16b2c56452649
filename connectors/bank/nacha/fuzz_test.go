package nacha_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/o2c-dev/o2c/connectors/bank/nacha"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// fuzzBuffer is the small buffer the fuzzer scans with, so that its inputs
// reach the reading of lines longer than the buffer.
const fuzzBuffer = 200

// FuzzRead checks that no input makes the reader panic and that what it
// returns is sane: a rejection with located problems, or transactions with
// positive USD amounts, known kinds, valid UTF-8 text and unique dedupe keys.
// Scan must emit what Read returns, with the default buffer and with a small
// one, and a profile relaxing every check must accept what the strict one
// does.
func FuzzRead(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join("testdata", "*.ach"))
	if err != nil {
		f.Fatal(err)
	}

	if dir := sharedNACHA(); dir != "" {
		more, err := filepath.Glob(filepath.Join(dir, "*"))
		if err != nil {
			f.Fatal(err)
		}

		paths = append(paths, more...)
	}

	seeds := [][]byte{genBytes(newGen(5, 2)), genBytes(&achGen{pairs: 4, perBatch: 4})}

	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}

		seeds = append(seeds, data)
	}

	for _, data := range seeds {
		f.Add(data)
		f.Add([]byte(strings.ReplaceAll(string(data), "\r\n", "")))
		f.Add(data[:len(data)/2])
	}

	f.Add([]byte("101"))
	f.Add([]byte("5220" + strings.Repeat(" ", 90) + "\n6"))
	f.Add([]byte("705ISA*00*\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := nacha.Read("fuzz.ach", data)
		if err != nil {
			checkRejection(t, file, err)
		} else {
			checkFile(t, file, false)
		}

		checkScan(t, data, file, err)
		checkSmallBuffer(t, data, file, err)
		checkRelaxed(t, data, file, err)
	})
}

// scanFuzz scans data with a buffer of size bytes, collecting what is
// emitted.
func scanFuzz(data []byte, size int) (*bankfile.File, []bankfile.Transaction, error) {
	var txs []bankfile.Transaction

	f, err := nacha.ScanBuffer("fuzz.ach", bytes.NewReader(data), nacha.Options{}, size,
		func(t bankfile.Transaction) error {
			txs = append(txs, t)
			return nil
		})

	return f, txs, err
}

// checkScan: Scan emits what Read returns, and rejects what it rejects.
func checkScan(t *testing.T, data []byte, want *bankfile.File, wantErr error) {
	t.Helper()

	var got []bankfile.Transaction

	f, err := nacha.Scan("fuzz.ach", bytes.NewReader(data), func(tr bankfile.Transaction) error {
		got = append(got, tr)
		return nil
	})

	if wantErr != nil {
		if !reflect.DeepEqual(err, wantErr) {
			t.Fatalf("Scan error %v, Read error %v", err, wantErr)
		}

		return
	}

	if err != nil || len(got) != len(want.Transactions) {
		t.Fatalf("Scan: %v, %d transactions, Read %d", err, len(got), len(want.Transactions))
	}

	for i := range got {
		got[i].Problem = want.Transactions[i].Problem // Read holds credits of unchecked files
	}

	if len(got) > 0 && !reflect.DeepEqual(got, want.Transactions) {
		t.Fatalf("Scan emitted other transactions than Read returned")
	}

	f.Transactions = want.Transactions
	if !reflect.DeepEqual(f, want) {
		t.Fatalf("Scan file %+v, Read %+v", f, want)
	}
}

// checkSmallBuffer: a buffer smaller than a line changes nothing for a file in
// one encoding, but for two things the default buffer only meets beyond 64
// KiB: a first line longer than the buffer numbers its records 1, 2, ... even
// when other lines follow, and a long line that breaks the record rules late
// has handed its first records on (the file is rejected all the same). Lines
// mixing encodings are decoded a piece at a time.
func checkSmallBuffer(t *testing.T, data []byte, want *bankfile.File, wantErr error) {
	t.Helper()

	f, got, err := scanFuzz(data, fuzzBuffer)
	if err != nil {
		checkRejection(t, f, err)
	} else {
		f.Transactions = got
		checkFile(t, f, false)
	}

	if !utf8.Valid(data) {
		return
	}

	if (err == nil) != (wantErr == nil) {
		t.Fatalf("buffer %d: error %v, default buffer %v", fuzzBuffer, err, wantErr)
	}

	if err != nil {
		return
	}

	if len(got) != len(want.Transactions) || f.Controls != want.Controls {
		t.Fatalf("buffer %d: %d transactions, controls %q; default buffer %d, %q", fuzzBuffer,
			len(got), f.Controls, len(want.Transactions), want.Controls)
	}

	first := bytes.IndexAny(data, "\r\n")
	longFirst := first < 0 || first >= fuzzBuffer-len(utf8BOM)

	w := append([]bankfile.Transaction(nil), want.Transactions...)
	for i := range got {
		got[i].Problem = w[i].Problem

		if longFirst {
			got[i].Line, w[i].Line = 0, 0
		}
	}

	if len(got) > 0 && !reflect.DeepEqual(got, w) {
		t.Fatalf("buffer %d read otherwise:\n%+v\n%+v", fuzzBuffer, got, w)
	}
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// checkRelaxed: relaxing every check accepts at least what the strict read
// accepts, with the same transactions.
func checkRelaxed(t *testing.T, data []byte, want *bankfile.File, wantErr error) {
	t.Helper()

	all := nacha.Options{WarnOnly: []nacha.Check{nacha.CheckBatchCount,
		nacha.CheckBlockCount, nacha.CheckEntryAddendaCount, nacha.CheckEntryHash}}

	f, err := nacha.ReadOptions("fuzz.ach", data, all)
	if err != nil {
		checkRejection(t, f, err)

		if wantErr == nil {
			t.Fatalf("relaxed profile rejects what the strict one accepts: %v", err)
		}

		return
	}

	checkFile(t, f, true)

	if wantErr == nil && !reflect.DeepEqual(f, want) {
		t.Fatalf("relaxed profile reads an accepted file otherwise")
	}
}

func checkRejection(t *testing.T, file *bankfile.File, err error) {
	t.Helper()

	var be *bankfile.Error
	if !errors.As(err, &be) || file != nil {
		t.Fatalf("error %T %v with file %v", err, err, file != nil)
	}

	if len(be.Problems) == 0 {
		t.Fatal("rejection without problems")
	}

	for _, p := range be.Problems {
		if p.Message == "" || p.Field == "" || p.File != "fuzz.ach" {
			t.Fatalf("problem without message, field or file: %+v", p)
		}
	}
}

func checkFile(t *testing.T, file *bankfile.File, relaxed bool) {
	t.Helper()

	switch file.Controls {
	case bankfile.ControlsOK, bankfile.ControlsNone:
	case bankfile.ControlsMismatch:
		if !relaxed {
			t.Fatalf("strict read accepted a file with controls %q", file.Controls)
		}
	default:
		t.Fatalf("accepted file with controls %q", file.Controls)
	}

	keys := map[string]bool{}

	for i, tr := range file.Transactions {
		if tr.Seq != i+1 || tr.Amount.Minor < 0 || tr.Amount.Currency != "USD" {
			t.Fatalf("transaction %d: seq %d amount %v", i, tr.Seq, tr.Amount)
		}

		if tr.Direction != bankfile.Credit && tr.Direction != bankfile.Debit {
			t.Fatalf("transaction %d: direction %q", i, tr.Direction)
		}

		switch tr.Kind {
		case bankfile.KindPayment, bankfile.KindReturn, bankfile.KindReversal, bankfile.KindNotice:
		default:
			t.Fatalf("transaction %d: kind %q", i, tr.Kind)
		}

		if tr.DedupeKey == "" || keys[tr.DedupeKey] {
			t.Fatalf("transaction %d: dedupe key %q empty or repeated", i, tr.DedupeKey)
		}

		keys[tr.DedupeKey] = true

		for _, s := range stringFields(reflect.ValueOf(tr)) {
			if !utf8.ValidString(s) {
				t.Fatalf("transaction %d: invalid UTF-8 %q", i, s)
			}
		}
	}
}
