package bai2_test

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strconv"
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

// Dedupe keys come from the fields, so copies of a file that differ only in
// bytes (line ends, wrapping, several records per line, padding, encoding)
// give the same keys, and a re-sent file gives them again.
func TestDedupeKeysStableAcrossCopies(t *testing.T) {
	t.Parallel()

	lf := standard()
	want := keysOf(t, mustRead(t, "lf.bai2", []byte(lf), bai2.Options{}))

	padded := ""
	for _, l := range strings.Split(strings.TrimSuffix(lf, "\n"), "\n") {
		padded += l + strings.Repeat(" ", max(0, 80-len(l))) + "\r\n"
	}

	copies := map[string]string{
		"crlf":     strings.ReplaceAll(lf, "\n", "\r\n"),
		"cr":       strings.ReplaceAll(lf, "\n", "\r"),
		"no final": strings.TrimSuffix(lf, "\n"),
		"padded":   padded,
		"one line": strings.ReplaceAll(lf, "/\n", "/"),
		"two per line": strings.Replace(strings.ReplaceAll(lf, "/\n16,", "/ 16,"),
			"/\n49,", "/  49,", 1),
		// The wire's text re-wrapped: the first 88 split over two 88s, the
		// second 88 wrapped onto a physical line of its own.
		"rewrapped": strings.Replace(strings.Replace(lf,
			"88,ORG:=SOUTHWIND/EXPORT GMBH/", "88,ORG:=SOUTHWIND/EXPORT/\n88,GMBH/", 1),
			"88,OBI:=INVOICES INV-1002, INV-1003/", "88,OBI:=INVOICES INV-1002,\n INV-1003/", 1),
		"new file id": strings.Replace(lf, "250301,0700,42,", "250302,1130,43,", 1),
		"bom":         "\ufeff" + lf,
	}

	for name, text := range copies {
		opts := bai2.Options{}
		if name == "rewrapped" { // one more 88: the record counts change
			opts.WarnOnly = []bai2.Check{bai2.CheckAccountRecords, bai2.CheckGroupRecords,
				bai2.CheckFileRecords}
		}

		f := mustRead(t, name, []byte(text), opts)
		if got := keysOf(t, f); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: keys %v, want %v", name, got, want)
		}
	}
}

func keysOf(t testing.TB, f *bankfile.File) []string {
	t.Helper()

	var out []string
	for _, tx := range f.Transactions {
		out = append(out, tx.DedupeKey)
	}

	return out
}

// Two identical transactions in one file both count: the second key carries
// "#2". A later report of the same day (prior-day after intraday) repeating a
// transaction gives it the same key.
func TestDedupeIdenticalTransactionsAndLaterReports(t *testing.T) {
	t.Parallel()

	same := det{code: 142, amount: 5000, text: "MONTHLY FEE CUSTOMER 7"}
	f := mustRead(t, "twice.bai2", []byte(build("111", "USD", "250228", 0, same, same)),
		bai2.Options{})

	k1, k2 := f.Transactions[0].DedupeKey, f.Transactions[1].DedupeKey
	if k1 == k2 || k2 != k1+"#2" {
		t.Errorf("keys %q and %q", k1, k2)
	}

	intraday := build("111", "USD", "250228", 0,
		det{code: 195, amount: 7000, bankRef: "W1", text: "WIRE IN"})
	intraday = strings.Replace(intraday, ",2400,USD,2/", ",1200,USD,3/", 1)
	priorDay := build("111", "USD", "250228", 0,
		det{code: 142, amount: 300, bankRef: "A9", text: "ACH IN"},
		det{code: 195, amount: 7000, bankRef: "W1", text: "WIRE IN FROM SOUTHWIND"})

	a := mustRead(t, "intraday.bai2", []byte(intraday), bai2.Options{})
	b := mustRead(t, "prior.bai2", []byte(priorDay), bai2.Options{})

	if a.Transactions[0].DedupeKey != b.Transactions[1].DedupeKey {
		t.Errorf("intraday key %q, prior-day key %q", a.Transactions[0].DedupeKey,
			b.Transactions[1].DedupeKey)
	}

	if b.Transactions[0].DedupeKey == b.Transactions[1].DedupeKey {
		t.Error("different transactions share a key")
	}
}

// Non-ASCII text is decoded to UTF-8 whatever the file's encoding; the
// encoding is reported and the keys do not change.
func TestEncodings(t *testing.T) {
	t.Parallel()

	base := build("111", "EUR", "250228", 0,
		det{code: 195, amount: 9900, bankRef: "W1", text: "MÜLLER & SÖHNE € INV-55"})
	want := mustRead(t, "utf8.bai2", []byte(base), bai2.Options{})

	if want.Encoding != "utf-8" || want.Transactions[0].Remittance != "MÜLLER & SÖHNE € INV-55" {
		t.Fatalf("utf-8: %s %q", want.Encoding, want.Transactions[0].Remittance)
	}

	cp1252 := strings.NewReplacer("Ü", "\xdc", "Ö", "\xd6", "€", "\x80").Replace(base)
	latin1 := strings.NewReplacer("Ü", "\xdc", "Ö", "\xd6", "€", "\x9d").Replace(base)

	utf16 := []byte{0xFF, 0xFE}
	for _, r := range base {
		utf16 = append(utf16, byte(r), byte(r>>8))
	}

	for _, c := range []struct {
		name, encoding, text string
		data                 []byte
	}{
		{"bom", "utf-8-bom", "MÜLLER & SÖHNE € INV-55", []byte("\ufeff" + base)},
		{"cp1252", "windows-1252", "MÜLLER & SÖHNE € INV-55", []byte(cp1252)},
		{"latin1", "iso-8859-1", "MÜLLER & SÖHNE \u009d INV-55", []byte(latin1)},
		{"utf16", "utf-16", "MÜLLER & SÖHNE € INV-55", utf16},
	} {
		f := mustRead(t, c.name, c.data, bai2.Options{})
		tx := f.Transactions[0]

		if f.Encoding != c.encoding || tx.Remittance != c.text ||
			tx.DedupeKey != want.Transactions[0].DedupeKey {
			t.Errorf("%s: encoding %s, text %q, key %q", c.name, f.Encoding, tx.Remittance,
				tx.DedupeKey)
		}
	}
}

// NUL and other control bytes in text become blanks: no text field holds a
// NUL, and the file says so in a warning.
func TestControlCharactersBecomeBlanks(t *testing.T) {
	t.Parallel()

	text := build("111", "USD", "250228", 0,
		det{code: 142, amount: 100, bankRef: "A\x001", text: "ACME\x00CORP\x1aINV-9"})
	f := mustRead(t, "nul.bai2", []byte(text), bai2.Options{})

	tx := f.Transactions[0]
	if tx.Remittance != "ACME CORP INV-9" || tx.BankRef != "A 1" || len(f.Warnings) != 1 ||
		f.Warnings[0].Field != "encoding" {
		t.Errorf("remittance %q bank ref %q warnings %v", tx.Remittance, tx.BankRef, f.Warnings)
	}
}

// A line longer than 64 KiB without a line break or a record-ending '/' is
// rejected cleanly; a file without line breaks at all is read in pieces.
func TestLongLines(t *testing.T) {
	t.Parallel()

	long := build("111", "USD", "250228", 0,
		det{code: 142, amount: 100, text: strings.Repeat("X", 70_000)})
	be := mustReject(t, "long.bai2", []byte(long), bai2.Options{})

	if p := be.Problems[0]; p.Field != "line" || p.Line != 4 || len(be.Problems) != 1 {
		t.Errorf("problems %+v", be.Problems)
	}

	var dets []det
	for i := range 4000 {
		dets = append(dets, det{code: 142, amount: int64(100 + i), bankRef: "R" + strconv.Itoa(i),
			text: "PAYMENT " + strconv.Itoa(i)})
	}

	lf := build("111", "USD", "250228", 0, dets...)
	oneLine := strings.ReplaceAll(lf, "/\n", "/")

	if len(oneLine) < 128<<10 || strings.Contains(strings.TrimSpace(oneLine), "\n") {
		t.Fatalf("generated %d bytes", len(oneLine))
	}

	want := mustRead(t, "lf.bai2", []byte(lf), bai2.Options{})
	got := mustRead(t, "oneline.bai2", []byte(oneLine), bai2.Options{})

	if len(got.Transactions) != 4000 || !reflect.DeepEqual(keysOf(t, got), keysOf(t, want)) {
		t.Fatalf("%d transactions from the one-line file", len(got.Transactions))
	}

	for i, tx := range got.Transactions {
		if tx.Remittance != want.Transactions[i].Remittance || tx.Line != 1 {
			t.Fatalf("transaction %d: %q on line %d", i, tx.Remittance, tx.Line)
		}
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

// A type code the specification leaves without direction rejects the file,
// unless the bank profile names it.
func TestBankTypeCodes(t *testing.T) {
	t.Parallel()

	text := build("111", "USD", "250228", 0, det{code: 905, amount: 700, text: "BANK CODE"})

	be := mustReject(t, "905.bai2", []byte(text), bai2.Options{})
	if p := findProblem(t, be, "detail type code"); p.Value != "905" {
		t.Errorf("problem %+v", p)
	}

	opts := bai2.Options{TypeCodes: map[int]bai2.TypeCode{
		905: {Direction: bankfile.Credit, Kind: bankfile.KindPayment},
	}}

	f := mustRead(t, "905.bai2", []byte(text), opts)
	if tx := f.Transactions[0]; tx.Direction != bankfile.Credit || tx.Amount.Minor != 700 {
		t.Errorf("905 read as %+v", tx)
	}

	for code, want := range map[int]bankfile.Direction{
		925: bankfile.Credit, 975: bankfile.Debit, 722: bankfile.Credit, 760: bankfile.Debit,
	} {
		f := mustRead(t, "custom.bai2", []byte(build("111", "USD", "250228", 0,
			det{code: code, amount: 10})), bai2.Options{WarnOnly: []bai2.Check{
			bai2.CheckBalances}})
		if tx := f.Transactions[0]; tx.Direction != want {
			t.Errorf("type code %d read as %s, want %s", code, tx.Direction, want)
		}
	}
}

// A bank that reports a lockbox deposit and also the items in it lists the
// same money twice: only one of them may reach cash application.
func TestDepositAndItsItems(t *testing.T) {
	t.Parallel()

	opts := bai2.Options{WarnOnly: []bai2.Check{bai2.CheckBalances}}

	depositFirst := mustRead(t, "dep.bai2", []byte(build("111", "USD", "250228", 0,
		det{code: 115, amount: 300, bankRef: "L1"},
		det{code: 116, amount: 100, text: "CHECK 1"},
		det{code: 116, amount: 200, text: "CHECK 2"},
		det{code: 115, amount: 50, bankRef: "L2"},
	)), opts)

	if n, total := depositFirst.Credits(); n != 2 || total != 350 {
		t.Errorf("deposit first: %d credits for %d", n, total)
	}

	itemsFirst := mustRead(t, "items.bai2", []byte(build("111", "USD", "250228", 0,
		det{code: 116, amount: 100, text: "CHECK 1"},
		det{code: 116, amount: 200, text: "CHECK 2"},
		det{code: 115, amount: 300, bankRef: "L1"},
	)), opts)

	applied := 0
	for _, tx := range itemsFirst.Transactions {
		if tx.Kind == bankfile.KindPayment && tx.Problem == "" {
			applied += int(tx.Amount.Minor)
		}
	}

	if applied != 300 || itemsFirst.Transactions[2].Problem == "" {
		t.Errorf("items first: %d applicable, deposit %+v", applied, itemsFirst.Transactions[2])
	}
}

// The as-of date is the booking date; funds type V gives the value date, 0
// (immediate) the as-of date, and S and D distributions are checked against
// the amount.
func TestFundsTypes(t *testing.T) {
	t.Parallel()

	data := lines(
		"01,TESTBANK,WIDGETCO,250301,0700,42,,,2/",
		"02,WIDGETCO,TESTBANK,1,250228,2400,USD,1/",
		"03,111,USD/",
		"16,142,1000,V,250303,1200,A1,,VALUE DATED/",
		"16,142,1000,S,500,300,200,A2,,SPLIT/",
		"16,142,1000,D,2,1,400,2,500,A3,,DISTRIBUTED WRONGLY/",
		"16,142,1000,1,A4,,ONE DAY/",
		"49,4000,6/",
		"98,4000,1,8/",
		"99,4000,1,10/")

	f := mustRead(t, "funds.bai2", data, bai2.Options{})

	booked := time.Date(2025, 2, 28, 0, 0, 0, 0, time.UTC)
	valued := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)

	for i, want := range []struct {
		ref   string
		value time.Time
	}{{"A1", valued}, {"A2", time.Time{}}, {"A3", time.Time{}}, {"A4", time.Time{}}} {
		tx := f.Transactions[i]
		if tx.BankRef != want.ref || !tx.BookingDate.Equal(booked) ||
			!tx.ValueDate.Equal(want.value) {
			t.Errorf("transaction %d: ref %q booked %v valued %v", i, tx.BankRef, tx.BookingDate,
				tx.ValueDate)
		}
	}

	if len(f.Warnings) != 1 || f.Warnings[0].Line != 6 ||
		f.Warnings[0].Field != "detail funds distribution" {
		t.Errorf("warnings %v", f.Warnings)
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

// A balance check applies when the summaries show the whole day: a detail
// read on the wrong side would then reject the file.
func TestBalancesReconcile(t *testing.T) {
	t.Parallel()

	text := build("111", "USD", "250228", 1000, det{code: 142, amount: 300},
		det{code: 475, amount: 200})
	// Pretend the 142 were a debit in the bank's eyes: its summaries and
	// closing ledger say so, the control totals still agree.
	bad := strings.Replace(text, "015,1100,,,100,300,1,,400,200,1,",
		"015,500,,,100,900,1,,400,0,1,", 1)

	mustRead(t, "ok.bai2", []byte(text), bai2.Options{})

	be := mustReject(t, "bad.bai2", []byte(bad), bai2.Options{WarnOnly: []bai2.Check{}})
	for _, p := range be.Problems {
		if p.Field == "closing ledger (015)" {
			t.Errorf("summaries that do not match the details must not trigger the check: %+v", p)
		}
	}

	// Summaries that match the details but a closing ledger that does not
	// (the trailers add the changed 015 in: 1000 + 1101 + 300 + 200 + 300 + 200).
	off := strings.Replace(text, "015,1100,", "015,1101,", 1)
	off = strings.NewReplacer("49,3100,", "49,3101,", "98,3100,", "98,3101,",
		"99,3100,", "99,3101,").Replace(off)

	be = mustReject(t, "off.bai2", []byte(off), bai2.Options{})
	if p := findProblem(t, be, "closing ledger (015)"); len(be.Problems) != 1 || p.Line != 3 ||
		!strings.Contains(p.Message, "10.00 USD + credits 3.00 USD - debits 2.00 USD = 11.00 USD") {
		t.Errorf("problem %+v", p)
	}

	f := mustRead(t, "off.bai2", []byte(off), bai2.Options{WarnOnly: []bai2.Check{
		bai2.CheckBalances}})
	if f.Controls != bankfile.ControlsMismatch {
		t.Errorf("controls %s", f.Controls)
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

// Text that happens to hold a '/' followed by a record code is data: only a
// '/' followed by something shaped like a record starts one.
func TestSlashesInTextAreData(t *testing.T) {
	t.Parallel()

	texts := []string{
		"PAID 1/16, 2/16 AND 3/16",
		"INVOICE DATED 12/03,2025 / 88, SEE ABOVE",
		"REF A/B/C/49,X",
		"INV 77/99,1,2 PART",
		"/LEADING AND TRAILING/",
	}

	var dets []det
	for i, text := range texts {
		dets = append(dets, det{code: 142, amount: int64(100 + i), text: text,
			conts: []string{"/MORE/TEXT/" + strconv.Itoa(i)}})
	}

	f := mustRead(t, "slashes.bai2", []byte(build("111", "USD", "250228", 0, dets...)),
		bai2.Options{})

	for i, text := range texts {
		want := text + " /MORE/TEXT/" + strconv.Itoa(i)
		if got := f.Transactions[i].Remittance; got != want {
			t.Errorf("transaction %d: %q, want %q", i, got, want)
		}
	}
}

// Short records: a detail without funds type, references or text, records
// without their closing '/', an account without currency or summaries.
func TestShortRecords(t *testing.T) {
	t.Parallel()

	data := []byte("01,TESTBANK,WIDGETCO,250301,0700,42,,,2\r\n" +
		"02,WIDGETCO,TESTBANK,1,250228\r\n" +
		"03,111\r\n" +
		"16,142,100/\r\n" +
		"16,475,50\r\n" +
		"88,TEXT OF THE DEBIT\r\n" +
		"49,150,5\r\n" +
		"98,150,1,7\r\n" +
		"99,150,1,9")

	f := mustRead(t, "short.bai2", data, bai2.Options{})
	if len(f.Transactions) != 2 || f.Controls != bankfile.ControlsOK {
		t.Fatalf("%d transactions, controls %s", len(f.Transactions), f.Controls)
	}

	cr, db := f.Transactions[0], f.Transactions[1]
	if cr.Amount != money.New(100, "USD") || cr.BankRef != "" || cr.Remittance != "" ||
		db.Direction != bankfile.Debit || db.Remittance != "TEXT OF THE DEBIT" {
		t.Errorf("transactions %+v", f.Transactions)
	}
}

// Lines that belong to no record (a transmission header before the 01, a
// trailer line after the 99) are skipped with a warning.
func TestTransmissionLinesSkipped(t *testing.T) {
	t.Parallel()

	text := "$$ADD ID=WIDGETCO BID='BAI2 PRIOR DAY'\n" + standard() + "END OF TRANSMISSION\n"
	f := mustRead(t, "wrapped.bai2", []byte(text), bai2.Options{})

	if len(f.Transactions) != 5 || f.Controls != bankfile.ControlsOK || len(f.Warnings) != 2 ||
		f.Warnings[0].Line != 1 || f.Warnings[1].Line != 20 || f.Transactions[0].Line != 5 {
		t.Fatalf("%d transactions, controls %s, warnings %v", len(f.Transactions), f.Controls,
			f.Warnings)
	}
}

// A 16 or 88 that fills the physical record length the 01 states (80) and
// has no '/' was cut there: its text goes on in the next 88 without a blank,
// so an invoice number cut in two reads whole. Shorter records are joined
// with a blank.
func TestTextCutAtRecordLength(t *testing.T) {
	t.Parallel()

	head := "16,142,1000,0,R1,,PAYMENT FOR INVOICES "
	tail := " INV-10"
	full := head + strings.Repeat("X", 80-len(head)-len(tail)) + tail

	if len(full) != 80 {
		t.Fatalf("line of %d characters", len(full))
	}

	file := func(header string) []byte {
		return lines(header,
			"02,WIDGETCO,TESTBANK,1,250228,2400,USD,2/",
			"03,111,USD/",
			full,
			"88,02, INV-1003/",
			"16,142,2000,0,R2,,SHORT LINE INV-20",
			"88,04/",
			"49,3000,6/",
			"98,3000,1,8/",
			"99,3000,1,10/")
	}

	f := mustRead(t, "cut.bai2", file("01,TESTBANK,WIDGETCO,250301,0700,1,80,1,2/"),
		bai2.Options{})

	wantFull := strings.TrimPrefix(full, "16,142,1000,0,R1,,")

	if got := f.Transactions[0].Remittance; got != wantFull+"02, INV-1003" {
		t.Errorf("full record: %q", got)
	}

	if got := f.Transactions[1].Remittance; got != "SHORT LINE INV-20 04" {
		t.Errorf("short record: %q", got)
	}

	// Without a stated record length nothing is glued.
	g := mustRead(t, "cut.bai2", file("01,TESTBANK,WIDGETCO,250301,0700,1,,,2/"), bai2.Options{})
	if got := g.Transactions[0].Remittance; got != wantFull+" 02, INV-1003" {
		t.Errorf("no record length: %q", got)
	}
}
