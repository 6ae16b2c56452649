package world

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/billing"
)

// CSVOptions describe a bank CSV export. Zero fields take their defaults.
type CSVOptions struct {
	// CRLF ends rows with CR LF, as exports from Windows tools do. Defaults to LF.
	CRLF bool
	// DateLayout is the time layout of the Date column. Defaults to "2006-01-02".
	DateLayout string
}

// BankCSVHeader is the header row WriteBankCSV writes.
var BankCSVHeader = []string{"Date", "Transaction ID", "Payer", "Description", "Amount", "Currency"}

// InvoicesCSVHeader is the header row WriteInvoicesCSV writes.
var InvoicesCSVHeader = []string{
	"invoice_number", "customer_id", "customer_name", "currency", "total", "open_amount",
	"issue_date", "due_date", "discount_percent", "discount_days", "po_number",
}

// CustomersCSVHeader is the header row WriteCustomersCSV writes.
var CustomersCSVHeader = []string{"customer_id", "name", "bank_account", "aliases"}

// WriteBankCSV writes ps as a bank account export: one row per payment with
// the value date, the trace as transaction id, the payer's name, the
// remittance as description (structured references joined by spaces when there
// is no free text), a signed amount (credits positive) in the currency's minor
// digits and the currency code.
func WriteBankCSV(w io.Writer, ps []Payment, opts CSVOptions) error {
	layout := cmpOr(opts.DateLayout, "2006-01-02")
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	cw.UseCRLF = opts.CRLF
	if err := cw.Write(BankCSVHeader); err != nil {
		return fmt.Errorf("write bank csv: %w", err)
	}

	row := make([]string, 6)
	for _, p := range ps {
		row[0] = p.ValueDate.Format(layout)
		row[1] = p.Trace
		row[2] = p.PayerName
		row[3] = description(p)
		row[4] = decimal(p.Amount.Minor, p.Amount.Currency)
		row[5] = p.Amount.Currency
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write bank csv: %w", err)
		}
	}

	return flushCSV(cw, bw, "write bank csv")
}

// description is what a bank prints for a payment's remittance.
func description(p Payment) string {
	if p.Remittance != "" || len(p.Remits) == 0 {
		return p.Remittance
	}

	refs := make([]string, len(p.Remits))
	for i, r := range p.Remits {
		refs[i] = r.Ref
	}

	return strings.Join(refs, " ")
}

func flushCSV(cw *csv.Writer, bw *bufio.Writer, step string) error {
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("%s: %w", step, err)
	}

	if err := bw.Flush(); err != nil {
		return fmt.Errorf("%s: %w", step, err)
	}

	return nil
}

// WriteInvoicesCSV writes invoices in o2c's open-invoice CSV layout
// (InvoicesCSVHeader): amounts as decimals in the currency's minor digits,
// dates as YYYY-MM-DD, the discount percent as "2" or "1.5" and the discount
// columns empty when the invoice has no early-payment terms.
func WriteInvoicesCSV(w io.Writer, invoices []billing.Invoice) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	if err := cw.Write(InvoicesCSVHeader); err != nil {
		return fmt.Errorf("write invoices csv: %w", err)
	}

	row := make([]string, len(InvoicesCSVHeader))
	for _, inv := range invoices {
		row[0], row[1], row[2], row[3] = inv.Number, inv.CustomerID, inv.CustomerName, inv.Currency
		row[4] = decimal(inv.Total, inv.Currency)
		row[5] = decimal(inv.Open, inv.Currency)
		row[6] = dateOrEmpty(inv.IssueDate)
		row[7] = dateOrEmpty(inv.DueDate)
		row[8], row[9] = "", ""
		if inv.DiscountBasisPoints > 0 {
			row[8] = percent(inv.DiscountBasisPoints)
			row[9] = strconv.Itoa(inv.DiscountDays)
		}

		row[10] = inv.PONumber
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write invoices csv: %w", err)
		}
	}

	return flushCSV(cw, bw, "write invoices csv")
}

func dateOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}

	return t.Format("2006-01-02")
}

// percent writes basis points as a percent without trailing zeros: 200 is
// "2", 150 "1.5", 125 "1.25".
func percent(bp int) string {
	s := strconv.Itoa(bp/100) + "." + fmt.Sprintf("%02d", bp%100)
	s = strings.TrimRight(s, "0")

	return strings.TrimSuffix(s, ".")
}

// WriteCustomersCSV writes customers in o2c's customer CSV layout
// (CustomersCSVHeader): the first bank account, and the aliases joined by ';'.
func WriteCustomersCSV(w io.Writer, customers []billing.Customer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	if err := cw.Write(CustomersCSVHeader); err != nil {
		return fmt.Errorf("write customers csv: %w", err)
	}

	row := make([]string, len(CustomersCSVHeader))
	for _, c := range customers {
		row[0], row[1], row[2] = c.ID, c.Name, ""
		if len(c.BankAccounts) > 0 {
			row[2] = c.BankAccounts[0]
		}

		row[3] = strings.Join(c.Aliases, ";")
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write customers csv: %w", err)
		}
	}

	return flushCSV(cw, bw, "write customers csv")
}
