package lockbox_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/connectors/bank/lockbox"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

const (
	multiBatch = "bai-multi-batch-overflow.txt"
	mismatch   = "bai-batch-total-mismatch.txt"
	badFields  = "bai-bad-fields.txt"
	delimMulti = "delimited-multi-batch.lbx"
)

// The BAI fixture: lockbox 0004417, deposit 2025-03-14, two batches of two
// checks, overflow chains of three, two and one records, CRLF line endings
// and one remitter name in Windows-1252. Figures from the file's columns.
func TestBAIMultiBatchWithOverflow(t *testing.T) {
	t.Parallel()

	f := mustRead(t, multiBatch, readFixture(t, multiBatch), lockbox.Options{})

	if f.Controls != bankfile.ControlsOK || f.Encoding != "windows-1252" ||
		f.Account != "0004417" || len(f.Warnings) != 0 {
		t.Fatalf("controls %q encoding %q account %q warnings %v", f.Controls, f.Encoding,
			f.Account, f.Warnings)
	}

	type want struct {
		line   int
		amount int64
		ref    string
		payer  string
		acct   string
		remits []remit
	}

	wants := []want{
		{4, 317550, "5531", "GLOBEX HOLDINGS INC", "021000021:0004455667",
			[]remit{{"INV-7101", 41250}, {"INV-7102", 126300}, {"INV-7103", 150000}}},
		{8, 96000, "2204", "CAFÉ DEL SOL LLC", "122105278:0000881234",
			[]remit{{"INV-7120", 0}, {"INV-7121", 0}}},
		{13, 125000, "10077", "UMBRELLA SUPPLY CO", "011000015:0007001122", nil},
		{14, 20000, "5540", "GLOBEX HOLDINGS INC", "021000021:0004455667",
			[]remit{{"INV-7150", 20000}}},
	}

	if len(f.Transactions) != len(wants) {
		t.Fatalf("%d transactions, want %d", len(f.Transactions), len(wants))
	}

	day := time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)

	for i, w := range wants {
		tr := f.Transactions[i]
		if tr.Line != w.line || tr.Amount.Minor != w.amount || tr.BankRef != w.ref ||
			tr.PayerName != w.payer || tr.PayerAccount != w.acct ||
			!reflect.DeepEqual(remitsOf(tr), w.remits) {
			t.Errorf("check %d:\n got %d %d %q %q %q %v\nwant %v", i, tr.Line, tr.Amount.Minor,
				tr.BankRef, tr.PayerName, tr.PayerAccount, remitsOf(tr), w)
		}

		if tr.Kind != bankfile.KindPayment || tr.Account != "0004417" ||
			!tr.BookingDate.Equal(day) || !tr.ValueDate.Equal(day) || tr.Problem != "" {
			t.Errorf("check %d: kind %s account %q dates %v %v problem %q", i, tr.Kind,
				tr.Account, tr.BookingDate, tr.ValueDate, tr.Problem)
		}
	}
}

// Batch and lockbox totals that state 2,500.00 for checks adding up to
// 2,400.00 reject the file, each with both figures at its own line.
func TestBAIControlMismatchRejectsWithFigures(t *testing.T) {
	t.Parallel()

	be := mustReject(t, mismatch, readFixture(t, mismatch), lockbox.Options{})

	batch := findProblem(t, be.Problems, 7, "batch total amount")
	if !strings.Contains(batch.Message, "amount 2500.00 != sum of checks 2400.00") {
		t.Errorf("batch problem %+v", batch)
	}

	box := findProblem(t, be.Problems, 8, "lockbox total amount")
	if !strings.Contains(box.Message, "lockbox 0009120 total: amount 2500.00 != sum of checks "+
		"2400.00") {
		t.Errorf("lockbox problem %+v", box)
	}

	if len(be.Problems) != 2 {
		t.Errorf("problems %v, want the two totals only (counts and trailer agree)", be.Problems)
	}
}

// A bank profile may relax the totals it is known to break: the file is read,
// Controls says mismatch and the figures stay in the warnings.
func TestRelaxedControlsAreWarnings(t *testing.T) {
	t.Parallel()

	opts := lockbox.Options{Relaxed: []lockbox.Control{lockbox.ControlBatch}}
	be := mustReject(t, mismatch, readFixture(t, mismatch), opts)

	if len(be.Problems) != 1 || be.Problems[0].Field != "lockbox total amount" {
		t.Errorf("with the batch total relaxed: %v, want the lockbox total only", be.Problems)
	}

	opts.Relaxed = append(opts.Relaxed, lockbox.ControlLockbox)
	f := mustRead(t, mismatch, readFixture(t, mismatch), opts)

	if f.Controls != bankfile.ControlsMismatch || len(f.Transactions) != 2 ||
		len(f.Warnings) != 2 {
		t.Fatalf("controls %q, %d transactions, warnings %v", f.Controls, len(f.Transactions),
			f.Warnings)
	}

	w := findProblem(t, f.Warnings, 7, "batch total amount")
	if !strings.Contains(w.Message, "2500.00 != sum of checks 2400.00") {
		t.Errorf("warning %+v", w)
	}
}

// Every bad line is reported, with its line, field and value: an overflow
// record before any check, a letter in a check amount, a decimal point in an
// invoice amount and an unknown record type. The controls of the batch with
// the unreadable check are not compared: that would only repeat the problem.
func TestBAIBadFieldsAreAllReported(t *testing.T) {
	t.Parallel()

	be := mustReject(t, badFields, readFixture(t, badFields), lockbox.Options{})

	want := []struct {
		line         int
		field, value string
	}{
		{3, "overflow record", "1/1"},
		{4, "check amount", "00001O5000"},
		{6, "invoice amount", "12.50"},
		{7, "record type", "3"},
	}

	if len(be.Problems) != len(want) {
		t.Errorf("problems %v, want %d", be.Problems, len(want))
	}

	for _, w := range want {
		p := findProblem(t, be.Problems, w.line, w.field)
		if p.Value != w.value || p.File != badFields || p.Message == "" {
			t.Errorf("line %d: %+v, want value %q", w.line, p, w.value)
		}
	}
}

// The delimited fixture: two batches, a lockbox trailer (8) and a file
// trailer, CRLF, a UTF-8 payer name, a money order without MICR line or check
// number, and a check mixing a stated and an unstated invoice amount.
func TestDelimitedMultiBatch(t *testing.T) {
	t.Parallel()

	f := mustRead(t, delimMulti, readFixture(t, delimMulti), lockbox.Options{})

	if f.Controls != bankfile.ControlsOK || f.Encoding != "utf-8" || f.Account != "LBX5528" ||
		len(f.Warnings) != 0 {
		t.Fatalf("controls %q encoding %q account %q warnings %v", f.Controls, f.Encoding,
			f.Account, f.Warnings)
	}

	if n, total := f.Credits(); n != 4 || total != 517999 {
		t.Errorf("%d credits for %d, want 4 for 5179.99", n, total)
	}

	first := f.Transactions[0]
	if first.PayerName != "ÅSTRÖM TRADING AB" ||
		!reflect.DeepEqual(remitsOf(first), []remit{{"CT-1001", 100000}, {"CT-1002", 0}}) {
		t.Errorf("first check %q %v: the unstated amount must stay 0 beside a stated one",
			first.PayerName, remitsOf(first))
	}

	mo := f.Transactions[2]
	if mo.BankRef != "2/1" || mo.PayerAccount != "" || mo.Amount.Minor != 5000 ||
		mo.DedupeKey != "lockbox:LBX5528:20250611::::5000:PERSON C" ||
		!reflect.DeepEqual(remitsOf(mo), []remit{{"CT-1010", 5000}}) {
		t.Errorf("money order: ref %q account %q amount %d key %q remits %v", mo.BankRef,
			mo.PayerAccount, mo.Amount.Minor, mo.DedupeKey, remitsOf(mo))
	}

	if f.Transactions[1].Remits != nil || f.Transactions[3].BankRef != "104412" {
		t.Errorf("checks without remittance: %+v %+v", f.Transactions[1], f.Transactions[3])
	}
}

// Delimited files report bad fields the same way: a check amount with a
// decimal point, a remittance line without a check, a record too short.
func TestDelimitedBadFields(t *testing.T) {
	t.Parallel()

	data := strings.Join([]string{
		"1|LBX1|PAYEE|20250102|0800",
		"5|001|20250102",
		"4|001|0001|01|INV-1|100",
		"6|001|0001|CHK|17|12.00|011000015|12345|PAYER ONE",
		"6|001|0002|CHK",
		"7|001|0002|1200",
		"9|0001|0002|1200",
	}, "\n")

	be := mustReject(t, "bad.lbx", []byte(data), lockbox.Options{})

	findProblem(t, be.Problems, 3, "overflow record")
	if p := findProblem(t, be.Problems, 4, "check amount"); p.Value != "12.00" {
		t.Errorf("check amount problem %+v", p)
	}

	if p := findProblem(t, be.Problems, 5, "check record"); !strings.Contains(p.Message,
		"4 fields, at least 6") {
		t.Errorf("short record problem %+v", p)
	}

	if len(be.Problems) != 3 {
		t.Errorf("problems %v, want 3", be.Problems)
	}
}

// An overflow record naming another check than the one before it is a
// problem at its line.
func TestOverflowForAnotherCheckRejects(t *testing.T) {
	t.Parallel()

	recs := records(readFixture(t, multiBatch))
	recs[5] = strings.Replace(recs[5], "4001001", "4001002", 1) // line 6

	be := mustReject(t, "other", join(recs, "\n"), lockbox.Options{})
	p := findProblem(t, be.Problems, 6, "overflow record")

	if !strings.Contains(p.Message, "batch 1 item 2 follows the check of batch 1 item 1") ||
		len(be.Problems) != 1 {
		t.Errorf("problems %v", be.Problems)
	}
}

// Overflow chains that skip a sequence number or never mark their last record
// are read, with warnings: the trailer's record count proves nothing was lost.
func TestOverflowSequenceWarnings(t *testing.T) {
	t.Parallel()

	recs := records(readFixture(t, multiBatch))
	recs[5] = strings.Replace(recs[5], "40010016020", "40010016040", 1) // sequence 04
	recs[9] = strings.Replace(recs[9], "40010026029", "40010026020", 1) // no last mark

	f := mustRead(t, "seq", join(recs, "\n"), lockbox.Options{})
	findProblem(t, f.Warnings, 6, "overflow sequence")
	findProblem(t, f.Warnings, 8, "overflow indicator")

	if len(f.Transactions) != 4 || f.Controls != bankfile.ControlsOK {
		t.Errorf("%d transactions, controls %q", len(f.Transactions), f.Controls)
	}
}

// The trailer counts records: one lost overflow record rejects the file even
// though every amount still adds up.
func TestTrailerRecordCount(t *testing.T) {
	t.Parallel()

	recs := records(readFixture(t, multiBatch))
	recs = append(recs[:5], recs[6:]...) // drop INV-7102

	be := mustReject(t, "lost", join(recs, "\n"), lockbox.Options{})
	p := findProblem(t, be.Problems, 17, "file trailer record count")

	if !strings.Contains(p.Message, "record count 18 != 17 records") || len(be.Problems) != 1 {
		t.Errorf("problems %v", be.Problems)
	}

	f := mustRead(t, "lost", join(recs, "\n"),
		lockbox.Options{Relaxed: []lockbox.Control{lockbox.ControlTrailer}})
	if f.Controls != bankfile.ControlsMismatch {
		t.Errorf("relaxed trailer: controls %q", f.Controls)
	}
}

// Without any total, the checks are read but marked so that nobody applies
// them unseen, and Controls says none.
func TestChecksWithoutTotalsAreMarked(t *testing.T) {
	t.Parallel()

	var kept []string
	for _, r := range records(readFixture(t, multiBatch)) {
		if !strings.ContainsAny(r[:1], "789") {
			kept = append(kept, r)
		}
	}

	f := mustRead(t, "no-totals", join(kept, "\n"), lockbox.Options{})
	if f.Controls != bankfile.ControlsNone || len(f.Transactions) != 4 {
		t.Fatalf("controls %q, %d transactions", f.Controls, len(f.Transactions))
	}

	for _, tr := range f.Transactions {
		if !strings.Contains(tr.Problem, "not proved by a batch, lockbox or file total") {
			t.Errorf("check %s: problem %q", tr.BankRef, tr.Problem)
		}
	}

	findProblem(t, f.Warnings, 0, "file trailer")
	findProblem(t, f.Warnings, 0, "controls")
}

// A batch total covers only its batch: the checks of a batch without one are
// marked, those of the other batch are not.
func TestBatchWithoutTotalIsMarked(t *testing.T) {
	t.Parallel()

	var kept []string
	for _, r := range records(readFixture(t, multiBatch)) {
		if !strings.HasPrefix(r, "7002") && r[0] != '8' && r[0] != '9' {
			kept = append(kept, r)
		}
	}

	f := mustRead(t, "half", join(kept, "\n"), lockbox.Options{})

	var marked []string
	for _, tr := range f.Transactions {
		if tr.Problem != "" {
			marked = append(marked, tr.BankRef)
		}
	}

	if f.Controls != bankfile.ControlsNone ||
		!reflect.DeepEqual(marked, []string{"10077", "5540"}) {
		t.Errorf("controls %q, marked %v, want batch 2's checks", f.Controls, marked)
	}

	findProblem(t, f.Warnings, 0, "batch total")
}

// An empty day: headers and zero totals without a check.
func TestEmptyDay(t *testing.T) {
	t.Parallel()

	data := strings.Join([]string{
		"100NWTRADERS 02100002102503150615",
		"50010000004417250315NWTRADERS 0210000210",
		"700100000044172503150000000000000",
		"8000000000441725031500000000000000",
		"9000005",
	}, "\n")

	f := mustRead(t, "empty", []byte(data), lockbox.Options{})
	if len(f.Transactions) != 0 || f.Controls != bankfile.ControlsOK || len(f.Warnings) != 0 {
		t.Errorf("%d transactions, controls %q, warnings %v", len(f.Transactions), f.Controls,
			f.Warnings)
	}
}

func TestStructuralProblems(t *testing.T) {
	t.Parallel()

	base := records(readFixture(t, multiBatch))

	after := append(append([]string(nil), base...), "6003001000000010000000000000000000000000001")
	be := mustReject(t, "after", join(after, "\n"), lockbox.Options{})
	if p := findProblem(t, be.Problems, 19, "record type"); !strings.Contains(p.Message,
		"after the file trailer (9) of line 18") {
		t.Errorf("problem %+v", p)
	}

	long := append([]string{base[0], strings.Repeat("6", lockbox.MaxLineLen+10)}, base[1:]...)
	be = mustReject(t, "long", join(long, "\r\n"), lockbox.Options{})
	findProblem(t, be.Problems, 2, "line")

	be = mustReject(t, "blank", []byte("\r\n  \r\n"), lockbox.Options{})
	findProblem(t, be.Problems, 0, "file")

	be = mustReject(t, "date", []byte(strings.Replace(string(join(base, "\n")),
		"50020000004417250314", "50020000004417250230", 1)), lockbox.Options{})
	if p := findProblem(t, be.Problems, 12, "deposit date"); p.Value != "250230" {
		t.Errorf("problem %+v", p)
	}
}

// A remitter name with control characters and a NUL comes out as clean text;
// a Latin-1 byte that Windows-1252 leaves undefined names the encoding.
func TestTextIsCleaned(t *testing.T) {
	t.Parallel()

	recs := records(readFixture(t, multiBatch))
	recs[12] = strings.Replace(recs[12], "UMBRELLA SUPPLY CO", "UMBRELLA\x00SUPPLY\x81CO", 1)

	data := []byte(strings.Join(recs, "\n"))
	f := mustRead(t, "ctl", data, lockbox.Options{})

	if got := f.Transactions[2].PayerName; got != "UMBRELLA SUPPLY CO" {
		t.Errorf("payer %q", got)
	}

	if f.Encoding != "iso-8859-1" {
		t.Errorf("encoding %q", f.Encoding)
	}
}

// Another bank's layout: two invoice lines per overflow record and one in the
// check record, a 4-digit item number, no batch header date (the header's
// date is used).
func TestCustomLayout(t *testing.T) {
	t.Parallel()

	l := lockbox.DefaultLayout()
	l.BatchHeaderDate = lockbox.Span{}
	l.DetailItem = lockbox.Span{From: 5, To: 8}
	l.DetailAmount = lockbox.Span{From: 9, To: 18}
	l.DetailRouting = lockbox.Span{From: 19, To: 27}
	l.DetailAccount = lockbox.Span{From: 28, To: 37}
	l.DetailCheck = lockbox.Span{From: 38, To: 45}
	l.DetailRemitter = lockbox.Span{From: 46, To: 65}
	l.DetailInvoices = []lockbox.InvoiceSpan{{
		Ref: lockbox.Span{From: 66, To: 77}, Amount: lockbox.Span{From: 78, To: 87},
	}}
	l.OverflowItem = lockbox.Span{From: 5, To: 8}
	l.OverflowSequence = lockbox.Span{From: 10, To: 11}
	l.OverflowLast = lockbox.Span{From: 12, To: 12}
	l.OverflowInvoices = []lockbox.InvoiceSpan{
		{Ref: lockbox.Span{From: 13, To: 24}, Amount: lockbox.Span{From: 25, To: 34}},
		{Ref: lockbox.Span{From: 35, To: 46}, Amount: lockbox.Span{From: 47, To: 56}},
	}

	data := strings.Join([]string{
		"100BANKDEST  BANKORIG  2507010900",
		"5001   0000777",
		"600100010000100000071000012000005432100004412ACME WIDGETS LTD    A-100       0000025000",
		"400100016019A-101       0000025000A-102       0000050000",
		"70010000000777      0010000100000",
		"9000006",
	}, "\n")

	f := mustRead(t, "custom", []byte(data), lockbox.Options{Layout: &l})
	if len(f.Transactions) != 1 || f.Controls != bankfile.ControlsOK {
		t.Fatalf("%d transactions, controls %q, warnings %v", len(f.Transactions), f.Controls,
			f.Warnings)
	}

	tr := f.Transactions[0]
	want := []remit{{"A-100", 25000}, {"A-101", 25000}, {"A-102", 50000}}

	if !reflect.DeepEqual(remitsOf(tr), want) || tr.BankRef != "4412" ||
		tr.PayerAccount != "071000012:0000054321" || tr.PayerName != "ACME WIDGETS LTD" ||
		tr.BookingDate != time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC) {
		t.Errorf("check %+v", tr)
	}

	bad := l
	bad.DetailAmount = lockbox.Span{From: 1, To: 10}
	if _, err := lockbox.ReadOptions("x", []byte(data), lockbox.Options{Layout: &bad}); err == nil {
		t.Error("a layout reading the record type column as an amount was accepted")
	}

	if _, err := lockbox.ReadOptions("x", []byte(data), lockbox.Options{Currency: "XYZ"}); err ==
		nil {
		t.Error("unknown currency accepted")
	}
}

// A bank that numbers its batch totals apart from the checks (the 5 and 7
// records say 000, the checks 001) still reconciles: the one open batch is the
// one the total closes.
func TestBatchTotalNumberedApart(t *testing.T) {
	t.Parallel()

	recs := records(readFixture(t, multiBatch))
	recs[10] = "7000" + recs[10][4:] // line 11: batch 001's total

	f := mustRead(t, "apart", join(recs, "\n"), lockbox.Options{})
	if f.Controls != bankfile.ControlsOK || len(f.Transactions) != 4 {
		t.Fatalf("controls %q, %d transactions", f.Controls, len(f.Transactions))
	}

	findProblem(t, f.Warnings, 11, "batch total batch")

	for _, tr := range f.Transactions {
		if tr.Problem != "" {
			t.Errorf("check %s: %q", tr.BankRef, tr.Problem)
		}
	}
}
