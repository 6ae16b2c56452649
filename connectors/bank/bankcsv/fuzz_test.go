package bankcsv_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank/bankcsv"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// FuzzCSVRead feeds arbitrary bytes to Read and Scan: they must never panic,
// must reject with a *bankfile.Error, must agree with each other, and whatever
// they accept must be consistent.
func FuzzCSVRead(f *testing.F) {
	seeds := [][]byte{
		lines(b14Header, "2025-02-10,UTR1,1,A,NEFT,\"40,000.00\",,\"1,40,000.00\",INR"),
		lines("Buchungstag;Betrag;Währung", "03.02.2025;-0,00;EUR", "03.02.2025;1.234,56;EUR"),
		lines(b23Header, "06/02/2025,ACME,INV-1,100.00,GBP", "21/02/2025,ACME,INV-2,(2.00),GBP"),
		lines("Datum\tBetrag\tS/H\tWährung", "03.02.2025\t7,50\tS\tEUR"),
		lines("Account : 1,: EUR", "Date,Debit,Credit", "01/04/20,\"-50,00\",", "Total,,\"1,00\""),
		lines("Date,Gross,Fee,Net,Status,Currency", "29/12/2015,84.00,-4.25,79.75,Completed,USD"),
		lines("Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #,",
			"DEBIT,3/18/2016,\"X\",-2.89,ACCT_XFER,3.86,,"),
		[]byte("Date,Amount,Currency\r2025-02-03,12.00,USD\r"),
		[]byte("Buchungstag;Empf\xe4nger;Betrag;W\xe4hrung\n03.02.2025;M\xfcller;1,00;EUR\n"),
		generate(20),
	}

	for _, s := range seeds {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := bankcsv.Read("fuzz", data)

		var scanned []bankfile.Transaction

		sf, serr := bankcsv.Scan("fuzz", bytes.NewReader(data),
			func(tx bankfile.Transaction) error {
				scanned = append(scanned, tx)
				return nil
			})

		if (err == nil) != (serr == nil) {
			t.Fatalf("read error %v, scan error %v", err, serr)
		}

		if err != nil {
			var be *bankfile.Error
			if !errors.As(err, &be) || len(be.Problems) == 0 {
				t.Fatalf("error %T %v is not a *bankfile.Error with problems", err, err)
			}

			return
		}

		if !reflect.DeepEqual(scanned, file.Transactions) || sf.Transactions != nil {
			t.Fatalf("scan emitted %d transactions, read returned %d", len(scanned),
				len(file.Transactions))
		}

		keys := map[string]bool{}
		for i, tx := range file.Transactions {
			if tx.Seq != i+1 || tx.Amount.Minor < 0 || tx.DedupeKey == "" || keys[tx.DedupeKey] ||
				tx.Amount.Currency == "" || file.Profile == "" {
				t.Fatalf("transaction %d inconsistent: %+v", i, tx)
			}

			keys[tx.DedupeKey] = true
		}
	})
}
