package matching

import (
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/money"
)

// b08Engine builds the B08 situation with our own values: a customer whose ACH
// company id is an alias, one invoice on net terms and one with a 2 % discount
// for 10 days from 2025-03-03.
func b08Engine(t *testing.T) *Engine {
	t.Helper()

	customers := []billing.Customer{{ID: "CUST-7", Name: "Sample Buyer Corp",
		Aliases: []string{"5550001234"}}}
	net := inv("INV-20117", "CUST-7", "USD", 134000)
	disc := inv("INV-20122", "CUST-7", "USD", 81260)
	for _, i := range []*billing.Invoice{&net, &disc} {
		i.IssueDate = day("2025-03-03")
		i.DueDate = day("2025-04-02")
	}

	disc.DiscountBasisPoints, disc.DiscountDays = 200, 10

	return New(customers, []billing.Invoice{net, disc}, DefaultRules())
}

// b08Payment is a CTX payment whose EDI 820 lines state 1340.00 paid on
// INV-20117 and 796.35 paid with a 16.25 discount on INV-20122 (2 % of 812.60).
func b08Payment(valueDate string) Payment {
	return Payment{
		ID: "b08", Amount: usd(213635), ValueDate: day(valueDate),
		PayerName: "SAMPLE BUYER", PayerID: "5550001234", PaymentRef: "PAYREF-0000000077",
		Remits: []bankfile.Remit{
			{Ref: "INV-20117", RefType: "IV", Paid: 134000, Invoiced: 134000},
			{Ref: "INV-20122", RefType: "IV", Paid: 79635, Invoiced: 81260, Discount: 1625},
		},
	}
}

func TestB08CTXDiscountAllowedClosesBothInvoices(t *testing.T) {
	t.Parallel()

	e := b08Engine(t)
	d := e.Match(b08Payment("2025-03-12"))
	want := []app{
		{"INV-20117", 134000, 0, RuleReferenceMulti},
		{"INV-20122", 79635, 1625, RuleReferenceMulti},
	}
	if got := apps(d); !equalApps(got, want) {
		t.Fatalf("applications %+v, want %+v (exception %+v)", got, want, d.Exception)
	}

	if d.Exception != nil {
		t.Fatalf("unexpected exception %+v", d.Exception)
	}

	if d.PayerMatch != PayerByID || d.CustomerID != "CUST-7" {
		t.Errorf("payer %q by %q, want CUST-7 by id", d.CustomerID, d.PayerMatch)
	}

	for _, n := range []string{"INV-20117", "INV-20122"} {
		if i, _ := e.Invoice(n); i.Open != 0 {
			t.Errorf("%s open %d, want closed", n, i.Open)
		}
	}

	const why = "discount 16.25, allowed until 2025-03-13"
	if !strings.Contains(d.Applications[1].Explanation, why) {
		t.Errorf("explanation %q does not name the discount", d.Applications[1].Explanation)
	}
}

func TestB08CTXDiscountRefusedLeavesShortPayment(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		p       Payment
		because string
	}{
		{"after the window", b08Payment("2025-03-20"), "the window closed 2025-03-13"},
		{"more than the terms give", func() Payment {
			p := b08Payment("2025-03-12")
			p.Remits[1].Paid, p.Remits[1].Discount = 77260, 4000
			p.Amount = usd(134000 + 77260)

			return p
		}(), "the terms give 16.25"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			e := b08Engine(t)
			d := e.Match(tt.p)
			paid := tt.p.Remits[1].Paid
			want := []app{
				{"INV-20117", 134000, 0, RuleReferenceMulti},
				{"INV-20122", paid, 0, RuleReferenceMulti},
			}
			if got := apps(d); !equalApps(got, want) {
				t.Fatalf("applications %+v, want %+v", got, want)
			}

			short := 81260 - paid
			if d.Exception == nil || d.Exception.Reason != ReasonShortPayment ||
				d.Exception.Amount != short {
				t.Fatalf("exception %+v, want short_payment of %d", d.Exception, short)
			}

			if !strings.Contains(d.Exception.Message, tt.because) {
				t.Errorf("message %q does not say %q", d.Exception.Message, tt.because)
			}

			if i, _ := e.Invoice("INV-20122"); i.Open != short {
				t.Errorf("INV-20122 open %d, want %d left open", i.Open, short)
			}

			c := d.Exception.Candidates
			if len(c) == 0 || c[0].InvoiceNumber != "INV-20122" || c[0].Open != short {
				t.Errorf("candidates %+v, want INV-20122 open %d first", c, short)
			}
		})
	}
}

// TestB06BatchEntrySplitAndMismatchHeld: the three details of a batch entry
// each close their invoice; the entry whose details do not add up is held whole
// and its invoices stay open.
func TestB06BatchEntrySplitAndMismatchHeld(t *testing.T) {
	t.Parallel()

	eur := func(n string, c string, open int64) billing.Invoice { return inv(n, c, "EUR", open) }
	customers := []billing.Customer{
		{ID: "K1", Name: "Sample Customer LLC",
			BankAccounts: []string{"FR7630006000011234567890189"}},
		{ID: "K2", Name: "Sample Trading BV", BankAccounts: []string{"GB29NWBK60161331926819"}},
		{ID: "K3", Name: "Sample Services SA"},
	}
	e := New(customers, []billing.Invoice{
		eur("INV-30017", "K1", 91000), eur("INV-30022", "K2", 41010), eur("INV-30031", "K3", 7770),
		eur("INV-30040", "K1", 12000), eur("INV-30041", "K1", 18000),
	}, DefaultRules())

	details := []Payment{
		{ID: "b06#1", Amount: money.New(91000, "EUR"), PayerName: "SAMPLE CUSTOMER LLC",
			PayerAccount: "FR76 3000 6000 0112 3456 7890 189", Remittance: "INV-30017"},
		{ID: "b06#2", Amount: money.New(41010, "EUR"), PayerName: "SAMPLE TRADING BV",
			PayerAccount: "GB29NWBK60161331926819", Remittance: "INV-30022"},
		{ID: "b06#3", Amount: money.New(7770, "EUR"), PayerName: "SAMPLE SERVICES SA",
			Remittance: "INV-30031"},
	}
	for _, p := range details {
		d := e.Match(p)
		if len(d.Applications) != 1 || d.Exception != nil ||
			d.Applications[0].Rule != RuleReferenceExact {
			t.Fatalf("%s: %+v %+v", p.ID, d.Applications, d.Exception)
		}
	}

	for _, n := range []string{"INV-30017", "INV-30022", "INV-30031"} {
		if i, _ := e.Invoice(n); i.Open != 0 {
			t.Errorf("%s open %d, want closed", n, i.Open)
		}
	}

	d := e.Match(Payment{ID: "b06#4", Amount: money.New(40000, "EUR"),
		PayerName: "SAMPLE CUSTOMER LLC", Remittance: "INV-30040 INV-30041",
		Problem: "batch details 300.00 ≠ booked 400.00"})
	if len(d.Applications) != 0 || d.Exception == nil {
		t.Fatalf("mismatched batch entry applied: %+v", d)
	}

	x := d.Exception
	if x.Reason != ReasonBatchMismatch || x.Amount != 40000 ||
		x.Message != "held: batch details 300.00 ≠ booked 400.00" {
		t.Errorf("exception %+v", x)
	}

	if len(x.Candidates) < 2 || x.Candidates[0].InvoiceNumber != "INV-30040" ||
		x.Candidates[1].InvoiceNumber != "INV-30041" {
		t.Errorf("candidates %+v, want INV-30040 and INV-30041 first", x.Candidates)
	}

	for _, n := range []string{"INV-30040", "INV-30041"} {
		if i, _ := e.Invoice(n); i.Open != i.Total {
			t.Errorf("%s open %d, want untouched %d", n, i.Open, i.Total)
		}
	}
}

// TestB10StructuredLineAppliesInvoice: an ACH CCD credit whose one addenda line
// names the invoice and states the amount closes it.
func TestB10StructuredLineAppliesInvoice(t *testing.T) {
	t.Parallel()

	e := New([]billing.Customer{{ID: "C9", Name: "Sample Customer"}},
		[]billing.Invoice{
			inv("INV-3051", "C9", "USD", 225000), inv("INV-3052", "C9", "USD", 225000),
		},
		DefaultRules())
	d := e.Match(Payment{ID: "b10", Amount: usd(225000), PayerName: "SAMPLE CUSTOMER",
		PayerID: "9990001111",
		Remits:  []bankfile.Remit{{Ref: "INV-3051", RefType: "IV", Paid: 225000}}})
	want := []app{{"INV-3051", 225000, 0, RuleReferenceExact}}
	if got := apps(d); !equalApps(got, want) || d.Exception != nil {
		t.Fatalf("applications %+v exception %+v, want %+v", got, d.Exception, want)
	}

	if i, _ := e.Invoice("INV-3051"); i.Open != 0 {
		t.Errorf("INV-3051 open %d", i.Open)
	}

	if i, _ := e.Invoice("INV-3052"); i.Open != 225000 {
		t.Errorf("INV-3052 open %d, want untouched", i.Open)
	}
}

// TestB14ThreePaymentsCloseThreeInvoices: three INR bank lines, two of them with
// the same transaction id, close their three invoices; a second delivery of the
// same payments (had it got past dedupe) over-applies nothing.
func TestB14ThreePaymentsCloseThreeInvoices(t *testing.T) {
	t.Parallel()

	inr := func(n, c string, open int64) billing.Invoice { return inv(n, c, "INR", open) }
	e := New([]billing.Customer{{ID: "IN-1", Name: "Sample Customer Pvt Ltd"},
		{ID: "IN-2", Name: "Sample Traders"}},
		[]billing.Invoice{inr("INV-7101", "IN-1", 3100000), inr("INV-7102", "IN-2", 1420000),
			inr("INV-7103", "IN-2", 880000)},
		DefaultRules())
	payments := []Payment{
		{ID: "TXN1#1", Amount: money.New(3100000, "INR"), PayerName: "SAMPLE CUSTOMER PVT LTD",
			Remittance: "NEFT INV-7101"},
		{ID: "TXN2#1", Amount: money.New(1420000, "INR"), PayerName: "SAMPLE TRADERS",
			Remittance: "IMPS INV-7102"},
		{ID: "TXN2#2", Amount: money.New(880000, "INR"), PayerName: "SAMPLE TRADERS",
			Remittance: "IMPS INV-7103"},
	}

	applied := map[string]int64{}
	for _, p := range payments {
		d := e.Match(p)
		if d.Exception != nil || len(d.Applications) != 1 {
			t.Fatalf("%s: %+v %+v", p.ID, d.Applications, d.Exception)
		}

		applied[d.Applications[0].InvoiceNumber] += d.Applications[0].Amount
	}

	for _, p := range payments {
		d := e.Match(p)
		if len(d.Applications) != 0 || d.Exception == nil ||
			d.Exception.Reason != ReasonAlreadyPaid {
			t.Fatalf("repeat %s: %+v %+v", p.ID, d.Applications, d.Exception)
		}
	}

	for n, total := range map[string]int64{"INV-7101": 3100000, "INV-7102": 1420000,
		"INV-7103": 880000} {
		i, _ := e.Invoice(n)
		if applied[n] != total || i.Open != 0 {
			t.Errorf("%s applied %d open %d, want %d applied and closed",
				n, applied[n], i.Open, total)
		}
	}
}

func equalApps(a, b []app) bool {
	if len(a) != len(b) {
		return false
	}

	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}

	return true
}
