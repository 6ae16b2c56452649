// Package reconcile is o2c's offline main job: it reads customers and open
// invoices from CSV files and bank files of any supported format, runs every
// incoming payment through the matching engine and writes what was applied, what
// was held and a summary to an output directory. It needs no database and no
// network.
//
// Outputs, all UTF-8 CSV with a header row, amounts as plain decimals in the
// currency's minor digits and dates as YYYY-MM-DD:
//
//   - applications.csv: one row per payment and invoice it was applied to. A
//     return or reversal that takes back an applied payment adds, for each of
//     its applications, an undo row: the return's own payment id, bank
//     reference and date, the same invoice and the amounts negated, rule
//     "return" or "reversal". The first rows stay, as in a journal: the sum of
//     applied_amount per invoice is what stays applied.
//   - exceptions.csv: one row per payment, or rest of a payment, sent to the
//     exception queue, with its reason and candidate invoices best first; and
//     one row per return or reversal: returned (its payment was undone, the
//     candidates are the invoices open again: follow up with the customer),
//     reversal_unverified (the file does not let o2c trust it, such as a
//     reversal sign no balance confirms, or a dishonored return: nothing
//     undone) or return_unmatched (no single payment of the run fits it:
//     nothing undone).
//   - reversals.csv: one row per return or reversal with its outcome (undone,
//     held or no_cash), the payment it undid and a sentence saying why.
//   - summary.json: counts and totals: files read and rejected (with every
//     problem), transactions by kind, duplicates skipped, payments applied and
//     held, returns and reversals by outcome, amounts applied, undone and net
//     per currency and exceptions by reason.
//
// Returns and reversals follow the rule of package reversal, as the ingest
// pipeline does: those of a file are handled after its payments, and find their
// payment in the same file or an earlier one of the run.
package reconcile

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"strconv"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/connectors/erp/csvfile"
	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/matching"
	"github.com/o2c-dev/o2c/internal/reversal"
)

// Output file names inside Options.OutDir.
const (
	ApplicationsFile = "applications.csv"
	ExceptionsFile   = "exceptions.csv"
	SummaryFile      = "summary.json"
)

// ApplicationsHeader is the header row of applications.csv.
var ApplicationsHeader = []string{
	"payment_id", "bank_reference", "value_date", "payer_name", "payment_amount", "currency",
	"invoice_number", "applied_amount", "discount_amount", "writeoff_amount", "rule",
	"confidence",
}

// ExceptionsHeader is the header row of exceptions.csv.
var ExceptionsHeader = []string{
	"payment_id", "bank_reference", "value_date", "payer_name", "amount", "currency", "reason",
	"candidates",
}

// ErrOptions reports options Run cannot work with.
var ErrOptions = errors.New("invalid options")

// memoryLimit is the soft heap limit Run sets while it runs when the program has
// set none (GOMEMLIMIT or debug.SetMemoryLimit): a million open invoices and the
// bank files in flight need about 1.2 GiB live, and without a limit the
// collector lets the heap grow to twice that before it runs.
const memoryLimit = 1300 << 20

// maxListed caps the problems and warnings listed per file in summary.json.
const maxListed = 100

// Options says what to reconcile and where to write the results.
type Options struct {
	// InvoicesPath is the invoices.csv file (see package csvfile). Required.
	InvoicesPath string
	// CustomersPath is the customers.csv file. When empty, customers are known only
	// by the id and name on their invoices.
	CustomersPath string
	// OutDir is where the output files are written; it is created if missing.
	// Required.
	OutDir string
	// BankFiles are bank files or directories; directories are walked recursively,
	// skipping names that start with a dot. All files found are read in sorted
	// path order, whatever the order given.
	BankFiles []string
	// Rules are the matching rules. Defaults to matching.DefaultRules() when every
	// field is zero.
	Rules matching.Rules
	// Stderr receives one report per bank file and every problem of a rejected
	// file. Defaults to io.Discard.
	Stderr io.Writer
}

// Run reconciles the bank files against the invoices and writes the outputs. It
// returns an error only when it cannot work at all: bad options, an unreadable or
// invalid invoices or customers file, an output it cannot write, or ctx ending.
// A bank file that cannot be read is reported and skipped. The outputs appear
// only when Run succeeds.
func Run(ctx context.Context, opts Options) (*Summary, error) {
	if opts.InvoicesPath == "" {
		return nil, fmt.Errorf("%w: no invoices file", ErrOptions)
	}

	if opts.OutDir == "" {
		return nil, fmt.Errorf("%w: no output directory", ErrOptions)
	}

	if reflect.ValueOf(opts.Rules).IsZero() {
		opts.Rules = matching.DefaultRules()
	}

	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}

	if debug.SetMemoryLimit(-1) == math.MaxInt64 {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(memoryLimit))
	}

	// The first bank files are parsed while the invoices are read and indexed.
	paths, missing := collect(opts.BankFiles)
	names := uniqueNames(paths)
	pctx, stop := context.WithCancel(ctx)
	parsed := parseFiles(pctx, paths, names, parseAhead)
	defer func() {
		stop()
		for range parsed {
			// drain, so every parser has ended when Run returns
		}
	}()

	// The customers are read and indexed while the invoices are read.
	read := make(chan invoicesRead, 1)
	go func() {
		invoices, err := readCSV(opts.InvoicesPath, csvfile.ReadInvoices)
		read <- invoicesRead{invoices, err}
	}()

	var customers []billing.Customer
	var custErr error
	if opts.CustomersPath != "" {
		customers, custErr = readCSV(opts.CustomersPath, csvfile.ReadCustomers)
	}

	var build *matching.Builder
	if custErr == nil {
		build = matching.NewBuilder(customers, opts.Rules)
	}

	inv := <-read
	if inv.err != nil {
		return nil, fmt.Errorf("read invoices: %w", inv.err)
	}

	if custErr != nil {
		return nil, fmt.Errorf("read customers: %w", custErr)
	}

	out, err := createOutputs(opts.OutDir)
	if err != nil {
		return nil, err
	}
	defer out.discard()

	invoices := inv.invoices
	engine := build.Engine(invoices)
	// The outputs hold no traces: skip building them.
	engine.SetTrace(false)
	r := &run{
		opts:   opts,
		engine: engine,
		rec:    newRecorder(out),
		sum:    newSummary(len(customers), len(invoices)),
		hashes: make(map[fileHash]string),
		names:  names,
		paid:   newPaidIndex(),
	}
	defer r.rec.close()

	for _, m := range missing {
		r.rejectFile(m.name, "", []string{m.name + ": " + m.err.Error()})
	}

	for pf := range parsed {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("reconcile: %w", err)
		}

		if err := r.file(ctx, pf); err != nil {
			return nil, err
		}
	}

	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}

	if err := r.rec.close(); err != nil {
		return nil, err
	}

	r.sum.finish()
	if err := out.commit(r.sum); err != nil {
		return nil, err
	}

	return r.sum, nil
}

// invoicesRead is the result of reading the invoices file.
type invoicesRead struct {
	invoices []billing.Invoice
	err      error
}

// readCSV opens path and reads it with read under its base name.
func readCSV[T any](path string, read func(string, io.Reader) ([]T, error)) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	return read(filepath.Base(path), bufio.NewReaderSize(f, 1<<16))
}

// missingPath is a bank file argument that could not be listed.
type missingPath struct {
	name string
	err  error
}

// collect expands the bank file arguments into a sorted list of file paths.
func collect(args []string) ([]string, []missingPath) {
	paths, unlisted := bank.List(args)

	missing := make([]missingPath, len(unlisted))
	for i, u := range unlisted {
		missing[i] = missingPath{name: filepath.Base(u.Path), err: unwrapPath(u.Err)}
	}

	return paths, missing
}

// unwrapPath drops the machine path from a file-system error.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}

	return err
}

// run is the state of one reconciliation.
type run struct {
	opts   Options
	engine *matching.Engine
	rec    *recorder
	sum    *Summary
	hashes map[fileHash]string // content hash → name of the first file with it
	names  []string            // unique names of the bank files, by index
	paid   *paidIndex          // the payments matched so far, for returns to find
	// returns are the returns and reversals of the file being matched.
	returns []pendingReturn
}

// parseAhead is how many bank files are read and parsed ahead of the one being
// matched: two, so that the parsing keeps the second core busy while the
// invoices are read and indexed, and a file slow to parse (camt) after one
// quick to match does not stall the matching. Every file in flight costs its
// size in memory.
const parseAhead = 2

// parsedFile is a bank file read and parsed ahead of matching.
type parsedFile struct {
	index int // among the run's bank files
	name  string
	hash  fileHash
	file  *bankfile.File
	err   error // reading or parsing failed; file is nil
	// dup marks the transactions whose dedupe key an earlier file of the run
	// that was read (not rejected) had.
	dup []bool
}

// parseFiles reads and parses the bank files, one after the other in path
// order, on a goroutine of its own while the caller matches, and delivers them
// on the returned channel, which it closes after the last file or when ctx
// ends. At most ahead files are read ahead of the one the caller has, so memory
// stays bounded by a few files whatever their number. Before a file is
// delivered, its transactions are checked against the dedupe keys of the files
// delivered before it (see parsedFile.dup).
func parseFiles(ctx context.Context, paths, names []string, ahead int) <-chan parsedFile {
	out := make(chan parsedFile, ahead-1)
	go func() {
		defer close(out)

		hash := newFileHasher()
		var seen keySet
		for i, p := range paths {
			if ctx.Err() != nil {
				return
			}

			pf := parseFile(p, names[i], hash)
			pf.index = i
			if pf.err == nil {
				pf.dup = markDuplicates(&seen, pf.file.Transactions)
			}

			select {
			case out <- pf:
			case <-ctx.Done():
				return
			}
		}
	}()

	return out
}

// markDuplicates reports which transactions have a dedupe key in seen, then
// adds the keys of all of them to seen. Keys repeated within the file are not
// duplicates: a file counts each of its transactions.
func markDuplicates(seen *keySet, txs []bankfile.Transaction) []bool {
	dup := make([]bool, len(txs))
	for i := range txs {
		if k := txs[i].DedupeKey; k != "" {
			dup[i] = seen.has(k)
		}
	}

	for i := range txs {
		if k := txs[i].DedupeKey; k != "" && !dup[i] {
			seen.add(k)
		}
	}

	return dup
}

// parseFile reads and parses one bank file under its unique name.
func parseFile(path, name string, hash fileHasher) parsedFile {
	data, err := readLimited(path)
	if err != nil {
		return parsedFile{name: name, err: unwrapPath(err)}
	}

	f, err := bank.Read(name, data)

	return parsedFile{name: name, hash: hash.sum(data), file: f, err: err}
}

// fileHash tells files of the same content apart from others: a 128-bit hash,
// of which two files of different content share one with a probability of
// about 2^-128. It is only reported (FileReport.SameAs); the transactions of a
// file are checked for duplicates one by one.
type fileHash [2]uint64

// fileHasher computes fileHashes with the seeds of one run.
type fileHasher [2]maphash.Seed

func newFileHasher() fileHasher {
	return fileHasher{maphash.MakeSeed(), maphash.MakeSeed()}
}

func (h fileHasher) sum(data []byte) fileHash {
	return fileHash{maphash.Bytes(h[0], data), maphash.Bytes(h[1], data)}
}

// file matches the payments of one parsed bank file, or reports why it was
// rejected.
func (r *run) file(ctx context.Context, pf parsedFile) error {
	name, f, err := pf.name, pf.file, pf.err
	if err != nil {
		var be *bankfile.Error
		if !errors.As(err, &be) {
			r.rejectFile(name, "", []string{name + ": " + err.Error()})
			return nil
		}

		problems := make([]string, 0, len(be.Problems))
		for _, p := range be.Problems {
			problems = append(problems, p.Error())
		}

		r.rejectFile(name, string(be.Format), problems)

		return nil
	}

	rep := FileReport{File: name, Format: string(f.Format), Status: StatusRead,
		Controls: string(f.Controls)}
	if first, ok := r.hashes[pf.hash]; ok {
		rep.SameAs = first
	} else {
		r.hashes[pf.hash] = name
	}

	for _, w := range f.Warnings {
		rep.Warnings = append(rep.Warnings, w.Error())
	}

	r.paid.reserve(f.Transactions)

	for i := range f.Transactions {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("reconcile: %w", err)
			}

			if err := r.rec.failed(); err != nil {
				return err
			}
		}

		t := &f.Transactions[i]
		rep.Transactions++
		if pf.dup[i] {
			rep.Duplicates++
			continue
		}

		seq := t.Seq
		if seq == 0 {
			seq = i + 1
		}

		if !r.classify(t) {
			if reversal.Is(t) {
				rep.Returns++
				r.returns = append(r.returns, pendingReturn{t: t,
					id: name + "#" + strconv.Itoa(seq)})
			}

			continue
		}

		rep.Payments++
		p := matching.PaymentFrom(name+"#"+strconv.Itoa(seq), *t)
		d := r.engine.Match(p)
		r.sum.addDecision(p.Amount.Currency, d)
		r.paid.add(pf.index, seq, t, d.Applications)
		r.rec.put(decision{id: p.ID, bankRef: t.BankRef, valueDate: p.ValueDate,
			payer: p.PayerName, amount: p.Amount, apps: d.Applications, exception: d.Exception})
	}

	// Returns and reversals come after the file's payments, which they may take
	// back, as in the ingest pipeline.
	for _, pr := range r.returns {
		r.reversal(pr)
	}

	clear(r.returns)
	r.returns = r.returns[:0]

	r.sum.addFile(rep)
	r.report(rep)

	return nil
}

// classify files a transaction under its kind and reports whether it is a payment
// to match: a credit of KindPayment.
func (r *run) classify(t *bankfile.Transaction) bool {
	c := &r.sum.Transactions
	switch {
	case t.Kind == bankfile.KindReturn:
		c.Returns++
	case t.Kind == bankfile.KindReversal:
		c.Reversals++
	case t.Kind == bankfile.KindNotice:
		c.Notices++
	case t.Kind == bankfile.KindCharge:
		c.Charges++
	case t.Direction != bankfile.Credit:
		c.Debits++
	case t.Kind == bankfile.KindPayment:
		c.Payments++
		return true
	default:
		c.Other++
	}

	return false
}

// uniqueNames returns the files' base names, each made base~N when an earlier
// file of the run had the same base name, so payment ids stay unique.
func uniqueNames(paths []string) []string {
	seen := make(map[string]int, len(paths))
	out := make([]string, len(paths))
	for i, p := range paths {
		base := filepath.Base(p)
		seen[base]++
		out[i] = base
		if n := seen[base]; n > 1 {
			out[i] = base + "~" + strconv.Itoa(n)
		}
	}

	return out
}

// readLimited reads a bank file of at most bank.MaxFileSize bytes into a buffer
// of its size: a file is held whole while it is parsed, so no slack is kept.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	size := int64(0)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}

	if size > bank.MaxFileSize {
		return nil, fmt.Errorf("%w: more than %d bytes", bank.ErrTooLarge, bank.MaxFileSize)
	}

	// One byte more than the size stated, so the end is seen in one read; a
	// file that grew meanwhile still grows the buffer, up to the limit.
	data := make([]byte, 0, size+1)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}

		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if len(data) > bank.MaxFileSize {
			return nil, fmt.Errorf("%w: more than %d bytes", bank.ErrTooLarge, bank.MaxFileSize)
		}

		if errors.Is(err, io.EOF) {
			return data, nil
		}

		if err != nil {
			return nil, err
		}
	}
}

func (r *run) rejectFile(name, format string, problems []string) {
	rep := FileReport{File: name, Format: format, Status: StatusRejected, Problems: problems}
	r.sum.addFile(rep)
	r.report(rep)
}

// report writes a file's report to Stderr.
func (r *run) report(rep FileReport) {
	w := r.opts.Stderr
	if rep.Status == StatusRejected {
		format := ""
		if rep.Format != "" && rep.Format != string(bankfile.FormatUnknown) {
			format = " (" + rep.Format + ")"
		}

		fmt.Fprintf(w, "bank file %s%s rejected: %s\n", rep.File, format,
			count(len(rep.Problems), "problem"))
		for _, p := range rep.Problems {
			fmt.Fprintf(w, "  %s\n", p)
		}

		return
	}

	fmt.Fprintf(w, "bank file %s (%s): %s, %s, %s skipped", rep.File, rep.Format,
		count(rep.Transactions, "transaction"), count(rep.Payments, "payment"),
		count(rep.Duplicates, "duplicate"))
	if rep.Returns > 0 {
		what := "returns or reversals"
		if rep.Returns == 1 {
			what = "return or reversal"
		}

		fmt.Fprintf(w, ", %d %s", rep.Returns, what)
	}
	if rep.SameAs != "" {
		fmt.Fprintf(w, ", same content as %s", rep.SameAs)
	}

	fmt.Fprintln(w)
	for _, p := range rep.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", p)
	}
}

// count writes n and the noun, in the plural unless n is 1.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}

	return strconv.Itoa(n) + " " + noun + "s"
}

// cell makes a text value safe to open in a spreadsheet: one that would be read as
// a formula (it starts with =, +, - or @ and is not a plain number, or with a tab
// or carriage return) gets a leading apostrophe. Numbers and ordinary text pass
// unchanged.
func cell(s string) string {
	if s == "" {
		return s
	}

	switch s[0] {
	case '\t', '\r':
		return "'" + s
	case '=', '+', '-', '@':
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return "'" + s
		}
	}

	return s
}

// outputs are the output files, written under temporary names and renamed into
// place by commit.
type outputs struct {
	dir              string
	appsFile         *os.File
	excsFile         *os.File
	revsFile         *os.File
	appsBuf          *bufio.Writer
	excsBuf          *bufio.Writer
	revsBuf          *bufio.Writer
	apps, excs, revs *csv.Writer
	done             bool
}

func createOutputs(dir string) (*outputs, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}

	o := &outputs{dir: dir}
	var err error
	if o.appsFile, err = os.CreateTemp(dir, ApplicationsFile+".*.tmp"); err != nil {
		return nil, fmt.Errorf("create applications: %w", err)
	}

	if o.excsFile, err = os.CreateTemp(dir, ExceptionsFile+".*.tmp"); err != nil {
		o.discard()
		return nil, fmt.Errorf("create exceptions: %w", err)
	}

	if o.revsFile, err = os.CreateTemp(dir, ReversalsFile+".*.tmp"); err != nil {
		o.discard()
		return nil, fmt.Errorf("create reversals: %w", err)
	}

	for _, f := range []*os.File{o.appsFile, o.excsFile, o.revsFile} {
		if err := f.Chmod(0o644); err != nil {
			o.discard()
			return nil, fmt.Errorf("create outputs: %w", err)
		}
	}

	o.appsBuf = bufio.NewWriterSize(o.appsFile, 1<<16)
	o.excsBuf = bufio.NewWriterSize(o.excsFile, 1<<16)
	o.revsBuf = bufio.NewWriterSize(o.revsFile, 1<<12)
	o.apps, o.excs = csv.NewWriter(o.appsBuf), csv.NewWriter(o.excsBuf)
	o.revs = csv.NewWriter(o.revsBuf)
	if err := o.apps.Write(ApplicationsHeader); err != nil {
		o.discard()
		return nil, fmt.Errorf("write applications: %w", err)
	}

	if err := o.excs.Write(ExceptionsHeader); err != nil {
		o.discard()
		return nil, fmt.Errorf("write exceptions: %w", err)
	}

	if err := o.revs.Write(ReversalsHeader); err != nil {
		o.discard()
		return nil, fmt.Errorf("write reversals: %w", err)
	}

	return o, nil
}

// commit flushes the CSV files, writes the summary and moves everything into
// place.
func (o *outputs) commit(sum *Summary) error {
	files := []struct {
		f   *os.File
		csv *csv.Writer
		buf *bufio.Writer
		dst string
	}{
		{o.appsFile, o.apps, o.appsBuf, ApplicationsFile},
		{o.excsFile, o.excs, o.excsBuf, ExceptionsFile},
		{o.revsFile, o.revs, o.revsBuf, ReversalsFile},
	}
	for _, f := range files {
		f.csv.Flush()
		err := f.csv.Error()
		if err == nil {
			err = f.buf.Flush()
		}

		if err == nil {
			err = f.f.Close()
		}

		if err != nil {
			return fmt.Errorf("write %s: %w", f.dst, err)
		}
	}

	js, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return fmt.Errorf("encode summary: %w", err)
	}

	tmp := filepath.Join(o.dir, SummaryFile+".tmp")
	if err := os.WriteFile(tmp, append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}

	moves := [][2]string{
		{o.appsFile.Name(), ApplicationsFile}, {o.excsFile.Name(), ExceptionsFile},
		{o.revsFile.Name(), ReversalsFile}, {tmp, SummaryFile},
	}
	for _, m := range moves {
		if err := os.Rename(m[0], filepath.Join(o.dir, m[1])); err != nil {
			return fmt.Errorf("write %s: %w", m[1], err)
		}
	}

	o.done = true

	return nil
}

// discard removes the temporary files unless commit succeeded.
func (o *outputs) discard() {
	if o.done {
		return
	}

	for _, f := range []*os.File{o.appsFile, o.excsFile, o.revsFile} {
		if f != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}

	os.Remove(filepath.Join(o.dir, SummaryFile+".tmp"))
}
