package world_test

import (
	"testing"

	"github.com/o2c-dev/o2c/internal/world"
)

// countingWriter counts the bytes written through it.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// BenchmarkGenerate100k generates a world of 10,000 customers and 130,000
// invoices, pays about 100,000 of them with noise and writes the payments as
// NACHA, camt.053, bank CSV, BAI2, MT940 and lockbox, and the invoices and
// customers as CSV. Bytes per operation are the bytes written.
func BenchmarkGenerate100k(b *testing.B) {
	b.ReportAllocs()

	var written int64
	payments := 0
	for b.Loop() {
		w := world.Generate(world.Config{Seed: 1, Customers: 10_000, DealsPerCustomer: 13})
		invs := world.InvoicesFor(w, 1)
		ps := world.Pay(w, invs, world.PayConfig{Seed: 2, Fraction: 0.8, Noise: true,
			Weights: world.DefaultWeights().Without(world.KindWrongCurrency)})
		payments = len(ps)

		c := &countingWriter{}
		steps := []func() error{
			func() error { return world.WriteNACHA(c, ps, w.NACHAOptions()) },
			func() error { return world.WriteCAMT053(c, ps, w.CAMTOptions()) },
			func() error { return world.WriteBankCSV(c, ps, world.CSVOptions{}) },
			func() error { return world.WriteBAI2(c, ps, w.BAI2Options()) },
			func() error { return world.WriteMT940(c, ps, w.MT940Options()) },
			func() error { return world.WriteLockbox(c, ps, w.LockboxOptions()) },
			func() error { return world.WriteInvoicesCSV(c, invs) },
			func() error { return world.WriteCustomersCSV(c, w.Customers) },
		}
		for _, step := range steps {
			if err := step(); err != nil {
				b.Fatal(err)
			}
		}

		written = c.n
	}

	b.SetBytes(written)
	b.ReportMetric(float64(payments), "payments/op")
}
