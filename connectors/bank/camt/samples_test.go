package camt_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/o2c-dev/o2c/connectors/bank/camt"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// sampleWant is what a shared sample must read as. The figures were worked out
// by reading each file (entries, balances, summaries), not taken from the reader.
type sampleWant struct {
	reject      string // field of the expected rejection; "" when the file is accepted
	account     string
	currency    string
	txs         int
	credits     int   // credit transactions of KindPayment (File.Credits)
	creditTotal int64 // their total in minor units
	debits      int   // debit transactions of any kind
	debitTotal  int64
	problems    int // transactions carrying a Problem
	controls    bankfile.Controls
}

var samples = map[string]sampleWant{
	// OPBD 15568.27 − 754.25 − 664.05 + 1405.31 = 15555.28, not CLBD 15121.12, and
	// the other reversal sign gives 16883.38: the balances are inconsistent.
	"camt053.001.02-abnamro-style-reversal-sepa-dd.xml": {reject: "Bal/CLBD"},
	// Only an opening balance, no entries.
	"camt053.001.02-balance-date-as-datetime-nanoseconds.xml": {
		account: "GB33BUKB20201555555555", currency: "RON", controls: bankfile.ControlsNone,
	},
	// 10 entries, 3 of them batches that split (3 + 2 details) → 13 transactions;
	// credits 2000 + 500 + 3000 + 2120 + 5455 + 10000 = 23075.00 (TtlCdtNtries),
	// debits 1000.12 + 4000 + 4230.05 + 200 = 9430.17; 10000 + 23075 − 9430.17 = CLBD.
	"camt053.001.02-finnish-fffs-sample-batches.xml": {
		account: "FI7433010001222090", currency: "EUR", txs: 13, credits: 6, creditTotal: 2307500,
		debits: 7, debitTotal: 943017, controls: bankfile.ControlsOK,
	},
	// OPBD 18.150 + 8.850 = 27.000, but CLBD says 27.050.
	"camt053.001.02-five-decimal-amounts.xml": {reject: "Bal/CLBD"},
	// Four debits; only available balances: 2768.08 − 2768.08 = CLAV 0.00.
	"camt053.001.02-lithuanian-bank-nonascii.xml": {
		account: "LT007180000000000000", currency: "EUR", txs: 4, debits: 4, debitTotal: 276808,
		controls: bankfile.ControlsOK,
	},
	// One credit of 8.85 whose single TxDtls says 105.750; balances EUR/SEK.
	"camt053.001.03-full-featured.xml": {
		account: "NL26VAYB8060476890", currency: "EUR", txs: 1, credits: 1, creditTotal: 885,
		problems: 1, controls: bankfile.ControlsNone,
	},
	// OPBD = CLBD = 1520.76 CHF, no entries.
	"camt053.001.04-empty-statement-no-entries.xml": {
		account: "NL77ABNA0574908765", currency: "CHF", controls: bankfile.ControlsOK,
	},
	// Same content as .03, the detail amount is 0 SEK.
	"camt053.001.04-full-featured.xml": {
		account: "NL26VAYB8060476890", currency: "EUR", txs: 1, credits: 1, creditTotal: 885,
		problems: 1, controls: bankfile.ControlsNone,
	},
	// 211993.19 + 4.50 − 77.70 + 1500 + 1692.22 = CLBD 215112.21; the 1537.00 entry is
	// valued the next day (FWAV 216649.21 includes it).
	"camt053.001.04-postfinance-statement-2020.xml": {
		account: "CH2909000000250094239", currency: "CHF", txs: 5, credits: 4, creditTotal: 473372,
		debits: 1, debitTotal: 7770, controls: bankfile.ControlsOK,
	},
	"camt053.001.08-othr-account-id-multi-ccy-balances.xml": {
		account: "NL26VAYB8060476890", currency: "EUR", txs: 1, credits: 1, creditTotal: 885,
		problems: 1, controls: bankfile.ControlsNone,
	},
	// One 200000 SEK debit with three TxDtls that state no amount.
	"camt054.001.02-notification.xml": {
		account: "CH2801234000123456789", currency: "SEK", txs: 1, debits: 1, debitTotal: 20000000,
		problems: 1, controls: bankfile.ControlsNone,
	},
	// 250 + 200 + 300 + 324 + 463 = 1537.00 split into five; one 147.00 debit.
	"camt054.001.04-postfinance-esr-batch-of-5-creditor-refs.xml": {
		account: "CH2909000000250094239", currency: "CHF", txs: 6, credits: 5, creditTotal: 153700,
		debits: 1, debitTotal: 14700, controls: bankfile.ControlsNone,
	},
	// A returned payment (RtrInf AC01) comes back as a credit that is not a receipt.
	"camt054.001.04-postfinance-returns-rtrinf-ac01.xml": {
		account: "CH2909000000250094239", currency: "CHF", txs: 1, controls: bankfile.ControlsNone,
	},
	"camt054.001.04-swiss-sps-credit-notification.xml": {
		account: "NL77ABNA0574908765", currency: "EUR", txs: 1, credits: 1, creditTotal: 500,
		controls: bankfile.ControlsNone,
	},
	// 200000 SEK debit whose details are 3.10 + 3.20 + 3.20 CHF credits.
	"camt054.001.08-batch-debit-txdtls.xml": {
		account: "CH2801234000123456789", currency: "SEK", txs: 1, debits: 1, debitTotal: 20000000,
		problems: 1, controls: bankfile.ControlsNone,
	},
}

func TestSamples(t *testing.T) {
	t.Parallel()

	dir := samplesDir(t, "camt")

	names, err := filepath.Glob(filepath.Join(dir, "*.xml"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no camt samples in %s: %v", dir, err)
	}

	for _, path := range names {
		base := filepath.Base(path)
		want, ok := samples[base]
		if !ok {
			t.Errorf("%s: no expectation in the table", base)
			continue
		}

		t.Run(base, func(t *testing.T) {
			t.Parallel()

			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}

			if want.reject != "" {
				ps := mustReject(t, base, data, camt.Options{})
				if !hasProblem(ps, want.reject) {
					t.Fatalf("problems %v, want one on field %s", ps, want.reject)
				}

				return
			}

			f := mustRead(t, base, data, camt.Options{})
			checkSample(t, f, want)
			checkVariants(t, base, data, f)
		})
	}
}

func checkSample(t *testing.T, f *bankfile.File, want sampleWant) {
	t.Helper()

	if f.Account != want.account || f.Currency != want.currency {
		t.Errorf("account %q currency %q, want %q %q", f.Account, f.Currency, want.account,
			want.currency)
	}

	if len(f.Transactions) != want.txs {
		t.Errorf("%d transactions, want %d", len(f.Transactions), want.txs)
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

		if tx.Seq != i+1 || tx.Line <= 0 || tx.Amount.Minor < 0 || tx.Account == "" {
			t.Errorf("transaction %d: seq %d line %d amount %d account %q", i, tx.Seq, tx.Line,
				tx.Amount.Minor, tx.Account)
		}

		if tx.DedupeKey == "" || keys[tx.DedupeKey] {
			t.Errorf("transaction %d: dedupe key %q empty or repeated", i, tx.DedupeKey)
		}

		keys[tx.DedupeKey] = true
	}

	if debits != want.debits || debitTotal != want.debitTotal {
		t.Errorf("debits %d / %d, want %d / %d", debits, debitTotal, want.debits, want.debitTotal)
	}

	if problems != want.problems {
		t.Errorf("%d transactions with a problem, want %d", problems, want.problems)
	}

	if f.Controls != want.controls {
		t.Errorf("controls %q, want %q", f.Controls, want.controls)
	}
}

// checkVariants reads CRLF and BOM copies of an accepted sample: the
// transactions, lines included, must not change.
func checkVariants(t *testing.T, base string, data []byte, f *bankfile.File) {
	t.Helper()

	crlf := bytes.ReplaceAll(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte("\n"),
		[]byte("\r\n"))
	bom := append([]byte{0xEF, 0xBB, 0xBF}, data...)

	variants := map[string][]byte{"crlf": crlf, "bom": bom}

	// A Latin-1 copy, declared as such, where the text fits Latin-1.
	decl := []byte(`encoding="UTF-8"`)
	if latin, err := charmap.ISO8859_1.NewEncoder().Bytes(data); err == nil &&
		!bytes.Equal(latin, data) && bytes.Contains(latin, decl) {
		variants["latin-1"] = bytes.Replace(latin, decl, []byte(`encoding="ISO-8859-1"`), 1)
	}

	for name, variant := range variants {
		g := mustRead(t, base+"+"+name, variant, camt.Options{})
		if !reflect.DeepEqual(g.Transactions, f.Transactions) {
			t.Errorf("%s copy reads differently", name)
		}

		if name == "bom" && g.Encoding != "utf-8-bom" {
			t.Errorf("bom copy: encoding %q", g.Encoding)
		}
	}
}

func TestSampleDetails(t *testing.T) {
	t.Parallel()

	dir := samplesDir(t, "camt")
	read := func(name string) *bankfile.File {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}

		return mustRead(t, name, data, camt.Options{})
	}

	t.Run("return carries its reason and the original reference", func(t *testing.T) {
		t.Parallel()

		tx := read("camt054.001.04-postfinance-returns-rtrinf-ac01.xml").Transactions[0]
		if tx.Kind != bankfile.KindReturn || tx.ReturnCode != "AC01" ||
			tx.Direction != bankfile.Credit {
			t.Fatalf("kind %s code %s direction %s", tx.Kind, tx.ReturnCode, tx.Direction)
		}

		if tx.BankRef != "086820002PBWFX2U" || tx.OriginalRef != "180327CH02P92DYD" {
			t.Fatalf("bank ref %q original %q", tx.BankRef, tx.OriginalRef)
		}
	})

	t.Run("QR reference and payer of a notification", func(t *testing.T) {
		t.Parallel()

		tx := read("camt054.001.04-swiss-sps-credit-notification.xml").Transactions[0]
		want := []bankfile.Remit{{Ref: "000000000000000000000000003", RefType: "QRR"}}
		if !reflect.DeepEqual(tx.Remits, want) || tx.PayerName != "Test Customer" ||
			tx.PayerAccount != "NL46ABNA0499998748" || tx.EndToEndID != "ENDTOENDID-01" {
			t.Fatalf("remits %v payer %q %q e2e %q", tx.Remits, tx.PayerName, tx.PayerAccount,
				tx.EndToEndID)
		}
	})

	t.Run("unsplit batch keeps every detail's references", func(t *testing.T) {
		t.Parallel()

		tx := read("camt054.001.02-notification.xml").Transactions[0]
		if tx.Problem != "batch of 3 details without amounts, booked 200000.00" ||
			len(tx.Remits) != 4 {
			t.Fatalf("problem %q remits %v", tx.Problem, tx.Remits)
		}

		if !strings.Contains(tx.Remittance, "V3 block 2") || tx.PayerName != "MUELLER" {
			t.Fatalf("remittance %q payer %q", tx.Remittance, tx.PayerName)
		}
	})

	t.Run("details in another currency are not split", func(t *testing.T) {
		t.Parallel()

		tx := read("camt054.001.08-batch-debit-txdtls.xml").Transactions[0]
		if tx.Problem != "batch details 9.50 CHF ≠ booked 200000.00 SEK" {
			t.Fatalf("problem %q", tx.Problem)
		}
	})

	t.Run("non-ASCII text and fee codes", func(t *testing.T) {
		t.Parallel()

		f := read("camt053.001.02-lithuanian-bank-nonascii.xml")
		if f.Transactions[0].Kind != bankfile.KindCharge ||
			f.Transactions[1].Kind != bankfile.KindPayment {
			t.Fatalf("kinds %s %s", f.Transactions[0].Kind, f.Transactions[1].Kind)
		}

		if !strings.Contains(f.Transactions[0].Remittance, "sąskaitą") {
			t.Fatalf("remittance %q", f.Transactions[0].Remittance)
		}
	})

	t.Run("charges deducted from a payment are recorded", func(t *testing.T) {
		t.Parallel()

		// 5500.00 EUR instructed, 45.00 EUR commission, 5455.00 EUR booked.
		f := read("camt053.001.02-finnish-fffs-sample-batches.xml")

		var found bool
		for _, tx := range f.Transactions {
			if tx.BankRef != "091029ACCTSTMTARCH07" {
				continue
			}

			found = true
			if tx.Amount.Minor != 545500 || tx.Charges != 4500 {
				t.Fatalf("amount %d charges %d", tx.Amount.Minor, tx.Charges)
			}
		}

		if !found {
			t.Fatal("entry ARCH07 not read")
		}
	})

	t.Run("balances in different currencies are named", func(t *testing.T) {
		t.Parallel()

		// The account is in EUR; OPBD is EUR, CLBD SEK, OPAV CHF, CLAV JPY.
		f := read("camt053.001.03-full-featured.xml")
		if len(f.Warnings) != 1 || f.Warnings[0].Message !=
			"opening balance in EUR, closing balance in SEK: not reconciled" {
			t.Fatalf("warnings %v", f.Warnings)
		}
	})

	t.Run("closing balance that leaves out next-day values", func(t *testing.T) {
		t.Parallel()

		f := read("camt053.001.04-postfinance-statement-2020.xml")
		if len(f.Warnings) != 1 || f.Warnings[0].Field != "Bal/CLBD" {
			t.Fatalf("warnings %v", f.Warnings)
		}
	})
}

// The two samples whose balances do not reconcile are refused with the
// controls named, and read with a profile that downgrades the check: every
// transaction then carries a problem.
func TestUnreconciledSamples(t *testing.T) {
	t.Parallel()

	dir := samplesDir(t, "camt")

	for _, name := range []string{"camt053.001.02-abnamro-style-reversal-sepa-dd.xml",
		"camt053.001.02-five-decimal-amounts.xml"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}

		_, err = camt.Read(name, data)

		var be *bankfile.Error
		if !errors.As(err, &be) || be.Controls != bankfile.ControlsMismatch {
			t.Errorf("%s: err %v, want a rejection with controls mismatch", name, err)
		}

		lenient := camt.Options{Lenient: []camt.Check{camt.CheckBalances}}

		f := mustRead(t, name, data, lenient)
		if f.Controls != bankfile.ControlsMismatch || len(f.Transactions) == 0 {
			t.Fatalf("%s: controls %s, %d transactions", name, f.Controls, len(f.Transactions))
		}

		for _, tx := range f.Transactions {
			if !strings.Contains(tx.Problem, "control totals do not reconcile") {
				t.Errorf("%s: transaction %d: problem %q", name, tx.Seq, tx.Problem)
			}
		}
	}
}

// Two PostFinance samples book 1537.00 CHF under the same AcctSvcrRef and
// NtryRef, one on 2019-04-24 (camt.054), one on 2020-11-24 (camt.053), and
// the camt.053 uses that reference for a second entry of 1692.22 CHF: three
// bookings, which must not share a key, or one would be taken for another and
// not counted.
func TestReusedReferenceKeptApart(t *testing.T) {
	t.Parallel()

	dir := samplesDir(t, "camt")
	entries := map[string]string{} // entry key → file and amount

	for _, name := range []string{"camt054.001.04-postfinance-esr-batch-of-5-creditor-refs.xml",
		"camt053.001.04-postfinance-statement-2020.xml"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}

		for _, tx := range mustRead(t, name, data, camt.Options{}).Transactions {
			if !strings.Contains(tx.EntryKey, "07582000303KBMSU") {
				continue
			}

			// The five details of the camt.054 entry share its key.
			what := name + " " + tx.EntryKey[len(tx.EntryKey)-12:]
			if other, ok := entries[tx.EntryKey]; ok && other != what {
				t.Errorf("%s and %s share entry key %q", what, other, tx.EntryKey)
			}

			entries[tx.EntryKey] = what
		}
	}

	if len(entries) != 3 {
		t.Fatalf("entry keys %v, want three bookings", entries)
	}
}
