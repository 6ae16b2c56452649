package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/connectors/erp/xero"
	"github.com/o2c-dev/o2c/connectors/erp/xero/xerosim"
	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/service"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/pipelines"
)

// xeroPaid sums the payments standing in the Xero simulator per invoice number.
func xeroPaid(sim *xerosim.Sim) map[string]int64 {
	out := map[string]int64{}

	for _, inv := range sim.Invoices() {
		for _, p := range inv.Payments {
			if p.Status != "DELETED" {
				out[inv.Number] += p.Amount
			}
		}
	}

	return out
}

// eventually polls cond until it holds or 30 seconds pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()

	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}

		time.Sleep(20 * time.Millisecond)
	}
}

// The forms of the pages go through the same workflow as the API: what they
// apply reaches the ERP through the bus (a Xero simulator here), a reopening
// deletes it there again, and every action is in the audit log under the user's
// name.
func TestExceptionPageActionsReachTheERPAndTheAuditLog(t *testing.T) {
	pool := pgtest.DB(t)
	ctx := context.Background()
	seed(t, pool, 100) // INV-1001 640.00 and INV-1002 500.00 open

	sim := xerosim.New(xerosim.Config{ClientID: "id", ClientSecret: "secret", TenantID: "t",
		Seed: 7})

	base, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(sim.Close)

	client, err := xero.New(xero.Config{BaseURL: base + "/api.xro/2.0",
		TokenURL: base + "/connect/token", ClientID: "id", ClientSecret: "secret",
		TenantID: "t", HTTPClient: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}

	erp := service.XeroERP{Client: client}

	invs, err := store.Invoices(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}

	for _, inv := range invs {
		id, err := erp.CreateInvoice(ctx, inv.Invoice, []billing.LineItem{{Name: "Tiles",
			Quantity: "1", UnitPrice: inv.Total, Amount: inv.Total}})
		if err != nil {
			t.Fatal(err)
		}

		inv.ERPID = id
		if _, err := store.SyncERPInvoice(ctx, pool, inv.Invoice); err != nil {
			t.Fatal(err)
		}
	}

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

	s := startSite(t, pool, nil, auth.Config{})
	s.addUser(t, "ana", auth.RoleOps)

	ana := newPerson(t, s.url)
	ana.logIn("ana")

	split := openExceptions(t, pool, 1, 100050,
		store.Candidate{InvoiceNumber: "INV-1001", Score: 0.7},
		store.Candidate{InvoiceNumber: "INV-1002", Score: 0.5})[0]
	suggested := openExceptions(t, pool, 1, 50000,
		store.Candidate{InvoiceNumber: "INV-1002", Score: 0.9})[0]
	refund, ret, park := openExceptions(t, pool, 1, 1200)[0], openExceptions(t, pool, 1,
		1300)[0], openExceptions(t, pool, 1, 1400)[0]
	noCash := openExceptions(t, pool, 1, 1500)[0]

	if _, err := pool.Exec(ctx, `UPDATE payments SET status = 'returned', unapplied_minor = 0
		WHERE id = (SELECT payment_id FROM exceptions WHERE id = $1)`, noCash); err != nil {
		t.Fatal(err)
	}

	ana.get("/exceptions/"+itoa(split), http.StatusOK)
	ana.postForm("/exceptions/"+itoa(split)+"/split", http.StatusSeeOther, url.Values{
		"invoice": {"INV-1001", "INV-1002"}, "amount": {"640.00", ""}})
	ana.postForm("/exceptions/"+itoa(suggested)+"/apply-suggested", http.StatusSeeOther, nil)

	eventually(t, "both applications paid in Xero", func() bool {
		p := xeroPaid(sim)
		return p["INV-1001"] == 64000 && p["INV-1002"] == 50000
	})

	ana.postForm("/exceptions/"+itoa(split)+"/reopen", http.StatusSeeOther,
		url.Values{"note": {"wrong invoice"}})

	eventually(t, "the reopened split's payment deleted in Xero", func() bool {
		p := xeroPaid(sim)
		return p["INV-1001"] == 0 && p["INV-1002"] == 50000
	})

	ana.postForm("/exceptions/"+itoa(refund)+"/refund", http.StatusSeeOther,
		url.Values{"note": {"paid twice"}})
	ana.postForm("/exceptions/bulk", http.StatusSeeOther, url.Values{
		"id": {itoa(split), itoa(refund)}, "action": {"comment"}, "body": {"checked"}})
	ana.postForm("/exceptions/bulk", http.StatusSeeOther, url.Values{
		"id": {itoa(split)}, "action": {"assign_me"}})
	ana.postForm("/exceptions/"+itoa(ret)+"/return", http.StatusSeeOther,
		url.Values{"note": {"not ours"}})
	ana.postForm("/exceptions/"+itoa(noCash)+"/close", http.StatusSeeOther,
		url.Values{"note": {"the bank took it back"}})
	ana.postForm("/exceptions/bulk", http.StatusSeeOther, url.Values{
		"id": {itoa(park)}, "action": {"park"}, "customer_id": {"CUST-3"}})

	want := map[int64][]string{
		split:     {"resolved", "reopen", "comment", "assign"},
		suggested: {"resolved"},
		refund:    {store.ExceptionRefundPending, "comment"},
		ret:       {store.ExceptionReturnPending},
		noCash:    {store.ExceptionResolved},
		park:      {store.ExceptionOnAccount},
	}

	for id, actions := range want {
		log, err := store.AuditLog(ctx, pool, "exception", itoa(id), 50)
		if err != nil {
			t.Fatal(err)
		}

		byAna := map[string]bool{}
		for _, e := range log {
			if e.Actor == "ana" {
				byAna[e.Action] = true
			}
		}

		for _, a := range actions {
			if !byAna[a] {
				t.Errorf("exception %d: no %q by ana in the audit log %+v", id, a, log)
			}
		}
	}
}
