package mt940_test

import (
	"fmt"
	"strings"

	"github.com/o2c-dev/o2c/connectors/bank/mt940"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

func ExampleScan() {
	file := strings.Join([]string{
		":20:STMT-1",
		":25:NL91ABNA0417164300",
		":28C:7/1",
		":60F:C250102EUR100,00",
		":61:2501020102C250,00NTRFNONREF//BR-1",
		":86:/EREF/E2E-9//CNTP/NL69INGB0123456789/INGBNL2A/ACME BV///REMI/USTD//INV-1001/",
		":62F:C250102EUR350,00",
		"-",
	}, "\r\n")

	f, err := mt940.Scan("stmt.sta", strings.NewReader(file), func(t bankfile.Transaction) error {
		fmt.Println(t.Direction, t.Amount, t.PayerName, t.Remittance)
		fmt.Println(t.DedupeKey)
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	fmt.Println(f.Format, f.Account, f.Controls)

	// Output:
	// credit 250.00 EUR ACME BV INV-1001
	// mt940:NL91ABNA0417164300:250102:C:250.00EUR:NTRF:NONREF/BR-1
	// mt940 NL91ABNA0417164300 ok
}

func ExampleParseInfo() {
	in := mt940.ParseInfo("166?00GUTSCHRIFT?20EREF+E-1?21SVWZ+RE 20\n25-17?32ACME G\n?33MBH")

	fmt.Println(in.Code, in.BookingText)
	fmt.Println(in.Purpose)
	fmt.Println(in.EndToEndID, "|", in.Remittance, "|", in.Name)

	// Output:
	// 166 GUTSCHRIFT
	// EREF+E-1SVWZ+RE 2025-17
	// E-1 | RE 2025-17 | ACME GMBH
}
