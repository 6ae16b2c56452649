package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/o2c-dev/o2c/internal/benchmark"
)

// cmdBench generates a labelled world, reconciles it offline and prints the
// matching scores per payment kind and overall.
func cmdBench(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(e.errOut)

	seed := fs.Int64("seed", benchmark.DefaultSeed, "seed of the world and its payments")
	customers := fs.Int("customers", benchmark.DefaultCustomers, "number of customers")
	deals := fs.Int("deals", benchmark.DefaultDeals, "invoices per customer")
	out := fs.String("out", "", "keep the world and the outputs in this directory "+
		"(default: a temporary directory, removed)")
	asJSON := fs.Bool("json", false, "print the report as JSON")

	if err := fs.Parse(args); err != nil {
		return err
	}

	if fs.NArg() > 0 || *seed == 0 || *customers <= 0 || *deals <= 0 {
		return usageError{"usage: o2c bench [--seed N] [--customers N] [--deals N] " +
			"[--out DIR] [--json]; seed not 0, counts above 0"}
	}

	dir := *out
	if dir == "" {
		tmp, err := os.MkdirTemp("", "o2c-bench-")
		if err != nil {
			return fmt.Errorf("create work directory: %w", err)
		}
		defer os.RemoveAll(tmp)

		dir = tmp
	}

	start := time.Now()
	rep, err := benchmark.Run(ctx, benchmark.Config{
		Seed: *seed, Customers: *customers, DealsPerCustomer: *deals, Dir: dir,
	})
	if err != nil {
		return err
	}

	if *asJSON {
		enc := json.NewEncoder(e.out)
		enc.SetIndent("", "  ")

		return enc.Encode(rep)
	}

	fmt.Fprintf(e.out, "o2c bench: seed %d, %d customers x %d invoices, %d payments in %v, "+
		"%.1fs\n\n", rep.Seed, rep.Customers, rep.Deals, rep.Overall.Payments, rep.Formats,
		time.Since(start).Seconds())

	return rep.WriteTable(e.out)
}
