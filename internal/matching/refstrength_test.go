package matching

import (
	"strings"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/billing"
)

// strengthFixture has short and long invoice numbers, as a young and an older
// numbering would: INV-000031 of Partner Two, INV-048213 and 48213 (a numeric
// invoice number of another customer is not involved) and INV-000032 of Acme.
func strengthFixture() *Engine {
	customers := []billing.Customer{
		{ID: "P2", Name: "Partner Two Ltd", BankAccounts: []string{"GB33BUKB20201555555555"}},
		{ID: "ACME", Name: "Acme Tools Inc", BankAccounts: []string{"021000021:77001122"}},
		{ID: "BR1", Name: "Brennan Security LLC"},
		{ID: "BR2", Name: "Brennan Security Inc"},
	}
	invoices := []billing.Invoice{
		inv("INV-000031", "P2", "USD", 165375),
		inv("INV-048213", "P2", "USD", 99000),
		inv("INV-000032", "ACME", "USD", 5000),
		inv("INV-000033", "BR2", "USD", 7000),
	}

	return New(customers, invoices, DefaultRules())
}

// TestShortReferenceFromUnknownPayerHeld is the PayPal case: a payer nobody
// knows writes "invoice 31" (and a structured line "31") meaning its own
// numbering; INV-000031 is not applied but listed.
func TestShortReferenceFromUnknownPayerHeld(t *testing.T) {
	t.Parallel()

	for _, p := range []Payment{
		{PayerName: "PARTNER2", Amount: usd(158068),
			Remittance: "Payment to My Company for invoice 31",
			Remits:     []bankfile.Remit{{Ref: "31", RefType: "IV"}}},
		{PayerName: "PARTNER2", Amount: usd(165375), Remittance: "invoice 31"},
		{Amount: usd(165375), Remittance: "INV 31"},
		{Amount: usd(165375), Remittance: "Payment for invoice 000031"},
		{Amount: usd(165375), Remits: []bankfile.Remit{{Ref: "31", RefType: "IV",
			Paid: 165375}}},
	} {
		p.ID = "pp"
		d := strengthFixture().Match(p)
		x := d.Exception
		if len(d.Applications) != 0 || x == nil || x.Reason != ReasonUnknownPayer ||
			len(x.Candidates) == 0 || x.Candidates[0].InvoiceNumber != "INV-000031" ||
			!strings.Contains(x.Message, "too short to name INV-000031") {
			t.Errorf("%q %+v: applications %+v, exception %+v", p.Remittance, p.Remits,
				d.Applications, x)
		}

		if d.CustomerID != "" || d.PayerMatch != "" {
			t.Errorf("%q: customer %q by %q taken from a reference too short to tell",
				p.Remittance, d.CustomerID, d.PayerMatch)
		}
	}
}

// TestShortReferenceFromOwnerApplied: the invoice's own customer writing the
// same short reference is applied, in full or in part.
func TestShortReferenceFromOwnerApplied(t *testing.T) {
	t.Parallel()

	for _, c := range []struct {
		p    Payment
		rule string
	}{
		{Payment{PayerAccount: "GB33 BUKB 2020 1555 5555 55", Amount: usd(165375),
			Remittance: "invoice 31"}, RuleReferenceExact},
		{Payment{PayerName: "PARTNER TWO LTD", Amount: usd(165375), Remittance: "INV 31"},
			RuleReferenceExact},
		{Payment{PayerAccount: "GB33BUKB20201555555555", Amount: usd(100000),
			Remits: []bankfile.Remit{{Ref: "31", RefType: "IV", Paid: 100000}}},
			RuleReferencePartial},
	} {
		c.p.ID = "own"
		d := strengthFixture().Match(c.p)
		if len(d.Applications) != 1 || d.Applications[0].InvoiceNumber != "INV-000031" ||
			d.Applications[0].Rule != c.rule || d.CustomerID != "P2" {
			t.Errorf("%q from the owner: applications %+v, exception %+v", c.p.Remittance,
				d.Applications, d.Exception)
		}
	}
}

// TestLongBareNumberFromUnknownPayer: digits only but specific (five or more
// significant digits) apply for a payer nobody knows when the amount agrees
// exactly, and are held when it does not.
func TestLongBareNumberFromUnknownPayer(t *testing.T) {
	t.Parallel()

	for _, text := range []string{"48213", "invoice 048213", "Rechnung 48213"} {
		d := strengthFixture().Match(Payment{ID: "long", Amount: usd(99000), Remittance: text})
		if len(d.Applications) != 1 || d.Applications[0].InvoiceNumber != "INV-048213" ||
			d.Exception != nil || d.Applications[0].Rule != RuleReferenceExact {
			t.Errorf("%q, exact amount: applications %+v, exception %+v", text,
				d.Applications, d.Exception)
		}

		// A bare number the amount does not corroborate is no reference at all.
		d = strengthFixture().Match(Payment{ID: "long", Amount: usd(50000), Remittance: text})
		x := d.Exception
		if text == "48213" {
			if len(d.Applications) != 0 || x == nil || x.Reason != ReasonUnknownPayer {
				t.Errorf("%q, part payment: applications %+v, exception %+v", text,
					d.Applications, x)
			}

			continue
		}

		if len(d.Applications) != 0 || x == nil || x.Reason != ReasonUnknownPayer ||
			len(x.Candidates) != 1 || x.Candidates[0].InvoiceNumber != "INV-048213" ||
			!strings.Contains(x.Message, "only when the payment closes it exactly") {
			t.Errorf("%q, part payment: applications %+v, exception %+v", text,
				d.Applications, x)
		}
	}

	// Written in full, the number names the invoice whoever pays, in part too.
	d := strengthFixture().Match(Payment{ID: "full", Amount: usd(100000),
		Remittance: "INV-000031"})
	if len(d.Applications) != 1 || d.Applications[0].Rule != RuleReferencePartial {
		t.Errorf("INV-000031 from an unknown payer: applications %+v, exception %+v",
			d.Applications, d.Exception)
	}
}

// TestShortReferenceFromAnotherCustomerHeld: a customer identified by its
// account writing another customer's short number is held as a payer mismatch,
// even for an amount that closes the invoice.
func TestShortReferenceFromAnotherCustomerHeld(t *testing.T) {
	t.Parallel()

	d := strengthFixture().Match(Payment{ID: "x", PayerAccount: "021000021:77001122",
		Amount: usd(165375), Remittance: "INV 31"})
	x := d.Exception
	if len(d.Applications) != 0 || x == nil || x.Reason != ReasonPayerMismatch ||
		!strings.Contains(x.Message, "payer ACME is not customer P2 of INV-000031") {
		t.Errorf("applications %+v, exception %+v", d.Applications, x)
	}
}

// TestShortReferenceFromPayerNarrowedByName: a payer name two customers share
// leaves the payer unidentified, but a short reference to an invoice of one of
// them picks it.
func TestShortReferenceFromPayerNarrowedByName(t *testing.T) {
	t.Parallel()

	d := strengthFixture().Match(Payment{ID: "n", PayerName: "BRENNAN SECURITY",
		Amount: usd(7000), Remittance: "INV 33"})
	if len(d.Applications) != 1 || d.Applications[0].InvoiceNumber != "INV-000033" ||
		d.Exception != nil {
		t.Errorf("applications %+v, exception %+v", d.Applications, d.Exception)
	}
}

func TestRefNeed(t *testing.T) {
	t.Parallel()

	for _, c := range []struct {
		raw, number string
		want        uint8
	}{
		{"INV-000031", "INV-000031", needNothing},
		{"inv 000031", "INV-000031", needNothing},
		{"INV-0031", "INV-0031", needNothing},
		{"INV31", "INV-000031", needOwner},
		{"INV 31", "INV-000031", needOwner},
		{"31", "INV-000031", needOwner},
		{"000031", "INV-000031", needOwner},
		{"INV-48213", "INV-048213", needNothing},
		{"48213", "INV-048213", needExact},
		{"0048213", "INV-048213", needExact},
		{"PO 7788", "", needOwner},
		{"PO-4500012345", "", needNothing},
		{"2024/0108", "INV-2024-0108", needExact},
		{"Ä-1", "", needOwner},
	} {
		if got := refNeed(c.raw, c.number); got != c.want {
			t.Errorf("refNeed(%q, %q) = %d, want %d", c.raw, c.number, got, c.want)
		}
	}
}

// learnedFixture is strengthFixture with Partner Two writing its invoice
// numbers behind "IN" and Acme writing digits alone, both approved.
func learnedFixture() *Engine {
	approved := time.Date(2026, 12, 4, 15, 4, 0, 0, time.UTC)
	customers := []billing.Customer{
		{ID: "P2", Name: "Partner Two Ltd", BankAccounts: []string{"GB33BUKB20201555555555"},
			RefFormats: []billing.RefFormat{{Format: RefFormatPrefix + "IN", ApprovedBy: "dana",
				ApprovedAt: approved}}},
		{ID: "ACME", Name: "Acme Tools Inc", BankAccounts: []string{"021000021:77001122"},
			RefFormats: []billing.RefFormat{{Format: RefFormatDigits, ApprovedAt: approved},
				{Format: "nonsense"}}},
	}
	invoices := []billing.Invoice{
		inv("INV-000031", "P2", "USD", 165375),
		inv("INV-000032", "ACME", "USD", 5000),
		inv("INV-000123", "ACME", "USD", 12300),
	}

	return New(customers, invoices, DefaultRules())
}

func TestApprovedFormatReadsTheCustomersOwnInvoice(t *testing.T) {
	t.Parallel()

	rule := LearnedFormatRule("P2", RefFormatPrefix+"IN")
	for _, p := range []Payment{
		{PayerAccount: "GB33BUKB20201555555555", Amount: usd(165375), Remittance: "IN31"},
		{PayerAccount: "GB33BUKB20201555555555", Amount: usd(100000), Remittance: "in-0031 part"},
		{PayerAccount: "GB33BUKB20201555555555", Amount: usd(165375),
			Remits: []bankfile.Remit{{Ref: "IN 31", RefType: "IV", Paid: 165375}}},
	} {
		p.ID = "learned"
		d := learnedFixture().Match(p)
		if len(d.Applications) != 1 || d.Applications[0].InvoiceNumber != "INV-000031" ||
			d.Applications[0].Rule != rule || d.Trace.Rule != rule ||
			d.Trace.Candidates[0].Features.Reference != viaLearned {
			t.Fatalf("%q: applications %+v, exception %+v, trace %+v", p.Remittance,
				d.Applications, d.Exception, d.Trace)
		}

		want := "a format approved for Partner Two Ltd on 2026-12-04"
		if a := d.Applications[0]; !strings.Contains(a.Explanation, "INV-000031 referenced as ") ||
			!strings.Contains(a.Explanation, want) || !strings.Contains(d.Trace.Sentence, want) {
			t.Errorf("explanation %q, sentence %q", a.Explanation, d.Trace.Sentence)
		}
	}

	// Acme's digits alone name its own invoice by the learned rule, where without
	// it "paid 123" would only be a bare number.
	d := learnedFixture().Match(Payment{ID: "digits", PayerAccount: "021000021:77001122",
		Amount: usd(12300), Remittance: "paid 123"})
	if len(d.Applications) != 1 || d.Applications[0].InvoiceNumber != "INV-000123" ||
		d.Applications[0].Rule != LearnedFormatRule("ACME", RefFormatDigits) {
		t.Errorf("digits: applications %+v, exception %+v", d.Applications, d.Exception)
	}
}

func TestApprovedFormatNeverReadsOtherCustomersInvoices(t *testing.T) {
	t.Parallel()

	for _, p := range []Payment{
		// Acme writes IN32 for its own INV-000032: IN is Partner Two's format.
		{PayerAccount: "021000021:77001122", Amount: usd(5000), Remittance: "IN32 IN33"},
		// Acme writes IN31, Partner Two's invoice in Partner Two's format.
		{PayerAccount: "021000021:77001122", Amount: usd(165375), Remittance: "IN31"},
		// Nobody known writes IN31.
		{PayerName: "Someone Else", Amount: usd(165375), Remittance: "IN31"},
		// Partner Two writes 32 with digits alone, Acme's format, for Acme's invoice.
		{PayerAccount: "GB33BUKB20201555555555", Amount: usd(5000), Remittance: "invoice 32"},
	} {
		p.ID = "other"
		d := learnedFixture().Match(p)
		for _, a := range d.Applications {
			if strings.HasPrefix(a.Rule, RuleLearnedFormat) {
				t.Errorf("%q from %q applied %+v by a learned format", p.Remittance,
					p.PayerAccount+p.PayerName, a)
			}
		}

		if d.Exception == nil && len(d.Applications) > 0 &&
			d.Applications[0].InvoiceNumber == "INV-000031" {
			t.Errorf("%q from %q applied to INV-000031: %+v", p.Remittance,
				p.PayerAccount+p.PayerName, d.Applications)
		}
	}
}
