package xerosim

import "time"

// InvoiceView is a read-only copy of a simulated invoice. Amounts are in
// cents: Xero keeps two decimals whatever the currency.
type InvoiceView struct {
	ID            string
	Number        string
	Type          string
	Status        string
	Reference     string
	Currency      string
	CurrencyRate  string // as Xero holds it: invoice-currency units per base unit
	ContactID     string
	ContactNumber string
	ContactName   string
	Date          time.Time
	DueDate       time.Time
	Total         int64
	SubTotal      int64
	TotalTax      int64
	AmountDue     int64
	AmountPaid    int64
	Payments      []PaymentView // including deleted ones
}

// PaymentView is a read-only copy of a simulated payment; Amount is in cents.
type PaymentView struct {
	ID          string
	InvoiceID   string
	Reference   string
	Status      string // AUTHORISED or DELETED
	Amount      int64
	AccountCode string
	Date        time.Time
}

// Invoices returns every invoice in creation order.
func (s *Sim) Invoices() []InvoiceView {
	s.mu.Lock()
	defer s.mu.Unlock()

	out := make([]InvoiceView, 0, len(s.invoices))
	for _, inv := range s.invoices {
		v := InvoiceView{
			ID:            inv.ID,
			Number:        inv.Number,
			Type:          inv.Type,
			Status:        inv.Status,
			Reference:     inv.Reference,
			Currency:      inv.Currency,
			CurrencyRate:  inv.CurrencyRate,
			ContactID:     inv.Contact.ID,
			ContactNumber: inv.Contact.Number,
			ContactName:   inv.Contact.Name,
			Date:          inv.Date,
			DueDate:       inv.DueDate,
			Total:         inv.Total,
			SubTotal:      inv.SubTotal,
			TotalTax:      inv.TotalTax,
			AmountDue:     inv.AmountDue,
			AmountPaid:    inv.AmountPaid,
		}

		for _, p := range inv.Payments {
			v.Payments = append(v.Payments, paymentView(p))
		}

		out = append(out, v)
	}

	return out
}

// Invoice returns the invoice numbered number, and whether there is one.
func (s *Sim) Invoice(number string) (InvoiceView, bool) {
	for _, v := range s.Invoices() {
		if v.Number == number {
			return v, true
		}
	}

	return InvoiceView{}, false
}

// CountInvoicesByNumber returns how many invoices carry number; more than one
// means a connector created a duplicate.
func (s *Sim) CountInvoicesByNumber(number string) int {
	s.mu.Lock()
	defer s.mu.Unlock()

	n := 0
	for _, inv := range s.invoices {
		if inv.Number == number {
			n++
		}
	}

	return n
}

// Payments returns every payment in creation order, deleted ones included.
func (s *Sim) Payments() []PaymentView {
	s.mu.Lock()
	defer s.mu.Unlock()

	out := make([]PaymentView, 0, len(s.payments))
	for _, p := range s.payments {
		out = append(out, paymentView(p))
	}

	return out
}

func paymentView(p *payment) PaymentView {
	return PaymentView{
		ID:          p.ID,
		InvoiceID:   p.Invoice.ID,
		Reference:   p.Reference,
		Status:      p.Status,
		Amount:      p.Amount,
		AccountCode: p.AccountCode,
		Date:        p.Date,
	}
}

// ExpireTokens makes every access token issued so far expired, as a token
// revoked early or a clock skew between client and Xero would.
func (s *Sim) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()

	now := s.cfg.Now()
	for tok := range s.tokens {
		s.tokens[tok] = now
	}
}
