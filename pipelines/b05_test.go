package pipelines_test

import (
	"os"
	"path/filepath"
	"testing"
)

// TestB05StructuredPurposeSplitOverTwoInvoices: the MT940 reader's own B05
// fixture names two invoices in a :86: purpose cut across physical lines; the
// payment is applied to both, exactly, through the bus.
func TestB05StructuredPurposeSplitOverTwoInvoices(t *testing.T) {
	t.Parallel()

	raw, err := os.ReadFile(filepath.Join("..", "connectors", "bank", "mt940", "testdata",
		"b05-structured-86-wrapped.sta"))
	if err != nil {
		t.Fatal(err)
	}

	pool := startBus(t)
	seedLedger(t, pool, "EUR", map[string]string{"88120": "Beispiel Handel AG"},
		[]ledgerInvoice{{"AR-7731-0042", "88120", 157520}, {"AR-7731-0049", "88120", 157520},
			{"AR-7731-0050", "88120", 157520}})

	f := submitWait(t, pool, "b05.sta", raw)
	if f.Format != "mt940" || f.Controls != "ok" || f.PaymentsNew != 1 {
		t.Fatalf("file %s, controls %s, %d new; want mt940, ok, 1", f.Format, f.Controls,
			f.PaymentsNew)
	}

	sums, _ := appliedTotals(t, pool)
	if sums["AR-7731-0042"] != 157520 || sums["AR-7731-0049"] != 157520 ||
		sums["AR-7731-0050"] != 0 {
		t.Fatalf("applied %v; want 1575.20 to each named invoice and nothing to AR-7731-0050",
			sums)
	}
}
