package exceptions_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/internal/service"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/pipelines"
)

func TestMain(m *testing.M) {
	pgtest.SetTemplate(service.Prepare)
	pgtest.Main(m)
}

// fixture is one customer with open invoices and a payment of theirs held in an
// open exception.
type fixture struct {
	pool      *pgxpool.Pool
	svc       *exceptions.Service
	exception store.Exception
	payment   store.PaymentRow
}

// invoice describes an open invoice to seed.
type invoice struct {
	number   string
	currency string
	open     int64
}

// seed stores a customer, the invoices, a bank file with one credit payment of
// amount in currency, and an open exception for that payment.
func seed(t *testing.T, amount int64, currency string, invs ...invoice) *fixture {
	t.Helper()

	ctx := context.Background()
	pool := pgtest.DB(t)

	_, err := store.UpsertCustomer(ctx, pool, billing.Customer{ID: "CUST-7", Name: "Tarn Mills"},
		"test")
	if err != nil {
		t.Fatal(err)
	}

	issue := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for i, inv := range invs {
		_, err := store.SyncERPInvoice(ctx, pool, billing.Invoice{
			Number: inv.number, ERPID: "erp-" + strconv.Itoa(i+1), CustomerID: "CUST-7",
			CustomerName: "Tarn Mills", Currency: inv.currency, Total: inv.open, Open: inv.open,
			IssueDate: issue, DueDate: issue.AddDate(0, 0, 30),
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	raw := []byte(fmt.Sprintf("seeded file for %s %d", t.Name(), amount))

	f, _, err := store.InsertBankFile(ctx, pool, "seed.csv", raw, "test")
	if err != nil {
		t.Fatal(err)
	}

	tx := bankfile.Transaction{Seq: 1, Line: 2, Account: "GB33BUKB20201555555555",
		Direction: bankfile.Credit, Kind: bankfile.KindPayment,
		Amount: money.New(amount, currency), BookingDate: issue.AddDate(0, 0, 20),
		BankRef: "REF-" + t.Name(), PayerName: "TARN MILLS LTD", Remittance: "see remittance"}

	if _, _, err := store.InsertPayments(ctx, pool, f.ID, f.SHA256,
		[]bankfile.Transaction{tx}); err != nil {
		t.Fatal(err)
	}

	ps, err := store.PaymentsOfFile(ctx, pool, f.ID)
	if err != nil {
		t.Fatal(err)
	}

	if len(ps) != 1 {
		t.Fatalf("stored %d payments, want 1", len(ps))
	}

	e, err := store.OpenException(ctx, pool, store.Exception{PaymentID: ps[0].ID,
		Reason: "ambiguous", Message: "two invoices fit", Amount: amount, Currency: currency})
	if err != nil {
		t.Fatal(err)
	}

	return &fixture{pool: pool, svc: &exceptions.Service{Pool: pool}, exception: e,
		payment: ps[0]}
}

func (f *fixture) open(t *testing.T, number string) int64 {
	t.Helper()

	inv, err := store.Invoice(context.Background(), f.pool, number)
	if err != nil {
		t.Fatal(err)
	}

	return inv.Open
}

func (f *fixture) count(t *testing.T, q string, args ...any) int {
	t.Helper()

	var n int
	if err := f.pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}

	return n
}

func (f *fixture) messages(t *testing.T) int {
	t.Helper()

	return f.count(t, `SELECT count(*) FROM "watermill_`+pipelines.TopicCashApplied+`"`)
}

func (f *fixture) status(t *testing.T) (exception, payment string) {
	t.Helper()

	ctx := context.Background()

	e, err := store.GetException(ctx, f.pool, f.exception.ID, false)
	if err != nil {
		t.Fatal(err)
	}

	p, err := store.GetPayment(ctx, f.pool, f.payment.ID)
	if err != nil {
		t.Fatal(err)
	}

	return e.Status, p.Status
}

func twoInvoices() []invoice {
	return []invoice{{"INV-1001", "EUR", 64000}, {"INV-1002", "EUR", 50000}}
}

func TestResolveSplitsPaymentOverTwoInvoices(t *testing.T) {
	f := seed(t, 100050, "EUR", twoInvoices()...)
	ctx := context.Background()
	before := f.messages(t)

	out, err := f.svc.Resolve(ctx, f.exception.ID, "ops.anna", exceptions.Resolution{
		Allocations: []exceptions.Allocation{
			{InvoiceNumber: "INV-1001", Amount: "640.00"},
			{InvoiceNumber: "INV-1002", Amount: "360.5"},
		},
		Note: "customer emailed the split",
	})
	if err != nil {
		t.Fatal(err)
	}

	if out.Status != store.ExceptionResolved || out.ParkedMinor != 0 {
		t.Errorf("outcome status %q parked %d, want resolved 0", out.Status, out.ParkedMinor)
	}

	if got := f.open(t, "INV-1001"); got != 0 {
		t.Errorf("INV-1001 open %d, want 0", got)
	}

	if got := f.open(t, "INV-1002"); got != 50000-36050 {
		t.Errorf("INV-1002 open %d, want %d", got, 50000-36050)
	}

	apps, err := store.ApplicationsOfPayment(ctx, f.pool, f.payment.ID)
	if err != nil {
		t.Fatal(err)
	}

	if len(apps) != 2 {
		t.Fatalf("%d applications, want 2", len(apps))
	}

	want := map[string]int64{"INV-1001": 64000, "INV-1002": 36050}
	for _, a := range apps {
		if a.Source != store.SourceManual || a.Actor != "ops.anna" || a.Currency != "EUR" {
			t.Errorf("application %+v: want source manual, actor ops.anna, EUR", a)
		}

		if a.Amount != want[a.InvoiceNumber] {
			t.Errorf("application to %s is %d, want %d", a.InvoiceNumber, a.Amount,
				want[a.InvoiceNumber])
		}
	}

	es, ps := f.status(t)
	if es != store.ExceptionResolved || ps != store.PaymentApplied {
		t.Errorf("exception %s payment %s, want resolved applied", es, ps)
	}

	d, err := f.svc.Get(ctx, f.exception.ID)
	if err != nil {
		t.Fatal(err)
	}

	actions := map[string]bool{}
	for _, h := range d.History {
		actions[h.Action] = true
	}

	if !actions["open"] || !actions[store.ExceptionResolved] {
		t.Errorf("history actions %v, want open and resolved", actions)
	}

	if d.Exception.ResolvedBy != "ops.anna" || len(d.Applications) != 2 {
		t.Errorf("detail resolved_by %q with %d applications", d.Exception.ResolvedBy,
			len(d.Applications))
	}

	if got := f.messages(t); got != before+1 {
		t.Errorf("%s messages %d, want %d", pipelines.TopicCashApplied, got, before+1)
	}
}

func TestResolveRefusals(t *testing.T) {
	cases := []struct {
		name  string
		extra []invoice
		res   exceptions.Resolution
	}{
		{"more than the exception", nil, exceptions.Resolution{
			Allocations: []exceptions.Allocation{
				{InvoiceNumber: "INV-1001", Amount: "640.00"},
				{InvoiceNumber: "INV-1002", Amount: "400.00"},
			}}},
		{"more than an invoice has open", nil, exceptions.Resolution{
			Allocations: []exceptions.Allocation{
				{InvoiceNumber: "INV-1001", Amount: "300.00"},
				{InvoiceNumber: "INV-1002", Amount: "500.01"},
			}, Park: true}},
		{"currency mismatch", []invoice{{"INV-2001", "USD", 90000}}, exceptions.Resolution{
			Allocations: []exceptions.Allocation{{InvoiceNumber: "INV-2001", Amount: "100.00"}},
			Park:        true}},
		{"invoice listed twice", nil, exceptions.Resolution{
			Allocations: []exceptions.Allocation{
				{InvoiceNumber: "INV-1001", Amount: "100.00"},
				{InvoiceNumber: "INV-1001", Amount: "100.00"},
			}, Park: true}},
		{"unknown invoice", nil, exceptions.Resolution{
			Allocations: []exceptions.Allocation{{InvoiceNumber: "INV-9999", Amount: "1.00"}},
			Park:        true}},
		{"partial without park", nil, exceptions.Resolution{
			Allocations: []exceptions.Allocation{{InvoiceNumber: "INV-1001", Amount: "640.00"}}}},
		{"float-looking amount", nil, exceptions.Resolution{
			Allocations: []exceptions.Allocation{{InvoiceNumber: "INV-1001", Amount: "1e3"}},
			Park:        true}},
		{"too many decimals", nil, exceptions.Resolution{
			Allocations: []exceptions.Allocation{{InvoiceNumber: "INV-1001", Amount: "1.001"}},
			Park:        true}},
		{"zero amount", nil, exceptions.Resolution{
			Allocations: []exceptions.Allocation{{InvoiceNumber: "INV-1001", Amount: "0.00"}},
			Park:        true}},
		{"nothing decided", nil, exceptions.Resolution{}},
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := seed(t, 100050, "EUR", append(twoInvoices(), c.extra...)...)
			before := f.messages(t)

			_, err := f.svc.Resolve(context.Background(), f.exception.ID, "ops.anna", c.res)
			if !errors.Is(err, exceptions.ErrInvalid) {
				t.Fatalf("err %v, want ErrInvalid", err)
			}

			if a, b := f.open(t, "INV-1001"), f.open(t, "INV-1002"); a != 64000 || b != 50000 {
				t.Errorf("invoices open %d and %d after a refusal, want 64000 and 50000", a, b)
			}

			if n := f.count(t, "SELECT count(*) FROM applications"); n != 0 {
				t.Errorf("%d applications after a refusal", n)
			}

			es, ps := f.status(t)
			if es != store.ExceptionOpen || ps != store.PaymentNew {
				t.Errorf("exception %s payment %s after a refusal, want open new", es, ps)
			}

			if got := f.messages(t); got != before {
				t.Errorf("%d messages queued by a refusal", got-before)
			}
		})
	}
}

func TestResolveNeedsActor(t *testing.T) {
	f := seed(t, 64000, "EUR", twoInvoices()...)

	_, err := f.svc.Resolve(context.Background(), f.exception.ID, " ", exceptions.Resolution{
		Allocations: []exceptions.Allocation{{InvoiceNumber: "INV-1001", Amount: "640.00"}}})
	if !errors.Is(err, exceptions.ErrInvalid) {
		t.Fatalf("err %v, want ErrInvalid", err)
	}
}

func TestResolveTwiceConflicts(t *testing.T) {
	f := seed(t, 64000, "EUR", twoInvoices()...)
	ctx := context.Background()
	res := exceptions.Resolution{
		Allocations: []exceptions.Allocation{{InvoiceNumber: "INV-1001", Amount: "640.00"}}}

	if _, err := f.svc.Resolve(ctx, f.exception.ID, "ops.anna", res); err != nil {
		t.Fatal(err)
	}

	_, err := f.svc.Resolve(ctx, f.exception.ID, "ops.ben", exceptions.Resolution{Park: true})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second resolve: err %v, want ErrConflict", err)
	}

	if n := f.count(t, "SELECT count(*) FROM applications"); n != 1 {
		t.Errorf("%d applications, want 1", n)
	}
}

func TestResolveUnknownException(t *testing.T) {
	f := seed(t, 64000, "EUR", twoInvoices()...)

	_, err := f.svc.Resolve(context.Background(), f.exception.ID+100, "ops.anna",
		exceptions.Resolution{Park: true})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("err %v, want ErrNotFound", err)
	}
}

func TestResolveParkOnly(t *testing.T) {
	f := seed(t, 100050, "EUR", twoInvoices()...)
	before := f.messages(t)

	out, err := f.svc.Resolve(context.Background(), f.exception.ID, "ops.anna",
		exceptions.Resolution{Park: true, Note: "no invoice yet",
			CustomerID: "CUST-7"})
	if err != nil {
		t.Fatal(err)
	}

	if out.Status != store.ExceptionOnAccount || out.ParkedMinor != 100050 {
		t.Errorf("outcome %+v, want on_account 100050", out)
	}

	es, ps := f.status(t)
	if es != store.ExceptionOnAccount || ps != store.PaymentOnAccount {
		t.Errorf("exception %s payment %s, want on_account on_account", es, ps)
	}

	p, err := store.GetPayment(context.Background(), f.pool, f.payment.ID)
	if err != nil {
		t.Fatal(err)
	}

	if p.Unapplied != 100050 {
		t.Errorf("payment unapplied %d, want 100050", p.Unapplied)
	}

	if got := f.messages(t); got != before {
		t.Errorf("parking queued %d messages, want none", got-before)
	}
}

func TestResolvePartialAndPark(t *testing.T) {
	f := seed(t, 100050, "EUR", twoInvoices()...)

	out, err := f.svc.Resolve(context.Background(), f.exception.ID, "ops.anna",
		exceptions.Resolution{Park: true, CustomerID: "CUST-7",
			Allocations: []exceptions.Allocation{{InvoiceNumber: "INV-1001", Amount: "640"}}})
	if err != nil {
		t.Fatal(err)
	}

	if out.Status != store.ExceptionResolved || out.ParkedMinor != 36050 {
		t.Errorf("outcome status %s parked %d, want resolved 36050", out.Status,
			out.ParkedMinor)
	}

	p, err := store.GetPayment(context.Background(), f.pool, f.payment.ID)
	if err != nil {
		t.Fatal(err)
	}

	if p.Status != store.PaymentOnAccount || p.Unapplied != 36050 || p.CustomerID != "CUST-7" {
		t.Errorf("payment %s unapplied %d customer %q, want on_account 36050 CUST-7",
			p.Status, p.Unapplied, p.CustomerID)
	}
}

func TestAssignWritesAudit(t *testing.T) {
	f := seed(t, 64000, "EUR", twoInvoices()...)
	ctx := context.Background()

	if err := f.svc.Assign(ctx, f.exception.ID, "lead.kim", "ops.anna"); err != nil {
		t.Fatal(err)
	}

	d, err := f.svc.Get(ctx, f.exception.ID)
	if err != nil {
		t.Fatal(err)
	}

	if d.Exception.Assignee != "ops.anna" {
		t.Errorf("assignee %q, want ops.anna", d.Exception.Assignee)
	}

	var found bool
	for _, h := range d.History {
		if h.Action == "assign" && h.Actor == "lead.kim" {
			found = true
		}
	}

	if !found {
		t.Errorf("no assign entry by lead.kim in %+v", d.History)
	}

	list, err := f.svc.List(ctx, store.ExceptionFilter{Assignee: "ops.anna"})
	if err != nil {
		t.Fatal(err)
	}

	if len(list) != 1 || list[0].ID != f.exception.ID {
		t.Errorf("list by assignee: %+v", list)
	}

	err = f.svc.Assign(ctx, f.exception.ID+100, "lead.kim", "ops.anna")
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("assign unknown: err %v, want ErrNotFound", err)
	}
}

func TestParkForUnknownCustomerRefused(t *testing.T) {
	f := seed(t, 100050, "EUR", twoInvoices()...)

	_, err := f.svc.Resolve(context.Background(), f.exception.ID, "ops.anna",
		exceptions.Resolution{Park: true, CustomerID: "CUST-NOPE"})
	if !errors.Is(err, exceptions.ErrInvalid) {
		t.Fatalf("err %v, want ErrInvalid", err)
	}

	es, ps := f.status(t)
	if es != store.ExceptionOpen || ps != store.PaymentNew {
		t.Errorf("exception %s payment %s after a refusal, want open new", es, ps)
	}
}

func TestAssignClosedExceptionConflicts(t *testing.T) {
	f := seed(t, 64000, "EUR", twoInvoices()...)
	ctx := context.Background()

	if _, err := f.svc.Resolve(ctx, f.exception.ID, "ops.anna",
		exceptions.Resolution{Park: true, CustomerID: "CUST-7"}); err != nil {
		t.Fatal(err)
	}

	err := f.svc.Assign(ctx, f.exception.ID, "lead.kim", "ops.ben")
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("assign parked exception: err %v, want ErrConflict", err)
	}
}
