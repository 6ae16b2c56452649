package nacha_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank/nacha"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// sampleWant is the expected outcome of one shared sample. The figures were
// counted from the files themselves (6 records, transaction codes, amounts in
// positions 30-39, addenda type codes), not from the reader's output.
type sampleWant struct {
	// rejected files: the field and line of the first problem, and whether a
	// control total rejects the file (bankfile.Error.Controls says mismatch)
	rejectField    string
	rejectLine     int
	rejectControls bool

	// profile reads a rejected file again with these checks relaxed, as a bank
	// profile would; the figures below are then those of that read, whose
	// controls must say mismatch.
	profile []nacha.Check

	// accepted files
	entries     int
	credits     int   // credits of KindPayment
	creditTotal int64 // their total in cents
	debitTotal  int64 // all debits, any kind, in cents
	kinds       map[bankfile.Kind]int
	controls    bankfile.Controls
	encoding    string
	returnCodes []string
}

var sampleTable = map[string]sampleWant{
	// The file control says 1 entry/addenda record in 1 block: the batch holds
	// 13 (1 entry + 12 addenda, which its batch control counts) and the file 17
	// records, 2 blocks. NACHA counts addenda in both controls, so the file is
	// rejected; hash and totals agree. The file is a library's test fixture
	// whose file control was not updated when addenda were added; a bank that
	// counts only entries would need the profile below.
	"ctx-820-remittance-rmr-ref-latin1-separator.ach": {
		rejectField: "file control entry/addenda count", rejectLine: 17, rejectControls: true,
		profile: []nacha.Check{nacha.CheckEntryAddendaCount, nacha.CheckBlockCount},
		entries: 1, debitTotal: 100000000, encoding: "windows-1252",
		kinds: map[bankfile.Kind]int{bankfile.KindPayment: 1},
	},
	"ctx-820-remittance-utf8-separator-lines-over-94-bytes.ach": {
		rejectField: "file control entry/addenda count", rejectLine: 17, rejectControls: true,
		profile: []nacha.Check{nacha.CheckEntryAddendaCount, nacha.CheckBlockCount},
		entries: 1, debitTotal: 100000000, encoding: "utf-8",
		kinds: map[bankfile.Kind]int{bankfile.KindPayment: 1},
	},
	"ctx-debit-two-freetext-addenda.ach": {
		entries: 1, debitTotal: 100000000, controls: bankfile.ControlsOK, encoding: "ascii",
		kinds: map[bankfile.Kind]int{bankfile.KindPayment: 1},
	},
	"iat-mixed-credit-debit-with-717-remittance.ach": {
		entries: 2, credits: 1, creditTotal: 100000, debitTotal: 100000,
		controls: bankfile.ControlsOK, encoding: "ascii",
		kinds: map[bankfile.Kind]int{bankfile.KindPayment: 2},
	},
	"noc-cor-c01.ach": {
		entries: 1, controls: bankfile.ControlsOK, encoding: "ascii",
		kinds:       map[bankfile.Kind]int{bankfile.KindNotice: 1},
		returnCodes: []string{"C01"},
	},
	// The file control says 5 batches for 4 (batch number 2 is absent); counts,
	// hash and totals agree with the 4. NACHA: the batch count equals the batch
	// header records, and an ACH operator rejects a file whose count does not.
	// The file is published as a bank example, so a bank known to write such
	// counts is read with the profile below.
	"ppd-credits-multi-batch-usbank-example.ach": {
		rejectField: "file control batch count", rejectLine: 93, rejectControls: true,
		profile: []nacha.Check{nacha.CheckBatchCount},
		entries: 48, credits: 20, creditTotal: 200, debitTotal: 5101000, encoding: "ascii",
		kinds: map[bankfile.Kind]int{bankfile.KindPayment: 48},
	},
	"ppd-micro-deposits-utf8-name.ach": {
		entries: 6, credits: 4, creditTotal: 120, debitTotal: 120,
		controls: bankfile.ControlsOK, encoding: "utf-8",
		kinds: map[bankfile.Kind]int{bankfile.KindPayment: 6},
	},
	"ppd-no-newlines-single-line-file.ach": {
		entries: 1, debitTotal: 10500, controls: bankfile.ControlsOK, encoding: "ascii",
		kinds: map[bankfile.Kind]int{bankfile.KindPayment: 1},
	},
	"ppd-short-file-control-line.ach": {
		entries: 1, debitTotal: 100000000, controls: bankfile.ControlsOK, encoding: "ascii",
		kinds: map[bankfile.Kind]int{bankfile.KindPayment: 1},
	},
	"return-nonstandard-reason-r97.ach": {
		entries: 1, controls: bankfile.ControlsOK, encoding: "ascii",
		kinds:       map[bankfile.Kind]int{bankfile.KindReturn: 1},
		returnCodes: []string{"R97"},
	},
	// One entry with a return, its dishonor and the contest: the last is the
	// entry's current state.
	"returns-dishonored-contested-r07-r68-r71.ach": {
		entries: 1, controls: bankfile.ControlsOK, encoding: "ascii",
		kinds:       map[bankfile.Kind]int{bankfile.KindReturn: 1},
		returnCodes: []string{"R71"},
	},
	"returns-dishonored-r68-pos.ach": {
		entries: 2, debitTotal: 48000, controls: bankfile.ControlsOK, encoding: "ascii",
		kinds:       map[bankfile.Kind]int{bankfile.KindReturn: 2},
		returnCodes: []string{"R68", "R68"},
	},
	"returns-fiserv-crlf-masked-routing.ach": {
		entries: 3, debitTotal: 10102, controls: bankfile.ControlsOK, encoding: "ascii",
		kinds:       map[bankfile.Kind]int{bankfile.KindReturn: 3},
		returnCodes: []string{"R04", "R03", "R01"},
	},
	// Batch header, entries, returns and batch control only: the batch control
	// reconciles, but without a file control the file as a whole is unchecked.
	"returns-fragment-no-file-header-or-control.ach": {
		entries: 2, debitTotal: 17160, controls: bankfile.ControlsNone, encoding: "ascii",
		kinds:       map[bankfile.Kind]int{bankfile.KindReturn: 2},
		returnCodes: []string{"R01", "R03"},
	},
	"returns-web-r01-r03.ach": {
		entries: 2, debitTotal: 12354, controls: bankfile.ControlsOK, encoding: "ascii",
		kinds:       map[bankfile.Kind]int{bankfile.KindReturn: 2},
		returnCodes: []string{"R01", "R03"},
	},
	"tel-reversal-bank-of-america-sample.ach": {
		entries: 2, debitTotal: 685100, controls: bankfile.ControlsOK, encoding: "ascii",
		kinds: map[bankfile.Kind]int{bankfile.KindReversal: 2},
	},
	"web-addenda-trailing-backslash-unpadded-control.ach": {
		entries: 1, credits: 1, creditTotal: 10000,
		controls: bankfile.ControlsOK, encoding: "ascii",
		kinds: map[bankfile.Kind]int{bankfile.KindPayment: 1},
	},
	"zero-entry-file-fiserv-crlf-short-header.ach": {
		entries: 0, controls: bankfile.ControlsOK, encoding: "ascii",
		kinds: map[bankfile.Kind]int{},
	},
}

func TestSharedSamples(t *testing.T) {
	t.Parallel()

	dir := samplesDir(t, "nacha")

	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}

	for _, path := range files {
		name := filepath.Base(path)

		t.Run(name, func(t *testing.T) {
			t.Parallel()

			want, ok := sampleTable[name]
			if !ok {
				t.Fatalf("sample %s has no expected outcome in the table", name)
			}

			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}

			if want.rejectField == "" {
				checkSample(t, mustRead(t, name, data), want)
				return
			}

			be := mustReject(t, name, data)
			p := be.Problems[0]
			if p.Field != want.rejectField || p.Line != want.rejectLine || p.File != name ||
				p.Message == "" {
				t.Errorf("first problem %+v, want %s on line %d of %s with a message",
					p, want.rejectField, want.rejectLine, name)
			}

			if (be.Controls == bankfile.ControlsMismatch) != want.rejectControls {
				t.Errorf("rejection controls %q, want mismatch %v",
					be.Controls, want.rejectControls)
			}

			if want.profile == nil {
				return
			}

			f, err := nacha.ReadOptions(name, data, nacha.Options{WarnOnly: want.profile})
			if err != nil {
				t.Fatalf("read with profile %v: %v", want.profile, err)
			}

			want.controls = bankfile.ControlsMismatch
			checkSample(t, f, want)

			// Every problem of the strict read is a warning of the relaxed one.
			for _, p := range be.Problems {
				if !hasWarning(f, p) {
					t.Errorf("problem %v is not a warning of the relaxed read", p)
				}
			}
		})
	}
}

func hasWarning(f *bankfile.File, p bankfile.Problem) bool {
	for _, w := range f.Warnings {
		if w == p {
			return true
		}
	}

	return false
}

func checkSample(t *testing.T, f *bankfile.File, want sampleWant) {
	t.Helper()

	if len(f.Transactions) != want.entries {
		t.Errorf("transactions %d, want %d", len(f.Transactions), want.entries)
	}

	if n, total := f.Credits(); n != want.credits || total != want.creditTotal {
		t.Errorf("credits %d totalling %d, want %d totalling %d",
			n, total, want.credits, want.creditTotal)
	}

	kinds := map[bankfile.Kind]int{}
	var debits int64
	var codes []string

	for i, tr := range f.Transactions {
		kinds[tr.Kind]++
		if tr.Direction == bankfile.Debit {
			debits += tr.Amount.Minor
		}

		if tr.ReturnCode != "" {
			codes = append(codes, tr.ReturnCode)
		}

		if tr.Seq != i+1 || tr.Line == 0 || tr.DedupeKey == "" || tr.Amount.Currency != "USD" {
			t.Errorf("transaction %d: seq %d line %d key %q currency %q", i, tr.Seq, tr.Line,
				tr.DedupeKey, tr.Amount.Currency)
		}
	}

	if debits != want.debitTotal {
		t.Errorf("debits total %d, want %d", debits, want.debitTotal)
	}

	if !reflect.DeepEqual(kinds, want.kinds) {
		t.Errorf("kinds %v, want %v", kinds, want.kinds)
	}

	if !reflect.DeepEqual(codes, want.returnCodes) {
		t.Errorf("return codes %v, want %v", codes, want.returnCodes)
	}

	if f.Controls != want.controls || f.Encoding != want.encoding ||
		f.Format != bankfile.FormatNACHA {
		t.Errorf("controls %q encoding %q format %q, want %q %q nacha",
			f.Controls, f.Encoding, f.Format, want.controls, want.encoding)
	}
}

// The two CTX samples carry the same X12 820 with the element separator '¦'
// as one Latin-1 byte or as two UTF-8 bytes. Their file control miscounts the
// records, so they are read with the counts relaxed; then they must give the
// same transaction.
func TestSharedCTXSamplesLatin1AndUTF8ReadAlike(t *testing.T) {
	t.Parallel()

	dir := samplesDir(t, "nacha")

	var got []bankfile.Transaction
	var encodings []string

	for _, name := range []string{
		"ctx-820-remittance-rmr-ref-latin1-separator.ach",
		"ctx-820-remittance-utf8-separator-lines-over-94-bytes.ach",
	} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}

		f, err := nacha.ReadOptions(name, data, nacha.Options{WarnOnly: []nacha.Check{
			nacha.CheckEntryAddendaCount, nacha.CheckBlockCount,
		}})
		if err != nil {
			t.Fatal(err)
		}

		if len(f.Transactions) != 1 {
			t.Fatalf("%s: %d transactions, want 1", name, len(f.Transactions))
		}

		got = append(got, f.Transactions[0])
		encodings = append(encodings, f.Encoding)
	}

	if encodings[0] == "utf-8" || encodings[1] != "utf-8" {
		t.Errorf("encodings %v, want a single-byte one then utf-8", encodings)
	}

	if !reflect.DeepEqual(got[0], got[1]) {
		t.Errorf("latin-1 and utf-8 copies differ:\n%+v\n%+v", got[0], got[1])
	}

	tr := got[0]
	want := []bankfile.Remit{
		{RefType: "IK", Ref: "/PHON 888-888-8888 /CONT JO PA"},
		{RefType: "IK", Ref: "ANG"},
	}

	if !reflect.DeepEqual(tr.Remits, want) {
		t.Errorf("remits %+v, want %+v", tr.Remits, want)
	}

	if tr.PayerName != "META PLATFORMS INC" || tr.PaymentRef != "M4986O3TM2" {
		t.Errorf("payer %q payment ref %q", tr.PayerName, tr.PaymentRef)
	}

	if tr.Problem != "BPR02 total 1352.88 != entry amount 1000000.00" {
		t.Errorf("problem %q", tr.Problem)
	}

	if !strings.Contains(tr.Remittance, "N1¦PR¦META PLATFORMS INC~") {
		t.Errorf("remittance %q does not keep the X12 text", tr.Remittance)
	}
}

// Spot checks of fields the table does not cover.
func TestSharedSampleFields(t *testing.T) {
	t.Parallel()

	dir := samplesDir(t, "nacha")
	read := func(name string) *bankfile.File {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}

		f, err := nacha.Read(name, data)
		if err != nil {
			t.Fatal(err)
		}

		return f
	}

	iat := read("iat-mixed-credit-debit-with-717-remittance.ach").Transactions
	if iat[0].PayerName != "BEK Solutions" || iat[1].PayerName != "ADCAF Solutions" {
		t.Errorf("IAT payers %q %q, want the 711 originator names",
			iat[0].PayerName, iat[1].PayerName)
	}

	if iat[0].Remittance != "This is an international payment This is an international payment" {
		t.Errorf("IAT remittance %q", iat[0].Remittance)
	}

	if iat[0].PaymentRef != "987465493213987" || iat[1].PaymentRef != "987465493213987" {
		t.Errorf("IAT payment refs %q %q, want the 715 receiver identification numbers",
			iat[0].PaymentRef, iat[1].PaymentRef)
	}

	ret := read("returns-web-r01-r03.ach").Transactions[0]
	if ret.ReturnCode != "R01" || ret.OriginalRef != "091400600000001" ||
		ret.BankRef != "091000017611242" {
		t.Errorf("return %+v", ret)
	}

	if ret.PayerName != "Person A" || ret.PayerAccount != "091400606:123456789" ||
		ret.Account != "" {
		t.Errorf("return parties: payer %q account %q our account %q",
			ret.PayerName, ret.PayerAccount, ret.Account)
	}

	web := read("web-addenda-trailing-backslash-unpadded-control.ach").Transactions[0]
	if web.Remittance != `PAY-GATE payment\` || web.PayerName != "Name on Account" {
		t.Errorf("web entry remittance %q payer %q", web.Remittance, web.PayerName)
	}

	fiserv := read("returns-fiserv-crlf-masked-routing.ach").Transactions[0]
	if got := fiserv.BookingDate.Format("2006-01-02"); got != "2020-03-31" {
		t.Errorf("settlement day 091 of 2020 gave booking date %s", got)
	}

	utf := read("ppd-micro-deposits-utf8-name.ach")
	if utf.Transactions[5].Amount.Minor != 44 || utf.Transactions[5].Line != 15 {
		t.Errorf("entry after the UTF-8 name: %+v", utf.Transactions[5])
	}
}
