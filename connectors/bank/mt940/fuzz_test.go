package mt940_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/o2c-dev/o2c/connectors/bank/mt940"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// sampleSeeds returns the shared MT940 samples when they are beside the
// repository (found by walking up to go.mod), else nothing.
func sampleSeeds() [][]byte {
	dir, err := os.Getwd()
	if err != nil {
		return nil
	}

	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}

		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}

		dir = parent
	}

	files, _ := filepath.Glob(filepath.Join(dir, "..", "shared", "samples", "mt940", "*.sta"))

	var out [][]byte

	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			out = append(out, data)
		}
	}

	return out
}

// FuzzRead feeds arbitrary bytes to Read and to a lenient profile: no panic,
// every error a *bankfile.Error with located problems, and every accepted
// transaction numbered, keyed once, non-negative and valid UTF-8 text.
func FuzzRead(f *testing.F) {
	for _, s := range sampleSeeds() {
		f.Add(s)
	}

	f.Add(readFixture(f, "b05-structured-86-wrapped.sta"))
	f.Add(lf(eod...))
	f.Add(crlf(lf(rewrapped...)))
	f.Add(mt942(":90D:1EUR9,99", ":90C:2EUR150,50"))
	f.Add([]byte(":20:X\n:25:A\n:60F:C250101EUR0,\n:61:2501010101RC1,NTRF//\n:62F:D250101EUR1,\n-"))
	f.Add([]byte("{1:}{2:O942}{4::20:\n:61:\n:\n86:?2\n0?\n-\n}"))

	lenient := mt940.Options{
		Lenient: []mt940.Check{mt940.CheckBalances, mt940.CheckContinuity,
			mt940.CheckTotals, mt940.CheckSummary, mt940.CheckDates},
		Currency: "EUR",
	}
	hungarian := lenient
	hungarian.Charset = "ibm852"

	f.Fuzz(func(t *testing.T, data []byte) {
		var accepted []int // transactions per profile, -1 when rejected

		for _, opts := range []mt940.Options{{}, lenient, hungarian} {
			file, err := mt940.ReadOptions("fuzz", data, opts)
			if err != nil {
				var be *bankfile.Error
				if !errors.As(err, &be) || len(be.Problems) == 0 {
					t.Fatalf("error %T %v is not a *bankfile.Error with problems", err, err)
				}

				for _, p := range be.Problems {
					if !utf8.ValidString(p.Value) || !utf8.ValidString(p.Message) {
						t.Fatalf("problem text not UTF-8: %+v", p)
					}
				}

				accepted = append(accepted, -1)

				continue
			}

			checkFuzzed(t, file)
			accepted = append(accepted, len(file.Transactions))
		}

		// Relaxing checks never turns an accepted file into a rejected one.
		if accepted[0] >= 0 && accepted[1] != accepted[0] {
			t.Fatalf("strict profile read %d transactions, lenient %d", accepted[0], accepted[1])
		}

		in := mt940.ParseInfo(string(data))
		if !utf8.ValidString(in.Remittance) && utf8.Valid(data) {
			t.Fatalf("ParseInfo made invalid UTF-8 of valid input: %q", in.Remittance)
		}
	})
}

func checkFuzzed(t *testing.T, file *bankfile.File) {
	t.Helper()

	keys := map[string]bool{}

	for i, tx := range file.Transactions {
		if tx.Seq != i+1 || tx.Amount.Minor < 0 || keys[tx.DedupeKey] ||
			!strings.HasPrefix(tx.DedupeKey, "mt940:") {
			t.Fatalf("transaction %d inconsistent: %+v", i, tx)
		}

		keys[tx.DedupeKey] = true

		if probs := tx.TextProblems("fuzz"); len(probs) > 0 {
			t.Fatalf("transaction %d: %v", i, probs)
		}

		if !utf8.ValidString(tx.Problem) {
			t.Fatalf("transaction %d: problem %q", i, tx.Problem)
		}
	}

	for _, w := range file.Warnings {
		if !utf8.ValidString(w.Value) || !utf8.ValidString(w.Message) {
			t.Fatalf("warning text not UTF-8: %+v", w)
		}
	}
}
