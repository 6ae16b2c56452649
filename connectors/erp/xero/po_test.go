package xero_test

import (
	"context"
	"testing"

	"github.com/o2c-dev/o2c/connectors/erp/xero/xerosim"
)

// The customer's PO number travels in Xero's Reference and comes back as the
// listed invoice's PONumber; an invoice without one has an empty Reference.
func TestPONumberRoundTripsThroughReference(t *testing.T) {
	t.Parallel()

	b := setup(t, xerosim.Config{}, nil)
	ctx := context.Background()

	cases := map[string]string{
		"INV-3001": "4500012345",
		"INV-3002": "",
		"INV-3003": `PO "77", rev/B`,
	}

	for number, po := range cases {
		inv, lines := invoice(number, 5000)
		inv.PONumber = po

		if _, err := b.client.CreateInvoice(ctx, inv, lines); err != nil {
			t.Fatalf("create %s: %v", number, err)
		}

		got, ok := b.sim.Invoice(number)
		if !ok || got.Reference != po {
			t.Errorf("%s in xero: Reference %q, want %q", number, got.Reference, po)
		}
	}

	open, err := b.client.OpenInvoices(ctx)
	if err != nil {
		t.Fatal(err)
	}

	if len(open) != len(cases) {
		t.Fatalf("%d open invoices, want %d", len(open), len(cases))
	}

	for _, inv := range open {
		if want := cases[inv.Number]; inv.PONumber != want {
			t.Errorf("%s listed with PONumber %q, want %q", inv.Number, inv.PONumber, want)
		}
	}
}
