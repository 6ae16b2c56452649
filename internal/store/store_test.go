package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/store"
)

func TestMain(m *testing.M) {
	pgtest.SetTemplate(func(ctx context.Context, pool *pgxpool.Pool) error {
		_, err := store.Migrate(ctx, pool)
		return err
	})
	pgtest.Main(m)
}

func TestMigrateTwiceAppliesNothing(t *testing.T) {
	t.Parallel()

	pool := pgtest.DB(t)

	applied, err := store.Migrate(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}

	if len(applied) != 0 {
		t.Fatalf("second migrate applied %v", applied)
	}
}

func seedInvoice(t *testing.T, pool *pgxpool.Pool, number string, total int64) {
	t.Helper()

	ctx := context.Background()

	_, err := store.UpsertCustomer(ctx, pool, billing.Customer{ID: "C1", Name: "Example Ltd",
		BankAccounts: []string{"NL91ABNA0417164300"}, Aliases: []string{"EXAMPLE"}}, "test")
	if err != nil {
		t.Fatal(err)
	}

	day := time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)
	_, err = store.SyncERPInvoice(ctx, pool, billing.Invoice{Number: number, ERPID: "erp-" + number,
		CustomerID: "C1", CustomerName: "Example Ltd", Currency: "EUR", Total: total, Open: total,
		IssueDate: day, DueDate: day.AddDate(0, 0, 30)})
	if err != nil {
		t.Fatal(err)
	}
}

func TestReduceOpenNeverGoesBelowZero(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	pool := pgtest.DB(t)
	seedInvoice(t, pool, "INV-1", 10000)

	open, err := store.ReduceOpen(ctx, pool, "INV-1", 6000)
	if err != nil || open != 4000 {
		t.Fatalf("ReduceOpen = %d, %v; want 4000", open, err)
	}

	if _, err := store.ReduceOpen(ctx, pool, "INV-1", 4001); !errors.Is(err, store.ErrOverApplied) {
		t.Fatalf("over-application err = %v, want ErrOverApplied", err)
	}

	open, err = store.ReduceOpen(ctx, pool, "INV-1", 4000)
	if err != nil || open != 0 {
		t.Fatalf("ReduceOpen = %d, %v; want 0", open, err)
	}

	inv, err := store.Invoice(ctx, pool, "INV-1")
	if err != nil {
		t.Fatal(err)
	}

	if inv.Status != store.InvoicePaid {
		t.Fatalf("status = %s, want paid", inv.Status)
	}
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	pool := pgtest.DB(t)

	if err := store.Audit(ctx, pool, "ops", "assign", "exception", "1", nil, map[string]string{
		"assignee": "ana"}); err != nil {
		t.Fatal(err)
	}

	if _, err := pool.Exec(ctx, "UPDATE audit_log SET actor = 'x'"); err == nil {
		t.Fatal("update of audit_log succeeded")
	}

	if _, err := pool.Exec(ctx, "DELETE FROM audit_log"); err == nil {
		t.Fatal("delete from audit_log succeeded")
	}

	log, err := store.AuditLog(ctx, pool, "exception", "1", 10)
	if err != nil || len(log) != 1 || log[0].Actor != "ops" {
		t.Fatalf("audit log = %+v, %v", log, err)
	}
}

func TestSameFileAndSameTransactionsStoredOnce(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	pool := pgtest.DB(t)

	raw := []byte("same bytes")

	f, dup, err := store.InsertBankFile(ctx, pool, "a.csv", raw, "treasury")
	if err != nil || dup {
		t.Fatalf("first insert: dup=%v err=%v", dup, err)
	}

	again, dup, err := store.InsertBankFile(ctx, pool, "b.csv", raw, "treasury")
	if err != nil || !dup || again.ID != f.ID {
		t.Fatalf("second insert: id=%d dup=%v err=%v, want id %d dup", again.ID, dup, err, f.ID)
	}

	tx := func(key string, cents int64) bankfile.Transaction {
		return bankfile.Transaction{Seq: 1, Direction: bankfile.Credit, Kind: bankfile.KindPayment,
			Amount: money.New(cents, "INR"), DedupeKey: key}
	}

	n, d, err := store.InsertPayments(ctx, pool, f.ID, f.SHA256, []bankfile.Transaction{
		tx("acct|TXN1|1", 2500000), tx("acct|TXN2|1", 1250000), tx("acct|TXN2|2", 750000)})
	if err != nil || n != 3 || d != 0 {
		t.Fatalf("first payments: %d new, %d dup, %v", n, d, err)
	}

	n, d, err = store.InsertPayments(ctx, pool, f.ID, f.SHA256, []bankfile.Transaction{
		tx("acct|TXN2|1", 1250000), tx("acct|TXN2|2", 750000), tx("acct|TXN7|1", 500000)})
	if err != nil || n != 1 || d != 2 {
		t.Fatalf("overlapping payments: %d new, %d dup, %v; want 1 new, 2 dup", n, d, err)
	}
}
