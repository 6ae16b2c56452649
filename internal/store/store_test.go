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

// An ERP listing taken before an application was recorded in the ERP still shows
// the old amount due; it must not reopen what o2c applied.
func TestERPListingOlderThanARecordingDoesNotReopen(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	pool := pgtest.DB(t)
	seedInvoice(t, pool, "INV-R1", 100000)

	f, _, err := store.InsertBankFile(ctx, pool, "p.csv", []byte("p"), "treasury")
	if err != nil {
		t.Fatal(err)
	}

	if _, _, err := store.InsertPayments(ctx, pool, f.ID, f.SHA256, []bankfile.Transaction{{
		Seq: 1, Direction: bankfile.Credit, Kind: bankfile.KindPayment,
		Amount: money.New(100000, "EUR"), DedupeKey: "k1"}}); err != nil {
		t.Fatal(err)
	}

	ps, err := store.PaymentsOfFile(ctx, pool, f.ID)
	if err != nil {
		t.Fatal(err)
	}

	app, err := store.Apply(ctx, pool, store.Application{PaymentID: ps[0].ID,
		InvoiceNumber: "INV-R1", Currency: "EUR", Amount: 100000, Rule: "reference_exact",
		RulesVersion: "test", Confidence: 1, Explanation: "test", Source: store.SourceAuto,
		Actor: "o2c"})
	if err != nil {
		t.Fatal(err)
	}

	listedAt, err := store.DatabaseNow(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}

	// The ERP is told after the listing was taken.
	if err := store.MarkApplicationRecorded(ctx, pool, app.ID, "erp-pay-1"); err != nil {
		t.Fatal(err)
	}

	day := time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)
	stale := billing.Invoice{Number: "INV-R1", ERPID: "erp-INV-R1", CustomerID: "C1",
		CustomerName: "Example Ltd", Currency: "EUR", Total: 100000, Open: 100000,
		IssueDate: day, DueDate: day.AddDate(0, 0, 30)}

	if _, err := store.SyncERPListing(ctx, pool, stale, listedAt); err != nil {
		t.Fatal(err)
	}

	inv, err := store.Invoice(ctx, pool, "INV-R1")
	if err != nil {
		t.Fatal(err)
	}

	if inv.Open != 0 || inv.Status != store.InvoicePaid {
		t.Fatalf("stale listing reopened the invoice: open %d, status %s", inv.Open, inv.Status)
	}

	// A listing taken after the recording shows the ERP's own amount due.
	fresh := stale
	fresh.Open = 0

	if _, err := store.SyncERPListing(ctx, pool, fresh, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
}
