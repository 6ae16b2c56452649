package lockbox_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/o2c-dev/o2c/connectors/bank/lockbox"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()

	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}

	return data
}

// mustRead reads data with opts and fails the test when the file is rejected.
func mustRead(t testing.TB, name string, data []byte, opts lockbox.Options) *bankfile.File {
	t.Helper()

	f, err := lockbox.ReadOptions(name, data, opts)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}

	checkConsistent(t, f)

	return f
}

// mustReject reads data and returns the rejection, failing the test when the
// file is accepted or the error is not a *bankfile.Error.
func mustReject(t testing.TB, name string, data []byte, opts lockbox.Options) *bankfile.Error {
	t.Helper()

	f, err := lockbox.ReadOptions(name, data, opts)
	if err == nil {
		t.Fatalf("read %s: accepted with %d transactions, want a rejection",
			name, len(f.Transactions))
	}

	var be *bankfile.Error
	if !errors.As(err, &be) {
		t.Fatalf("read %s: error %T %v, want *bankfile.Error", name, err, err)
	}

	if f != nil {
		t.Errorf("read %s: rejected but also returned a file", name)
	}

	if be.Format != bankfile.FormatLockbox || be.File != name || len(be.Problems) == 0 {
		t.Errorf("rejection names format %q file %q with %d problems", be.Format, be.File,
			len(be.Problems))
	}

	return be
}

// findProblem returns the problem on field at line, or fails the test.
func findProblem(t testing.TB, ps []bankfile.Problem, line int, field string) bankfile.Problem {
	t.Helper()

	for _, p := range ps {
		if p.Field == field && p.Line == line {
			return p
		}
	}

	t.Fatalf("no problem on field %q at line %d in %v", field, line, ps)

	return bankfile.Problem{}
}

// checkConsistent asserts what every accepted file must satisfy: Seq in file
// order, unique non-empty keys with the format prefix, positive amounts in the
// file's currency, and text fields that are valid UTF-8 without NUL.
func checkConsistent(t testing.TB, f *bankfile.File) {
	t.Helper()

	if f.Format != bankfile.FormatLockbox {
		t.Errorf("format %q", f.Format)
	}

	keys := map[string]bool{}
	for i, tr := range f.Transactions {
		if tr.Seq != i+1 || tr.Line == 0 || tr.Amount.Minor < 0 ||
			tr.Amount.Currency != f.Currency || tr.Direction != bankfile.Credit {
			t.Errorf("transaction %d: seq %d line %d amount %v direction %s", i, tr.Seq, tr.Line,
				tr.Amount, tr.Direction)
		}

		if !strings.HasPrefix(tr.DedupeKey, "lockbox:") || keys[tr.DedupeKey] {
			t.Errorf("transaction %d: key %q empty, unprefixed or repeated", i, tr.DedupeKey)
		}

		keys[tr.DedupeKey] = true

		for _, s := range stringFields(reflect.ValueOf(tr)) {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
				t.Errorf("transaction %d: text %q is not clean UTF-8", i, s)
			}
		}
	}

	if probs := f.TextProblems(); len(probs) > 0 {
		t.Errorf("text problems: %v", probs)
	}
}

// stringFields returns every string reachable in v (struct fields, slices).
func stringFields(v reflect.Value) []string {
	switch v.Kind() {
	case reflect.String:
		return []string{v.String()}
	case reflect.Struct:
		var out []string
		for i := 0; i < v.NumField(); i++ {
			out = append(out, stringFields(v.Field(i))...)
		}

		return out
	case reflect.Slice:
		var out []string
		for i := 0; i < v.Len(); i++ {
			out = append(out, stringFields(v.Index(i))...)
		}

		return out
	default:
		return nil
	}
}

// records splits a fixture into records without line endings.
func records(data []byte) []string {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	return strings.Split(strings.TrimRight(s, "\n"), "\n")
}

// join writes records with the line ending sep after each.
func join(recs []string, sep string) []byte {
	return []byte(strings.Join(recs, sep) + sep)
}

// remits is a short form of a check's invoice lines for comparisons.
type remit struct {
	ref  string
	paid int64
}

func remitsOf(tr bankfile.Transaction) []remit {
	var out []remit
	for _, r := range tr.Remits {
		out = append(out, remit{r.Ref, r.Paid})
	}

	return out
}

// keysOf returns the dedupe keys of a file's transactions.
func keysOf(f *bankfile.File) []string {
	var out []string
	for _, tr := range f.Transactions {
		out = append(out, tr.DedupeKey)
	}

	return out
}
