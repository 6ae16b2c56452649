package bankcsv_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/o2c-dev/o2c/connectors/bank/bankcsv"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

func TestBuiltinProfilesAreValid(t *testing.T) {
	t.Parallel()

	if err := bankcsv.CheckProfiles(bankcsv.Builtins()); err != nil {
		t.Fatal(err)
	}
}

func TestCheckProfilesNamesEveryProblem(t *testing.T) {
	t.Parallel()

	ok := byHeader("ok", "Date", "Amount")

	type change = func(p *bankcsv.Profile)

	cases := []struct {
		name   string
		change change
		want   string
	}{
		{"no name", func(p *bankcsv.Profile) { p.Name = "" }, "name: required"},
		{"no match", func(p *bankcsv.Profile) { p.Match = bankcsv.Match{} }, "match: needs"},
		{"delimiter", func(p *bankcsv.Profile) { p.Delimiter = ";;" }, "delimiter"},
		{"decimal", func(p *bankcsv.Profile) { p.Decimal = "'" }, "decimal"},
		{"thousands", func(p *bankcsv.Profile) { p.Decimal, p.Thousands = ",", "," },
			"thousands"},
		{"date order", func(p *bankcsv.Profile) { p.DateOrder = "YMD" }, "date_order"},
		{"layout", func(p *bankcsv.Profile) { p.DateLayouts = []string{"DD/MM"} },
			"date_layouts"},
		{"layout field", func(p *bankcsv.Profile) { p.DateLayouts = []string{"DD/QQ/YYYY"} },
			"date_layouts"},
		{"encoding", func(p *bankcsv.Profile) { p.Encoding = "ebcdic" }, "encoding"},
		{"skip rows", func(p *bankcsv.Profile) { p.SkipRows = -1 }, "skip_rows"},
		{"sign", func(p *bankcsv.Profile) { p.Sign = "plus" }, "sign"},
		{"currency", func(p *bankcsv.Profile) { p.Currency = "EURO" }, "currency"},
		{"checks", func(p *bankcsv.Profile) { p.Checks.Balance = "maybe" }, "checks.balance"},
		{"glob", func(p *bankcsv.Profile) { p.Match.FileName = "[a" }, "match.file_name"},
		{"debit sign", func(p *bankcsv.Profile) { p.DebitSign = "minus" }, "debit_sign"},
		{"indicator without columns", func(p *bankcsv.Profile) {
			p.Sign, p.Columns.Amount, p.Columns.Date = "indicator", "Amount", "Date"
		}, "needs columns.amount and columns.indicator"},
		{"column twice", func(p *bankcsv.Profile) {
			p.Columns.Date, p.Columns.ValueDate = "Datum", "datum"
		}, "mapped twice"},
		{"no amount column", func(p *bankcsv.Profile) {
			p.Columns.Balance, p.Columns.Date = "Saldo", "Datum"
		}, "no amount, debit or credit column"},
		{"indicator value on both sides", func(p *bankcsv.Profile) {
			p.CreditValues, p.DebitValues = []string{"+", "C"}, []string{"c"}
		}, "both hold"},
	}

	for _, c := range cases {
		p := ok
		c.change(&p)

		err := bankcsv.CheckProfiles([]bankcsv.Profile{p})
		if !errors.Is(err, bankcsv.ErrProfile) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrProfile naming %q", c.name, err, c.want)
		}

		if _, err := bankcsv.NewReader([]bankcsv.Profile{p}); !errors.Is(err,
			bankcsv.ErrProfile) {
			t.Errorf("%s: NewReader accepted the profile", c.name)
		}
	}

	err := bankcsv.CheckProfiles([]bankcsv.Profile{ok, ok})
	if err == nil || !strings.Contains(err.Error(), `name "ok" is used twice`) {
		t.Errorf("duplicate names: %v", err)
	}
}

// A German savings bank export with its own column names: the mapping reads
// it, columns left out are still recognised by name, and the file is read with
// the profile's name.
func TestProfileColumnMapping(t *testing.T) {
	t.Parallel()

	data := lines(
		"Kontoauszug;Girokonto",
		"Zeitraum;01.03.2025 - 31.03.2025",
		"Buchung;Wert;Umsatz in EUR;S/H;Zweck;Kunde;Auftraggeberkonto;Beleg",
		"03.03.25;03.03.25;1.250,00;H;RE-4711 Lieferung Maerz;MUSTER GMBH;"+
			"DE02100100100006820101;B1",
		"04.03.25;05.03.25;19,90;S;Kontofuehrung;;;B2",
		"05.03.25;05.03.25;300,00;H;RE-4712;NORD AG;DE88100900001234567892;B3")

	p := bankcsv.Profile{
		Name:        "sparkasse-giro",
		Match:       bankcsv.Match{FileName: "umsaetze_*.csv"},
		Delimiter:   ";",
		Decimal:     ",",
		Thousands:   ".",
		DateLayouts: []string{"DD.MM.YY"},
		SkipRows:    2,
		Sign:        "indicator",
		Currency:    "EUR",
		Account:     "DE89370400440532013000",
		Columns: bankcsv.Columns{Date: "Buchung", ValueDate: "Wert", Amount: "Umsatz in EUR",
			Indicator: "S/H", Remittance: []string{"Zweck"}, PayerName: "Kunde",
			PayerAccount: "Auftraggeberkonto", TransactionID: "Beleg"},
		CreditValues: []string{"H"},
		DebitValues:  []string{"S"},
	}

	f := mustRead(t, "Umsaetze_2025-03.CSV", data, p)
	if f.Profile != "sparkasse-giro" || len(f.Warnings) != 0 || f.Currency != "EUR" ||
		f.Account != "DE89370400440532013000" {
		t.Fatalf("profile %q warnings %v currency %q account %q", f.Profile, f.Warnings,
			f.Currency, f.Account)
	}

	want := []struct {
		minor int64
		dir   bankfile.Direction
		kind  bankfile.Kind
		value time.Time
		payer string
		key   string
	}{
		{125000, "credit", "payment", day(2025, 3, 3), "MUSTER GMBH",
			"csv:DE89370400440532013000:B1"},
		{1990, "debit", "payment", day(2025, 3, 5), "", "csv:DE89370400440532013000:B2"},
		{30000, "credit", "payment", day(2025, 3, 5), "NORD AG",
			"csv:DE89370400440532013000:B3"},
	}

	for i, w := range want {
		tx := f.Transactions[i]
		if tx.Amount.Minor != w.minor || tx.Direction != w.dir || tx.Kind != w.kind ||
			!tx.ValueDate.Equal(w.value) || tx.PayerName != w.payer || tx.DedupeKey != w.key {
			t.Errorf("row %d: %+v", i, tx)
		}
	}

	if f.Transactions[0].PayerAccount != "DE02100100100006820101" ||
		f.Transactions[0].Remittance != "RE-4711 Lieferung Maerz" {
		t.Errorf("row 0: payer account %q remittance %q", f.Transactions[0].PayerAccount,
			f.Transactions[0].Remittance)
	}

	// Another file name: the profile does not apply and the guess cannot find
	// the header among these names.
	ps := mustReject(t, "other.csv", data, p)
	if ps[0].Field != "header" {
		t.Errorf("other file name: %v", ps)
	}
}

func day(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Two profiles share a header and differ by the account the metadata rows
// name; each file is read with its own.
func TestProfileMatchByAccount(t *testing.T) {
	t.Parallel()

	file := func(account string) []byte {
		return lines("Account Number:;"+account, "", "Date;Description;Amount",
			"03/04/2025;INV-1;100,00")
	}

	usd := byHeader("usd-account", "Date", "Description", "Amount")
	usd.Match.Account = "111 222 333"
	usd.Currency, usd.DateOrder = "USD", "MDY"

	chf := byHeader("chf-account", "Date", "Description", "Amount")
	chf.Match.Account = "CH93 0076 2011 6238 5295 7"
	chf.Currency, chf.DateOrder = "CHF", "DMY"

	a := mustRead(t, "a.csv", file("111222333"), usd, chf)
	b := mustRead(t, "b.csv", file("CH9300762011623852957"), usd, chf)

	if a.Profile != "usd-account" || a.Transactions[0].Amount.Currency != "USD" ||
		!a.Transactions[0].BookingDate.Equal(day(2025, 3, 4)) {
		t.Errorf("a: %s %+v", a.Profile, a.Transactions[0])
	}

	if b.Profile != "chf-account" || b.Transactions[0].Amount.Currency != "CHF" ||
		!b.Transactions[0].BookingDate.Equal(day(2025, 4, 3)) {
		t.Errorf("b: %s %+v", b.Profile, b.Transactions[0])
	}

	// A third account: no profile, and without a currency the file is rejected
	// with the advice to state one in a profile.
	ps := mustReject(t, "c.csv", file("999"), usd, chf)
	if len(ps) != 1 || ps[0].Field != "currency" ||
		!strings.Contains(ps[0].Message, "bank profile") {
		t.Errorf("c: %v", ps)
	}
}

// The user's profile comes before the built-in one for the same header.
func TestUserProfileBeforeBuiltin(t *testing.T) {
	t.Parallel()

	data := lines("Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #,",
		"CREDIT,3/15/2016,\"ACME PPD ID: 1\",2590.73,ACH_CREDIT,6090.75,,")

	if f := mustRead(t, "chase.csv", data); f.Profile != "chase-checking" ||
		f.Currency != "USD" {
		t.Fatalf("built-in: %s %s", f.Profile, f.Currency)
	}

	mine := byHeader("our-chase-cad", "Details", "Posting Date", "Check or Slip #")
	mine.Currency, mine.DateOrder = "CAD", "MDY"

	f := mustRead(t, "chase.csv", data, mine)
	if f.Profile != "our-chase-cad" || f.Currency != "CAD" ||
		f.Transactions[0].Direction != bankfile.Credit {
		t.Fatalf("user profile: %s %s %+v", f.Profile, f.Currency, f.Transactions[0])
	}
}

// A profile whose file name fits but whose header does not is reported, and
// the file is read with the guess.
func TestProfileFileNameWithoutHeader(t *testing.T) {
	t.Parallel()

	p := byHeader("acme", "Buchungstag", "Betrag")
	p.Match.FileName = "acme-*.csv"

	f := mustRead(t, "acme-2025.csv", lines("Date,Amount,Currency", "2025-02-03,12.00,USD"), p)
	if len(f.Warnings) != 2 || f.Warnings[0].Value != "acme" ||
		!strings.HasPrefix(f.Profile, "no bank profile matched") {
		t.Fatalf("profile %q warnings %v", f.Profile, f.Warnings)
	}
}

func TestSignConventions(t *testing.T) {
	t.Parallel()

	const header = "Date,Text,Debit,Credit,Currency"

	data := lines(header,
		"2025-03-01,A,,100.00,EUR",
		"2025-03-02,B,-20.00,,EUR",
		"2025-03-03,C,30.00,,EUR",
		"2025-03-04,D,,-5.00,EUR")

	cases := []struct {
		name        string
		debit       string
		credit      string
		flagged     []bool
		wantDebitOf []bool
	}{
		{"first debit decides", "", "", []bool{false, false, true, true}, nil},
		{"debits positive", "positive", "", []bool{false, true, false, true}, nil},
		{"debits negative", "negative", "", []bool{false, false, true, true}, nil},
		{"any sign, signed credits", "any", "signed", []bool{false, false, false, false}, nil},
	}

	for _, c := range cases {
		p := byHeader("signs", "Debit", "Credit")
		p.DebitSign, p.CreditSign = c.debit, c.credit

		f := mustRead(t, c.name, data, p)
		dirs := []bankfile.Direction{"credit", "debit", "debit", "debit"}

		for i, tx := range f.Transactions {
			if (tx.Problem != "") != c.flagged[i] || tx.Direction != dirs[i] {
				t.Errorf("%s row %d: %s problem %q", c.name, i, tx.Direction, tx.Problem)
			}
		}
	}

	// An indicator written with signs.
	p := byHeader("plus-minus", "Date", "Amount", "Sign")
	p.Sign, p.Columns = "indicator", bankcsv.Columns{Date: "Date", Amount: "Amount",
		Indicator: "Sign"}
	p.CreditValues, p.DebitValues, p.Currency = []string{"+"}, []string{"-"}, "EUR"

	f := mustRead(t, "signs", lines("Date;Amount;Sign", "2025-03-01;5,00;+",
		"2025-03-01;7,00;-"), p)
	if f.Transactions[0].Direction != "credit" || f.Transactions[1].Direction != "debit" {
		t.Errorf("indicator +/-: %+v", f.Transactions)
	}

	ps := mustReject(t, "bad sign", lines("Date;Amount;Sign", "2025-03-01;5,00;?"), p)
	if len(ps) != 1 || ps[0].Field != "Sign" || ps[0].Value != "?" {
		t.Errorf("unknown indicator: %v", ps)
	}
}

func TestProfileDatesNumbersAndEncoding(t *testing.T) {
	t.Parallel()

	p := byHeader("layouts", "Valuta", "Importo")
	p.DateLayouts = []string{"DD-MON-YYYY", "YYYYMMDD"}
	p.Thousands, p.Decimal = "'", "."
	p.Encoding, p.Currency = "iso-8859-15", "EUR"

	src := "Valuta;Importo;Causale\n03-Apr-2025;1'234.50;Caff\u00e8 \u20ac\n" +
		"20250404;-2.00;Spese\n"

	latin9, err := charmap.ISO8859_15.NewEncoder().String(src)
	if err != nil {
		t.Fatal(err)
	}

	f := mustRead(t, "it.csv", []byte(latin9), p)
	if f.Encoding != "iso-8859-15" || f.Transactions[0].Amount.Minor != 123450 ||
		!f.Transactions[1].ValueDate.Equal(day(2025, 4, 4)) ||
		f.Transactions[0].Remittance != "Caffè €" {
		t.Fatalf("encoding %s: %+v", f.Encoding, f.Transactions)
	}

	for name, row := range map[string]string{
		"not in the layouts": "04/04/2025;1.00;x",
		"impossible":         "20250231;1.00;x",
		"grouping with dots": "20250401;1.234.50;x",
	} {
		if ps := mustReject(t, name, []byte("Valuta;Importo;Causale\n"+row+"\n"), p); len(ps) != 1 {
			t.Errorf("%s: %v", name, ps)
		}
	}

	none := byHeader("no-grouping", "Date", "Amount")
	none.Decimal, none.Thousands, none.Currency = ",", "none", "EUR"

	if ps := mustReject(t, "grouped", lines("Date;Amount", "2025-04-01;1.234,00"),
		none); len(ps) != 1 || ps[0].Field != "Amount" {
		t.Errorf("thousands none: %v", ps)
	}

	// The profile's decimal comma reads "1.234" as a thousand, which the
	// guess could not tell.
	comma := byHeader("comma", "Date", "Amount")
	comma.Decimal, comma.Currency = ",", "EUR"
	data := lines("Date;Amount", "2025-04-01;1.234")

	if f := mustRead(t, "comma", data, comma); f.Transactions[0].Amount.Minor != 123400 {
		t.Errorf("decimal comma: %d", f.Transactions[0].Amount.Minor)
	}

	mustReject(t, "guess", lines("Date;Amount;Currency", "2025-04-01;1.234;EUR"))
}

func TestProfileChecksStatusAndSummaries(t *testing.T) {
	t.Parallel()

	data := lines("Date,Status,Gross,Fee,Net,Balance,Currency",
		"2025-03-01,Done,10.00,-1.00,9.00,9.00,EUR",
		"2025-03-02,Offen,5.00,0.00,5.00,14.00,EUR",
		"2025-03-03,Done,20.00,-1.00,18.00,30.00,EUR",
		"Statement end,,,,,30.00,")

	p := byHeader("checks", "Gross", "Fee", "Net")
	p.SkipStatus = []string{"offen"}
	p.SummaryRows = []string{"statement end"}
	p.Checks = bankcsv.Checks{Balance: "reject", Net: "warn"}

	ps := mustReject(t, "reject balance", data, p)
	if len(ps) != 1 || ps[0].Field != "balance" || ps[0].Line != 4 {
		t.Fatalf("problems %v, want the balance break on line 4", ps)
	}

	p.Checks.Balance = "off"

	f := mustRead(t, "warn net", data, p)
	if len(f.Transactions) != 4 || f.Controls != bankfile.ControlsNone {
		t.Fatalf("%d transactions, controls %s", len(f.Transactions), f.Controls)
	}

	// Row 3: 20.00 - 1.00 is 19.00, not 18.00: read from gross and fee, flagged.
	if tx := f.Transactions[2]; tx.Amount.Minor != 2000 || tx.Problem == "" {
		t.Errorf("net mismatch row: %+v", tx)
	}

	var skipped, summaries int

	for _, w := range f.Warnings {
		switch {
		case w.Value == "Offen":
			skipped++
		case w.Message == "summary row skipped":
			summaries++
		}
	}

	if skipped != 1 || summaries != 1 || len(f.Warnings) != 3 {
		t.Errorf("warnings %v", f.Warnings)
	}

	p.Checks.Net = ""
	if ps := mustReject(t, "reject net", data, p); len(ps) != 1 || ps[0].Field != "Net" {
		t.Errorf("net check by default: %v", ps)
	}
}

// The guess is described in File.Profile and a warning; a rejected file
// carries it too.
func TestGuessedProfileShown(t *testing.T) {
	t.Parallel()

	data := lines("Buchungstag;Valuta;Auftraggeber/Empfänger;Verwendungszweck;Betrag;Währung;"+
		"Transaktions-ID", "15.01.2025;15.01.2025;ACME GMBH;RE 1;1.234,56;EUR;T-1")

	f := mustRead(t, "de.csv", data)
	for _, part := range []string{"no bank profile matched: guessed", "delimiter ';'",
		`decimal comma (line 2 "1.234,56")`, `signed amount column "Betrag"`,
		`currency column "Währung"`, `transaction id column "Transaktions-ID"`} {
		if !strings.Contains(f.Profile, part) {
			t.Errorf("profile %q lacks %q", f.Profile, part)
		}
	}

	if len(f.Warnings) != 1 || f.Warnings[0].Message != f.Profile ||
		f.Warnings[0].Field != "profile" {
		t.Errorf("warnings %v", f.Warnings)
	}

	_, err := bankcsv.Read("amb.csv", lines(b23Header, "03/04/2025,A,R,1.00,GBP"))

	var be *bankfile.Error
	if !errors.As(err, &be) || !strings.Contains(be.Profile, "dates") {
		t.Errorf("rejection %v profile %q", err, be.Profile)
	}
}
