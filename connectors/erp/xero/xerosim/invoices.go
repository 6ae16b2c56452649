package xerosim

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

type contact struct {
	ID     string
	Number string
	Name   string
}

// line is an invoice line. Quantity and unit amount are in units of 10^-4,
// the other amounts in cents.
type line struct {
	ID          string
	Description string
	AccountCode string
	TaxType     string
	ItemCode    string
	Qty         int64
	Unit        int64
	UnitDP      int
	Discount    int64
	Amount      int64
	Tax         int64
	TaxGiven    bool // Tax came with the request as TaxAmount
	TaxRate     int64
}

// invoice amounts are in cents: Xero keeps two decimals.
type invoice struct {
	ID              string
	Number          string
	Type            string
	Reference       string
	Status          string
	LineAmountTypes string
	Currency        string
	CurrencyRate    string // Xero's convention: invoice-currency units per base unit
	Contact         *contact
	Date            time.Time
	DueDate         time.Time
	Lines           []line
	SubTotal        int64
	TotalTax        int64
	Total           int64
	AmountPaid      int64
	AmountDue       int64
	Payments        []*payment
	Updated         time.Time
}

// inContact, inLine and inInvoice are the request shapes.
type inContact struct {
	ContactID     string `json:"ContactID"`
	ContactNumber string `json:"ContactNumber"`
	Name          string `json:"Name"`
}

type inLine struct {
	Description    string      `json:"Description"`
	Quantity       json.Number `json:"Quantity"`
	UnitAmount     json.Number `json:"UnitAmount"`
	LineAmount     json.Number `json:"LineAmount"`
	DiscountAmount json.Number `json:"DiscountAmount"`
	AccountCode    string      `json:"AccountCode"`
	TaxType        string      `json:"TaxType"`
	TaxAmount      json.Number `json:"TaxAmount"`
	ItemCode       string      `json:"ItemCode"`
}

type inInvoice struct {
	Type            string      `json:"Type"`
	InvoiceID       string      `json:"InvoiceID"`
	InvoiceNumber   string      `json:"InvoiceNumber"`
	Reference       string      `json:"Reference"`
	Contact         *inContact  `json:"Contact"`
	Date            string      `json:"Date"`
	DueDate         string      `json:"DueDate"`
	Status          string      `json:"Status"`
	LineAmountTypes string      `json:"LineAmountTypes"`
	LineItems       []inLine    `json:"LineItems"`
	CurrencyCode    string      `json:"CurrencyCode"`
	CurrencyRate    json.Number `json:"CurrencyRate"`
}

// createInvoices handles PUT (create) and POST (create or update) /Invoices.
// By default a batch is all or nothing and errors are a 400; with
// summarizeErrors=false every valid element is created and the answer is a
// 200 whose failed elements carry HasErrors and ValidationErrors.
func (s *Sim) createInvoices(method string, q url.Values, body []byte, now time.Time) reply {
	elems, err := decodeElements[inInvoice](body, "Invoices")
	if err != nil {
		return badRequest("The request body could not be read: " + err.Error())
	}

	unitDP := 2
	if q.Get("unitdp") == "4" {
		unitDP = 4
	}

	partial := strings.EqualFold(q.Get("summarizeErrors"), "false")

	batchNumbers := map[string]bool{}

	out, failed := createBatch(elems, partial,
		func(el inInvoice) (*invoice, []string) {
			return s.buildInvoice(method, el, unitDP, batchNumbers)
		},
		echoInvoice,
		func(inv *invoice) any {
			s.commitInvoice(inv, now)
			return s.invoiceJSON(inv, true)
		})
	if failed {
		return validationFailed(out)
	}

	return s.ok("Invoices", out, nil)
}

// buildInvoice validates one element and computes its lines and totals
// without changing any state.
func (s *Sim) buildInvoice(
	method string, el inInvoice, unitDP int, batch map[string]bool,
) (*invoice, []string) {
	var msgs []string
	inv := &invoice{
		Type:            strings.ToUpper(el.Type),
		Number:          el.InvoiceNumber,
		Reference:       el.Reference,
		Status:          strings.ToUpper(el.Status),
		LineAmountTypes: el.LineAmountTypes,
		Currency:        strings.ToUpper(el.CurrencyCode),
	}

	if el.InvoiceID != "" || (method == http.MethodPost && s.numberTaken(el.InvoiceNumber)) {
		if existing := s.findInvoice(el.InvoiceID, el.InvoiceNumber); existing != nil {
			return nil, []string{"Invoice not of valid status for modification"}
		}

		if el.InvoiceID != "" {
			return nil, []string{"Invoice could not be found"}
		}
	}

	if inv.Type != "ACCREC" && inv.Type != "ACCPAY" {
		msgs = append(msgs, "Invoice Type must be ACCREC or ACCPAY")
	}

	if inv.Status == "" {
		inv.Status = "DRAFT"
	}

	if !slices.Contains([]string{"DRAFT", "SUBMITTED", "AUTHORISED"}, inv.Status) {
		msgs = append(msgs, "Invoice Status '"+el.Status+"' cannot be used when creating")
	}

	if inv.LineAmountTypes == "" {
		inv.LineAmountTypes = "Exclusive"
	}

	if !slices.Contains([]string{"Exclusive", "Inclusive", "NoTax"}, inv.LineAmountTypes) {
		msgs = append(msgs, "LineAmountTypes '"+el.LineAmountTypes+"' is not valid")
	}

	if inv.Currency == "" {
		inv.Currency = s.cfg.BaseCurrency
	}

	if !slices.Contains(s.cfg.Currencies, inv.Currency) {
		msgs = append(msgs, "The currency code '"+el.CurrencyCode+
			"' is not a valid currency for this organisation")
	}

	msgs = append(msgs, s.readRate(inv, el.CurrencyRate)...)

	if inv.Number != "" {
		if s.numberTaken(inv.Number) || batch[inv.Number] {
			msgs = append(msgs, "Invoice # must be unique.")
		}

		batch[inv.Number] = true
	}

	c, cmsgs := s.resolveContact(el.Contact)
	inv.Contact = c
	msgs = append(msgs, cmsgs...)

	msgs = append(msgs, s.readDates(inv, el)...)
	msgs = append(msgs, s.buildLines(inv, el.LineItems, unitDP)...)

	return inv, msgs
}

func (s *Sim) readDates(inv *invoice, el inInvoice) []string {
	var msgs []string

	inv.Date = dayOf(s.cfg.Now())
	if el.Date != "" {
		d, err := parseDate(el.Date)
		if err != nil {
			msgs = append(msgs, "Date '"+el.Date+"' is not a valid date")
		}

		inv.Date = d
	}

	if el.DueDate != "" {
		d, err := parseDate(el.DueDate)
		if err != nil {
			msgs = append(msgs, "DueDate '"+el.DueDate+"' is not a valid date")
		}

		inv.DueDate = d
	} else if inv.Status != "DRAFT" {
		msgs = append(msgs, "Due Date is required.")
	}

	return msgs
}

// buildLines computes every line amount (rounded to cents per line, as Xero
// does), the tax per line and the totals.
func (s *Sim) buildLines(inv *invoice, in []inLine, unitDP int) []string {
	var msgs []string

	if len(in) == 0 && inv.Status != "DRAFT" {
		msgs = append(msgs, "Invoices must have at least one line item")
	}

	// With document rounding, the tax of the lines that did not bring their
	// own TaxAmount is worked out once per tax rate on their summed amounts.
	docBase := map[int64]int64{}

	for i, il := range in {
		ln, lmsgs := s.buildLine(inv.LineAmountTypes, il, unitDP)
		for _, m := range lmsgs {
			msgs = append(msgs, fmt.Sprintf("Line %d: %s", i+1, m))
		}

		ln.ID = s.newID()
		inv.Lines = append(inv.Lines, ln)
		inv.SubTotal += ln.Amount

		if s.cfg.TaxRounding == DocumentRounding && !ln.TaxGiven {
			docBase[ln.TaxRate] += ln.Amount
			continue
		}

		inv.TotalTax += ln.Tax
	}

	for rate, base := range docBase {
		inv.TotalTax += taxOn(inv.LineAmountTypes, base, rate)
	}

	if inv.LineAmountTypes == "Inclusive" {
		inv.SubTotal -= inv.TotalTax
	}

	inv.Total = inv.SubTotal + inv.TotalTax
	inv.AmountDue = inv.Total

	if inv.Total < 0 {
		msgs = append(msgs, "The document total must be zero or positive")
	}

	return msgs
}

func (s *Sim) buildLine(amountTypes string, il inLine, unitDP int) (line, []string) {
	var msgs []string
	ln := line{
		Description: il.Description,
		AccountCode: il.AccountCode,
		TaxType:     il.TaxType,
		ItemCode:    il.ItemCode,
		Qty:         10000,
		UnitDP:      unitDP,
	}

	if il.ItemCode != "" {
		msgs = append(msgs, "Item code '"+il.ItemCode+"' is not valid")
	}

	if _, ok := s.cfg.AccountCodes[il.AccountCode]; !ok {
		msgs = append(msgs, "Account code '"+il.AccountCode+
			"' is not a valid code for this document.")
	}

	if il.Quantity != "" {
		q, err := scaled(il.Quantity, 4)
		if err != nil {
			msgs = append(msgs, "Quantity is not a valid number")
		}

		ln.Qty = q
	}

	if ln.Qty < 0 {
		msgs = append(msgs, "Quantity must not be negative")
	}

	unitSrc := il.UnitAmount
	if unitSrc == "" {
		unitSrc = il.LineAmount
	}

	if unitSrc != "" {
		// The unit price keeps unitDP decimals; store it in 10^-4 units.
		u, err := scaled(unitSrc, unitDP)
		if err != nil {
			msgs = append(msgs, "UnitAmount is not a valid number")
		}

		ln.Unit = u * pow10(4-unitDP)
	}

	if il.DiscountAmount != "" {
		d, err := scaled(il.DiscountAmount, 2)
		if err != nil || d < 0 {
			msgs = append(msgs, "DiscountAmount is not valid")
		}

		ln.Discount = d
	}

	// Quantity (10^-4) × unit (10^-4) is in 10^-8; cents are 10^-2.
	gross := divRound(new(big.Int).Mul(big.NewInt(ln.Qty), big.NewInt(ln.Unit)),
		big.NewInt(1_000_000))
	ln.Amount = gross - ln.Discount

	rate, ok := int64(0), true
	if amountTypes != "NoTax" {
		if ln.TaxType == "" {
			ln.TaxType = "NONE"
		}

		rate, ok = s.cfg.TaxRates[ln.TaxType]
		if !ok {
			msgs = append(msgs, "The TaxType code '"+ln.TaxType+
				"' does not exist or cannot be used for this type of transaction")
		}
	}

	ln.TaxRate = rate
	ln.Tax = taxOn(amountTypes, ln.Amount, rate)

	if il.TaxAmount != "" && amountTypes != "NoTax" && !s.cfg.IgnoreTaxAmount {
		// Xero keeps a TaxAmount sent with the line instead of its own figure.
		t, err := scaled(il.TaxAmount, 2)
		if err != nil {
			msgs = append(msgs, "TaxAmount is not a valid number")
		}

		ln.Tax, ln.TaxGiven = t, true
	}

	return ln, msgs
}

// taxOn is the tax in cents on amount at rate basis points, rounded half away
// from zero: on top of amount (Exclusive) or inside it (Inclusive).
func taxOn(amountTypes string, amount, rate int64) int64 {
	switch amountTypes {
	case "Exclusive":
		return divRound(big.NewInt(amount*rate), big.NewInt(10000))
	case "Inclusive":
		return divRound(big.NewInt(amount*rate), big.NewInt(10000+rate))
	}

	return 0
}

// readRate takes the invoice's CurrencyRate: the one sent, else the
// organisation's day rate for the currency (Config.DayRates), else 1. The
// base currency's rate is always 1.
func (s *Sim) readRate(inv *invoice, sent json.Number) []string {
	inv.CurrencyRate = "1"
	if inv.Currency == s.cfg.BaseCurrency {
		return nil
	}

	if r, ok := s.cfg.DayRates[inv.Currency]; ok {
		inv.CurrencyRate = r
	}

	if sent == "" {
		return nil
	}

	r, ok := new(big.Rat).SetString(string(sent))
	if !ok || r.Sign() <= 0 {
		return []string{"CurrencyRate '" + string(sent) + "' is not valid"}
	}

	if frac := strings.SplitN(string(sent), ".", 2); len(frac) == 2 && len(frac[1]) > 6 {
		return []string{"CurrencyRate can have at most 6 decimal places"}
	}

	inv.CurrencyRate = string(sent)

	return nil
}

func pow10(n int) int64 {
	v := int64(1)
	for range n {
		v *= 10
	}

	return v
}

// resolveContact finds the contact by id, else by number, else by name, and
// otherwise describes a new one to create when the invoice is committed.
func (s *Sim) resolveContact(in *inContact) (*contact, []string) {
	if in == nil || (in.ContactID == "" && in.ContactNumber == "" && in.Name == "") {
		return nil, []string{"A Contact must be specified for this type of transaction"}
	}

	if in.ContactID != "" {
		for _, c := range s.contacts {
			if strings.EqualFold(c.ID, in.ContactID) {
				return c, nil
			}
		}

		return nil, []string{"Contact could not be found"}
	}

	if c := s.contactBy(in.ContactNumber, in.Name); c != nil {
		return c, nil
	}

	if in.Name == "" {
		return nil, []string{"Contact Name is required to create a new contact"}
	}

	return &contact{Number: in.ContactNumber, Name: in.Name}, nil
}

// contactBy finds a contact by number, else by name.
func (s *Sim) contactBy(number, name string) *contact {
	for _, c := range s.contacts {
		if number != "" && c.Number == number {
			return c
		}
	}

	for _, c := range s.contacts {
		if name != "" && strings.EqualFold(c.Name, name) {
			return c
		}
	}

	return nil
}

func (s *Sim) commitInvoice(inv *invoice, now time.Time) {
	if inv.Contact.ID == "" {
		// An earlier element of the same batch may have created it.
		if c := s.contactBy(inv.Contact.Number, inv.Contact.Name); c != nil {
			inv.Contact = c
		} else {
			inv.Contact.ID = s.newID()
			s.contacts = append(s.contacts, inv.Contact)
		}
	}

	inv.ID = s.newID()
	if inv.Number == "" && inv.Type == "ACCREC" {
		inv.Number = fmt.Sprintf("INV-%04d", len(s.invoices)+1)
	}

	inv.Updated = now
	s.invoices = append(s.invoices, inv)
	s.invByID[inv.ID] = inv
}

func (s *Sim) numberTaken(number string) bool {
	if number == "" {
		return false
	}

	for _, inv := range s.invoices {
		if inv.Number == number {
			return true
		}
	}

	return false
}

func (s *Sim) findInvoice(id, number string) *invoice {
	if id != "" {
		return s.invByID[strings.ToLower(id)]
	}

	for _, inv := range s.invoices {
		if number != "" && inv.Number == number {
			return inv
		}
	}

	return nil
}
