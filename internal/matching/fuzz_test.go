package matching

import (
	"testing"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

// FuzzMatch feeds arbitrary remittance text and amounts to the engine and checks
// the money invariants: never more applied than paid, never past an invoice's
// open amount, and every cent either applied or held.
func FuzzMatch(f *testing.F) {
	f.Add("INV-10017", int64(125000), "", int64(0), int64(0))
	f.Add("invoices INV-1, INV-2 and 10017/INV-10022", int64(199541), "INV-10022", int64(73050),
		int64(1491))
	f.Add("PO 7788 Invoice #123 2025-01-15 1.250,00", int64(64000), "PO-7788", int64(1), int64(0))
	f.Add("\xff\xfe INV-\u00e9 99", int64(-5), "INV-99", int64(20000), int64(50))
	f.Add("INV-50 to 53 and INV-5O/51 RF18 5390 0754 7034 lNV 1OO17", int64(10000), "RF00",
		int64(0), int64(0))
	f.Add("INV-50-53 INV-000l23", int64(124958), "INV-1OO22", int64(73000), int64(0))

	f.Fuzz(func(t *testing.T, text string, amount int64, remitRef string, paid, disc int64) {
		if amount > 1e12 || amount < -1e12 || paid > 1e12 || paid < 0 || disc > 1e12 || disc < 0 {
			t.Skip()
		}

		e := newFixture(t)
		p := Payment{ID: "f", Amount: usd(amount), PayerAccount: acctC1, Remittance: text,
			ValueDate: day("2025-01-10")}
		if remitRef != "" {
			p.Remits = []bankfile.Remit{{Ref: remitRef, Paid: paid, Discount: disc}}
		}

		before := map[string]int64{}
		for _, i := range fixtureInvoices() {
			before[i.Number] = i.Open
		}

		d := e.Match(p)
		var applied int64
		for _, a := range d.Applications {
			if a.Amount <= 0 || a.Discount < 0 || a.WriteOff < 0 ||
				a.WriteOff > e.Rules().tolerance("USD", before[a.InvoiceNumber]) ||
				(a.WriteOff > 0) != (a.WriteOffReason != "") {
				t.Fatalf("bad application %+v", a)
			}

			if a.Amount+a.Discount+a.WriteOff > before[a.InvoiceNumber] {
				t.Fatalf("applied %d+%d+%d past open %d of %s", a.Amount, a.Discount,
					a.WriteOff, before[a.InvoiceNumber], a.InvoiceNumber)
			}

			if a.Explanation == "" || a.Confidence < e.Rules().MinConfidence {
				t.Fatalf("application without evidence %+v", a)
			}

			applied += a.Amount
		}

		if amount > 0 && applied > amount {
			t.Fatalf("applied %d of a %d payment", applied, amount)
		}

		if applied < amount && d.Exception == nil {
			t.Fatalf("%d of %d applied and nothing held", applied, amount)
		}

		if x := d.Exception; x != nil && x.Reason != ReasonShortPayment && amount > 0 &&
			x.Amount != amount-applied {
			t.Fatalf("held %d, want %d", x.Amount, amount-applied)
		}

		for _, s := range ExtractRefs(text) {
			if s == "" {
				t.Fatal("empty reference extracted")
			}
		}
	})
}
