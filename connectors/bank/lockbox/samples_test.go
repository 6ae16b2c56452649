package lockbox_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/connectors/bank/lockbox"
	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/samplefiles"
)

// sampleWant is the expected outcome of one shared sample, worked out by hand
// from the file's columns (see the comment of each entry), not from the
// reader's output.
type sampleWant struct {
	checks      int
	creditTotal int64 // credits of KindPayment, in cents
	controls    bankfile.Controls
	encoding    string
	account     string
	first       bankfile.Transaction // fields of the first check compared
	warnings    int
}

var sampleTable = map[string]sampleWant{
	// 8 records. 6: batch 001 item 001, amount 0000700000 (cols 8-17),
	// routing 055002707, account 0012345555, check 0000000180, remitter
	// "PERSON A"; 4: same batch/item, sequence 01, last indicator 9, invoice
	// CE554 without amount, so the check's only invoice is paid 7,000.00;
	// 5: lockbox 0022222, deposit date 160523; 7: 001 items, 0000700000;
	// 8: 0001 items, 0000700000; 9: 000008 records.
	"bai-lockbox-one-check-with-overflow.txt": {
		checks: 1, creditTotal: 700000, controls: bankfile.ControlsOK, encoding: "ascii",
		account: "0022222",
		first: bankfile.Transaction{
			Seq: 1, Line: 4, Account: "0022222", Direction: bankfile.Credit,
			Kind: bankfile.KindPayment, BankRef: "180", PayerName: "PERSON A",
			PayerAccount: "055002707:0012345555",
			BookingDate:  time.Date(2016, 5, 23, 0, 0, 0, 0, time.UTC),
			ValueDate:    time.Date(2016, 5, 23, 0, 0, 0, 0, time.UTC),
			Remits:       []bankfile.Remit{{Ref: "CE554", Paid: 700000}},
			DedupeKey:    "lockbox:22222:20160523:55002707:12345555:180:700000",
		},
	},
}

func TestSharedSamples(t *testing.T) {
	t.Parallel()

	dir := samplefiles.Dir(t, "lockbox")

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}

	seen := 0
	for _, e := range entries {
		if e.IsDir() {
			continue
		}

		want, ok := sampleTable[e.Name()]
		if !ok {
			t.Errorf("sample %s has no expected outcome in the table", e.Name())
			continue
		}

		seen++

		t.Run(e.Name(), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}

			checkSample(t, e.Name(), data, want)
		})
	}

	if seen != len(sampleTable) {
		t.Errorf("%d samples found, the table lists %d", seen, len(sampleTable))
	}
}

func checkSample(t *testing.T, name string, data []byte, want sampleWant) {
	f := mustRead(t, name, data, lockbox.Options{})

	n, total := f.Credits()
	if len(f.Transactions) != want.checks || n != want.checks || total != want.creditTotal {
		t.Errorf("%d transactions, %d credits for %d, want %d for %d", len(f.Transactions), n,
			total, want.checks, want.creditTotal)
	}

	if f.Controls != want.controls || f.Encoding != want.encoding || f.Account != want.account ||
		f.Currency != "USD" || len(f.Warnings) != want.warnings {
		t.Errorf("controls %q encoding %q account %q currency %q warnings %v", f.Controls,
			f.Encoding, f.Account, f.Currency, f.Warnings)
	}

	if len(f.Transactions) == 0 {
		return
	}

	got := f.Transactions[0]
	w := want.first
	w.Amount = got.Amount // compared through the total above

	if !reflect.DeepEqual(got, w) {
		t.Errorf("first check\n got %+v\nwant %+v", got, w)
	}
}
