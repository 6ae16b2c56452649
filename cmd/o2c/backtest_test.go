package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/learning"
	"github.com/o2c-dev/o2c/internal/matching"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/store"
)

// seedResolved stores a customer and three payments from one unknown payer name,
// each held and then resolved by ops to an invoice of the customer.
func seedResolved(t *testing.T, url string) {
	t.Helper()

	ctx := context.Background()

	pool, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	_, err = store.UpsertCustomer(ctx, pool, billing.Customer{ID: "C-9", Name: "Fenwick Mills"},
		"test")
	if err != nil {
		t.Fatal(err)
	}

	day := time.Date(2026, 8, 3, 0, 0, 0, 0, time.UTC)
	svc := &exceptions.Service{Pool: pool}

	for i := range 3 {
		number := fmt.Sprintf("INV-%06d", 90+i)

		_, err := store.SyncERPInvoice(ctx, pool, billing.Invoice{Number: number,
			ERPID: "x" + number, CustomerID: "C-9", CustomerName: "Fenwick Mills",
			Currency: "USD", Total: 2500, Open: 2500, IssueDate: day, DueDate: day})
		if err != nil {
			t.Fatal(err)
		}

		f, _, err := store.InsertBankFile(ctx, pool, "b.csv", []byte("file "+number), "test")
		if err != nil {
			t.Fatal(err)
		}

		tx := bankfile.Transaction{Seq: 1, Direction: bankfile.Credit,
			Kind: bankfile.KindPayment, Amount: money.New(2500, "USD"), BookingDate: day,
			PayerName: "FNWK MILLS PAYABLES", Remittance: "ref " + number[4:]}
		if _, _, err := store.InsertPayments(ctx, pool, f.ID, f.SHA256,
			[]bankfile.Transaction{tx}); err != nil {
			t.Fatal(err)
		}

		ps, err := store.PaymentsOfFile(ctx, pool, f.ID)
		if err != nil {
			t.Fatal(err)
		}

		e, err := store.OpenException(ctx, pool, store.Exception{PaymentID: ps[0].ID,
			Reason: matching.ReasonUnknownPayer, Message: "held", Amount: 2500,
			Currency: "USD"})
		if err != nil {
			t.Fatal(err)
		}

		_, err = svc.Resolve(ctx, e.ID, "ops", exceptions.Resolution{
			Allocations: []exceptions.Allocation{{InvoiceNumber: number, Amount: "25.00"}}})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func o2cRun(t *testing.T, url string, args ...string) (string, int) {
	t.Helper()

	var out, errOut bytes.Buffer

	code := run(context.Background(), append([]string{"--database-url", url}, args...), &out,
		&errOut)

	return out.String() + errOut.String(), code
}

func TestRulesAndBacktestCommands(t *testing.T) {
	url := pgtest.URL(t)
	seedResolved(t, url)

	out, code := o2cRun(t, url, "rules", "list", "--json")
	if code != 0 {
		t.Fatalf("rules list: exit %d: %s", code, out)
	}

	var props []store.Proposal
	if err := json.Unmarshal([]byte(out), &props); err != nil {
		t.Fatalf("rules list --json: %v: %s", err, out)
	}

	var name store.Proposal
	for _, p := range props {
		if p.Kind == store.ObservePayerName {
			name = p
		}
	}

	if name.Support != 3 || name.CustomerID != "C-9" {
		t.Fatalf("proposals %+v, want a payer name rule for C-9 with support 3", props)
	}

	out, code = o2cRun(t, url, "rules", "list")
	if code != 0 || !strings.Contains(out, "FNWK MILLS PAYABLES") ||
		!strings.Contains(out, "3 of 3") {
		t.Errorf("rules list: exit %d:\n%s", code, out)
	}

	out, code = o2cRun(t, url, "rules", "approve", fmt.Sprint(name.ID), "--as", "zoe")
	if code != 0 || !strings.Contains(out, "approved") {
		t.Errorf("rules approve: exit %d: %s", code, out)
	}

	if _, code = o2cRun(t, url, "rules", "approve", fmt.Sprint(name.ID)); code != 1 {
		t.Errorf("approving twice: exit %d, want 1", code)
	}

	out, code = o2cRun(t, url, "backtest", "--json")
	if code != 0 {
		t.Fatalf("backtest: exit %d: %s", code, out)
	}

	var rep learning.BacktestReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("backtest --json: %v: %s", err, out)
	}

	// The payer name is now an alias and "ref 90" names the invoice's digits: the
	// current rules apply all three payments as ops did.
	if rep.Payments != 3 || rep.PreviouslyManual != 3 || rep.GainCorrect != 3 ||
		rep.Overall.Correct != 3 {
		t.Errorf("backtest report %+v", rep)
	}

	out, code = o2cRun(t, url, "backtest", "--since", "2999-01-01")
	if code != 0 || !strings.Contains(out, "payments with known truth: 0") {
		t.Errorf("backtest --since: exit %d:\n%s", code, out)
	}

	if out, code = o2cRun(t, url, "backtest", "--since", "yesterday"); code != 2 {
		t.Errorf("backtest --since yesterday: exit %d, want 2: %s", code, out)
	}
}
