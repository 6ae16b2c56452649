package bai2_test

import (
	"fmt"

	"github.com/o2c-dev/o2c/connectors/bank/bai2"
)

func ExampleRead() {
	data := []byte(`01,TESTBANK,WIDGETCO,250301,0700,1,,,2/
02,WIDGETCO,TESTBANK,1,250228,2400,USD,2/
03,0007654321,USD,010,800000,,,015,889900,,,100,89900,1,,400,0,0,/
16,142,89900,0,ACH0000001,PO-4411,NORTHWIND TRADING
88,OBI: INV-1001 INV-1002
49,1869700,4/
98,1869700,1,6/
99,1869700,1,8/
`)

	f, err := bai2.Read("example.bai2", data)
	if err != nil {
		fmt.Println(err)
		return
	}

	fmt.Println(f.Controls, f.Account, len(f.Balances), "balances")

	for _, t := range f.Transactions {
		fmt.Println(t.Direction, t.Kind, t.Amount, t.PaymentRef)
		fmt.Println(t.Remittance)
		fmt.Println(t.DedupeKey)
	}

	// Output:
	// ok 0007654321 4 balances
	// credit payment 899.00 USD PO-4411
	// NORTHWIND TRADING OBI: INV-1001 INV-1002
	// bai2:0007654321:USD:250228:142:89900:ACH0000001:PO-4411
}
