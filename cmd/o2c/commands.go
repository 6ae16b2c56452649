package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/matching"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/reconcile"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/pipelines"
)

func cmdMigrate(ctx context.Context, e *env, args []string) error {
	if _, err := positional(e, "migrate", "usage: o2c migrate", args, 0); err != nil {
		return err
	}

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
	const usage = "usage: o2c sync crm|erp"

	if len(args) > 0 && isHelp(args[0]) {
		return e.help(usage)
	}

	args, err := positional(e, "sync", usage, args, 1)
	if err != nil {
		return err
	}

	if args[0] != "crm" && args[0] != "erp" {
		return usageError{usage}
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

// reconcileUsage is the help of o2c reconcile, before its flags.
const reconcileUsage = `usage: o2c reconcile --invoices invoices.csv --customers customers.csv ` +
	`--out DIR BANKFILE...

Matches the bank files' payments to the open invoices, offline, and writes to DIR:
  applications.csv  one row per payment and invoice applied; a return or reversal that
                    takes a payment back adds an undo row per application: its own
                    payment id, the same invoice, amounts negated, rule return or reversal
                    (sum applied_amount per invoice for what stays applied)
  exceptions.csv    payments held or partly applied, with reason and candidates; returns:
                    returned (undone, invoices open again, follow up), reversal_unverified
                    or return_unmatched (nothing undone)
  reversals.csv     every return and reversal: outcome undone, held or no_cash, the
                    payment it undid and why
  summary.json      counts and totals, also printed

Flags:
`

func cmdReconcile(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
	fs.SetOutput(e.errOut)

	invoices := fs.String("invoices", "", "invoices CSV (required)")
	customers := fs.String("customers", "", "customers CSV (required)")
	out := fs.String("out", "", "output folder (required)")
	fs.Usage = func() {
		fmt.Fprint(e.errOut, reconcileUsage)
		fs.PrintDefaults()
	}

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
	const usage = "usage: o2c poison list | o2c poison replay UUID"

	if len(args) > 0 && isHelp(args[0]) {
		return e.help(usage)
	}

	if len(args) == 0 || (args[0] != "list" && args[0] != "replay") {
		return usageError{usage}
	}

	want := map[string]int{"list": 0, "replay": 1}[args[0]]

	pos, err := positional(e, "poison "+args[0], usage, args[1:], want)
	if err != nil {
		return err
	}

	args = append([]string{args[0]}, pos...)

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

// exceptionsUsage is the help of o2c exceptions.
const exceptionsUsage = `usage:
  o2c exceptions list [--status S] [--reason R] [--limit N] [--after ID]
  o2c exceptions show ID
  o2c exceptions resolve ID --apply INVOICE=AMOUNT... [--park] [--customer C] [--note T]
  o2c exceptions assign ID WHO`

// queueAction is an exceptions subcommand whose command line was checked: it only
// needs the queue, so a bad command line never starts a database.
type queueAction func(context.Context, *exceptions.Service) error

func cmdExceptions(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError{exceptionsUsage}
	}

	if isHelp(args[0]) {
		return e.help(exceptionsUsage)
	}

	var act queueAction
	var err error

	switch args[0] {
	case "list":
		act, err = listExceptions(e, args[1:])
	case "show":
		act, err = showException(e, args[1:])
	case "resolve":
		act, err = resolveException(e, args[1:])
	case "assign":
		act, err = assignException(e, args[1:])
	default:
		return usageError{"unknown exceptions command " + strconv.Quote(args[0]) + "\n" +
			exceptionsUsage}
	}

	if err != nil {
		return err
	}

	svc, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer svc.Close(ctx)

	return act(ctx, &exceptions.Service{Pool: svc.Pool, Policy: exceptionPolicy(e.cfg)})
}

// positional parses a subcommand that takes only n positional arguments (and -h).
func positional(e *env, name, usage string, args []string, n int) ([]string, error) {
	fs := flagSet(e, name, usage)

	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return nil, err
	}

	if len(pos) != n {
		return nil, usageError{usage}
	}

	return pos, nil
}

func showException(e *env, args []string) (queueAction, error) {
	pos, err := positional(e, "exceptions show", "usage: o2c exceptions show ID", args, 1)
	if err != nil {
		return nil, err
	}

	id, err := argID(pos, 0)
	if err != nil {
		return nil, err
	}

	return func(ctx context.Context, q *exceptions.Service) error {
		d, err := q.Get(ctx, id)
		if err != nil {
			return err
		}

		enc := json.NewEncoder(e.out)
		enc.SetIndent("", "  ")

		return enc.Encode(d)
	}, nil
}

func assignException(e *env, args []string) (queueAction, error) {
	pos, err := positional(e, "exceptions assign", "usage: o2c exceptions assign ID WHO",
		args, 2)
	if err != nil {
		return nil, err
	}

	id, err := argID(pos, 0)
	if err != nil {
		return nil, err
	}

	return func(ctx context.Context, q *exceptions.Service) error {
		return q.Assign(ctx, id, "cli", pos[1])
	}, nil
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

// exceptionReasons are the reasons the matching engine, the returns pipeline and
// the exception workflow open exceptions with: what --reason accepts.
var exceptionReasons = []string{
	matching.ReasonUnknownPayer, matching.ReasonNoMatch, matching.ReasonAmbiguous,
	matching.ReasonCurrency, matching.ReasonOverpayment, matching.ReasonShortPayment,
	matching.ReasonAmountMismatch, matching.ReasonBatchMismatch,
	matching.ReasonRemittanceMismatch, matching.ReasonFlagged, matching.ReasonAlreadyPaid,
	matching.ReasonPayerMismatch, matching.ReasonLowConfidence,
	pipelines.ReasonReturned, pipelines.ReasonReturnUnmatched,
	pipelines.ReasonReversalUnverified,
	exceptions.ReasonSplitRemainder,
}

// checkReason refuses a --reason no code opens exceptions with, naming the ones
// it knows.
func checkReason(reason string) error {
	if reason == "" || slices.Contains(exceptionReasons, reason) {
		return nil
	}

	known := slices.Clone(exceptionReasons)
	slices.Sort(known)

	return usageError{fmt.Sprintf("unknown reason %q: %s", reason, strings.Join(known, ", "))}
}

func listExceptions(e *env, args []string) (queueAction, error) {
	fs := flagSet(e, "exceptions list", "usage: o2c exceptions list [flags]")

	status := fs.String("status", "open",
		"a status (open, resolved, on_account, refund_pending, ...) or all")
	reason := fs.String("reason", "", "only this reason (unknown_payer, no_match, ...)")
	limit := fs.Int("limit", 50, "at most this many")
	after := fs.Int64("after", 0, "only ids after this one")

	if err := fs.Parse(args); err != nil {
		return nil, err
	}

	if fs.NArg() > 0 {
		return nil, usageError{"exceptions list takes no arguments, got " +
			strconv.Quote(fs.Arg(0))}
	}

	switch *status {
	case "all":
		*status = ""
	case store.ExceptionOpen, store.ExceptionResolved, store.ExceptionOnAccount,
		store.ExceptionRefundPending, store.ExceptionReturnPending, store.ExceptionSuperseded:
	default:
		return nil, usageError{fmt.Sprintf("unknown status %q: open, resolved, on_account, "+
			"refund_pending, return_pending, superseded or all", *status)}
	}

	if err := checkReason(*reason); err != nil {
		return nil, err
	}

	return func(ctx context.Context, q *exceptions.Service) error {
		return printExceptions(ctx, e, q, store.ExceptionFilter{Status: *status,
			Reason: *reason, Limit: *limit, AfterID: *after})
	}, nil
}

func printExceptions(ctx context.Context, e *env, q *exceptions.Service,
	filter store.ExceptionFilter) error {
	list, err := q.List(ctx, filter)
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
	if n := len(list); n > 0 && n == filter.Limit {
		fmt.Fprintf(e.out, "(%d shown; more may follow: --after %d)\n", n, list[n-1].ID)
	}

	return nil
}

func resolveException(e *env, args []string) (queueAction, error) {
	const usage = "usage: o2c exceptions resolve ID --apply INVOICE=AMOUNT... [--park]"

	fs := flagSet(e, "exceptions resolve", usage)

	var allocs allocationFlags
	fs.Var(&allocs, "apply", "INVOICE=AMOUNT to apply (repeatable)")

	park := fs.Bool("park", false, "park the amount not applied on account")
	customer := fs.String("customer", "", "customer to park for, when the payer is unknown")
	note := fs.String("note", "", "why, for the audit log")
	as := fs.String("as", "cli", "who resolves, for the audit log")

	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return nil, err
	}

	if len(pos) != 1 {
		return nil, usageError{usage}
	}

	id, err := argID(pos, 0)
	if err != nil {
		return nil, err
	}

	return func(ctx context.Context, q *exceptions.Service) error {
		out, err := q.Resolve(ctx, id, *as, exceptions.Resolution{Allocations: allocs,
			Park: *park, CustomerID: *customer, Note: *note})
		if err != nil {
			return err
		}

		fmt.Fprintf(e.out, "exception %d %s: %d applications, %s on account\n", id,
			out.Status, len(out.Applications), money.New(out.ParkedMinor, out.Currency))

		return nil
	}, nil
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
