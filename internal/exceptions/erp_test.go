package exceptions_test

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/connectors/erp/xero"
	"github.com/o2c-dev/o2c/connectors/erp/xero/xerosim"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/service"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/pipelines"
)

// withERP runs the bus router with the Xero simulator as the ERP, and creates
// the fixture's invoices in Xero with the ids o2c keeps for them.
func withERP(t *testing.T, f *fixture) *xerosim.Sim {
	t.Helper()

	ctx := context.Background()

	sim := xerosim.New(xerosim.Config{ClientID: "id", ClientSecret: "secret", TenantID: "t",
		Seed: 5})

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

	invs, err := store.Invoices(ctx, f.pool)
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
		if _, err := store.SyncERPInvoice(ctx, f.pool, inv.Invoice); err != nil {
			t.Fatal(err)
		}
	}

	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{
		Level: slog.LevelError}))

	stop, err := service.RunRouter(ctx, pipelines.Config{Pool: f.pool, ERP: erp,
		ReadBankFile: bank.Scan, PollInterval: 20 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stop router: %v", err)
		}
	})

	return sim
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

// paid sums the payments standing in Xero per invoice number.
func paid(sim *xerosim.Sim) map[string]int64 {
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

// Manual applications reach Xero through the bus as automatic ones do, and
// reopening deletes them there again.
func TestActionsReachTheERP(t *testing.T) {
	t.Parallel()

	f := seed(t, 100050, "EUR", twoInvoices()...)
	sim := withERP(t, f)
	ctx := context.Background()

	out, err := f.svc.Apply(ctx, f.exception.ID, "ana", exceptions.ApplyRequest{
		Lines: []exceptions.Line{{InvoiceNumber: "INV-1001", Amount: "640.00"},
			{InvoiceNumber: "INV-1002", Amount: "360.50"}}})
	if err != nil {
		t.Fatal(err)
	}

	waitFor(t, "both applications recorded in Xero", func() bool {
		p := paid(sim)
		return p["INV-1001"] == 64000 && p["INV-1002"] == 36050
	})

	for _, a := range out.Applications {
		waitFor(t, "application marked recorded", func() bool {
			return f.count(t, `SELECT count(*) FROM applications WHERE id = $1
				AND erp_state = 'recorded'`, a.ID) == 1
		})
	}

	_, err = f.svc.Reopen(ctx, f.exception.ID, "bo", "applied to the wrong invoices")
	if err != nil {
		t.Fatal(err)
	}

	waitFor(t, "Xero payments deleted", func() bool {
		p := paid(sim)
		return p["INV-1001"] == 0 && p["INV-1002"] == 0
	})

	waitFor(t, "applications marked reversed in the ERP", func() bool {
		return f.count(t, "SELECT count(*) FROM applications WHERE erp_state = 'reversed'") == 2
	})

	if v, ok := sim.Invoice("INV-1002"); !ok || v.AmountDue != 50000 {
		t.Errorf("Xero amount due of INV-1002 %d, want 50000", v.AmountDue)
	}
}

// An approved write-off sends the cash to Xero; the write-off stays o2c's.
func TestApprovedWriteOffReachesTheERP(t *testing.T) {
	t.Parallel()

	f := seed(t, 49000, "EUR", twoInvoices()...)
	f.svc.Policy = exceptions.Policy{ApprovalLimits: map[string]int64{"EUR": 0}}
	sim := withERP(t, f)
	ctx := context.Background()

	out, err := f.svc.WriteOff(ctx, f.exception.ID, "ana", exceptions.WriteOffRequest{
		InvoiceNumber: "INV-1002", Reason: "short_payment"})
	if err != nil || out.Approval == nil {
		t.Fatalf("write-off: %+v %v", out, err)
	}

	time.Sleep(200 * time.Millisecond)

	if p := paid(sim); p["INV-1002"] != 0 {
		t.Fatalf("Xero was paid %d before the approval", p["INV-1002"])
	}

	if _, err := f.svc.Approve(ctx, out.Approval.ID, "lead.kim", ""); err != nil {
		t.Fatal(err)
	}

	waitFor(t, "the approved cash recorded in Xero", func() bool {
		return paid(sim)["INV-1002"] == 49000
	})
}
