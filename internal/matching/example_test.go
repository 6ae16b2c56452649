package matching_test

import (
	"fmt"
	"time"

	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/matching"
	"github.com/o2c-dev/o2c/internal/money"
)

func ExampleEngine_Match() {
	customers := []billing.Customer{
		{ID: "C-1", Name: "Sample Customer LLC", BankAccounts: []string{"DE89370400440532013000"}},
	}
	due := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	invoices := []billing.Invoice{
		{Number: "INV-7", CustomerID: "C-1", Currency: "USD", Total: 64000, Open: 64000,
			DueDate: due},
		{Number: "INV-9", CustomerID: "C-1", Currency: "USD", Total: 64000, Open: 64000,
			DueDate: due},
	}
	e := matching.New(customers, invoices, matching.DefaultRules())

	// Two invoices of the same amount and no reference: held, never guessed.
	d := e.Match(matching.Payment{ID: "p1", Amount: money.New(64000, "USD"),
		PayerAccount: "DE89 3704 0044 0532 0130 00"})
	fmt.Println(d.Exception.Reason, "-", d.Exception.Message)

	// A reference settles it.
	d = e.Match(matching.Payment{ID: "p2", Amount: money.New(64000, "USD"),
		PayerName: "SAMPLE CUSTOMER", Remittance: "Invoice INV-9, thank you"})
	a := d.Applications[0]
	fmt.Println(a.InvoiceNumber, a.Rule, a.Confidence)
	fmt.Println(a.Explanation)

	// Output:
	// ambiguous - held: INV-7 and INV-9 both open for 640.00, no reference
	// INV-9 reference_exact 0.97
	// INV-9 referenced in remittance; amount 640.00 equals open amount; payer identified by name
}

func ExampleExtractRefs() {
	fmt.Println(matching.ExtractRefs("payment for invoices INV-1, INV-2 and INV-3"))
	fmt.Println(matching.NormalizeRef("INV-000123"), matching.NormalizeRef("inv 123"))
	fmt.Println(matching.NormalizeName("Example Trading B.V."))

	// Output:
	// [INV1 1 INV2 2 INV3 3]
	// INV123 INV123
	// EXAMPLE TRADING
}
