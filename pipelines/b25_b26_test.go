package pipelines_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
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
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/service"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/internal/world"
	"github.com/o2c-dev/o2c/pipelines"
)

// logBuffer collects the router's log lines for a test to read.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()

	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()

	return l.buf.String()
}

// taxBundle is o2c on a real database and bus, with a Xero organisation that
// works tax out on the document total (21 % and 19 % output tax, base USD)
// and a HubSpot account whose company currency is USD.
type taxBundle struct {
	pool *pgxpool.Pool
	hs   *hubspotsim.Sim
	xs   *xerosim.Sim
	crm  service.HubSpotCRM
	logs *logBuffer
}

func setupTax(t *testing.T, simCfg xerosim.Config, deals func(*hubspotsim.Sim)) *taxBundle {
	t.Helper()

	b := &taxBundle{pool: pgtest.DB(t), logs: &logBuffer{}}

	b.hs = hubspotsim.New(hubspotsim.Config{SearchLag: -1})
	if deals != nil {
		deals(b.hs)
	}

	hsURL, err := b.hs.Start()
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(func() { _ = b.hs.Close() })

	c, err := hubspot.New(hubspot.Config{BaseURL: hsURL, Token: b.hs.Token(),
		DefaultCurrency: "USD"})
	if err != nil {
		t.Fatal(err)
	}

	b.crm = service.HubSpotCRM{Client: c, Logger: quiet}

	simCfg.ClientID, simCfg.ClientSecret, simCfg.TenantID = "id", "secret", "t"
	simCfg.Seed, simCfg.BaseCurrency = 11, "USD"
	simCfg.TaxRounding = xerosim.DocumentRounding
	simCfg.TaxRates = map[string]int64{"NONE": 0, "OUT21": 2100, "OUT19": 1900}
	b.xs = xerosim.New(simCfg)

	xURL, err := b.xs.Start()
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(b.xs.Close)

	x, err := xero.New(xero.Config{
		BaseURL: xURL + "/api.xro/2.0", TokenURL: xURL + "/connect/token",
		ClientID: "id", ClientSecret: "secret", TenantID: "t",
		TaxTypes:   map[string]string{"0.21": "OUT21", "0.19": "OUT19"},
		HTTPClient: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}

	logger := slog.New(slog.NewTextHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))

	stop, err := service.RunRouter(context.Background(), pipelines.Config{Pool: b.pool,
		ERP: service.XeroERP{Client: x}, ReadBankFile: bank.Scan,
		PollInterval: 20 * time.Millisecond, Logger: logger})
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

// b25Deals stores two won deals straight into o2c, as a CRM pull would, and
// announces them: one of three 600.00 licences with 21 % VAT included, one of
// three 16.67 hours net with 19 % VAT the CRM rounded per line (3.17 each).
func b25Deals(t *testing.T, b *taxBundle) {
	t.Helper()

	ctx := context.Background()

	customers := []billing.Customer{
		{ID: "cust-gross", Name: "Gross Licences BV", BankAccounts: []string{"NL91ABNA0417164300"}},
		{ID: "cust-net", Name: "Net Hours GmbH", BankAccounts: []string{"DE89370400440532013000"}},
	}
	for _, c := range customers {
		if _, err := store.UpsertCustomer(ctx, b.pool, c, "test"); err != nil {
			t.Fatal(err)
		}
	}

	var gross, net []billing.LineItem
	for _, n := range []string{"Licence north", "Licence south", "Licence east"} {
		gross = append(gross, billing.LineItem{Name: n, Quantity: "1", UnitPrice: 60000,
			Amount: 60000, TaxRate: "0.21", TaxIncluded: true})
	}

	for range 3 {
		net = append(net, billing.LineItem{Name: "Support hour", Quantity: "1", UnitPrice: 1667,
			Amount: 1667, TaxRate: "0.19", Tax: 317})
	}

	closed := time.Date(2026, 2, 20, 0, 0, 0, 0, time.UTC)
	deals := []billing.Deal{
		{CRMID: "D-9002", Name: "Licences", CompanyID: "cust-gross",
			Amount: money.New(180000, "EUR"), CloseDate: closed, LastModified: closed,
			Stage: "closedwon", LineItems: gross},
		{CRMID: "D-9003", Name: "Support", CompanyID: "cust-net",
			Amount: money.New(5952, "EUR"), CloseDate: closed, LastModified: closed,
			Stage: "closedwon", LineItems: net},
	}

	for _, d := range deals {
		if _, err := store.UpsertDeal(ctx, b.pool, d); err != nil {
			t.Fatal(err)
		}
	}

	b.announce(t, "D-9002", "D-9003")
}

func (b *taxBundle) announce(t *testing.T, ids ...string) {
	t.Helper()

	ctx := context.Background()

	err := store.InTx(ctx, b.pool, func(tx pgx.Tx) error {
		return pipelines.Publish(ctx, tx, pipelines.TopicDealsWon, pipelines.DealsWon{DealIDs: ids})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// invoiceOf returns o2c's invoice for a deal.
func (b *taxBundle) invoiceOf(t *testing.T, dealID string) store.InvoiceRow {
	t.Helper()

	var number string
	err := b.pool.QueryRow(context.Background(),
		"SELECT number FROM invoices WHERE deal_id = $1", dealID).Scan(&number)
	if err != nil {
		return store.InvoiceRow{}
	}

	inv, err := store.Invoice(context.Background(), b.pool, number)
	if err != nil {
		t.Fatal(err)
	}

	return inv
}

// pay submits a camt.053 with one credit per payment and waits for it to be
// matched.
func (b *taxBundle) pay(t *testing.T, ps []world.Payment) {
	t.Helper()

	var buf bytes.Buffer

	err := world.WriteCAMT053(&buf, ps, world.CAMTOptions{Currency: "EUR", BatchShare: -1,
		Account: "FR1420041010050500013M02606", OwnerName: "O2C Seller SAS"})
	if err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()

	sub, err := pipelines.Submit(ctx, b.pool, "credits.xml", buf.Bytes(), "treasury")
	if err != nil {
		t.Fatal(err)
	}

	files, err := pipelines.WaitFiles(ctx, b.pool, []int64{sub.File.ID}, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}

	if files[0].Status != store.FileMatched || files[0].PaymentsNew != len(ps) {
		t.Fatalf("bank file: status %s, %d new; want matched, %d", files[0].Status,
			files[0].PaymentsNew, len(ps))
	}
}

func credit(payer, account, ref string, amount money.Amount, seq int) world.Payment {
	day := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

	return world.Payment{PayerName: payer, PayerAccount: account, Amount: amount,
		ValueDate: day, EndToEndID: "TRANSFERAB", Remittance: ref,
		Trace: "20260310" + strings.Repeat("0", 6) + string(rune('0'+seq))}
}

func (b *taxBundle) openExceptions(t *testing.T) int {
	t.Helper()

	var n int
	err := b.pool.QueryRow(context.Background(),
		"SELECT count(*) FROM exceptions WHERE status = 'open'").Scan(&n)
	if err != nil {
		t.Fatal(err)
	}

	return n
}

func TestB25PushedInvoicesTotalTheCRMAndPaymentsCloseThem(t *testing.T) {
	t.Parallel()

	b := setupTax(t, xerosim.Config{}, nil)
	b25Deals(t, b)

	waitFor(t, "both invoices open", func() bool {
		return b.invoiceOf(t, "D-9002").Status == store.InvoiceOpen &&
			b.invoiceOf(t, "D-9003").Status == store.InvoiceOpen
	})

	gross, net := b.invoiceOf(t, "D-9002"), b.invoiceOf(t, "D-9003")

	for _, c := range []struct {
		inv  store.InvoiceRow
		want int64
	}{{gross, 180000}, {net, 5952}} {
		x, ok := b.xs.Invoice(c.inv.Number)
		if !ok || x.Total != c.want || x.Currency != "EUR" || x.ID != c.inv.ERPID {
			t.Fatalf("xero invoice %s: %+v, want total %d EUR under %s", c.inv.Number, x,
				c.want, c.inv.ERPID)
		}
	}

	b.pay(t, []world.Payment{
		credit("Gross Licences BV", "NL91ABNA0417164300", gross.Number,
			money.New(180000, "EUR"), 1),
		credit("Net Hours GmbH", "DE89370400440532013000", net.Number,
			money.New(5952, "EUR"), 2),
	})

	waitFor(t, "both invoices paid", func() bool {
		g, n := b.invoiceOf(t, "D-9002"), b.invoiceOf(t, "D-9003")
		return g.Status == store.InvoicePaid && g.Open == 0 &&
			n.Status == store.InvoicePaid && n.Open == 0
	})

	if n := b.openExceptions(t); n != 0 {
		t.Errorf("%d exceptions open, want none", n)
	}

	waitFor(t, "payments in xero", func() bool {
		g, _ := b.xs.Invoice(gross.Number)
		n, _ := b.xs.Invoice(net.Number)

		return g.AmountDue == 0 && n.AmountDue == 0
	})
}

func TestB25TotalMismatchIsItsOwnStateAndNeverPushedTwice(t *testing.T) {
	t.Parallel()

	// This organisation drops the TaxAmount sent and taxes the document
	// total: 50.01 × 19 % = 9.50, so 59.51 against the CRM's 59.52.
	b := setupTax(t, xerosim.Config{IgnoreTaxAmount: true}, nil)
	b25Deals(t, b)

	waitFor(t, "invoices settled", func() bool {
		return b.invoiceOf(t, "D-9002").Status == store.InvoiceOpen &&
			b.invoiceOf(t, "D-9003").Status == store.InvoiceSyncMismatch
	})

	net := b.invoiceOf(t, "D-9003")
	x, _ := b.xs.Invoice(net.Number)

	if net.ERPID == "" || net.ERPID != x.ID || net.ERPTotal == nil || *net.ERPTotal != 5951 {
		t.Errorf("mismatched invoice erp id %q total %v, want %q and 5951", net.ERPID,
			net.ERPTotal, x.ID)
	}

	if !strings.Contains(net.PushError, "sync amount mismatch") ||
		!strings.Contains(net.PushError, "59.51") || !strings.Contains(net.PushError, "59.52") {
		t.Errorf("push error %q does not say both totals", net.PushError)
	}

	ctx := context.Background()

	var audited int
	err := b.pool.QueryRow(ctx, `SELECT count(*) FROM audit_log
		WHERE action = 'sync_mismatch' AND entity = 'invoice' AND entity_id = $1
			AND after->>'erp_total' = '59.51 EUR' AND after->>'deal_id' = 'D-9003'`,
		net.Number).Scan(&audited)
	if err != nil || audited != 1 {
		t.Errorf("%d sync_mismatch audit entries (%v), want 1", audited, err)
	}

	if !strings.Contains(b.logs.String(), "sync amount mismatch") {
		t.Errorf("no log line says sync amount mismatch")
	}

	toMatch, err := store.InvoicesToMatch(ctx, b.pool)
	if err != nil {
		t.Fatal(err)
	}

	for _, inv := range toMatch {
		if inv.Number == net.Number {
			t.Errorf("invoice %s is offered to matching", net.Number)
		}
	}

	// Announcing the deal and requesting the push again changes nothing.
	b.announce(t, "D-9003")

	err = store.InTx(ctx, b.pool, func(tx pgx.Tx) error {
		return pipelines.Publish(ctx, tx, pipelines.TopicInvoicesRequested,
			pipelines.InvoicesRequested{Numbers: []string{net.Number}})
	})
	if err != nil {
		t.Fatal(err)
	}

	time.Sleep(300 * time.Millisecond)

	if n := b.xs.CountInvoicesByNumber(net.Number); n != 1 {
		t.Errorf("invoice %s is in xero %d times, want once", net.Number, n)
	}

	if got := b.invoiceOf(t, "D-9003").Status; got != store.InvoiceSyncMismatch {
		t.Errorf("status after re-push %s, want %s", got, store.InvoiceSyncMismatch)
	}
}

func TestB26ForeignCurrencyDealInvoicedInItsOwnCurrency(t *testing.T) {
	t.Parallel()

	deals := func(hs *hubspotsim.Sim) {
		co := hs.AddCompany(hubspotsim.Company{Name: "Rhein Projekte AG"})
		hs.AddDeal(hubspotsim.Deal{Name: "Rollout", Amount: "7500.00", Currency: "EUR",
			CompanyID: co, Stage: hubspotsim.DefaultWonStageID,
			CloseDate: time.Date(2026, 2, 14, 0, 0, 0, 0, time.UTC),
			Properties: map[string]string{"hs_exchange_rate": "1.0920",
				"amount_in_home_currency": "8190.00"},
			LineItems: []hubspotsim.LineItem{{Name: "Rollout project", Quantity: "1",
				Price: "7500.00"}}})
	}

	b := setupTax(t, xerosim.Config{DayRates: map[string]string{"EUR": "0.90"}}, deals)

	counts, err := pipelines.SyncCRM(context.Background(), b.pool, b.crm)
	if err != nil || counts["deals_new"] != 1 {
		t.Fatalf("sync: %v %v, want one new deal", counts, err)
	}

	var inv store.InvoiceRow
	waitFor(t, "invoice open", func() bool {
		rows := invoicesIn(t, b.pool, store.InvoiceOpen)
		if len(rows) == 1 {
			inv = rows[0]
		}

		return len(rows) == 1
	})

	x, _ := b.xs.Invoice(inv.Number)

	// 7,500.00 EUR at 1 EUR = 1.0920 USD: Xero is told 1 USD = 0.915751 EUR.
	if x.Currency != "EUR" || x.Total != 750000 || x.CurrencyRate != "0.915751" {
		t.Fatalf("xero invoice %d %s at %s, want 7500.00 EUR at 0.915751", x.Total,
			x.Currency, x.CurrencyRate)
	}

	if inv.Currency != "EUR" || inv.Total != 750000 || inv.ExchangeRate != "1.0920" ||
		inv.BaseCurrency != "USD" {
		t.Errorf("o2c invoice %d %s rate %q into %q", inv.Total, inv.Currency,
			inv.ExchangeRate, inv.BaseCurrency)
	}

	var rate string
	err = b.pool.QueryRow(context.Background(), `SELECT after->>'exchange_rate' FROM audit_log
		WHERE action = 'pushed' AND entity_id = $1`, inv.Number).Scan(&rate)
	if err != nil || rate != "crm: 1 EUR = 1.0920 USD" {
		t.Errorf("audited rate %q (%v), want the CRM's", rate, err)
	}

	b.pay(t, []world.Payment{credit("Rhein Projekte AG", "DE89370400440532013000",
		inv.Number+" deal "+inv.DealID, money.New(750000, "EUR"), 3)})

	waitFor(t, "invoice paid", func() bool {
		r, err := store.Invoice(context.Background(), b.pool, inv.Number)
		return err == nil && r.Status == store.InvoicePaid && r.Open == 0
	})

	if n := b.openExceptions(t); n != 0 {
		t.Errorf("%d exceptions open, want none", n)
	}

	waitFor(t, "payment in xero", func() bool {
		x, _ := b.xs.Invoice(inv.Number)
		return x.AmountDue == 0 && x.AmountPaid == 750000
	})
}

func invoicesIn(t *testing.T, pool *pgxpool.Pool, status string) []store.InvoiceRow {
	t.Helper()

	rows, err := store.Invoices(context.Background(), pool, status)
	if err != nil {
		t.Fatal(err)
	}

	return rows
}
