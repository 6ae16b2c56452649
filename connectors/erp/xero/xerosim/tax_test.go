package xerosim_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/erp/xero/xerosim"
)

// taxedInvoice is an invoice of three lines of unit each at TaxType OUT21
// (whatever rate the test gives it),
// with taxAmount on every line when not empty.
func taxedInvoice(number, amountTypes, unit, taxAmount string) string {
	line := fmt.Sprintf(`{"Description":"seat","Quantity":1,"UnitAmount":%s,`+
		`"AccountCode":"200","TaxType":"OUT21"`, unit)
	if taxAmount != "" {
		line += `,"TaxAmount":` + taxAmount
	}

	line += "}"

	return fmt.Sprintf(`{"Type":"ACCREC","InvoiceNumber":%q,"Contact":{"Name":"Tax Co"},`+
		`"Date":"2026-03-02","DueDate":"2026-04-01","Status":"AUTHORISED",`+
		`"LineAmountTypes":%q,"CurrencyCode":"EUR","LineItems":[%s]}`,
		number, amountTypes, strings.Join([]string{line, line, line}, ","))
}

func TestB25DocumentTaxOnRoundedNetPricesIsACentOff(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name, rounding, amountTypes, unit, tax string
		rate                                   int64
		sub, totalTax, total                   string
	}{
		// 600.00 gross at 21 % sent as rounded net 495.87: the naive push.
		{"document, net", xerosim.DocumentRounding, "Exclusive", "495.87", "", 2100,
			"1487.61", "312.40", "1800.01"},
		{"line, net", xerosim.LineRounding, "Exclusive", "495.87", "", 2100,
			"1487.61", "312.39", "1800.00"},
		// Tax inside the gross total: 21/121 of 1800.00 is 312.3967 → 312.40.
		{"document, gross", xerosim.DocumentRounding, "Inclusive", "600.00", "", 2100,
			"1487.60", "312.40", "1800.00"},
		{"line, gross, explicit tax", xerosim.DocumentRounding, "Inclusive", "600.00",
			"104.13", 2100, "1487.61", "312.39", "1800.00"},
		// 16.67 net at 19 %: 3.17 per line in the CRM, 9.50 on the total.
		{"document, explicit tax", xerosim.DocumentRounding, "Exclusive", "16.67", "3.17",
			1900, "50.01", "9.51", "59.52"},
		{"document, no explicit tax", xerosim.DocumentRounding, "Exclusive", "16.67", "",
			1900, "50.01", "9.50", "59.51"},
		{"line, no explicit tax", xerosim.LineRounding, "Exclusive", "16.67", "",
			1900, "50.01", "9.51", "59.52"},
		{"no tax", xerosim.DocumentRounding, "NoTax", "16.67", "3.17", 1900,
			"50.01", "0.00", "50.01"},
	}

	for _, c := range cases {
		b := setup(t, xerosim.Config{TaxRounding: c.rounding,
			TaxRates: map[string]int64{"NONE": 0, "OUT21": c.rate}})

		status, _, body := b.call(t, "PUT", "/Invoices",
			taxedInvoice("INV-T", c.amountTypes, c.unit, c.tax), nil)
		if status != 200 {
			t.Fatalf("%s: status %d: %v", c.name, status, body)
		}

		got := []any{field(body, "Invoices", 0, "SubTotal"),
			field(body, "Invoices", 0, "TotalTax"), field(body, "Invoices", 0, "Total")}
		want := []any{json.Number(c.sub), json.Number(c.totalTax), json.Number(c.total)}

		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: subtotal, tax, total = %v, want %v", c.name, got, want)
		}
	}
}

func TestB26CurrencyRateKeptAsSentAndChecked(t *testing.T) {
	t.Parallel()

	b := setup(t, xerosim.Config{BaseCurrency: "USD"})

	body := strings.Replace(invoiceJSON("INV-R1", "1", "10000.00"), `"CurrencyCode":"USD"`,
		`"CurrencyCode":"EUR","CurrencyRate":0.921659`, 1)

	status, _, out := b.call(t, "PUT", "/Invoices", body, nil)
	if status != 200 || field(out, "Invoices", 0, "CurrencyRate") != json.Number("0.921659") {
		t.Fatalf("status %d, rate %v; want 200 and 0.921659", status,
			field(out, "Invoices", 0, "CurrencyRate"))
	}

	body = strings.Replace(invoiceJSON("INV-R2", "1", "10.00"), `"CurrencyCode":"USD"`,
		`"CurrencyCode":"EUR","CurrencyRate":0.9216589`, 1)

	if status, _, _ := b.call(t, "PUT", "/Invoices", body, nil); status != 400 {
		t.Errorf("rate with 7 decimals: status %d, want 400", status)
	}
}
