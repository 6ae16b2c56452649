package benchmark_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/benchmark"
	"github.com/o2c-dev/o2c/internal/reconcile"
	"github.com/o2c-dev/o2c/internal/world"
)

func small(dir string) benchmark.Config {
	return benchmark.Config{Seed: 7, Customers: 150, DealsPerCustomer: 5, Dir: dir}
}

// TestRunCountsAddUp runs the benchmark on a small world and checks the report
// against the payments themselves.
func TestRunCountsAddUp(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()
	rep, err := benchmark.Run(context.Background(), small(dir))
	if err != nil {
		t.Fatal(err)
	}

	w, err := benchmark.Generate(small(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}

	if len(w.BankFiles) != len(benchmark.Formats()) {
		t.Errorf("bank files %v, want one per format", w.BankFiles)
	}

	byKind := map[string]int{}
	mustNot := 0
	for _, p := range w.Payments {
		byKind[p.Kind]++
		if p.MustNotApply {
			mustNot++
		}
	}

	var sum benchmark.KindStat
	for _, k := range rep.Kinds {
		if k.Payments != byKind[k.Kind] || k.Matchable+k.MustNotApply != k.Payments ||
			k.CorrectApplications > k.Applications || k.Matched > k.Matchable ||
			k.Held > k.MustNotApply {
			t.Errorf("kind %+v, %d payments of it", k, byKind[k.Kind])
		}

		sum.Payments += k.Payments
		sum.Applications += k.Applications
		sum.Matched += k.Matched
	}

	o := rep.Overall
	if len(rep.Kinds) != len(world.Kinds()) || o.Payments != len(w.Payments) ||
		sum.Payments != o.Payments || sum.Applications != o.Applications ||
		sum.Matched != o.Matched || o.MustNotApply != mustNot {
		t.Errorf("overall %+v, sum of kinds %+v, %d payments, %d kinds", o, sum,
			len(w.Payments), len(rep.Kinds))
	}

	if o.AutoMatchRate == nil || *o.AutoMatchRate != float64(o.Matched)/float64(o.Matchable) {
		t.Errorf("auto-match rate %v of %d/%d", o.AutoMatchRate, o.Matched, o.Matchable)
	}

	// The same config gives the same report.
	again, err := benchmark.Run(context.Background(), small(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}

	if !reflect.DeepEqual(rep, again) {
		t.Error("the same config gave another report")
	}

	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}

	if lines := strings.Count(table.String(), "\n"); lines != len(rep.Kinds)+2 {
		t.Errorf("table of %d lines:\n%s", lines, table.String())
	}

	t.Logf("\n%s", table.String())
}

// TestWrongApplicationLowersPrecision adds a wrong row to applications.csv and
// takes a right one away, and sees the scores fall.
func TestWrongApplicationLowersPrecision(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	w, err := benchmark.Generate(small(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}

	_, err = reconcile.Run(ctx, reconcile.Options{InvoicesPath: w.InvoicesPath,
		CustomersPath: w.CustomersPath, OutDir: w.OutDir, BankFiles: []string{w.BankDir}})
	if err != nil {
		t.Fatal(err)
	}

	before, err := benchmark.Evaluate(w.Payments, w.OutDir)
	if err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(w.OutDir, reconcile.ApplicationsFile)
	rows := readCSV(t, path)
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}

	// A clean payment that was applied right: apply it to another invoice
	// too, and apply a held must-not-apply payment.
	var clean, held *world.Payment
	applied := map[string]bool{}
	for _, r := range rows[1:] {
		applied[r[col["bank_reference"]]] = true
	}

	for i := range w.Payments {
		p := &w.Payments[i]
		switch {
		case clean == nil && p.Kind == world.KindClean && applied[p.Trace]:
			clean = p
		case held == nil && p.MustNotApply && !applied[p.Trace] && p.Amount.Currency == "USD":
			held = p
		}
	}

	if clean == nil || held == nil {
		t.Fatal("no applied clean payment or held must-not-apply payment")
	}

	var extra []string
	for _, r := range rows[1:] {
		if r[col["bank_reference"]] == clean.Trace {
			wrong := append([]string(nil), r...)
			wrong[col["invoice_number"]] = "INV-999999"
			extra = append(extra, strings.Join(wrong, ","))
			moved := append([]string(nil), r...)
			moved[col["bank_reference"]] = held.Trace
			extra = append(extra, strings.Join(moved, ","))

			break
		}
	}

	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := f.WriteString(strings.Join(extra, "\n") + "\n"); err != nil {
		t.Fatal(err)
	}

	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	after, err := benchmark.Evaluate(w.Payments, w.OutDir)
	if err != nil {
		t.Fatal(err)
	}

	b, a := before.Overall, after.Overall
	if a.Applications != b.Applications+2 || a.CorrectApplications != b.CorrectApplications ||
		*a.Precision >= *b.Precision || a.Matched != b.Matched-1 || a.Held != b.Held-1 ||
		*a.HeldRate >= 1 || *a.AmountPrecision >= *b.AmountPrecision {
		t.Errorf("before %+v\nafter %+v", b, a)
	}

	// A payment in neither output breaks the join.
	lost := append([]world.Payment(nil), w.Payments...)
	lost[0].Trace = "000000000000000"
	if _, err := benchmark.Evaluate(lost, w.OutDir); !errors.Is(err, benchmark.ErrJoin) {
		t.Errorf("Evaluate with a lost payment: %v, want ErrJoin", err)
	}
}

// TestEveryFormatScored: the payments are dealt to every format, US-dollar
// only formats get US dollars only, each payment joins its outputs by the
// reference its file carries, and the scores per format add up to the
// overall one.
func TestEveryFormatScored(t *testing.T) {
	t.Parallel()

	w, err := benchmark.Generate(small(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}

	count := map[string]int{}
	for i, p := range w.Payments {
		f := w.PaymentFormats[i]
		count[f]++
		if (f == benchmark.FormatNACHA || f == benchmark.FormatLockbox) &&
			p.Amount.Currency != "USD" {
			t.Errorf("%s payment in %s", p.Amount.Currency, f)
		}

		lockbox := f == benchmark.FormatLockbox
		if lockbox != (len(p.Trace) == 8) || !lockbox && len(p.Trace) != 15 {
			t.Errorf("%s payment joined by %q", f, p.Trace)
		}
	}

	for _, f := range benchmark.Formats() {
		if count[f] < len(w.Payments)/len(benchmark.Formats())/2 {
			t.Errorf("%d of %d payments in %s", count[f], len(w.Payments), f)
		}
	}

	rep, err := benchmark.Run(context.Background(), small(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}

	if len(rep.ByFormat) != len(benchmark.Formats()) {
		t.Fatalf("%d formats scored", len(rep.ByFormat))
	}

	var sum benchmark.KindStat
	for i, f := range rep.ByFormat {
		o := f.Overall
		if f.Format != benchmark.Formats()[i] || o.Payments != count[f.Format] {
			t.Errorf("format %s: %d payments, %d dealt", f.Format, o.Payments, count[f.Format])
		}

		sum.Payments += o.Payments
		sum.Matched += o.Matched
		sum.Held += o.Held
		sum.Applications += o.Applications
	}

	o := rep.Overall
	if sum.Payments != o.Payments || sum.Matched != o.Matched || sum.Held != o.Held ||
		sum.Applications != o.Applications {
		t.Errorf("formats add up to %+v, overall %+v", sum, o)
	}

	var table bytes.Buffer
	if err := rep.WriteFormatTable(&table); err != nil {
		t.Fatal(err)
	}

	want := 1 + len(rep.ByFormat) + 1 + 1 + len(rep.Kinds)
	if lines := strings.Count(table.String(), "\n"); lines != want {
		t.Errorf("format table of %d lines, want %d:\n%s", lines, want, table.String())
	}

	t.Logf("\n%s", table.String())
}

func TestRunRejectsBadConfig(t *testing.T) {
	t.Parallel()

	for _, cfg := range []benchmark.Config{
		{},
		{Dir: t.TempDir(), Formats: []string{"qif"}},
	} {
		if _, err := benchmark.Run(context.Background(), cfg); !errors.Is(err,
			benchmark.ErrConfig) {
			t.Errorf("Run(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}

	return rows
}
