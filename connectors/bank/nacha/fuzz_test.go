package nacha_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank/nacha"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// FuzzRead checks that no input makes the reader panic and that what it
// returns is sane: a rejection with located problems, or transactions with
// positive USD amounts, known kinds and unique dedupe keys.
func FuzzRead(f *testing.F) {
	fixtures, err := filepath.Glob(filepath.Join("testdata", "*.ach"))
	if err != nil {
		f.Fatal(err)
	}

	for _, path := range fixtures {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}

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
			return
		}

		checkFile(t, file)

		again, err := nacha.Read("fuzz.ach", data)
		if err != nil || !reflect.DeepEqual(again, file) {
			t.Fatalf("second read differs: %v", err)
		}
	})
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

func checkFile(t *testing.T, file *bankfile.File) {
	t.Helper()

	switch file.Controls {
	case bankfile.ControlsOK, bankfile.ControlsNone:
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
	}
}
