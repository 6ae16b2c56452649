package world_test

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/world"
)

func TestCreditorReference(t *testing.T) {
	t.Parallel()

	// The worked example of ISO 11649: body 539007547034, check digits 18.
	if got := world.CreditorReference("539007547034"); got != "RF18539007547034" {
		t.Errorf("CreditorReference = %q, want RF18539007547034", got)
	}

	for _, n := range []string{"INV-000123", "inv-42", "INV-009871"} {
		rf := world.CreditorReference(n)
		if !world.ValidCreditorReference(rf) || !strings.HasSuffix(rf, strings.ToUpper(
			strings.ReplaceAll(n, "-", ""))) {
			t.Errorf("CreditorReference(%q) = %q", n, rf)
		}

		bad := rf[:len(rf)-1] + string('0'+(rf[len(rf)-1]-'0'+1)%10)
		if world.ValidCreditorReference(bad) {
			t.Errorf("%q passes the check", bad)
		}
	}
}

func TestBenchmarkInvoices(t *testing.T) {
	t.Parallel()

	w := world.Generate(world.Config{Seed: 3, Customers: 600, DealsPerCustomer: 4})
	orig := world.InvoicesFor(w, 1)
	a := world.BenchmarkInvoices(orig, 3)
	if !slices.EqualFunc(a, world.BenchmarkInvoices(orig, 3), func(x, y billing.Invoice) bool {
		return x.Number == y.Number && x.Open == y.Open
	}) {
		t.Fatal("BenchmarkInvoices is not deterministic")
	}

	if orig[0].Open != orig[0].Total || len(a) != len(orig) {
		t.Fatal("BenchmarkInvoices changed its input or the count")
	}

	numbers := map[string]bool{}
	settled, renumbered := 0, 0
	for i, inv := range a {
		if numbers[inv.Number] {
			t.Errorf("number %s twice", inv.Number)
		}

		numbers[inv.Number] = true
		if inv.Open == 0 {
			settled++
		}

		if inv.Number != orig[i].Number {
			renumbered++
		}

		if inv.CustomerID != orig[i].CustomerID ||
			inv.Total != orig[i].Total && inv.Number == orig[i].Number {
			t.Errorf("invoice %d changed beyond number and amounts", i)
		}
	}

	if settled < len(a)/60 || settled > len(a)/15 || renumbered < len(a)/100 {
		t.Errorf("%d of %d settled, %d renumbered", settled, len(a), renumbered)
	}
}

// TestNoiseKinds checks each benchmark kind against the invoices it was made
// from, and reads every payment back from each bank format.
func TestNoiseKinds(t *testing.T) {
	t.Parallel()

	f := benchFixture(t, world.Config{Seed: 21, Customers: 300, DealsPerCustomer: 5},
		world.PayConfig{Seed: 22, Fraction: 0.8, Noise: true, Weights: world.BenchmarkWeights()})
	checkPayments(t, f)

	inv := map[string]billing.Invoice{}
	for _, x := range f.invoices {
		inv[x.Number] = x
	}

	cust := map[string]billing.Customer{}
	accounts := map[string]string{}
	names := map[string]bool{}
	for _, c := range f.w.Customers {
		cust[c.ID] = c
		names[strings.ToLower(c.Name)] = true
		for _, a := range c.BankAccounts {
			accounts[a] = c.ID
		}
	}

	counts := map[string]int{}
	for _, p := range f.payments {
		counts[p.Kind]++
		ref := p.Remittance
		if len(p.Remits) > 0 {
			ref = p.Remits[0].Ref
		}

		switch p.Kind {
		case world.KindOCRReference:
			got := reachable(lastWord(ref), f.invoices)
			if lastWord(ref) == p.Truth[0].InvoiceNumber || !slices.Equal(got,
				[]string{p.Truth[0].InvoiceNumber}) {
				t.Errorf("misread %q of %s reaches %v", ref, p.Truth[0].InvoiceNumber, got)
			}
		case world.KindRefFuzzAmbiguous:
			got := reachable(ref, f.invoices)
			if len(got) < 2 || inv[ref].Number != "" {
				t.Errorf("ambiguous %q reaches %v", ref, got)
			}

			for _, n := range got {
				if inv[n].CustomerID != p.CustomerID || inv[n].Open != p.Amount.Minor {
					t.Errorf("ambiguous %q reaches %+v, paid %+v", ref, inv[n], p)
				}
			}
		case world.KindRefRange:
			first := p.Truth[0].InvoiceNumber
			last := p.Truth[len(p.Truth)-1].InvoiceNumber
			if len(p.Truth) < 2 || len(p.Truth) > 3 || !consecutive(p.Truth) ||
				!strings.Contains(ref, strings.TrimLeft(first[4:], "0")) ||
				!strings.Contains(ref, strings.TrimLeft(last[4:], "0")) {
				t.Errorf("range %q pays %v", ref, p.Truth)
			}
		case world.KindRFReference:
			rf := strings.ReplaceAll(ref, " ", "")
			if !world.ValidCreditorReference(rf) ||
				rf != world.CreditorReference(p.Truth[0].InvoiceNumber) {
				t.Errorf("RF %q for %s", ref, p.Truth[0].InvoiceNumber)
			}
		case world.KindFuzzyPayer:
			c := cust[inv[p.Truth[0].InvoiceNumber].CustomerID]
			if p.PayerName == c.Name || names[strings.ToLower(p.PayerName)] ||
				accounts[p.PayerAccount] != "" || ref != p.Truth[0].InvoiceNumber {
				t.Errorf("fuzzy payer %q (%q) of %q", p.PayerName, p.PayerAccount, c.Name)
			}
		case world.KindParentPays:
			c := cust[inv[p.Truth[0].InvoiceNumber].CustomerID]
			if c.ParentID == "" || accounts[p.PayerAccount] != c.ParentID ||
				p.PayerName != cust[c.ParentID].Name {
				t.Errorf("parent payment %+v of %+v", p, c)
			}
		case world.KindThirdParty:
			if names[strings.ToLower(p.PayerName)] || accounts[p.PayerAccount] != "" ||
				ref != p.Truth[0].InvoiceNumber {
				t.Errorf("third party %+v", p)
			}
		case world.KindMultiNoRef:
			c := inv[p.Truth[0].InvoiceNumber].CustomerID
			if len(p.Truth) < 2 || strings.ContainsAny(p.Remittance, "0123456789") ||
				len(p.Remits) > 0 || accounts[p.PayerAccount] != c ||
				subsetsAddingUp(c, p.Amount.Minor, f.invoices) != 1 {
				t.Errorf("multi no-ref %+v", p)
			}
		case world.KindAlreadyPaid:
			x := inv[ref]
			if x.Number == "" || x.Open != 0 || x.Total != p.Amount.Minor ||
				accounts[p.PayerAccount] != x.CustomerID {
				t.Errorf("already paid %+v of %+v", p, x)
			}
		}
	}

	for _, k := range world.Kinds() {
		if counts[k] == 0 {
			t.Errorf("no payment of kind %s: %v", k, counts)
		}
	}

	readBack(t, f)
}

// readBack writes the payments in every format and reads them with bank.Read.
func readBack(t *testing.T, f fixture) {
	t.Helper()

	var usd []world.Payment
	for _, p := range f.payments {
		if p.Amount.Currency == "USD" {
			usd = append(usd, p)
		}
	}

	for name, write := range map[string]func(*bytes.Buffer) ([]world.Payment, error){
		"b.ach": func(b *bytes.Buffer) ([]world.Payment, error) {
			return usd, world.WriteNACHA(b, usd, f.w.NACHAOptions())
		},
		"b02.xml": func(b *bytes.Buffer) ([]world.Payment, error) {
			return f.payments, world.WriteCAMT053(b, f.payments, f.w.CAMTOptions())
		},
		"b08.xml": func(b *bytes.Buffer) ([]world.Payment, error) {
			o := f.w.CAMTOptions()
			o.Version = world.CAMT08

			return f.payments, world.WriteCAMT053(b, f.payments, o)
		},
		"b.csv": func(b *bytes.Buffer) ([]world.Payment, error) {
			return f.payments, world.WriteBankCSV(b, f.payments, world.CSVOptions{})
		},
	} {
		var b bytes.Buffer
		ps, err := write(&b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}

		file, err := bank.Read(name, b.Bytes())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}

		var total int64
		for _, p := range ps {
			total += p.Amount.Minor
		}

		if n, sum := file.Credits(); n != len(ps) || sum != total {
			t.Errorf("%s: read %d credits of %d, wrote %d of %d", name, n, sum, len(ps), total)
		}

		compareTransactions(t, file, ps)
	}
}

// reachable lists the invoices one correction of ref leads to: look-alike
// letters read as digits, leading zeros ignored, or, for a reference of
// digits that names no invoice, a swap of two neighbouring digits.
func reachable(ref string, invs []billing.Invoice) []string {
	head, digits, _ := strings.Cut(ref, "-")
	mapped := strings.NewReplacer("O", "0", "o", "0", "I", "1", "l", "1", "S", "5", "B", "8").
		Replace(digits)
	letters := mapped != digits
	var exact, swapped []string
	for _, inv := range invs {
		h, d, _ := strings.Cut(inv.Number, "-")
		if h != head {
			continue
		}

		if strings.TrimLeft(d, "0") == strings.TrimLeft(mapped, "0") {
			exact = append(exact, inv.Number)
		} else if !letters && oneSwap(d, digits) {
			swapped = append(swapped, inv.Number)
		}
	}

	if exact != nil || letters {
		return exact
	}

	return swapped
}

func oneSwap(a, b string) bool {
	if len(a) != len(b) {
		return false
	}

	for k := 0; k+1 < len(a); k++ {
		if a[k] != b[k] {
			return a[k] == b[k+1] && a[k+1] == b[k] && a[k+2:] == b[k+2:]
		}
	}

	return false
}

func lastWord(s string) string {
	f := strings.Fields(s)
	return f[len(f)-1]
}

func consecutive(ls []world.TruthLine) bool {
	for i := 1; i < len(ls); i++ {
		a, _ := strconv.Atoi(ls[i-1].InvoiceNumber[4:])
		b, _ := strconv.Atoi(ls[i].InvoiceNumber[4:])
		if b != a+1 {
			return false
		}
	}

	return true
}

// subsetsAddingUp counts the sets of the customer's open invoices whose open
// amounts add up to amount.
func subsetsAddingUp(customer string, amount int64, invs []billing.Invoice) int {
	var open []int64
	for _, x := range invs {
		if x.CustomerID == customer && x.Open > 0 {
			open = append(open, x.Open)
		}
	}

	n := 0
	for mask := 1; mask < 1<<len(open); mask++ {
		var sum int64
		for k, v := range open {
			if mask&(1<<k) != 0 {
				sum += v
			}
		}

		if sum == amount {
			n++
		}
	}

	return n
}
