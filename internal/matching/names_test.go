package matching

import (
	"testing"

	"github.com/o2c-dev/o2c/internal/billing"
)

func sharedNameWorld() *Engine {
	custs := []billing.Customer{
		{ID: "L-1", Name: "Lanthorn Solutions"},
		{ID: "L-2", Name: "Lanthorn Solutions LLC"},
		{ID: "L-3", Name: "Lanthorn Solutions Corp."},
	}
	mk := func(n, c string, open int64) billing.Invoice {
		return billing.Invoice{Number: n, CustomerID: c, Currency: "USD", Total: open, Open: open}
	}

	return New(custs, []billing.Invoice{
		mk("INV-4401", "L-1", 1855434), mk("INV-4402", "L-2", 2200000),
		mk("INV-4403", "L-3", 913000),
	}, DefaultRules())
}

// TestFullNameTellsApartSharedNormalisedNames: three customers share the
// normalised name LANTHORN SOLUTIONS. A payment without reference from the one
// written exactly as the payer's name is matched on its amount; an amount that
// only another of them owes is not applied to it.
func TestFullNameTellsApartSharedNormalisedNames(t *testing.T) {
	p := pay("P-1", 1855434)
	p.PayerName = "LANTHORN SOLUTIONS"
	d := sharedNameWorld().Match(p)
	if d.CustomerID != "L-1" || len(d.Applications) != 1 ||
		d.Applications[0].InvoiceNumber != "INV-4401" {
		t.Fatalf("customer %q applied %+v; want INV-4401 of L-1", d.CustomerID, v2apps(d))
	}

	p = pay("P-2", 2200000)
	p.PayerName = "Lanthorn Solutions"
	if d := sharedNameWorld().Match(p); len(d.Applications) != 0 {
		t.Fatalf("applied %+v; want held", v2apps(d))
	}

	p = pay("P-3", 1855434)
	p.PayerName = "Lanthorn Solutions Group"
	if d := sharedNameWorld().Match(p); len(d.Applications) != 0 {
		t.Fatalf("name of none of them: applied %+v; want held", v2apps(d))
	}
}

// TestFullNameDoesNotOverrideReference: the same payer referencing the invoice
// of another customer sharing its normalised name pays that invoice.
func TestFullNameDoesNotOverrideReference(t *testing.T) {
	p := pay("P-1", 2200000)
	p.PayerName = "Lanthorn Solutions"
	p.Remittance = "INV-4402"
	d := sharedNameWorld().Match(p)
	if len(d.Applications) != 1 || d.Applications[0].InvoiceNumber != "INV-4402" {
		t.Fatalf("applied %+v; want INV-4402", v2apps(d))
	}
}

// TestTruncatedACHName: an ACH batch keeps 16 characters of the payer's name;
// "KESTREL & WINTHO" names the one customer whose name begins so, and a cut
// name two customers begin with, or a shorter name, names nobody.
func TestTruncatedACHName(t *testing.T) {
	custs := []billing.Customer{
		{ID: "K-1", Name: "Kestrel & Winthorpe L.L.C."},
		{ID: "K-2", Name: "Kestrel Logistics"},
		{ID: "K-3", Name: "Corbel Fabrics Holdings Inc"},
		{ID: "K-4", Name: "Corbel Fabrics Holdings Group"},
	}
	mk := func(n, c string, open int64) billing.Invoice {
		return billing.Invoice{Number: n, CustomerID: c, Currency: "USD", Total: open, Open: open}
	}
	invs := []billing.Invoice{
		mk("INV-5501", "K-1", 2083545), mk("INV-5502", "K-2", 99000),
		mk("INV-5503", "K-3", 80801), mk("INV-5504", "K-4", 70000),
	}

	tests := []struct {
		name   string
		amount int64
		want   string
	}{
		{"KESTREL & WINTHO", 2083545, "INV-5501"},
		{"CORBEL FABRICS H", 80801, ""},
		{"KESTREL & WINT", 2083545, ""},
	}
	for _, tt := range tests {
		p := pay("P-1", tt.amount)
		p.PayerName = tt.name
		d := New(custs, invs, DefaultRules()).Match(p)
		got := ""
		if len(d.Applications) == 1 {
			got = d.Applications[0].InvoiceNumber
		}

		if got != tt.want || len(d.Applications) > 1 {
			t.Errorf("%q: applied %+v; want %q", tt.name, v2apps(d), tt.want)
		}
	}
}

// TestAliasDoesNotOutvoteSharedName: "Moreau Metals" is the normalised name of
// two customers and an alias of a third. The alias alone does not identify the
// third: the payer referencing the first's invoice pays it (no payer
// mismatch), and without a reference the third's amount is not applied.
func TestAliasDoesNotOutvoteSharedName(t *testing.T) {
	custs := []billing.Customer{
		{ID: "M-1", Name: "Morvane Metals Corp."},
		{ID: "M-2", Name: "The Morvane Metals Company"},
		{ID: "M-3", Name: "Frontier Alloys LLP", Aliases: []string{"Morvane Metals"}},
	}
	mk := func(n, c string, open int64) billing.Invoice {
		return billing.Invoice{Number: n, CustomerID: c, Currency: "USD", Total: open, Open: open}
	}
	invs := []billing.Invoice{mk("INV-6601", "M-1", 30598), mk("INV-6603", "M-3", 45000)}

	p := pay("P-1", 20000)
	p.PayerName = "Morvane Metals Corp."
	p.Remittance = "INV-6601"
	d := New(custs, invs, DefaultRules()).Match(p)
	if len(d.Applications) != 1 || d.Applications[0].InvoiceNumber != "INV-6601" ||
		d.PayerMatch == PayerByAlias {
		t.Fatalf("payer %q applied %+v, exception %+v; want INV-6601", d.PayerMatch,
			v2apps(d), d.Exception)
	}

	p = pay("P-2", 45000)
	p.PayerName = "MORVANE METALS"
	if d := New(custs, invs, DefaultRules()).Match(p); len(d.Applications) != 0 {
		t.Fatalf("applied %+v; want held", v2apps(d))
	}
}
