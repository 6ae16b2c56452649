package bai2_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/o2c-dev/o2c/connectors/bank/bai2"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// FuzzRead checks that no input makes the reader panic or hang and that what
// it returns is sane: a rejection with located problems, or a file whose
// transactions are numbered, keyed uniquely and hold valid UTF-8 without NUL
// bytes, read the same way twice.
func FuzzRead(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.bai2"))

	if dir := sharedSamples(); dir != "" {
		more, _ := filepath.Glob(filepath.Join(dir, "*.bai2"))
		seeds = append(seeds, more...)
	}

	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}

		f.Add(data)
		f.Add(bytes.ReplaceAll(data, []byte("/\n"), []byte("/")))
		f.Add(data[:len(data)/2])
	}

	f.Add([]byte(standard()))
	f.Add([]byte("01,A,B,250301,0700,1,,,2/02,B,A,1,250228,,,2/03,1,,010,5/88,,/16,1"))
	f.Add([]byte("03,1,JPY,045/\n88,1,,,100,5,1,D,2,0,1,1,/\n16,115,1,S,1,,,/ 49,-0,3/"))
	f.Add([]byte("\xff\xfe0\x001\x00,\x00"))
	f.Add([]byte("\ufeff16,890,0,V,251301,,A/B,C,D/E\r88,\x00\x81\r\n49,0,1"))

	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := bai2.Read("fuzz.bai2", data)
		if err != nil {
			checkRejection(t, file, err)
			return
		}

		checkFuzzFile(t, file)

		again, err := bai2.Read("fuzz.bai2", data)
		if err != nil || !reflect.DeepEqual(again, file) {
			t.Fatalf("second read differs: %v", err)
		}
	})
}

// sharedSamples returns the shared BAI2 samples folder beside the repository
// root, or "" when it is absent (the fuzz test then runs on its own seeds).
func sharedSamples() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}

	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}

		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}

		dir = parent
	}

	p := filepath.Join(dir, "..", "shared", "samples", "bai2")
	if _, err := os.Stat(p); err != nil {
		return ""
	}

	return p
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
		if p.Message == "" || p.Field == "" || p.File != "fuzz.bai2" || !utf8.ValidString(p.Value) {
			t.Fatalf("problem without message, field or file: %+v", p)
		}
	}
}

func checkFuzzFile(t *testing.T, file *bankfile.File) {
	t.Helper()

	switch file.Controls {
	case bankfile.ControlsOK, bankfile.ControlsNone:
	default:
		t.Fatalf("accepted file with controls %q", file.Controls)
	}

	if probs := file.TextProblems(); len(probs) > 0 {
		t.Fatalf("text problems %v", probs)
	}

	keys := map[string]bool{}

	for i, tx := range file.Transactions {
		if tx.Seq != i+1 || tx.Amount.Minor < 0 || tx.Amount.Currency == "" {
			t.Fatalf("transaction %d: seq %d amount %v", i, tx.Seq, tx.Amount)
		}

		if tx.Direction != bankfile.Credit && tx.Direction != bankfile.Debit {
			t.Fatalf("transaction %d: direction %q", i, tx.Direction)
		}

		if !strings.HasPrefix(tx.DedupeKey, "bai2:") || keys[tx.DedupeKey] {
			t.Fatalf("transaction %d: dedupe key %q", i, tx.DedupeKey)
		}

		keys[tx.DedupeKey] = true
	}

	for _, b := range file.Balances {
		if !utf8.ValidString(b.Account) || strings.IndexByte(b.Account, 0) >= 0 {
			t.Fatalf("balance account %q", b.Account)
		}
	}
}
