package exceptions_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/store"
)

// parkFor7 parks an exception's cash as the credit of the fixture's customer.
var parkFor7 = exceptions.ParkRequest{CustomerID: "CUST-7"}

// fieldOf is the first refused field of err, "" when err is no *ValidationError.
func fieldOf(err error) string {
	var ve *exceptions.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) == 0 {
		return ""
	}

	return ve.Fields[0].Field
}

func TestParkUnknownPayerNeedsACustomer(t *testing.T) {
	f := seed(t, 100050, "EUR", twoInvoices()...)
	ctx := context.Background()

	_, err := f.svc.Park(ctx, f.exception.ID, "ana", exceptions.ParkRequest{Note: "later"})
	if !errors.Is(err, exceptions.ErrInvalid) || fieldOf(err) != "customer_id" {
		t.Fatalf("park for nobody: %v", err)
	}

	_, err = f.svc.Resolve(ctx, f.exception.ID, "ana", exceptions.Resolution{Park: true})
	if fieldOf(err) != "customer_id" {
		t.Fatalf("resolve by parking for nobody: %v", err)
	}

	res, err := f.svc.Bulk(ctx, "ana", exceptions.BulkRequest{Action: exceptions.BulkPark,
		IDs: []int64{f.exception.ID}})
	if err != nil || res.Failed != 1 || res.Results[0].Code != "invalid" {
		t.Fatalf("bulk park for nobody: %+v %v", res, err)
	}

	e, err := store.GetException(ctx, f.pool, f.exception.ID, false)
	if err != nil || e.Status != store.ExceptionOpen {
		t.Fatalf("after the refusals the exception is %q (%v), want open", e.Status, err)
	}

	out, err := f.svc.Park(ctx, f.exception.ID, "ana", parkFor7)
	if err != nil || out.Status != store.ExceptionOnAccount {
		t.Fatalf("park for CUST-7: %+v %v", out, err)
	}

	p, err := store.GetPayment(ctx, f.pool, e.PaymentID)
	if err != nil || p.CustomerID != "CUST-7" || p.Status != store.PaymentOnAccount {
		t.Fatalf("payment after parking: %q %q %v", p.CustomerID, p.Status, err)
	}
}

func TestBulkAssignKeepsItsNote(t *testing.T) {
	f := seed(t, 100050, "EUR", twoInvoices()...)
	ctx := context.Background()

	res, err := f.svc.Bulk(ctx, "ana", exceptions.BulkRequest{Action: exceptions.BulkAssign,
		IDs: []int64{f.exception.ID}, Assignee: "bo", Note: "bo knows this payer"})
	if err != nil || res.Succeeded != 1 {
		t.Fatalf("bulk assign: %+v %v", res, err)
	}

	d, err := f.svc.Get(ctx, f.exception.ID)
	if err != nil {
		t.Fatal(err)
	}

	for _, h := range d.History {
		if h.Action == "assign" {
			var after map[string]string
			if err := json.Unmarshal(h.After, &after); err != nil ||
				after["note"] != "bo knows this payer" || after["assignee"] != "bo" {
				t.Fatalf("assign entry %s: want the note and bo (%v)", h.After, err)
			}

			return
		}
	}

	t.Fatalf("no assign entry in %+v", d.History)
}

func TestRestOnAccountNeedsOneCustomer(t *testing.T) {
	f := seed(t, 100050, "EUR", twoInvoices()...)
	ctx := context.Background()

	// INV-1002 belongs to another customer: the lines name no one customer.
	_, err := store.UpsertCustomer(ctx, f.pool, billing.Customer{ID: "CUST-8",
		Name: "Other Mills"}, "test")
	if err != nil {
		t.Fatal(err)
	}

	if _, err := f.pool.Exec(ctx, `UPDATE invoices SET customer_id = 'CUST-8'
		WHERE number = 'INV-1002'`); err != nil {
		t.Fatal(err)
	}

	req := exceptions.ApplyRequest{Rest: exceptions.RestOnAccount, Lines: []exceptions.Line{
		{InvoiceNumber: "INV-1001", Amount: "100.00"},
		{InvoiceNumber: "INV-1002", Amount: "100.00"}}}

	if _, err := f.svc.Apply(ctx, f.exception.ID, "ana", req); fieldOf(err) != "rest" {
		t.Fatalf("rest on account of nobody: %v", err)
	}

	req.CustomerID = "CUST-8"

	out, err := f.svc.Apply(ctx, f.exception.ID, "ana", req)
	if err != nil || out.ParkedMinor != 80050 {
		t.Fatalf("rest on account of CUST-8: %+v %v", out, err)
	}
}
