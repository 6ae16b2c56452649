package bankcsv_test

import (
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank/bankcsv"
)

// Two banks' exports without an account column may reuse a transaction id; they
// must not be taken for one another, while the same row exported again must.
func TestTransactionIDWithoutAccountIsScopedByDateAndAmount(t *testing.T) {
	t.Parallel()

	head := "Date,Transaction ID,Payer,Description,Amount,Currency\n"
	bankA := head + "2025-03-03,TID1,NORTHWIND,INV-501,120.00,EUR\n"
	bankB := head + "2025-03-04,TID1,FABRIKAM,INV-777,75.10,EUR\n"
	againA := head + "2025-03-03,TID1,NORTHWIND,INV-501,120.00,EUR\n" +
		"2025-03-05,TID2,NORTHWIND,INV-502,10.00,EUR\n"

	key := func(name, data string, i int) string {
		t.Helper()

		f, err := bankcsv.Read(name, []byte(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}

		return f.Transactions[i].DedupeKey
	}

	a, b, a2 := key("a.csv", bankA, 0), key("b.csv", bankB, 0), key("a2.csv", againA, 0)
	if a == b {
		t.Errorf("different banks' TID1 share key %q", a)
	}

	if a != a2 {
		t.Errorf("same row exported again: keys %q and %q differ", a, a2)
	}
}

// The same statement exported in two dialects (delimiter, quoting, column
// order, date layout, decimal mark and thousands separators, letter case and
// spacing of the text) gives the same keys; two identical payments on one day
// both count, in either export.
func TestKeysSurviveAnotherDialect(t *testing.T) {
	t.Parallel()

	uk := lines("Date,Description,Reference,Amount,Currency",
		`03/02/2025,"NORTHWIND LTD","INV-501","1,200.00",GBP`,
		`14/02/2025,"COFFEE  SUPPLY CO",INV-12,"1,250.00",GBP`,
		`14/02/2025,"COFFEE  SUPPLY CO",INV-12,"1,250.00",GBP`,
		`15/02/2025,"BANK",CHARGES,-7.50,GBP`)
	de := lines("Referenz;Betrag;Währung;Buchungstag;Verwendungszweck",
		"INV-501;1.200,00;GBP;2025-02-03;Northwind Ltd",
		"inv-12;1.250,00;GBP;2025-02-14;Coffee Supply Co",
		"inv-12;1.250,00;GBP;2025-02-14;Coffee Supply Co",
		"charges;-7,50;GBP;2025-02-15;Bank")

	a, b := keys(mustRead(t, "uk.csv", uk)), keys(mustRead(t, "de.csv", de))
	if len(a) != 4 || strings.Join(a, "|") != strings.Join(b, "|") {
		t.Fatalf("keys differ:\n%v\n%v", a, b)
	}

	if a[1] == a[2] || a[2] != a[1]+"~2" {
		t.Fatalf("identical payments %q and %q", a[1], a[2])
	}

	// A different payment on the same day keeps its own key.
	other := lines("Date,Description,Reference,Amount,Currency",
		`14/02/2025,"COFFEE SUPPLY CO",INV-13,"1,250.00",GBP`)
	if k := keys(mustRead(t, "other.csv", other)); k[0] == a[1] {
		t.Fatalf("INV-13 took the key of INV-12: %s", k[0])
	}
}

// With a transaction id the key is the account and the id, whatever else the
// export shows.
func TestKeysFromTransactionIDs(t *testing.T) {
	t.Parallel()

	p := byHeader("acct", "Transaction ID")
	p.Account = "GB29NWBK60161331926819"

	a := mustRead(t, "a.csv", lines("Date,Transaction ID,Amount,Currency,Balance",
		"2025-02-03,T-77,10.00,GBP,10.00"), p)
	b := mustRead(t, "b.csv", lines("Transaction ID;Date;Amount;Currency",
		"T-77;03.02.2025;10,00;GBP"), p)

	if a.Transactions[0].DedupeKey != "csv:GB29NWBK60161331926819:T-77" ||
		b.Transactions[0].DedupeKey != a.Transactions[0].DedupeKey {
		t.Fatalf("keys %q and %q", a.Transactions[0].DedupeKey, b.Transactions[0].DedupeKey)
	}
}
