package matching_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/matching"
	"github.com/o2c-dev/o2c/internal/money"
)

// manyCodes is remittance naming n codes no invoice has, then a real one.
func manyCodes(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "AA%03d ", i%1000)
		fmt.Fprintf(&b, "ZX%05d ", i)
	}

	return b.String() + "INV-000777"
}

// Remittance with thousands of codes that name nothing still finds the one that
// does (the work per code is bounded; it was quadratic).
func TestThousandsOfUnknownCodesStillFindTheInvoice(t *testing.T) {
	t.Parallel()

	e := matching.New([]billing.Customer{{ID: "C1", Name: "Acme Corp"}},
		[]billing.Invoice{{Number: "INV-000777", CustomerID: "C1", Currency: "USD",
			Total: 12500, Open: 12500}}, matching.DefaultRules())

	d := e.Match(matching.Payment{ID: "p1", Amount: money.New(12500, "USD"),
		PayerName: "ACME CORP", Remittance: manyCodes(20000)})

	if len(d.Applications) != 1 || d.Applications[0].InvoiceNumber != "INV-000777" {
		t.Fatalf("decision = %+v", d)
	}
}

func BenchmarkMatchManyUnknownCodes(b *testing.B) {
	e := matching.New([]billing.Customer{{ID: "C1", Name: "Acme Corp"}},
		[]billing.Invoice{{Number: "INV-000777", CustomerID: "C1", Currency: "USD",
			Total: 12500, Open: 12500}}, matching.DefaultRules())
	text := manyCodes(10000)

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Match(matching.Payment{ID: "p1", Amount: money.New(100, "USD"),
			PayerName: "ACME CORP", Remittance: text})
	}
}
