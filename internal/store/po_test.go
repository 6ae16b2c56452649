package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/store"
)

// A deal's PO number reaches the invoice raised for it; a PO typed in later fills
// the invoice's empty one but never replaces one; the ERP listing keeps it, takes a
// new one from the ERP, and ignores a Reference that is only the deal id.
func TestPONumberFollowsDealInvoiceAndERPListing(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	pool := pgtest.DB(t)
	day := time.Date(2025, 2, 3, 0, 0, 0, 0, time.UTC)

	for _, c := range []billing.Customer{
		{ID: "900", Name: "Contoso Holdings AG"},
		{ID: "901", Name: "Contoso Retail GmbH", ParentID: "900"},
	} {
		if _, err := store.UpsertCustomer(ctx, pool, c, "crm"); err != nil {
			t.Fatal(err)
		}
	}

	deal := func(id, po string) billing.Deal {
		return billing.Deal{CRMID: id, Name: "deal " + id, CompanyID: "901",
			CompanyParentID: "900", Amount: money.New(120000, "EUR"), Stage: "closedwon",
			LastModified: day, PONumber: po}
	}

	raise := func(d billing.Deal) string {
		t.Helper()

		if _, err := store.UpsertDeal(ctx, pool, d); err != nil {
			t.Fatal(err)
		}

		number, _, err := store.CreateInvoiceForDeal(ctx, pool, d.CRMID, day, 30)
		if err != nil {
			t.Fatal(err)
		}

		return number
	}

	po := func(number string) string {
		t.Helper()

		r, err := store.Invoice(ctx, pool, number)
		if err != nil {
			t.Fatal(err)
		}

		return r.PONumber
	}

	withPO := raise(deal("71", " 4500012345 "))
	if got := po(withPO); got != "4500012345" {
		t.Fatalf("invoice of a deal with a PO: %q", got)
	}

	late := raise(deal("72", ""))
	if got := po(late); got != "" {
		t.Fatalf("invoice of a deal without a PO: %q", got)
	}

	// The PO typed into the CRM after invoicing fills the empty one ...
	if _, err := store.UpsertDeal(ctx, pool, deal("72", "PO-LATE-1")); err != nil {
		t.Fatal(err)
	}

	if got := po(late); got != "PO-LATE-1" {
		t.Fatalf("late PO: %q", got)
	}

	// ... but a changed PO in the CRM does not rewrite an invoice already issued.
	if _, err := store.UpsertDeal(ctx, pool, deal("71", "4500099999")); err != nil {
		t.Fatal(err)
	}

	if got := po(withPO); got != "4500012345" {
		t.Fatalf("issued invoice's PO rewritten to %q", got)
	}

	listed := func(number, reference string) {
		t.Helper()

		_, err := store.SyncERPInvoice(ctx, pool, billing.Invoice{Number: number,
			ERPID: "erp-" + number, CustomerID: "901", CustomerName: "Contoso Retail GmbH",
			Currency: "EUR", Total: 120000, Open: 120000, IssueDate: day,
			DueDate: day.AddDate(0, 0, 30), PONumber: reference})
		if err != nil {
			t.Fatal(err)
		}
	}

	for _, step := range []struct {
		number, reference, want string
	}{
		{withPO, "", "4500012345"},                  // ERP shows none: keep ours
		{withPO, "71", "4500012345"},                // an old push's deal id: keep ours
		{withPO, "4500012346", "4500012346"},        // corrected in the ERP: take it
		{"INV-ERP-1", "PO-FROM-ERP", "PO-FROM-ERP"}, // raised in the ERP
	} {
		listed(step.number, step.reference)

		if got := po(step.number); got != step.want {
			t.Errorf("%s listed with Reference %q: PO %q, want %q", step.number,
				step.reference, got, step.want)
		}
	}
}
