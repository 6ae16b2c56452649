package camt_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank/camt"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// FuzzCamtRead feeds arbitrary documents to Read: it must never panic, must
// reject with a *bankfile.Error, and whatever it accepts must be consistent.
func FuzzCamtRead(f *testing.F) {
	fixtures, _ := filepath.Glob(filepath.Join("testdata", "*.xml"))
	for _, p := range fixtures {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}

	f.Add(generate(3, 2))
	f.Add([]byte(`<Document><BkToCstmrDbtCdtNtfctn><Ntfctn><Ntry/></Ntfctn>` +
		`</BkToCstmrDbtCdtNtfctn></Document>`))

	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := camt.Read("fuzz", data)
		if err != nil {
			var be *bankfile.Error
			if !errors.As(err, &be) || len(be.Problems) == 0 {
				t.Fatalf("error %T %v is not a *bankfile.Error with problems", err, err)
			}

			return
		}

		keys := map[string]bool{}
		for i, tx := range file.Transactions {
			if tx.Seq != i+1 || tx.Amount.Minor < 0 || tx.DedupeKey == "" || keys[tx.DedupeKey] {
				t.Fatalf("transaction %d inconsistent: %+v", i, tx)
			}

			keys[tx.DedupeKey] = true
		}
	})
}
