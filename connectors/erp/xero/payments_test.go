package xero_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/connectors/erp/xero"
	"github.com/o2c-dev/o2c/connectors/erp/xero/xerosim"
	"github.com/o2c-dev/o2c/internal/money"
)

// pay records a USD payment and fails the test on error.
func pay(t *testing.T, b *testBundle, invoiceID string, cents int64, ref string) string {
	t.Helper()

	id, err := b.client.RecordPayment(context.Background(), xero.Payment{
		InvoiceID: invoiceID,
		Amount:    money.New(cents, "USD"),
		Date:      time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC),
		Reference: ref,
	})
	if err != nil {
		t.Fatalf("record payment %s: %v", ref, err)
	}

	return id
}

func TestRecordPayment(t *testing.T) {
	t.Parallel()

	t.Run("reduces AmountDue exactly and marks PAID at zero", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{}, nil)
		invID := b.mustCreate(t, "INV-7001", 74541)

		pid := pay(t, b, invID, 73050, "o2c-app-1")

		got, _ := b.sim.Invoice("INV-7001")
		if got.AmountDue != 1491 || got.AmountPaid != 73050 || got.Status != "AUTHORISED" {
			t.Errorf("after 730.50: due %d paid %d %s, want 14.91 due", got.AmountDue,
				got.AmountPaid, got.Status)
		}

		if len(got.Payments) != 1 || got.Payments[0].ID != pid ||
			got.Payments[0].AccountCode != "090" || got.Payments[0].Reference != "o2c-app-1" {
			t.Errorf("payments = %+v, want one %s into 090", got.Payments, pid)
		}

		open, err := b.client.OpenInvoices(context.Background())
		if err != nil || len(open) != 1 || open[0].Open != 1491 {
			t.Fatalf("open = %+v, %v; want 14.91 open", open, err)
		}

		pay(t, b, invID, 1491, "o2c-app-2")

		got, _ = b.sim.Invoice("INV-7001")
		if got.AmountDue != 0 || got.Status != "PAID" {
			t.Errorf("after 14.91: due %d %s, want 0 PAID", got.AmountDue, got.Status)
		}

		open, err = b.client.OpenInvoices(context.Background())
		if err != nil || len(open) != 0 {
			t.Errorf("open = %+v, %v; want none", open, err)
		}
	})

	t.Run("pays by invoice number and to the configured bank account", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{
			AccountCodes: map[string]string{"200": "REVENUE", "091": "BANK"},
		}, func(c *xero.Config) { c.BankAccountCode = "091" })
		b.mustCreate(t, "INV-7002", 100000000007)

		_, err := b.client.RecordPayment(context.Background(), xero.Payment{
			InvoiceNumber: "INV-7002", Amount: money.New(7, "USD"), Reference: "o2c-app-3",
		})
		if err != nil {
			t.Fatalf("RecordPayment: %v", err)
		}

		got, _ := b.sim.Invoice("INV-7002")
		if got.AmountDue != 100000000000 || got.Payments[0].AccountCode != "091" {
			t.Errorf("due %d account %s, want 1000000000.00 and 091", got.AmountDue,
				got.Payments[0].AccountCode)
		}

		// The payment date defaults to the client clock's day.
		if want := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC); !got.Payments[0].Date.Equal(want) {
			t.Errorf("date = %s, want %s", got.Payments[0].Date, want)
		}
	})

	t.Run("lost response leaves one payment", func(t *testing.T) {
		t.Parallel()

		for _, f := range []xerosim.Fault{
			{Kind: xerosim.LoseResponse, Method: "PUT", Path: "/Payments", Nth: 1},
			{Kind: xerosim.ErrorAfterCommit, Method: "PUT", Path: "/Payments", Nth: 1},
		} {
			b := setup(t, xerosim.Config{IgnoreIdempotencyKey: true}, nil)
			invID := b.mustCreate(t, "INV-7003", 50000)
			b.sim.AddFault(f)

			pid := pay(t, b, invID, 20000, "o2c-app-4")

			got, _ := b.sim.Invoice("INV-7003")
			if len(got.Payments) != 1 || got.Payments[0].ID != pid || got.AmountDue != 30000 {
				t.Errorf("%s: payments %+v due %d, want one payment %s and 300.00 due",
					f.Kind, got.Payments, got.AmountDue, pid)
			}

			want := []string{"PUT /Invoices 200", "PUT /Payments " + map[xerosim.FaultKind]string{
				xerosim.LoseResponse: "0", xerosim.ErrorAfterCommit: "500"}[f.Kind],
				"GET /Payments 200"}
			if got := b.requests(); !slices.Equal(got, want) {
				t.Errorf("%s: requests = %v, want %v", f.Kind, got, want)
			}
		}
	})

	t.Run("repeat with the same reference is answered from the key", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{}, nil)
		invID := b.mustCreate(t, "INV-7004", 50000)

		first := pay(t, b, invID, 10000, "o2c-app-5")
		second := pay(t, b, invID, 10000, "o2c-app-5")

		got, _ := b.sim.Invoice("INV-7004")
		if first != second || len(got.Payments) != 1 || got.AmountDue != 40000 {
			t.Errorf("ids %s %s, payments %d, due %d", first, second, len(got.Payments),
				got.AmountDue)
		}

		// The same reference with another amount is a conflict, not a
		// second payment.
		_, err := b.client.RecordPayment(context.Background(), xero.Payment{
			InvoiceID: invID, Amount: money.New(9999, "USD"), Reference: "o2c-app-5",
			Date: time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC),
		})
		if !errors.Is(err, xero.ErrConflict) {
			t.Errorf("err = %v, want ErrConflict", err)
		}
	})

	t.Run("overpayment is refused", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{}, nil)
		invID := b.mustCreate(t, "INV-7005", 74541)

		_, err := b.client.RecordPayment(context.Background(), xero.Payment{
			InvoiceID: invID, Amount: money.New(74542, "USD"), Reference: "o2c-app-6",
		})

		var ve *xero.ValidationError
		if !errors.As(err, &ve) ||
			!strings.Contains(strings.Join(ve.Messages, " "), "exceeds the amount outstanding") {
			t.Fatalf("err = %v, want overpayment *ValidationError", err)
		}

		got, _ := b.sim.Invoice("INV-7005")
		if got.AmountDue != 74541 || len(got.Payments) != 0 {
			t.Errorf("due %d payments %d, want unchanged", got.AmountDue, len(got.Payments))
		}

		if n := b.countRequests("PUT", "/Payments"); n != 1 {
			t.Errorf("PUT /Payments sent %d times, want 1", n)
		}
	})

	t.Run("paid invoice refuses further payments", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{}, nil)
		invID := b.mustCreate(t, "INV-7006", 1000)
		pay(t, b, invID, 1000, "o2c-app-7")

		_, err := b.client.RecordPayment(context.Background(), xero.Payment{
			InvoiceID: invID, Amount: money.New(1, "USD"), Reference: "o2c-app-8",
		})

		var ve *xero.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("err = %v, want *ValidationError", err)
		}
	})
}

func TestDeletePayment(t *testing.T) {
	t.Parallel()

	for _, ignoreKey := range []bool{false, true} {
		b := setup(t, xerosim.Config{IgnoreIdempotencyKey: ignoreKey}, nil)
		invID := b.mustCreate(t, "INV-8001", 74541)
		pid := pay(t, b, invID, 74541, "o2c-app-9")

		if got, _ := b.sim.Invoice("INV-8001"); got.Status != "PAID" {
			t.Fatalf("status = %s, want PAID", got.Status)
		}

		if err := b.client.DeletePayment(context.Background(), pid); err != nil {
			t.Fatalf("DeletePayment: %v", err)
		}

		got, _ := b.sim.Invoice("INV-8001")
		if got.Status != "AUTHORISED" || got.AmountDue != 74541 || got.AmountPaid != 0 ||
			got.Payments[0].Status != "DELETED" {
			t.Errorf("ignoreKey=%v: after delete %+v, want AUTHORISED with 745.41 due",
				ignoreKey, got)
		}

		// Deleting again, as after a lost answer, succeeds and changes nothing.
		if err := b.client.DeletePayment(context.Background(), pid); err != nil {
			t.Errorf("ignoreKey=%v: second DeletePayment: %v", ignoreKey, err)
		}

		if again, _ := b.sim.Invoice("INV-8001"); again.AmountDue != 74541 {
			t.Errorf("ignoreKey=%v: due after second delete = %d", ignoreKey, again.AmountDue)
		}
	}
}
