package pipelines_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/pipelines"
)

// An exception resolved by ops reaches the ERP through the same topic and handler
// as an automatic application.
func TestResolvedExceptionIsRecordedInERP(t *testing.T) {
	t.Parallel()

	b := setup(t, nil)
	b.pullAndPush(t)

	ctx := context.Background()
	invs := b.invoices(t, store.InvoiceOpen)
	first, second := invs[0], invs[1]

	// Pays both invoices with no reference, from nobody o2c knows: held.
	amount := money.New(first.Open+second.Open-100, first.Currency)
	csv := fmt.Sprintf("Date,Transaction ID,Payer,Description,Amount,Currency\n"+
		"2025-02-03,T-RES-1,UNKNOWN HOLDINGS,SETTLEMENT,%s,%s\n", amount.Decimal(), amount.Currency)

	s, err := pipelines.Submit(ctx, b.pool, "held.csv", []byte(csv), "treasury")
	if err != nil {
		t.Fatal(err)
	}

	if _, err := pipelines.WaitFiles(ctx, b.pool, []int64{s.File.ID}, pollEvery); err != nil {
		t.Fatal(err)
	}

	q := &exceptions.Service{Pool: b.pool}

	open, err := q.List(ctx, store.ExceptionFilter{Status: store.ExceptionOpen})
	if err != nil || len(open) != 1 {
		t.Fatalf("open exceptions = %d, %v; want 1", len(open), err)
	}

	out, err := q.Resolve(ctx, open[0].ID, "ana", exceptions.Resolution{
		Allocations: []exceptions.Allocation{
			{InvoiceNumber: first.Number, Amount: money.New(first.Open, first.Currency).Decimal()},
			{InvoiceNumber: second.Number,
				Amount: money.New(second.Open-100, second.Currency).Decimal()},
		},
		Note: "customer confirmed by phone",
	})
	if err != nil {
		t.Fatal(err)
	}

	if out.Status != store.ExceptionResolved || len(out.Applications) != 2 {
		t.Fatalf("outcome = %+v", out)
	}

	waitFor(t, "manual applications recorded in xero", func() bool {
		var pending int
		_ = b.pool.QueryRow(ctx, "SELECT count(*) FROM applications WHERE erp_state <> 'recorded'").
			Scan(&pending)
		return pending == 0
	})

	paid := map[string]int64{}
	for _, p := range b.xs.Payments() {
		paid[p.InvoiceID] += p.Amount
	}

	if paid[first.ERPID] != first.Open || paid[second.ERPID] != second.Open-100 {
		t.Fatalf("xero payments = %v; want %d on %s and %d on %s", paid, first.Open,
			first.ERPID, second.Open-100, second.ERPID)
	}

	v, ok := b.xs.Invoice(second.Number)
	if !ok || v.AmountDue != 100 {
		t.Fatalf("xero amount due of %s = %d, want 100", second.Number, v.AmountDue)
	}
}
