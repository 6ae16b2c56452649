package nacha_test

import (
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

// fixtureLines returns the records of the CRLF fixture without its 9-fill lines.
func fixtureLines(t *testing.T) []string {
	t.Helper()

	var out []string
	for _, l := range lines(readFixture(t, "b10-ccd-crlf.ach")) {
		l = strings.TrimRight(l, "\r")
		if !strings.HasPrefix(l, "9999") {
			out = append(out, l)
		}
	}

	return out
}

// Two entries without trace numbers, from different companies, on the same day
// and for the same amount, are two payments: neither may be taken for a
// duplicate of the other.
func TestBlankTraceNumbersDoNotCollide(t *testing.T) {
	t.Parallel()

	recs := fixtureLines(t)

	keyOf := func(company string) string {
		ls := append([]string(nil), recs...)
		for i, l := range ls {
			switch l[0] {
			case '5':
				ls[i] = setField(t, l, 5, 20, company)
			case '6':
				ls[i] = setField(t, l, 80, 94, strings.Repeat(" ", 15))
			}
		}

		f := mustRead(t, company+".ach", joinLines(ls))
		if len(f.Transactions) != 1 {
			t.Fatalf("%d transactions", len(f.Transactions))
		}

		found := false
		for _, w := range f.Warnings {
			found = found || w.Field == "trace number"
		}

		if !found {
			t.Errorf("no warning about the blank trace number: %+v", f.Warnings)
		}

		return f.Transactions[0].DedupeKey
	}

	if a, b := keyOf("ACME CORP       "), keyOf("GLOBEX INC      "); a == b {
		t.Fatalf("different companies' untraced entries share key %q", a)
	}
}

// A file cut short (no batch or file control) is read, but nothing proves it
// whole, so its credits are never applied automatically.
func TestTruncatedFileCreditsAreNotAutoApplied(t *testing.T) {
	t.Parallel()

	var cut []string
	for _, l := range fixtureLines(t) {
		if l[0] == '8' || l[0] == '9' {
			continue
		}

		cut = append(cut, l)
	}

	f := mustRead(t, "cut.ach", joinLines(cut))
	if f.Controls != bankfile.ControlsNone {
		t.Fatalf("controls = %s, want none", f.Controls)
	}

	for _, tx := range f.Transactions {
		if tx.Direction == bankfile.Credit && tx.Problem == "" {
			t.Errorf("credit %s of a file without controls carries no problem", tx.BankRef)
		}
	}
}
