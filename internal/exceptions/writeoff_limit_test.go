package exceptions_test

import (
	"context"
	"testing"

	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/store"
)

// A write-off is counted with those already standing on the same payment: a
// chain of applies, each leaving its rest open and each writing off a little
// under the limit, cannot write off more than the limit without approval.
func TestChainedWriteOffsCountTowardsTheLimit(t *testing.T) {
	t.Parallel()

	f := seed(t, 1000, "EUR", invoice{"INV-2001", "EUR", 5000},
		invoice{"INV-2002", "EUR", 5000}, invoice{"INV-2003", "EUR", 5000},
		invoice{"INV-2004", "EUR", 5000}) // 10.00 EUR paid
	f.svc.Policy = exceptions.Policy{ApprovalLimits: map[string]int64{"EUR": 100}}
	ctx := context.Background()
	id := f.exception.ID

	step := func(who, inv string) exceptions.Outcome {
		t.Helper()

		out, err := f.svc.Apply(ctx, id, who, exceptions.ApplyRequest{
			Lines: []exceptions.Line{{InvoiceNumber: inv, Amount: "1.00",
				WriteOff: "0.60", WriteOffReason: "rounding"}},
			Rest: exceptions.RestOpen})
		if err != nil {
			t.Fatal(err)
		}

		return out
	}

	first := step("ana", "INV-2001")
	if first.Approval != nil || first.Status != store.ExceptionResolved ||
		first.RemainderID == 0 {
		t.Fatalf("first write-off of 0.60 under a 1.00 limit: %+v", first)
	}

	// Another person writes off on the remainder: the payment's total counts.
	id = first.RemainderID
	second := step("bo", "INV-2002")
	if second.Approval == nil || second.Status != store.ExceptionOpen {
		t.Fatalf("0.60 + 0.60 written off on one payment without approval: %+v", second)
	}

	if n := f.count(t, `SELECT COALESCE(sum(writeoff_minor), 0) FROM applications
		WHERE payment_id = $1`, f.payment.ID); n != 60 {
		t.Errorf("written off %d on the payment, want 60", n)
	}

	// Approved, it stands; one cent more then needs approval too.
	done, err := f.svc.Approve(ctx, second.Approval.ID, "lead.kim", "")
	if err != nil || done.RemainderID == 0 {
		t.Fatalf("approve: %+v %v", done, err)
	}

	id = done.RemainderID
	out, err := f.svc.Apply(ctx, id, "ana", exceptions.ApplyRequest{
		Lines: []exceptions.Line{{InvoiceNumber: "INV-2003", Amount: "1.00",
			WriteOff: "0.01", WriteOffReason: "rounding"}}, Rest: exceptions.RestOpen})
	if err != nil || out.Approval == nil {
		t.Fatalf("0.01 more after 1.20 written off: %+v %v", out, err)
	}

	// Cash without a write-off never needs approval.
	if _, err := f.svc.Reject(ctx, out.Approval.ID, "ana", ""); err != nil {
		t.Fatal(err)
	}

	plain, err := f.svc.Apply(ctx, id, "ana", exceptions.ApplyRequest{
		Lines: []exceptions.Line{{InvoiceNumber: "INV-2004", Amount: "1.00"}},
		Rest:  exceptions.RestOpen})
	if err != nil || plain.Approval != nil || plain.Status != store.ExceptionResolved {
		t.Fatalf("cash only: %+v %v", plain, err)
	}
}
