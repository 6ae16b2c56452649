package reconcile_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/o2c-dev/o2c/internal/reconcile"
	"github.com/o2c-dev/o2c/internal/world"
)

// bigFileSize is the number of payments per bank file of the big world.
const bigFileSize = 100_000

// TestBigWorld writes a world of about 1,000,000 open invoices and as many
// payments (invoices.csv, customers.csv and bank files of 100,000 payments
// each, alternating NACHA and camt.053) and reconciles it once. It runs only
// with O2C_BIG=1; O2C_BIG_DIR keeps the files in that directory for timing
// o2c reconcile under /usr/bin/time -v (see docs/performance.md), and
// O2C_BIG_CUSTOMERS scales the world (default 155,000 customers of 7 deals).
func TestBigWorld(t *testing.T) {
	if os.Getenv("O2C_BIG") != "1" {
		t.Skip("set O2C_BIG=1 to write and reconcile the 1,000,000-payment world")
	}

	customers := 155_000
	if s := os.Getenv("O2C_BIG_CUSTOMERS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("O2C_BIG_CUSTOMERS=%q: want a positive number", s)
		}

		customers = n
	}

	dir := os.Getenv("O2C_BIG_DIR")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}

	files, invoices, payments := writeBigWorld(t, dir, customers)
	t.Logf("wrote %d invoices, %d payments in %d bank files to %s", invoices, payments,
		len(files), dir)

	sum, err := reconcile.Run(context.Background(), reconcile.Options{
		InvoicesPath: filepath.Join(dir, "invoices.csv"), CustomersPath: filepath.Join(dir,
			"customers.csv"), OutDir: filepath.Join(dir, "out"), BankFiles: files,
		Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}

	if sum.Files.Rejected != 0 {
		t.Fatalf("%d generated files rejected", sum.Files.Rejected)
	}

	if sum.Transactions.Payments != payments {
		t.Fatalf("reconciled %d payments, wrote %d", sum.Transactions.Payments, payments)
	}
}

// writeBigWorld writes the big world's files into dir and returns the bank
// files, the number of invoices and the number of payments.
func writeBigWorld(tb testing.TB, dir string, customers int) ([]string, int, int) {
	tb.Helper()

	w := world.Generate(world.Config{Seed: 21, Customers: customers, DealsPerCustomer: 7})
	invoices := world.InvoicesFor(w, 1)
	ps := world.Pay(w, invoices, world.PayConfig{Seed: 22, Noise: true, Fraction: 1,
		Weights: world.DefaultWeights().Without(world.KindWrongCurrency)})

	writeFile(tb, dir, "invoices.csv", func(x io.Writer) error {
		return world.WriteInvoicesCSV(x, invoices)
	})
	writeFile(tb, dir, "customers.csv", func(x io.Writer) error {
		return world.WriteCustomersCSV(x, w.Customers)
	})

	var files []string
	for i := 0; i*bigFileSize < len(ps); i++ {
		part := ps[i*bigFileSize : min((i+1)*bigFileSize, len(ps))]
		var name string
		var fn func(io.Writer) error
		if i%2 == 0 {
			name = fmt.Sprintf("pay-%02d.ach", i)
			fn = func(x io.Writer) error { return world.WriteNACHA(x, part, w.NACHAOptions()) }
		} else {
			name = fmt.Sprintf("pay-%02d.xml", i)
			fn = func(x io.Writer) error { return world.WriteCAMT053(x, part, w.CAMTOptions()) }
		}

		files = append(files, writeFile(tb, dir, name, fn))
	}

	return files, len(invoices), len(ps)
}

// BenchmarkReconcileBig reconciles the world TestBigWorld left in O2C_BIG_DIR
// (invoices.csv, customers.csv and the pay-* bank files), for profiling the
// full-size run with -cpuprofile and -memprofile. It is skipped without
// O2C_BIG_DIR.
func BenchmarkReconcileBig(b *testing.B) {
	dir := os.Getenv("O2C_BIG_DIR")
	if dir == "" {
		b.Skip("set O2C_BIG_DIR to a directory written by TestBigWorld")
	}

	files, err := filepath.Glob(filepath.Join(dir, "pay-*"))
	if err != nil || len(files) == 0 {
		b.Skipf("no bank files in %s: %v", dir, err)
	}

	for b.Loop() {
		_, err := reconcile.Run(context.Background(), reconcile.Options{
			InvoicesPath: filepath.Join(dir, "invoices.csv"), CustomersPath: filepath.Join(dir,
				"customers.csv"), OutDir: filepath.Join(b.TempDir(), "out"), BankFiles: files,
			Stderr: io.Discard})
		if err != nil {
			b.Fatal(err)
		}
	}
}
