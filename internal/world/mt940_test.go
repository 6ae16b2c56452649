package world_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/world"
)

func writeMT940(t *testing.T, ps []world.Payment, opts world.MT940Options) []byte {
	t.Helper()

	var b bytes.Buffer
	if err := world.WriteMT940(&b, ps, opts); err != nil {
		t.Fatalf("WriteMT940: %v", err)
	}

	return b.Bytes()
}

// TestWriteMT940ReadsBack writes worlds of a few hundred payments of every
// kind as MT940 in each :86: dialect, plain and in SWIFT blocks, paged, and
// reads them back with o2c's reader: balances reconciled, and per payment the
// amount, references, payer name (as cut) and account, and remittance.
func TestWriteMT940ReadsBack(t *testing.T) {
	t.Parallel()

	us := benchFixture(t, world.Config{Seed: 71, Customers: 150},
		world.PayConfig{Seed: 72, Fraction: 0.9, Noise: true, Weights: world.BenchmarkWeights()})
	eur := benchFixture(t, world.Config{Seed: 73, Customers: 150, Currency: "EUR"},
		world.PayConfig{Seed: 74, Fraction: 0.9, Noise: true, Weights: world.BenchmarkWeights()})
	german := us.w.MT940Options()
	german.Dialect, german.LinesPerMessage, german.OpeningBalance = world.MT940German, 7, 5000
	dutch := eur.w.MT940Options()
	dutch.Dialect, dutch.Blocks, dutch.CRLF, dutch.OpeningBalance = world.MT940Dutch, true,
		true, -250075
	for _, tc := range []struct {
		name string
		f    fixture
		opts world.MT940Options
	}{
		{"us-german.sta", us, german},
		{"us-mixed.sta", us, us.w.MT940Options()},
		{"eur-dutch.sta", eur, dutch},
		{"eur-mixed.sta", eur, eur.w.MT940Options()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			ps := tc.f.payments
			if len(ps) < 300 || len(kindsOf(ps)) < 15 {
				t.Fatalf("%d payments of %d kinds: too few to tell", len(ps), len(kindsOf(ps)))
			}

			data := writeMT940(t, ps, tc.opts)
			checkMT940Lines(t, data, tc.opts)
			file := readBank(t, tc.name, data, bankfile.FormatMT940, ps)
			checkMT940Transactions(t, file, ps, tc.opts.Dialect)
			german := bytes.Count(data, []byte(":86:166?00"))
			dutch := bytes.Count(data, []byte(":86:/EREF/"))
			switch {
			case german+dutch != len(ps),
				tc.opts.Dialect == world.MT940Mixed && (german < len(ps)/3 || dutch < len(ps)/3),
				tc.opts.Dialect == world.MT940German && dutch > 0,
				tc.opts.Dialect == world.MT940Dutch && german > 0:
				t.Errorf("%d German and %d Dutch :86: fields for %d payments in dialect %q",
					german, dutch, len(ps), tc.opts.Dialect)
			}

			checkMT940Balances(t, file, ps, tc.opts)
		})
	}
}

// checkMT940Lines checks the SWIFT limits: every line in the x character set,
// an :86: of at most six lines of 65 characters, a statement line per
// payment and the pages the options ask for.
func checkMT940Lines(t *testing.T, data []byte, opts world.MT940Options) {
	t.Helper()

	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	info, errs := -1, 0
	for i, l := range lines {
		if opts.CRLF != strings.HasSuffix(l, "\r") {
			t.Fatalf("line %d %q: CRLF %v", i+1, l, opts.CRLF)
		}

		l = strings.TrimSuffix(l, "\r")
		switch {
		case strings.HasPrefix(l, "{1:"), l == "-}", l == "-":
			info = -1
			continue
		case strings.HasPrefix(l, ":86:"):
			info, l = 1, l[4:]
		case strings.HasPrefix(l, ":"):
			info = -1
			continue
		case info > 0:
			info++
		}

		if len(l) > 65 || info > 6 || strings.Trim(l, swiftX) != "" ||
			strings.HasSuffix(l, " ") {
			if errs++; errs < 5 {
				t.Errorf("line %d (%d of :86:): %q", i+1, info, l)
			}
		}
	}

	pages := bytes.Count(data, []byte(":28C:"))
	if opts.LinesPerMessage > 0 && pages < bytes.Count(data, []byte(":61:"))/opts.LinesPerMessage {
		t.Errorf("%d pages for %d lines of %d per page", pages,
			bytes.Count(data, []byte(":61:")), opts.LinesPerMessage)
	}

	if opts.Blocks != bytes.Contains(data, []byte("{1:F01")) ||
		bytes.Count(data, []byte("{4:")) != bytes.Count(data, []byte(":20:")) && opts.Blocks {
		t.Errorf("blocks %v, file starts %q", opts.Blocks, data[:min(len(data), 120)])
	}
}

// swiftX is the SWIFT x character set.
const swiftX = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ "

// swift folds s as the MT940 writer documents: accents dropped, '&' as '+',
// ';' as ',', other characters outside the x set as blanks ('?' too in
// German subfields), blanks collapsed.
func swift(t *testing.T, s string, german bool) string {
	t.Helper()

	b := []byte(fold(t, s))
	for i, c := range b {
		switch {
		case c == '?' && german:
			b[i] = '.'
		case strings.IndexByte(swiftX, c) >= 0:
		case c == '&':
			b[i] = '+'
		case c == ';':
			b[i] = ','
		default:
			b[i] = ' '
		}
	}

	return collapse(string(b))
}

// mt940Want is what the reader should give for a payment in one dialect.
type mt940Want struct {
	name, account, id, text string
	rf                      string // a Dutch structured RF reference
}

func wantMT940(t *testing.T, p world.Payment, dialect string) mt940Want {
	t.Helper()

	german := dialect == world.MT940German
	w := mt940Want{account: p.PayerAccount, text: swift(t, remittanceText(p), german)}
	if _, acct, us := strings.Cut(p.PayerAccount, ":"); us {
		w.account = acct // the routing number is no German bank code
	} else if len(p.PayerID) == 8 || len(p.PayerID) == 11 {
		w.id = p.PayerID
	}

	if german {
		w.name = cut(swift(t, p.PayerName, true), 54)
		if w.name != swift(t, p.PayerName, true) {
			// ?32 and ?33 are cut apart, which may move a blank between them.
			w.name = collapse(w.name)
		}

		if w.text == "" && e2e(p) != "" {
			w.text = "EREF+" + e2e(p) // the purpose, when it has no SVWZ+
		}

		return w
	}

	w.name = collapse(strings.ReplaceAll(swift(t, p.PayerName, false), "/", " "))
	w.name = strings.TrimSpace(cut(w.name, 70))
	w.text = strings.Trim(w.text, "/ ")
	if p.Remittance == "" && len(p.Remits) == 1 && p.Remits[0].RefType == "RF" {
		w.rf, w.text = p.Remits[0].Ref, ""
	}

	return w
}

// checkMT940Transactions compares each transaction with its payment, as
// either dialect carries it when they are mixed.
func checkMT940Transactions(t *testing.T, file *bankfile.File, ps []world.Payment,
	dialect string) {
	t.Helper()

	txs := byRef(t, file)
	errs := 0
	for _, p := range ps {
		tx, ok := txs[p.Trace]
		if !ok {
			if errs++; errs < 8 {
				t.Errorf("payment %s not read back", p.Trace)
			}

			continue
		}

		tried := []string{dialect}
		if dialect == world.MT940Mixed {
			tried = []string{world.MT940German, world.MT940Dutch}
		}

		var fits string
		var wants []mt940Want
		for _, d := range tried {
			w := wantMT940(t, p, d)
			wants = append(wants, w)
			remits := len(tx.Remits) == 0
			if w.rf != "" {
				remits = len(tx.Remits) == 1 && tx.Remits[0].Ref == w.rf &&
					tx.Remits[0].RefType == "RF"
			}

			if fits == "" && tx.PayerName == w.name && tx.PayerAccount == w.account &&
				tx.PayerID == w.id && remits && (w.text == "" && tx.Remittance == "" ||
				w.text != "" && strings.Contains(tx.Remittance, w.text)) {
				fits = d
			}
		}

		if fits == "" || tx.Amount != p.Amount || tx.EndToEndID != e2e(p) ||
			tx.PaymentRef != e2e(p) || !tx.ValueDate.Equal(p.ValueDate) {
			if errs++; errs < 8 {
				t.Errorf("transaction %+v\npayment %+v\nwant %+v", tx, p, wants)
			}
		}
	}
}

// checkMT940Balances checks the first opening and last closing balance of
// each currency's statement.
func checkMT940Balances(t *testing.T, file *bankfile.File, ps []world.Payment,
	opts world.MT940Options) {
	t.Helper()

	sums := map[string]int64{}
	for _, p := range ps {
		sums[p.Amount.Currency] += p.Amount.Minor
	}

	first, last := map[string]bankfile.Balance{}, map[string]bankfile.Balance{}
	for _, b := range file.Balances {
		ccy := b.Amount.Currency
		if _, ok := first[ccy]; !ok && b.Code == "60F" {
			first[ccy] = b
		}

		if b.Code == "62F" {
			last[ccy] = b
		}
	}

	for ccy, sum := range sums {
		open := int64(0)
		if ccy == opts.Currency {
			open = opts.OpeningBalance
		}

		if first[ccy].Amount.Minor != open || last[ccy].Amount.Minor != open+sum {
			t.Errorf("%s: opening %s, closing %s; want %d + %d", ccy, first[ccy].Amount,
				last[ccy].Amount, open, sum)
		}
	}
}

// TestWriteMT940DecimalComma: amounts have a decimal comma and exactly the
// currency's digits, and read back the same.
func TestWriteMT940DecimalComma(t *testing.T) {
	t.Parallel()

	ps := []world.Payment{
		usPayment("011200470000001", 125000, "JPY"),
		usPayment("011200470000002", 125050, "USD"),
		usPayment("011200470000003", 125000, "BHD"),
	}

	data := writeMT940(t, ps, world.MT940Options{Currency: "USD"})
	for _, want := range []string{"C125000,NTRF", "C1250,50NTRF", "C125,000NTRF",
		":60F:C250311USD0,00", ":62F:C250311JPY125000,"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("no %q in\n%s", want, data)
		}
	}

	file := readBank(t, "decimals.sta", data, bankfile.FormatMT940, ps)
	txs := byRef(t, file)
	for _, p := range ps {
		if txs[p.Trace].Amount != p.Amount {
			t.Errorf("%s: read %s, wrote %s", p.Trace, txs[p.Trace].Amount, p.Amount)
		}
	}
}

// TestWriteMT940Text: characters outside the SWIFT set are folded, a '?' does
// not open a German subfield, long names are cut to the dialect's width, and
// an end-to-end id too long for the :61: reference stays in the :86:.
func TestWriteMT940Text(t *testing.T) {
	t.Parallel()

	p := usPayment("011200470000007", 99900, "EUR")
	p.PayerAccount, p.PayerID = "DE89370400440532013000", "COBADEFFXXX"
	p.PayerName = "Müller & Söhne Präzisionswerkzeuge Maschinenbau GmbH & Co. KG"
	p.Remittance = "Rechnung #4711?; Lieferung 12/2024"
	p.EndToEndID = "E2E-ABCDEFGHJKLMPQRSTU"
	for _, tc := range []struct {
		dialect, name, text string
	}{
		{world.MT940German, "Mueller + Soehne Praezisionswerkzeuge Maschinenbau Gmb",
			"Rechnung 4711., Lieferung 12/2024"},
		{world.MT940Dutch, "Mueller + Soehne Praezisionswerkzeuge Maschinenbau GmbH + Co. KG",
			"Rechnung 4711?, Lieferung 12/2024"},
	} {
		data := writeMT940(t, []world.Payment{p}, world.MT940Options{Dialect: tc.dialect})
		file := readBank(t, tc.dialect+".sta", data, bankfile.FormatMT940, []world.Payment{p})
		tx := file.Transactions[0]
		if tx.PayerName != tc.name || tx.Remittance != tc.text ||
			tx.EndToEndID != p.EndToEndID || tx.PaymentRef != "" ||
			tx.PayerAccount != p.PayerAccount || tx.PayerID != p.PayerID {
			t.Errorf("%s: read %+v\n%s", tc.dialect, tx, data)
		}
	}
}

func TestWriteMT940RejectsAndRepeats(t *testing.T) {
	t.Parallel()

	bad := usPayment("011200470000001", -5, "USD")
	err := world.WriteMT940(&bytes.Buffer{}, []world.Payment{bad}, world.MT940Options{})
	if !errors.Is(err, world.ErrAmount) {
		t.Errorf("negative amount: %v, want ErrAmount", err)
	}

	if err := world.WriteMT940(&bytes.Buffer{}, nil, world.MT940Options{Dialect: "x"}); err == nil {
		t.Error("unknown dialect accepted")
	}

	f := usFixture(t, 75, 60)
	a := writeMT940(t, f.payments, f.w.MT940Options())
	b := writeMT940(t, f.payments, f.w.MT940Options())
	if !bytes.Equal(a, b) {
		t.Error("the same payments gave other bytes")
	}
}
