package mt940_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/o2c-dev/o2c/connectors/bank/mt940"
	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/samplefiles"
)

// samplesDir returns the shared MT940 samples folder, or skips.
func samplesDir(t testing.TB) string {
	t.Helper()

	return samplefiles.Dir(t, "mt940")
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()

	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}

	return data
}

// mustRead reads data with opts and fails the test when it is rejected; it
// also checks what every accepted file must satisfy.
func mustRead(t testing.TB, name string, data []byte, opts mt940.Options) *bankfile.File {
	t.Helper()

	f, err := mt940.ReadOptions(name, data, opts)
	if err != nil {
		t.Fatalf("%s rejected: %v", name, err)
	}

	checkFile(t, f)

	return f
}

// checkFile asserts numbering, keys and text validity of an accepted file.
func checkFile(t testing.TB, f *bankfile.File) {
	t.Helper()

	keys := map[string]bool{}

	for i, tx := range f.Transactions {
		if tx.Seq != i+1 {
			t.Errorf("transaction %d has Seq %d", i, tx.Seq)
		}

		if !strings.HasPrefix(tx.DedupeKey, "mt940:") || keys[tx.DedupeKey] {
			t.Errorf("transaction %d: dedupe key %q missing, unprefixed or repeated", i,
				tx.DedupeKey)
		}

		keys[tx.DedupeKey] = true

		if tx.Amount.Minor < 0 || tx.Amount.Currency == "" {
			t.Errorf("transaction %d: amount %+v", i, tx.Amount)
		}

		if probs := tx.TextProblems(f.Name); len(probs) > 0 {
			t.Errorf("transaction %d: %v", i, probs)
		}

		for _, s := range []string{tx.Remittance, tx.PayerName, tx.Problem} {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
				t.Errorf("transaction %d: invalid text %q", i, s)
			}
		}
	}
}

// mustReject reads data and returns the rejection, failing when it is accepted.
func mustReject(t testing.TB, name string, data []byte, opts mt940.Options) *bankfile.Error {
	t.Helper()

	f, err := mt940.ReadOptions(name, data, opts)
	if err == nil {
		t.Fatalf("%s accepted with %d transactions, want a rejection", name, len(f.Transactions))
	}

	var be *bankfile.Error
	if !errors.As(err, &be) {
		t.Fatalf("%s: error %T %v is not a *bankfile.Error", name, err, err)
	}

	if len(be.Problems) == 0 {
		t.Fatalf("%s: rejection without problems", name)
	}

	for _, p := range be.Problems {
		if p.File != name || p.Message == "" {
			t.Errorf("problem without file or message: %+v", p)
		}
	}

	return be
}

// findProblem returns the problem of field at line (0: any line), or fails.
func findProblem(t testing.TB, be *bankfile.Error, field string, line int) bankfile.Problem {
	t.Helper()

	for _, p := range be.Problems {
		if p.Field == field && (line == 0 || p.Line == line) {
			return p
		}
	}

	t.Fatalf("no problem for %s at line %d in %v", field, line, be.Problems)

	return bankfile.Problem{}
}

// lf turns lines into file content with LF line ends.
func lf(lines ...string) []byte {
	return []byte(strings.Join(lines, "\n") + "\n")
}

func crlf(data []byte) []byte {
	return bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
}

func keysOf(f *bankfile.File) []string {
	out := make([]string, 0, len(f.Transactions))
	for _, tx := range f.Transactions {
		out = append(out, tx.DedupeKey)
	}

	return out
}
