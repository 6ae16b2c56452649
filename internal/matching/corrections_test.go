package matching

import (
	"reflect"
	"testing"

	"github.com/o2c-dev/o2c/internal/bankfile"

	"github.com/o2c-dev/o2c/internal/billing"
)

// correctionWorld: one customer paying by account with two open invoices of the
// same amount, and whatever extra invoices the test adds.
func correctionWorld(t *testing.T, numbers ...string) *Engine {
	t.Helper()

	custs := []billing.Customer{
		{ID: "C-1", Name: "Tamsin Looms Ltd", BankAccounts: []string{"026009593:55001"}},
	}
	var invs []billing.Invoice
	for _, n := range numbers {
		invs = append(invs, billing.Invoice{Number: n, CustomerID: "C-1", Currency: "USD",
			Total: 1807620, Open: 1807620, IssueDate: day("2025-02-08"),
			DueDate: day("2025-03-10")})
	}

	return New(custs, invs, DefaultRules())
}

// TestFuzzySwapToLeadingZeroIsAmbiguous: "INV-304771" is one swap away from
// INV-307471 and, swapping its first two digits, from INV-034771 (a leading zero
// is forgiven). Both are open for the amount paid, so the payment must be held.
func TestFuzzySwapToLeadingZeroIsAmbiguous(t *testing.T) {
	e := correctionWorld(t, "INV-307471", "INV-034771")
	p := pay("P-1", 1807620)
	p.PayerAccount = "026009593:55001"
	p.Remittance = "INV-304771"

	d := e.Match(p)
	if len(d.Applications) != 0 {
		t.Fatalf("applied %+v; want held", v2apps(d))
	}

	if d.Exception == nil || d.Exception.Reason != ReasonAmbiguous {
		t.Fatalf("exception %+v; want %s", d.Exception, ReasonAmbiguous)
	}
}

// TestFuzzySwapsAllCollected: "INV-5216" names no invoice; swapping "52" gives
// INV-2516 and swapping "16" gives INV-5261. Every swap is tried before
// uniqueness is asked, so the payment is held; with one of them gone it applies.
func TestFuzzySwapsAllCollected(t *testing.T) {
	p := pay("P-1", 1807620)
	p.PayerAccount = "026009593:55001"
	p.Remittance = "INV-5216"

	e := correctionWorld(t, "INV-2516", "INV-5261")
	if d := e.Match(p); len(d.Applications) != 0 {
		t.Fatalf("applied %+v; want held", v2apps(d))
	}

	e = correctionWorld(t, "INV-5261")
	if d := e.Match(p); len(d.Applications) != 1 ||
		d.Applications[0].InvoiceNumber != "INV-5261" {
		t.Fatalf("applied %+v; want INV-5261", v2apps(d))
	}
}

// TestRFBodyWithLeadingZeros: an ISO 11649 reference whose body keeps the
// invoice number's leading zeros ("RF31 INV0 2639 0") names INV-026390, never
// INV-002639 read from its groups of four; in structured remittance too.
func TestRFBodyWithLeadingZeros(t *testing.T) {
	for _, text := range []string{"RF31INV026390", "RF31 INV0 2639 0"} {
		e := correctionWorld(t, "INV-026390", "INV-002639")
		p := pay("P-1", 1807620)
		p.PayerAccount = "026009593:55001"
		p.Remittance = text
		d := e.Match(p)
		if len(d.Applications) != 1 || d.Applications[0].InvoiceNumber != "INV-026390" {
			t.Errorf("%q: applied %+v; want INV-026390", text, v2apps(d))
		}
	}

	e := correctionWorld(t, "INV-026390", "INV-002639")
	p := pay("P-2", 1807620)
	p.Remits = []bankfile.Remit{{Ref: "RF31INV026390", RefType: "RF", Paid: 1807620}}
	d := e.Match(p)
	if len(d.Applications) != 1 || d.Applications[0].InvoiceNumber != "INV-026390" {
		t.Errorf("structured: applied %+v; want INV-026390", v2apps(d))
	}
}

// TestRFNamingNothingIsNotSplit: a valid RF reference naming no invoice is not
// read as the invoice numbers its groups of four look like (here it would pay
// INV-002639 in part).
func TestRFNamingNothingIsNotSplit(t *testing.T) {
	e := correctionWorld(t, "INV-002639")
	p := pay("P-1", 900000)
	p.PayerAccount = "026009593:55001"
	p.Remittance = "RF31 INV0 2639 0"

	if d := e.Match(p); len(d.Applications) != 0 {
		t.Fatalf("applied %+v; want held", v2apps(d))
	}
}

// TestBareAccountNumberIdentifiesPayer: camt files may give the payer's account
// number without its routing number; it identifies the one customer holding that
// number, and nobody when two customers hold it at different banks.
func TestBareAccountNumberIdentifiesPayer(t *testing.T) {
	invs := []billing.Invoice{
		{Number: "INV-9001", CustomerID: "C-1", Currency: "USD", Total: 52500, Open: 52500},
		{Number: "INV-9002", CustomerID: "C-1", Currency: "USD", Total: 61000, Open: 61000},
		{Number: "INV-9003", CustomerID: "C-2", Currency: "USD", Total: 61000, Open: 61000},
	}
	one := []billing.Customer{
		{ID: "C-1", Name: "Harrow Kilns Ltd", BankAccounts: []string{"041100587:0048280904"}},
		{ID: "C-2", Name: "Osprey Tiles Ltd", BankAccounts: []string{"111500839:77001"}},
	}

	p := pay("P-1", 52500)
	p.PayerAccount = "48280904"
	d := New(one, invs, DefaultRules()).Match(p)
	if d.PayerMatch != PayerByAccount || len(d.Applications) != 1 ||
		d.Applications[0].InvoiceNumber != "INV-9001" {
		t.Fatalf("payer %q applied %+v; want INV-9001 by account", d.PayerMatch, v2apps(d))
	}

	two := []billing.Customer{one[0], one[1]}
	two[1].BankAccounts = []string{"111500839:48280904"}
	d = New(two, invs, DefaultRules()).Match(p)
	if d.PayerMatch == PayerByAccount {
		t.Fatalf("account shared by two customers identified %s", d.CustomerID)
	}
}

// TestSlashTaggedCode: a code behind a slash-delimited tag, as SWIFT-style
// remittance writes it ("/INV/INV-021538"), names its invoice.
func TestSlashTaggedCode(t *testing.T) {
	for _, text := range []string{"/INV/INV-021538", "RFB/INV-021538 PAYMENT"} {
		e := correctionWorld(t, "INV-021538", "INV-016865")
		p := pay("P-1", 1807620)
		p.PayerAccount = "026009593:55001"
		p.Remittance = text
		d := e.Match(p)
		if len(d.Applications) != 1 || d.Applications[0].InvoiceNumber != "INV-021538" {
			t.Errorf("%q: applied %+v; want INV-021538", text, v2apps(d))
		}
	}
}

// TestRangeBetweenTwoCodes: "INV-051167 TO INV-051169" stands for the three
// invoices, the one between included.
func TestRangeBetweenTwoCodes(t *testing.T) {
	for _, text := range []string{"INV-051167 TO INV-051169", "INV-051167 - INV-051169"} {
		custs := []billing.Customer{{ID: "H-1", Name: "Hartwell Haulage",
			BankAccounts: []string{"081004339:45780510"}}}
		mk := func(n string, o int64) billing.Invoice {
			return billing.Invoice{Number: n, CustomerID: "H-1", Currency: "USD", Total: o, Open: o}
		}
		e := New(custs, []billing.Invoice{mk("INV-051167", 691614), mk("INV-051168", 784496),
			mk("INV-051169", 593599), mk("INV-051170", 297000)}, DefaultRules())
		p := pay("P-1", 691614+784496+593599)
		p.PayerAccount = "081004339:45780510"
		p.Remittance = text

		d := e.Match(p)
		want := []v2app{{"INV-051167", 691614, 0, 0}, {"INV-051168", 784496, 0, 0},
			{"INV-051169", 593599, 0, 0}}
		if got := v2apps(d); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: applied %+v; want %+v", text, got, want)
		}
	}
}

// TestRangeAfterKeywordNumber: "INV 51167 thru 51169" (keyword, number, range
// word) stands for INV-051167 to INV-051169, from a payer nobody knows.
func TestRangeAfterKeywordNumber(t *testing.T) {
	custs := []billing.Customer{{ID: "H-1", Name: "Hartwell Haulage"}}
	mk := func(n string, o int64) billing.Invoice {
		return billing.Invoice{Number: n, CustomerID: "H-1", Currency: "USD", Total: o, Open: o}
	}
	e := New(custs, []billing.Invoice{mk("INV-051167", 691614), mk("INV-051168", 784496),
		mk("INV-051169", 593599), mk("INV-051170", 297000)}, DefaultRules())
	p := pay("P-1", 691614+784496+593599)
	p.PayerName = "VANTAGE TOOLS"
	p.Remittance = "INV 51167 thru 51169"

	d := e.Match(p)
	want := []v2app{{"INV-051167", 691614, 0, 0}, {"INV-051168", 784496, 0, 0},
		{"INV-051169", 593599, 0, 0}}
	if got := v2apps(d); !reflect.DeepEqual(got, want) {
		t.Errorf("applied %+v; want %+v", got, want)
	}
}
