package bai2_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank/bai2"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// sampleWant is what a shared sample must read as. The figures were worked out
// by reading each file by hand (records, summaries, trailers), not taken from
// the reader.
type sampleWant struct {
	// reject lists the fields of the expected rejection problems, in order; nil
	// when the file is accepted.
	reject   []string
	account  string
	currency string
	totals   totals
	controls bankfile.Controls
	balances int
}

var samples = map[string]sampleWant{
	// Two CAD accounts (03 with 040/045 only, 100/400 with funds type V in an
	// 88). Credits 108: 2035.00 + 25.00 + 25.00 and 115.00 + 1000.00 = 3200.00;
	// debits 409: 25 + 900 + 5 + 200 + 900 + 20 + 25 + 10 and 1000 + 90 + 20 + 5 =
	// 3200.00. 49: 0 + 0 + 2085 + 2085 + 4170 = 8340.00 and 4460.00; 98 12800.00.
	"cad-canadian-bank-lockbox-style-deposits.bai2": {
		account: "10200123456", currency: "CAD", controls: bankfile.ControlsOK, balances: 8,
		totals: totals{txs: 17, credits: 5, creditTotal: 320000, debits: 12, debitTotal: 320000},
	},
	// The second account's 49 says -12601613417.62 and 26 records, but its 03
	// summaries (68658.98 + 19.12) and three details (600 + 1435 + 9286.50) make
	// 79999.60 in 18 records; the third account's 49 says 68697.22 in 8 records
	// for 88 records; the 98 counts 4 accounts of the 5 and 16 records of 114;
	// the 99 18 records of 116. The file was edited after its trailers were
	// written.
	"goldman-style-newline-delimited-88-no-slash.bai2": {reject: []string{
		"account trailer control total", "account trailer number of records",
		"account trailer control total", "account trailer number of records",
		"group trailer control total", "group trailer number of accounts",
		"group trailer number of records", "file trailer number of records",
	}},
	// The same edited file with '/' inside references and text, three more
	// details (an incoming wire, fees, interest) and an "88:" line that is no
	// record (read as text of the 16 before it).
	"goldman-style-slash-inside-text.bai2": {reject: []string{
		"account trailer control total", "account trailer number of records",
		"account trailer control total", "account trailer number of records",
		"group trailer control total", "group trailer number of accounts",
		"group trailer number of records", "file trailer number of records",
	}},
	// 15 accounts, several records per physical line, one 16 wrapped onto the
	// next line. Credits 31.00 + 37.00 + 3.20 + 325.93 = 397.13 (13 details),
	// debits 32.00 + 307.03 + 186.51 + 59.44 + 9.20 = 594.18 (13). Every 49 holds
	// (e.g. -35 - 36 - 35 - 36 + 31 + 32 + 63.00 of details = -16.00); each
	// account's 010 + credits - debits = 015, and 100/400 equal the details.
	"multiple-records-per-line-account-masked.bai2": {
		currency: "USD", controls: bankfile.ControlsOK, balances: 90,
		totals: totals{txs: 26, credits: 13, creditTotal: 39713, debits: 13, debitTotal: 59418},
	},
	// The specification's example: 4 groups, funds types S, V and D, an 03
	// continued in mid-tuple twice. Details 115 4500.00, 115 5000.00, 218
	// 200000.00, 195 100000.00, all credits. The 49 totals include every
	// summary amount but not the availability distributions.
	"spec-example-funds-types-distribution-lockbox-115.bai2": {
		currency: "USD", controls: bankfile.ControlsOK, balances: 25,
		totals: totals{txs: 4, credits: 4, creditTotal: 30950000},
	},
	// 010 0.00 and 015 0.00 around a single credit of 250.01, which the 100
	// summary confirms (250.01, 400 0.00) and the group calls final (modifier
	// 2): the bank's balances do not reconcile with its own transactions.
	"svb-daily-with-summary-continuations.bai2": {reject: []string{"closing ledger (015)"}},
	// One incoming wire of 83259.82 with eleven 88 wire fields, CRLF.
	"svb-eod-wire-detail-obi-crlf.bai2": {
		account: "3333333333", currency: "USD", controls: bankfile.ControlsOK,
		totals: totals{txs: 1, credits: 1, creditTotal: 8325982},
	},
	// The same wire; an 88 starts with '/' and the address holds "2/AV".
	"svb-eod-wire-slash-in-88.bai2": {
		account: "3333333333", currency: "USD", controls: bankfile.ControlsOK,
		totals: totals{txs: 1, credits: 1, creditTotal: 8325982},
	},
}

func TestSamples(t *testing.T) {
	t.Parallel()

	dir := samplesDir(t)

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}

	seen := 0

	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".bai2") {
			continue
		}

		seen++
		name := e.Name()

		want, ok := samples[name]
		if !ok {
			t.Errorf("sample %s has no expected outcome", name)
			continue
		}

		t.Run(name, func(t *testing.T) {
			t.Parallel()

			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}

			checkSample(t, name, data, want)
		})
	}

	if seen != len(samples) {
		t.Errorf("%d samples in %s, %d expected", seen, dir, len(samples))
	}
}

func checkSample(t *testing.T, name string, data []byte, want sampleWant) {
	t.Helper()

	if want.reject != nil {
		be := mustReject(t, name, data, bai2.Options{})

		var fields []string
		for _, p := range be.Problems {
			fields = append(fields, p.Field)
		}

		if strings.Join(fields, "|") != strings.Join(want.reject, "|") {
			t.Errorf("rejected for %q, want %q", fields, want.reject)
		}

		return
	}

	f := mustRead(t, name, data, bai2.Options{})

	if got := sum(f); got != want.totals {
		t.Errorf("totals %+v, want %+v", got, want.totals)
	}

	if f.Account != want.account || f.Currency != want.currency || f.Controls != want.controls ||
		len(f.Balances) != want.balances {
		t.Errorf("account %q currency %q controls %s balances %d, want %q %q %s %d",
			f.Account, f.Currency, f.Controls, len(f.Balances),
			want.account, want.currency, want.controls, want.balances)
	}

	again := mustRead(t, name, data, bai2.Options{})
	for i := range f.Transactions {
		if again.Transactions[i].DedupeKey != f.Transactions[i].DedupeKey {
			t.Errorf("re-read key %q != %q", again.Transactions[i].DedupeKey,
				f.Transactions[i].DedupeKey)
		}
	}
}

// The rejected samples read under a bank profile that relaxes the failing
// checks, so that what they hold is checked too.
func TestRejectedSamplesUnderARelaxedProfile(t *testing.T) {
	t.Parallel()

	dir := samplesDir(t)
	relaxed := bai2.Options{WarnOnly: []bai2.Check{
		bai2.CheckAccountTotal, bai2.CheckAccountRecords, bai2.CheckGroupTotal,
		bai2.CheckGroupAccounts, bai2.CheckGroupRecords, bai2.CheckFileRecords,
		bai2.CheckBalances,
	}}

	cases := []struct {
		name   string
		totals totals
		check  func(t *testing.T, f *bankfile.File)
	}{
		{
			// Payment credits: wires 11.25 and 500.50, check deposit 5.27, cash
			// concentration 3376.86, ACH collection 50.00 = 3943.88. Returns
			// (261, 266, 257, 255) are credits but not payments. Debits 447 600.00,
			// 447 9286.50, 557 2000.00, 451 555.55, 495 505.00, 475 101.00,
			// 475 442.50, 495 300000.00 = 313490.55.
			name: "goldman-style-newline-delimited-88-no-slash.bai2",
			totals: totals{txs: 17, credits: 5, creditTotal: 394388, debits: 8,
				debitTotal: 31349055},
			check: checkGoldman,
		},
		{
			// As above plus an incoming wire of 37979996.24, fees 4634.62 (debit
			// charge) and interest 17.64 (credit charge).
			name: "goldman-style-slash-inside-text.bai2",
			totals: totals{txs: 20, credits: 6, creditTotal: 3798394012, debits: 9,
				debitTotal: 31812517},
			check: checkGoldmanSlash,
		},
		{
			name:   "svb-daily-with-summary-continuations.bai2",
			totals: totals{txs: 1, credits: 1, creditTotal: 25001},
			check: func(t *testing.T, f *bankfile.File) {
				tx := f.Transactions[0]
				if tx.PaymentRef != "50848" || tx.Remittance != "SAMPLE CONTINUATION TEXT" {
					t.Errorf("detail %+v", tx)
				}
			},
		},
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()

			data, err := os.ReadFile(filepath.Join(dir, c.name))
			if err != nil {
				t.Fatal(err)
			}

			f := mustRead(t, c.name, data, relaxed)
			if got := sum(f); got != c.totals {
				t.Errorf("totals %+v, want %+v", got, c.totals)
			}

			if f.Controls != bankfile.ControlsMismatch || len(f.Warnings) == 0 {
				t.Errorf("controls %s with %d warnings", f.Controls, len(f.Warnings))
			}

			c.check(t, f)
		})
	}
}

func checkGoldman(t *testing.T, f *bankfile.File) {
	t.Helper()

	ret := f.Transactions[3] // 557 ACH credit receipt return
	if ret.Kind != bankfile.KindReturn || ret.Direction != bankfile.Debit ||
		ret.ReturnCode != "R02" || ret.EndToEndID != "021000080000030" {
		t.Errorf("return %+v", ret)
	}

	rtp := f.Transactions[10] // 195 RTP incoming
	if rtp.Direction != bankfile.Credit || rtp.Kind != bankfile.KindPayment ||
		rtp.PayerName != "SAMPLE INC" || rtp.PayerAccount != "000000010:02122056789012205" ||
		rtp.EndToEndID != "RTR60880840833" || rtp.BankRef != "GI2228400005800" ||
		rtp.PaymentRef != "RTR60880840833" ||
		!strings.Contains(rtp.Remittance, "REMI: Test Remittance") {
		t.Errorf("RTP credit %+v", rtp)
	}

	wire := f.Transactions[7] // 195 incoming wire without a debtor name
	if wire.PayerName != "" || wire.PayerAccount != "8348572423" {
		t.Errorf("wire %+v", wire)
	}
}

func checkGoldmanSlash(t *testing.T, f *bankfile.File) {
	t.Helper()

	first := f.Transactions[2] // 447 with slashes in its customer reference
	if first.PaymentRef != "AB/GS/RPFILERP0001/RPBA0001" ||
		first.EndToEndID != "AB/GS/RPFILERP0001/RPBA0001" {
		t.Errorf("447 %+v", first)
	}

	check := f.Transactions[9] // 255 check return followed by the "88:EREF" line
	if check.Kind != bankfile.KindReturn || !strings.Contains(check.Remittance,
		"GS ID: SC213480000120999 88:EREF: 07370568132 CRNM: Test Inc.") {
		t.Errorf("check return %+v", check)
	}

	fees, interest := f.Transactions[18], f.Transactions[19]
	if fees.Kind != bankfile.KindCharge || fees.Direction != bankfile.Debit ||
		interest.Kind != bankfile.KindCharge || interest.Direction != bankfile.Credit {
		t.Errorf("fees %+v, interest %+v", fees, interest)
	}
}

// Both SVB wires carry the wire fields as text, the originator as payer and
// the slashes of the second one's address untouched.
func TestSampleWireFields(t *testing.T) {
	t.Parallel()

	dir := samplesDir(t)

	for name, text := range map[string]string{
		"svb-eod-wire-detail-obi-crlf.bai2": "ORG ADDRESS:=1995 SE. 57TH ST. NY, NY 10022 " +
			"BNF ID:=3300333333",
		"svb-eod-wire-slash-in-88.bai2": "ORG ADDRESS:=2/AV MAIN 2/AVENUE DE ANGELLIST 3/MX " +
			"/MEXICO ; BNF ID:=3300333333",
	} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}

		const fed = "FED NO: 20100831L1B77D1CDSDSDJSIO15608310954FT01 "

		tx := mustRead(t, name, data, bai2.Options{}).Transactions[0]
		if tx.PayerName != "OPTIONS LINK WIRE CLEARING" || !strings.Contains(tx.Remittance, text) ||
			!strings.HasPrefix(tx.Remittance, fed) ||
			!strings.HasSuffix(tx.Remittance, " OBI:=INVOICE 123456") {
			t.Errorf("%s: %+v", name, tx)
		}
	}
}
