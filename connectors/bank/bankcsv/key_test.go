package bankcsv_test

import (
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
