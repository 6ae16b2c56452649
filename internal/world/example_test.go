package world_test

import (
	"fmt"
	"os"

	"github.com/o2c-dev/o2c/internal/world"
)

// A world of three customers, the invoices for their deals and a bank CSV
// paying most of them with noise; each payment knows what it pays.
func Example() {
	w := world.Generate(world.Config{Seed: 1, Customers: 3, DealsPerCustomer: 2})
	invoices := world.InvoicesFor(w, 1)
	payments := world.Pay(w, invoices, world.PayConfig{Seed: 1, Fraction: 0.8, Noise: true})

	if err := world.WriteBankCSV(os.Stdout, payments, world.CSVOptions{}); err != nil {
		fmt.Println(err)
	}

	for _, p := range payments {
		fmt.Println(p.Kind, p.Truth)
	}

	// Output:
	// Date,Transaction ID,Payer,Description,Amount,Currency
	// 2025-02-28,091109173076655,Northwind Media,INV-000001,13079.85,USD
	// 2025-02-28,091109173076656,Northwind Media,INV-000006,13079.85,USD
	// 2025-02-28,081004333076657,Okafor Partners,3,451.79,USD
	// 2025-02-28,211300523076658,Dunmore Insurance Agency Co.,VENDOR PAYMENT,1983.78,USD
	// 2025-02-28,321803113076659,Thornton Realty Company,"INV-000004, INV-000005",14305.92,USD
	// clean [{INV-000001 1307985 0 0}]
	// clean [{INV-000006 1307985 0 0}]
	// ref_in_text_variant [{INV-000003 45179 0 0}]
	// unknown_payer []
	// multi_invoice [{INV-000004 198378 0 0} {INV-000005 1232214 0 0}]
}
