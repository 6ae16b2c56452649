package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/service"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/pipelines"
)

func cmdIngest(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	fs.SetOutput(e.errOut)

	user := fs.String("as", "cli", "who uploads, for the audit log")
	noWait := fs.Bool("no-wait", false, "only store the files; a running o2c serve reads them")

	if err := fs.Parse(args); err != nil {
		return err
	}

	if fs.NArg() == 0 {
		return usageError{"name at least one bank file or folder"}
	}

	paths, unlisted := bank.List(fs.Args())
	for _, u := range unlisted {
		fmt.Fprintf(e.out, "%s: not stored: %v\n", u.Path, u.Err)
	}

	failed := len(unlisted)

	svc, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer svc.Close(ctx)

	var ids []int64
	for _, p := range paths {
		s, err := submitPath(ctx, svc, p, e.cfg.Ingest.MaxFileBytes, *user)
		if errors.As(err, new(notStored)) {
			fmt.Fprintf(e.out, "%s: not stored: %v\n", p, err)
			failed++
			continue
		}

		if err != nil {
			return err
		}

		if s.Duplicate {
			fmt.Fprintf(e.out, "%s: %s\n", filepath.Base(p), s.Message())

			// An earlier run may have died before it finished the file: wait for it.
			if st := s.File.Status; st != store.FileMatched && st != store.FileRejected {
				ids = append(ids, s.File.ID)
			}

			continue
		}

		if s.Retried {
			fmt.Fprintf(e.out, "%s: %s\n", filepath.Base(p), s.Message())
		}

		ids = append(ids, s.File.ID)
	}

	if *noWait || len(ids) == 0 {
		if failed > 0 {
			return fmt.Errorf("%d files not stored", failed)
		}

		return nil
	}

	_, erp, err := connectors(e.cfg, e)
	if err != nil {
		return err
	}

	stop, err := service.RunRouter(ctx, pipelines.Config{Pool: svc.Pool, Logger: e.logger,
		ERP: erp, ReadBankFile: e.bank.Scan, Rules: service.Rules(e.cfg),
		PollInterval: 50 * time.Millisecond,
		AckDeadline:  e.cfg.Bus.AckDeadline})
	if err != nil {
		return err
	}

	files, err := pipelines.WaitFiles(ctx, svc.Pool, ids, 100*time.Millisecond)
	err = errors.Join(err, stop())
	if err != nil {
		return err
	}

	rejected := failed
	for _, f := range files {
		if err := printFile(ctx, e, svc, f); err != nil {
			return err
		}

		if f.Status == store.FileRejected {
			rejected++
		}
	}

	if rejected > 0 {
		return fmt.Errorf("%d of %d files rejected or not stored", rejected, len(files)+failed)
	}

	return nil
}

func printFile(ctx context.Context, e *env, svc *service.Service, f store.BankFile) error {
	if f.Status == store.FileRejected {
		fmt.Fprintf(e.out, "%s: rejected (%s)\n", f.Name, f.Format)
		for _, p := range f.Problems {
			fmt.Fprintf(e.out, "  %s\n", p.Error())
		}

		return nil
	}

	var applied, excepted, notCash int

	// Returns and reversals are stored as not cash too, but they take money back:
	// they get their own lines below.
	err := svc.Pool.QueryRow(ctx, `SELECT
			count(*) FILTER (WHERE status IN ('applied', 'partly_applied')),
			count(*) FILTER (WHERE status IN ('exception', 'partly_applied')),
			count(*) FILTER (WHERE status = 'not_cash' AND kind NOT IN ('return', 'reversal'))
		FROM payments WHERE file_id = $1`, f.ID).Scan(&applied, &excepted, &notCash)
	if err != nil {
		return fmt.Errorf("count outcome of file %d: %w", f.ID, err)
	}

	fmt.Fprintf(e.out, "%s: %s, %d transactions, %d new, %d duplicates skipped, "+
		"controls %s; %d applied, %d to exceptions, %d not cash\n", f.Name, f.Format,
		f.Transactions, f.PaymentsNew, f.Duplicates, f.Controls, applied, excepted, notCash)

	if err := printReturns(ctx, e, svc, f.ID); err != nil {
		return err
	}

	for _, w := range f.Warnings {
		fmt.Fprintf(e.out, "  warning: %s\n", w.Error())
	}

	return nil
}

// takeBacks sums a file's returns, or its reversals, in one currency.
type takeBacks struct {
	count, undid, held int
	minor              int64
}

// printReturns prints one line for the file's returns and one for its
// reversals, when it has any: how many and their total in each currency, how
// many undid an earlier payment and how many went to the exception queue.
func printReturns(ctx context.Context, e *env, svc *service.Service, fileID int64) error {
	rows, err := svc.Pool.Query(ctx, `SELECT kind, currency, count(*), sum(amount_minor),
			count(*) FILTER (WHERE reverses_payment_id IS NOT NULL),
			count(*) FILTER (WHERE EXISTS (SELECT 1 FROM exceptions x
				WHERE x.payment_id = p.id))
		FROM payments p WHERE file_id = $1 AND kind IN ('return', 'reversal')
		GROUP BY kind, currency ORDER BY kind, currency`, fileID)
	if err != nil {
		return fmt.Errorf("count returns of file %d: %w", fileID, err)
	}
	defer rows.Close()

	type group struct {
		kind     string
		total    takeBacks
		byAmount []string
	}

	var groups []*group

	for rows.Next() {
		var kind, currency string
		var tb takeBacks

		if err := rows.Scan(&kind, &currency, &tb.count, &tb.minor, &tb.undid,
			&tb.held); err != nil {
			return fmt.Errorf("count returns of file %d: %w", fileID, err)
		}

		if len(groups) == 0 || groups[len(groups)-1].kind != kind {
			groups = append(groups, &group{kind: kind})
		}

		g := groups[len(groups)-1]
		g.total.count += tb.count
		g.total.undid += tb.undid
		g.total.held += tb.held
		g.byAmount = append(g.byAmount, fmt.Sprintf("%d for %s", tb.count,
			money.New(tb.minor, currency)))
	}

	if err := rows.Err(); err != nil {
		return fmt.Errorf("count returns of file %d: %w", fileID, err)
	}

	for _, g := range groups {
		label := "returns"
		if g.kind == string(bankfile.KindReversal) {
			label = "reversals"
		}

		fmt.Fprintf(e.out, "  %s: %s; %d undid an earlier payment, %d to exceptions\n",
			label, strings.Join(g.byAmount, ", "), g.total.undid, g.total.held)
	}

	return nil
}

// notStored is a file refused before anything of it was stored.
type notStored struct{ err error }

func (e notStored) Error() string { return e.err.Error() }
func (e notStored) Unwrap() error { return e.err }

// submitPath stores the file at path, read as a stream, and queues it.
func submitPath(ctx context.Context, svc *service.Service, path string, limit int64,
	user string) (pipelines.Submission, error) {
	f, err := os.Open(path)
	if err != nil {
		return pipelines.Submission{}, notStored{err}
	}
	defer f.Close()

	if st, err := f.Stat(); err == nil && limit > 0 && st.Size() > limit {
		return pipelines.Submission{}, notStored{fmt.Errorf(
			"file is %d bytes, over the %d-byte limit", st.Size(), limit)}
	}

	s, err := pipelines.SubmitFrom(ctx, svc.Pool, filepath.Base(path), f, limit, user)
	if errors.Is(err, store.ErrFileTooLarge) {
		return s, notStored{err}
	}

	return s, err
}
