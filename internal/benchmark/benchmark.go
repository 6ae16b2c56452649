// Package benchmark measures o2c's cash application on a labelled world: it
// generates customers, invoices and payments with internal/world, writes the
// payments as real bank files in every supported format, runs the offline
// reconciliation (package reconcile, the one matching engine) over them and
// scores its applications against the payments' truth, per kind of payment
// and overall.
package benchmark

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/reconcile"
	"github.com/o2c-dev/o2c/internal/world"
)

// Bank file formats the benchmark writes.
const (
	FormatNACHA   = "nacha"       // NACHA CCD+ and CTX entries
	FormatCAMT02  = "camt.053.02" // camt.053.001.02
	FormatCAMT08  = "camt.053.08" // camt.053.001.08
	FormatBankCSV = "csv"         // bank account CSV export
	FormatBAI2    = "bai2"        // BAI2 prior-day report
	FormatMT940   = "mt940"       // SWIFT MT940 statements, German and Dutch :86:
	FormatLockbox = "lockbox"     // BAI lockbox transmission, fixed-width
)

// Formats returns every format the benchmark writes, in a fixed order.
func Formats() []string {
	return []string{FormatNACHA, FormatCAMT02, FormatCAMT08, FormatBankCSV, FormatBAI2,
		FormatMT940, FormatLockbox}
}

// usdOnly reports the formats that carry US dollars only.
func usdOnly(format string) bool {
	return format == FormatNACHA || format == FormatLockbox
}

// TruthFile is the file under Config.Dir that lists every payment's truth:
// one row per payment and invoice it pays, or one row without an invoice for
// a payment that must not apply.
const TruthFile = "truth.csv"

// TruthHeader is the header row of TruthFile.
var TruthHeader = []string{
	"bank_reference", "kind", "must_not_apply", "amount", "currency", "invoice_number",
	"applied_amount", "discount_amount", "writeoff_amount",
}

// Defaults of Config.
const (
	DefaultSeed      = 1
	DefaultCustomers = 10000
	DefaultDeals     = 5
)

// ErrConfig reports a configuration Run cannot work with.
var ErrConfig = errors.New("invalid benchmark config")

// ErrJoin reports payments the reconciliation outputs do not account for, or
// output rows that belong to no payment: the score would be meaningless.
var ErrJoin = errors.New("outputs do not join the payments")

// Config describes the world to generate and where to write it.
type Config struct {
	// Seed seeds the world and its payments. Zero means DefaultSeed.
	Seed int64
	// Customers is the number of customers. Zero means DefaultCustomers.
	Customers int
	// DealsPerCustomer is the number of invoices of each customer. Zero means
	// DefaultDeals.
	DealsPerCustomer int
	// Formats are the bank file formats; the payments are dealt to them in
	// turn (NACHA and lockbox carry US dollars only, so other currencies go to
	// the next format). Empty means Formats().
	Formats []string
	// Weights is the mix of payment kinds. Nil means world.BenchmarkWeights().
	Weights world.Weights
	// Dir is where the world's files and the reconciliation outputs are
	// written. Required.
	Dir string
}

func (c Config) withDefaults() (Config, error) {
	if c.Dir == "" {
		return c, fmt.Errorf("%w: no directory", ErrConfig)
	}

	if c.Seed == 0 {
		c.Seed = DefaultSeed
	}

	if c.Customers <= 0 {
		c.Customers = DefaultCustomers
	}

	if c.DealsPerCustomer <= 0 {
		c.DealsPerCustomer = DefaultDeals
	}

	if len(c.Formats) == 0 {
		c.Formats = Formats()
	}

	for _, f := range c.Formats {
		if !slices.Contains(Formats(), f) {
			return c, fmt.Errorf("%w: unknown format %q", ErrConfig, f)
		}
	}

	if c.Weights == nil {
		c.Weights = world.BenchmarkWeights()
	}

	return c, nil
}

// World is a generated benchmark world written to disk.
type World struct {
	Config Config // the configuration, defaults filled in
	// Payments is every payment with its truth. Trace is the bank reference
	// the payment's bank file carries, which joins it to the outputs: the
	// writer's trace, or for lockbox the check number
	// (world.LockboxCheckNumber).
	Payments []world.Payment
	// PaymentFormats is the format of each payment's bank file, by index of
	// Payments.
	PaymentFormats []string
	InvoicesPath   string   // invoices.csv
	CustomersPath  string   // customers.csv
	BankDir        string   // the directory holding the bank files
	BankFiles      []string // the bank files, one per format with payments
	OutDir         string   // where reconciliation writes its outputs
}

// Generate generates the world of cfg and writes its customers, invoices and
// bank files under cfg.Dir.
func Generate(cfg Config) (*World, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}

	w := world.Generate(world.Config{
		Seed: cfg.Seed, Customers: cfg.Customers, DealsPerCustomer: cfg.DealsPerCustomer,
	})
	invoices := world.BenchmarkInvoices(world.InvoicesFor(w, 1), cfg.Seed)
	ps := world.Pay(w, invoices, world.PayConfig{
		Seed: cfg.Seed + 1, Noise: true, Weights: cfg.Weights,
	})

	bw := &World{
		Config:        cfg,
		InvoicesPath:  filepath.Join(cfg.Dir, "invoices.csv"),
		CustomersPath: filepath.Join(cfg.Dir, "customers.csv"),
		BankDir:       filepath.Join(cfg.Dir, "bank"),
		OutDir:        filepath.Join(cfg.Dir, "out"),
	}

	if err := os.MkdirAll(bw.BankDir, 0o755); err != nil {
		return nil, fmt.Errorf("create bank directory: %w", err)
	}

	err = writeFile(bw.InvoicesPath, func(x io.Writer) error {
		return world.WriteInvoicesCSV(x, invoices)
	})
	if err != nil {
		return nil, err
	}

	err = writeFile(bw.CustomersPath, func(x io.Writer) error {
		return world.WriteCustomersCSV(x, w.Customers)
	})
	if err != nil {
		return nil, err
	}

	dealt := deal(ps, cfg.Formats)
	for i, members := range dealt {
		if len(members) == 0 {
			continue
		}

		group := make([]world.Payment, len(members))
		for k, j := range members {
			group[k] = ps[j]
		}

		path, err := writeBank(bw.BankDir, i, cfg.Formats[i], w, group)
		if err != nil {
			return nil, err
		}

		bw.BankFiles = append(bw.BankFiles, path)
	}

	bw.Payments, bw.PaymentFormats = joinable(ps, dealt, cfg.Formats)
	err = writeFile(filepath.Join(cfg.Dir, TruthFile), func(x io.Writer) error {
		return writeTruth(x, bw.Payments)
	})
	if err != nil {
		return nil, err
	}

	return bw, nil
}

// deal hands the payments to the formats in turn, passing payments a
// US-dollar-only format cannot carry to the next format. It returns the
// indexes of each format's payments.
func deal(ps []world.Payment, formats []string) [][]int32 {
	out := make([][]int32, len(formats))
	for i, p := range ps {
		k := i % len(formats)
		for try := 0; try < len(formats); try++ {
			if !usdOnly(formats[k]) || p.Amount.Currency == "USD" {
				break
			}

			k = (k + 1) % len(formats)
		}

		out[k] = append(out[k], int32(i))
	}

	return out
}

// joinable returns the payments with Trace set to the bank reference their
// bank file carries, and the format of each.
func joinable(ps []world.Payment, dealt [][]int32, formats []string) ([]world.Payment,
	[]string) {
	out := slices.Clone(ps)
	of := make([]string, len(ps))
	for k, members := range dealt {
		for _, i := range members {
			of[i] = formats[k]
			out[i].Trace = bankRef(formats[k], ps[i])
		}
	}

	return out, of
}

// bankRef is the bank reference the writer of format gives p, as its reader
// returns it.
func bankRef(format string, p world.Payment) string {
	if format == FormatLockbox {
		return world.LockboxCheckNumber(p)
	}

	return p.Trace
}

// writeBank writes one bank file of format and returns its path.
func writeBank(dir string, i int, format string, w *world.World, ps []world.Payment) (string,
	error) {
	var name string
	var fn func(io.Writer) error
	switch format {
	case FormatNACHA:
		name = "payments.ach"
		fn = func(x io.Writer) error { return world.WriteNACHA(x, ps, w.NACHAOptions()) }
	case FormatCAMT02, FormatCAMT08:
		o := w.CAMTOptions()
		o.Version = world.CAMT02
		if format == FormatCAMT08 {
			o.Version = world.CAMT08
		}

		name = "statement-" + strings.TrimPrefix(format, "camt.053.") + ".xml"
		fn = func(x io.Writer) error { return world.WriteCAMT053(x, ps, o) }
	case FormatBAI2:
		name = "prior-day.bai2"
		fn = func(x io.Writer) error { return world.WriteBAI2(x, ps, w.BAI2Options()) }
	case FormatMT940:
		name = "statement.sta"
		fn = func(x io.Writer) error { return world.WriteMT940(x, ps, w.MT940Options()) }
	case FormatLockbox:
		name = "lockbox.txt"
		fn = func(x io.Writer) error { return world.WriteLockbox(x, ps, w.LockboxOptions()) }
	default:
		name = "export.csv"
		fn = func(x io.Writer) error { return world.WriteBankCSV(x, ps, world.CSVOptions{}) }
	}

	path := filepath.Join(dir, fmt.Sprintf("%d-%s", i+1, name))

	return path, writeFile(path, fn)
}

func writeFile(path string, fn func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", filepath.Base(path), err)
	}

	b := bufio.NewWriterSize(f, 1<<16)
	if err := fn(b); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}

	if err := b.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}

	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}

	return nil
}

// writeTruth writes the truth of ps as CSV, amounts as decimals.
func writeTruth(w io.Writer, ps []world.Payment) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(TruthHeader); err != nil {
		return err
	}

	for _, p := range ps {
		exp, err := money.Exponent(p.Amount.Currency)
		if err != nil {
			return err
		}

		row := []string{p.Trace, p.Kind, strconv.FormatBool(p.MustNotApply),
			money.FormatMinor(p.Amount.Minor, exp), p.Amount.Currency, "", "", "", ""}
		if len(p.Truth) == 0 {
			if err := cw.Write(row); err != nil {
				return err
			}
		}

		for _, l := range p.Truth {
			row[5], row[6] = l.InvoiceNumber, money.FormatMinor(l.Amount, exp)
			row[7], row[8] = money.FormatMinor(l.Discount, exp), money.FormatMinor(l.WriteOff, exp)
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}

	cw.Flush()

	return cw.Error()
}

// Run generates the world of cfg, reconciles it with reconcile.Run and scores
// the outputs against the truth. The report is the same for the same config
// and engine.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	w, err := Generate(cfg)
	if err != nil {
		return nil, err
	}

	sum, err := reconcile.Run(ctx, reconcile.Options{
		InvoicesPath: w.InvoicesPath, CustomersPath: w.CustomersPath, OutDir: w.OutDir,
		BankFiles: []string{w.BankDir},
	})
	if err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}

	if sum.Files.Rejected > 0 {
		return nil, fmt.Errorf("reconcile: %w: %d bank files rejected", ErrJoin,
			sum.Files.Rejected)
	}

	rep, apps, err := evaluate(w.Payments, w.OutDir)
	if err != nil {
		return nil, err
	}

	rep.ByFormat = scoreFormats(w.Payments, w.PaymentFormats, w.Config.Formats, apps)

	rep.Seed, rep.Customers, rep.Deals = w.Config.Seed, w.Config.Customers,
		w.Config.DealsPerCustomer
	rep.Formats = w.Config.Formats

	return rep, nil
}

// Application is one row of applications.csv: a payment applied to an
// invoice.
type Application struct {
	BankRef  string
	Invoice  string
	Amount   int64 // applied amount in minor units
	Currency string
}

// Evaluate reads the applications.csv and exceptions.csv that reconcile wrote
// to outDir and scores them against the payments' truth.
func Evaluate(ps []world.Payment, outDir string) (*Report, error) {
	rep, _, err := evaluate(ps, outDir)
	return rep, err
}

// evaluate is Evaluate that also returns the applications it read.
func evaluate(ps []world.Payment, outDir string) (*Report, []Application, error) {
	apps, err := readApplications(filepath.Join(outDir, reconcile.ApplicationsFile))
	if err != nil {
		return nil, nil, err
	}

	held, err := readHeld(filepath.Join(outDir, reconcile.ExceptionsFile))
	if err != nil {
		return nil, nil, err
	}

	rep, err := Score(ps, apps, held)

	return rep, apps, err
}

// readApplications reads applications.csv by its header's column names.
func readApplications(path string) ([]Application, error) {
	rows, col, err := readTable(path, "bank_reference", "invoice_number", "applied_amount",
		"currency")
	if err != nil {
		return nil, fmt.Errorf("read applications: %w", err)
	}

	out := make([]Application, 0, len(rows))
	for i, r := range rows {
		ccy := r[col["currency"]]
		exp, err := money.Exponent(ccy)
		if err != nil {
			return nil, fmt.Errorf("read applications: row %d: %w", i+2, err)
		}

		amt, err := money.ParseMinor(r[col["applied_amount"]], exp)
		if err != nil {
			return nil, fmt.Errorf("read applications: row %d: %w", i+2, err)
		}

		out = append(out, Application{
			BankRef: r[col["bank_reference"]], Invoice: r[col["invoice_number"]], Amount: amt,
			Currency: ccy,
		})
	}

	return out, nil
}

// readHeld returns the bank references of exceptions.csv.
func readHeld(path string) (map[string]bool, error) {
	rows, col, err := readTable(path, "bank_reference")
	if err != nil {
		return nil, fmt.Errorf("read exceptions: %w", err)
	}

	out := make(map[string]bool, len(rows))
	for _, r := range rows {
		out[r[col["bank_reference"]]] = true
	}

	return out, nil
}

// readTable reads a CSV file with a header row and checks it has the columns.
func readTable(path string, columns ...string) ([][]string, map[string]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()

	rows, err := csv.NewReader(bufio.NewReaderSize(f, 1<<16)).ReadAll()
	if err != nil {
		return nil, nil, err
	}

	if len(rows) == 0 {
		return nil, nil, fmt.Errorf("%s: no header", filepath.Base(path))
	}

	col := make(map[string]int, len(rows[0]))
	for i, name := range rows[0] {
		col[name] = i
	}

	for _, c := range columns {
		if _, ok := col[c]; !ok {
			return nil, nil, fmt.Errorf("%s: no column %s", filepath.Base(path), c)
		}
	}

	return rows[1:], col, nil
}
