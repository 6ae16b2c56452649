package bai2_test

import (
	"strings"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/connectors/bank/bai2"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

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
