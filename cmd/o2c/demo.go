package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"sort"

	"github.com/o2c-dev/o2c/internal/demo"
	"github.com/o2c-dev/o2c/internal/service"
	"github.com/o2c-dev/o2c/pipelines"
)

func cmdDemo(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(e.errOut)

	keep := fs.Bool("serve", false, "keep the API running on the demo's data afterwards")
	seed := fs.Int64("seed", 1, "seed of the generated world")
	customers := fs.Int("customers", 40, "customers in the generated world")
	deals := fs.Int("deals", 3, "won deals per customer")
	calm := fs.Bool("no-faults", false, "do not make the Xero simulator lose responses")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	workDir := fs.String("out", "", "folder for the generated bank files (default: a temp folder)")
	verbose := fs.Bool("verbose", false, "log progress at the configured level (default: warnings)")

	if err := fs.Parse(args); err != nil {
		return err
	}

	if !*verbose {
		quiet := e.cfg.Log
		quiet.Level = "warn"
		e.logger = newLogger(quiet, e.errOut)
	}

	svc, err := service.OpenDemo(ctx, service.Options{DatabaseURL: e.cfg.Database.URL.Value(),
		DataDir: e.cfg.Database.DataDir, Logger: e.logger})
	if err != nil {
		return err
	}
	defer svc.Close(ctx)

	var ln net.Listener
	if *keep {
		ln, err = net.Listen("tcp", e.cfg.HTTP.Addr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", e.cfg.HTTP.Addr, err)
		}
	}

	_, err = demo.Run(ctx, demo.Options{
		Customers: *customers, DealsPerCustomer: *deals, Extra: fs.Args(),
		LoseResponses: !*calm, Logger: e.logger, Pool: svc.Pool, ReadBankFile: e.bank.Scan,
		Seed: *seed, WorkDir: *workDir,
		Then: func(ctx context.Context, sum *demo.Summary, crm pipelines.CRM,
			erp pipelines.ERP) error {
			if err := report(e.out, sum, *asJSON); err != nil {
				return err
			}

			if ln == nil {
				return nil
			}

			fmt.Fprintf(e.errOut, "\no2c: the web app and the API are at http://%s/ on the "+
				"demo's data; Ctrl-C stops.\n", ln.Addr())

			return serve(ctx, e, ln, svc, crm, erp)
		},
	})
	if err != nil && ln != nil {
		ln.Close()
	}

	return err
}

func report(w io.Writer, sum *demo.Summary, asJSON bool) error {
	if !asJSON {
		printSummary(w, sum)
		return nil
	}

	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")

	return enc.Encode(sum)
}

func printSummary(w io.Writer, s *demo.Summary) {
	fmt.Fprintf(w, "o2c demo summary\n")
	fmt.Fprintf(w, "  deals pulled from HubSpot      %d\n", s.DealsPulled)
	fmt.Fprintf(w, "  invoices pushed to Xero        %d (%d in Xero, %d duplicated; "+
		"lost responses: %v)\n",
		s.InvoicesPushed, s.InvoicesInERP, s.DuplicateInvoices, s.LostResponses)
	fmt.Fprintf(w, "  bank files                     %d read, %d rejected (%d in all)\n",
		s.FilesIngested, s.FilesRejected, s.FilesIngested+s.FilesRejected)
	fmt.Fprintf(w, "  payments ingested              %d (duplicates skipped %d)\n",
		s.PaymentsIngested, s.Duplicates)
	fmt.Fprintf(w, "  payments applied               %d\n", s.Applied)

	curs := make([]string, 0, len(s.AppliedAmounts))
	for c := range s.AppliedAmounts {
		curs = append(curs, c)
	}

	sort.Strings(curs)
	for _, c := range curs {
		fmt.Fprintf(w, "  cash applied                   %s %s\n", s.AppliedAmounts[c], c)
	}

	fmt.Fprintf(w, "  payments recorded in Xero      %d (pending %d; one per invoice paid, "+
		"so a payment of several invoices counts once for each)\n", s.ERPPayments,
		s.ERPPaymentsPending)

	reasons := make([]string, 0, len(s.Exceptions))
	for r := range s.Exceptions {
		reasons = append(reasons, r)
	}

	sort.Strings(reasons)
	fmt.Fprintf(w, "  exceptions by reason\n")
	for _, r := range reasons {
		fmt.Fprintf(w, "    %-28s %d\n", r, s.Exceptions[r])
	}

	fmt.Fprintf(w, "  files\n")
	for _, f := range s.Files {
		line := fmt.Sprintf("    %-60s %-9s %-9s new %d, duplicates %d", f.Name, f.Format,
			f.Status, f.PaymentsNew, f.Duplicates)
		if f.Status == "rejected" {
			line = fmt.Sprintf("    %-60s %-9s rejected: %s", f.Name, f.Format, clip(f.Error, 90))
		}

		fmt.Fprintln(w, line)
	}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}

	return s[:n] + "…"
}
