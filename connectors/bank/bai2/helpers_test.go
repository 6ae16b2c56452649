package bai2_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/o2c-dev/o2c/connectors/bank/bai2"
	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/samplefiles"
)

// samplesDir returns ../shared/samples/bai2 beside the repository, or skips.
func samplesDir(t testing.TB) string {
	t.Helper()

	return samplefiles.Dir(t, "bai2")
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()

	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}

	return data
}

// lines joins records with "\n" and ends the file with a line break.
func lines(recs ...string) []byte {
	return []byte(strings.Join(recs, "\n") + "\n")
}

// mustRead reads data with opts and fails the test when the file is rejected.
func mustRead(t testing.TB, name string, data []byte, opts bai2.Options) *bankfile.File {
	t.Helper()

	f, err := bai2.ReadOptions(name, data, opts)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}

	checkSane(t, f)

	return f
}

// mustReject reads data and returns the rejection, failing the test when the
// file is accepted or the error is not a *bankfile.Error.
func mustReject(t testing.TB, name string, data []byte, opts bai2.Options) *bankfile.Error {
	t.Helper()

	f, err := bai2.ReadOptions(name, data, opts)
	if err == nil {
		t.Fatalf("read %s: accepted with %d transactions, want a rejection",
			name, len(f.Transactions))
	}

	var be *bankfile.Error
	if !errors.As(err, &be) {
		t.Fatalf("read %s: error %T %v, want *bankfile.Error", name, err, err)
	}

	if f != nil {
		t.Errorf("read %s: rejected but also returned a file", name)
	}

	for _, p := range be.Problems {
		if p.File != name || p.Field == "" || p.Message == "" {
			t.Errorf("problem without file, field or message: %+v", p)
		}
	}

	return be
}

// findProblem returns the first problem with field, or fails the test.
func findProblem(t testing.TB, be *bankfile.Error, field string) bankfile.Problem {
	t.Helper()

	for _, p := range be.Problems {
		if p.Field == field {
			return p
		}
	}

	t.Fatalf("no problem with field %q in %v", field, be.Problems)

	return bankfile.Problem{}
}

// checkSane asserts what must hold for every accepted file: transactions
// numbered from 1, positive amounts with a currency, a direction and a kind,
// unique dedupe keys, and text that is valid UTF-8 without NUL bytes.
func checkSane(t testing.TB, f *bankfile.File) {
	t.Helper()

	if f.Format != bankfile.FormatBAI2 {
		t.Errorf("format %q", f.Format)
	}

	if probs := f.TextProblems(); len(probs) > 0 {
		t.Errorf("text problems: %v", probs)
	}

	keys := map[string]bool{}

	for i, tx := range f.Transactions {
		if tx.Seq != i+1 || tx.Amount.Minor < 0 || tx.Amount.Currency == "" || tx.Line <= 0 {
			t.Errorf("transaction %d: seq %d line %d amount %v", i, tx.Seq, tx.Line, tx.Amount)
		}

		if tx.Direction != bankfile.Credit && tx.Direction != bankfile.Debit {
			t.Errorf("transaction %d: direction %q", i, tx.Direction)
		}

		switch tx.Kind {
		case bankfile.KindPayment, bankfile.KindReturn, bankfile.KindReversal,
			bankfile.KindNotice, bankfile.KindCharge:
		default:
			t.Errorf("transaction %d: kind %q", i, tx.Kind)
		}

		if !strings.HasPrefix(tx.DedupeKey, "bai2:") || keys[tx.DedupeKey] {
			t.Errorf("transaction %d: dedupe key %q not bai2: or repeated", i, tx.DedupeKey)
		}

		keys[tx.DedupeKey] = true
	}

	for _, w := range f.Warnings {
		if !utf8.ValidString(w.Value) || !utf8.ValidString(w.Message) {
			t.Errorf("warning with invalid UTF-8: %+v", w)
		}
	}
}

// totals sums the file's transactions: credits of KindPayment, and debits of
// any kind.
type totals struct {
	txs, credits, debits    int
	creditTotal, debitTotal int64
}

func sum(f *bankfile.File) totals {
	s := totals{txs: len(f.Transactions)}
	s.credits, s.creditTotal = f.Credits()

	for _, tx := range f.Transactions {
		if tx.Direction == bankfile.Debit {
			s.debits++
			s.debitTotal += tx.Amount.Minor
		}
	}

	return s
}

// balance returns the file's balance with code for account, or fails.
func balance(t testing.TB, f *bankfile.File, account, code string) bankfile.Balance {
	t.Helper()

	for _, b := range f.Balances {
		if b.Account == account && b.Code == code {
			return b
		}
	}

	t.Fatalf("no balance %s for account %s in %+v", code, account, f.Balances)

	return bankfile.Balance{}
}
