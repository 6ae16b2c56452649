package matching

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/world"
)

// traceWorld is a varied set to match with traces on and off: a generated world
// with every kind of noisy payment, the engine fixture's invoices, and the
// synthetic benchmark set.
type traceWorld struct {
	name      string
	customers []billing.Customer
	invoices  []billing.Invoice
	payments  []Payment
}

func traceWorlds() []traceWorld {
	var out []traceWorld
	for _, cur := range []string{"USD", "EUR"} {
		w := world.Generate(world.Config{Seed: 7, Customers: 150, DealsPerCustomer: 4,
			Currency: cur})
		invoices := world.InvoicesFor(w, 1)
		ps := world.Pay(w, invoices, world.PayConfig{Seed: 8, Noise: true})
		payments := make([]Payment, 0, len(ps))
		for i, p := range ps {
			payments = append(payments, Payment{
				ID: fmt.Sprintf("W%d", i), Amount: p.Amount, ValueDate: p.ValueDate,
				PayerName: p.PayerName, PayerAccount: p.PayerAccount, PayerID: p.PayerID,
				EndToEndID: p.EndToEndID, Remittance: p.Remittance, Remits: p.Remits,
			})
		}

		out = append(out, traceWorld{"world " + cur, w.Customers, invoices, payments})
	}

	names := map[string]string{}
	for _, c := range fixtureCustomers() {
		names[c.ID] = c.Name
	}

	var fixture []Payment
	for i, inv := range fixtureInvoices() {
		fixture = append(fixture,
			Payment{ID: fmt.Sprintf("F%da", i), Amount: usd(inv.Open),
				Remittance: "invoice " + inv.Number, ValueDate: day("2025-02-01")},
			Payment{ID: fmt.Sprintf("F%db", i), Amount: usd(inv.Open / 2),
				PayerName: names[inv.CustomerID], ValueDate: day("2025-02-01")},
			Payment{ID: fmt.Sprintf("F%dc", i), Amount: usd(inv.Open),
				PayerName: names[inv.CustomerID]})
	}

	out = append(out, traceWorld{"fixture", fixtureCustomers(), fixtureInvoices(), fixture})
	customers, invoices, payments := synthetic(3000)
	out = append(out, traceWorld{"synthetic", customers, invoices, payments})

	return out
}

// TestTraceOffSameDecisions matches the same payments with traces on and off and
// requires the same decisions apart from the trace, which only the first has.
func TestTraceOffSameDecisions(t *testing.T) {
	for _, tw := range traceWorlds() {
		t.Run(tw.name, func(t *testing.T) {
			on := New(tw.customers, tw.invoices, DefaultRules())
			off := New(tw.customers, tw.invoices, DefaultRules())
			off.SetTrace(false)
			var applied, held, candidates int
			for _, p := range tw.payments {
				a, b := on.Match(p), off.Match(p)
				if a.Trace.RulesVersion != RulesVersion || a.Trace.Sentence == "" {
					t.Fatalf("payment %s: trace on but trace empty: %+v", p.ID, a.Trace)
				}

				if !reflect.DeepEqual(b.Trace, Trace{}) {
					t.Fatalf("payment %s: trace off but trace built: %+v", p.ID, b.Trace)
				}

				a.Trace = Trace{}
				if !reflect.DeepEqual(a, b) {
					t.Fatalf("payment %s: decisions differ\ntrace on:  %+v\ntrace off: %+v",
						p.ID, a, b)
				}

				if len(a.Applications) > 0 {
					applied++
				}

				if a.Exception != nil {
					held++
					candidates += len(a.Exception.Candidates)
				}
			}

			if applied == 0 || held == 0 {
				t.Fatalf("set not varied: %d applied, %d held of %d", applied, held,
					len(tw.payments))
			}

			t.Logf("%d payments: %d applied, %d held, %d exception candidates",
				len(tw.payments), applied, held, candidates)
		})
	}
}
