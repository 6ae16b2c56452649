package matching

import (
	"strconv"
	"sync"
	"testing"

	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/money"
)

// Words of the invented company names of bigNameCustomers: 400 heads from
// pairs of syllables, 40 trades and 10 regions give 160,000 names, each head in
// 400 of them, each trade in 4,000 and each region in 16,000.
var (
	nameSyllables = []string{"bra", "cor", "del", "fen", "gal", "hol", "kir", "lum", "mar",
		"nor", "pel", "quin", "ros", "sal", "tor", "ven", "wil", "yar", "zan", "bel"}
	nameTradeWords = []string{"Logistics", "Foods", "Metals", "Textiles", "Robotics",
		"Plastics", "Printing", "Freight", "Pharma", "Optics", "Dental", "Marine", "Lumber",
		"Ceramics", "Cables", "Paints", "Glassworks", "Orchards", "Dairies", "Tannery",
		"Brewing", "Bakeries", "Quarries", "Mills", "Tools", "Engines", "Boats", "Clocks",
		"Garments", "Saddlery", "Pottery", "Candles", "Fabrics", "Ropes", "Barrels",
		"Lanterns", "Kilns", "Looms", "Forges", "Vineyards"}
	nameRegions = []string{"North", "Coastal", "Midwest", "Pacific", "Atlantic", "Central",
		"Mountain", "Harbor", "Valley", "Prairie"}
)

// bigNameCustomers returns the 160,000 customers of the invented names, with
// ids C0 to C159999, built once.
var bigNameCustomers = sync.OnceValue(func() []billing.Customer {
	cs := make([]billing.Customer, 0, 160_000)
	for _, a := range nameSyllables {
		for _, b := range nameSyllables {
			head := string(a[0]-'a'+'A') + a[1:] + b
			for _, trade := range nameTradeWords {
				for _, region := range nameRegions {
					cs = append(cs, billing.Customer{ID: "C" + strconv.Itoa(len(cs)),
						Name: head + " " + trade + " " + region + " Inc"})
				}
			}
		}
	}

	return cs
})

// bigNameEngine is an engine over the big name world and a few more customers,
// each with one open invoice: INV-<id>, open 1000.00 plus its position. It is
// built once; a test that applies a payment puts the open amount back.
var bigNameEngine = sync.OnceValue(func() *Engine {
	extra := []billing.Customer{
		{ID: "T-1", Name: "Quillfeather Engines Valley Inc"},
		{ID: "Q-1", Name: "Quorvane Freight Partners LLC"},
		{ID: "Q-2", Name: "Quorvane Freight Partner Co"},
		{ID: "Q-3", Name: "Isembard Kilnworks International"},
		{ID: "Q-4", Name: "Isembard Kilnworks Intermodal"},
	}
	cs := append(append([]billing.Customer(nil), bigNameCustomers()...), extra...)
	invs := make([]billing.Invoice, 0, len(extra))
	for i, c := range extra {
		open := int64(100_000 + i)
		invs = append(invs, billing.Invoice{Number: "INV-" + c.ID, CustomerID: c.ID,
			Currency: "USD", Total: open, Open: open})
	}

	return New(cs, invs, DefaultRules())
})

func namedPayment(name, remittance string, minor int64) Payment {
	return Payment{ID: "P-" + name, Amount: money.New(minor, "USD"), PayerName: name,
		Remittance: remittance}
}

// TestFuzzyPayerAmong160kCustomers: among 160,000 customers, whose name words
// are each shared by hundreds to thousands of names, a payer writing a
// customer's name with a typing slip, or cut short, is identified as that
// customer.
func TestFuzzyPayerAmong160kCustomers(t *testing.T) {
	e := bigNameEngine()
	for _, payer := range []string{
		"Quilfeather Engines Valley Inc", // a letter dropped
		"QUILLFAETHER ENGINES VALLEY",    // two letters swapped
		"Quillfeathers Engines Valley",   // a letter added
		"QUILLFEATHER ENGINES VALLEI",    // a letter changed
		"QUILLFEATHER ENGINES VAL",       // cut short
		"Engines Valley Quillfether",     // words in another order, a letter dropped
	} {
		d := e.Match(namedPayment(payer, "INV-T-1", 100_000))
		if d.CustomerID != "T-1" || d.PayerMatch != PayerByFuzzyName {
			t.Errorf("payer %q: identified %q by %q, want T-1 by %s", payer, d.CustomerID,
				d.PayerMatch, PayerByFuzzyName)
		}

		if len(d.Applications) != 1 || d.Applications[0].Confidence != 0.95 {
			t.Errorf("payer %q: applications %+v, want INV-T-1 at 0.95", payer,
				d.Applications)
		}

		e.setOpen(0, 100_000)
	}
}

// TestFuzzyPayerAmbiguousIsHeld: a payer name as similar to one customer as to
// another, or cut short where two customers' names begin alike, identifies
// nobody among 160,000 customers: a payment without reference is held for an
// unknown payer, even though its amount is the open amount of one invoice of
// one of them.
func TestFuzzyPayerAmbiguousIsHeld(t *testing.T) {
	e := bigNameEngine()
	tests := []struct {
		payer string
		minor int64
	}{
		{"QUORVANE FREIGHT PARTNRS", 100_001}, // one slip from both names
		{"Quorvane Freight Partnr", 100_002},
		{"ISEMBARD KILNWORKS INTER", 100_003}, // begins both names
	}
	for _, tt := range tests {
		d := e.Match(namedPayment(tt.payer, "", tt.minor))
		if d.PayerMatch != "" || len(d.Applications) != 0 || d.Exception == nil ||
			d.Exception.Reason != ReasonUnknownPayer {
			t.Errorf("payer %q: identified %q by %q, applied %+v, exception %+v; want held "+
				"as %s", tt.payer, d.CustomerID, d.PayerMatch, d.Applications, d.Exception,
				ReasonUnknownPayer)
		}
	}

	// Each of them is identified by a name that is near to it alone.
	for _, tt := range []struct{ payer, id string }{
		{"QUORVANE FREIGHT PARTNERS", "Q-1"},
		{"ISEMBARD KILNWORKS INTERNATIONL", "Q-3"},
		{"ISEMBARD KILNWORKS INTERMOD", "Q-4"},
	} {
		d := e.Match(namedPayment(tt.payer, "", 1))
		if d.CustomerID != tt.id {
			t.Errorf("payer %q: identified %q by %q, want %s", tt.payer, d.CustomerID,
				d.PayerMatch, tt.id)
		}
	}
}
