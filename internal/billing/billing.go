// Package billing holds the receivables side of o2c: customers, CRM deals and the
// invoices raised for them. Amounts are integer minor units in the invoice's
// currency.
package billing

import (
	"time"

	"github.com/o2c-dev/o2c/internal/money"
)

// Customer is a company that owes us money, with what identifies it on a bank
// statement.
type Customer struct {
	ID           string   // o2c's customer id (CRM company id or the CSV's customer_id)
	Name         string   // legal or trading name
	BankAccounts []string // IBANs or "routing:account" strings the customer pays from
	Aliases      []string // other names the customer's bank may show
	ParentID     string   // parent company's customer id, if any
	// RefFormats are the ways of writing invoice numbers ops approved for the
	// customer from its resolved payments. Matching reads a reference in one of
	// them, from a payer identified as this customer, as the customer's own
	// invoice of that number, and never as another customer's.
	RefFormats []RefFormat
}

// RefFormat is a reference format approved for a customer.
type RefFormat struct {
	// Format is "digits" (the invoice number's digits alone) or "prefix:" and
	// letters (the digits behind another prefix, "prefix:IN" for IN123).
	Format     string
	ApprovedBy string    // who approved it
	ApprovedAt time.Time // when
}

// Invoice is a sales invoice as the ERP holds it. Open is what is still owed.
type Invoice struct {
	Number       string    // invoice number printed on the invoice, e.g. "INV-000123"
	ERPID        string    // the ERP's own id (Xero InvoiceID), empty until pushed
	CustomerID   string    // Customer.ID
	CustomerName string    // name on the invoice
	Currency     string    // ISO 4217 code
	Total        int64     // invoice total in minor units
	Open         int64     // amount still open in minor units
	IssueDate    time.Time // UTC midnight
	DueDate      time.Time // UTC midnight
	// DiscountBasisPoints is the early-payment discount in hundredths of a percent
	// (200 = 2 %), taken when paid within DiscountDays of IssueDate.
	DiscountBasisPoints int
	DiscountDays        int
	PONumber            string // customer's purchase-order number, if known
	SONumber            string // seller's sales-order number, if known
	DealID              string // CRM deal the invoice was raised for, if any
	// ExchangeRate is how many units of BaseCurrency one unit of Currency was
	// worth for the deal, as a decimal string ("1.0850" when 1 EUR = 1.0850 USD);
	// empty when the CRM gave none, and the ERP then uses its own rate.
	ExchangeRate string
	// BaseCurrency is the company's home currency ExchangeRate converts into;
	// empty when unknown.
	BaseCurrency string
}

// OpenAmount returns what is still owed as a money.Amount.
func (i Invoice) OpenAmount() money.Amount {
	return money.New(i.Open, i.Currency)
}

// Deal is a closed-won CRM deal that should be invoiced.
type Deal struct {
	CRMID        string       // CRM deal id
	Name         string       // deal name
	CompanyID    string       // CRM company id, the customer
	CompanyName  string       // company name
	Amount       money.Amount // deal amount
	CloseDate    time.Time    // when the deal was won
	Stage        string       // pipeline stage id as the CRM reports it
	LastModified time.Time    // CRM's last-modified timestamp, for the sync cursor
	LineItems    []LineItem   // products sold
	// CompanyParentID is the CRM id of the parent company of CompanyID, if the CRM
	// records one: a parent often pays for its subsidiaries.
	CompanyParentID string
	// PONumber is the customer's purchase-order number recorded on the deal, if any;
	// payers often quote it instead of the invoice number.
	PONumber string
	// ExchangeRate is how many units of BaseCurrency one unit of the deal's
	// currency was worth, as a decimal string; empty when the CRM gave none.
	ExchangeRate string
	// BaseCurrency is the CRM company's home currency; empty when unknown.
	BaseCurrency string
}

// LineItem is one product line of a deal or invoice.
type LineItem struct {
	Name      string // product name
	SKU       string // product code, if any
	Quantity  string // decimal quantity as the CRM gives it, e.g. "1" or "2.5"
	UnitPrice int64  // unit price in minor units
	Amount    int64  // line amount in minor units (quantity × unit price, less discount)
	// TaxRate is the line's tax rate as a decimal fraction ("0.21" for 21 %);
	// empty when the line carries no tax.
	TaxRate string `json:",omitempty"`
	// Tax is the tax on the line in minor units, as the source system rounded
	// it; see LineTax for a line that gives only TaxRate.
	Tax int64 `json:",omitempty"`
	// TaxIncluded reports that UnitPrice and Amount include Tax (gross
	// prices); otherwise Tax comes on top of Amount.
	TaxIncluded bool `json:",omitempty"`
}

// Gross returns what the line costs the customer, tax included, in minor
// units, with the tax LineTax works out.
func (l LineItem) Gross() (int64, error) {
	if l.TaxIncluded {
		return l.Amount, nil
	}

	tax, err := l.LineTax()
	if err != nil {
		return 0, err
	}

	return l.Amount + tax, nil
}
