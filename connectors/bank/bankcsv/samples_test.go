package bankcsv_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
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

// newReader returns a reader with the given user profiles.
func newReader(t testing.TB, profiles ...bankcsv.Profile) *bankcsv.Reader {
	t.Helper()

	r, err := bankcsv.NewReader(profiles)
	if err != nil {
		t.Fatalf("new reader: %v", err)
	}

	return r
}

// byHeader is a profile matching files whose header has the given columns.
func byHeader(name string, header ...string) bankcsv.Profile {
	return bankcsv.Profile{Name: name, Match: bankcsv.Match{Header: header}}
}

func mustRead(t testing.TB, name string, data []byte, profiles ...bankcsv.Profile) *bankfile.File {
	t.Helper()

	f, err := newReader(t, profiles...).Read(name, data)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}

	return f
}

func mustReject(t testing.TB, name string, data []byte,
	profiles ...bankcsv.Profile) []bankfile.Problem {
	t.Helper()

	f, err := newReader(t, profiles...).Read(name, data)
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
	profile     *bankcsv.Profile // a user profile to read with
	reject      string           // field of the expected rejection; "" when accepted
	used        string           // File.Profile; "guessed" for a guess
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

// ocaDebitCredit states the currency the OCA debit/credit fixture lacks, and
// that its debit column holds debits whatever their sign.
var ocaDebitCredit = bankcsv.Profile{
	Name: "test-debit-credit-usd",
	Match: bankcsv.Match{Header: []string{"Date", "Label", "Debit", "Credit", "Balance",
		"Partner Name"}},
	Currency: "USD", DebitSign: "any",
}

var samples = []sampleCase{
	// No currency anywhere in the file, no built-in profile for it.
	{"debit-credit-balance-columns-signed.csv", sampleWant{reject: "currency"}},
	// With a profile currency: +20.00; "-13.50" in Credit is read as a debit and
	// flagged; the Debit column's "-33.50" and "1,500.00" are both debits; its
	// balance column does not chain in either order.
	{"debit-credit-balance-columns-signed.csv", sampleWant{
		profile: &ocaDebitCredit, used: ocaDebitCredit.Name, currency: "USD", txs: 4,
		credits: 1, creditTotal: 2000, debits: 3, debitTotal: 154700, problems: 1, warnings: 1,
		controls: bankfile.ControlsMismatch,
	}},
	// Built-in French profile: preamble with account and ": EUR", DD/MM/YY dates
	// (all ambiguous, the profile says), footer row skipped with a warning.
	{"french-bank-preamble-debit-credit-columns-comma-decimal.csv", sampleWant{
		used: "fr-bank-operations", account: "08088804068", currency: "EUR", txs: 4,
		credits: 1, creditTotal: 130000, debits: 3, debitTotal: 23068, warnings: 1,
		controls: bankfile.ControlsNone,
	}},
	// Nothing to read; the guess is still reported.
	{"header-only-empty-statement.csv", sampleWant{used: "guessed", warnings: 1,
		controls: bankfile.ControlsNone}},
	// -33.50 USD; 1,525.00 EUR flagged because "Amount Currency" says 1,000.00.
	{"multi-currency-amount-currency.csv", sampleWant{
		used: "guessed", txs: 2, credits: 1, creditTotal: 152500, debits: 1, debitTotal: 3350,
		problems: 1, warnings: 1, controls: bankfile.ControlsNone,
	}},
	// 76 rows: 14 pending withdrawals skipped; 62 booked (43 credits, 19 debits)
	// plus 26 fee lines; gross + fee = net on every row; balances chain per currency.
	{"paypal-activity-fees-fx-invoice-numbers.csv", sampleWant{
		used: "paypal-activity", txs: 88, credits: 43, creditTotal: 13393504, debits: 45,
		debitTotal: 7450612, warnings: 14, controls: bankfile.ControlsOK,
	}},
	// Four payments with four fees; D/M/YYYY dates all ambiguous, day-first by
	// the Spanish profile; 4.626,81 + 27,63 = 4.654,44 and so on.
	{"paypal-statement-spanish-comma-decimals.csv", sampleWant{
		used: "paypal-statement-es", currency: "EUR", txs: 8, credits: 4, creditTotal: 13644,
		debits: 4, debitTotal: 536, controls: bankfile.ControlsOK,
	}},
	// Built-in Chase profile (USD): credits 2590.73 + 110.00, debits 2680.89 +
	// 150 + 60 + 1300; the balance column chains newest first.
	{"us-checking-chase-style.csv", sampleWant{
		used: "chase-checking", currency: "USD", txs: 6, credits: 2, creditTotal: 270073,
		debits: 4, debitTotal: 419089, controls: bankfile.ControlsOK,
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

			var profiles []bankcsv.Profile
			if c.want.profile != nil {
				profiles = append(profiles, *c.want.profile)
			}

			if c.want.reject != "" {
				ps := mustReject(t, c.file, data, profiles...)
				if len(ps) != 1 || ps[0].Field != c.want.reject {
					t.Fatalf("problems %v, want one on %s", ps, c.want.reject)
				}

				return
			}

			f := mustRead(t, c.file, data, profiles...)
			checkSample(t, f, c.want)
			checkVariants(t, c.file, data, f, profiles...)
			checkScan(t, c.file, data, f, profiles...)
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

	used := f.Profile
	if strings.HasPrefix(used, "no bank profile matched: guessed ") {
		used = "guessed"
	}

	if used != want.used {
		t.Errorf("profile %q, want %q", f.Profile, want.used)
	}

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
func checkVariants(t *testing.T, name string, data []byte, f *bankfile.File,
	profiles ...bankcsv.Profile) {
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
		g := mustRead(t, name+"+"+variant, b, profiles...)
		if !reflect.DeepEqual(g.Transactions, f.Transactions) {
			t.Errorf("%s copy reads differently", variant)
		}
	}
}

// checkScan streams the file: the same transactions as Read, emitted one by
// one, and the same file without them.
func checkScan(t *testing.T, name string, data []byte, f *bankfile.File,
	profiles ...bankcsv.Profile) {
	t.Helper()

	var got []bankfile.Transaction

	g, err := newReader(t, profiles...).Scan(name, bytes.NewReader(data),
		func(tx bankfile.Transaction) error {
			got = append(got, tx)
			return nil
		})
	if err != nil {
		t.Fatalf("scan: %v", err)
	}

	if !reflect.DeepEqual(got, f.Transactions) || g.Transactions != nil {
		t.Errorf("scan emitted %d transactions, read has %d", len(got), len(f.Transactions))
	}

	g.Transactions = f.Transactions
	if !reflect.DeepEqual(g, f) {
		t.Errorf("scan file %+v, read file %+v", g, f)
	}
}
