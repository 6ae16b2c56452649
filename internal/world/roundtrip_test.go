package world_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/world"
)

// TestBankReadRoundTrip reads every file the writers produce back with o2c's
// own reader: the same credits, amounts, payers and remittance.
func TestBankReadRoundTrip(t *testing.T) {
	t.Parallel()

	us := usFixture(t, 51, 150)
	usAll := newFixture(t, world.Config{Seed: 52, Customers: 150},
		world.PayConfig{Seed: 1, Fraction: 0.9, Noise: true})
	eur := newFixture(t, world.Config{Seed: 53, Customers: 150, Currency: "EUR"},
		world.PayConfig{Seed: 2, Fraction: 0.9, Noise: true})
	env := us.w.NACHAOptions()
	env.Envelope = true
	for _, tc := range []struct {
		name  string
		ps    []world.Payment
		write func(*bytes.Buffer, []world.Payment) error
	}{
		{"nacha.ach", us.payments, func(b *bytes.Buffer, ps []world.Payment) error {
			return world.WriteNACHA(b, ps, us.w.NACHAOptions())
		}},
		{"nacha-isa.ach", us.payments, func(b *bytes.Buffer, ps []world.Payment) error {
			return world.WriteNACHA(b, ps, env)
		}},
		{"usd-camt02.xml", usAll.payments, func(b *bytes.Buffer, ps []world.Payment) error {
			return world.WriteCAMT053(b, ps, usAll.w.CAMTOptions())
		}},
		{"eur-camt02.xml", eur.payments, func(b *bytes.Buffer, ps []world.Payment) error {
			return world.WriteCAMT053(b, ps, eur.w.CAMTOptions())
		}},
		{"eur-camt08.xml", eur.payments, func(b *bytes.Buffer, ps []world.Payment) error {
			return world.WriteCAMT053(b, ps, world.CAMTOptions{Version: world.CAMT08})
		}},
		{"usd.csv", usAll.payments, func(b *bytes.Buffer, ps []world.Payment) error {
			return world.WriteBankCSV(b, ps, world.CSVOptions{})
		}},
		{"eur.csv", eur.payments, func(b *bytes.Buffer, ps []world.Payment) error {
			return world.WriteBankCSV(b, ps, world.CSVOptions{CRLF: true})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			var b bytes.Buffer
			if err := tc.write(&b, tc.ps); err != nil {
				t.Fatal(err)
			}

			file, err := bank.Read(tc.name, b.Bytes())
			if err != nil {
				t.Fatalf("bank.Read: %v", err)
			}

			var total int64
			for _, p := range tc.ps {
				total += p.Amount.Minor
			}

			n, sum := file.Credits()
			if n != len(tc.ps) || sum != total || len(file.Transactions) != n {
				t.Errorf("read %d credits of %d (%d transactions); wrote %d of %d", n, sum,
					len(file.Transactions), len(tc.ps), total)
			}

			// A CSV export that matches no bank profile is read with a guessed
			// one, and the reader says so; that is the only warning allowed.
			warnings := slices.DeleteFunc(slices.Clone(file.Warnings),
				func(p bankfile.Problem) bool { return csvFormat(file) && p.Field == "profile" })
			if file.Controls == bankfile.ControlsMismatch || len(warnings) > 0 {
				t.Errorf("controls %s, warnings %v", file.Controls, file.Warnings)
			}

			compareTransactions(t, file, tc.ps)
		})
	}
}

// compareTransactions finds each transaction's payment by its bank reference
// and checks what every format carries: amount, currency, payer name (cut to
// 16 upper-case characters in NACHA CCD batches) and the remittance.
func compareTransactions(t *testing.T, file *bankfile.File, ps []world.Payment) {
	t.Helper()

	byRef := map[string]world.Payment{}
	for _, p := range ps {
		byRef[p.Trace] = p
	}

	errs := 0
	for _, tx := range file.Transactions {
		p, ok := byRef[tx.BankRef]
		if !ok {
			for _, q := range ps {
				if q.Trace != "" && (tx.EndToEndID == q.Trace || tx.DedupeKey == q.Trace) {
					p, ok = q, true
				}
			}
		}

		if !ok {
			if errs++; errs < 5 {
				t.Errorf("transaction %d: bank reference %q is no payment's trace", tx.Seq,
					tx.BankRef)
			}

			continue
		}

		if tx.Amount != p.Amount || tx.Direction != bankfile.Credit ||
			tx.Kind != bankfile.KindPayment || tx.Problem != "" {
			if errs++; errs < 5 {
				t.Errorf("transaction %+v, payment %+v", tx, p)
			}
		}

		// NACHA: the batch's company name, or the 820's N1*PR of a CTX entry.
		name := p.PayerName
		if file.Format == bankfile.FormatNACHA {
			name = strings.ToUpper(name)
			if len(name) > 16 && !ctx(p) {
				name = strings.TrimSpace(name[:16])
			}
		}

		if tx.PayerName != name {
			if errs++; errs < 5 {
				t.Errorf("transaction %s payer %q, want %q", tx.BankRef, tx.PayerName, name)
			}
		}

		if !sameRemits(tx.Remits, p.Remits) && !csvFormat(file) ||
			!strings.Contains(tx.Remittance, p.Remittance) {
			if errs++; errs < 5 {
				t.Errorf("transaction %s remittance %q %+v, payment %q %+v", tx.BankRef,
					tx.Remittance, tx.Remits, p.Remittance, p.Remits)
			}
		}
	}
}

func csvFormat(f *bankfile.File) bool { return f.Format == bankfile.FormatCSV }

func sameRemits(got, want []bankfile.Remit) bool {
	if len(got) != len(want) {
		return false
	}

	for i, w := range want {
		g := got[i]
		if g.Ref != w.Ref {
			return false
		}

		// The camt reader keeps the amounts of RfrdDocInf lines only; a PO or
		// RF reference travels as CdtrRefInf.
		if w.RefType != "PO" && w.RefType != "RF" && (g.Paid != w.Paid ||
			g.Invoiced != w.Invoiced || g.Discount != w.Discount) {
			return false
		}
	}

	return true
}

// ctx reports whether WriteNACHA writes p as a CTX entry.
func ctx(p world.Payment) bool {
	for _, r := range p.Remits {
		if r.Invoiced != 0 || r.Discount != 0 {
			return true
		}
	}

	return len(p.Remits) > 1
}
