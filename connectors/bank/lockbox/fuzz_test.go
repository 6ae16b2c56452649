package lockbox_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/o2c-dev/o2c/connectors/bank/lockbox"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// FuzzRead feeds arbitrary bytes to Read: it must never panic, must reject
// with a *bankfile.Error holding problems, and whatever it accepts must be
// consistent: Seq in order, unique prefixed keys, clean UTF-8 text, credits
// only, and Scan must emit the same transactions.
func FuzzRead(f *testing.F) {
	for _, name := range []string{multiBatch, mismatch, badFields, delimMulti, b18Fixture} {
		f.Add(readFixture(f, name))
	}

	if dir := sampleDirIfAny(f); dir != "" {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if data, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
				f.Add(data)
			}
		}
	}

	recs := records(readFixture(f, multiBatch))
	f.Add([]byte(strings.Join(pad(recs, 104), "")))
	f.Add(perLine(pad(recs, 104), 3))
	f.Add([]byte("1|L|P|20250101|0000\n5|1|20250101\n6|1|1|CHK|1|100|1|2|N\n4|1|1|1|I|\n" +
		"7|1|1|100\n8|L|1|100\n9|1|1|100\n"))
	f.Add([]byte("100\n6\n4\n7\n8\n9"))

	var gen bytes.Buffer
	if _, err := generate(&gen, 40, 7); err != nil {
		f.Fatal(err)
	}

	f.Add(gen.Bytes())

	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := lockbox.Read("fuzz", data)
		if err != nil {
			var be *bankfile.Error
			if !errors.As(err, &be) || len(be.Problems) == 0 {
				t.Fatalf("error %T %v is not a *bankfile.Error with problems", err, err)
			}

			for _, p := range be.Problems {
				if !utf8.ValidString(p.Message) || !utf8.ValidString(p.Value) ||
					strings.ContainsRune(p.Message+p.Value, 0) {
					t.Fatalf("problem text is not UTF-8: %+v", p)
				}
			}

			return
		}

		checkConsistent(t, file)

		n := 0
		_, err = lockbox.Scan("fuzz", bytes.NewReader(data), func(tr bankfile.Transaction) error {
			if tr.DedupeKey != file.Transactions[n].DedupeKey {
				t.Fatalf("scan emitted %q as number %d, read gave %q", tr.DedupeKey, n,
					file.Transactions[n].DedupeKey)
			}

			n++

			return nil
		})
		if err != nil || n != len(file.Transactions) {
			t.Fatalf("scan: %v after %d of %d transactions", err, n, len(file.Transactions))
		}
	})
}

// sampleDirIfAny returns the shared lockbox samples folder beside the
// repository root, or "" when it is absent (the fuzz seeds then come from
// testdata only).
func sampleDirIfAny(f *testing.F) string {
	dir, err := os.Getwd()
	if err != nil {
		f.Fatal(err)
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

	p := filepath.Join(dir, "..", "shared", "samples", "lockbox")
	if _, err := os.Stat(p); err != nil {
		return ""
	}

	return p
}
