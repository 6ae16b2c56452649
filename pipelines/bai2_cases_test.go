package pipelines_test

import (
	"os"
	"path/filepath"
	"testing"
)

// bai2Fixture reads one of the BAI2 reader's own case fixtures.
func bai2Fixture(t *testing.T, name string) []byte {
	t.Helper()

	raw, err := os.ReadFile(filepath.Join("..", "connectors", "bank", "bai2", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}

	return raw
}

// TestB03ImpliedCentsAppliedExactly: 100.03 and 100.30 stay apart through the
// bus and each closes its own invoice with nothing left over.
func TestB03ImpliedCentsAppliedExactly(t *testing.T) {
	t.Parallel()

	pool := startBus(t)
	seedLedger(t, pool, "USD", map[string]string{"NW": "Northwind Trading",
		"SW": "Southwind Trading", "EW": "Eastwind Trading"}, []ledgerInvoice{
		{"INV-7701", "NW", 10003}, {"INV-7702", "SW", 10030}, {"INV-7703", "EW", 9}})

	f := submitWait(t, pool, "b03.bai2", bai2Fixture(t, "b03-implied-cents.bai2"))
	if f.Format != "bai2" || f.Controls != "ok" || f.PaymentsNew != 3 {
		t.Fatalf("file %s, controls %s, %d new; want bai2, ok, 3", f.Format, f.Controls,
			f.PaymentsNew)
	}

	sums, counts := appliedTotals(t, pool)
	for number, want := range map[string]int64{"INV-7701": 10003, "INV-7702": 10030,
		"INV-7703": 9} {
		if sums[number] != want || counts[number] != 1 {
			t.Errorf("%s: %d applied in %d applications, want exactly %d", number,
				sums[number], counts[number], want)
		}
	}
}

// TestB21YenAndDollarsKeepTheirDecimals: the same digits 230000 are ¥230,000 in
// the JPY account and 2,300.00 in the USD one, each applied to its invoice.
func TestB21YenAndDollarsKeepTheirDecimals(t *testing.T) {
	t.Parallel()

	pool := startBus(t)
	seedLedger(t, pool, "JPY", map[string]string{"SK": "Sakura Kogyo KK"},
		[]ledgerInvoice{{"INV-JP-0812", "SK", 230000}})
	seedLedger(t, pool, "USD", map[string]string{"HF": "Harbor Freight LLC"},
		[]ledgerInvoice{{"INV-US-0812", "HF", 230000}})

	f := submitWait(t, pool, "b21.bai2", bai2Fixture(t, "b21-jpy-beside-usd.bai2"))
	if f.Controls != "ok" || f.PaymentsNew != 2 {
		t.Fatalf("controls %s, %d new; want ok, 2", f.Controls, f.PaymentsNew)
	}

	rows, err := pool.Query(t.Context(), `SELECT a.invoice_number, a.amount_minor, a.currency
		FROM applications a ORDER BY a.invoice_number`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()

	type app struct {
		minor    int64
		currency string
	}

	got := map[string]app{}
	for rows.Next() {
		var number string
		var a app
		if err := rows.Scan(&number, &a.minor, &a.currency); err != nil {
			t.Fatal(err)
		}

		got[number] = a
	}

	want := map[string]app{"INV-JP-0812": {230000, "JPY"}, "INV-US-0812": {230000, "USD"}}
	if len(got) != 2 || got["INV-JP-0812"] != want["INV-JP-0812"] ||
		got["INV-US-0812"] != want["INV-US-0812"] {
		t.Fatalf("applications %+v, want %+v", got, want)
	}
}
