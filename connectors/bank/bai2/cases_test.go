package bai2_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank/bai2"
	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

// B01: the 03 record ends with the type code 045 and the 88 after it starts
// with 045's amount. The two join as fields, the summaries come out exactly,
// and moving 045 to the start of the 88 reads the same.
func TestB01SummaryContinuedMidTupleInAn88(t *testing.T) {
	t.Parallel()

	data := readFixture(t, "b01-summary-continued-in-88.bai2")
	f := mustRead(t, "b01.bai2", data, bai2.Options{})

	want := []struct {
		code  string
		minor int64
		items int
	}{
		{"010", 800000, 0}, {"015", 765050, 0}, {"045", 765050, 0},
		{"100", 90000, 2}, {"400", 124950, 1},
	}

	if len(f.Balances) != len(want) {
		t.Fatalf("%d summaries, want %d: %+v", len(f.Balances), len(want), f.Balances)
	}

	for i, w := range want {
		b := f.Balances[i]
		if b.Account != "0007654321" || b.Code != w.code || b.Amount != money.New(w.minor, "USD") ||
			b.ItemCount != w.items {
			t.Errorf("summary %d = %+v, want %s %d (%d items)", i, b, w.code, w.minor, w.items)
		}
	}

	if f.Balances[0].Name != "opening ledger" || f.Balances[2].Name != "closing available" {
		t.Errorf("names %q, %q", f.Balances[0].Name, f.Balances[2].Name)
	}

	if f.Controls != bankfile.ControlsOK || len(f.Warnings) != 0 {
		t.Errorf("controls %s, warnings %v", f.Controls, f.Warnings)
	}

	details := []struct {
		code      string
		dir       bankfile.Direction
		minor     int64
		cashApply bool
	}{
		{"115", bankfile.Credit, 40000, true},
		{"115", bankfile.Credit, 50000, true},
		{"495", bankfile.Debit, 124950, false},
	}

	if len(f.Transactions) != len(details) {
		t.Fatalf("%d transactions", len(f.Transactions))
	}

	for i, d := range details {
		tx := f.Transactions[i]
		apply := tx.Direction == bankfile.Credit && tx.Kind == bankfile.KindPayment &&
			tx.Problem == ""

		if tx.Direction != d.dir || tx.Amount.Minor != d.minor || apply != d.cashApply ||
			!strings.Contains(tx.DedupeKey, ":"+d.code+":") {
			t.Errorf("transaction %d = %+v, want %s %s %d", i, tx, d.code, d.dir, d.minor)
		}
	}

	// 045 moved from the end of the 03 to the start of the 88: with the 03
	// ending "...,015,765050,,/" or with an extra empty field "...,,,/".
	for _, moved := range []string{
		"03,0007654321,USD,010,800000,,,015,765050,,/\n88,045,765050,,,100,",
		"03,0007654321,USD,010,800000,,,015,765050,,,/\n88,045,765050,,,100,",
	} {
		other := strings.Replace(string(data),
			"03,0007654321,USD,010,800000,,,015,765050,,,045/\n88,765050,,,100,", moved, 1)
		if other == string(data) {
			t.Fatal("fixture changed: replacement did not apply")
		}

		g := mustRead(t, "b01.bai2", []byte(other), bai2.Options{})
		if !reflect.DeepEqual(f, g) {
			t.Errorf("045 at the start of the 88 (%q) reads differently:\n%+v\n%+v", moved, f, g)
		}
	}
}

// B01, the fault behind it: however an 03 summary list is cut into 88s (even
// between every field), the same summaries come out and the controls hold.
func TestB01EveryCutOfTheSummaryListReadsTheSame(t *testing.T) {
	t.Parallel()

	data := readFixture(t, "b01-summary-continued-in-88.bai2")
	want := mustRead(t, "b01.bai2", data, bai2.Options{})

	fields := strings.Split("0007654321,USD,010,800000,,,015,765050,,,045,765050,,,"+
		"100,90000,2,,400,124950,1,", ",")

	for cut := 3; cut < len(fields); cut++ {
		head := "03," + strings.Join(fields[:cut], ",") + "/"
		tail := "88," + strings.Join(fields[cut:], ",") + "/"
		other := strings.Replace(string(data), "03,0007654321,USD,010,800000,,,015,765050,,,045/\n"+
			"88,765050,,,100,90000,2,,400,124950,1,/", head+"\n"+tail, 1)

		got := mustRead(t, "b01.bai2", []byte(other), bai2.Options{})
		if len(got.Balances) != len(want.Balances) || got.Controls != bankfile.ControlsOK {
			t.Fatalf("cut after field %d: %d summaries, controls %s", cut, len(got.Balances),
				got.Controls)
		}

		for i := range want.Balances {
			w, g := want.Balances[i], got.Balances[i]
			if g.Code != w.Code || g.Amount != w.Amount || g.ItemCount != w.ItemCount {
				t.Errorf("cut after field %d: summary %d = %+v, want %+v", cut, i, g, w)
			}
		}
	}
}

// B03: implied-decimal amounts keep cents 01-09 apart; the leading '+' and
// the zero padding are accepted; the control total is compared in integer
// minor units; the trailing '/' is not part of the text.
func TestB03ImpliedCentsStayDistinct(t *testing.T) {
	t.Parallel()

	data := readFixture(t, "b03-implied-cents.bai2")
	f := mustRead(t, "b03.bai2", data, bai2.Options{})

	if b := balance(t, f, "0007654321", "010"); b.Amount.Minor != 350007 ||
		b.Amount.Decimal() != "3500.07" {
		t.Errorf("010 = %v", b.Amount)
	}

	if b := balance(t, f, "0007654321", "015"); b.Amount.Decimal() != "3700.49" {
		t.Errorf("015 = %v", b.Amount)
	}

	want := []struct {
		minor   int64
		decimal string
		ref     string
	}{
		{10003, "100.03", "INV-7701"}, {10030, "100.30", "INV-7702"}, {9, "0.09", "INV-7703"},
	}

	if len(f.Transactions) != len(want) {
		t.Fatalf("%d transactions", len(f.Transactions))
	}

	for i, w := range want {
		tx := f.Transactions[i]
		if tx.Amount != money.New(w.minor, "USD") || tx.Amount.Decimal() != w.decimal {
			t.Errorf("transaction %d amount %v, want %s", i, tx.Amount, w.decimal)
		}

		if !strings.HasSuffix(tx.Remittance, " REF "+w.ref) {
			t.Errorf("transaction %d remittance %q, want it to end with the bare %s", i,
				tx.Remittance, w.ref)
		}
	}

	if f.Controls != bankfile.ControlsOK {
		t.Errorf("controls %s", f.Controls)
	}

	// The same file with the account total one cent short: rejected, and the
	// message shows both totals to the cent.
	bad := strings.Replace(string(data), "49,+740098,5/", "49,+740097,5/", 1)
	be := mustReject(t, "b03.bai2", []byte(bad), bai2.Options{})

	p := findProblem(t, be, "account trailer control total")
	if p.Line != 7 || p.Value != "+740097" ||
		!strings.Contains(p.Message, "7400.97 USD != 7400.98 USD") {
		t.Errorf("problem %+v", p)
	}

	if be.Controls != bankfile.ControlsMismatch {
		t.Errorf("rejection controls %q", be.Controls)
	}
}

// B21: the implied decimals follow the account's currency (03, else 02): the
// same digits are ¥230,000 in the JPY account and 2,300.00 in the USD one.
func TestB21ImpliedDecimalsFollowAccountCurrency(t *testing.T) {
	t.Parallel()

	f := mustRead(t, "b21.bai2", readFixture(t, "b21-jpy-beside-usd.bai2"), bai2.Options{})

	if len(f.Transactions) != 2 || f.Controls != bankfile.ControlsOK {
		t.Fatalf("%d transactions, controls %s", len(f.Transactions), f.Controls)
	}

	jp, us := f.Transactions[0], f.Transactions[1]

	if jp.Account != "0001112223" || jp.Amount != money.New(230000, "JPY") ||
		jp.Amount.Decimal() != "230000" || !strings.HasSuffix(jp.Remittance, "INV-JP-0812") {
		t.Errorf("JPY detail %+v (%s)", jp, jp.Amount.Decimal())
	}

	if us.Account != "0004445556" || us.Amount != money.New(230000, "USD") ||
		us.Amount.Decimal() != "2300.00" || !strings.HasSuffix(us.Remittance, "INV-US-0812") {
		t.Errorf("USD detail %+v (%s)", us, us.Amount.Decimal())
	}

	for _, c := range []struct{ account, code, decimal, ccy string }{
		{"0001112223", "010", "2500000", "JPY"}, {"0001112223", "015", "2730000", "JPY"},
		{"0004445556", "010", "25000.00", "USD"}, {"0004445556", "015", "27300.00", "USD"},
	} {
		b := balance(t, f, c.account, c.code)
		if b.Amount.Currency != c.ccy || b.Amount.Decimal() != c.decimal {
			t.Errorf("%s %s = %v, want %s %s", c.account, c.code, b.Amount, c.decimal, c.ccy)
		}
	}

	if f.Currency != "" || f.Account != "" {
		t.Errorf("file account %q currency %q, want none for two accounts and currencies",
			f.Account, f.Currency)
	}
}

// B21, the default: with no currency in 02 or 03, amounts are US dollars, or
// the bank profile's default currency.
func TestB21NoCurrencyMeansUSDOrTheProfileDefault(t *testing.T) {
	t.Parallel()

	data := lines(
		"01,TESTBANK,WIDGETCO,250301,0700,20,,,2/",
		"02,WIDGETCO,TESTBANK,1,250228,2400,,2/",
		"03,0001112223,,010,2500000,,,015,2730000,,/",
		"16,195,230000,0,WIR0000301,,REF INV-0812/",
		"49,5460000,3/",
		"98,5460000,1,5/",
		"99,5460000,1,7/")

	f := mustRead(t, "usd.bai2", data, bai2.Options{})
	if tx := f.Transactions[0]; tx.Amount.Decimal() != "2300.00" || tx.Amount.Currency != "USD" {
		t.Errorf("default amount %v", tx.Amount)
	}

	g := mustRead(t, "jpy.bai2", data, bai2.Options{DefaultCurrency: "jpy"})
	if tx := g.Transactions[0]; tx.Amount != money.New(230000, "JPY") || g.Currency != "JPY" {
		t.Errorf("profile default amount %v, file currency %q", tx.Amount, g.Currency)
	}

	be := mustReject(t, "xxx.bai2", []byte(strings.Replace(string(data), ",2400,,2/",
		",2400,XYZ,2/", 1)), bai2.Options{})
	if p := findProblem(t, be, "group currency"); p.Line != 2 || p.Value != "XYZ" {
		t.Errorf("problem %+v", p)
	}
}
