package reconcile_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/o2c-dev/o2c/internal/reconcile"
	"github.com/o2c-dev/o2c/internal/world"
)

// writeWorld writes a generated world's invoices, customers and NACHA and camt
// files paying them into dir, and returns the bank files and the payments' truth.
func writeWorld(tb testing.TB, dir string, customers, deals int) ([]string, []world.Payment) {
	tb.Helper()

	w := world.Generate(world.Config{Seed: 11, Customers: customers, DealsPerCustomer: deals})
	invoices := world.InvoicesFor(w, 1)
	ps := world.Pay(w, invoices, world.PayConfig{Seed: 12, Noise: true,
		Weights: world.DefaultWeights().Without(world.KindWrongCurrency)})

	write := func(name string, fn func(io.Writer) error) string {
		return writeFile(tb, dir, name, fn)
	}

	write("invoices.csv", func(x io.Writer) error { return world.WriteInvoicesCSV(x, invoices) })
	write("customers.csv", func(x io.Writer) error { return world.WriteCustomersCSV(x, w.Customers) })

	half := len(ps) / 2
	files := []string{
		write("pay.ach", func(x io.Writer) error {
			return world.WriteNACHA(x, ps[:half], w.NACHAOptions())
		}),
		write("pay.xml", func(x io.Writer) error {
			return world.WriteCAMT053(x, ps[half:], w.CAMTOptions())
		}),
	}

	return files, ps
}

func TestReconcileGeneratedWorldHasNoWrongApplication(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()
	files, ps := writeWorld(t, dir, 150, 4)
	out := filepath.Join(dir, "out")

	sum, err := reconcile.Run(context.Background(), reconcile.Options{
		InvoicesPath: filepath.Join(dir, "invoices.csv"), CustomersPath: filepath.Join(dir,
			"customers.csv"), OutDir: out, BankFiles: files, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}

	if sum.Files.Rejected != 0 {
		t.Fatalf("%d generated files rejected", sum.Files.Rejected)
	}

	// Truth per bank reference: which invoices the payment really pays.
	truth := map[string]map[string]bool{}
	mustNot := map[string]bool{}
	for _, p := range ps {
		truth[p.Trace] = map[string]bool{}
		for _, l := range p.Truth {
			truth[p.Trace][l.InvoiceNumber] = true
		}

		mustNot[p.Trace] = p.MustNotApply
	}

	f, err := os.Open(filepath.Join(out, "applications.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}

	applied := map[string]bool{}
	wrong := 0
	for _, r := range rows[1:] {
		ref, inv := r[1], r[6]
		applied[ref] = true

		if mustNot[ref] || !truth[ref][inv] {
			wrong++
			t.Errorf("payment %s applied to %s, truth %v, must-not-apply %v", ref, inv,
				truth[ref], mustNot[ref])
		}
	}

	matchable := 0
	for _, p := range ps {
		if !p.MustNotApply {
			matchable++
		}
	}

	hit := 0
	for ref := range applied {
		if !mustNot[ref] {
			hit++
		}
	}

	t.Logf("%d payments, %d matchable, %d auto-applied, %d wrong", len(ps), matchable, hit, wrong)

	if hit*100 < matchable*80 {
		t.Errorf("only %d of %d matchable payments applied", hit, matchable)
	}
}

// writeFile writes name in dir through a buffer with fn and returns its path.
func writeFile(tb testing.TB, dir, name string, fn func(io.Writer) error) string {
	tb.Helper()

	path := filepath.Join(dir, name)

	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}

	b := bufio.NewWriterSize(f, 1<<16)
	if err := fn(b); err != nil {
		tb.Fatal(err)
	}

	if err := b.Flush(); err != nil {
		tb.Fatal(err)
	}

	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}

	return path
}

// BenchmarkReconcile100k measures o2c reconcile (read, match, write) on a
// generated world of about 100,000 payments in a NACHA and a camt.053 file.
func BenchmarkReconcile100k(b *testing.B) {
	dir := b.TempDir()
	files, ps := writeWorld(b, dir, 20000, 7)

	var size int64
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			b.Fatal(err)
		}

		size += st.Size()
	}

	b.SetBytes(size)
	b.ResetTimer()

	for i := 0; i < b.N; i++ {
		_, err := reconcile.Run(context.Background(), reconcile.Options{
			InvoicesPath: filepath.Join(dir, "invoices.csv"), CustomersPath: filepath.Join(dir,
				"customers.csv"), OutDir: filepath.Join(dir, "out"), BankFiles: files,
			Stderr: io.Discard})
		if err != nil {
			b.Fatal(err)
		}
	}

	b.ReportMetric(float64(len(ps))*float64(b.N)/b.Elapsed().Seconds(), "payments/s")
}
