package xero_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/o2c-dev/o2c/connectors/erp/xero"
	"github.com/o2c-dev/o2c/connectors/erp/xero/xerosim"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/money"
)

// ExampleClient pushes an invoice to a simulated Xero organisation, records a
// partial payment and reads back what is still open.
func ExampleClient() {
	sim := xerosim.New(xerosim.Config{})

	base, err := sim.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()

	client, err := xero.New(xero.Config{
		BaseURL:      base + xerosim.APIPrefix,
		TokenURL:     base + xerosim.TokenPath,
		ClientID:     "o2c-sim",
		ClientSecret: "o2c-sim-secret",
		TenantID:     "3f1a9c2e-0000-4000-8000-00000000a11c",
	})
	if err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

	id, err := client.CreateInvoice(ctx, billing.Invoice{
		Number: "INV-0042", CustomerID: "cust-7", CustomerName: "Northwind Ltd",
		Currency: "EUR", Total: 150050, IssueDate: day, DueDate: day.AddDate(0, 0, 30),
		DealID: "deal-18450021", PONumber: "4500012345",
	}, []billing.LineItem{
		{Name: "Consulting day", Quantity: "2", UnitPrice: 75025, Amount: 150050},
	})
	if err != nil {
		log.Fatal(err)
	}

	_, err = client.RecordPayment(ctx, xero.Payment{
		InvoiceID: id, Amount: money.New(100000, "EUR"), Date: day.AddDate(0, 0, 10),
		Reference: "o2c-app-1",
	})
	if err != nil {
		log.Fatal(err)
	}

	open, err := client.OpenInvoices(ctx)
	if err != nil {
		log.Fatal(err)
	}

	for _, inv := range open {
		fmt.Println(inv.Number, inv.CustomerID, "PO", inv.PONumber, inv.OpenAmount(), "of",
			money.New(inv.Total, inv.Currency))
	}

	// Output:
	// INV-0042 cust-7 PO 4500012345 500.50 EUR of 1500.50 EUR
}
