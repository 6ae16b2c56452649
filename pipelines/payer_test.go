package pipelines_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

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
	"github.com/o2c-dev/o2c/pipelines"
)

// A parent company pays its subsidiary's invoice quoting only the subsidiary's PO
// number. What the CRM knows (the company hierarchy and the deal's PO number) flows
// from HubSpot through the CRM pull, the invoice raised on the bus, Xero's Reference
// and the ERP refresh, and lets the engine apply the payment to the right invoice and
// say why.
func TestParentPaysSubsidiaryInvoiceQuotingOnlyThePO(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	pool := pgtest.DB(t)

	hs := hubspotsim.New(hubspotsim.Config{SearchLag: -1})
	parent := hs.AddCompany(hubspotsim.Company{Name: "Contoso Holdings AG"})
	sub := hs.AddCompany(hubspotsim.Company{Name: "Contoso Retail GmbH", ParentID: parent})
	other := hs.AddCompany(hubspotsim.Company{Name: "Northwind Traders"})

	closed := time.Date(2025, 2, 3, 0, 0, 0, 0, time.UTC)
	lines := []hubspotsim.LineItem{{Name: "Store licences", Quantity: "4", Price: "300"}}
	withPO := hs.AddDeal(hubspotsim.Deal{Name: "Retail rollout", Currency: "EUR",
		Stage: hubspotsim.DefaultWonStageID, CompanyID: sub, CloseDate: closed,
		LineItems: lines, Properties: map[string]string{"po_number": "PO-40917"}})
	// Same amount, same customer, no PO: amount and payer alone cannot choose.
	hs.AddDeal(hubspotsim.Deal{Name: "Retail support", Currency: "EUR",
		Stage: hubspotsim.DefaultWonStageID, CompanyID: sub, CloseDate: closed,
		LineItems: lines})
	hs.AddDeal(hubspotsim.Deal{Name: "Northwind renewal", Currency: "EUR",
		Stage: hubspotsim.DefaultWonStageID, CompanyID: other, CloseDate: closed,
		LineItems: lines})

	hsURL, err := hs.Start()
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(func() { _ = hs.Close() })

	hc, err := hubspot.New(hubspot.Config{BaseURL: hsURL, Token: hs.Token()})
	if err != nil {
		t.Fatal(err)
	}

	crm := service.HubSpotCRM{Client: hc, Logger: quiet}

	xs := xerosim.New(xerosim.Config{ClientID: "id", ClientSecret: "secret", TenantID: "t",
		Seed: 11})

	xURL, err := xs.Start()
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(xs.Close)

	xc, err := xero.New(xero.Config{
		BaseURL: xURL + "/api.xro/2.0", TokenURL: xURL + "/connect/token",
		ClientID: "id", ClientSecret: "secret", TenantID: "t",
		HTTPClient: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}

	erp := service.XeroERP{Client: xc}

	stop, err := service.RunRouter(ctx, pipelines.Config{Pool: pool, ERP: erp,
		ReadBankFile: bank.Scan, PollInterval: 20 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stop router: %v", err)
		}
	})

	// CRM pull: the subsidiary knows its parent, and the parent is a customer too.
	if _, err := pipelines.SyncCRM(ctx, pool, crm); err != nil {
		t.Fatal(err)
	}

	customers, err := store.Customers(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}

	byID := map[string]billing.Customer{}
	for _, c := range customers {
		byID[c.ID] = c
	}

	if byID[sub].ParentID != parent || byID[parent].Name != "Contoso Holdings AG" {
		t.Fatalf("customers %+v: want %s with parent %s, and the parent stored", customers,
			sub, parent)
	}

	waitFor(t, "invoices pushed", func() bool {
		return countInvoices(t, pool, store.InvoiceOpen) == 3
	})

	var target store.InvoiceRow
	rows, err := store.Invoices(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}

	for _, r := range rows {
		if r.DealID == withPO {
			target = r
		}
	}

	if target.PONumber != "PO-40917" || target.CustomerID != sub {
		t.Fatalf("invoice of the deal with a PO: %+v", target.Invoice)
	}

	if v, ok := xs.Invoice(target.Number); !ok || v.Reference != "PO-40917" {
		t.Fatalf("xero invoice %s: Reference %q, want the PO", target.Number, v.Reference)
	}

	// The ERP refresh reads the PO back from Xero and keeps it.
	listed, err := erp.OpenInvoices(ctx)
	if err != nil {
		t.Fatal(err)
	}

	found := false
	for _, inv := range listed {
		found = found || inv.Number == target.Number && inv.PONumber == "PO-40917"
	}

	if !found {
		t.Fatalf("xero listing %+v lacks %s with its PO", listed, target.Number)
	}

	if _, err := pipelines.RefreshERP(ctx, pool, erp); err != nil {
		t.Fatal(err)
	}

	if r, err := store.Invoice(ctx, pool, target.Number); err != nil ||
		r.PONumber != "PO-40917" {
		t.Fatalf("after the ERP refresh: %+v, %v", r.Invoice, err)
	}

	// The parent pays, under its own name, quoting only the PO number.
	csv := "Date,Transaction ID,Payer,Description,Amount,Currency\n" +
		"2025-02-20,T-PARENT-1,CONTOSO HOLDINGS AG,YOUR ORDER PO-40917,1200.00,EUR\n"
	f := submitWait(t, pool, "parent.csv", []byte(csv))
	if f.PaymentsNew != 1 {
		t.Fatalf("file: %d new payments, want 1", f.PaymentsNew)
	}

	var invoice, explanation string
	var amount int64

	err = pool.QueryRow(ctx, `SELECT invoice_number, amount_minor, explanation
		FROM applications`).Scan(&invoice, &amount, &explanation)
	if err != nil {
		var decision, status string
		_ = pool.QueryRow(ctx, "SELECT status, COALESCE(decision::text, '') FROM payments").
			Scan(&status, &decision)
		t.Fatalf("one application expected: %v; payment %s, decision %s", err, status,
			decision)
	}

	if invoice != target.Number || amount != 120000 {
		t.Fatalf("applied %d to %s, want 120000 to %s", amount, invoice, target.Number)
	}

	for _, want := range []string{"PO PO-40917", "related to invoice customer " + sub} {
		if !strings.Contains(explanation, want) {
			t.Errorf("explanation %q does not say %q", explanation, want)
		}
	}

	var raw []byte
	if err := pool.QueryRow(ctx, "SELECT decision FROM payments").Scan(&raw); err != nil {
		t.Fatal(err)
	}

	var trace matching.Trace
	if err := json.Unmarshal(raw, &trace); err != nil {
		t.Fatal(err)
	}

	if trace.Chosen < 0 || trace.Chosen >= len(trace.Candidates) {
		t.Fatalf("decision applied nothing: %s", raw)
	}

	chosen := trace.Candidates[trace.Chosen]
	if chosen.Features.Reference != "po" || chosen.Features.Payer != "related" ||
		!strings.Contains(trace.Sentence, target.Number) {
		t.Errorf("decision: chosen %+v, sentence %q", chosen, trace.Sentence)
	}

	if r, err := store.Invoice(ctx, pool, target.Number); err != nil ||
		r.Status != store.InvoicePaid {
		t.Errorf("subsidiary's PO invoice after payment: %+v, %v", r.Invoice, err)
	}

	waitFor(t, "payment recorded in xero", func() bool {
		for _, p := range xs.Payments() {
			if p.InvoiceID == target.ERPID && p.Amount == 120000 {
				return true
			}
		}

		return false
	})
}

func countInvoices(t *testing.T, pool store.DB, status string) int {
	t.Helper()

	rows, err := store.Invoices(context.Background(), pool, status)
	if err != nil {
		t.Fatal(err)
	}

	return len(rows)
}
