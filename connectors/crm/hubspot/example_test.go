package hubspot_test

import (
	"context"
	"fmt"
	"log"

	"github.com/o2c-dev/o2c/connectors/crm/hubspot"
	"github.com/o2c-dev/o2c/connectors/crm/hubspot/hubspotsim"
)

func ExampleClient_PullWonDeals() {
	sim := hubspotsim.New(hubspotsim.Config{SearchLag: -1})
	sim.Seed()

	url, err := sim.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()

	client, err := hubspot.New(hubspot.Config{
		BaseURL:   url,
		Token:     sim.Token(),
		WonStages: []string{hubspotsim.DefaultWonStageID, hubspotsim.CustomWonStageID},
	})
	if err != nil {
		log.Fatal(err)
	}

	pull, cursor, err := client.PullWonDeals(context.Background(), "")
	if err != nil {
		log.Fatal(err)
	}

	for _, d := range pull.Deals {
		fmt.Printf("%s %-26s %-14s %d line items, %s\n", d.CRMID, d.Name, d.Amount,
			len(d.LineItems), d.CompanyName)
	}

	again, _, err := client.PullWonDeals(context.Background(), cursor)
	if err != nil {
		log.Fatal(err)
	}

	fmt.Println("second pull:", len(again.Deals), "deals")

	// Output:
	// 1005 Northwind annual licence   13250.50 USD   2 line items, Northwind Traders
	// 1010 Kestrel renewal 2025       1267.50 EUR    1 line items, Kestrel Analytics GmbH
	// 1012 Sakura freight module      540000 JPY     1 line items, Sakura Logistics KK
	// second pull: 0 deals
}
