package bankcsv_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/o2c-dev/o2c/connectors/bank/bankcsv"
	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/samplefiles"
)

// samplesDir returns the shared samples folder (see internal/samplefiles), or skips.
func samplesDir(t testing.TB, sub string) string {
	t.Helper()

	return samplefiles.Dir(t, sub)
}

func mustRead(t testing.TB, name string, data []byte, opts bankcsv.Options) *bankfile.File {
	t.Helper()

	f, err := bankcsv.ReadOptions(name, data, opts)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}

	return f
}

func mustReject(t testing.TB, name string, data []byte, opts bankcsv.Options) []bankfile.Problem {
	t.Helper()

	f, err := bankcsv.ReadOptions(name, data, opts)
	if err == nil {
		t.Fatalf("read %s: accepted with %d transactions, want a rejection", name,
			len(f.Transactions))
	}

	var be *bankfile.Error
	if !errors.As(err, &be) || len(be.Problems) == 0 || be.Format != bankfile.FormatCSV {
		t.Fatalf("read %s: error %T %v is not a csv *bankfile.Error with problems", name, err, err)
	}

	return be.Problems
}

// sampleWant is what a shared sample must read as. The figures were worked out
// by reading each file, not taken from the reader.
type sampleWant struct {
	opts        bankcsv.Options
	reject      string // field of the expected rejection; "" when accepted
	account     string
	currency    string
	txs         int
	credits     int   // credit transactions of KindPayment
	creditTotal int64 // their total in minor units (currencies mixed, as File.Credits)
	debits      int   // debit transactions of any kind
	debitTotal  int64
	problems    int
	warnings    int
	controls    bankfile.Controls
}

type sampleCase struct {
	file string
	want sampleWant
}

var samples = []sampleCase{
	// No currency anywhere in the file.
	{"debit-credit-balance-columns-signed.csv", sampleWant{reject: "currency"}},
	// With a profile currency: +20.00; "-13.50" in Credit is read as a debit and
	// flagged; the Debit column mixes "-33.50" and "1,500.00", so both are
	// flagged; its balance column does not chain in either order.
	{"debit-credit-balance-columns-signed.csv", sampleWant{
		opts: bankcsv.Options{Currency: "USD"}, currency: "USD", txs: 4, credits: 1,
		creditTotal: 2000, debits: 3, debitTotal: 154700, problems: 3, warnings: 1,
		controls: bankfile.ControlsMismatch,
	}},
	// Preamble with account and ": EUR", dates 01/04/20 (all ambiguous, decimal
	// comma → day-first with a warning), footer row skipped with a warning.
	{"french-bank-preamble-debit-credit-columns-comma-decimal.csv", sampleWant{
		account: "08088804068", currency: "EUR", txs: 4, credits: 1, creditTotal: 130000,
		debits: 3, debitTotal: 23068, warnings: 2, controls: bankfile.ControlsNone,
	}},
	{"header-only-empty-statement.csv", sampleWant{controls: bankfile.ControlsNone}},
	// -33.50 USD; 1,525.00 EUR flagged because "Amount Currency" says 1,000.00.
	{"multi-currency-amount-currency.csv", sampleWant{
		txs: 2, credits: 1, creditTotal: 152500, debits: 1, debitTotal: 3350, problems: 1,
		controls: bankfile.ControlsNone,
	}},
	// 76 rows: 14 pending withdrawals skipped; 62 booked (43 credits, 19 debits)
	// plus 26 fee lines; gross + fee = net on every row; balances chain per currency.
	{"paypal-activity-fees-fx-invoice-numbers.csv", sampleWant{
		txs: 88, credits: 43, creditTotal: 13393504, debits: 45, debitTotal: 7450612,
		warnings: 14, controls: bankfile.ControlsOK,
	}},
	// Four payments with four fees; D/M/YYYY dates all ambiguous → day-first by
	// the decimal comma; 4.626,81 + 27,63 = 4.654,44 and so on.
	{"paypal-statement-spanish-comma-decimals.csv", sampleWant{
		currency: "EUR", txs: 8, credits: 4, creditTotal: 13644, debits: 4, debitTotal: 536,
		warnings: 1, controls: bankfile.ControlsOK,
	}},
	{"us-checking-chase-style.csv", sampleWant{reject: "currency"}},
	// With USD: credits 2590.73 + 110.00, debits 2680.89 + 150 + 60 + 1300; the
	// balance column chains newest first.
	{"us-checking-chase-style.csv", sampleWant{
		opts: bankcsv.Options{Currency: "USD"}, currency: "USD", txs: 6, credits: 2,
		creditTotal: 270073, debits: 4, debitTotal: 419089, controls: bankfile.ControlsOK,
	}},
}

func TestSamples(t *testing.T) {
	t.Parallel()

	dir := samplesDir(t, "csv")
	covered := map[string]bool{}

	for _, c := range samples {
		covered[c.file] = true

		t.Run(c.file, func(t *testing.T) {
			t.Parallel()

			data, err := os.ReadFile(filepath.Join(dir, c.file))
			if err != nil {
				t.Fatal(err)
			}

			if c.want.reject != "" {
				ps := mustReject(t, c.file, data, c.want.opts)
				if len(ps) != 1 || ps[0].Field != c.want.reject {
					t.Fatalf("problems %v, want one on %s", ps, c.want.reject)
				}

				return
			}

			f := mustRead(t, c.file, data, c.want.opts)
			checkSample(t, f, c.want)
			checkVariants(t, c.file, data, c.want.opts, f)
		})
	}

	names, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
	for _, p := range names {
		if !covered[filepath.Base(p)] {
			t.Errorf("%s: no expectation in the table", filepath.Base(p))
		}
	}
}

func checkSample(t *testing.T, f *bankfile.File, want sampleWant) {
	t.Helper()

	if f.Account != want.account || f.Currency != want.currency {
		t.Errorf("account %q currency %q, want %q %q", f.Account, f.Currency, want.account,
			want.currency)
	}

	if len(f.Transactions) != want.txs || len(f.Warnings) != want.warnings {
		t.Errorf("%d transactions, %d warnings %v; want %d, %d", len(f.Transactions),
			len(f.Warnings), f.Warnings, want.txs, want.warnings)
	}

	if n, sum := f.Credits(); n != want.credits || sum != want.creditTotal {
		t.Errorf("credits %d / %d, want %d / %d", n, sum, want.credits, want.creditTotal)
	}

	var debits, problems int
	var debitTotal int64

	keys := map[string]bool{}
	for i, tx := range f.Transactions {
		if tx.Direction == bankfile.Debit {
			debits++
			debitTotal += tx.Amount.Minor
		}

		if tx.Problem != "" {
			problems++
		}

		if tx.Seq != i+1 || tx.Line < 2 || tx.Amount.Minor < 0 || tx.BookingDate.IsZero() {
			t.Errorf("transaction %d: seq %d line %d amount %d date %v", i, tx.Seq, tx.Line,
				tx.Amount.Minor, tx.BookingDate)
		}

		if tx.DedupeKey == "" || keys[tx.DedupeKey] {
			t.Errorf("transaction %d: dedupe key %q empty or repeated", i, tx.DedupeKey)
		}

		keys[tx.DedupeKey] = true
	}

	if debits != want.debits || debitTotal != want.debitTotal || problems != want.problems {
		t.Errorf("debits %d / %d, problems %d; want %d / %d, %d", debits, debitTotal, problems,
			want.debits, want.debitTotal, want.problems)
	}

	if f.Controls != want.controls {
		t.Errorf("controls %q, want %q", f.Controls, want.controls)
	}
}

// checkVariants reads CRLF and BOM copies: nothing but the encoding may change.
func checkVariants(t *testing.T, name string, data []byte, opts bankcsv.Options, f *bankfile.File) {
	t.Helper()

	crlf := bytes.ReplaceAll(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte("\n"),
		[]byte("\r\n"))
	bom := append([]byte{0xEF, 0xBB, 0xBF}, data...)

	variants := map[string][]byte{"crlf": crlf, "bom": bom}

	// A Windows-1252 copy where the text has non-ASCII characters that fit.
	cp, err := charmap.Windows1252.NewEncoder().Bytes(data)
	if err == nil && !bytes.Equal(cp, data) {
		variants["windows-1252"] = cp
	}

	for variant, b := range variants {
		g := mustRead(t, name+"+"+variant, b, opts)
		if !reflect.DeepEqual(g.Transactions, f.Transactions) {
			t.Errorf("%s copy reads differently", variant)
		}
	}
}
