package pipelines_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/world"
)

// A NACHA file cut before its batch and file controls is read, but nothing
// proves it complete: its credits are stored and held for review, never
// applied, although their references are perfect.
func TestCreditsOfFileWithoutControlsAreHeld(t *testing.T) {
	t.Parallel()

	w := world.Generate(world.Config{Seed: 8, Customers: 6, DealsPerCustomer: 2})
	invs := world.InvoicesFor(w, 1)
	pays := world.Pay(w, invs, world.PayConfig{Seed: 9, Fraction: 1})

	var buf bytes.Buffer
	if err := world.WriteNACHA(&buf, pays, w.NACHAOptions()); err != nil {
		t.Fatal(err)
	}

	var kept []string
	for _, l := range strings.Split(strings.TrimRight(buf.String(), "\n"), "\n") {
		if l[0] != '8' && l[0] != '9' {
			kept = append(kept, l)
		}
	}

	pool := startBus(t)

	customers := map[string]string{}
	var ledger []ledgerInvoice
	for _, c := range w.Customers {
		customers[c.ID] = c.Name
	}

	for _, in := range invs {
		ledger = append(ledger, ledgerInvoice{in.Number, in.CustomerID, in.Open})
	}

	seedLedger(t, pool, "USD", customers, ledger)

	f := submitWait(t, pool, "cut.ach", []byte(strings.Join(kept, "\n")+"\n"))
	if f.Controls != "none" || f.PaymentsNew != len(pays) {
		t.Fatalf("controls %s, %d new; want none and %d", f.Controls, f.PaymentsNew, len(pays))
	}

	var applied, held int
	err := pool.QueryRow(t.Context(), `SELECT
			(SELECT count(*) FROM applications),
			(SELECT count(*) FROM payments WHERE problem LIKE '%no control totals%')`).
		Scan(&applied, &held)
	if err != nil || applied != 0 || held != len(pays) {
		t.Fatalf("%d applications, %d held (%v); want 0 and %d", applied, held, err, len(pays))
	}
}
