package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// errRejected makes inspect exit 1 when a file would be refused.
var errRejected = errors.New("rejected")

func cmdInspect(_ context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(e.errOut)

	asJSON := fs.Bool("json", false, "print one JSON object per file, one per line")

	if err := fs.Parse(args); err != nil {
		return err
	}

	if fs.NArg() == 0 {
		return usageError{"name at least one bank file or folder"}
	}

	paths, unlisted := bank.List(fs.Args())

	var reports []bank.Report
	for _, u := range unlisted {
		reports = append(reports, bank.Report{File: u.Path, Rejected: true,
			Errors: []bankfile.Problem{{Message: u.Err.Error()}}})
	}

	for _, p := range paths {
		reports = append(reports, inspectPath(e.bank, p))
	}

	rejected := 0
	enc := json.NewEncoder(e.out)

	for _, r := range reports {
		if r.Rejected {
			rejected++
		}

		if *asJSON {
			if err := enc.Encode(r); err != nil {
				return fmt.Errorf("write report: %w", err)
			}

			continue
		}

		printReport(e, r)
	}

	if rejected > 0 {
		return fmt.Errorf("%d of %d files %w", rejected, len(reports), errRejected)
	}

	return nil
}

func inspectPath(rd *bank.Reader, path string) bank.Report {
	f, err := os.Open(path)
	if err != nil {
		return bank.Report{File: path, Rejected: true,
			Errors: []bankfile.Problem{{Message: err.Error()}}}
	}
	defer f.Close()

	r := rd.Inspect(filepath.Base(path), f)
	r.File = path

	return r
}

func printReport(e *env, r bank.Report) {
	verdict := "read"
	if r.Rejected {
		verdict = "REJECTED"
	}

	fmt.Fprintf(e.out, "%s: %s\n", r.File, verdict)
	fmt.Fprintf(e.out, "  format %s, encoding %s, controls %s\n", r.Format,
		orDash(r.Encoding), r.Controls)

	if r.Profile != "" {
		fmt.Fprintf(e.out, "  bank profile: %s\n", r.Profile)
	}

	if !r.Rejected {
		fmt.Fprintf(e.out, "  accounts %s, currency %s\n", orDash(strings.Join(r.Accounts, " ")),
			orDash(r.Currency))
		fmt.Fprintf(e.out, "  %d transactions: %d credits %s, %d debits %s\n", r.Transactions,
			r.Credits.Count, r.Credits.Total, r.Debits.Count, r.Debits.Total)

		currencies := slices.Sorted(maps.Keys(r.ByCurrency))
		for _, c := range currencies {
			s := r.ByCurrency[c]
			fmt.Fprintf(e.out, "    %s: %d credits %s, %d debits %s\n", c, s.Credits.Count,
				s.Credits.Total, s.Debits.Count, s.Debits.Total)
		}
	}

	for _, p := range r.Errors {
		fmt.Fprintf(e.out, "  error: %s\n", problemText(p))
	}

	for _, p := range r.Warnings {
		fmt.Fprintf(e.out, "  warning: %s\n", problemText(p))
	}
}

// problemText is a problem without its file name: "line 7, field F: message".
func problemText(p bankfile.Problem) string {
	var parts []string
	if p.Line > 0 {
		parts = append(parts, fmt.Sprintf("line %d", p.Line))
	}

	if p.Field != "" {
		parts = append(parts, "field "+p.Field)
	}

	msg := p.Message
	if p.Value != "" {
		msg += fmt.Sprintf(" (value %q)", p.Value)
	}

	if len(parts) == 0 {
		return msg
	}

	return strings.Join(parts, ", ") + ": " + msg
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}

	return s
}
