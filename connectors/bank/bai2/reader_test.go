package bai2_test

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/connectors/bank/bai2"
	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

func TestStandardFile(t *testing.T) {
	t.Parallel()

	f := mustRead(t, "std.bai2", []byte(standard()), bai2.Options{})

	if f.Controls != bankfile.ControlsOK || len(f.Warnings) != 0 || f.Encoding != "ascii" ||
		f.Account != "000123456789" || f.Currency != "USD" {
		t.Fatalf("controls %s, warnings %v, encoding %s, account %q %q", f.Controls, f.Warnings,
			f.Encoding, f.Account, f.Currency)
	}

	asOf := time.Date(2025, 2, 28, 0, 0, 0, 0, time.UTC)
	ach := f.Transactions[0]

	want := bankfile.Transaction{
		Seq: 1, Line: 4, Account: "000123456789", Direction: bankfile.Credit,
		Kind: bankfile.KindPayment, Amount: money.New(125000, "USD"), BookingDate: asOf,
		ValueDate: asOf, BankRef: "ACH0000001", PaymentRef: "PO-4411", EndToEndID: "E2E-1001",
		PayerName: "NORTHWIND TRADING LLC", PayerAccount: "021000021:556677",
		Remittance: "NORTHWIND TRADING INV-1001 EREF: E2E-1001 DBNM: NORTHWIND TRADING LLC " +
			"DABA: 021000021 DACT: 556677",
		DedupeKey: "bai2:000123456789:USD:250228:142:125000:ACH0000001:PO-4411",
	}
	if !reflect.DeepEqual(ach, want) {
		t.Errorf("ACH credit\n got %+v\nwant %+v", ach, want)
	}

	wire := f.Transactions[2]
	if wire.Line != 10 || wire.PayerName != "SOUTHWIND/EXPORT GMBH" || wire.Remittance !=
		"INCOMING WIRE ORG:=SOUTHWIND/EXPORT GMBH OBI:=INVOICES INV-1002, INV-1003 AND INV-1004" {
		t.Errorf("wire %+v", wire)
	}

	out := f.Transactions[3]
	if out.Direction != bankfile.Debit || out.Kind != bankfile.KindPayment {
		t.Errorf("outgoing wire %+v", out)
	}

	ret := f.Transactions[4]
	if ret.Direction != bankfile.Debit || ret.Kind != bankfile.KindReturn {
		t.Errorf("returned deposit %+v", ret)
	}

	if n, total := f.Credits(); n != 3 || total != 125000+98765+250000 {
		t.Errorf("credits %d %d", n, total)
	}
}

// Scan emits each transaction as soon as the record after it arrives, before
// the rest of the file is even written.
func TestScanStreams(t *testing.T) {
	t.Parallel()

	text := standard()
	cut := strings.Index(text, "16,495,")
	pr, pw := io.Pipe()

	got := make(chan bankfile.Transaction, 10)
	done := make(chan error, 1)

	go func() {
		_, err := bai2.Scan("stream.bai2", pr, func(tx bankfile.Transaction) error {
			got <- tx
			return nil
		})
		done <- err
	}()

	if _, err := pw.Write([]byte(text[:cut])); err != nil {
		t.Fatal(err)
	}

	for i := 0; i < 2; i++ { // the third waits for the record after it
		select {
		case tx := <-got:
			if tx.Seq != i+1 {
				t.Fatalf("emitted seq %d", tx.Seq)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("transaction %d not emitted before the rest of the file", i+1)
		}
	}

	if _, err := pw.Write([]byte(text[cut:])); err != nil {
		t.Fatal(err)
	}

	pw.Close()

	if err := <-done; err != nil {
		t.Fatal(err)
	}

	if len(got) != 3 {
		t.Fatalf("%d more transactions, want 3", len(got))
	}
}

// Read is Scan collecting the transactions.
func TestReadEqualsScan(t *testing.T) {
	t.Parallel()

	data := []byte(standard())
	f := mustRead(t, "x.bai2", data, bai2.Options{})

	var txs []bankfile.Transaction

	g, err := bai2.Scan("x.bai2", bytes.NewReader(data), func(tx bankfile.Transaction) error {
		txs = append(txs, tx)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	if g.Transactions != nil || !reflect.DeepEqual(txs, f.Transactions) {
		t.Fatal("Scan and Read differ")
	}

	g.Transactions = f.Transactions
	if !reflect.DeepEqual(f, g) {
		t.Fatalf("files differ:\n%+v\n%+v", f, g)
	}
}

var errStop = errors.New("stop here")

func TestScanReturnsTheEmitError(t *testing.T) {
	t.Parallel()

	calls := 0

	_, err := bai2.Scan("x.bai2", strings.NewReader(standard()), func(bankfile.Transaction) error {
		calls++
		return errStop
	})
	if !errors.Is(err, errStop) || calls != 1 {
		t.Fatalf("err %v after %d calls", err, calls)
	}

	var be *bankfile.Error
	if errors.As(err, &be) {
		t.Fatal("an emit error is not a rejection of the file")
	}
}

// A file with several bad records reports every one of them with its line,
// field and value, not only the first.
func TestAllProblemsReported(t *testing.T) {
	t.Parallel()

	data := lines(
		"01,TESTBANK,WIDGETCO,250301,0700,42,,,2/",
		"02,WIDGETCO,TESTBANK,1,250228,2400,USD,2/",
		"03,000123456789,US$,010,1000,,/",
		"16,142,12.50,0,ACH01,,DECIMAL POINT/",
		"16,1X2,1250,0,ACH02,,BAD TYPE CODE/",
		"16,142,1250,Q,ACH03,,BAD FUNDS TYPE/",
		"16,905,1250,0,ACH04,,STATUS CODE/",
		"16,142,-1250,0,ACH05,,NEGATIVE/",
		"49,6000,7/",
		"98,6000,1,9/",
		"99,6000,1,11/")

	be := mustReject(t, "bad.bai2", data, bai2.Options{})

	want := []struct {
		line         int
		field, value string
	}{
		{3, "account currency", "US$"},
		{4, "detail amount", "12.50"},
		{5, "detail type code", "1X2"},
		{6, "detail funds type", "Q"},
		{7, "detail type code", "905"},
		{8, "detail amount", "-1250"},
		{9, "account trailer control total", "6000"},
	}

	if len(be.Problems) < len(want) {
		t.Fatalf("%d problems: %v", len(be.Problems), be.Problems)
	}

	for i, w := range want {
		p := be.Problems[i]
		if p.Line != w.line || p.Field != w.field || p.Value != w.value || p.File != "bad.bai2" {
			t.Errorf("problem %d = %+v, want line %d %s %q", i, p, w.line, w.field, w.value)
		}
	}

	if !strings.Contains(be.Error(), "bad.bai2:3: account currency") {
		t.Errorf("error text %q", be.Error())
	}
}

// A file cut short (no 49, 98 or 99) is rejected; a bank profile that relaxes
// the envelope reads it with Controls none, and its credits are not applied
// automatically.
func TestTruncatedFile(t *testing.T) {
	t.Parallel()

	text := standard()
	cut := []byte(text[:strings.Index(text, "49,")])

	be := mustReject(t, "cut.bai2", cut, bai2.Options{})
	for _, field := range []string{"account trailer", "group trailer", "file trailer"} {
		findProblem(t, be, field)
	}

	f := mustRead(t, "cut.bai2", cut, bai2.Options{WarnOnly: []bai2.Check{bai2.CheckEnvelope}})
	if f.Controls != bankfile.ControlsNone || len(f.Transactions) != 5 {
		t.Fatalf("controls %s, %d transactions", f.Controls, len(f.Transactions))
	}

	for _, tx := range f.Transactions {
		if tx.Direction == bankfile.Credit && tx.Kind == bankfile.KindPayment && tx.Problem == "" {
			t.Errorf("credit %d of an unproven file without a problem", tx.Seq)
		}
	}
}

func TestStructureProblems(t *testing.T) {
	t.Parallel()

	text := standard()

	cases := []struct {
		name, text, field string
		line              int
	}{
		{"detail before any account", "01,A,B,250301,0700,1,,,2/\n16,142,100,0,,,X/\n",
			"transaction detail", 2},
		{"continuation first", "88,ORPHAN/\n" + text, "continuation", 1},
		{"record after the file trailer", text + "16,142,100,0,,,X/\n", "record", 19},
		{"empty", "\n\n  \n", "file", 0},
		{"no account number", strings.Replace(text, "03,000123456789,", "03,,", 1),
			"account number", 3},
		{"test group", strings.Replace(text, "02,WIDGETCO,TESTBANK,1,", "02,WIDGETCO,TESTBANK,4,",
			1), "group status", 2},
		{"deletion group", strings.Replace(text, "02,WIDGETCO,TESTBANK,1,",
			"02,WIDGETCO,TESTBANK,2,", 1), "group status", 2},
	}

	for _, c := range cases {
		be := mustReject(t, c.name, []byte(c.text), bai2.Options{})
		if p := findProblem(t, be, c.field); p.Line != c.line {
			t.Errorf("%s: problem %+v, want line %d", c.name, p, c.line)
		}
	}
}

// Problems are capped: the first 200 are listed, the rest counted.
func TestProblemsCapped(t *testing.T) {
	t.Parallel()

	recs := []string{"01,A,B,250301,0700,1,,,2/", "02,B,A,1,250228,,,2/", "03,1,USD/"}
	for range 300 {
		recs = append(recs, "16,142,1.00,0,,,DECIMAL/")
	}

	be := mustReject(t, "many.bai2", lines(recs...), bai2.Options{})
	if len(be.Problems) != 201 || be.Problems[199].Line != 203 ||
		!strings.Contains(be.Problems[200].Message, "more problems") {
		t.Fatalf("%d problems, last %+v", len(be.Problems), be.Problems[len(be.Problems)-1])
	}
}

// A detail followed by an absurd number of continuations is rejected instead
// of being held in memory.
func TestEndlessContinuations(t *testing.T) {
	t.Parallel()

	recs := []string{"01,A,B,250301,0700,1,,,2/", "02,B,A,1,250228,,,2/", "03,1,USD/",
		"16,142,100,0,,,X/"}
	for range 20_000 {
		recs = append(recs, "88,/")
	}

	be := mustReject(t, "88s.bai2", lines(recs...), bai2.Options{})
	if p := findProblem(t, be, "record"); p.Line != 4 {
		t.Errorf("problem %+v", p)
	}
}

// Two complete files back to back in one transmission are both read and
// checked.
func TestConcatenatedFiles(t *testing.T) {
	t.Parallel()

	one := build("111", "USD", "250227", 0, det{code: 142, amount: 100, bankRef: "A"})
	two := build("111", "USD", "250228", 100, det{code: 142, amount: 200, bankRef: "B"})

	f := mustRead(t, "two.bai2", []byte("\ufeff"+one+"\ufeff"+two), bai2.Options{})
	if len(f.Transactions) != 2 || f.Transactions[1].Line != 11 ||
		f.Controls != bankfile.ControlsOK {
		t.Fatalf("%d transactions, controls %s", len(f.Transactions), f.Controls)
	}
}
