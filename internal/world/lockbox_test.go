package world_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/world"
)

func writeLockbox(t *testing.T, ps []world.Payment, opts world.LockboxOptions) []byte {
	t.Helper()

	var b bytes.Buffer
	if err := world.WriteLockbox(&b, ps, opts); err != nil {
		t.Fatalf("WriteLockbox: %v", err)
	}

	return b.Bytes()
}

// TestWriteLockboxReadsBack writes a world of a few hundred US-dollar
// payments of every kind as a BAI fixed-width and a delimited lockbox file
// and reads them back with o2c's reader: every batch and lockbox total and
// the trailer reconciled, and per check the amount, the check number as bank
// reference, the remitter (as cut) with the MICR account, and the invoice
// lines.
func TestWriteLockboxReadsBack(t *testing.T) {
	t.Parallel()

	f := benchFixture(t, world.Config{Seed: 81, Customers: 150},
		world.PayConfig{Seed: 82, Fraction: 0.9, Noise: true, Weights: world.BenchmarkWeights()})
	ps := usOnly(f.payments)
	if len(ps) < 300 || len(kindsOf(ps)) < 15 {
		t.Fatalf("%d payments of %d kinds: too few to tell", len(ps), len(kindsOf(ps)))
	}

	fixed := f.w.LockboxOptions()
	fixed.BatchSize = 37
	delimited := f.w.LockboxOptions()
	delimited.Delimited, delimited.CRLF = true, true
	for _, tc := range []struct {
		name string
		opts world.LockboxOptions
	}{
		{"fixed.lbx", fixed},
		{"delimited.lbx", delimited},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			data := writeLockbox(t, ps, tc.opts)
			if !tc.opts.Delimited {
				for i, l := range strings.Split(string(data), "\n") {
					if len(l) > 82 || !printable(l) {
						t.Errorf("record %d of %d characters: %q", i+1, len(l), l)
					}
				}
			}

			batches := bytes.Count(data, []byte("\n5"))
			if want := (len(ps) + 36) / 37; !tc.opts.Delimited && batches != want {
				t.Errorf("%d batches of %d checks, want %d", batches, len(ps), want)
			}

			file := readBank(t, tc.name, data, bankfile.FormatLockbox, ps)
			checkLockbox(t, file, ps, tc.opts.Delimited)
		})
	}
}

func checkLockbox(t *testing.T, file *bankfile.File, ps []world.Payment, delimited bool) {
	t.Helper()

	txs := byRef(t, file)
	errs := 0
	fail := func(format string, args ...any) {
		t.Helper()
		if errs++; errs <= 8 {
			t.Errorf(format, args...)
		}
	}

	cutNames, noAccount := 0, 0
	for _, p := range ps {
		tx, ok := txs[world.LockboxCheckNumber(p)]
		if !ok {
			fail("payment %s (check %s) not read back", p.Trace, world.LockboxCheckNumber(p))
			continue
		}

		name, account := fold(t, p.PayerName), p.PayerAccount
		if !delimited {
			name = cut(strings.ToUpper(name), 30)
			if _, acct, _ := strings.Cut(account, ":"); len(acct) > 10 {
				account = ""
				noAccount++
			}

			if len(p.PayerName) > 30 {
				cutNames++
			}
		}

		// The MICR account is zero-filled to its ten digits.
		routing, acct, _ := strings.Cut(tx.PayerAccount, ":")
		if got := routing + ":" + strings.TrimLeft(acct, "0"); !delimited && acct != "" {
			tx.PayerAccount = got
		}

		if tx.Amount != p.Amount || tx.PayerName != name || tx.PayerAccount != account ||
			!tx.ValueDate.Equal(p.ValueDate) || tx.Account != "0077301" {
			fail("%s: read %+v\nwant %s from %q %q", p.Trace, tx, p.Amount, name, account)
		}

		if !sameLockboxLines(t, tx, p, delimited) {
			fail("%s: invoice lines %+v, payment %q %+v", p.Trace, tx.Remits, p.Remittance,
				p.Remits)
		}
	}

	if !delimited && (cutNames == 0 || noAccount == 0) {
		t.Errorf("%d names cut and %d accounts left out: the widths were not tried", cutNames,
			noAccount)
	}
}

// sameLockboxLines checks the invoice lines of a check: one per structured
// line with its paid amount, or the words of the free text that name a
// document, in order; a single line without an amount is paid the check.
func sameLockboxLines(t *testing.T, tx bankfile.Transaction, p world.Payment,
	delimited bool) bool {
	t.Helper()

	if len(p.Remits) > 0 {
		if len(tx.Remits) != len(p.Remits) {
			return false
		}

		for i, r := range p.Remits {
			if tx.Remits[i].Ref != r.Ref || tx.Remits[i].Paid != r.Paid {
				return false
			}
		}

		return true
	}

	var keyed []string
	for _, r := range tx.Remits {
		if len(tx.Remits) == 1 && r.Paid != tx.Amount.Minor || len(tx.Remits) > 1 && r.Paid != 0 ||
			!delimited && len(r.Ref) > 30 {
			return false
		}

		keyed = append(keyed, r.Ref)
	}

	text := collapse(p.Remittance)
	if !strings.ContainsAny(text, "0123456789") {
		return len(keyed) == 0 // a memo without a document number is not keyed
	}

	if delimited {
		return len(keyed) == 1 && keyed[0] == text
	}

	// The text wrapped over lines: the lines without a digit are left out.
	joined := strings.Join(keyed, " ")
	for _, w := range strings.Fields(text) {
		if strings.ContainsAny(w, "0123456789") && !strings.Contains(joined, w) {
			return false
		}
	}

	return strings.Contains(text, keyed[0])
}

// TestWriteLockboxTotalsWithinWidths: checks whose amounts would take a batch
// or lockbox total beyond its ten digits of cents start a new lockbox total
// (60,000,000.00; 50,000,000.00 and 40,000,000.00; 99,999,999.99; the rest),
// and every total reconciles.
func TestWriteLockboxTotalsWithinWidths(t *testing.T) {
	t.Parallel()

	var ps []world.Payment
	for i, amount := range []int64{6_000_000_000, 5_000_000_000, 4_000_000_000, 9_999_999_999,
		1, 250} {
		p := usPayment("01120047000000"+string(rune('1'+i)), amount, "USD")
		ps = append(ps, p)
	}

	for _, delimited := range []bool{false, true} {
		data := writeLockbox(t, ps, world.LockboxOptions{Delimited: delimited})
		totals := bytes.Count(data, []byte("\n8"))
		if totals != 4 {
			t.Errorf("delimited %v: %d lockbox totals, want 4:\n%s", delimited, totals, data)
		}

		file := readBank(t, "big.lbx", data, bankfile.FormatLockbox, ps)
		if got := byRef(t, file)[world.LockboxCheckNumber(ps[3])]; got.Amount != ps[3].Amount {
			t.Errorf("largest check read as %s", got.Amount)
		}
	}
}

// TestWriteLockboxManyBatches: a lockbox total closes at most 999 batches, the
// width of a batch number, and the next one numbers its batches from 1.
func TestWriteLockboxManyBatches(t *testing.T) {
	t.Parallel()

	ps := make([]world.Payment, 1050)
	for i := range ps {
		ps[i] = usPayment(fmt.Sprintf("0112004700%05d", i), int64(100+i), "USD")
	}

	data := writeLockbox(t, ps, world.LockboxOptions{BatchSize: 1})
	if n := bytes.Count(data, []byte("\n8")); n != 2 {
		t.Errorf("%d lockbox totals, want 2", n)
	}

	if n := bytes.Count(data, []byte("\n5001")); n != 2 {
		t.Errorf("batch 001 opens %d times, want twice", n)
	}

	readBank(t, "batches.lbx", data, bankfile.FormatLockbox, ps)
}

func TestWriteLockboxRejectsAndRepeats(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		p    world.Payment
		want error
	}{
		{usPayment("011200470000001", 100, "EUR"), world.ErrCurrency},
		{usPayment("011200470000001", 10_000_000_000, "USD"), world.ErrAmount},
		{usPayment("011200470000001", 0, "USD"), world.ErrAmount},
	} {
		err := world.WriteLockbox(&bytes.Buffer{}, []world.Payment{tc.p}, world.LockboxOptions{})
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.p.Amount, err, tc.want)
		}
	}

	if err := world.WriteLockbox(&bytes.Buffer{}, nil,
		world.LockboxOptions{Lockbox: "12345678"}); err == nil {
		t.Error("an eight-digit lockbox number accepted")
	}

	f := usFixture(t, 85, 60)
	a := writeLockbox(t, f.payments, f.w.LockboxOptions())
	b := writeLockbox(t, f.payments, f.w.LockboxOptions())
	if !bytes.Equal(a, b) {
		t.Error("the same payments gave other bytes")
	}

	seen := map[string]bool{}
	for _, p := range f.payments {
		n := world.LockboxCheckNumber(p)
		if seen[n] || n[0] == '0' || len(n) > 10 {
			t.Errorf("check number %q of %s repeats, has a leading zero or is too long", n,
				p.Trace)
		}

		seen[n] = true
	}
}
