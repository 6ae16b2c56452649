package csvfile

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/money"
)

const invoiceHeader = "invoice_number,customer_id,customer_name,currency,total,open_amount," +
	"issue_date,due_date,discount_percent,discount_days,po_number\n"

func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}

	return d
}

func TestReadInvoices(t *testing.T) {
	t.Parallel()

	src := "\ufeff" + invoiceHeader +
		"INV-000123,C-1,\"Example Customer, LLC\",USD,1250.00,1250,2025-01-02,2025-02-01,,,\n" +
		"INV-2,C-1,,usd,745.41,745.41,2025-01-10,2025-02-09,2,10,PO-77\n" +
		"\n" +
		"  INV-3 , C-2 ,Sample KK,JPY,120000,50000,2025-01-10,2025-01-10,1.5,0,\n" +
		"INV-4,C-3,Sample WLL,KWD,10.125,0.005,2025-01-10,2025-03-10,,,\n"
	got, err := ReadInvoices("invoices.csv", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}

	want := []billing.Invoice{
		{Number: "INV-000123", CustomerID: "C-1", CustomerName: "Example Customer, LLC",
			Currency: "USD", Total: 125000, Open: 125000, IssueDate: date("2025-01-02"),
			DueDate: date("2025-02-01")},
		{Number: "INV-2", CustomerID: "C-1", Currency: "USD", Total: 74541, Open: 74541,
			IssueDate: date("2025-01-10"), DueDate: date("2025-02-09"),
			DiscountBasisPoints: 200, DiscountDays: 10, PONumber: "PO-77"},
		{Number: "INV-3", CustomerID: "C-2", CustomerName: "Sample KK", Currency: "JPY",
			Total: 120000, Open: 50000, IssueDate: date("2025-01-10"),
			DueDate: date("2025-01-10"), DiscountBasisPoints: 150},
		{Number: "INV-4", CustomerID: "C-3", CustomerName: "Sample WLL", Currency: "KWD",
			Total: 10125, Open: 5, IssueDate: date("2025-01-10"), DueDate: date("2025-03-10")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func TestReadInvoicesColumnsInAnyOrder(t *testing.T) {
	t.Parallel()

	src := "PO_NUMBER,due_date,issue_date,open_amount,total,currency,customer_name," +
		"customer_id,invoice_number,discount_days,discount_percent\n" +
		"PO-1,2025-02-01,2025-01-01,10.00,10.00,EUR,Name,C-1,INV-1,,\n"
	got, err := ReadInvoices("invoices.csv", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}

	if len(got) != 1 || got[0].Number != "INV-1" || got[0].PONumber != "PO-1" ||
		got[0].Open != 1000 || got[0].Currency != "EUR" {
		t.Fatalf("got %+v", got)
	}
}

func TestReadInvoicesReportsEveryBadRow(t *testing.T) {
	t.Parallel()

	src := invoiceHeader +
		"INV-1,C-1,,USD,100.00,100.00,2025-01-01,2025-01-31,,,\n" + // line 2: good
		"INV-2,C-1,,USD,12.345,12.345,2025-01-01,2025-01-31,,,\n" + // line 3
		"INV-1,C-1,,USD,1.00,1.00,2025-01-01,2025-01-31,,,\n" + // line 4: duplicate
		"INV-5,C-1,,XYZ,1.00,1.00,2025-01-01,2025-01-31,,,\n" + // line 5
		"INV-6,C-1,,USD,10.00,20.00,2025-01-01,2025-01-31,,,\n" + // line 6
		"INV-7,,,USD,10.00,-1.00,01/02/2025,2025-01-31,,,\n" + // line 7
		"INV-8,C-1,,USD,10.00,10.00,2025-02-01,2025-01-31,2,,\n" + // line 8
		"INV-9,C-1,,USD,10.00,10.00,2025-01-01,2025-01-31,100,x,\n" + // line 9
		"INV-10,C-1,USD,10.00\n" // line 10: wrong field count
	_, err := ReadInvoices("invoices.csv", strings.NewReader(src))
	if err == nil {
		t.Fatal("bad file read without error")
	}

	want := []string{
		`invoices.csv:3: total: invalid amount "12.345" for USD`,
		`invoices.csv:3: open_amount: invalid amount "12.345" for USD`,
		`invoices.csv:4: invoice_number: duplicate invoice number "INV-1", first on line 2`,
		`invoices.csv:5: currency: unknown currency "XYZ"`,
		`invoices.csv:6: open_amount: out of range: open amount 20.00 exceeds total 10.00`,
		`invoices.csv:7: customer_id: missing value`,
		`invoices.csv:7: open_amount: out of range: negative amount "-1.00"`,
		`invoices.csv:7: issue_date: invalid date "01/02/2025", want YYYY-MM-DD`,
		`invoices.csv:8: due_date: out of range: due date 2025-01-31 before issue date 2025-02-01`,
		`invoices.csv:8: discount_days: missing value: discount_percent is set`,
		`invoices.csv:9: discount_percent: out of range: discount "100" must be above 0 ` +
			`and below 100`,
		`invoices.csv:9: discount_days: invalid number "x", want whole days`,
		`invoices.csv:10: row: malformed csv: wrong number of fields`,
	}
	if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	var re *RowError
	if !errors.As(err, &re) || re.Line != 3 || re.Field != "total" || re.Value != "12.345" {
		t.Errorf("first RowError %+v", re)
	}

	if !errors.Is(err, money.ErrAmount) || !errors.Is(err, ErrDuplicate) ||
		!errors.Is(err, money.ErrCurrency) {
		t.Error("errors.Is does not reach the sentinels")
	}
}

func TestReadInvoicesHeader(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name, src string
		want      []string
	}{
		{"empty", "", []string{`invoices.csv:1: header: bad header: empty file`}},
		{
			"missing and unknown",
			"invoice_number,customer_id,customer_name,currency,total,open,issue_date," +
				"due_date,discount_percent,discount_days,po_number,total\n",
			[]string{
				`invoices.csv:1: header: bad header: unknown column "open"`,
				`invoices.csv:1: header: bad header: column "total" twice`,
				`invoices.csv:1: header: bad header: missing column "open_amount"`,
			},
		},
	}
	for _, tt := range tests {
		_, err := ReadInvoices("invoices.csv", strings.NewReader(tt.src))
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}

		if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: errors %q, want %q", tt.name, got, tt.want)
		}

		if !errors.Is(err, ErrHeader) {
			t.Errorf("%s: not ErrHeader", tt.name)
		}
	}
}

func TestReadInvoicesHeaderOnly(t *testing.T) {
	t.Parallel()

	got, err := ReadInvoices("invoices.csv", strings.NewReader(invoiceHeader))
	if err != nil || len(got) != 0 {
		t.Fatalf("got %v, %v; want no invoices and no error", got, err)
	}
}

func TestReadInvoicesCapsErrorList(t *testing.T) {
	t.Parallel()

	var b strings.Builder
	b.WriteString(invoiceHeader)
	for range MaxErrors + 5 {
		b.WriteString("INV-1,C-1,,USD,1.001,1.00,2025-01-01,2025-01-31,,,\n")
	}

	_, err := ReadInvoices("invoices.csv", strings.NewReader(b.String()))
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != MaxErrors+1 || lines[MaxErrors] != "invoices.csv: 5 more errors not listed" {
		t.Fatalf("%d lines, last %q", len(lines), lines[len(lines)-1])
	}
}

func TestReadCustomers(t *testing.T) {
	t.Parallel()

	src := "customer_id,name,bank_account,aliases\n" +
		"C-1,Example Customer LLC,de89 3704 0044 0532 0130 00; 011000015:000123456789," +
		"EXCUST;Example Cust; ;EXCUST\n" +
		"C-2,\"Sample, Trading BV\",,\n"
	got, err := ReadCustomers("customers.csv", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}

	want := []billing.Customer{
		{ID: "C-1", Name: "Example Customer LLC",
			BankAccounts: []string{"DE89370400440532013000", "011000015:000123456789"},
			Aliases:      []string{"EXCUST", "Example Cust"}},
		{ID: "C-2", Name: "Sample, Trading BV"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func TestReadCustomersErrors(t *testing.T) {
	t.Parallel()

	src := "aliases,bank_account,name,customer_id\n" +
		",DE89370400440532013001,Bad Check,C-1\n" +
		",12345678,Plain Number,C-2\n" +
		",011000015:12AB,Letters,C-3\n" +
		",,,C-4\n" +
		",,Good,C-5\n" +
		",,Again,C-5\n"
	_, err := ReadCustomers("customers.csv", strings.NewReader(src))
	want := []string{
		`customers.csv:2: bank_account: invalid bank account "DE89370400440532013001", ` +
			`not a valid IBAN or routing:account`,
		`customers.csv:3: bank_account: invalid bank account "12345678", ` +
			`not a valid IBAN or routing:account`,
		`customers.csv:4: bank_account: invalid bank account "011000015:12AB", ` +
			`want routing:account in digits`,
		`customers.csv:5: name: missing value`,
		`customers.csv:7: customer_id: duplicate customer id "C-5", first on line 6`,
	}
	if err == nil {
		t.Fatal("no error")
	}

	if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	if !errors.Is(err, ErrAccount) || !errors.Is(err, ErrMissing) {
		t.Error("errors.Is does not reach the sentinels")
	}
}

func TestValidIBAN(t *testing.T) {
	t.Parallel()

	for _, s := range []string{"DE89370400440532013000", "GB29NWBK60161331926819",
		"NL91ABNA0417164300", "FR7630006000011234567890189"} {
		if !validIBAN(s) {
			t.Errorf("validIBAN(%q) = false", s)
		}
	}

	for _, s := range []string{"DE89370400440532013001", "GB29NWBK6016133192681",
		"1289370400440532013000", "DE8937040044053201300!"} {
		if validIBAN(s) {
			t.Errorf("validIBAN(%q) = true", s)
		}
	}
}
