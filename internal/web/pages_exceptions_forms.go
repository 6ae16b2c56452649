package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/money"
)

// otherRows is how many rows the apply and split forms offer for invoices that
// are not candidates.
const otherRows = 2

// lineRows maps the lines of a request back to the form's rows: row k of the
// request is the form's field name prefix rows[k] ("amount.N" or "other.N").
type lineRows []string

var lineField = regexp.MustCompile(`^lines\[(\d+)\]\.(\w+)$`)

// rename gives a line's refused field the name of the form's row: "invoice.N"
// and "amount.N" for candidate N, "other_invoice.N" and "other_amount.N" for the
// other rows. Fields of no row keep their name.
func (rows lineRows) rename(field string) string {
	m := lineField.FindStringSubmatch(field)
	if m == nil {
		return field
	}

	k, err := strconv.Atoi(m[1])
	if err != nil || k >= len(rows) {
		return field
	}

	kind, n, _ := strings.Cut(rows[k], ".")
	part := "amount"
	if m[2] == "invoice_number" {
		part = "invoice"
	}

	if kind == "other" {
		return "other_" + part + "." + n
	}

	return part + "." + n
}

// formValueAt is the i-th value of a repeated field, "" when there is none.
func formValueAt(vs []string, i int) string {
	if i < len(vs) {
		return strings.TrimSpace(vs[i])
	}

	return ""
}

// linesOf reads the rows of the apply and split forms: the candidates' rows
// (fields invoice, hidden, and amount, repeated in the same order) count when
// their amount is filled, the other rows (other_invoice and other_amount) when
// either field is.
func linesOf(form url.Values) (exceptions.ApplyRequest, lineRows) {
	var req exceptions.ApplyRequest
	var rows lineRows

	for i, inv := range form["invoice"] {
		a := formValueAt(form["amount"], i)
		if a == "" {
			continue
		}

		req.Lines = append(req.Lines, exceptions.Line{InvoiceNumber: strings.TrimSpace(inv),
			Amount: a})
		rows = append(rows, "amount."+strconv.Itoa(i))
	}

	for j := range max(len(form["other_invoice"]), len(form["other_amount"])) {
		inv, a := formValueAt(form["other_invoice"], j), formValueAt(form["other_amount"], j)
		if inv == "" && a == "" {
			continue
		}

		req.Lines = append(req.Lines, exceptions.Line{InvoiceNumber: inv, Amount: a})
		rows = append(rows, "other."+strconv.Itoa(j))
	}

	return req, rows
}

// writeOffField names a write-off's refused field as the form does: the
// write-off becomes one line of an application.
func writeOffField(field string) string {
	switch field {
	case "lines[0].invoice_number":
		return "invoice_number"
	case "lines[0].amount":
		return "amount"
	case "lines[0].writeoff":
		return "writeoff"
	case "lines[0].writeoff_reason":
		return "reason"
	}

	return field
}

// linesView is what the apply and split forms draw: a row per candidate, then
// the rows for other invoices.
type linesView struct {
	Form   string
	Rows   []lineRow
	Others []lineRow
}

// lineRow is one invoice row of the apply or split form.
type lineRow struct {
	Index      int
	Invoice    string
	Label      string
	Amount     string
	InvoiceErr string
	AmountErr  string
}

// At is the i-th value of a repeated field of form when it was refused.
func (d detailData) At(form, field string, i int) string {
	if d.Posted != form {
		return ""
	}

	return formValueAt(d.Form[field], i)
}

// Lines is the rows of the apply or split form, with what was typed in them
// when the form was refused.
func (d detailData) Lines(form string) linesView {
	v := linesView{Form: form}
	cur := d.D.Payment.Tx.Amount.Currency

	for i, c := range d.D.Candidates {
		n := strconv.Itoa(i)
		label := "Amount for " + c.InvoiceNumber
		if c.Invoice != nil {
			label += " (open " + money.New(c.Invoice.Open, c.Invoice.Currency).Decimal() +
				" " + c.Invoice.Currency + ")"
		}

		v.Rows = append(v.Rows, lineRow{Index: i, Invoice: c.InvoiceNumber, Label: label,
			Amount: d.At(form, "amount", i), InvoiceErr: d.Err(form, "invoice."+n),
			AmountErr: d.Err(form, "amount."+n)})
	}

	for j := range otherRows {
		n := strconv.Itoa(j)
		v.Others = append(v.Others, lineRow{Index: j,
			Invoice: d.At(form, "other_invoice", j), Label: "Amount in " + cur,
			Amount: d.At(form, "other_amount", j), InvoiceErr: d.Err(form, "other_invoice."+n),
			AmountErr: d.Err(form, "other_amount."+n)})
	}

	return v
}

// amountWithCurrency writes minor units of currency for a message: "360.50 EUR".
func amountWithCurrency(minor int64, currency string) string {
	return money.New(minor, currency).Decimal() + " " + currency
}

// splitSubmit applies part of the payment to the rows filled in (as apply does)
// and leaves the rest as a new open exception, or on account when the field rest
// says on_account.
func (s *Server) splitSubmit(w http.ResponseWriter, r *http.Request) {
	id, ok := s.formID(w, r)
	if !ok {
		return
	}

	req, rows := linesOf(r.PostForm)
	req.Rest = r.PostFormValue("rest")
	req.Note = r.PostFormValue("note")

	out, err := s.exceptions.Split(r.Context(), id, actor(r), req)
	if err != nil {
		s.afterForm(w, r, id, "split", "", err, rows.rename)
		return
	}

	var applied int64
	for _, a := range out.Applications {
		applied += a.Amount
	}

	msg := fmt.Sprintf("Split: %s applied to %d %s; ", amountWithCurrency(applied, out.Currency),
		len(out.Applications), pluralize(len(out.Applications), "invoice", "invoices"))
	if out.RemainderID > 0 {
		msg += fmt.Sprintf("the rest, %s, is now exception %d.",
			amountWithCurrency(out.UnappliedMinor, out.Currency), out.RemainderID)
	} else {
		msg += fmt.Sprintf("the rest, %s, is kept on account.",
			amountWithCurrency(out.ParkedMinor, out.Currency))
	}

	exceptionDone(w, r, id, msg, out.RemainderID)
}

func pluralize(n int, one, many string) string {
	if n == 1 {
		return one
	}

	return many
}

// refundSubmit marks what the payment has left for a refund to the payer.
func (s *Server) refundSubmit(w http.ResponseWriter, r *http.Request) {
	s.payBackSubmit(w, r, "refund")
}

// returnSubmit marks what the payment has left for a return through the bank.
func (s *Server) returnSubmit(w http.ResponseWriter, r *http.Request) {
	s.payBackSubmit(w, r, "return")
}

func (s *Server) payBackSubmit(w http.ResponseWriter, r *http.Request, form string) {
	id, ok := s.formID(w, r)
	if !ok {
		return
	}

	req := exceptions.PayBackRequest{Note: r.PostFormValue("note")}
	mark, words := s.exceptions.MarkRefund, "a refund to the payer"
	if form == "return" {
		mark, words = s.exceptions.MarkReturn, "a return through the bank"
	}

	out, err := mark(r.Context(), id, actor(r), req)
	msg := fmt.Sprintf("Marked for %s: %s goes back; the exception is %s.", words,
		amountWithCurrency(out.UnappliedMinor, out.Currency), out.Status)
	s.afterAction(w, r, id, form, msg, err)
}

// closeSubmit ends the follow-up of an exception with no cash to apply; the note
// saying what was done is required.
func (s *Server) closeSubmit(w http.ResponseWriter, r *http.Request) {
	id, ok := s.formID(w, r)
	if !ok {
		return
	}

	out, err := s.exceptions.Close(r.Context(), id, actor(r),
		exceptions.CloseRequest{Note: r.PostFormValue("note")})
	s.afterAction(w, r, id, "close", "Closed: the exception is "+out.Status+".", err)
}

// reopenSubmit opens a closed exception again, undoing its applications.
func (s *Server) reopenSubmit(w http.ResponseWriter, r *http.Request) {
	id, ok := s.formID(w, r)
	if !ok {
		return
	}

	out, err := s.exceptions.Reopen(r.Context(), id, actor(r), r.PostFormValue("note"))
	msg := fmt.Sprintf("Reopened: %d %s undone (the ERP is told); %s left to apply.",
		len(out.Unapplied), pluralize(len(out.Unapplied), "application", "applications"),
		amountWithCurrency(out.UnappliedMinor, out.Currency))
	s.afterAction(w, r, id, "reopen", msg, err)
}

// applySuggestedSubmit applies the payment to the exception's suggested invoice.
func (s *Server) applySuggestedSubmit(w http.ResponseWriter, r *http.Request) {
	id, ok := s.formID(w, r)
	if !ok {
		return
	}

	out, err := s.exceptions.ApplySuggested(r.Context(), id, actor(r),
		r.PostFormValue("note"))

	msg := "Done: the exception is " + out.Status + "."
	if len(out.Applications) == 1 {
		a := out.Applications[0]
		msg = fmt.Sprintf("Applied %s to %s as suggested: the exception is %s.",
			amountWithCurrency(a.Amount, a.Currency), a.InvoiceNumber, out.Status)
	}

	s.afterAction(w, r, id, "apply_suggested", msg, err)
}
