package matching

import (
	"fmt"
	"testing"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/money"
)

// synthetic builds n invoices over n/5 customers and n payments: 60 % pay one
// invoice by reference in free text, 10 % by a structured line, 20 % by amount
// from a known account, 10 % from unknown payers without reference.
func synthetic(n int) ([]billing.Customer, []billing.Invoice, []Payment) {
	seed := uint64(42)
	next := func() uint64 {
		seed = seed*6364136223846793005 + 1442695040888963407
		return seed >> 33
	}

	nc := max(n/5, 1)
	customers := make([]billing.Customer, nc)
	for i := range customers {
		customers[i] = billing.Customer{
			ID:           fmt.Sprintf("C%06d", i),
			Name:         fmt.Sprintf("Customer %d Ltd", i),
			BankAccounts: []string{fmt.Sprintf("021000021:%09d", i+1)},
		}
	}

	invoices := make([]billing.Invoice, n)
	for i := range invoices {
		amt := int64(1000 + next()%5_000_000)
		invoices[i] = billing.Invoice{
			Number: fmt.Sprintf("INV-%07d", i+1), CustomerID: customers[i%nc].ID,
			Currency: "USD", Total: amt, Open: amt,
			IssueDate: day("2025-01-01"), DueDate: day("2025-01-31"),
		}
	}

	payments := make([]Payment, n)
	for i := range payments {
		inv := invoices[next()%uint64(n)]
		p := Payment{ID: fmt.Sprintf("P%d", i), Amount: money.New(inv.Open, "USD"),
			ValueDate: day("2025-01-20")}
		switch k := i % 10; {
		case k < 6:
			p.Remittance = "payment for invoice " + inv.Number + " thank you"
			p.PayerName = "CUSTOMER " + inv.CustomerID
		case k < 7:
			p.Remits = []bankfile.Remit{{Ref: inv.Number, RefType: "IV", Paid: inv.Open}}
		case k < 9:
			p.PayerAccount = fmt.Sprintf("021000021:%09d", i%nc+1)
			p.Amount.Minor = invoices[i%n].Open
		default:
			p.PayerName = "Unknown Payer"
			p.Remittance = "transfer"
		}

		payments[i] = p
	}

	return customers, invoices, payments
}

func BenchmarkNew(b *testing.B) {
	customers, invoices, _ := synthetic(100_000)
	b.ReportAllocs()
	for b.Loop() {
		New(customers, invoices, DefaultRules())
	}
}

// BenchmarkMatch runs 100k payments against 100k invoices; ns/payment is the
// figure to watch.
func BenchmarkMatch(b *testing.B) {
	customers, invoices, payments := synthetic(100_000)
	b.ReportAllocs()

	var total, applied int
	for b.Loop() {
		b.StopTimer()
		e := New(customers, invoices, DefaultRules())
		b.StartTimer()

		for _, p := range payments {
			if d := e.Match(p); len(d.Applications) > 0 {
				applied++
			}

			total++
		}
	}

	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(total), "ns/payment")
	b.ReportMetric(float64(applied)/float64(total), "applied/payment")
}

// BenchmarkFuzzyPayer160k searches payer names with typing slips, cut short or
// of no customer among the 160,000 customers of bigNameCustomers, past the
// cache of answers; ns/op is one search.
func BenchmarkFuzzyPayer160k(b *testing.B) {
	e := bigNameEngine()
	names := []string{
		"QUILFEATHER ENGINES VALLEY", "QUORVANE FREIGHT PARTNRS", "ISEMBARD KILNWORKS INTER",
		"BRACOR LOGISTCS NORTH", "ZANWIL GLASWORKS PRAIRIE", "HOLGAL TANNERY MIDWST",
		"KIRROS FORGES ATLAN", "UNKNOWN PAYER", "DELFEN ROPES AND CANDLES",
	}
	for i, n := range names {
		names[i] = NormalizeName(n)
	}

	b.ReportAllocs()
	i := 0
	for b.Loop() {
		e.searchPayer(names[i%len(names)])
		i++
	}
}
