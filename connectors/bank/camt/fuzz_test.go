package camt_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank/camt"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// FuzzCamtRead feeds arbitrary documents to Read and Scan: they must never
// panic, must reject with a *bankfile.Error, must agree, and whatever they
// accept must be consistent.
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
		checkScan(t, data, file, err)

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

// checkScan scans data as it arrives in small pieces and wants what Read gave:
// the same file, the same transactions in Seq order, or the same rejection.
func checkScan(t *testing.T, data []byte, want *bankfile.File, wantErr error) {
	t.Helper()

	var txs []bankfile.Transaction

	src := &pieces{data: data, n: 1 + len(data)%13}

	got, err := camt.Scan("fuzz", src, func(tx bankfile.Transaction) error {
		txs = append(txs, tx)
		return nil
	})
	if err != nil || wantErr != nil {
		if !reflect.DeepEqual(err, wantErr) {
			t.Fatalf("Scan error %v, Read error %v", err, wantErr)
		}

		return
	}

	slices.SortFunc(txs, func(a, b bankfile.Transaction) int { return a.Seq - b.Seq })
	if len(txs) > 0 {
		got.Transactions = txs
	}

	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Scan read\n%+v\nRead read\n%+v", got, want)
	}
}

// pieces reads data n bytes at a time.
type pieces struct {
	data []byte
	n    int
}

func (p *pieces) Read(b []byte) (int, error) {
	if len(p.data) == 0 {
		return 0, io.EOF
	}

	k := copy(b[:min(len(b), p.n)], p.data)
	p.data = p.data[k:]

	return k, nil
}
