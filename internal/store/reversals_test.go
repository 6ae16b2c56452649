package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/store"
)

// TestReturnPaymentKeepsHistoryAndReopensInvoices: a payment applied to two
// invoices (one application recorded in the ERP, one still pending, one with a
// discount) is returned: both rows stay, marked reversed; the pending one will
// never be recorded; the invoices get back amount plus discount; a second
// return of the same payment reverses nothing.
func TestReturnPaymentKeepsHistoryAndReopensInvoices(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	pool := pgtest.DB(t)
	seedInvoice(t, pool, "INV-1", 10000)
	seedInvoice(t, pool, "INV-2", 5000)

	f, _, err := store.InsertBankFile(ctx, pool, "a.xml", []byte("a"), "treasury")
	if err != nil {
		t.Fatal(err)
	}

	txs := []bankfile.Transaction{
		{Seq: 1, Direction: bankfile.Credit, Kind: bankfile.KindPayment, BankRef: "REF-1",
			EndToEndID: "E2E-1", Amount: money.New(14900, "EUR"), DedupeKey: "k1"},
		{Seq: 2, Direction: bankfile.Debit, Kind: bankfile.KindReversal, BankRef: "REF-2",
			EndToEndID: "E2E-1", Amount: money.New(14900, "EUR"), DedupeKey: "k2"},
		{Seq: 3, Direction: bankfile.Debit, Kind: bankfile.KindReturn, OriginalRef: "REF-1",
			ReturnCode: "R01", Amount: money.New(14900, "EUR"), DedupeKey: "k3"},
	}
	if _, _, err := store.InsertPayments(ctx, pool, f.ID, f.SHA256, txs); err != nil {
		t.Fatal(err)
	}

	ps, err := store.PaymentsOfFile(ctx, pool, f.ID)
	if err != nil {
		t.Fatal(err)
	}

	pay, rev, ret := ps[0], ps[1], ps[2]

	apps, err := store.ApplyMany(ctx, pool, []store.Application{
		{PaymentID: pay.ID, InvoiceNumber: "INV-1", Currency: "EUR", Amount: 9900, Discount: 100,
			Rule: "ref", RulesVersion: "t", Explanation: "x", Source: store.SourceAuto},
		{PaymentID: pay.ID, InvoiceNumber: "INV-2", Currency: "EUR", Amount: 5000,
			Rule: "ref", RulesVersion: "t", Explanation: "x", Source: store.SourceAuto},
	})
	if err != nil {
		t.Fatal(err)
	}

	if err := store.MarkApplicationRecorded(ctx, pool, apps[0].ID, "xp-1"); err != nil {
		t.Fatal(err)
	}

	// Both the reversal and the return point at the payment; the bank
	// reference wins for the return, the end-to-end id finds it for the reversal.
	for _, r := range []store.PaymentRow{rev, ret} {
		cands, err := store.ReversedCandidates(ctx, pool, r)
		if err != nil || len(cands) != 1 || cands[0].ID != pay.ID {
			t.Fatalf("candidates of %d: %v, %v; want payment %d", r.ID, cands, err, pay.ID)
		}
	}

	unhandled, err := store.UnhandledReversalsOfFile(ctx, pool, f.ID)
	if err != nil || len(unhandled) != 2 {
		t.Fatalf("unhandled = %d, %v; want 2", len(unhandled), err)
	}

	var reversed []store.ReversedApplication
	err = store.InTx(ctx, pool, func(tx pgx.Tx) error {
		reversed, err = store.ReturnPayment(ctx, tx, pay, ret, "R01 insufficient funds")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	if len(reversed) != 2 || reversed[0].InvoiceOpen != 10000 || reversed[1].InvoiceOpen != 5000 {
		t.Fatalf("reversed = %+v; want both, invoices fully open", reversed)
	}

	kept, err := store.ApplicationsOfPayment(ctx, pool, pay.ID)
	if err != nil || len(kept) != 2 {
		t.Fatalf("applications kept = %d, %v; want 2", len(kept), err)
	}

	if kept[0].ERPState != "recorded" || kept[1].ERPState != store.ERPSkipped {
		t.Fatalf("erp states %s, %s; want recorded (to delete), skipped", kept[0].ERPState,
			kept[1].ERPState)
	}

	todo, err := store.ReversedToUnrecord(ctx, pool, []int64{apps[0].ID, apps[1].ID})
	if err != nil || len(todo) != 1 || todo[0].ERPPaymentID != "xp-1" {
		t.Fatalf("to unrecord = %+v, %v; want the recorded one", todo, err)
	}

	for _, n := range []string{"INV-1", "INV-2"} {
		inv, err := store.Invoice(ctx, pool, n)
		if err != nil || inv.Status != store.InvoiceOpen || inv.Open != inv.Total {
			t.Fatalf("%s: %s open %d of %d, %v", n, inv.Status, inv.Open, inv.Total, err)
		}
	}

	got, err := store.GetPayment(ctx, pool, pay.ID)
	if err != nil || got.Status != store.PaymentReturned {
		t.Fatalf("payment status %s, %v; want returned", got.Status, err)
	}

	// The deletion is marked once.
	for i, want := range []bool{true, false} {
		ok, err := store.MarkApplicationUnrecorded(ctx, pool, apps[0].ID)
		if err != nil || ok != want {
			t.Fatalf("unrecord #%d = %v, %v; want %v", i+1, ok, err, want)
		}
	}

	// The return is handled; the same return again, or the reversal of the
	// same payment, reverses nothing more.
	err = store.InTx(ctx, pool, func(tx pgx.Tx) error {
		_, err := store.ReturnPayment(ctx, tx, got, ret, "again")
		return err
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second handling of the return: %v, want ErrConflict", err)
	}

	err = store.InTx(ctx, pool, func(tx pgx.Tx) error {
		again, err := store.ReturnPayment(ctx, tx, got, rev, "reversal")
		if err == nil && len(again) != 0 {
			t.Errorf("reversal after the return reversed %d more", len(again))
		}

		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	inv, _ := store.Invoice(ctx, pool, "INV-1")
	if inv.Open != 10000 {
		t.Fatalf("INV-1 open %d after a second undo, want 10000", inv.Open)
	}
}

// TestAppendToOpenException extends the one open exception of a payment.
func TestAppendToOpenException(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	pool := pgtest.DB(t)

	f, _, err := store.InsertBankFile(ctx, pool, "b.xml", []byte("b"), "treasury")
	if err != nil {
		t.Fatal(err)
	}

	_, _, err = store.InsertPayments(ctx, pool, f.ID, f.SHA256, []bankfile.Transaction{{Seq: 1,
		Direction: bankfile.Credit, Kind: bankfile.KindPayment,
		Amount: money.New(100, "EUR"), DedupeKey: "x1"}})
	if err != nil {
		t.Fatal(err)
	}

	ps, _ := store.PaymentsOfFile(ctx, pool, f.ID)

	ok, err := store.AppendToOpenException(ctx, pool, ps[0].ID, "more")
	if err != nil || ok {
		t.Fatalf("append without exception = %v, %v; want false", ok, err)
	}

	e, err := store.OpenException(ctx, pool, store.Exception{PaymentID: ps[0].ID,
		Reason: "no_match", Message: "held", Amount: 100, Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}

	ok, err = store.AppendToOpenException(ctx, pool, ps[0].ID, "returned R01")
	if err != nil || !ok {
		t.Fatalf("append = %v, %v; want true", ok, err)
	}

	e, err = store.GetException(ctx, pool, e.ID, false)
	if err != nil || e.Message != "held; returned R01" {
		t.Fatalf("message %q, %v", e.Message, err)
	}
}
