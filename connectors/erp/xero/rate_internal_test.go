package xero

import (
	"testing"

	"github.com/o2c-dev/o2c/internal/billing"
)

func TestB26CurrencyRateIsTheInverseInSixDecimals(t *testing.T) {
	t.Parallel()

	cases := []struct {
		inv  billing.Invoice
		want string
		bad  bool
	}{
		{billing.Invoice{Currency: "EUR", BaseCurrency: "USD", ExchangeRate: "1.0850"},
			"0.921659", false},
		{billing.Invoice{Currency: "JPY", BaseCurrency: "USD", ExchangeRate: "0.006667"},
			"149.992500", false},
		{billing.Invoice{Currency: "EUR", BaseCurrency: "USD", ExchangeRate: "2"}, "0.500000",
			false},
		{billing.Invoice{Currency: "EUR", BaseCurrency: "USD"}, "", false},
		{billing.Invoice{Currency: "USD", BaseCurrency: "USD", ExchangeRate: "1.2"}, "", false},
		{billing.Invoice{Currency: "EUR", ExchangeRate: "0"}, "", true},
		{billing.Invoice{Currency: "EUR", ExchangeRate: "1e3"}, "", true},
	}

	for _, c := range cases {
		got, err := currencyRate(c.inv)
		if (err != nil) != c.bad || string(got) != c.want {
			t.Errorf("currencyRate(%+v) = %q, %v; want %q, error %v", c.inv, got, err,
				c.want, c.bad)
		}
	}
}
