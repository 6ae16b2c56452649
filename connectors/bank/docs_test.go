package bank_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank"
)

// docsTable is the file holding the sample outcome table, from this package.
var docsTable = filepath.Join("..", "..", "docs", "bank-samples.md")

const (
	tableStart = "<!-- samples table: start -->"
	tableEnd   = "<!-- samples table: end -->"
)

// The table of sample outcomes in docs/bank-samples.md is what the readers do
// today: every shared sample, read or rejected, with its figures. Run with
// O2C_WRITE_DOCS=1 to rewrite the table after a reader change, then review the
// diff.
func TestSampleOutcomesTableIsCurrent(t *testing.T) {
	dir := samplesDir(t)

	paths, err := filepath.Glob(filepath.Join(dir, "*", "*"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no samples in %s: %v", dir, err)
	}

	var b strings.Builder
	b.WriteString(tableStart + "\n\n")
	b.WriteString("| sample | format | outcome | txns | credits | debits | controls | " +
		"reason or warnings |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")

	for _, p := range paths {
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			t.Fatal(err)
		}

		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}

		r := bank.Inspect(filepath.Base(p), f)
		f.Close()

		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", filepath.ToSlash(rel), r.Format,
			outcome(r), strings.Join(figures(r), " | "))
	}

	b.WriteString("\n" + tableEnd)

	doc, err := os.ReadFile(docsTable)
	if err != nil {
		t.Fatalf("read %s: %v", docsTable, err)
	}

	text := string(doc)
	i, j := strings.Index(text, tableStart), strings.Index(text, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("%s has no samples table markers", docsTable)
	}

	updated := text[:i] + b.String() + text[j+len(tableEnd):]
	if updated == text {
		return
	}

	if os.Getenv("O2C_WRITE_DOCS") != "" {
		if err := os.WriteFile(docsTable, []byte(updated), 0o644); err != nil {
			t.Fatal(err)
		}

		return
	}

	t.Errorf("%s is out of date with the readers; rerun with O2C_WRITE_DOCS=1 and review "+
		"the diff", docsTable)
}

func outcome(r bank.Report) string {
	if r.Rejected {
		return "**rejected**"
	}

	return "read"
}

// figures are the txns, credits, debits, controls and reason columns.
func figures(r bank.Report) []string {
	if r.Rejected {
		return []string{"", "", "", string(r.Controls), cell(firstProblem(r))}
	}

	tally := func(t bank.Tally) string {
		if t.Count == 0 {
			return "0"
		}

		if t.Total == "" {
			return fmt.Sprintf("%d", t.Count)
		}

		return fmt.Sprintf("%d: %s %s", t.Count, t.Total, r.Currency)
	}

	note := ""
	if n := len(r.Warnings); n > 0 {
		note = fmt.Sprintf("%d warnings, first: %s", n, cell(r.Warnings[0].Message))
	}

	return []string{fmt.Sprint(r.Transactions), tally(r.Credits), tally(r.Debits),
		string(r.Controls), note}
}

func firstProblem(r bank.Report) string {
	if len(r.Errors) == 0 {
		return ""
	}

	p := r.Errors[0]
	s := p.Message
	if p.Field != "" {
		s = p.Field + ": " + s
	}

	if p.Line > 0 {
		s = fmt.Sprintf("line %d, %s", p.Line, s)
	}

	if n := len(r.Errors); n > 1 {
		s += fmt.Sprintf(" (and %d more)", n-1)
	}

	return s
}

// cell keeps text inside one table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\n", " ")

	if len(s) > 160 {
		s = s[:157] + "..."
	}

	return s
}
