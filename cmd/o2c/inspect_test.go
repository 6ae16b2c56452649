package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/world"
)

// inspect reports a good file in the documented JSON shape with exit 0, and a
// file with a broken control total with its line and field and exit 1.
func TestInspectReportsFilesAndExitsOneOnRejection(t *testing.T) {
	t.Parallel()

	w := world.Generate(world.Config{Seed: 5, Customers: 20, DealsPerCustomer: 2})
	pays := world.Pay(w, world.InvoicesFor(w, 1), world.PayConfig{Seed: 6, Fraction: 1})

	var buf bytes.Buffer
	if err := world.WriteNACHA(&buf, pays, w.NACHAOptions()); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	good := filepath.Join(dir, "good.ach")
	if err := os.WriteFile(good, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	var credits int
	var total int64
	for _, p := range pays {
		credits++
		total += p.Amount.Minor
	}

	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"inspect", "--json", good}, &out,
		&errOut); code != 0 {
		t.Fatalf("inspect good file: exit %d\n%s%s", code, out.String(), errOut.String())
	}

	var rep struct {
		File, Format, Currency, Controls string
		Transactions                     int
		Credits                          struct {
			Count int
			Total string
		}
		Errors []map[string]any
	}

	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("decode %s: %v", out.String(), err)
	}

	want := money.New(total, "USD").Decimal()
	if rep.Format != "nacha" || rep.Controls != "ok" || rep.Currency != "USD" ||
		rep.Credits.Count != credits || rep.Credits.Total != want || len(rep.Errors) != 0 {
		t.Fatalf("report %+v, want nacha, controls ok, %d credits of %s", rep, credits, want)
	}

	// Break the file control's total credit amount (record 9, columns 44-55).
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	var ctl int
	for i, l := range lines {
		if strings.HasPrefix(l, "9") && !strings.HasPrefix(l, "9999") {
			ctl = i
		}
	}

	l := lines[ctl]
	lines[ctl] = l[:43] + "000000000001" + l[55:]
	bad := filepath.Join(dir, "bad.ach")
	if err := os.WriteFile(bad, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	out.Reset()
	if code := run(context.Background(), []string{"inspect", good, bad}, &out,
		&errOut); code != 1 {
		t.Fatalf("inspect with a bad file: exit %d, want 1\n%s", code, out.String())
	}

	text := out.String()
	if !strings.Contains(text, "bad.ach: REJECTED") ||
		!strings.Contains(text, "line "+strconv.Itoa(ctl+1)) ||
		!strings.Contains(text, "good.ach: read") {
		t.Fatalf("inspect output does not name the rejected file's line %d:\n%s", ctl+1, text)
	}
}

// A CSV export with no currency is rejected until the config's bank profile
// for it says the currency; inspect then names the profile.
func TestInspectUsesConfiguredBankProfile(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()
	csv := filepath.Join(dir, "northbank.csv")
	err := os.WriteFile(csv, []byte("Date,Details,Paid in,Paid out\n"+
		"14/03/2025,INV-2201 HALDEN LTD,1250.00,\n"+
		"15/03/2025,BANK FEE,,4.50\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}

	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"inspect", csv}, &out,
		&errOut); code != 1 || !strings.Contains(out.String(), "currency") {
		t.Fatalf("without a profile: exit %d, want 1 naming the currency\n%s%s", code,
			out.String(), errOut.String())
	}

	cfg := filepath.Join(dir, "o2c.yaml")
	err = os.WriteFile(cfg, []byte(`bank_profiles:
  - name: northbank-gbp
    match:
      header: [Date, Details, Paid in, Paid out]
    date_order: DMY
    currency: GBP
    columns:
      date: Date
      credit: Paid in
      debit: Paid out
      remittance: [Details]
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}

	out.Reset()
	if code := run(context.Background(), []string{"--config", cfg, "inspect", "--json", csv},
		&out, &errOut); code != 0 {
		t.Fatalf("with the profile: exit %d\n%s%s", code, out.String(), errOut.String())
	}

	var rep bank.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}

	if rep.Profile != "northbank-gbp" || rep.Currency != "GBP" || rep.Credits.Total != "1250.00" ||
		rep.Debits.Total != "4.50" {
		t.Fatalf("report %+v, want the northbank-gbp profile, GBP 1250.00 in, 4.50 out", rep)
	}
}
