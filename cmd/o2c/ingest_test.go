package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/pgtest"
)

// achEntry is one entry detail record of a test NACHA file, with the R-code
// and original trace number of its return addenda when it is a return.
type achEntry struct {
	code     int // transaction code
	cents    int64
	name     string
	trace    string // 15 digits
	rCode    string // "" when the entry is no return
	original string // the returned entry's trace number
}

// achFile writes a one-batch PPD NACHA file with correct control totals.
func achFile(t *testing.T, entries []achEntry) string {
	t.Helper()

	const rdfi, odfi = "09100001", "09100001"

	var b strings.Builder

	line := func(s string) {
		if len(s) != 94 {
			t.Fatalf("record of %d characters: %q", len(s), s)
		}

		b.WriteString(s + "\n")
	}

	line(fmt.Sprintf("101 091000019 0910000192612041200A094101%-23s%-23s%8s",
		"TEST RECEIVING BANK", "TEST ORIGIN", ""))
	line(fmt.Sprintf("5200%-16s%20s%10sPPD%-10s%6s261204%3s1%s%07d", "PAYER COMPANY", "",
		"1234567890", "PAYMENT", "", "", odfi, 1))

	var records int
	var hash, debit, credit int64

	for _, en := range entries {
		addenda := "0"
		if en.rCode != "" {
			addenda = "1"
		}

		line(fmt.Sprintf("6%02d%s9%-17s%010d%-15s%-22s  %s%s", en.code, rdfi, "5550001",
			en.cents, "ID"+en.trace[11:], en.name, addenda, en.trace))
		records++
		hash += 9100001

		if d := en.code % 10; d >= 1 && d <= 4 {
			credit += en.cents
		} else {
			debit += en.cents
		}

		if en.rCode != "" {
			line(fmt.Sprintf("799%s%s%6s%s%-44s%s", en.rCode, en.original, "", rdfi, "",
				en.trace))
			records++
		}
	}

	line(fmt.Sprintf("8200%06d%010d%012d%012d%s%19s%6s%s%07d", records, hash, debit, credit,
		"1234567890", "", "", odfi, 1))

	all := records + 4
	line(fmt.Sprintf("9%06d%06d%08d%010d%012d%012d%39s", 1, (all+9)/10, records, hash,
		debit, credit, ""))

	return b.String()
}

// The summary of a file of ACH returns gives the returns their own line, with
// their count and total per currency and what became of them, and counts as
// not cash only what is not cash (here, one debit), not the returns.
func TestIngestSummaryReportsReturnsApartFromNotCash(t *testing.T) {
	t.Parallel()

	url := pgtest.URL(t)
	dir := t.TempDir()

	pays := filepath.Join(dir, "payments.ach")
	err := os.WriteFile(pays, []byte(achFile(t, []achEntry{
		{code: 22, cents: 10000, name: "ALPHA TRADING", trace: "091000010000001"},
		{code: 22, cents: 5000, name: "BETA SUPPLY", trace: "091000010000002"},
	})), 0o600)
	if err != nil {
		t.Fatal(err)
	}

	rets := filepath.Join(dir, "returns.ach")
	err = os.WriteFile(rets, []byte(achFile(t, []achEntry{
		{code: 21, cents: 10000, name: "ALPHA TRADING", trace: "091000010000101",
			rCode: "R01", original: "091000010000001"},
		{code: 21, cents: 750, name: "GAMMA LTD", trace: "091000010000102",
			rCode: "R03", original: "091000019999999"},
		{code: 27, cents: 200, name: "BANK FEE", trace: "091000010000103"},
	})), 0o600)
	if err != nil {
		t.Fatal(err)
	}

	if out, code := o2cRun(t, url, "ingest", pays); code != 0 {
		t.Fatalf("ingest payments: exit %d\n%s", code, out)
	}

	out, code := o2cRun(t, url, "ingest", rets)
	if code != 0 {
		t.Fatalf("ingest returns: exit %d\n%s", code, out)
	}

	if !strings.Contains(out, "0 applied, 0 to exceptions, 1 not cash\n") {
		t.Errorf("returns counted as not cash, or the debit not:\n%s", out)
	}

	want := "  returns: 2 for 107.50 USD; 1 undid an earlier payment, 1 to exceptions\n"
	if !strings.Contains(out, want) {
		t.Errorf("no line %q in\n%s", want, out)
	}

	if strings.Contains(out, "reversals:") {
		t.Errorf("a reversals line for a file without reversals:\n%s", out)
	}
}
