package world_test

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/world"
)

func readCSV(t *testing.T, data []byte) [][]string {
	t.Helper()

	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v", err)
	}

	return rows
}

func TestWriteBankCSV(t *testing.T) {
	t.Parallel()

	f := newFixture(t, world.Config{Seed: 12, Customers: 80},
		world.PayConfig{Seed: 1, Fraction: 0.9, Noise: true})
	var b bytes.Buffer
	if err := world.WriteBankCSV(&b, f.payments, world.CSVOptions{CRLF: true}); err != nil {
		t.Fatal(err)
	}

	header := "Date,Transaction ID,Payer,Description,Amount,Currency\r\n"
	if !bytes.HasPrefix(b.Bytes(), []byte(header)) {
		t.Fatalf("header %q", strings.SplitN(b.String(), "\n", 2)[0])
	}

	rows := readCSV(t, b.Bytes())
	if len(rows) != len(f.payments)+1 {
		t.Fatalf("%d rows for %d payments", len(rows)-1, len(f.payments))
	}

	currencies := map[string]bool{}
	for i, p := range f.payments {
		r := rows[i+1]
		amt, err := money.Parse(r[4], r[5])
		if err != nil || amt != p.Amount || r[0] != p.ValueDate.Format("2006-01-02") ||
			r[1] != p.Trace || r[2] != p.PayerName {
			t.Errorf("row %q for payment %+v (%v)", r, p, err)
		}

		currencies[r[5]] = true
		desc := p.Remittance
		for _, rm := range p.Remits {
			if !strings.Contains(r[3], rm.Ref) {
				t.Errorf("row %q does not name %s", r, rm.Ref)
			}

			desc = r[3]
		}

		if r[3] != desc {
			t.Errorf("row %q, remittance %q", r, p.Remittance)
		}
	}

	if !currencies["CAD"] || !currencies["USD"] {
		t.Errorf("currencies %v, want the wrong-currency payments too", currencies)
	}
}

func TestWriteInvoicesCSV(t *testing.T) {
	t.Parallel()

	w := world.Generate(world.Config{Seed: 2, Customers: 60})
	invs := world.InvoicesFor(w, 1000)
	invs = append(invs, billing.Invoice{Number: "X-1", CustomerID: "c", CustomerName: "Yen, Inc.",
		Currency: "JPY", Total: 120000, Open: 5000, DiscountBasisPoints: 150, DiscountDays: 15})
	var b bytes.Buffer
	if err := world.WriteInvoicesCSV(&b, invs); err != nil {
		t.Fatal(err)
	}

	rows := readCSV(t, b.Bytes())
	want := "invoice_number,customer_id,customer_name,currency,total,open_amount,issue_date," +
		"due_date,discount_percent,discount_days,po_number"
	if strings.Join(rows[0], ",") != want || len(rows) != len(invs)+1 {
		t.Fatalf("header %q and %d rows, want %q and %d", rows[0], len(rows)-1, want, len(invs))
	}

	percents := map[string]bool{}
	for i, inv := range invs {
		r := rows[i+1]
		total, err1 := money.Parse(r[4], r[3])
		open, err2 := money.Parse(r[5], r[3])
		if err1 != nil || err2 != nil || total.Minor != inv.Total || open.Minor != inv.Open ||
			r[0] != inv.Number || r[1] != inv.CustomerID || r[2] != inv.CustomerName ||
			r[10] != inv.PONumber {
			t.Errorf("row %q for invoice %+v", r, inv)
		}

		if !inv.IssueDate.IsZero() && (r[6] != inv.IssueDate.Format("2006-01-02") ||
			r[7] != inv.DueDate.Format("2006-01-02")) {
			t.Errorf("row %q dates for %v, %v", r, inv.IssueDate, inv.DueDate)
		}

		if (inv.DiscountBasisPoints == 0) != (r[8] == "" && r[9] == "") {
			t.Errorf("row %q discount for %d bp", r, inv.DiscountBasisPoints)
		}

		percents[r[8]+"/"+r[9]] = true
	}

	last := rows[len(rows)-1]
	if last[4] != "120000" || last[5] != "5000" || last[6] != "" || last[8] != "1.5" ||
		last[9] != "15" {
		t.Errorf("JPY row %q", last)
	}

	if !percents["2/10"] || !percents["/"] {
		t.Errorf("discount columns seen: %v", percents)
	}
}

func TestWriteCustomersCSV(t *testing.T) {
	t.Parallel()

	w := world.Generate(world.Config{Seed: 2, Customers: 100})
	cs := append(slices.Clone(w.Customers), billing.Customer{ID: "x", Name: "No Account, Ltd.",
		Aliases: []string{"NAL", "No Acct"}})
	var b bytes.Buffer
	if err := world.WriteCustomersCSV(&b, cs); err != nil {
		t.Fatal(err)
	}

	rows := readCSV(t, b.Bytes())
	header := strings.Join(rows[0], ",")
	if header != "customer_id,name,bank_account,aliases" || len(rows) != len(cs)+1 {
		t.Fatalf("header %q, %d rows", rows[0], len(rows)-1)
	}

	for i, c := range cs {
		r := rows[i+1]
		acct := ""
		if len(c.BankAccounts) > 0 {
			acct = c.BankAccounts[0]
		}

		var aliases []string
		if r[3] != "" {
			aliases = strings.Split(r[3], ";")
		}

		if r[0] != c.ID || r[1] != c.Name || r[2] != acct || !slices.Equal(aliases, c.Aliases) {
			t.Errorf("row %q for customer %+v", r, c)
		}
	}
}
