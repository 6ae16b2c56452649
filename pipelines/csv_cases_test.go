package pipelines_test

import (
	"testing"
)

// TestB22ZeroLinesAreNoticesNotReceipts: in a German export with decimal comma,
// the real payment is applied; the zero and negative-zero lines are notices and
// the fee a charge: none is cash, none reaches the exception queue.
func TestB22ZeroLinesAreNoticesNotReceipts(t *testing.T) {
	t.Parallel()

	const export = "Buchungstag;Valuta;Auftraggeber/Empfänger;Verwendungszweck;Betrag;" +
		"Währung;Transaktions-ID\n" +
		"03.02.2025;03.02.2025;NORDLICHT MOEBEL GMBH;RG 2025-2207;2.618,40;EUR;BX-7001\n" +
		"03.02.2025;03.02.2025;HAUSBANK EG;ENTGELT KONTOFUEHRUNG 01/2025;-0,00;EUR;BX-7002\n" +
		"04.02.2025;04.02.2025;HAUSBANK EG;HABENZINSEN 01/2025;0,00;EUR;BX-7003\n" +
		"04.02.2025;04.02.2025;HAUSBANK EG;ENTGELT EILUEBERWEISUNG;-7,50;EUR;BX-7004\n"

	pool := startBus(t)
	seedLedger(t, pool, "EUR", map[string]string{"NM": "Nordlicht Möbel GmbH"},
		[]ledgerInvoice{{"RG 2025-2207", "NM", 261840}})

	f := submitWait(t, pool, "umsaetze.csv", []byte(export))
	if f.Transactions != 4 || f.PaymentsNew != 4 {
		t.Fatalf("%d transactions, %d new; want 4 and 4", f.Transactions, f.PaymentsNew)
	}

	sums, _ := appliedTotals(t, pool)
	if sums["RG 2025-2207"] != 261840 {
		t.Fatalf("applied %v, want 2618.40 to RG 2025-2207", sums)
	}

	var cash, exceptions int
	err := pool.QueryRow(t.Context(), `SELECT
			(SELECT count(*) FROM payments WHERE direction = 'credit' AND kind = 'payment'),
			(SELECT count(*) FROM exceptions)`).Scan(&cash, &exceptions)
	if err != nil || cash != 1 || exceptions != 0 {
		t.Fatalf("%d cash receipts, %d exceptions (%v); want 1 and 0", cash, exceptions, err)
	}
}

// TestB23DayMonthOrderFromTheWholeColumn: 03/04/2025 could be either order, but
// 13/04/2025 in the same column proves day first; the references are applied.
func TestB23DayMonthOrderFromTheWholeColumn(t *testing.T) {
	t.Parallel()

	const export = "Date,Description,Reference,Amount,Currency\n" +
		"02/05/2025,HALDEN ROPE WORKS LTD,INV-8801,640.00,GBP\n" +
		"14/05/2025,HALDEN ROPE WORKS LTD,INV-8802,95.50,GBP\n" +
		"05/06/2025,KESTREL YARDS LTD,INV-8803,1310.00,GBP\n"

	pool := startBus(t)
	seedLedger(t, pool, "GBP", map[string]string{"HR": "Halden Rope Works Ltd",
		"KY": "Kestrel Yards Ltd"}, []ledgerInvoice{{"INV-8801", "HR", 64000},
		{"INV-8802", "HR", 9550}, {"INV-8803", "KY", 131000}})

	submitWait(t, pool, "gbp.csv", []byte(export))

	sums, _ := appliedTotals(t, pool)
	for number, want := range map[string]int64{"INV-8801": 64000, "INV-8802": 9550,
		"INV-8803": 131000} {
		if sums[number] != want {
			t.Errorf("%s: applied %d, want %d", number, sums[number], want)
		}
	}

	rows, err := pool.Query(t.Context(), `SELECT
		to_char(COALESCE(value_date, booking_date), 'YYYY-MM-DD') FROM payments ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()

	var dates []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}

		dates = append(dates, d)
	}

	if len(dates) != 3 || dates[0] != "2025-05-02" || dates[1] != "2025-05-14" ||
		dates[2] != "2025-06-05" {
		t.Fatalf("value dates %v, want day first: 2025-05-02, 2025-05-14, 2025-06-05", dates)
	}
}
