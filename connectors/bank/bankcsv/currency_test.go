package bankcsv_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank/bankcsv"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// scanFile writes data to a file and reads it back through the streaming
// reader, as ingest does.
func scanFile(t *testing.T, name string, data []byte) (*bankfile.File, error) {
	t.Helper()

	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	return bankcsv.Scan(name, f, func(bankfile.Transaction) error { return nil })
}

// problemAt returns the problem of line, failing the test when there is none.
func problemAt(t *testing.T, be *bankfile.Error, line int) bankfile.Problem {
	t.Helper()

	for _, p := range be.Problems {
		if p.Line == line {
			return p
		}
	}

	t.Fatalf("no problem on line %d in %v", line, be.Problems)

	return bankfile.Problem{}
}

// A currency code that names no currency of cash (no currency, testing, a
// metal, a unit of account, a fund) is refused with file, line, field and value,
// wherever the file writes it: its currency column, its amount cells or its
// metadata rows.
func TestCurrencyThatIsNotCashIsRefused(t *testing.T) {
	t.Parallel()

	codes := []string{"XXX", "XTS", "XAU", "XAG", "XPT", "XPD", "XDR", "XBA", "XBD", "XSU",
		"XUA", "CLF"}

	rows := []string{"Date,Description,Amount,Currency",
		"2026-03-02,ACME INV-1001,150.00,USD"}
	for i, c := range codes {
		rows = append(rows, "2026-03-0"+string(rune('3'+i%7))+",PAYER "+c+",10.00,"+c)
	}

	_, err := scanFile(t, "column.csv", lines(rows...))

	var be *bankfile.Error
	if !errors.As(err, &be) {
		t.Fatalf("file with %v read: %v", codes, err)
	}

	for i, c := range codes {
		p := problemAt(t, be, i+3)
		if p.File != "column.csv" || p.Field != "Currency" || p.Value != c ||
			!strings.Contains(p.Message, "not a currency of cash") {
			t.Errorf("line %d: %+v", i+3, p)
		}
	}

	_, err = scanFile(t, "cells.csv", lines("Date,Description,Amount",
		"2026-03-02,ACME INV-1001,USD 150.00",
		"2026-03-03,NOBODY,XXX 12.00"))
	if !errors.As(err, &be) {
		t.Fatalf("amount cell in XXX read: %v", err)
	}

	if p := problemAt(t, be, 3); p.Field != "Amount" || p.Value != "XXX" ||
		!strings.Contains(p.Message, "no currency") {
		t.Errorf("amount cell: %+v", p)
	}

	_, err = scanFile(t, "meta.csv", lines("Account: 12345678", "Currency: XXX", "",
		"Date,Description,Amount",
		"2026-03-02,ACME INV-1001,150.00"))
	if !errors.As(err, &be) {
		t.Fatalf("metadata currency XXX read: %v", err)
	}

	if p := problemAt(t, be, 5); p.Field != "currency" || p.Value != "XXX" {
		t.Errorf("metadata currency: %+v", p)
	}

	// The same files in a currency of cash are read.
	_, err = scanFile(t, "ok.csv", lines("Date,Description,Amount,Currency",
		"2026-03-02,ACME INV-1001,150.00,USD", "2026-03-03,BETA INV-1002,12.00,XOF"))
	if err != nil {
		t.Fatalf("cash currencies refused: %v", err)
	}
}

// A bank profile in a currency that is not one of cash is refused.
func TestProfileCurrencyThatIsNotCashIsRefused(t *testing.T) {
	t.Parallel()

	p := byHeader("gold-bank", "Transaction ID")
	p.Currency = "XAU"

	_, err := bankcsv.NewReader([]bankcsv.Profile{p})
	if err == nil || !strings.Contains(err.Error(), "gold") {
		t.Fatalf("profile in XAU: %v", err)
	}
}
