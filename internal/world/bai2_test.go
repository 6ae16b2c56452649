package world_test

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/world"
)

func writeBAI2(t *testing.T, ps []world.Payment, opts world.BAI2Options) []byte {
	t.Helper()

	var b bytes.Buffer
	if err := world.WriteBAI2(&b, ps, opts); err != nil {
		t.Fatalf("WriteBAI2: %v", err)
	}

	return b.Bytes()
}

// TestWriteBAI2ReadsBack writes worlds of a few hundred payments of every
// kind as BAI2 and reads them back with o2c's reader: controls ok, and per
// payment the amount, the bank and customer references, the payer as the
// type code carries it and the remittance text.
func TestWriteBAI2ReadsBack(t *testing.T) {
	t.Parallel()

	us := benchFixture(t, world.Config{Seed: 61, Customers: 150},
		world.PayConfig{Seed: 62, Fraction: 0.9, Noise: true, Weights: world.BenchmarkWeights()})
	eur := benchFixture(t, world.Config{Seed: 63, Customers: 150, Currency: "EUR"},
		world.PayConfig{Seed: 64, Fraction: 0.9, Noise: true, Weights: world.BenchmarkWeights()})
	crlf := us.w.BAI2Options()
	crlf.CRLF, crlf.OpeningBalance = true, -1234567
	for _, tc := range []struct {
		name string
		f    fixture
		opts world.BAI2Options
	}{
		{"us.bai2", us, us.w.BAI2Options()},
		{"us-crlf.bai2", us, crlf},
		{"eur.bai2", eur, eur.w.BAI2Options()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			ps := tc.f.payments
			if len(ps) < 300 || len(kindsOf(ps)) < 15 {
				t.Fatalf("%d payments of %d kinds: too few to tell", len(ps), len(kindsOf(ps)))
			}

			data := writeBAI2(t, ps, tc.opts)
			for i, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
				if l = strings.TrimSuffix(l, "\r"); len(l) > 80 || !printable(l) {
					t.Errorf("line %d of %d characters: %q", i+1, len(l), l)
				}
			}

			file := readBank(t, tc.name, data, bankfile.FormatBAI2, ps)
			codes := checkBAI2Transactions(t, file, ps)
			if tc.f.w.Config.Currency == "USD" && (codes[142] == 0 || codes[175] == 0 ||
				codes[195] == 0) {
				t.Errorf("type codes %v, want 142, 175 and 195", codes)
			}

			if tc.f.w.Config.Currency == "EUR" && codes[195] != len(ps) {
				t.Errorf("type codes %v, want 195 for every IBAN payer", codes)
			}

			checkBAI2Balances(t, file, ps, tc.opts)
		})
	}
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7E {
			return false
		}
	}

	return true
}

// checkBAI2Transactions compares each transaction with its payment and
// returns how many details each type code had.
func checkBAI2Transactions(t *testing.T, file *bankfile.File, ps []world.Payment) map[int]int {
	t.Helper()

	txs := byRef(t, file)
	codes := map[int]int{}
	errs := 0
	fail := func(format string, args ...any) {
		t.Helper()
		if errs++; errs <= 8 {
			t.Errorf(format, args...)
		}
	}

	for _, p := range ps {
		tx, ok := txs[p.Trace]
		if !ok {
			fail("payment %s not read back", p.Trace)
			continue
		}

		// bai2:<account>:<currency>:<as-of>:<type code>:...
		key := strings.Split(tx.DedupeKey, ":")
		code, _ := strconv.Atoi(key[4])
		codes[code]++
		if tx.Amount != p.Amount || key[2] != p.Amount.Currency {
			fail("%s: amount %s, key %s, payment %s", p.Trace, tx.Amount, tx.DedupeKey, p.Amount)
		}

		name := strings.ToUpper(fold(t, p.PayerName))
		routing, acct, us := strings.Cut(p.PayerAccount, ":")
		account := p.PayerAccount
		switch code {
		case world.BAI2ACHCredit:
			name, account = cut(name, 16), ""
		case world.BAI2Wire, world.BAI2CheckDeposit:
			if us {
				account = routing + ":" + acct
			}
		default:
			fail("%s: type code %d", p.Trace, code)
		}

		if tx.PayerName != name || tx.PayerAccount != account {
			fail("%s (%d): payer %q %q, want %q %q", p.Trace, code, tx.PayerName,
				tx.PayerAccount, name, account)
		}

		wantE2E := e2e(p)
		if code == world.BAI2CheckDeposit {
			wantE2E = ""
		}

		if tx.EndToEndID != wantE2E || tx.PaymentRef != e2e(p) {
			fail("%s: end-to-end %q, customer reference %q, payment %q", p.Trace,
				tx.EndToEndID, tx.PaymentRef, p.EndToEndID)
		}

		text := strings.TrimRight(collapse(fold(t, remittanceText(p))), "/ ")
		if !strings.Contains(tx.Remittance, text) || len(tx.Remits) != 0 {
			fail("%s: remittance %q %+v, want %q", p.Trace, tx.Remittance, tx.Remits, text)
		}

		if !tx.BookingDate.Equal(p.ValueDate) || !tx.ValueDate.Equal(p.ValueDate) {
			fail("%s: booked %s value %s, payment value date %s", p.Trace, tx.BookingDate,
				tx.ValueDate, p.ValueDate)
		}
	}

	return codes
}

// checkBAI2Balances checks the 03 summaries of every account: opening ledger
// plus total credits is the closing ledger, total credits and their count are
// the payments', total debits are none.
func checkBAI2Balances(t *testing.T, file *bankfile.File, ps []world.Payment,
	opts world.BAI2Options) {
	t.Helper()

	credits, count := map[string]int64{}, map[string]int{}
	for _, p := range ps {
		credits[p.Amount.Currency] += p.Amount.Minor
		count[p.Amount.Currency]++
	}

	got := map[string]map[string]bankfile.Balance{}
	for _, b := range file.Balances {
		ccy := b.Amount.Currency
		if got[ccy] == nil {
			got[ccy] = map[string]bankfile.Balance{}
		}

		got[ccy][b.Code] = b
	}

	if len(got) != len(credits) {
		t.Errorf("balances of %d currencies, payments in %d", len(got), len(credits))
	}

	for ccy, sum := range credits {
		open := int64(0)
		if ccy == ps[0].Amount.Currency {
			open = opts.OpeningBalance
		}

		b := got[ccy]
		if b["010"].Amount.Minor != open || b["015"].Amount.Minor != open+sum ||
			b["100"].Amount.Minor != sum || b["100"].ItemCount != count[ccy] ||
			b["400"].Amount.Minor != 0 {
			t.Errorf("%s summaries %+v; opening %d, %d credits of %d", ccy, b, open,
				count[ccy], sum)
		}
	}
}

// usPayment is a payment from a US payer for hand-made cases.
func usPayment(trace string, minor int64, ccy string) world.Payment {
	return world.Payment{
		Kind: world.KindClean, PayerName: "Harbor Metals Inc.",
		PayerAccount: "011200475:4455667788", Amount: money.New(minor, ccy),
		ValueDate: time.Date(2025, 3, 11, 0, 0, 0, 0, time.UTC), EndToEndID: "PMTQWERTYUP",
		Remittance: "INV-000123", Trace: trace,
	}
}

// TestWriteBAI2ImpliedDecimals: amounts are written in the minor units of
// their currency, without a decimal point, and read back the same.
func TestWriteBAI2ImpliedDecimals(t *testing.T) {
	t.Parallel()

	ps := []world.Payment{
		usPayment("011200470000001", 125000, "JPY"), // ¥125,000
		usPayment("011200470000002", 125000, "USD"), // $1,250.00
		usPayment("011200470000003", 125000, "BHD"), // 125.000 BHD
	}

	data := writeBAI2(t, ps, world.BAI2Options{Currency: "USD"})
	file := readBank(t, "decimals.bai2", data, bankfile.FormatBAI2, ps)
	txs := byRef(t, file)
	for _, p := range ps {
		if txs[p.Trace].Amount != p.Amount {
			t.Errorf("%s: read %s, wrote %s", p.Trace, txs[p.Trace].Amount, p.Amount)
		}
	}

	for _, want := range []string{"03,7730012458,BHD,", "03,7730012458,JPY,",
		"03,7730012458,USD,", ",125000,0,011200470000001,"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("no %q in\n%s", want, data)
		}
	}

	if i, j := bytes.Index(data, []byte("03,7730012458,USD,")),
		bytes.Index(data, []byte("03,7730012458,BHD,")); i > j {
		t.Errorf("the account currency is not the first account:\n%s", data)
	}
}

// TestWriteBAI2LongText: text longer than a record continues in 88 records and
// reads back whole, every record within 80 characters.
func TestWriteBAI2LongText(t *testing.T) {
	t.Parallel()

	p := usPayment("011200470000009", 987654, "USD")
	p.PayerName = "Northgate Solutions & Whitfield Analytics Group L.L.C."
	p.Remittance = "Payment for invoices INV-000123, INV-000124 and INV-000125, " +
		"see advice 2025/03/10"
	p.PayerAccount = "DE89370400440532013000" // an IBAN payer's is a wire, 195
	data := writeBAI2(t, []world.Payment{p}, world.BAI2Options{})
	if n := bytes.Count(data, []byte("\n88,")); n < 4 {
		t.Errorf("%d continuation records:\n%s", n, data)
	}

	file := readBank(t, "long.bai2", data, bankfile.FormatBAI2, []world.Payment{p})
	tx := file.Transactions[0]
	if !strings.Contains(tx.Remittance, p.Remittance) ||
		tx.PayerName != strings.ToUpper(p.PayerName) || tx.PayerAccount != p.PayerAccount {
		t.Errorf("read %q %q %q\n%s", tx.Remittance, tx.PayerName, tx.PayerAccount, data)
	}
}

func TestWriteBAI2RejectsAndRepeats(t *testing.T) {
	t.Parallel()

	bad := usPayment("011200470000001", 0, "USD")
	err := world.WriteBAI2(&bytes.Buffer{}, []world.Payment{bad}, world.BAI2Options{})
	if !errors.Is(err, world.ErrAmount) {
		t.Errorf("zero amount: %v, want ErrAmount", err)
	}

	f := usFixture(t, 65, 60)
	a := writeBAI2(t, f.payments, f.w.BAI2Options())
	b := writeBAI2(t, f.payments, f.w.BAI2Options())
	if !bytes.Equal(a, b) {
		t.Error("the same payments gave other bytes")
	}
}
