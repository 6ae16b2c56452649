package mt940_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/o2c-dev/o2c/connectors/bank/mt940"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// statement returns the lines of one MT940 statement of account NL91ABNA0417164300.
func statement(ref, open string, body []string, closing string) []string {
	out := []string{":20:" + ref, ":25:NL91ABNA0417164300", ":28C:1/1", ":60F:" + open}
	out = append(out, body...)

	return append(out, ":62F:"+closing, "-")
}

func TestProblemsAllReported(t *testing.T) {
	data := lf(
		":20:BAD", ":25:NL91ABNA0417164300", ":28C:1/1",
		":60F:C250101EUR100,00",
		":61:2501020102C10,505NTRFNONREF", // line 5: three decimals for EUR
		":86:/REMI/USTD//one/",
		":61:2502300230C1,00NTRFNONREF", // line 7: 30 February
		":61:250103X1,00NTRFNONREF",     // line 8: no D/C mark
		":61:250103C1,00QTRFNONREF",     // line 9: type letter
		":62F:C250103EUR1OO,00",         // line 10: letter O in the amount
		"-",
		":20:BAD2", ":25:NL91ABNA0417164300",
		":60F:C250103QQQ5,00", // line 14: unknown currency
		":62F:C250103EUR5,00",
	)

	be := mustReject(t, "bad.sta", data, mt940.Options{})

	for _, want := range []struct {
		line         int
		field, value string
		text         string
	}{
		{5, ":61:", "10,505", "3 decimals"},
		{7, ":61:", "250230", "2025-02-30 does not exist"},
		{8, ":61:", "", "mark"},
		{9, ":61:", "", "transaction type"},
		{10, ":62F:", "C250103EUR1OO,00", "decimal comma"},
		{14, ":60F:", "C250103QQQ5,00", "unknown currency"},
	} {
		p := findProblem(t, be, want.field, want.line)
		if want.value != "" && p.Value != want.value || !strings.Contains(p.Message, want.text) {
			t.Errorf("line %d: %+v, want value %q and %q", want.line, p, want.value, want.text)
		}
	}

	if be.Format != bankfile.FormatMT940 {
		t.Errorf("format %s", be.Format)
	}
}

// TestProblemsAndWarningsCapped: a hostile file cannot make the reader keep
// an unbounded list; what is left out is counted.
func TestProblemsAndWarningsCapped(t *testing.T) {
	bad := []string{":20:X", ":25:NL91ABNA0417164300", ":60F:C250101EUR0,00"}
	for range 300 {
		bad = append(bad, ":61:250101C1,001NTRFNONREF")
	}

	be := mustReject(t, "many", lf(bad...), mt940.Options{})
	last := be.Problems[len(be.Problems)-1]

	if len(be.Problems) != 201 || last.Message != "100 more problems of this file not listed" {
		t.Errorf("%d problems, last %+v", len(be.Problems), last)
	}

	var open []string
	for i := range 300 {
		open = append(open, fmt.Sprintf(":20:S%d", i), ":25:NL91ABNA0417164300",
			":60F:C250101EUR0,00", ":61:250101D1,00NTRFNONREF")
	}

	f := mustRead(t, "open", lf(open...), mt940.Options{})
	if len(f.Warnings) != 201 || len(f.Transactions) != 300 {
		t.Errorf("%d warnings, %d transactions", len(f.Warnings), len(f.Transactions))
	}
}

func TestReversalsKeepBalances(t *testing.T) {
	// 100 + 50 (C) − 20 (RC: a credit reversed takes money out) + 5 (RD: a
	// debit reversed brings it back) − 7 (D) = 128. Reading RC as a credit
	// would give 168 and reject the file.
	data := lf(statement("REV", "C250102EUR100,00", []string{
		":61:2501020102C50,00NTRFNONREF//A1",
		":61:2501020102RC20,00NTRFNONREF//A2",
		":61:2501020102RD5,00NTRFNONREF//A3",
		":61:2501020102D7,00NCHGNONREF//A4",
	}, "C250102EUR128,00")...)

	f := mustRead(t, "rev", data, mt940.Options{})
	if f.Controls != bankfile.ControlsOK {
		t.Fatalf("controls %s", f.Controls)
	}

	want := []struct {
		dir  bankfile.Direction
		kind bankfile.Kind
	}{
		{bankfile.Credit, bankfile.KindPayment},
		{bankfile.Debit, bankfile.KindReversal},
		{bankfile.Credit, bankfile.KindReversal},
		{bankfile.Debit, bankfile.KindCharge},
	}

	for i, w := range want {
		if tx := f.Transactions[i]; tx.Direction != w.dir || tx.Kind != w.kind {
			t.Errorf("line %d: %s %s, want %s %s", i, tx.Direction, tx.Kind, w.dir, w.kind)
		}
	}

	wrong := lf(statement("REV", "C250102EUR100,00", []string{
		":61:2501020102RC20,00NTRFNONREF//A2",
	}, "C250102EUR120,00")...)

	p := findProblem(t, mustReject(t, "rev", wrong, mt940.Options{}), ":62F:", 0)
	if !strings.Contains(p.Message, "= 80.00") {
		t.Errorf("message %q", p.Message)
	}
}

func TestEntryDateAcrossYearEnd(t *testing.T) {
	data := lf(statement("YE", "C241231EUR0,00", []string{
		":61:2412310102C1,00NTRFNONREF//Y1", // booked 2 January of the next year
		":61:2501021231C1,00NTRFNONREF//Y2", // booked 31 December of the year before
		":61:2407150716C1,00NTRFNONREF//Y3",
	}, "C250102EUR3,00")...)

	f := mustRead(t, "ye", data, mt940.Options{})

	for i, want := range []string{"2025-01-02", "2024-12-31", "2024-07-16"} {
		if got := f.Transactions[i].BookingDate.Format(time.DateOnly); got != want {
			t.Errorf("line %d booked %s, want %s", i, got, want)
		}
	}

	if got := f.Transactions[1].ValueDate.Format(time.DateOnly); got != "2025-01-02" {
		t.Errorf("value date %s", got)
	}
}

func TestDecimalsFollowCurrency(t *testing.T) {
	jpy := func(amount, closing string) []byte {
		return lf(":20:JP", ":25:JP1234567", ":60F:C250102JPY1000,", ":61:250102C"+amount+
			"NTRFNONREF", ":62F:C250102JPY"+closing, "-")
	}

	f := mustRead(t, "jpy", jpy("500,", "1500,"), mt940.Options{})
	if tx := f.Transactions[0]; tx.Amount.Minor != 500 || tx.Amount.Currency != "JPY" {
		t.Errorf("amount %+v", tx.Amount)
	}

	mustRead(t, "jpy zeros", jpy("500,00", "1500,00"), mt940.Options{})

	be := mustReject(t, "jpy cents", jpy("500,5", "1500,5"), mt940.Options{})
	if p := findProblem(t, be, ":61:", 4); !strings.Contains(p.Message, "allows 0") {
		t.Errorf("message %q", p.Message)
	}

	// Bahraini dinar has three decimals: "1,005" is 1005 fils.
	bhd := lf(":20:BH", ":25:BH1234567", ":60F:C250102BHD0,", ":61:250102C1,005NTRFNONREF",
		":62F:C250102BHD1,005", "-")
	if f := mustRead(t, "bhd", bhd, mt940.Options{}); f.Transactions[0].Amount.Minor != 1005 {
		t.Errorf("BHD amount %+v", f.Transactions[0].Amount)
	}
}

func TestContinuityOfPages(t *testing.T) {
	page := func(open, body, closing string) []string {
		return []string{":20:P", ":25:NL91ABNA0417164300", ":28C:5/1", ":60M:" + open, body,
			":62M:" + closing, "-"}
	}

	good := lf(append(page("C250102EUR10,00", ":61:2501020102C5,00NTRFNONREF//P1",
		"C250102EUR15,00"), page("C250102EUR15,00", ":61:2501020102C1,00NTRFNONREF//P2",
		"C250102EUR16,00")...)...)
	if f := mustRead(t, "pages", good, mt940.Options{}); f.Controls != bankfile.ControlsOK {
		t.Errorf("controls %s", f.Controls)
	}

	// The second page opens at 14.00 after the first closed at 15.00.
	bad := lf(append(page("C250102EUR10,00", ":61:2501020102C5,00NTRFNONREF//P1",
		"C250102EUR15,00"), page("C250102EUR14,00", ":61:2501020102C1,00NTRFNONREF//P2",
		"C250102EUR15,00")...)...)

	p := findProblem(t, mustReject(t, "pages", bad, mt940.Options{}), ":60M:", 11)
	if !strings.Contains(p.Message, "14.00") || !strings.Contains(p.Message, "15.00") {
		t.Errorf("message %q", p.Message)
	}

	opts := mt940.Options{Lenient: []mt940.Check{mt940.CheckContinuity}}
	f := mustRead(t, "pages", bad, opts)

	if f.Controls != bankfile.ControlsMismatch || len(f.Warnings) != 1 {
		t.Errorf("controls %s, warnings %v", f.Controls, f.Warnings)
	}

	if f.Transactions[0].Problem != "" || f.Transactions[1].Problem == "" {
		t.Errorf("problems %q / %q", f.Transactions[0].Problem, f.Transactions[1].Problem)
	}
}

func mt942(totals ...string) []byte {
	lines := []string{
		"{1:F01BANKDEFFAXXX0000000000}{2:O942BANKDEFFXXXXN}{4:",
		":20:INTRADAY", ":25:DE44500105175407324931", ":28C:1/1", ":34F:EUR0,",
		":13D:2501021015+0100",
		":61:2501020102C120,00NTRFNONREF//D1", ":86:?20invoice 1",
		":61:2501020102C30,50NTRFNONREF//D2",
		":61:2501020102D9,99NTRFNONREF//D3",
	}
	lines = append(lines, totals...)

	return lf(append(lines, "-}")...)
}

func TestMT942Totals(t *testing.T) {
	f := mustRead(t, "942", mt942(":90D:1EUR9,99", ":90C:2EUR150,50"), mt940.Options{})
	if f.Format != bankfile.FormatMT942 || f.Controls != bankfile.ControlsOK ||
		len(f.Transactions) != 3 {
		t.Fatalf("format %s controls %s, %d transactions", f.Format, f.Controls,
			len(f.Transactions))
	}

	be := mustReject(t, "942", mt942(":90D:1EUR9,99", ":90C:2EUR150,05"), mt940.Options{})
	if p := findProblem(t, be, ":90C:", 0); !strings.Contains(p.Message, "150.05") ||
		!strings.Contains(p.Message, "150.50") {
		t.Errorf("message %q", p.Message)
	}

	be = mustReject(t, "942", mt942(":90D:2EUR9,99", ":90C:2EUR150,50"), mt940.Options{})
	findProblem(t, be, ":90D:", 0)

	// Without totals nothing proves the report: its credits are held back from
	// automatic application.
	f = mustRead(t, "942", mt942(), mt940.Options{})
	if f.Controls != bankfile.ControlsNone || f.Transactions[0].Problem == "" ||
		f.Transactions[2].Problem != "" {
		t.Errorf("controls %s, problems %q %q", f.Controls, f.Transactions[0].Problem,
			f.Transactions[2].Problem)
	}
}

func TestStatementInfoNotGluedToLastLine(t *testing.T) {
	data := lf(statement("SI", "C250102EUR0,00", []string{
		":61:2501020102C5,00NTRFNONREF//S1",
		":86:/REMI/USTD//INV-1/",
		":86:SECOND INFO FOR THE STATEMENT",
	}, "C250102EUR5,00")...)
	data = append(data, lf(":86:AFTER THE CLOSING BALANCE")...)

	f := mustRead(t, "si", data, mt940.Options{})
	if got := f.Transactions[0].Remittance; got != "INV-1" {
		t.Errorf("remittance %q", got)
	}
}

func TestColonLinesInsideInfoStayText(t *testing.T) {
	data := lf(statement("CL", "C250102EUR0,00", []string{
		":61:2501020102C5,00NTRFNONREF//C1",
		":86:PAID AT 12",
		":26:37 FOR INVOICE 88",
		"-",
		"SEE ATTACHMENT",
	}, "C250102EUR5,00")...)

	f := mustRead(t, "colon", data, mt940.Options{})
	got := f.Transactions[0].Remittance
	if got != "PAID AT 12 :26:37 FOR INVOICE 88 - SEE ATTACHMENT" {
		t.Errorf("remittance %q", got)
	}
}

func TestSwiftBlocksOnOneLine(t *testing.T) {
	data := []byte("{1:F01BANKNL2AAXXX0000000000}{2:O940BANKNL2AXXXXN}{3:{108:X}}{4::20:M1\n" +
		":25:NL91ABNA0417164300\n:60F:C250102EUR0,00\n:61:2501020102C1,00NTRFNONREF//B1\n" +
		":62F:C250102EUR1,00\n-}{5:{CHK:123}}{1:F01BANKNL2AAXXX0000000000}" +
		"{2:O940BANKNL2AXXXXN}{4:\n:20:M2\n:25:NL91ABNA0417164300\n:60F:C250103EUR1,00\n" +
		":61:2501030103C2,00NTRFNONREF//B2\n:62F:C250103EUR3,00\n-}")

	f := mustRead(t, "blocks", data, mt940.Options{})
	if len(f.Transactions) != 2 || f.Controls != bankfile.ControlsOK {
		t.Fatalf("%d transactions, controls %s", len(f.Transactions), f.Controls)
	}

	if f.Transactions[1].BankRef != "B2" || f.Transactions[1].Line != 10 {
		t.Errorf("second transaction %+v", f.Transactions[1])
	}
}

func TestLineEndsAndEncodings(t *testing.T) {
	base := lf(statement("ENC", "C250102EUR0,00", []string{
		":61:2501020102C5,00NTRFNONREF//E1",
		":86:166?20RE 4711?32M\xfcLLER GMBH",
	}, "C250102EUR5,00")...)

	utf := bytes.ReplaceAll(base, []byte("\xfc"), []byte("ü"))
	bom := append([]byte{0xEF, 0xBB, 0xBF}, utf...)
	cr := bytes.ReplaceAll(base, []byte("\n"), []byte("\r"))
	noFinal := bytes.TrimSuffix(crlf(base), []byte("\r\n"))
	blanks := bytes.ReplaceAll(base, []byte("\n"), []byte(" \t \n"))

	cases := []struct {
		name, encoding string
		data           []byte
	}{
		{"windows-1252", "windows-1252", base},
		{"utf-8", "utf-8", utf},
		{"utf-8 bom", "utf-8-bom", bom},
		{"cr", "windows-1252", cr},
		{"crlf no final line end", "windows-1252", noFinal},
		{"trailing blanks", "windows-1252", blanks},
	}

	var key string

	for _, c := range cases {
		f := mustRead(t, c.name, c.data, mt940.Options{})
		if f.Encoding != c.encoding {
			t.Errorf("%s: encoding %s", c.name, f.Encoding)
		}

		tx := f.Transactions[0]
		if tx.PayerName != "MüLLER GMBH" || tx.Remittance != "RE 4711" {
			t.Errorf("%s: name %q remittance %q", c.name, tx.PayerName, tx.Remittance)
		}

		if key == "" {
			key = tx.DedupeKey
		} else if tx.DedupeKey != key {
			t.Errorf("%s: key %q, want %q", c.name, tx.DedupeKey, key)
		}
	}

	latin1 := []byte(":20:L\n:25:X1\n:60F:C250102EUR0,00\n:61:250102C1,00NTRFNONREF\n" +
		":86:CAF\x81 \xe9\n:62F:C250102EUR1,00\n")
	f := mustRead(t, "latin1", latin1, mt940.Options{})

	if f.Encoding != "iso-8859-1" || f.Transactions[0].Remittance != "CAF é" {
		t.Errorf("encoding %s, remittance %q", f.Encoding, f.Transactions[0].Remittance)
	}
}

func TestControlBytesAndNULBecomeBlanks(t *testing.T) {
	data := []byte("\x01\n:20:C\n:25:X1\n:60F:C250102EUR0,00\n:61:250102C1,00NTRFNONREF\n" +
		":86:A\x00B\x1bC\x7fD\n:62F:C250102EUR1,00\n-\x03\n")

	f := mustRead(t, "ctl", data, mt940.Options{})
	if got := f.Transactions[0].Remittance; got != "A B C D" {
		t.Errorf("remittance %q", got)
	}
}

func TestRejectsWhatIsNoStatement(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":      nil,
		"blank":      []byte("\n \r\n"),
		"header":     []byte("ABNANL2A\n940\nABNANL2A\n"),
		"utf16":      append([]byte{0xFF, 0xFE}, []byte(":\x0020\x00:\x00")...),
		"long line":  append([]byte(":20:X\n:86:"), bytes.Repeat([]byte("A"), 10000)...),
		"huge field": []byte(":20:X\n:86:A\n" + strings.Repeat("B\n", 200)),
	} {
		be := mustReject(t, name, data, mt940.Options{})
		if be.Problems[0].Field == "" {
			t.Errorf("%s: %v", name, be.Problems)
		}
	}
}

func TestOptionsChecked(t *testing.T) {
	data := lf(statement("O", "C250102EUR0,00", nil, "C250102EUR0,00")...)

	_, err := mt940.ReadOptions("o", data, mt940.Options{Charset: "no-such-charset"})
	if !errors.Is(err, mt940.ErrCharset) {
		t.Errorf("charset: %v", err)
	}

	_, err = mt940.ReadOptions("o", data, mt940.Options{Currency: "ZZZ"})
	if !errors.Is(err, mt940.ErrOptionCurrency) {
		t.Errorf("currency: %v", err)
	}
}

func TestLenientDates(t *testing.T) {
	data := lf(statement("D", "C160229EUR10,00", []string{
		":61:1602300301DR6,00N024NONREF",
	}, "C160301EUR4,00")...)

	findProblem(t, mustReject(t, "d", data, mt940.Options{}), ":61:", 5)

	f := mustRead(t, "d", data, mt940.Options{Lenient: []mt940.Check{mt940.CheckDates}})

	tx := f.Transactions[0]
	if tx.ValueDate.Format(time.DateOnly) != "2016-02-29" || tx.Problem == "" ||
		f.Controls != bankfile.ControlsOK {
		t.Errorf("value date %s, problem %q, controls %s", tx.ValueDate, tx.Problem, f.Controls)
	}
}

// TestHeldLinesOfUnprovedStatements checks the hold-back: lines of a statement
// without a closing balance carry a Problem, up to maxHeld of them; a longer
// statement passes the first ones on and says so.
func TestHeldLinesOfUnprovedStatements(t *testing.T) {
	body := []string{":20:LONG", ":25:NL91ABNA0417164300", ":60F:C250102EUR0,00"}
	for range 1100 {
		body = append(body, ":61:2501020102C1,00NTRFNONREF")
	}

	f := mustRead(t, "long", lf(body...), mt940.Options{})
	if len(f.Transactions) != 1100 || f.Controls != bankfile.ControlsNone {
		t.Fatalf("%d transactions, controls %s", len(f.Transactions), f.Controls)
	}

	if f.Transactions[0].Problem != "" || f.Transactions[1099].Problem == "" {
		t.Errorf("problems %q / %q", f.Transactions[0].Problem, f.Transactions[1099].Problem)
	}

	found := false
	for _, w := range f.Warnings {
		found = found || strings.Contains(w.Message, "passed on before")
	}

	if !found {
		t.Errorf("no warning about lines passed on early: %v", f.Warnings)
	}
}

// TestScanStreams feeds a file through a pipe and holds back its second half
// until the first transaction has been emitted: a reader that waited for the
// end of the input would never see it.
func TestScanStreams(t *testing.T) {
	first := lf(statement("S1", "C250102EUR0,00", []string{
		":61:2501020102C5,00NTRFNONREF//S1",
	}, "C250102EUR5,00")...)
	second := lf(statement("S2", "C250102EUR5,00", []string{
		":61:2501030103C1,00NTRFNONREF//S2",
	}, "C250103EUR6,00")...)

	pr, pw := io.Pipe()
	emitted := make(chan struct{})

	go func() {
		_, _ = pw.Write(first)
		_, _ = pw.Write(second[:7]) // ":20:S2" ends the first statement

		select {
		case <-emitted:
			_, _ = pw.Write(second[7:])
			_ = pw.Close()
		case <-time.After(10 * time.Second):
			_ = pw.CloseWithError(errors.New("first transaction never emitted"))
		}
	}()

	var refs []string

	f, err := mt940.Scan("pipe", pr, func(tx bankfile.Transaction) error {
		if len(refs) == 0 {
			close(emitted)
		}

		refs = append(refs, tx.BankRef)

		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	if strings.Join(refs, ",") != "S1,S2" || f.Transactions != nil ||
		f.Controls != bankfile.ControlsOK {
		t.Errorf("refs %v, file %+v", refs, f)
	}
}

func TestScanErrors(t *testing.T) {
	data := lf(statement("E", "C250102EUR0,00", []string{
		":61:2501020102C5,00NTRFNONREF//E1",
		":61:2501020102C5,00NTRFNONREF//E2",
	}, "C250102EUR10,00")...)

	stop := errors.New("stop")
	calls := 0

	_, err := mt940.Scan("e", bytes.NewReader(data), func(bankfile.Transaction) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("emit error: %v after %d calls", err, calls)
	}

	broken := errors.New("disk gone")
	r := io.MultiReader(bytes.NewReader(data[:40]), iotestErr{broken})

	_, err = mt940.Scan("e", r, func(bankfile.Transaction) error { return nil })
	if !errors.Is(err, broken) {
		t.Errorf("read error: %v", err)
	}
}

type iotestErr struct{ err error }

func (e iotestErr) Read([]byte) (int, error) { return 0, e.err }

func TestLatin1ProfileCharset(t *testing.T) {
	name := []byte("KOV\xc1CS \xc9VA") // ISO-8859-2: KOVÁCS ÉVA, same bytes as Latin-1 here
	data := lf(statement("HU", "C250102HUF0,00", []string{
		":61:2501020102C5,00NTRFNONREF//H1",
		":86:051?32" + string(name) + "?20INV \xf5",
	}, "C250102HUF5,00")...)

	f := mustRead(t, "hu", data, mt940.Options{Charset: "iso-8859-2"})

	want, _ := charmap.ISO8859_2.NewDecoder().String("INV \xf5")
	if tx := f.Transactions[0]; tx.PayerName != "KOVÁCS ÉVA" || tx.Remittance != want ||
		f.Encoding != "iso-8859-2" {
		t.Errorf("name %q remittance %q encoding %s", tx.PayerName, tx.Remittance, f.Encoding)
	}
}

// TestStatementLineWrapping covers how a :61: continues over lines: a
// numeric bank reference cut in two (ING), references on the next line, and
// the supplementary line carrying the counterparty (Rabobank, SNS).
func TestStatementLineWrapping(t *testing.T) {
	cases := []struct {
		name                   string
		lines                  []string
		bankRef, payRef        string
		payerAccount, payerNam string
	}{
		{"numeric bank ref cut", []string{":61:2501020102C5,00NTRFEREF//00000000001", "005",
			"/TRCD/00100/"}, "00000000001005", "", "", ""},
		{"letters not joined", []string{":61:2501020102C5,00NTRFNONREF//ABC", "DEF", "GHI"},
			"ABC", "", "", ""},
		{"references on the next line", []string{":61:2501020102C5,00NTRF", "INV-7//X9"},
			"X9", "INV-7", "", ""},
		{"cut in the amount", []string{":61:2501020102C", "5,", "00NTRFINV-8//X10"},
			"X10", "INV-8", "", ""},
		{"iban as supplementary", []string{":61:2501020102C5,00N541NONREF",
			"NL66RABO0160878799"}, "", "", "NL66RABO0160878799", ""},
		{"iban as reference, name after", []string{":61:2501020102C5,00NOVBNL47INGB0001234567",
			"j doe"}, "", "", "NL47INGB0001234567", "j doe"},
	}

	for _, c := range cases {
		data := lf(statement("W", "C250102EUR0,00", c.lines, "C250102EUR5,00")...)
		f := mustRead(t, c.name, data, mt940.Options{})

		tx := f.Transactions[0]
		if tx.Amount.Minor != 500 || tx.BankRef != c.bankRef || tx.PaymentRef != c.payRef ||
			tx.PayerAccount != c.payerAccount || tx.PayerName != c.payerNam {
			t.Errorf("%s: %+v", c.name, tx)
		}
	}
}

// TestBalancesStated: File.Balances lists the balance and total fields as
// stated, signed, with their account, date and line.
func TestBalancesStated(t *testing.T) {
	data := lf(":20:B", ":25:NL91ABNA0417164300", ":60F:D250102EUR10,00",
		":61:2501020102C15,00NTRFNONREF//B1", ":62F:C250102EUR5,00",
		":64:C250102EUR4,50", ":65:C250103EUR5,00", "-")

	f := mustRead(t, "bal", data, mt940.Options{})

	var got []string
	for _, b := range f.Balances {
		got = append(got, fmt.Sprintf("%s %s %s %s %s %d", b.Account, b.Code, b.Amount,
			b.Date.Format(time.DateOnly), b.Name, b.Line))
	}

	want := []string{
		"NL91ABNA0417164300 60F -10.00 EUR 2025-01-02 opening balance 3",
		"NL91ABNA0417164300 62F 5.00 EUR 2025-01-02 closing balance 5",
		"NL91ABNA0417164300 64 4.50 EUR 2025-01-02 closing available balance 6",
		"NL91ABNA0417164300 65 5.00 EUR 2025-01-03 forward available balance 7",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("balances\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	f = mustRead(t, "942", mt942(":90D:1EUR9,99", ":90C:2EUR150,50"), mt940.Options{})
	if len(f.Balances) != 2 || f.Balances[1].Code != "90C" || f.Balances[1].ItemCount != 2 ||
		f.Balances[1].Amount.Minor != 15050 {
		t.Errorf("MT942 totals %+v", f.Balances)
	}
}
