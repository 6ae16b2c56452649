package mt940_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank/mt940"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// rejection is a problem a rejected sample must report.
type rejection struct {
	field string
	line  int
	value string // "" when any
	text  string // part of the message
}

// sampleWant is what a shared sample must read as. The figures were worked out
// by reading each file (lines, balances, totals), not taken from the reader.
type sampleWant struct {
	rejects  []rejection // the file is rejected with at least these problems
	mismatch bool        // the rejection is a control total that did not reconcile
	format   bankfile.Format
	encoding string
	account  string
	currency string
	txs      int
	credits  map[string]int64 // credit totals (any kind) per currency, minor units
	debits   map[string]int64
	payments int // credits of KindPayment
	problems int // transactions carrying a Problem
	balances int // balance and total fields stated (File.Balances)
	controls bankfile.Controls
}

var samples = map[string]sampleWant{
	// 3236.28 − (9 + 11.59 + 11.63 + 11.80 + 13.45 + 15.49 + 107 + 141.48) = 2914.84,
	// not 876.84; the :60M: page opens with 2876.84 after a close of 876.84; and
	// 2876.84 − 9.49 − 15 = 2852.35, not 1849.75.
	"abnamro-nonswift-header-28-and-60M-62M.sta": {rejects: []rejection{
		{":62F:", 27, "C110523EUR876,84", "= 2914.84"},
		{":60M:", 35, "C110523EUR2876,84", "closing balance 876.84"},
		{":62M:", 40, "C110524EUR1849,75", "= 2852.35"},
	}, mismatch: true},
	// 31 daily messages, 8 lines: credits 1000 + 828.72 + 1000.18, debits 65 +
	// 801.55 + 1.65 + 1000 + 903.76; 444.29 + 2828.90 − 2771.96 = 501.23, the
	// last closing balance, and every day reconciles on its own.
	"asn-bank-multi-message-swift-blocks-empty-days.sta": {
		format: bankfile.FormatMT940, encoding: "ascii", account: "NL81ASNB9999999999",
		currency: "EUR", txs: 8, credits: map[string]int64{"EUR": 282890},
		debits: map[string]int64{"EUR": 277196}, payments: 3, balances: 62,
		controls: bankfile.ControlsOK,
	},
	// DEM: 84349.74 + 49396.74 − 49309.44 = 84437.04 (amounts "6800,", "620,3");
	// EUR: 2187.95 − 800 + 3000 = 4387.95; PLN: 40000 + 20000 − 10000 + 40 = 50040.
	// Three accounts and currencies; the DEM lines carry the withdrawn-currency
	// problem.
	"cmxl-dem-no-decimals-two-statements.sta": {
		format: bankfile.FormatMT940, encoding: "utf-8", txs: 16,
		credits:  map[string]int64{"DEM": 4939674, "EUR": 300000, "PLN": 2004000},
		debits:   map[string]int64{"DEM": 4930944, "EUR": 80000, "PLN": 1000000},
		payments: 7, problems: 11, balances: 6, controls: bankfile.ControlsOK,
	},
	// Statement 1 reconciles (1125250.40); statement 2 opens at D 1970431.87 and
	// its lines net −2501917.30, giving D 4472349.17, not D 4472049.09.
	"german-sepa-snippet-structured-86-subfields.sta": {rejects: []rejection{
		{":62F:", 55, "D070904EUR4472049,09", "= -4472349.17"},
	}, mismatch: true},
	// 627311.30 − 2402 − 3460 − 3575 = 617874.30; :NS: fields skipped.
	"hungarian-bank-nonstandard-NS-fields-crlf.sta": {
		format: bankfile.FormatMT940, encoding: "utf-8", account: "1966315302010001",
		currency: "HUF", txs: 3, debits: map[string]int64{"HUF": 943700}, balances: 3,
		controls: bankfile.ControlsOK,
	},
	// 25170637.10 + 2066637 − 3078850.50 = 24158423.60, not 25281687.60.
	"hungarian-raiffeisen-cmi.sta": {rejects: []rejection{
		{":62F:", 40, "C180417HUF25281687,60", "= 24158423.60"},
	}, mismatch: true},
	// 0.00 − 50.27 + 4.68 = −45.59, not 3.47; the closing summary says 4 debits
	// of 25.24 and 2 credits of 28.71, the file has 5 debits and 2 credits.
	"ing-legacy-tabs-and-nonascii.sta": {rejects: []rejection{
		{":62F:", 26, "C100723EUR3,47", "= -45.59"},
		{":86:", 27, "D000004C000002D25,24C28,71", "5 debits of 50.27"},
	}, mismatch: true},
	// 662.23 + 36.58 − 134.46 = 564.35, and /SUM/4/4/134,46/36,58/ agrees; one
	// credit (1.57) is a return (RTI, /RTRN/MS03/).
	"ing-structured-86-eref-remi.sta": {
		format: bankfile.FormatMT940, encoding: "ascii", account: "NL77INGB0574908765",
		currency: "EUR", txs: 8, credits: map[string]int64{"EUR": 3658},
		debits: map[string]int64{"EUR": 13446}, payments: 3, balances: 5,
		controls: bankfile.ControlsOK,
	},
	// Value date 160230 does not exist.
	"invalid-date-february-30.sta": {rejects: []rejection{
		{":61:", 6, "160230", "value date 2016-02-30 does not exist"},
	}},
	// MT942: three credits of 0.01; :90D: 0 / 0.00 and :90C: 3 / 0.03 agree.
	"mbank-poland-mt942-control-chars.sta": {
		format: bankfile.FormatMT942, encoding: "ascii", account: "PL29114010810000267002001002",
		currency: "PLN", txs: 3, credits: map[string]int64{"PLN": 3}, payments: 3,
		balances: 2, controls: bankfile.ControlsOK,
	},
	// 4433.52 + 400 = 4833.52; 4833.52 − 34.61 = 4798.91; two empty days.
	"rabobank-legacy-swi.sta": {
		format: bankfile.FormatMT940, encoding: "ascii", account: "NL34RABO0142623393",
		currency: "EUR", txs: 2, credits: map[string]int64{"EUR": 40000},
		debits: map[string]int64{"EUR": 3461}, payments: 1, balances: 8,
		controls: bankfile.ControlsOK,
	},
	// Two days reconcile (2264.52, 2253.57); the third has no :62F:, so the file
	// is not proved complete. The zero-amount entry is a notice.
	"sns-bank.sta": {
		format: bankfile.FormatMT940, encoding: "ascii", account: "NL12SNSB0123456789",
		currency: "EUR", txs: 8, credits: map[string]int64{"EUR": 0},
		debits: map[string]int64{"EUR": 171568}, balances: 5, controls: bankfile.ControlsNone,
	},
	// A fragment: one :61: and :86:, no :25:, no balances, so no currency.
	"sparkasse-tag-split-across-lines.sta": {rejects: []rejection{
		{":61:", 1, "", "no currency for this line"},
	}},
}

func TestSamples(t *testing.T) {
	dir := samplesDir(t)

	files, err := filepath.Glob(filepath.Join(dir, "*.sta"))
	if err != nil {
		t.Fatal(err)
	}

	if len(files) != len(samples) {
		t.Errorf("%d sample files, %d expectations", len(files), len(samples))
	}

	for _, path := range files {
		name := filepath.Base(path)

		t.Run(name, func(t *testing.T) {
			want, ok := samples[name]
			if !ok {
				t.Fatalf("no expectation for %s", name)
			}

			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}

			if len(want.rejects) > 0 {
				checkRejection(t, name, data, want)
				return
			}

			checkAccepted(t, mustRead(t, name, data, mt940.Options{}), want)
		})
	}
}

func checkRejection(t *testing.T, name string, data []byte, want sampleWant) {
	t.Helper()

	be := mustReject(t, name, data, mt940.Options{})
	if (be.Controls == bankfile.ControlsMismatch) != want.mismatch {
		t.Errorf("rejection controls %q, mismatch expected: %v", be.Controls, want.mismatch)
	}

	if len(be.Problems) != len(want.rejects) {
		t.Errorf("%d problems, want %d: %v", len(be.Problems), len(want.rejects), be.Problems)
	}

	for _, r := range want.rejects {
		p := findProblem(t, be, r.field, r.line)
		if r.value != "" && p.Value != r.value {
			t.Errorf("%s line %d: value %q, want %q", r.field, r.line, p.Value, r.value)
		}

		if !strings.Contains(p.Message, r.text) {
			t.Errorf("%s line %d: message %q lacks %q", r.field, r.line, p.Message, r.text)
		}
	}
}

func checkAccepted(t *testing.T, f *bankfile.File, want sampleWant) {
	t.Helper()

	if f.Format != want.format || f.Encoding != want.encoding || f.Account != want.account ||
		f.Currency != want.currency || f.Controls != want.controls {
		t.Errorf("file %s/%s/%q/%q/%s, want %s/%s/%q/%q/%s", f.Format, f.Encoding, f.Account,
			f.Currency, f.Controls, want.format, want.encoding, want.account, want.currency,
			want.controls)
	}

	if len(f.Transactions) != want.txs {
		t.Fatalf("%d transactions, want %d", len(f.Transactions), want.txs)
	}

	credits, debits := map[string]int64{}, map[string]int64{}
	payments, problems := 0, 0

	for _, tx := range f.Transactions {
		switch tx.Direction {
		case bankfile.Credit:
			credits[tx.Amount.Currency] += tx.Amount.Minor
			if tx.Kind == bankfile.KindPayment {
				payments++
			}
		case bankfile.Debit:
			debits[tx.Amount.Currency] += tx.Amount.Minor
		default:
			t.Errorf("transaction %d: direction %q", tx.Seq, tx.Direction)
		}

		if tx.Problem != "" {
			problems++
		}
	}

	if !sameTotals(credits, want.credits) || !sameTotals(debits, want.debits) {
		t.Errorf("credits %v debits %v, want %v %v", credits, debits, want.credits, want.debits)
	}

	if len(f.Balances) != want.balances {
		t.Errorf("%d balances, want %d", len(f.Balances), want.balances)
	}

	if payments != want.payments || problems != want.problems {
		t.Errorf("%d payments, %d with problems; want %d, %d", payments, problems,
			want.payments, want.problems)
	}
}

func sameTotals(got, want map[string]int64) bool {
	for c, v := range want {
		if got[c] != v {
			return false
		}
	}

	for c, v := range got {
		if want[c] != v {
			return false
		}
	}

	return true
}

// TestSampleSparkasseWithCurrency reads the fragment whose tag is split over
// lines (":61:...CR" / "30,00N062NONREF", ":" / "86:...") with a bank profile
// that supplies the currency: one credit of 30.00 whose :86: was found.
func TestSampleSparkasseWithCurrency(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(samplesDir(t), "sparkasse-tag-split-across-lines.sta"))
	if err != nil {
		t.Fatal(err)
	}

	f := mustRead(t, "sparkasse", data, mt940.Options{Currency: "EUR"})
	if len(f.Transactions) != 1 || f.Controls != bankfile.ControlsNone {
		t.Fatalf("%d transactions, controls %s", len(f.Transactions), f.Controls)
	}

	tx := f.Transactions[0]
	if tx.Direction != bankfile.Credit || tx.Amount.Minor != 3000 || tx.Remittance != "Test" ||
		tx.ValueDate.Format("2006-01-02") != "2018-11-26" || tx.Problem == "" {
		t.Errorf("transaction %+v", tx)
	}
}

// TestSampleRaiffeisenCharset reads the Hungarian file with its bank's code
// page (IBM 852) and the balance check downgraded: the accents come out right.
func TestSampleRaiffeisenCharset(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(samplesDir(t), "hungarian-raiffeisen-cmi.sta"))
	if err != nil {
		t.Fatal(err)
	}

	opts := mt940.Options{Charset: "ibm852", Lenient: []mt940.Check{mt940.CheckBalances}}
	f := mustRead(t, "raiffeisen", data, opts)

	if f.Encoding != "ibm852" || f.Controls != bankfile.ControlsMismatch {
		t.Errorf("encoding %s, controls %s", f.Encoding, f.Controls)
	}

	if !strings.Contains(f.Transactions[0].Remittance, "napi összevont utánvét") {
		t.Errorf("remittance %q", f.Transactions[0].Remittance)
	}

	if f.Transactions[0].Problem == "" {
		t.Error("credit of an unreconciled statement carries no problem")
	}
}

// TestSampleFieldsStructured checks what the structured samples yield beyond
// totals: the ING :86: tags and the German subfields.
func TestSampleFieldsStructured(t *testing.T) {
	dir := samplesDir(t)

	data, err := os.ReadFile(filepath.Join(dir, "ing-structured-86-eref-remi.sta"))
	if err != nil {
		t.Fatal(err)
	}

	f := mustRead(t, "ing", data, mt940.Options{})

	first := f.Transactions[0]
	if first.BankRef != "00000000001005" || first.EndToEndID != "EV12341REP1231456T1234" ||
		first.PayerAccount != "NL32INGB0000012345" || first.PayerID != "INGBNL2A" ||
		first.PayerName != "ING BANK NV INZAKE WEB" ||
		first.Remittance != "EV10001REP1000000T1000" {
		t.Errorf("first ING line %+v", first)
	}

	ret := f.Transactions[2]
	if ret.Kind != bankfile.KindReturn || ret.ReturnCode != "MS03" ||
		ret.OriginalRef != "20120123456789" || ret.Remittance != "Factuurnr 123456 Klantnr 00123" {
		t.Errorf("ING return %+v", ret)
	}

	// /MARF/MND / "-" / EV01: the lone "-" is text inside the :86:.
	dd := f.Transactions[3]
	if dd.BankRef != "00000000001009" || dd.PayerName != "ING Bank N.V. inzake WeB" {
		t.Errorf("ING direct debit %+v", dd)
	}

	strd := f.Transactions[6]
	if len(strd.Remits) != 1 || strd.Remits[0].Ref != "9001123412341234" {
		t.Errorf("ING structured reference %+v", strd.Remits)
	}

	data, err = os.ReadFile(filepath.Join(dir, "german-sepa-snippet-structured-86-subfields.sta"))
	if err != nil {
		t.Fatal(err)
	}

	f = mustRead(t, "sepa", data, mt940.Options{Lenient: []mt940.Check{mt940.CheckBalances}})

	first = f.Transactions[0]
	if first.EndToEndID != "EndToEndId TFNR 22 004 00001" ||
		first.Remittance != "Verw CTSc-01 BC-PPP TFNr 22 004" ||
		first.PayerName != "KARL KAUFMANN" || first.PayerAccount != "DE14508800500194785000" ||
		first.PayerID != "DRESDEFF508" || first.BookingDate.Format("2006-01-02") != "2007-09-04" {
		t.Errorf("first German line %+v", first)
	}

	if r := f.Transactions[4]; r.Kind != bankfile.KindReturn || r.ReturnCode != "914" {
		t.Errorf("RETOURE line %+v", r)
	}
}
