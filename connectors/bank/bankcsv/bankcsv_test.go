package bankcsv_test

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/o2c-dev/o2c/connectors/bank/bankcsv"
	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

func lines(ls ...string) []byte {
	return []byte(strings.Join(ls, "\n") + "\n")
}

func keys(f *bankfile.File) []string {
	out := make([]string, 0, len(f.Transactions))
	for _, t := range f.Transactions {
		out = append(out, t.DedupeKey)
	}

	return out
}

const b14Header = "Value Date,Transaction ID,Serial No,Payer,Narration,Credit,Debit,Balance," +
	"Currency"

// TestB14SameExportTwiceAndOverlap covers case B14: rows that share a
// transaction id but differ by serial number are both kept; the same bytes
// read twice give the same keys; an overlapping export shares the keys of the
// shared rows, so only its new row is new.
func TestB14SameExportTwiceAndOverlap(t *testing.T) {
	t.Parallel()

	first := lines(b14Header,
		`2025-02-10,UTR5550001,1,SAMPLE FOODS PVT LTD,NEFT INV-7101,"40,000.00",,"1,40,000.00",INR`,
		"2025-02-11,UTR5550002,1,SAMPLE MOTORS,IMPS INV-7102,15000.00,,155000.00,INR",
		"2025-02-11,UTR5550002,2,SAMPLE MOTORS,IMPS INV-7103,5000.00,,160000.00,INR")
	later := lines(b14Header,
		"2025-02-11,UTR5550002,1,SAMPLE MOTORS,IMPS INV-7102,15000.00,,155000.00,INR",
		"2025-02-11,UTR5550002,2,SAMPLE MOTORS,IMPS INV-7103,5000.00,,160000.00,INR",
		"2025-02-12,UTR5550007,1,SAMPLE FOODS PVT LTD,NEFT INV-7104,2500.00,,162500.00,INR")

	p := byHeader("b14-bank", "Transaction ID", "Serial No")
	p.Account = "50100012345678"
	f := mustRead(t, "b14", first, p)

	if len(f.Transactions) != 3 || f.Controls != bankfile.ControlsOK {
		t.Fatalf("%d transactions, controls %s; want 3, ok", len(f.Transactions), f.Controls)
	}

	if n, sum := f.Credits(); n != 3 || sum != 6000000 {
		t.Fatalf("credits %d / %d, want 3 / 60000.00", n, sum)
	}

	k1 := keys(f)
	if k1[1] == k1[2] || k1[0] == k1[1] || !strings.Contains(k1[1], "50100012345678") {
		t.Fatalf("keys %v: want three distinct keys with the account", k1)
	}

	again := keys(mustRead(t, "b14", first, p))
	if strings.Join(again, "|") != strings.Join(k1, "|") {
		t.Fatalf("second read keys %v, first %v", again, k1)
	}

	k2 := keys(mustRead(t, "b14-later", later, p))
	if k2[0] != k1[1] || k2[1] != k1[2] || k2[2] == k1[0] || k2[2] == k1[1] || k2[2] == k1[2] {
		t.Fatalf("overlap keys %v against %v: want the two shared rows equal, the new one new",
			k2, k1)
	}
}

// TestB14RowsWithoutIdsHashedWithOrdinal: without a transaction id column the
// key is a hash of the row; two identical rows both count, and an overlapping
// export shares the keys of the shared rows.
func TestB14RowsWithoutIdsHashedWithOrdinal(t *testing.T) {
	t.Parallel()

	// The same payment twice on one day: only the running balance differs.
	row := "14/02/2025,COFFEE SUPPLY CO,INV-12,\"1,250.00\",1250.00"
	twin := strings.Replace(row, "1250.00", "2500.00", 1)
	first := lines("Date,Description,Reference,Amount,Balance",
		"13/02/2025,OPENING TRANSFER,,0.00,0.00", row, twin)
	later := lines("Date,Description,Reference,Amount,Balance", row, twin,
		"15/02/2025,TEA TRADERS,INV-13,99.99,2599.99")

	p := byHeader("gbp-bank", "Date", "Description", "Reference", "Amount", "Balance")
	p.Currency = "GBP"
	k1 := keys(mustRead(t, "first", first, p))
	k2 := keys(mustRead(t, "later", later, p))

	if len(k1) != 3 || k1[1] == k1[2] {
		t.Fatalf("keys %v: the two identical payments must both count", k1)
	}

	if k2[0] != k1[1] || k2[1] != k1[2] || k2[2] == k1[0] {
		t.Fatalf("overlap keys %v against %v", k2, k1)
	}
}

// TestB22ZeroAndNegativeZero covers case B22 for every sign convention: a
// zero amount is a notice (not a receipt, not rejected) whose direction comes
// from the sign written in the file, and no amount is ever negative zero.
func TestB22ZeroAndNegativeZero(t *testing.T) {
	t.Parallel()

	cases := map[string]struct {
		data []byte
		dirs []bankfile.Direction
	}{
		"signed amount, decimal comma": {lines(
			"Buchungstag;Wertstellung;Zahlungspflichtiger;Verwendungszweck;Betrag;Währung;"+
				"Transaktions-ID",
			"03.02.2025;03.02.2025;MUSTER HANDEL GMBH;RE 2025-0420;2.345,67;EUR;ID-1",
			"03.02.2025;03.02.2025;BEISPIELBANK AG;KONTOFUEHRUNG 01/2025;-0,00;EUR;ID-2",
			"04.02.2025;04.02.2025;BEISPIELBANK AG;ZINSEN Q1;0,00;EUR;ID-3",
			"04.02.2025;04.02.2025;BEISPIELBANK AG;PORTO;-7,50;EUR;ID-4",
			"05.02.2025;05.02.2025;BEISPIELBANK AG;KORREKTUR;(0,00);EUR;ID-5"),
			[]bankfile.Direction{"credit", "debit", "credit", "debit", "debit"}},
		"soll and haben columns": {lines(
			"Datum;Text;Soll;Haben;Währung",
			"03.02.2025;RE 2025-0420;;2.345,67;EUR",
			"03.02.2025;KONTOFUEHRUNG;-0,00;;EUR",
			"04.02.2025;ZINSEN;;0,00;EUR",
			"04.02.2025;PORTO;-7,50;;EUR",
			"05.02.2025;KORREKTUR;0,00;;EUR"),
			[]bankfile.Direction{"credit", "debit", "credit", "debit", "debit"}},
		"amount with S/H indicator": {lines(
			"Datum\tText\tBetrag\tS/H\tWährung",
			"03.02.2025\tRE 2025-0420\t2.345,67\tH\tEUR",
			"03.02.2025\tKONTOFUEHRUNG\t0,00\tS\tEUR",
			"04.02.2025\tZINSEN\t0,00\tH\tEUR",
			"04.02.2025\tPORTO\t7,50\tS\tEUR",
			"05.02.2025\tKORREKTUR\t0,00-\tS\tEUR"),
			[]bankfile.Direction{"credit", "debit", "credit", "debit", "debit"}},
	}

	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			f := mustRead(t, name, c.data)
			checkB22(t, f, c.dirs)
		})
	}
}

func checkB22(t *testing.T, f *bankfile.File, dirs []bankfile.Direction) {
	t.Helper()

	wantAmounts := []int64{234567, 0, 0, 750, 0}
	if len(f.Transactions) != len(wantAmounts) {
		t.Fatalf("%d transactions, want %d", len(f.Transactions), len(wantAmounts))
	}

	var net int64

	for i, tx := range f.Transactions {
		if tx.Amount.Minor != wantAmounts[i] || tx.Direction != dirs[i] || tx.Problem != "" {
			t.Errorf("row %d: %d %s problem %q, want %d %s", i, tx.Amount.Minor, tx.Direction,
				tx.Problem, wantAmounts[i], dirs[i])
		}

		wantKind := bankfile.KindPayment
		if tx.Amount.Minor == 0 {
			wantKind = bankfile.KindNotice
		}

		if tx.Kind != wantKind {
			t.Errorf("row %d: kind %s, want %s", i, tx.Kind, wantKind)
		}

		if s := tx.Amount.Decimal(); strings.HasPrefix(s, "-") {
			t.Errorf("row %d shows %s", i, s)
		}

		if tx.Direction == bankfile.Credit {
			net += tx.Amount.Minor
		} else {
			net -= tx.Amount.Minor
		}
	}

	if n, sum := f.Credits(); n != 1 || sum != 234567 {
		t.Errorf("receipts %d / %d, want only the 2,345.67 payment", n, sum)
	}

	if net != 233817 || money.FormatMinor(net, 2) != "2338.17" {
		t.Errorf("net movement %d, want +2,338.17", net)
	}
}

const b23Header = "Date,Description,Reference,Amount,Currency"

// TestB23DayMonthOrderFromWholeColumn covers case B23: the order is inferred
// from the whole column (one 21/02 proves day-first for 06/02), a column that
// proves nothing is rejected as ambiguous unless the profile says, impossible
// dates are rejected rather than rolled over, and a column proving both orders
// is rejected.
func TestB23DayMonthOrderFromWholeColumn(t *testing.T) {
	t.Parallel()

	day := func(y int, m time.Month, d int) time.Time {
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	proven := lines(b23Header,
		"06/02/2025,ACME LTD,INV-801,100.00,GBP",
		"21/02/2025,ACME LTD,INV-802,200.00,GBP",
		"02/03/2025,BETA LTD,INV-803,300.00,GBP")
	ambiguous := lines(b23Header,
		"06/02/2025,ACME LTD,INV-801,100.00,GBP",
		"02/03/2025,BETA LTD,INV-803,300.00,GBP")

	t.Run("one row proves day-first for the column", func(t *testing.T) {
		t.Parallel()

		f := mustRead(t, "proven", proven)
		want := []time.Time{day(2025, 2, 6), day(2025, 2, 21), day(2025, 3, 2)}
		for i, tx := range f.Transactions {
			if !tx.BookingDate.Equal(want[i]) || tx.PaymentRef != "INV-80"+string(rune('1'+i)) {
				t.Errorf("row %d: %v %q, want %v", i, tx.BookingDate, tx.PaymentRef, want[i])
			}
		}
	})

	t.Run("all ambiguous without a profile is rejected", func(t *testing.T) {
		t.Parallel()

		ps := mustReject(t, "ambiguous", ambiguous)
		if len(ps) != 1 || ps[0].Field != "Date" || ps[0].Line != 2 ||
			!strings.Contains(ps[0].Message, "date format ambiguous") {
			t.Fatalf("problems %v", ps)
		}
	})

	t.Run("the profile settles an ambiguous column", func(t *testing.T) {
		t.Parallel()

		dmy, mdy := byHeader("dmy", "Date", "Reference"), byHeader("mdy", "Date", "Reference")
		dmy.DateOrder, mdy.DateOrder = "DMY", "MDY"

		f := mustRead(t, "dmy", ambiguous, dmy)
		g := mustRead(t, "mdy", ambiguous, mdy)

		if !f.Transactions[0].BookingDate.Equal(day(2025, 2, 6)) ||
			!g.Transactions[0].BookingDate.Equal(day(2025, 6, 2)) {
			t.Fatalf("day-first %v, month-first %v", f.Transactions[0].BookingDate,
				g.Transactions[0].BookingDate)
		}
	})

	t.Run("month-first proven", func(t *testing.T) {
		t.Parallel()

		data := lines(b23Header, "06/02/2025,A,R1,1.00,USD", "02/21/2025,B,R2,2.00,USD")

		f := mustRead(t, "us", data)
		if !f.Transactions[0].BookingDate.Equal(day(2025, 6, 2)) {
			t.Fatalf("date %v", f.Transactions[0].BookingDate)
		}
	})

	dayFirst := byHeader("gbp-dmy", "Date", "Reference")
	dayFirst.DateOrder = "DMY"

	rejects := map[string]struct {
		data     []byte
		profiles []bankcsv.Profile
		value    string
	}{
		"impossible date": {
			lines(b23Header, "21/02/2025,A,R1,1.00,GBP", "31/02/2025,A,R2,1.00,GBP"),
			nil, "31/02/2025",
		},
		"impossible date with the profile": {
			lines(b23Header, "03/04/2025,A,R1,1.00,GBP", "31/02/2025,A,R2,1.00,GBP"),
			[]bankcsv.Profile{dayFirst}, "31/02/2025",
		},
		"both orders proven": {
			lines(b23Header, "13/04/2025,A,R1,1.00,GBP", "04/13/2025,A,R2,1.00,GBP"),
			nil, "04/13/2025",
		},
		"profile contradicted": {
			lines(b23Header, "02/21/2025,A,R1,1.00,GBP"),
			[]bankcsv.Profile{dayFirst}, "02/21/2025",
		},
		"not a date": {
			lines(b23Header, "21/02/2025,A,R1,1.00,GBP", "yesterday,A,R2,1.00,GBP"),
			nil, "yesterday",
		},
	}

	for name, c := range rejects {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			ps := mustReject(t, name, c.data, c.profiles...)
			if len(ps) != 1 || ps[0].Field != "Date" || ps[0].Value != c.value || ps[0].Line < 2 {
				t.Fatalf("problems %v, want one on Date %q", ps, c.value)
			}
		})
	}
}

// TestB23OtherDateShapes: forms that carry no order ambiguity; a decimal
// comma does not settle an ambiguous column, it only shows in the message.
func TestB23OtherDateShapes(t *testing.T) {
	t.Parallel()

	want := time.Date(2025, 4, 3, 0, 0, 0, 0, time.UTC)
	for _, d := range []string{"2025-04-03", "2025/04/03", "03.04.2025", "03.04.25", "20250403",
		"03-Apr-2025", "2025-04-03T10:15:00+02:00", "03.04.2025 10:15"} {
		f := mustRead(t, d, lines("Date;Amount;Currency", d+";1,00;EUR"))
		if !f.Transactions[0].BookingDate.Equal(want) || len(f.Warnings) != 1 ||
			!strings.Contains(f.Profile, "no day/month choice") {
			t.Errorf("%s: %v warnings %v", d, f.Transactions[0].BookingDate, f.Warnings)
		}
	}

	ps := mustReject(t, "comma", lines("Date;Amount;Currency", "03/04/2025;1,00;EUR"))
	if len(ps) != 1 || !strings.Contains(ps[0].Message, "date format ambiguous") ||
		!strings.Contains(ps[0].Message, "decimal comma suggests DD/MM/YYYY") {
		t.Errorf("problems %v", ps)
	}
}

func TestEveryBadRowListed(t *testing.T) {
	t.Parallel()

	data := lines("Date,Payer,Credit,Debit,Currency",
		"2025-03-01,GOOD CO,10.00,,EUR",
		"2025-03-32,BAD DATE CO,10.00,,EUR",
		"2025-03-02,TOO PRECISE,10.005,,EUR",
		"2025-03-02,BOTH SIDES,10.00,5.00,EUR",
		"2025-03-02,NO AMOUNT,,,EUR",
		"2025-03-02,ODD MONEY,1.00,,EUX",
		"2025-03-02,ACME, INC,10.00,,EUR")

	ps := mustReject(t, "bad", data)

	want := []struct {
		line  int
		field string
	}{{3, "Date"}, {4, "Credit"}, {5, "Debit"}, {6, "Credit"}, {7, "Currency"}, {8, "columns"}}
	if len(ps) != len(want) {
		t.Fatalf("problems %v, want %d", ps, len(want))
	}

	for i, p := range ps {
		w := want[i]
		if p.Line != w.line || p.Field != w.field || p.File != "bad" {
			t.Errorf("problem %d: %+v, want line %d field %s", i, p, w.line, w.field)
		}
	}
}

func TestEncodingsAndDelimiters(t *testing.T) {
	t.Parallel()

	src := "Buchungstag;Empfänger;Betrag;Währung\n03.02.2025;Müller & Söhne;1.234,50;EUR\n"

	latin, err := charmap.Windows1252.NewEncoder().String(src)
	if err != nil {
		t.Fatal(err)
	}

	f := mustRead(t, "cp1252", []byte(latin))
	if f.Encoding != "windows-1252" || f.Transactions[0].PayerName != "Müller & Söhne" ||
		f.Transactions[0].Amount.Minor != 123450 {
		t.Fatalf("encoding %q payer %q amount %d", f.Encoding, f.Transactions[0].PayerName,
			f.Transactions[0].Amount.Minor)
	}

	utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(src)
	if err != nil {
		t.Fatal(err)
	}

	f = mustRead(t, "utf16", []byte(utf16))
	if f.Encoding != "utf-16" || f.Transactions[0].PayerName != "Müller & Söhne" {
		t.Fatalf("encoding %q payer %q", f.Encoding, f.Transactions[0].PayerName)
	}

	for name, data := range map[string]string{
		"bom glued to header": "\ufeffDate,Amount,Currency\n2025-02-03,12.00,USD\n",
		"pipe":                "Date|Amount|Currency\n2025-02-03|12.00|USD\n",
		"tab with preamble": "Account:\t12345\n\nDate\tAmount\tCurrency\n" +
			"2025-02-03\t12.00\tUSD\n",
		"classic mac":      "Date,Amount,Currency\r2025-02-03,12.00,USD\r",
		"currency in cell": "Date,Amount\n2025-02-03,USD 12.00\n",
	} {
		g := mustRead(t, name, []byte(data))
		if len(g.Transactions) != 1 || g.Transactions[0].Amount.Minor != 1200 {
			t.Errorf("%s: %+v", name, g.Transactions)
		}
	}
}

func TestAmountsAndKinds(t *testing.T) {
	t.Parallel()

	data := lines("Date,Type,Status,Amount,Currency",
		`2025-03-01,Payment,Completed,"-$1,234.56",USD`,
		"2025-03-01,Monthly fee,Completed,(12.00),USD",
		"2025-03-02,Payment,Pending,50.00,USD",
		"2025-03-02,Reversal,Completed,10.00 DR,USD",
		"2025-03-03,Returned item,Completed,+25.00,USD",
		"2025-03-03,Payment,Completed,1 000.00,USD")

	f := mustRead(t, "kinds", data)

	want := []struct {
		minor int64
		dir   bankfile.Direction
		kind  bankfile.Kind
	}{
		{123456, "debit", "payment"}, {1200, "debit", "charge"}, {1000, "debit", "reversal"},
		{2500, "credit", "return"}, {100000, "credit", "payment"},
	}
	if len(f.Transactions) != len(want) || len(f.Warnings) != 2 {
		t.Fatalf("%d transactions %d warnings, want %d, the pending row and the guess",
			len(f.Transactions), len(f.Warnings), len(want))
	}

	for i, w := range want {
		tx := f.Transactions[i]
		if tx.Amount.Minor != w.minor || tx.Direction != w.dir || tx.Kind != w.kind {
			t.Errorf("row %d: %d %s %s, want %+v", i, tx.Amount.Minor, tx.Direction, tx.Kind, w)
		}
	}

	for name, bad := range map[string][]byte{
		"sign and indicator disagree": lines("Date,D/C,Amount,Currency", "2025-03-01,C,-5.00,EUR"),
		"gross + fee is not net": lines("Date,Gross,Fee,Net,Currency",
			"2025-03-01,10.00,-1.00,8.00,EUR"),
		"decimal marks disagree": lines("Date;Amount;Currency", "2025-03-01;1.50;EUR",
			"2025-03-02;1,50;EUR"),
		"decimal mark unknowable": lines("Date,Amount,Currency", "2025-03-01,\"1,500\",EUR"),
		"bad grouping":            lines("Date,Amount,Currency", "2025-03-01,\"12,34,5.00\",EUR"),
		"no header":               lines("Foo,Bar", "1,2"),
		"sign inside the number":  lines("Date,Amount,Currency", "2025-03-01,12-34,EUR"),
	} {
		mustReject(t, name, bad)
	}
}

func TestHeaderOnly(t *testing.T) {
	t.Parallel()

	f := mustRead(t, "empty", lines("Date,Description,Amount"))
	if len(f.Transactions) != 0 || f.Controls != bankfile.ControlsNone {
		t.Fatalf("%+v", f)
	}
}
