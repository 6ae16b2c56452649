package hubspot_test

import (
	"testing"
	"time"

	"github.com/o2c-dev/o2c/connectors/crm/hubspot"
	"github.com/o2c-dev/o2c/connectors/crm/hubspot/hubspotsim"
)

func TestB26DealExchangeRateFromHubSpot(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{}, hubspot.Config{DefaultCurrency: "USD"})

	cases := []struct {
		name, currency, amount string
		props                  map[string]string
		rate, base             string
	}{
		{"stated rate", "EUR", "8000.00", map[string]string{"hs_exchange_rate": "1.0725",
			"amount_in_home_currency": "8580.00"}, "1.0725", "USD"},
		{"home amount only", "EUR", "8000.00",
			map[string]string{"amount_in_home_currency": "8580.00"}, "1.072500", "USD"},
		{"home amount, repeating", "GBP", "300.00",
			map[string]string{"amount_in_home_currency": "380.00"}, "1.266667", "USD"},
		{"no rate", "EUR", "8000.00", nil, "", "USD"},
		{"home currency", "USD", "8000.00",
			map[string]string{"hs_exchange_rate": "1"}, "", ""},
	}

	want := map[string]int{}
	for i, c := range cases {
		b.sim.Advance(time.Millisecond)
		id := b.sim.AddDeal(hubspotsim.Deal{Name: c.name, Amount: c.amount,
			Currency: c.currency, Stage: hubspotsim.DefaultWonStageID, CompanyID: b.company,
			Properties: c.props})
		want[id] = i
	}

	p, _ := b.pull(t, "")
	if len(p.Deals) != len(cases) {
		t.Fatalf("pulled %d deals, want %d; problems %v", len(p.Deals), len(cases), p.Problems)
	}

	for _, d := range p.Deals {
		c := cases[want[d.CRMID]]
		if d.ExchangeRate != c.rate || d.BaseCurrency != c.base {
			t.Errorf("%s: rate %q into %q, want %q into %q", c.name, d.ExchangeRate,
				d.BaseCurrency, c.rate, c.base)
		}
	}
}
