package nacha_test

import (
	"strings"
	"testing"

	"github.com/moov-io/ach"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

// returnFile builds, with moov-io/ach, a PPD batch of two returned debits (R01
// and R10) as the originator's bank sends them back.
func returnFile(t *testing.T) []byte {
	t.Helper()

	fh := moovHeader("260310", "0600", "B")

	bh := ach.NewBatchHeader()
	bh.ServiceClassCode = ach.MixedDebitsAndCredits
	bh.CompanyName = "GLOBEX SUPPLY"
	bh.CompanyIdentification = "1239876540"
	bh.StandardEntryClassCode = ach.PPD
	bh.CompanyEntryDescription = "INVOICES"
	bh.EffectiveEntryDate = "260310"
	bh.ODFIIdentification = "12104288"

	batch, err := ach.NewBatch(bh)
	if err != nil {
		t.Fatal(err)
	}

	for i, r := range []struct {
		code, orig, name string
		amount           int
	}{
		{"R01", "231380100004321", "JANE ROE", 48250},
		{"R10", "231380100004322", "RICHARD MILES", 12000},
	} {
		ed := ach.NewEntryDetail()
		ed.TransactionCode = ach.CheckingReturnNOCDebit
		ed.SetRDFI("231380104")
		ed.DFIAccountNumber = "55500" + string(rune('1'+i))
		ed.Amount = r.amount
		ed.IdentificationNumber = "CUST-" + string(rune('1'+i))
		ed.IndividualName = r.name
		ed.SetTraceNumber(bh.ODFIIdentification, i+1)
		ed.Category = ach.CategoryReturn
		ed.AddendaRecordIndicator = 1

		a := ach.NewAddenda99()
		a.ReturnCode = r.code
		a.OriginalTrace = r.orig
		a.OriginalDFI = "23138010"
		a.AddendaInformation = "RETURNED BY RDFI"
		a.TraceNumber = ed.TraceNumber
		ed.Addenda99 = a

		batch.AddEntry(ed)
	}

	return writeMoov(t, fh, batch)
}

func TestReturnEntries(t *testing.T) {
	t.Parallel()

	f := mustRead(t, "returns.ach", returnFile(t))
	if len(f.Transactions) != 2 || f.Controls != bankfile.ControlsOK {
		t.Fatalf("%d transactions, controls %q", len(f.Transactions), f.Controls)
	}

	r1, r2 := f.Transactions[0], f.Transactions[1]
	if r1.Kind != bankfile.KindReturn || r1.ReturnCode != "R01" ||
		r1.OriginalRef != "231380100004321" {
		t.Errorf("first return: kind %q code %q original %q",
			r1.Kind, r1.ReturnCode, r1.OriginalRef)
	}

	if r2.ReturnCode != "R10" || r2.OriginalRef != "231380100004322" || r2.Amount.Minor != 12000 {
		t.Errorf("second return: code %q original %q amount %d",
			r2.ReturnCode, r2.OriginalRef, r2.Amount.Minor)
	}

	// A returned debit takes collected money back: a debit, named after the
	// customer whose payment bounced.
	if r1.Direction != bankfile.Debit || r1.PayerName != "JANE ROE" ||
		r1.PayerAccount != "231380104:555001" || r1.Account != "" {
		t.Errorf("first return parties: %s payer %q account %q ours %q",
			r1.Direction, r1.PayerName, r1.PayerAccount, r1.Account)
	}

	if !strings.HasPrefix(r1.Remittance, "R01 Insufficient Funds: RETURNED BY RDFI") {
		t.Errorf("return text %q", r1.Remittance)
	}

	if n, _ := f.Credits(); n != 0 {
		t.Errorf("returns counted as %d payment credits", n)
	}
}

func TestControlMismatchRejectsWithNumbers(t *testing.T) {
	t.Parallel()

	ls := lines(readFixture(t, b10Fixture))
	ls[4] = setField(t, ls[4], 33, 44, "000000327400") // batch control total credit

	be := mustReject(t, "bad-batch.ach", joinLines(ls))
	p := findProblem(t, be, "batch control total credit")

	const msg = "batch 1 control: total credit 3274.00 != sum of entries 3275.00"
	if p.Line != 5 || p.Message != msg || p.Value != "000000327400" {
		t.Errorf("problem %+v", p)
	}

	if len(be.Problems) != 1 || be.Format != bankfile.FormatNACHA {
		t.Errorf("problems %v format %q, want only the batch total", be.Problems, be.Format)
	}
}

// An entry amount that changed in transit breaks both controls; every problem
// is listed, each with its line, field and numbers, the RDFI's check digit that
// no longer fits included.
func TestEveryControlProblemListed(t *testing.T) {
	t.Parallel()

	ls := lines(readFixture(t, b10Fixture))
	ls[2] = setField(t, ls[2], 30, 39, "0000372500")
	ls[2] = setField(t, ls[2], 4, 11, "02100003") // and the RDFI id: hash breaks too

	be := mustReject(t, "bad-entry.ach", joinLines(ls))

	want := map[string]string{
		"batch control entry hash": "batch 1 control: " +
			"entry hash 2100002 != 2100003 counted in the file",
		"batch control total credit": "batch 1 control: " +
			"total credit 3275.00 != sum of entries 3725.00",
		"file control entry hash": "file control: " +
			"entry hash 2100002 != 2100003 counted in the file",
		"file control total credit": "file control: " +
			"total credit 3275.00 != sum of entries 3725.00",
		// Not a rejection of its own, but a problem of the file all the same.
		"entry detail RDFIIdentification": "does not match calculated check digit 4",
	}

	if len(be.Problems) != len(want) {
		t.Errorf("problems %v, want %d", be.Problems, len(want))
	}

	for field, msg := range want {
		if p := findProblem(t, be, field); p.Message != msg {
			t.Errorf("%s: %q, want %q", field, p.Message, msg)
		}
	}

	if !strings.Contains(be.Error(), "bad-entry.ach:5: batch control entry hash") {
		t.Errorf("error text %q does not lead with file, line and field", be.Error())
	}
}

func TestEntryAddendaCountMismatchRejects(t *testing.T) {
	t.Parallel()

	ls := lines(readFixture(t, b10Fixture))
	ls = append(ls[:3], ls[4:]...) // drop the addenda record

	be := mustReject(t, "lost-addenda.ach", joinLines(ls))
	p := findProblem(t, be, "batch control entry/addenda count")

	const msg = "batch 1 control: entry/addenda count 2 != 1 counted in the file"
	if p.Line != 4 || p.Message != msg {
		t.Errorf("problem %+v", p)
	}
}

// A truncated record cannot be padded when it ends in a mandatory field.
func TestShortEntryRecordRejected(t *testing.T) {
	t.Parallel()

	ls := lines(readFixture(t, b10Fixture))
	ls[2] = ls[2][:93]

	be := mustReject(t, "short.ach", joinLines(ls))
	p := findProblem(t, be, "entry detail record")

	if p.Line != 3 || p.Message != "entry detail record must be 94 characters, found 93" {
		t.Errorf("problem %+v", p)
	}
}

func TestLongLineRejected(t *testing.T) {
	t.Parallel()

	ls := lines(readFixture(t, b10Fixture))
	ls[2] += "XYZ"

	be := mustReject(t, "long.ach", joinLines(ls))
	p := findProblem(t, be, "entry detail record")
	if p.Line != 3 || !strings.Contains(p.Message, "found 97") {
		t.Errorf("problem %+v", p)
	}
}

func TestUnknownRecordTypeRejected(t *testing.T) {
	t.Parallel()

	ls := lines(readFixture(t, b10Fixture))
	ls = append(ls[:4], append([]string{"X" + strings.Repeat(" ", 93)}, ls[4:]...)...)

	be := mustReject(t, "junk.ach", joinLines(ls))
	if p := findProblem(t, be, "record type"); p.Line != 5 || p.Value != "X" {
		t.Errorf("problem %+v", p)
	}
}

func TestRecordAfterFileControlRejected(t *testing.T) {
	t.Parallel()

	ls := lines(readFixture(t, b10Fixture))
	ls = append(ls[:6], ls[2:4]...) // an entry and addenda after the file control

	be := mustReject(t, "trailing.ach", joinLines(ls))
	if p := findProblem(t, be, "record type"); p.Line != 7 {
		t.Errorf("problem %+v", p)
	}
}

func TestNonNumericAmountRejected(t *testing.T) {
	t.Parallel()

	ls := lines(readFixture(t, b10Fixture))
	ls[2] = setField(t, ls[2], 30, 39, "00003275O0")

	be := mustReject(t, "letter-o.ach", joinLines(ls))
	if p := findProblem(t, be, "entry detail amount"); p.Line != 3 || p.Value != "00003275O0" {
		t.Errorf("problem %+v", p)
	}
}

// Two identical entries in one file are two payments; the same file sent again
// (with a new creation date and time) gives the same keys.
func TestDedupeKeys(t *testing.T) {
	t.Parallel()

	same := entrySpec{code: ach.CheckingCredit, rdfi: "231380104", account: "7001", amount: 50000,
		ident: "CUST-9", name: "GLOBEX SUPPLY", addenda: "RMR*IV*INV-31**500.00\\"}
	data := moovFile(t, ach.CCD, "UMBRELLA CORP", "1555666777", "260302", []entrySpec{same, same})

	// moov numbers the traces; make the second entry a byte-for-byte twin.
	ls := lines(data)
	ls[4] = setField(t, ls[4], 80, 94, ls[2][79:94])
	ls[5] = setField(t, ls[5], 88, 94, ls[3][87:94])

	f := mustRead(t, "twins.ach", joinLines(ls))
	if len(f.Transactions) != 2 {
		t.Fatalf("%d transactions, want 2", len(f.Transactions))
	}

	k1, k2 := f.Transactions[0].DedupeKey, f.Transactions[1].DedupeKey
	if k1 == k2 || k2 != k1+"#2" || k1 != "nacha:121042880000001:260302:22:50000" {
		t.Errorf("keys %q %q", k1, k2)
	}

	if n, total := f.Credits(); n != 2 || total != 100000 {
		t.Errorf("credits %d totalling %d, want both twins", n, total)
	}

	ls[0] = setField(t, ls[0], 24, 33, "2603021755")
	again := mustRead(t, "resent.ach", joinLines(ls))

	if again.Transactions[0].DedupeKey != k1 || again.Transactions[1].DedupeKey != k2 {
		t.Errorf("re-sent keys %q %q, want %q %q", again.Transactions[0].DedupeKey,
			again.Transactions[1].DedupeKey, k1, k2)
	}
}

func TestPrenoteAndZeroDollarAreNotices(t *testing.T) {
	t.Parallel()

	data := moovFile(t, ach.CCD, "UMBRELLA CORP", "1555666777", "260302", []entrySpec{
		{code: ach.CheckingPrenoteCredit, rdfi: "231380104", account: "7001", name: "GLOBEX"},
		{code: ach.CheckingZeroDollarRemittanceCredit, rdfi: "231380104", account: "7001",
			name: "GLOBEX", addenda: "RMR*IV*INV-77**0.00\\"},
		{code: ach.CheckingCredit, rdfi: "231380104", account: "7001", amount: 1, name: "GLOBEX"},
	})

	f := mustRead(t, "prenotes.ach", data)
	kinds := []bankfile.Kind{f.Transactions[0].Kind, f.Transactions[1].Kind, f.Transactions[2].Kind}

	if kinds[0] != bankfile.KindNotice || kinds[1] != bankfile.KindNotice ||
		kinds[2] != bankfile.KindPayment {
		t.Errorf("kinds %v", kinds)
	}

	if f.Transactions[1].Remits[0].Ref != "INV-77" {
		t.Errorf("zero-dollar remittance lost: %+v", f.Transactions[1])
	}
}

// CIE: the consumer paying a bill is named in the entry, not the batch.
func TestCIEPayerIsTheIndividual(t *testing.T) {
	t.Parallel()

	data := moovFile(t, ach.CCD, "BILLPAY SVC", "1999888777", "260302", []entrySpec{
		{code: ach.CheckingCredit, rdfi: "231380104", account: "7001", amount: 7500,
			ident: "ACCT 4471", name: "SAM CARTER"},
	})

	ls := lines(data)
	ls[1] = setField(t, ls[1], 51, 53, "CIE")
	// CIE layout: individual name in 40-54, identification number in 55-76.
	ls[2] = setField(t, ls[2], 40, 54, "SAM CARTER     ")
	ls[2] = setField(t, ls[2], 55, 76, "CUSTOMER 4471         ")

	f := mustRead(t, "cie.ach", joinLines(ls))
	tr := f.Transactions[0]

	if tr.PayerName != "SAM CARTER" || tr.PayerID != "CUSTOMER 4471" {
		t.Errorf("CIE payer %q id %q", tr.PayerName, tr.PayerID)
	}
}

func TestLatin1CompanyNameDecoded(t *testing.T) {
	t.Parallel()

	ls := lines(readFixture(t, b10Fixture))
	ls[1] = setField(t, ls[1], 5, 20, "M\xdcLLER GMBH     ")

	f := mustRead(t, "latin1.ach", joinLines(ls))
	if f.Encoding != "windows-1252" || f.Transactions[0].PayerName != "MÜLLER GMBH" {
		t.Errorf("encoding %q payer %q", f.Encoding, f.Transactions[0].PayerName)
	}
}

func TestUTF8BOMAndNameOver94Bytes(t *testing.T) {
	t.Parallel()

	ls := lines(readFixture(t, b10Fixture))
	ls[1] = ls[1][:4] + "MÜLLER GMBH     " + ls[1][20:] // 16 characters, 17 bytes

	if len([]rune(ls[1])) != 94 || len(ls[1]) != 95 {
		t.Fatalf("batch header is %d runes, %d bytes", len([]rune(ls[1])), len(ls[1]))
	}

	f := mustRead(t, "utf8.ach", append([]byte("\xef\xbb\xbf"), joinLines(ls)...))
	if f.Encoding != "utf-8-bom" || f.Transactions[0].PayerName != "MÜLLER GMBH" ||
		f.Transactions[0].PayerID != "1122334455" {
		t.Errorf("encoding %q payer %q id %q", f.Encoding, f.Transactions[0].PayerName,
			f.Transactions[0].PayerID)
	}
}

// Entries sent without any batch header are read, with a warning, and the
// result says the controls could not be checked.
func TestEntriesWithoutBatchHeader(t *testing.T) {
	t.Parallel()

	ls := lines(readFixture(t, b10Fixture))

	f := mustRead(t, "bare.ach", joinLines(ls[2:4]))
	if len(f.Transactions) != 1 || f.Controls != bankfile.ControlsNone || len(f.Warnings) == 0 {
		t.Errorf("%d transactions, controls %q, warnings %v",
			len(f.Transactions), f.Controls, f.Warnings)
	}
}

func TestReversalBatch(t *testing.T) {
	t.Parallel()

	ls := lines(readFixture(t, b10Fixture))
	ls[1] = setField(t, ls[1], 54, 63, "REVERSAL  ")

	f := mustRead(t, "reversal.ach", joinLines(ls))
	tr := f.Transactions[0]
	if tr.Kind != bankfile.KindReversal || tr.Direction != bankfile.Credit {
		t.Errorf("kind %q direction %q", tr.Kind, tr.Direction)
	}

	if n, _ := f.Credits(); n != 0 {
		t.Errorf("a reversal counted as cash received")
	}
}

func TestEmptyAndGarbageRejected(t *testing.T) {
	t.Parallel()

	for name, data := range map[string]string{
		"empty":   "",
		"blanks":  "\n\r\n   \n",
		"garbage": "hello, world\nthis is not ach\n",
	} {
		be := mustReject(t, name, []byte(data))
		if len(be.Problems) == 0 {
			t.Errorf("%s: no problems listed", name)
		}
	}
}

// A large garbage file is rejected with a bounded list of short problems.
func TestProblemsBounded(t *testing.T) {
	t.Parallel()

	junk := strings.Repeat("X"+strings.Repeat("-", 93)+"\n", 5000)
	be := mustReject(t, "junk.txt", []byte(junk))

	last := be.Problems[len(be.Problems)-1]
	if len(be.Problems) > 201 || !strings.Contains(last.Message, "more") {
		t.Errorf("%d problems, last %+v", len(be.Problems), last)
	}

	long := mustReject(t, "one-line.txt", []byte("1"+strings.Repeat("z", 100000)))
	for _, p := range long.Problems {
		if len(p.Value) > 110 {
			t.Errorf("problem value of %d bytes", len(p.Value))
		}
	}
}

// A batch sent twice in one file is twice the money: every entry of the
// second copy gets its key with "#2", and the file's totals count both.
func TestRepeatedBatchCountsTwice(t *testing.T) {
	t.Parallel()

	const pairs = 3_000

	ls := lines(genBytes(newGen(pairs, pairs)))
	batch := ls[1 : 2*pairs+3] // header, entries and addenda, control
	again := append([]string(nil), batch...)
	again[0] = setField(t, again[0], 88, 94, "0000002")
	again[len(again)-1] = setField(t, again[len(again)-1], 88, 94, "0000002")

	fc := ls[2*pairs+3]
	fc = setField(t, fc, 2, 7, "000002")
	fc = setField(t, fc, 8, 13, string(num(nil, int64((2*(2*pairs+2)+2+9)/10), 6)))
	fc = setField(t, fc, 14, 21, string(num(nil, 4*pairs, 8)))
	fc = setField(t, fc, 22, 31, string(num(nil, 2*hash(pairs)%10_000_000_000, 10)))
	fc = setField(t, fc, 44, 55, string(num(nil, 2*genCredits(pairs), 12)))

	file := append(append(append([]string{ls[0]}, batch...), again...), fc)

	f := mustRead(t, "twice.ach", joinLines(file))
	if n, total := f.Credits(); n != 2*pairs || total != 2*genCredits(pairs) {
		t.Fatalf("credits %d totalling %d", n, total)
	}

	for i := 0; i < pairs; i++ {
		first, second := f.Transactions[i], f.Transactions[pairs+i]
		if second.DedupeKey != first.DedupeKey+"#2" || strings.Contains(first.DedupeKey, "#") {
			t.Fatalf("entry %d: keys %q and %q", i+1, first.DedupeKey, second.DedupeKey)
		}
	}
}
