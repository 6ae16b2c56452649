package bankcsv_test

import (
	"fmt"

	"github.com/o2c-dev/o2c/connectors/bank/bankcsv"
)

func ExampleRead() {
	export := []byte("Buchungstag;Verwendungszweck;Betrag;Währung\n" +
		"15.01.2025;RE 2025-1001;1.234,56;EUR\n" +
		"15.01.2025;KONTOFUEHRUNG;-0,00;EUR\n")

	f, err := bankcsv.Read("export.csv", export)
	if err != nil {
		fmt.Println(err)
		return
	}

	for _, t := range f.Transactions {
		fmt.Println(t.Line, t.BookingDate.Format("2006-01-02"), t.Direction, t.Kind, t.Amount)
	}

	// Output:
	// 2 2025-01-15 credit payment 1234.56 EUR
	// 3 2025-01-15 debit notice 0.00 EUR
}
