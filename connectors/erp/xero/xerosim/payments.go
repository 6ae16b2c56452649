package xerosim

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"time"
)

// payment amounts are in cents.
type payment struct {
	ID          string
	Invoice     *invoice
	AccountCode string
	Date        time.Time
	Amount      int64
	Reference   string
	Status      string
	Updated     time.Time
}

type inPayment struct {
	Invoice *struct {
		InvoiceID     string `json:"InvoiceID"`
		InvoiceNumber string `json:"InvoiceNumber"`
	} `json:"Invoice"`
	Account *struct {
		AccountID string `json:"AccountID"`
		Code      string `json:"Code"`
	} `json:"Account"`
	Date      string      `json:"Date"`
	Amount    json.Number `json:"Amount"`
	Reference string      `json:"Reference"`
	Status    string      `json:"Status"`
}

// createPayments handles PUT and POST /Payments: each payment lowers its
// invoice's AmountDue, and an invoice with nothing left due becomes PAID. The
// batch rules are those of createInvoices.
func (s *Sim) createPayments(q url.Values, body []byte, now time.Time) reply {
	elems, err := decodeElements[inPayment](body, "Payments")
	if err != nil {
		return badRequest("The request body could not be read: " + err.Error())
	}

	partial := strings.EqualFold(q.Get("summarizeErrors"), "false")

	// due tracks what each invoice would still owe after the earlier
	// elements of this batch.
	due := map[*invoice]int64{}
	out, failed := createBatch(elems, partial,
		func(el inPayment) (*payment, []string) { return s.buildPayment(el, due) },
		echoPayment,
		func(p *payment) any {
			s.commitPayment(p, now)
			return paymentJSON(p)
		})
	if failed {
		return validationFailed(out)
	}

	return s.ok("Payments", out, nil)
}

func (s *Sim) buildPayment(el inPayment, due map[*invoice]int64) (*payment, []string) {
	var msgs []string
	p := &payment{Reference: el.Reference, Status: "AUTHORISED", Date: dayOf(s.cfg.Now())}

	if el.Invoice != nil {
		p.Invoice = s.findInvoice(el.Invoice.InvoiceID, el.Invoice.InvoiceNumber)
	}

	if p.Invoice == nil {
		msgs = append(msgs, "Invoice could not be found")
	}

	if el.Account != nil {
		p.AccountCode = el.Account.Code
	}

	if kind, ok := s.cfg.AccountCodes[p.AccountCode]; !ok || kind != "BANK" {
		msgs = append(msgs, "Account code '"+p.AccountCode+
			"' is not a bank account or an account enabled for payments")
	}

	if el.Date != "" {
		d, err := parseDate(el.Date)
		if err != nil {
			msgs = append(msgs, "Date '"+el.Date+"' is not a valid date")
		}

		p.Date = d
	}

	amount, err := scaled(el.Amount, 2)
	switch {
	case el.Amount == "" || err != nil:
		msgs = append(msgs, "Payment Amount is required and must be a number")
	case amount <= 0:
		msgs = append(msgs, "Payment amount must be greater than zero")
	}

	p.Amount = amount

	if p.Invoice == nil || len(msgs) > 0 {
		return p, msgs
	}

	if p.Invoice.Status != "AUTHORISED" {
		return p, []string{"Payments can only be made against AUTHORISED documents; " +
			"this document is " + p.Invoice.Status}
	}

	left, seen := due[p.Invoice]
	if !seen {
		left = p.Invoice.AmountDue
	}

	if amount > left {
		return p, []string{"Payment amount exceeds the amount outstanding on this document"}
	}

	due[p.Invoice] = left - amount

	return p, nil
}

func (s *Sim) commitPayment(p *payment, now time.Time) {
	p.ID = s.newID()
	p.Updated = now

	inv := p.Invoice
	inv.AmountDue -= p.Amount
	inv.AmountPaid += p.Amount
	inv.Payments = append(inv.Payments, p)
	inv.Updated = now

	if inv.AmountDue == 0 {
		inv.Status = "PAID"
	}

	s.payments = append(s.payments, p)
	s.payByID[p.ID] = p
}

// deletePayment handles POST /Payments/{id} with Status DELETED: the payment
// is kept with that status and its amount is owed again.
func (s *Sim) deletePayment(id string, body []byte, now time.Time) reply {
	p := s.payByID[strings.ToLower(id)]
	if p == nil {
		return notFound()
	}

	elems, err := decodeElements[inPayment](body, "Payments")
	if err != nil || len(elems) != 1 {
		return badRequest("The request body could not be read")
	}

	el := elems[0]

	switch {
	case !strings.EqualFold(el.Status, "DELETED"):
		return validationFailed([]any{echoPayment(el,
			[]string{"Only the Status of a payment can be changed, to DELETED"})})
	case p.Status == "DELETED":
		return validationFailed([]any{echoPayment(el,
			[]string{"This payment has already been deleted"})})
	}

	p.Status = "DELETED"
	p.Updated = now

	inv := p.Invoice
	inv.AmountDue += p.Amount
	inv.AmountPaid -= p.Amount
	inv.Updated = now

	if inv.Status == "PAID" {
		inv.Status = "AUTHORISED"
	}

	return s.ok("Payments", []any{paymentJSON(p)}, nil)
}

// getPayment answers GET /Payments/{id}.
func (s *Sim) getPayment(id string) reply {
	p := s.payByID[strings.ToLower(id)]
	if p == nil {
		return notFound()
	}

	return s.ok("Payments", []any{paymentJSON(p)}, nil)
}

// listPayments answers GET /Payments with a where filter on Reference,
// Status, PaymentType, Invoice.InvoiceID or Invoice.InvoiceNumber, and paging.
func (s *Sim) listPayments(q url.Values) reply {
	conds, err := parseWhere(q.Get("where"))
	if err != nil {
		return badRequest(err.Error())
	}

	var match []*payment

	for _, p := range s.payments {
		ok := true

		for _, c := range conds {
			var have string

			switch c.field {
			case "reference":
				have = p.Reference
			case "status":
				have = p.Status
			case "paymenttype":
				have = "ACCRECPAYMENT"
			case "invoice.invoiceid":
				have = p.Invoice.ID
			case "invoice.invoicenumber":
				have = p.Invoice.Number
			default:
				return badRequest("unsupported where field " + c.field)
			}

			if !strings.EqualFold(have, c.value) {
				ok = false
			}
		}

		if ok {
			match = append(match, p)
		}
	}

	return s.page(q, len(match), func(i int) any { return match[i] }, "Payments",
		func(v any, _ bool) any { return paymentJSON(v.(*payment)) })
}

func paymentJSON(p *payment) map[string]any {
	inv := p.Invoice

	return map[string]any{
		"PaymentID":      p.ID,
		"Date":           msDate(p.Date),
		"Amount":         num(p.Amount, 2),
		"BankAmount":     num(p.Amount, 2),
		"CurrencyRate":   num(1, 0),
		"Reference":      p.Reference,
		"Status":         p.Status,
		"PaymentType":    "ACCRECPAYMENT",
		"IsReconciled":   false,
		"UpdatedDateUTC": msDate(p.Updated),
		"Account":        map[string]any{"Code": p.AccountCode},
		"Invoice": map[string]any{
			"Type":          inv.Type,
			"InvoiceID":     inv.ID,
			"InvoiceNumber": inv.Number,
			"AmountDue":     num(inv.AmountDue, 2),
			"AmountPaid":    num(inv.AmountPaid, 2),
			"Status":        inv.Status,
			"CurrencyCode":  inv.Currency,
			"Contact":       contactJSON(inv.Contact),
		},
	}
}

func echoPayment(el inPayment, msgs []string) map[string]any {
	var raw map[string]any
	data, _ := json.Marshal(el)

	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if dec.Decode(&raw) != nil || raw == nil {
		raw = map[string]any{}
	}

	raw["HasErrors"] = true
	raw["StatusAttributeString"] = "ERROR"
	raw["ValidationErrors"] = validationMsgs(msgs)

	return raw
}

// createBatch applies Xero's batch rules to a PUT or POST of several elements:
// every element is validated first; without summarizeErrors=false (partial) one
// invalid element fails the whole batch and nothing is created; with it, the
// valid ones are created and the invalid ones are echoed with their errors. It
// returns the response elements and whether the batch failed as a whole.
func createBatch[In any, T any](elems []In, partial bool, build func(In) (T, []string),
	echo func(In, []string) map[string]any, commit func(T) any) ([]any, bool) {
	built := make([]T, len(elems))
	errs := make([][]string, len(elems))
	failed := false

	for i, el := range elems {
		built[i], errs[i] = build(el)
		if len(errs[i]) > 0 {
			failed = true
		}
	}

	if failed && !partial {
		var out []any
		for i, el := range elems {
			if len(errs[i]) > 0 {
				out = append(out, echo(el, errs[i]))
			}
		}

		return out, true
	}

	out := make([]any, 0, len(elems))
	for i, el := range elems {
		if len(errs[i]) > 0 {
			out = append(out, echo(el, errs[i]))
			continue
		}

		out = append(out, commit(built[i]))
	}

	return out, false
}
