package pipelines_test

import (
	"testing"
)

// lockboxB18 is a delimited lockbox transmission: one check paying three
// invoices with stated amounts, one paying two with the amounts left out.
const lockboxB18 = `1|LBX3307|HARBOR SUPPLY CO|20250411|0610
5|001|20250411
6|001|0001|CHK|00007719|0000521075|021000021|0006677889|TALLGRASS FARMS INC
4|001|0001|01|HS-3301|0000094500
4|001|0001|02|HS-3302|0000182575
4|001|0001|03|HS-3303|0000244000
6|001|0002|CHK|00003150|0000145000|122105278|0000554433|MERIDIAN LABS LLC
4|001|0002|01|HS-3320|
4|001|0002|02|HS-3321|
7|001|0002|0000666075
9|0001|0002|0000666075
`

// TestB18LockboxCheckPayingSeveralInvoices: each check goes to the invoices its
// remittance lines name, by stated amount, or by open amount when the lines
// carry none; the older invoice nobody named stays untouched and nothing is left
// unapplied or held.
func TestB18LockboxCheckPayingSeveralInvoices(t *testing.T) {
	t.Parallel()

	pool := startBus(t)
	seedLedger(t, pool, "USD", map[string]string{"TG": "Tallgrass Farms Inc",
		"ML": "Meridian Labs LLC"}, []ledgerInvoice{
		{"HS-3299", "TG", 98000}, // oldest, not named: FIFO must not reach it
		{"HS-3301", "TG", 94500}, {"HS-3302", "TG", 182575}, {"HS-3303", "TG", 244000},
		{"HS-3320", "ML", 55000}, {"HS-3321", "ML", 90000},
	})

	f := submitWait(t, pool, "lockbox-0411.lbx", []byte(lockboxB18))
	if f.Format != "lockbox" || f.Controls != "ok" || f.PaymentsNew != 2 {
		t.Fatalf("file %s controls %s, %d new payments; want lockbox, ok, 2", f.Format,
			f.Controls, f.PaymentsNew)
	}

	sums, counts := appliedTotals(t, pool)
	want := map[string]int64{"HS-3301": 94500, "HS-3302": 182575, "HS-3303": 244000,
		"HS-3320": 55000, "HS-3321": 90000}

	for number, amount := range want {
		if sums[number] != amount || counts[number] != 1 {
			t.Errorf("%s: %d applied in %d applications, want %d in one", number,
				sums[number], counts[number], amount)
		}
	}

	if sums["HS-3299"] != 0 {
		t.Errorf("HS-3299, named by nobody, got %d", sums["HS-3299"])
	}

	for number, inv := range openAmounts(t, pool) {
		if want[number] > 0 && inv.Open != 0 {
			t.Errorf("%s still open for %d", number, inv.Open)
		}
	}

	var unapplied int64
	var exceptions int
	err := pool.QueryRow(t.Context(), `SELECT
			(SELECT COALESCE(sum(unapplied_minor), 0) FROM payments),
			(SELECT count(*) FROM exceptions)`).Scan(&unapplied, &exceptions)
	if err != nil || unapplied != 0 || exceptions != 0 {
		t.Fatalf("unapplied %d, %d exceptions (%v); want none", unapplied, exceptions, err)
	}
}
