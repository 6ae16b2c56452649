package matching

import "testing"

// TestUnapplyReopensInvoice: an application taken back leaves the invoice open
// for what it took, discount included, so a reference to it applies again and
// its amount is found again; an unknown invoice changes nothing.
func TestUnapplyReopensInvoice(t *testing.T) {
	t.Parallel()

	e := newFixture(t)
	d := e.Match(Payment{ID: "1", Amount: usd(73050), PayerAccount: acctC1,
		Remittance: "INV-10022", ValueDate: day("2025-01-05")})
	if len(d.Applications) != 1 || d.Applications[0].Discount == 0 {
		t.Fatalf("discounted payment: %+v %+v", d.Applications, d.Exception)
	}

	if now, _ := e.Invoice("INV-10022"); now.Open != 0 {
		t.Fatalf("INV-10022 open %d after payment, want 0", now.Open)
	}

	if !e.Unapply(d.Applications[0]) {
		t.Fatal("Unapply did not find INV-10022")
	}

	if now, _ := e.Invoice("INV-10022"); now.Open != 74541 {
		t.Errorf("INV-10022 open %d after Unapply, want 74541", now.Open)
	}

	d = e.Match(Payment{ID: "2", Amount: usd(74541), PayerAccount: acctC1})
	if got := apps(d); len(got) != 1 || got[0].Invoice != "INV-10022" {
		t.Errorf("payment by amount after Unapply: %+v %+v", got, d.Exception)
	}

	if e.Unapply(Application{InvoiceNumber: "INV-10022", CustomerID: "C-2", Amount: 5}) ||
		e.Unapply(Application{InvoiceNumber: "INV-404", Amount: 5}) {
		t.Error("Unapply took back an application of an invoice it does not know")
	}

	if now, _ := e.Invoice("INV-10022"); now.Open != 0 {
		t.Errorf("INV-10022 open %d, want 0", now.Open)
	}
}
