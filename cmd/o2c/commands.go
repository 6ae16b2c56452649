package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/reconcile"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/pipelines"
)

func cmdMigrate(ctx context.Context, e *env, _ []string) error {
	svc, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer svc.Close(ctx)

	ms, err := store.Migrations()
	if err != nil {
		return err
	}

	fmt.Fprintf(e.out, "schema at version %d\n", ms[len(ms)-1].Version)

	return nil
}

func cmdSync(ctx context.Context, e *env, args []string) error {
	if len(args) != 1 || (args[0] != "crm" && args[0] != "erp") {
		return usageError{"usage: o2c sync crm|erp"}
	}

	crm, erp, err := connectors(e.cfg, e)
	if err != nil {
		return err
	}

	svc, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer svc.Close(ctx)

	var counts map[string]int

	switch args[0] {
	case "crm":
		if crm == nil {
			return fmt.Errorf("no crm configured: set hubspot.token (O2C_HUBSPOT_TOKEN)")
		}

		counts, err = pipelines.SyncCRM(ctx, svc.Pool, crm)
	case "erp":
		if erp == nil {
			return fmt.Errorf("no erp configured: set xero.client_id and xero.client_secret")
		}

		counts, err = pipelines.RefreshERP(ctx, svc.Pool, erp)
	}

	if err != nil {
		return err
	}

	return json.NewEncoder(e.out).Encode(counts)
}

func cmdReconcile(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
	fs.SetOutput(e.errOut)

	invoices := fs.String("invoices", "", "invoices CSV (required)")
	customers := fs.String("customers", "", "customers CSV (required)")
	out := fs.String("out", "", "output folder (required)")

	if err := fs.Parse(args); err != nil {
		return err
	}

	if *invoices == "" || *customers == "" || *out == "" || fs.NArg() == 0 {
		return usageError{"usage: o2c reconcile --invoices invoices.csv " +
			"--customers customers.csv --out DIR BANKFILE..."}
	}

	sum, err := reconcile.Run(ctx, reconcile.Options{
		InvoicesPath: *invoices, CustomersPath: *customers, OutDir: *out,
		BankFiles: fs.Args(), Stderr: e.errOut,
	})
	if err != nil {
		return err
	}

	enc := json.NewEncoder(e.out)
	enc.SetIndent("", "  ")

	return enc.Encode(sum)
}

func cmdPoison(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "replay") ||
		(args[0] == "replay" && len(args) != 2) {
		return usageError{"usage: o2c poison list | o2c poison replay UUID"}
	}

	svc, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer svc.Close(ctx)

	if args[0] == "replay" {
		if err := pipelines.Replay(ctx, svc.Pool, args[1], "cli"); err != nil {
			return err
		}

		fmt.Fprintf(e.out, "replayed %s; o2c serve will process it\n", args[1])

		return nil
	}

	list, err := pipelines.ListPoisoned(ctx, svc.Pool)
	if err != nil {
		return err
	}

	tw := tabwriter.NewWriter(e.out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "UUID\tTOPIC\tHANDLER\tAT\tREPLAYED\tREASON")
	for _, p := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%s\n", p.UUID, p.Topic, p.Handler,
			p.CreatedAt.UTC().Format("2006-01-02 15:04:05"), p.Replayed, clip(p.Reason, 80))
	}

	return tw.Flush()
}

func cmdExceptions(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError{"usage: o2c exceptions list|show ID|resolve ID ...|assign ID WHO"}
	}

	svc, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer svc.Close(ctx)

	q := &exceptions.Service{Pool: svc.Pool, Policy: exceptionPolicy(e.cfg)}

	switch args[0] {
	case "list":
		return listExceptions(ctx, e, q, args[1:])
	case "show":
		id, err := argID(args, 1)
		if err != nil {
			return err
		}

		d, err := q.Get(ctx, id)
		if err != nil {
			return err
		}

		enc := json.NewEncoder(e.out)
		enc.SetIndent("", "  ")

		return enc.Encode(d)
	case "resolve":
		return resolveException(ctx, e, q, args[1:])
	case "assign":
		id, err := argID(args, 1)
		if err != nil || len(args) != 3 {
			return usageError{"usage: o2c exceptions assign ID WHO"}
		}

		return q.Assign(ctx, id, "cli", args[2])
	default:
		return usageError{"unknown exceptions command " + strconv.Quote(args[0])}
	}
}

func argID(args []string, i int) (int64, error) {
	if len(args) <= i {
		return 0, usageError{"an exception id is required"}
	}

	id, err := strconv.ParseInt(args[i], 10, 64)
	if err != nil {
		return 0, usageError{"invalid exception id " + strconv.Quote(args[i])}
	}

	return id, nil
}

func listExceptions(ctx context.Context, e *env, q *exceptions.Service, args []string) error {
	fs := flag.NewFlagSet("exceptions list", flag.ContinueOnError)
	fs.SetOutput(e.errOut)

	status := fs.String("status", "open",
		"a status (open, resolved, on_account, refund_pending, ...) or all")
	reason := fs.String("reason", "", "only this reason")
	limit := fs.Int("limit", 50, "at most this many")
	after := fs.Int64("after", 0, "only ids after this one")

	if err := fs.Parse(args); err != nil {
		return err
	}

	switch *status {
	case "all":
		*status = ""
	case store.ExceptionOpen, store.ExceptionResolved, store.ExceptionOnAccount,
		store.ExceptionRefundPending, store.ExceptionReturnPending, store.ExceptionSuperseded:
	default:
		return usageError{fmt.Sprintf("unknown status %q: open, resolved, on_account, "+
			"refund_pending, return_pending, superseded or all", *status)}
	}

	list, err := q.List(ctx, store.ExceptionFilter{Status: *status, Reason: *reason,
		Limit: *limit, AfterID: *after})
	if err != nil {
		return err
	}

	tw := tabwriter.NewWriter(e.out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPAYMENT\tAMOUNT\tREASON\tSTATUS\tCANDIDATES\tMESSAGE")
	for _, x := range list {
		var cands []string
		for i, c := range x.Candidates {
			if i == 3 {
				cands = append(cands, "…")
				break
			}

			cands = append(cands, c.InvoiceNumber)
		}

		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\n", x.ID, x.PaymentID,
			money.New(x.Amount, x.Currency), x.Reason, x.Status, strings.Join(cands, ","),
			clip(x.Message, 70))
	}

	if err := tw.Flush(); err != nil {
		return err
	}

	// A full page may not be the last: say how to see the next one.
	if n := len(list); n > 0 && n == *limit {
		fmt.Fprintf(e.out, "(%d shown; more may follow: --after %d)\n", n, list[n-1].ID)
	}

	return nil
}

func resolveException(ctx context.Context, e *env, q *exceptions.Service, args []string) error {
	fs := flag.NewFlagSet("exceptions resolve", flag.ContinueOnError)
	fs.SetOutput(e.errOut)

	var allocs allocationFlags
	fs.Var(&allocs, "apply", "INVOICE=AMOUNT to apply (repeatable)")

	park := fs.Bool("park", false, "park the amount not applied on account")
	customer := fs.String("customer", "", "customer to park for, when the payer is unknown")
	note := fs.String("note", "", "why, for the audit log")
	as := fs.String("as", "cli", "who resolves, for the audit log")

	if len(args) == 0 {
		return usageError{"usage: o2c exceptions resolve ID --apply INV=AMOUNT... [--park]"}
	}

	id, err := argID(args, 0)
	if err != nil {
		return err
	}

	if err := fs.Parse(args[1:]); err != nil {
		return err
	}

	out, err := q.Resolve(ctx, id, *as, exceptions.Resolution{Allocations: allocs,
		Park: *park, CustomerID: *customer, Note: *note})
	if err != nil {
		return err
	}

	fmt.Fprintf(e.out, "exception %d %s: %d applications, %s on account\n", id, out.Status,
		len(out.Applications), money.New(out.ParkedMinor, out.Currency))

	return nil
}

// allocationFlags collects repeated --apply INVOICE=AMOUNT flags.
type allocationFlags []exceptions.Allocation

func (a *allocationFlags) String() string { return fmt.Sprint(*a) }

func (a *allocationFlags) Set(v string) error {
	inv, amt, ok := strings.Cut(v, "=")
	if !ok || inv == "" || amt == "" {
		return fmt.Errorf("want INVOICE=AMOUNT, got %q", v)
	}

	*a = append(*a, exceptions.Allocation{InvoiceNumber: inv, Amount: amt})

	return nil
}
