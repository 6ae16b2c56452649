package demo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/service"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/internal/world"
	"github.com/o2c-dev/o2c/pipelines"
)

// pullAndInvoice pulls the won deals, gives o2c what the world knows of its
// customers' bank accounts and names, and waits until every raised invoice has
// been pushed to the ERP (or refused by it).
func pullAndInvoice(ctx context.Context, opts Options, w *world.World, ids map[string]string,
	crm service.HubSpotCRM, sum *Summary) error {
	time.Sleep(60 * time.Millisecond)

	counts, err := pipelines.SyncCRM(ctx, opts.Pool, crm)
	if err != nil {
		return err
	}

	sum.DealsPulled = counts["deals_pulled"]
	opts.Logger.InfoContext(ctx, "CRM pulled", "deals", counts["deals_pulled"],
		"customers_new", counts["customers_new"])

	for _, c := range w.Customers {
		c.ID = ids[c.ID]
		if _, err := store.UpsertCustomer(ctx, opts.Pool, c, "demo"); err != nil {
			return err
		}
	}

	deadline := time.Now().Add(2 * time.Minute)
	for {
		invs, err := store.Invoices(ctx, opts.Pool)
		if err != nil {
			return err
		}

		waiting := 0
		sum.InvoicesPushed = 0
		for _, inv := range invs {
			switch inv.Status {
			case store.InvoiceRequested:
				waiting++
			case store.InvoiceOpen, store.InvoicePaid:
				sum.InvoicesPushed++
			}
		}

		if waiting == 0 && len(invs) >= sum.DealsPulled {
			return nil
		}

		if time.Now().After(deadline) {
			return fmt.Errorf("invoices not pushed after 2 minutes: %d of %d deals invoiced, "+
				"%d waiting", len(invs), sum.DealsPulled, waiting)
		}

		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// payAndIngest writes bank files paying part of the open invoices, ingests them
// with the extra files, and waits for every file to be matched or rejected.
func payAndIngest(ctx context.Context, opts Options, w *world.World, ids map[string]string,
	sum *Summary) error {
	rows, err := store.Invoices(ctx, opts.Pool, store.InvoiceOpen)
	if err != nil {
		return err
	}

	invoices := make([]billing.Invoice, len(rows))
	for i, r := range rows {
		invoices[i] = r.Invoice
	}

	paid := *w
	paid.Customers = make([]billing.Customer, len(w.Customers))
	for i, c := range w.Customers {
		c.ID, c.ParentID = ids[c.ID], ids[c.ParentID]
		paid.Customers[i] = c
	}

	payments := world.Pay(&paid, invoices, world.PayConfig{Seed: opts.Seed, Fraction: 0.7,
		Noise: true, ValueDate: time.Now().UTC().Truncate(24 * time.Hour)})

	files, err := writeBankFiles(opts, &paid, payments)
	if err != nil {
		return err
	}

	sum.Generated = files

	extra, unlisted := bank.List(opts.Extra)
	if len(unlisted) > 0 {
		return fmt.Errorf("list bank files: %s: %w", unlisted[0].Path, unlisted[0].Err)
	}

	var fileIDs []int64
	for _, path := range append(files, extra...) {
		raw, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read bank file: %w", err)
		}

		s, err := pipelines.Submit(ctx, opts.Pool, filepath.Base(path), raw, "demo")
		if err != nil {
			return err
		}

		fileIDs = append(fileIDs, s.File.ID)
	}

	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()

	done, err := pipelines.WaitFiles(wctx, opts.Pool, fileIDs, 100*time.Millisecond)
	if err != nil {
		return err
	}

	sum.Files = done

	return countOutcome(ctx, opts.Pool, fileIDs, sum)
}

// writeBankFiles writes the payments as one NACHA file (USD) and one camt.053 file
// (everything NACHA cannot carry, and every other payment), and returns their
// paths.
func writeBankFiles(opts Options, w *world.World, ps []world.Payment) ([]string, error) {
	dir := opts.WorkDir
	if dir == "" {
		d, err := os.MkdirTemp("", "o2c-demo-")
		if err != nil {
			return nil, fmt.Errorf("create demo folder: %w", err)
		}

		dir = d
	}

	var ach, camt []world.Payment
	for i, p := range ps {
		if p.Amount.Currency == "USD" && i%2 == 0 {
			ach = append(ach, p)
		} else {
			camt = append(camt, p)
		}
	}

	achPath := filepath.Join(dir, fmt.Sprintf("demo-%d-ccd-ctx.ach", opts.Seed))
	camtPath := filepath.Join(dir, fmt.Sprintf("demo-%d-camt053.xml", opts.Seed))

	err := writeFile(achPath, func(f *bufio.Writer) error {
		return world.WriteNACHA(f, ach, world.NACHAOptions{})
	})
	if err != nil {
		return nil, err
	}

	err = writeFile(camtPath, func(f *bufio.Writer) error {
		return world.WriteCAMT053(f, camt, world.CAMTOptions{})
	})
	if err != nil {
		return nil, err
	}

	return []string{achPath, camtPath}, nil
}

func writeFile(path string, write func(*bufio.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", filepath.Base(path), err)
	}

	b := bufio.NewWriter(f)
	err = errors.Join(write(b), b.Flush(), f.Close())
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}

	return nil
}

// countOutcome fills the summary from the database.
func countOutcome(ctx context.Context, pool *pgxpool.Pool, ids []int64, sum *Summary) error {
	for _, f := range sum.Files {
		if f.Status == store.FileRejected {
			sum.FilesRejected++
			continue
		}

		sum.FilesIngested++
		sum.PaymentsIngested += f.PaymentsNew
		sum.Duplicates += f.Duplicates
	}

	err := pool.QueryRow(ctx, `SELECT count(*) FROM payments
		WHERE file_id = ANY($1) AND status IN ('applied', 'partly_applied')`, ids).
		Scan(&sum.Applied)
	if err != nil {
		return fmt.Errorf("count applied payments: %w", err)
	}

	rows, err := pool.Query(ctx, `SELECT a.currency, sum(a.amount_minor) FROM applications a
		JOIN payments p ON p.id = a.payment_id WHERE p.file_id = ANY($1)
		GROUP BY a.currency ORDER BY a.currency`, ids)
	if err != nil {
		return fmt.Errorf("sum applied cash: %w", err)
	}

	for rows.Next() {
		var cur string
		var minor int64
		if err := rows.Scan(&cur, &minor); err != nil {
			rows.Close()
			return fmt.Errorf("sum applied cash: %w", err)
		}

		sum.AppliedAmounts[cur] = money.New(minor, cur).Decimal()
	}

	rows.Close()

	rows, err = pool.Query(ctx, `SELECT e.reason, count(*) FROM exceptions e
		JOIN payments p ON p.id = e.payment_id WHERE p.file_id = ANY($1)
		GROUP BY e.reason ORDER BY e.reason`, ids)
	if err != nil {
		return fmt.Errorf("count exceptions: %w", err)
	}
	defer rows.Close()

	for rows.Next() {
		var reason string
		var n int
		if err := rows.Scan(&reason, &n); err != nil {
			return fmt.Errorf("count exceptions: %w", err)
		}

		sum.Exceptions[reason] = n
	}

	return rows.Err()
}

// waitERPPayments waits until the ERP has been told of every application.
func waitERPPayments(ctx context.Context, pool *pgxpool.Pool, sum *Summary) error {
	deadline := time.Now().Add(2 * time.Minute)

	for {
		err := pool.QueryRow(ctx,
			"SELECT count(*) FROM applications WHERE erp_state = 'pending'").
			Scan(&sum.ERPPaymentsPending)
		if err != nil {
			return fmt.Errorf("count pending erp payments: %w", err)
		}

		if sum.ERPPaymentsPending == 0 || time.Now().After(deadline) {
			return nil
		}

		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
