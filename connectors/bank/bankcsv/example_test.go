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

// A bank whose exports name neither the currency nor the date order gets a
// profile; files it does not match are still read with a guess.
func ExampleNewReader() {
	r, err := bankcsv.NewReader([]bankcsv.Profile{{
		Name:      "northbank-gbp",
		Match:     bankcsv.Match{Header: []string{"Date", "Details", "Paid in", "Paid out"}},
		DateOrder: "DMY",
		Currency:  "GBP",
	}})
	if err != nil {
		fmt.Println(err)
		return
	}

	export := []byte("Date,Details,Paid in,Paid out\n" +
		"03/04/2025,ACME LTD INV-5501,\"1,200.00\",\n" +
		"04/04/2025,BANK CHARGES,,7.50\n")

	f, err := r.Read("northbank.csv", export)
	if err != nil {
		fmt.Println(err)
		return
	}

	fmt.Println(f.Profile)

	for _, t := range f.Transactions {
		fmt.Println(t.BookingDate.Format("2006-01-02"), t.Direction, t.Kind, t.Amount)
	}

	// Output:
	// northbank-gbp
	// 2025-04-03 credit payment 1200.00 GBP
	// 2025-04-04 debit charge 7.50 GBP
}
