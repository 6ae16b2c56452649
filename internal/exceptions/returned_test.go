package exceptions_test

import (
	"context"
	"errors"
	"testing"

	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/store"
)

// The bank took a returned payment's money back: its follow-up can be closed, but
// none of its cash may be applied or parked.
func TestReturnedPaymentCannotBeAppliedOnlyClosed(t *testing.T) {
	t.Parallel()

	f := seed(t, 100000, "EUR", twoInvoices()...)
	ctx := context.Background()

	_, err := f.pool.Exec(ctx, "UPDATE payments SET status = 'returned', unapplied_minor = 0 "+
		"WHERE id = $1", f.payment.ID)
	if err != nil {
		t.Fatal(err)
	}

	_, err = f.svc.Resolve(ctx, f.exception.ID, "ana", exceptions.Resolution{
		Allocations: []exceptions.Allocation{{InvoiceNumber: twoInvoices()[0].number,
			Amount: "100.00"}}})
	if !errors.Is(err, exceptions.ErrInvalid) {
		t.Fatalf("applying a returned payment: err = %v, want ErrInvalid", err)
	}

	out, err := f.svc.Resolve(ctx, f.exception.ID, "ana", exceptions.Resolution{Park: true,
		Note: "customer paid again by wire"})
	if err != nil {
		t.Fatal(err)
	}

	if out.Status != store.ExceptionResolved || len(out.Applications) != 0 ||
		out.ParkedMinor != 0 {
		t.Fatalf("outcome = %+v", out)
	}

	p, err := store.GetPayment(ctx, f.pool, f.payment.ID)
	if err != nil {
		t.Fatal(err)
	}

	if p.Status != store.PaymentReturned {
		t.Fatalf("payment became %s", p.Status)
	}
}
