package pipelines_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/connectors/crm/hubspot"
	"github.com/o2c-dev/o2c/connectors/crm/hubspot/hubspotsim"
	"github.com/o2c-dev/o2c/connectors/erp/xero"
	"github.com/o2c-dev/o2c/connectors/erp/xero/xerosim"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/matching"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/service"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/internal/world"
	"github.com/o2c-dev/o2c/pipelines"
)

func TestMain(m *testing.M) {
	pgtest.SetTemplate(service.Prepare)
	pgtest.Main(m)
}

// quiet logs only warnings and errors, to keep test output readable.
var quiet = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

// bundle is a running o2c: a database, the simulators and the router.
type bundle struct {
	pool  *pgxpool.Pool
	hs    *hubspotsim.Sim
	xs    *xerosim.Sim
	crm   service.HubSpotCRM
	erp   service.XeroERP
	world *world.World
	ids   map[string]string // world customer id → HubSpot company id
}

func setup(t *testing.T, faults []xerosim.Fault) *bundle {
	t.Helper()

	b := &bundle{pool: pgtest.DB(t), ids: map[string]string{}}
	b.world = world.Generate(world.Config{Seed: 7, Customers: 6, DealsPerCustomer: 3})

	b.hs = hubspotsim.New(hubspotsim.Config{SearchLag: -1})
	for _, c := range b.world.Customers {
		b.ids[c.ID] = b.hs.AddCompany(hubspotsim.Company{Name: c.Name})
	}

	for _, d := range b.world.Deals {
		b.hs.AddDeal(hubspotsim.Deal{Name: d.Name, Amount: d.Amount.Decimal(),
			Currency: d.Amount.Currency, CompanyID: b.ids[d.CompanyID],
			Stage: hubspotsim.DefaultWonStageID})
	}

	hsURL, err := b.hs.Start()
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(func() { _ = b.hs.Close() })

	c, err := hubspot.New(hubspot.Config{BaseURL: hsURL, Token: b.hs.Token()})
	if err != nil {
		t.Fatal(err)
	}

	b.crm = service.HubSpotCRM{Client: c}

	b.xs = xerosim.New(xerosim.Config{ClientID: "id", ClientSecret: "secret", TenantID: "t",
		Seed: 3, Faults: faults})

	xURL, err := b.xs.Start()
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(b.xs.Close)

	x, err := xero.New(xero.Config{
		BaseURL: xURL + "/api.xro/2.0", TokenURL: xURL + "/connect/token",
		ClientID: "id", ClientSecret: "secret", TenantID: "t",
		HTTPClient: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}

	b.erp = service.XeroERP{Client: x}

	stop, err := service.RunRouter(context.Background(), pipelines.Config{Pool: b.pool,
		ERP: b.erp, ReadBankFile: bank.Scan, PollInterval: 20 * time.Millisecond,
		Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stop router: %v", err)
		}
	})

	return b
}

// waitFor polls cond until it holds or 30 seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()

	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}

		time.Sleep(20 * time.Millisecond)
	}
}

func (b *bundle) invoices(t *testing.T, status string) []store.InvoiceRow {
	t.Helper()

	rows, err := store.Invoices(context.Background(), b.pool, status)
	if err != nil {
		t.Fatal(err)
	}

	return rows
}

// pullAndPush runs the CRM pull and waits until every deal's invoice is in Xero.
func (b *bundle) pullAndPush(t *testing.T) {
	t.Helper()

	counts, err := pipelines.SyncCRM(context.Background(), b.pool, b.crm)
	if err != nil {
		t.Fatal(err)
	}

	if counts["deals_new"] != len(b.world.Deals) {
		t.Fatalf("deals_new = %d, want %d", counts["deals_new"], len(b.world.Deals))
	}

	waitFor(t, "invoices pushed", func() bool {
		return len(b.invoices(t, store.InvoiceOpen)) == len(b.world.Deals)
	})
}

func TestWonDealsGetExactlyOneInvoiceDespiteLostResponses(t *testing.T) {
	t.Parallel()

	b := setup(t, []xerosim.Fault{
		{Kind: xerosim.LoseResponse, Method: "PUT", Path: "/Invoices", Rate: 0.4},
		{Kind: xerosim.RateLimit, Nth: 2, Count: 1},
	})

	b.pullAndPush(t)

	ctx := context.Background()

	// A second pull finds nothing new, and a redelivered announcement of the same
	// deals raises nothing.
	counts, err := pipelines.SyncCRM(ctx, b.pool, b.crm)
	if err != nil {
		t.Fatal(err)
	}

	if counts["deals_new"] != 0 {
		t.Fatalf("second pull: deals_new = %d", counts["deals_new"])
	}

	var ids []string
	if err := b.pool.QueryRow(ctx, "SELECT array_agg(crm_id) FROM deals").Scan(&ids); err != nil {
		t.Fatal(err)
	}

	err = store.InTx(ctx, b.pool, func(tx pgx.Tx) error {
		return pipelines.Publish(ctx, tx, pipelines.TopicDealsWon, pipelines.DealsWon{DealIDs: ids})
	})
	if err != nil {
		t.Fatal(err)
	}

	time.Sleep(300 * time.Millisecond)

	views := b.xs.Invoices()
	if len(views) != len(b.world.Deals) {
		t.Fatalf("xero has %d invoices, want %d", len(views), len(b.world.Deals))
	}

	for _, v := range views {
		if n := b.xs.CountInvoicesByNumber(v.Number); n != 1 {
			t.Errorf("invoice %s is in xero %d times", v.Number, n)
		}
	}
}

func TestBankFileIsMatchedRecordedAndNeverCountedTwice(t *testing.T) {
	t.Parallel()

	b := setup(t, []xerosim.Fault{
		{Kind: xerosim.LoseResponse, Method: "PUT", Path: "/Payments", Rate: 0.3},
	})
	b.pullAndPush(t)

	ctx := context.Background()

	open := b.invoices(t, store.InvoiceOpen)
	invs := make([]billing.Invoice, len(open))
	for i, r := range open {
		invs[i] = r.Invoice
	}

	paid := *b.world
	paid.Customers = nil
	for _, c := range b.world.Customers {
		c.ID = b.ids[c.ID]
		paid.Customers = append(paid.Customers, c)
		if _, err := store.UpsertCustomer(ctx, b.pool, c, "test"); err != nil {
			t.Fatal(err)
		}
	}

	payments := world.Pay(&paid, invs, world.PayConfig{Seed: 5, Fraction: 0.5})

	var lf, crlf bytes.Buffer
	if err := world.WriteNACHA(&lf, payments, world.NACHAOptions{}); err != nil {
		t.Fatal(err)
	}

	if err := world.WriteNACHA(&crlf, payments, world.NACHAOptions{CRLF: true}); err != nil {
		t.Fatal(err)
	}

	first, err := pipelines.Submit(ctx, b.pool, "first.ach", lf.Bytes(), "treasury")
	if err != nil {
		t.Fatal(err)
	}

	files, err := pipelines.WaitFiles(ctx, b.pool, []int64{first.File.ID}, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}

	if files[0].Status != store.FileMatched || files[0].PaymentsNew != len(payments) {
		t.Fatalf("first file: status %s, %d new; want matched, %d", files[0].Status,
			files[0].PaymentsNew, len(payments))
	}

	var applied, appliedApps int
	err = b.pool.QueryRow(ctx, `SELECT count(DISTINCT payment_id), count(*) FROM applications`).
		Scan(&applied, &appliedApps)
	if err != nil {
		t.Fatal(err)
	}

	if applied != len(payments) {
		t.Fatalf("%d of %d clean payments applied", applied, len(payments))
	}

	// Every decision is kept with its rules version, candidates and sentence.
	var explained int
	err = b.pool.QueryRow(ctx, `SELECT count(*) FROM payments
		WHERE decision->>'rules_version' = $1 AND decision->>'sentence' <> ''
			AND jsonb_array_length(decision->'candidates') > 0`, matching.RulesVersion).
		Scan(&explained)
	if err != nil || explained != len(payments) {
		t.Fatalf("%d of %d payments keep their decision (%v)", explained, len(payments), err)
	}

	waitFor(t, "payments recorded in xero", func() bool {
		var pending int
		_ = b.pool.QueryRow(ctx, "SELECT count(*) FROM applications WHERE erp_state <> 'recorded'").
			Scan(&pending)
		return pending == 0
	})

	if n := len(b.xs.Payments()); n != appliedApps {
		t.Fatalf("xero has %d payments, want %d (one per application)", n, appliedApps)
	}

	// The same bytes again: recognised as the same file.
	again, err := pipelines.Submit(ctx, b.pool, "again.ach", lf.Bytes(), "treasury")
	if err != nil {
		t.Fatal(err)
	}

	if !again.Duplicate || again.File.ID != first.File.ID {
		t.Fatalf("resubmission: duplicate=%v id=%d", again.Duplicate, again.File.ID)
	}

	// The same transactions in other bytes (CRLF): read, but nothing new.
	other, err := pipelines.Submit(ctx, b.pool, "crlf.ach", crlf.Bytes(), "treasury")
	if err != nil {
		t.Fatal(err)
	}

	files, err = pipelines.WaitFiles(ctx, b.pool, []int64{other.File.ID}, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}

	if files[0].PaymentsNew != 0 || files[0].Duplicates != len(payments) {
		t.Fatalf("crlf copy: %d new, %d duplicates; want 0, %d", files[0].PaymentsNew,
			files[0].Duplicates, len(payments))
	}

	var total int
	_ = b.pool.QueryRow(ctx, "SELECT count(*) FROM payments").Scan(&total)
	if total != len(payments) {
		t.Fatalf("%d payments stored, want %d", total, len(payments))
	}
}

func TestBadFileIsRejectedWithLineAndFieldAndOthersGoOn(t *testing.T) {
	t.Parallel()

	b := setup(t, nil)
	ctx := context.Background()

	bad := "Date,Transaction ID,Payer,Description,Amount,Currency\n" +
		"2025-01-13,T1,ACME,INV-1,12.345.6,USD\n"
	good := "Date,Transaction ID,Payer,Description,Amount,Currency\n" +
		"2025-01-13,T2,ACME,INV-1,100.00,USD\n"

	s1, err := pipelines.Submit(ctx, b.pool, "bad.csv", []byte(bad), "treasury")
	if err != nil {
		t.Fatal(err)
	}

	s2, err := pipelines.Submit(ctx, b.pool, "good.csv", []byte(good), "treasury")
	if err != nil {
		t.Fatal(err)
	}

	files, err := pipelines.WaitFiles(ctx, b.pool, []int64{s1.File.ID, s2.File.ID},
		20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}

	if files[0].Status != store.FileRejected || len(files[0].Problems) == 0 {
		t.Fatalf("bad file: %s with %d problems", files[0].Status, len(files[0].Problems))
	}

	p := files[0].Problems[0]
	if p.Line != 2 || !strings.Contains(strings.ToLower(p.Field), "amount") {
		t.Fatalf("problem = %+v, want line 2, an amount field", p)
	}

	if files[1].Status != store.FileMatched || files[1].PaymentsNew != 1 {
		t.Fatalf("good file: %s, %d new", files[1].Status, files[1].PaymentsNew)
	}

	var reason string
	err = b.pool.QueryRow(ctx, "SELECT reason FROM exceptions").Scan(&reason)
	if err != nil {
		t.Fatalf("good file's unmatched payment has no exception: %v", err)
	}

	// The rejected bytes sent again are read again, not waved off as a duplicate.
	again, err := pipelines.Submit(ctx, b.pool, "bad-again.csv", []byte(bad), "treasury")
	if err != nil {
		t.Fatal(err)
	}

	if !again.Retried || again.Duplicate || again.File.ID != s1.File.ID ||
		!strings.Contains(again.Message(), "reading it again") {
		t.Fatalf("resubmitted rejected file: %+v, message %q", again, again.Message())
	}

	files, err = pipelines.WaitFiles(ctx, b.pool, []int64{s1.File.ID}, pollEvery)
	if err != nil {
		t.Fatal(err)
	}

	if files[0].Status != store.FileRejected {
		t.Fatalf("reread bad file ended %s", files[0].Status)
	}
}

// pollEvery is how often tests poll the database for progress.
const pollEvery = 20 * time.Millisecond

func TestNULInATextFieldRejectsTheFileNamingLineAndField(t *testing.T) {
	t.Parallel()

	b := setup(t, nil)
	ctx := context.Background()

	bad := "Date,Transaction ID,Payer,Description,Amount,Currency\n" +
		"2025-01-13,T1,ACME,fine,10.00,USD\n" +
		"2025-01-13,T2,ACME\x00CORP,INV-1,12.00,USD\n"

	s, err := pipelines.Submit(ctx, b.pool, "nul.csv", []byte(bad), "treasury")
	if err != nil {
		t.Fatal(err)
	}

	files, err := pipelines.WaitFiles(ctx, b.pool, []int64{s.File.ID}, pollEvery)
	if err != nil {
		t.Fatal(err)
	}

	f := files[0]
	if f.Status != store.FileRejected || len(f.Problems) != 1 {
		t.Fatalf("file %s with problems %+v", f.Status, f.Problems)
	}

	if p := f.Problems[0]; p.Line != 3 || p.Field != "payer_name" {
		t.Fatalf("problem = %+v, want line 3, payer_name", p)
	}
}
