package exceptions_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/pipelines"
)

func TestReopenUndoesTheApplicationsAndTellsTheERP(t *testing.T) {
	t.Parallel()

	f := seed(t, 100050, "EUR", twoInvoices()...)
	ctx := context.Background()

	applied, err := f.svc.Apply(ctx, f.exception.ID, "ana", exceptions.ApplyRequest{
		Lines: []exceptions.Line{{InvoiceNumber: "INV-1001", Amount: "640.00"},
			{InvoiceNumber: "INV-1002", Amount: "360.50", WriteOff: "0.50",
				WriteOffReason: "rounding"}}})
	if err != nil {
		t.Fatal(err)
	}

	// The ERP recorded the first one before ops changed their mind.
	first := applied.Applications[0].ID
	if err := store.MarkApplicationRecorded(ctx, f.pool, first, "xero-pay-1"); err != nil {
		t.Fatal(err)
	}

	before := f.topics(t)

	out, err := f.svc.Reopen(ctx, f.exception.ID, "bo", "wrong customer")
	if err != nil {
		t.Fatal(err)
	}

	if out.Status != store.ExceptionOpen || len(out.Unapplied) != 2 ||
		out.UnappliedMinor != 100050 {
		t.Fatalf("outcome %+v", out)
	}

	if a, b := f.open(t, "INV-1001"), f.open(t, "INV-1002"); a != 64000 || b != 50000 {
		t.Errorf("invoices open %d and %d, want 64000 and 50000 (write-off undone too)", a, b)
	}

	e := f.exc(t, f.exception.ID)
	if e.Status != store.ExceptionOpen || e.ResolvedBy != "" || len(e.Resolution) != 0 {
		t.Errorf("reopened exception %+v", e)
	}

	p := f.pay(t, f.payment.ID)
	if p.Status != store.PaymentException || p.Unapplied != 100050 {
		t.Errorf("payment %s unapplied %d, want exception 100050", p.Status, p.Unapplied)
	}

	d, err := f.svc.Get(ctx, f.exception.ID)
	if err != nil {
		t.Fatal(err)
	}

	states := map[int64]string{}
	for _, a := range d.Applications {
		want := fmt.Sprintf("exception %d reopened by bo: wrong customer", f.exception.ID)
		if a.ReversedAt == nil || a.ReversalReason != want {
			t.Errorf("application %d not reversed: %+v", a.ID, a)
		}

		states[a.ID] = a.ERPState
	}

	// Recorded: the ERP deletes it (the handler of the unapplied topic); pending:
	// never sent.
	if states[first] != "recorded" || states[applied.Applications[1].ID] != "skipped" {
		t.Errorf("erp states %v", states)
	}

	if got := f.topic(t, pipelines.TopicCashUnapplied); got !=
		before[pipelines.TopicCashUnapplied]+1 {
		t.Errorf("no message for the ERP to delete its payment")
	}

	if !f.audited(t, "exception", f.exception.ID, "reopen", "bo") {
		t.Error("reopen not audited")
	}

	// The payment may go to the same invoice again.
	again, err := f.svc.Apply(ctx, f.exception.ID, "bo", exceptions.ApplyRequest{
		Lines: []exceptions.Line{{InvoiceNumber: "INV-1001", Amount: "640.00"}},
		Rest:  exceptions.RestOnAccount})
	if err != nil {
		t.Fatal(err)
	}

	if again.ParkedMinor != 36050 || f.open(t, "INV-1001") != 0 {
		t.Errorf("applied again: %+v", again)
	}
}

func TestReopenSplitMergesTheOpenRemainder(t *testing.T) {
	t.Parallel()

	f := seed(t, 100050, "EUR", twoInvoices()...)
	ctx := context.Background()

	split, err := f.svc.Split(ctx, f.exception.ID, "ana", exceptions.ApplyRequest{
		Lines: []exceptions.Line{{InvoiceNumber: "INV-1001", Amount: "640.00"}}})
	if err != nil {
		t.Fatal(err)
	}

	// A remainder cannot be reopened while open, nor its parent while it is
	// resolved.
	if _, err := f.svc.Reopen(ctx, split.RemainderID, "bo", ""); !errors.Is(err,
		store.ErrConflict) {
		t.Errorf("reopen an open remainder: %v", err)
	}

	out, err := f.svc.Reopen(ctx, f.exception.ID, "bo", "")
	if err != nil {
		t.Fatal(err)
	}

	if out.UnappliedMinor != 100050 {
		t.Errorf("outcome %+v", out)
	}

	if rest := f.exc(t, split.RemainderID); rest.Status != store.ExceptionSuperseded {
		t.Errorf("remainder %s, want superseded", rest.Status)
	}

	if n := f.count(t, "SELECT count(*) FROM exceptions WHERE status = 'open'"); n != 1 {
		t.Errorf("%d open exceptions, want 1", n)
	}

	if _, err := f.svc.Reopen(ctx, split.RemainderID, "bo", ""); !errors.Is(err,
		store.ErrConflict) {
		t.Errorf("reopen a superseded remainder: %v", err)
	}
}

func TestReopenRefusals(t *testing.T) {
	t.Parallel()

	ctx := context.Background()

	t.Run("remainder resolved", func(t *testing.T) {
		t.Parallel()

		f := seed(t, 100050, "EUR", twoInvoices()...)

		split, err := f.svc.Split(ctx, f.exception.ID, "ana", exceptions.ApplyRequest{
			Lines: []exceptions.Line{{InvoiceNumber: "INV-1001", Amount: "640.00"}}})
		if err != nil {
			t.Fatal(err)
		}

		if _, err := f.svc.Park(ctx, split.RemainderID, "ana",
			exceptions.ParkRequest{}); err != nil {
			t.Fatal(err)
		}

		before := f.topics(t)

		if _, err := f.svc.Reopen(ctx, f.exception.ID, "bo", ""); !errors.Is(err,
			store.ErrConflict) {
			t.Fatalf("err %v, want ErrConflict", err)
		}

		if f.open(t, "INV-1001") != 0 || f.exc(t, f.exception.ID).Status !=
			store.ExceptionResolved {
			t.Error("a refused reopening changed something")
		}

		if f.topics(t)[pipelines.TopicCashUnapplied] != before[pipelines.TopicCashUnapplied] {
			t.Error("a refused reopening told the ERP")
		}

		// Undo in order: the remainder first, then the exception split.
		if _, err := f.svc.Reopen(ctx, split.RemainderID, "bo", ""); err != nil {
			t.Fatal(err)
		}

		if _, err := f.svc.Reopen(ctx, f.exception.ID, "bo", ""); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("payment returned", func(t *testing.T) {
		t.Parallel()

		f := seed(t, 64000, "EUR", twoInvoices()...)

		if _, err := f.svc.Park(ctx, f.exception.ID, "ana", parkFor7); err != nil {
			t.Fatal(err)
		}

		_, err := f.pool.Exec(ctx, "UPDATE payments SET status = 'returned' WHERE id = $1",
			f.payment.ID)
		if err != nil {
			t.Fatal(err)
		}

		if _, err := f.svc.Reopen(ctx, f.exception.ID, "bo", ""); !errors.Is(err,
			store.ErrConflict) {
			t.Fatalf("err %v, want ErrConflict", err)
		}
	})

	t.Run("open", func(t *testing.T) {
		t.Parallel()

		f := seed(t, 64000, "EUR", twoInvoices()...)

		if _, err := f.svc.Reopen(ctx, f.exception.ID, "bo", ""); !errors.Is(err,
			store.ErrConflict) {
			t.Fatalf("err %v, want ErrConflict", err)
		}
	})
}

func TestReopenParkedOrRefund(t *testing.T) {
	t.Parallel()

	f := seed(t, 64000, "EUR", twoInvoices()...)
	ctx := context.Background()

	if _, err := f.svc.MarkRefund(ctx, f.exception.ID, "ana",
		exceptions.PayBackRequest{}); err != nil {
		t.Fatal(err)
	}

	out, err := f.svc.Reopen(ctx, f.exception.ID, "bo", "the customer wants a credit")
	if err != nil || out.UnappliedMinor != 64000 || len(out.Unapplied) != 0 {
		t.Fatalf("reopen: %+v %v", out, err)
	}

	if p := f.pay(t, f.payment.ID); p.Status != store.PaymentException || p.Unapplied != 64000 {
		t.Errorf("payment %s unapplied %d", p.Status, p.Unapplied)
	}

	if _, err := f.svc.Park(ctx, f.exception.ID, "bo", exceptions.ParkRequest{
		CustomerID: "CUST-7"}); err != nil {
		t.Fatal(err)
	}
}
