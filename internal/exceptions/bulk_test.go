package exceptions_test

import (
	"context"
	"errors"
	"testing"

	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/store"
)

func TestBulkReportsEachExceptionApart(t *testing.T) {
	t.Parallel()

	f := seed(t, 1000, "EUR", twoInvoices()...)
	ctx := context.Background()
	ok2 := f.another(t, 2000, "EUR")
	closed := f.another(t, 3000, "EUR")

	if _, err := f.svc.MarkReturn(ctx, closed.ID, "ana", exceptions.PayBackRequest{}); err != nil {
		t.Fatal(err)
	}

	ids := []int64{f.exception.ID, closed.ID, closed.ID + 1000, ok2.ID}

	res, err := f.svc.Bulk(ctx, "ana", exceptions.BulkRequest{Action: exceptions.BulkPark,
		IDs: ids, CustomerID: "CUST-7", Note: "small amounts kept as credit"})
	if err != nil {
		t.Fatal(err)
	}

	if res.Succeeded != 2 || res.Failed != 2 || len(res.Results) != 4 {
		t.Fatalf("result %+v", res)
	}

	wantCode := []string{"", "conflict", "not_found", ""}
	for i, it := range res.Results {
		if it.ID != ids[i] || it.OK != (wantCode[i] == "") || it.Code != wantCode[i] {
			t.Errorf("item %d: %+v, want code %q", i, it, wantCode[i])
		}

		if it.OK && it.Status != store.ExceptionOnAccount {
			t.Errorf("item %d: status %s", i, it.Status)
		}

		if !it.OK && it.Error == "" {
			t.Errorf("item %d: no error message", i)
		}
	}

	for _, id := range []int64{f.exception.ID, ok2.ID} {
		if e := f.exc(t, id); e.Status != store.ExceptionOnAccount || e.CustomerID != "CUST-7" {
			t.Errorf("exception %d: %+v", id, e)
		}
	}
}

func TestBulkAssignCommentAndApplySuggested(t *testing.T) {
	t.Parallel()

	f := seed(t, 10000, "EUR", twoInvoices()...)
	f.withCandidates(t, store.Candidate{InvoiceNumber: "INV-1001", Score: 0.8})
	ctx := context.Background()
	tie := f.another(t, 10000, "EUR", store.Candidate{InvoiceNumber: "INV-1001", Score: 0.6},
		store.Candidate{InvoiceNumber: "INV-1002", Score: 0.6})
	ids := []int64{f.exception.ID, tie.ID}

	res, err := f.svc.Bulk(ctx, "ana", exceptions.BulkRequest{Action: exceptions.BulkAssign,
		IDs: ids, Assignee: exceptions.AssigneeMe})
	if err != nil || res.Succeeded != 2 {
		t.Fatalf("assign: %+v %v", res, err)
	}

	if e := f.exc(t, tie.ID); e.Assignee != "ana" {
		t.Errorf("assignee %q, want ana", e.Assignee)
	}

	res, err = f.svc.Bulk(ctx, "bo", exceptions.BulkRequest{Action: exceptions.BulkComment,
		IDs: ids, Body: "batch reviewed"})
	if err != nil || res.Succeeded != 2 {
		t.Fatalf("comment: %+v %v", res, err)
	}

	if n := f.count(t, "SELECT count(*) FROM exception_comments WHERE author = 'bo'"); n != 2 {
		t.Errorf("%d comments", n)
	}

	res, err = f.svc.Bulk(ctx, "ana", exceptions.BulkRequest{
		Action: exceptions.BulkApplySuggested, IDs: ids})
	if err != nil {
		t.Fatal(err)
	}

	if !res.Results[0].OK || res.Results[1].OK || res.Results[1].Code != "invalid" {
		t.Errorf("apply suggested: %+v", res.Results)
	}

	if got := f.open(t, "INV-1001"); got != 64000-10000 {
		t.Errorf("INV-1001 open %d", got)
	}
}

func TestBulkWriteOffKeepsTheApprovalRule(t *testing.T) {
	t.Parallel()

	f := limited(t, 49950) // 0.50 short of INV-1002: within the 1.00 limit
	ctx := context.Background()
	f.withCandidates(t, store.Candidate{InvoiceNumber: "INV-1002", Score: 0.9})
	big := f.another(t, 63000, "EUR", store.Candidate{InvoiceNumber: "INV-1001", Score: 0.9})
	none := f.another(t, 100, "EUR")

	res, err := f.svc.Bulk(ctx, "ana", exceptions.BulkRequest{Action: exceptions.BulkWriteOff,
		IDs: []int64{f.exception.ID, big.ID, none.ID}, Reason: "short_payment"})
	if err != nil {
		t.Fatal(err)
	}

	small, above, failed := res.Results[0], res.Results[1], res.Results[2]
	if !small.OK || small.Status != store.ExceptionResolved || small.ApprovalID != 0 {
		t.Errorf("within the limit: %+v", small)
	}

	if !above.OK || above.Status != store.ExceptionOpen || above.ApprovalID == 0 {
		t.Errorf("above the limit: %+v", above)
	}

	if failed.OK || failed.Code != "invalid" {
		t.Errorf("no candidate: %+v", failed)
	}

	if got := f.open(t, "INV-1001"); got != 64000 {
		t.Errorf("INV-1001 open %d before the approval", got)
	}

	if _, err := f.svc.Approve(ctx, above.ApprovalID, "ana", ""); !errors.Is(err,
		exceptions.ErrSelfApproval) {
		t.Errorf("self-approval: %v", err)
	}

	if _, err := f.svc.Approve(ctx, above.ApprovalID, "lead.kim", ""); err != nil {
		t.Fatal(err)
	}

	if got := f.open(t, "INV-1001"); got != 0 {
		t.Errorf("INV-1001 open %d after the approval", got)
	}
}

func TestBulkRefusesABadRequestWhole(t *testing.T) {
	t.Parallel()

	f := seed(t, 1000, "EUR", twoInvoices()...)
	ctx := context.Background()
	many := make([]int64, exceptions.MaxBulk+1)

	for i := range many {
		many[i] = int64(i + 1)
	}

	for name, c := range map[string]struct {
		req   exceptions.BulkRequest
		field string
	}{
		"unknown action": {exceptions.BulkRequest{Action: "delete", IDs: []int64{1}}, "action"},
		"no ids":         {exceptions.BulkRequest{Action: exceptions.BulkPark}, "ids"},
		"twice":          {exceptions.BulkRequest{Action: "park", IDs: []int64{1, 1}}, "ids"},
		"too many":       {exceptions.BulkRequest{Action: "park", IDs: many}, "ids"},
		"no reason":      {exceptions.BulkRequest{Action: "writeoff", IDs: []int64{1}}, "reason"},
	} {
		res, err := f.svc.Bulk(ctx, "ana", c.req)
		if got := fields(t, err); got[c.field] == "" {
			t.Errorf("%s: fields %v, want %s", name, got, c.field)
		}

		if len(res.Results) != 0 {
			t.Errorf("%s: acted on %d", name, len(res.Results))
		}
	}

	if e := f.exc(t, f.exception.ID); e.Status != store.ExceptionOpen {
		t.Errorf("a refused bulk request changed exception %d", e.ID)
	}
}
