package billing_test

import (
	"testing"

	"github.com/o2c-dev/o2c/internal/billing"
)

func TestB25LineTaxIsRoundedPerLine(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name  string
		line  billing.LineItem
		tax   int64
		gross int64
		bad   bool
	}{
		{"net, rate only", billing.LineItem{Amount: 1667, TaxRate: "0.19"}, 317, 1984, false},
		{"net, tax given", billing.LineItem{Amount: 1667, TaxRate: "0.19", Tax: 316}, 316,
			1983, false},
		{"gross, rate only", billing.LineItem{Amount: 60000, TaxRate: "0.21",
			TaxIncluded: true}, 10413, 60000, false},
		{"half away from zero", billing.LineItem{Amount: 50, TaxRate: "0.25"}, 13, 63, false},
		{"negative line", billing.LineItem{Amount: -50, TaxRate: "0.25"}, -13, -63, false},
		{"no tax", billing.LineItem{Amount: 999}, 0, 999, false},
		{"float rate", billing.LineItem{Amount: 999, TaxRate: "2.1e-1"}, 0, 0, true},
		{"negative rate", billing.LineItem{Amount: 999, TaxRate: "-0.1"}, 0, 0, true},
	}

	for _, c := range cases {
		tax, err := c.line.LineTax()
		gross, gerr := c.line.Gross()

		if c.bad {
			if err == nil || gerr == nil {
				t.Errorf("%s: tax %d, gross %d, want errors", c.name, tax, gross)
			}

			continue
		}

		if err != nil || gerr != nil || tax != c.tax || gross != c.gross {
			t.Errorf("%s: tax %d (%v), gross %d (%v); want %d, %d", c.name, tax, err, gross,
				gerr, c.tax, c.gross)
		}
	}
}
