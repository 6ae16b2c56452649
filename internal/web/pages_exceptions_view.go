package web

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/matching"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/store"
)

// writeOffReasonLabels say the default write-off reason codes in words; a code a
// deployment adds is shown with its underscores as spaces.
var writeOffReasonLabels = map[string]string{
	"bank_fee":               "fee the bank kept",
	"short_payment":          "customer paid short",
	"rounding":               "rounding difference",
	"discount_outside_terms": "discount taken outside the terms",
}

// reasonLabel says a write-off reason code in words.
func reasonLabel(code string) string {
	if l, ok := writeOffReasonLabels[code]; ok {
		return l
	}

	return strings.ReplaceAll(code, "_", " ")
}

// statusWords says a status code in words, from the statuses of the badges.
func statusWords(code string) string {
	if st, ok := statuses[code]; ok {
		return st.label
	}

	return strings.ReplaceAll(code, "_", " ")
}

// approvalLine is one invoice of a write-off's request, its amounts formatted.
type approvalLine struct {
	Invoice, Cash, WriteOff, Reason, ReasonLabel string
	// Customer names the invoice's customer and Open what it has open now; both
	// "" when o2c holds no such invoice.
	Customer, Open string
	// Foreign is set when the invoice is another customer's than the payer's.
	Foreign bool
}

// approvalView is an approval with its request read out for the approver.
type approvalView struct {
	store.Approval
	Lines []approvalLine
	// Rest says what happens to the cash the lines leave, in words.
	Rest string
	// CustomerID is the customer the request names, "" when it names none.
	CustomerID string
	// Unreadable is set when the stored request could not be read.
	Unreadable bool
	// Earlier is what standing applications of the same payment already wrote
	// off: the approval counts it with the request against the limit.
	Earlier string
}

// Decided reports whether the approval was approved, rejected or withdrawn.
func (a approvalView) Decided() bool { return a.Status != store.ApprovalPending }

// Verb says what the decision was, for "approved by".
func (a approvalView) Verb() string {
	switch a.Status {
	case store.ApprovalApproved:
		return "Approved"
	case store.ApprovalRejected:
		return "Rejected"
	case store.ApprovalWithdrawn:
		return "Withdrawn"
	}

	return "Awaiting a decision"
}

// restWords says an ApplyRequest's Rest in words.
func restWords(rest string) string {
	switch rest {
	case exceptions.RestOpen:
		return "what is left stays open as a new exception"
	case exceptions.RestOnAccount:
		return "what is left goes on the customer's account"
	}

	return "the request must use all the cash"
}

// viewApproval reads an approval's stored request.
func viewApproval(a store.Approval) approvalView {
	v := approvalView{Approval: a}

	var req exceptions.ApplyRequest
	if err := json.Unmarshal(a.Request, &req); err != nil {
		v.Unreadable = true
		return v
	}

	v.Rest, v.CustomerID = restWords(req.Rest), req.CustomerID
	for _, l := range req.Lines {
		v.Lines = append(v.Lines, approvalLine{Invoice: l.InvoiceNumber,
			Cash: decimalOrZero(l.Amount, a.Currency), WriteOff: decimalOrZero(l.WriteOff,
				a.Currency), Reason: l.WriteOffReason, ReasonLabel: reasonLabel(l.WriteOffReason)})
	}

	return v
}

// decimalOrZero is a request's decimal string written as the currency writes it,
// "0" for an empty one.
func decimalOrZero(s, currency string) string {
	if strings.TrimSpace(s) == "" {
		return money.New(0, currency).Decimal()
	}

	if a, err := money.Parse(s, currency); err == nil {
		return a.Decimal()
	}

	return s
}

// ReasonLabel says a write-off reason code in words.
func (d detailData) ReasonLabel(code string) string { return reasonLabel(code) }

// Approvals are the exception's approvals with their requests read out.
func (d detailData) Approvals() []approvalView {
	out := make([]approvalView, len(d.D.Approvals))
	for i, a := range d.D.Approvals {
		out[i] = d.approval(a)
	}

	return out
}

// Pending is the approval the exception awaits with its request read out, nil
// when none.
func (d detailData) Pending() *approvalView {
	if d.D.PendingApproval == nil {
		return nil
	}

	v := d.approval(*d.D.PendingApproval)

	return &v
}

// approval reads a out with what the approver must see beside the request: whose
// each invoice is and what it has open, flagged when it is not the payer's, and
// what the payment had written off already.
func (d detailData) approval(a store.Approval) approvalView {
	v := viewApproval(a)

	payer := d.D.Payment.CustomerID
	if payer == "" {
		payer = v.CustomerID
	}

	for i, l := range v.Lines {
		inv, ok := d.Invoices[l.Invoice]
		if !ok {
			continue
		}

		v.Lines[i].Customer = inv.CustomerName + " (" + inv.CustomerID + ")"
		v.Lines[i].Open = money.New(inv.Open, inv.Currency).Decimal() + " " + inv.Currency
		v.Lines[i].Foreign = payer != "" && inv.CustomerID != payer
	}

	if a.Status == store.ApprovalPending {
		var earlier int64
		for _, app := range d.D.Applications {
			if app.ReversedAt == nil && app.Currency == a.Currency {
				earlier += app.WriteOff
			}
		}

		if earlier > 0 {
			v.Earlier = money.New(earlier, a.Currency).Decimal()
		}
	}

	return v
}

// approvalInvoices reads the invoices the approvals of d name, for approval.
func (s *Server) approvalInvoices(ctx context.Context, d exceptions.Detail) (
	map[string]store.InvoiceRow, error) {
	var numbers []string

	for _, a := range d.Approvals {
		for _, l := range viewApproval(a).Lines {
			numbers = append(numbers, l.Invoice)
		}
	}

	out := map[string]store.InvoiceRow{}
	if len(numbers) == 0 {
		return out, nil
	}

	list, err := store.InvoicesByNumber(ctx, s.cfg.Pool, numbers)
	for _, inv := range list {
		out[inv.Number] = inv
	}

	return out, err
}

// historyRow is one audit entry as the page says it.
type historyRow struct {
	At               time.Time
	Actor, Action    string
	What             string
	Entity, EntityID string
	// Note is what the person typed with the action, "" when nothing.
	Note string
}

// historyWords say the audited actions of an exception and its payment.
var historyWords = map[string]string{
	"resolved":           "resolved the exception",
	"on_account":         "parked the cash on account",
	"refund_pending":     "marked the cash for refund",
	"return_pending":     "marked the cash for return",
	"superseded":         "merged the exception back",
	"resolve":            "updated the payment",
	"assign":             "assigned the exception",
	"comment":            "commented",
	"approval_requested": "asked for approval of a write-off",
	"approve":            "approved the write-off",
	"reject":             "rejected the write-off",
	"withdraw":           "withdrew the write-off request",
	"reopen":             "reopened",
	"extend":             "extended the exception",
	"returned":           "recorded the bank's return",
	"reversal_handled":   "handled the reversal",
}

// History is the exception's audit log with each action in words and the note
// typed with it.
func (d detailData) History() []historyRow {
	out := make([]historyRow, len(d.D.History))
	for i, h := range d.D.History {
		what, ok := historyWords[h.Action]
		if !ok {
			what = strings.ReplaceAll(h.Action, "_", " ")
		}

		r := historyRow{At: h.At, Actor: h.Actor, Action: h.Action, What: what,
			Entity: h.Entity, EntityID: h.EntityID, Note: auditNote(h.After)}

		if h.Action == "assign" {
			r.What = "assigned the exception to " + auditField(h.After, "assignee")
			if auditField(h.After, "assignee") == "" {
				r.What = "unassigned the exception"
			}
		}

		out[i] = r
	}

	return out
}

// auditField is a string field of an audit entry's JSON object, "" when absent.
func auditField(raw json.RawMessage, key string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}

	var s string
	if json.Unmarshal(m[key], &s) != nil {
		return ""
	}

	return s
}

// auditNote finds the note an action's audit entry keeps: at its top (assign,
// reopen, approvals), in its request, or in the request of its resolution
// (apply, split, write-off, park, refund, return, close).
func auditNote(raw json.RawMessage) string {
	if n := auditField(raw, "note"); n != "" {
		return n
	}

	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}

	if n := auditField(m["request"], "note"); n != "" {
		return n
	}

	var res map[string]json.RawMessage
	if json.Unmarshal(m["resolution"], &res) != nil {
		return ""
	}

	return auditField(res["request"], "note")
}

// NoCandidate says why o2c found no candidate invoice, for a page that has none.
func (d detailData) NoCandidate() string {
	if t := d.D.Decision; t != nil && t.Sentence != "" {
		return t.Sentence
	}

	if m := d.D.Exception.Message; m != "" {
		return m
	}

	return "nothing in the payment points to an open invoice"
}

// HasRunnerUp reports whether the decision had a runner-up, so its margin means
// something.
func (d detailData) HasRunnerUp() bool {
	return d.D.Decision != nil && d.D.Decision.RunnerUp != nil
}

// PayerWhy says why o2c did not identify the payer, "" when the decision does
// not say.
func (d detailData) PayerWhy() string {
	t := d.D.Decision
	if t == nil {
		return ""
	}

	if d.D.Exception.Reason == matching.ReasonUnknownPayer && t.Sentence != "" {
		return t.Sentence
	}

	for _, c := range t.Candidates {
		if c.Features.Payer == "other" {
			return "the bank's payer details name none of the candidates' customers"
		}
	}

	if len(t.Candidates) == 0 && t.Sentence != "" {
		return t.Sentence
	}

	return ""
}
