package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/store"
)

// Matching opens an exception before it records who paid, in one transaction:
// the exception still carries the customer once that commits.
func TestExceptionTakesItsPaymentsCustomerAtCommit(t *testing.T) {
	t.Parallel()

	pool := pgtest.DB(t)
	ctx := context.Background()

	if _, err := store.UpsertCustomer(ctx, pool, billing.Customer{ID: "C-1", Name: "Lark"},
		"test"); err != nil {
		t.Fatal(err)
	}

	f, _, err := store.InsertBankFile(ctx, pool, "a.csv", []byte("a"), "test")
	if err != nil {
		t.Fatal(err)
	}

	txs := []bankfile.Transaction{{Seq: 1, Direction: bankfile.Credit,
		Kind: bankfile.KindPayment, Amount: money.New(500, "EUR"),
		BookingDate: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}}
	if _, _, err := store.InsertPayments(ctx, pool, f.ID, f.SHA256, txs); err != nil {
		t.Fatal(err)
	}

	ps, err := store.PaymentsOfFile(ctx, pool, f.ID)
	if err != nil {
		t.Fatal(err)
	}

	var id int64

	err = store.InTx(ctx, pool, func(tx pgx.Tx) error {
		e, err := store.OpenException(ctx, tx, store.Exception{PaymentID: ps[0].ID,
			Reason: "partial", Message: "m", Amount: 500, Currency: "EUR"})
		if err != nil {
			return err
		}

		id = e.ID

		return store.SetNewPaymentOutcomes(ctx, tx, []store.Outcome{{PaymentID: ps[0].ID,
			Status: store.PaymentException, CustomerID: "C-1", Unapplied: 500}})
	})
	if err != nil {
		t.Fatal(err)
	}

	e, err := store.GetException(ctx, pool, id, false)
	if err != nil || e.CustomerID != "C-1" {
		t.Fatalf("exception customer %q %v, want C-1", e.CustomerID, err)
	}

	rows, err := store.ExceptionQueue(ctx, pool, store.QueueFilter{CustomerID: "C-1"},
		store.QueueOrder{}, nil, 10)
	if err != nil || len(rows) != 1 || rows[0].CustomerName != "Lark" {
		t.Fatalf("queue by customer: %+v %v", rows, err)
	}

	// One pending approval per exception.
	a := store.Approval{ExceptionID: id, Kind: store.ApprovalWriteOff, Request: []byte(`{}`),
		Amount: 10, Currency: "EUR", RequestedBy: "ana"}
	if _, err := store.RequestApproval(ctx, pool, a); err != nil {
		t.Fatal(err)
	}

	if _, err := store.RequestApproval(ctx, pool, a); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second pending approval: %v, want ErrConflict", err)
	}
}
