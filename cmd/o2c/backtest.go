package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/o2c-dev/o2c/internal/learning"
	"github.com/o2c-dev/o2c/internal/service"
	"github.com/o2c-dev/o2c/internal/store"
)

// cmdBacktest re-runs the configured matching rules over resolved history and
// prints precision and recall per rule.
func cmdBacktest(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("backtest", flag.ContinueOnError)
	fs.SetOutput(e.errOut)

	since := fs.String("since", "", "only payments received on or after this date (YYYY-MM-DD)")
	asJSON := fs.Bool("json", false, "print the report as JSON")

	if err := fs.Parse(args); err != nil {
		return err
	}

	if fs.NArg() != 0 {
		return usageError{"usage: o2c backtest [--since YYYY-MM-DD] [--json]"}
	}

	var from time.Time
	if *since != "" {
		t, err := time.Parse(time.DateOnly, *since)
		if err != nil {
			return usageError{"invalid --since date " + strconv.Quote(*since) +
				": want YYYY-MM-DD"}
		}

		from = t
	}

	svc, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer svc.Close(ctx)

	rep, err := learning.BacktestSince(ctx, svc.Pool, *service.Rules(e.cfg), from)
	if err != nil {
		return err
	}

	if *asJSON {
		enc := json.NewEncoder(e.out)
		enc.SetIndent("", "  ")

		return enc.Encode(rep)
	}

	tw := tabwriter.NewWriter(e.out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tDECISIONS\tAUTO-APPLIED\tCORRECT\tPRECISION\tRECALL")
	for _, r := range append(rep.Rules, rep.Overall) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.3f\t%.3f\n", r.Rule, r.Decisions, r.AutoApplied,
			r.Correct, r.Precision, r.Recall)
	}

	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintf(e.out, "\npayments with known truth: %d (held by the current rules: %d)\n",
		rep.Payments, rep.Held)
	fmt.Fprintf(e.out, "previously manual: %d, now applied automatically: %d (%d as ops did)\n",
		rep.PreviouslyManual, rep.Gain, rep.GainCorrect)
	fmt.Fprintf(e.out, "applied automatically before, no longer applied correctly: %d\n",
		rep.Lost)
	fmt.Fprintf(e.out, "approximation: %s\n", rep.Approximation)

	return nil
}

// cmdRules lists the rules o2c proposes from resolved exceptions, and approves or
// rejects one.
func cmdRules(ctx context.Context, e *env, args []string) error {
	const usage = "usage: o2c rules list [--status S] [--json] | " +
		"o2c rules approve|reject ID [--as WHO]"

	if len(args) == 0 {
		return usageError{usage}
	}

	if isHelp(args[0]) {
		return e.help(usage)
	}

	switch args[0] {
	case "list":
		return listRules(ctx, e, args[1:])
	case "approve", "reject":
		fs := flagSet(e, "rules "+args[0], usage)
		as := fs.String("as", "cli", "who decides, for the audit log")

		pos, err := parseInterleaved(fs, args[1:])
		if err != nil {
			return err
		}

		if len(pos) != 1 {
			return usageError{usage}
		}

		id, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil {
			return usageError{"invalid proposal id " + strconv.Quote(pos[0])}
		}

		svc, err := e.open(ctx)
		if err != nil {
			return err
		}
		defer svc.Close(ctx)

		decide := learning.Approve
		if args[0] == "reject" {
			decide = learning.Reject
		}

		p, err := decide(ctx, svc.Pool, id, *as)
		if err != nil {
			return err
		}

		fmt.Fprintf(e.out, "proposal %d %s\n", p.ID, p.Status)

		return nil
	default:
		return usageError{"unknown rules command " + strconv.Quote(args[0])}
	}
}

func listRules(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("rules list", flag.ContinueOnError)
	fs.SetOutput(e.errOut)

	status := fs.String("status", store.ProposalProposed, "proposed, approved, rejected or all")
	asJSON := fs.Bool("json", false, "print the proposals as JSON")

	if err := fs.Parse(args); err != nil {
		return err
	}

	if *status == "all" {
		*status = ""
	}

	svc, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer svc.Close(ctx)

	list, err := store.Proposals(ctx, svc.Pool, *status)
	if err != nil {
		return err
	}

	if *asJSON {
		if list == nil {
			list = []store.Proposal{}
		}

		return json.NewEncoder(e.out).Encode(list)
	}

	tw := tabwriter.NewWriter(e.out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tPATTERN\tCUSTOMER\tSUPPORT\tPRECISION\tSTATUS")
	for _, p := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d of %d\t%.3f\t%s\n", p.ID, p.Kind,
			clip(p.PatternKey, 40), p.CustomerID, p.Support, p.Occurrences, p.Precision,
			p.Status)
	}

	return tw.Flush()
}
