package exceptions

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"time"

	"github.com/o2c-dev/o2c/internal/matching"
	"github.com/o2c-dev/o2c/internal/store"
)

// Payer is who paid, as the bank named them and as o2c identified them.
type Payer struct {
	// Name, Account and ID are as the bank file gave them.
	Name    string `json:"name,omitempty"`
	Account string `json:"account,omitempty"`
	ID      string `json:"id,omitempty"`
	// CustomerID is the customer o2c holds the payment for, "" when unknown.
	CustomerID   string `json:"customer_id,omitempty"`
	CustomerName string `json:"customer_name,omitempty"`
	// How says how the customer was found: the matching engine's payer feature
	// (account, id, name, alias, fuzzy_name, related), "ops" when a person named
	// the customer, or "unknown".
	How string `json:"how"`
}

// InvoiceBrief is an invoice as it stands now.
type InvoiceBrief struct {
	Number       string    `json:"number"`
	CustomerID   string    `json:"customer_id"`
	CustomerName string    `json:"customer_name"`
	Currency     string    `json:"currency"`
	Total        int64     `json:"total_minor"`
	Open         int64     `json:"open_minor"`
	Status       string    `json:"status"`
	IssueDate    time.Time `json:"issue_date"`
	DueDate      time.Time `json:"due_date"`
	PONumber     string    `json:"po_number,omitempty"`
}

// CandidateView is a candidate invoice of an exception, ranked by score, with
// the features it was scored on and the invoice as it stands now.
type CandidateView struct {
	Rank int `json:"rank"`
	store.Candidate
	Features *matching.Features `json:"features,omitempty"`
	Invoice  *InvoiceBrief      `json:"invoice,omitempty"`
	// Problem says why the invoice cannot take the payment now; "" when it can.
	Problem string `json:"problem,omitempty"`
	// Suggested marks the candidate ApplySuggested would apply.
	Suggested bool `json:"suggested"`
}

// Actions an exception's Detail may offer.
const (
	ActionApply          = "apply"
	ActionSplit          = "split"
	ActionWriteOff       = "writeoff"
	ActionPark           = "park"
	ActionRefund         = "refund"
	ActionReturn         = "return"
	ActionClose          = "close"
	ActionApplySuggested = "apply_suggested"
	ActionComment        = "comment"
	ActionAssign         = "assign"
	ActionReopen         = "reopen"
	ActionApprove        = "approve"
	ActionReject         = "reject"
)

// Detail is an exception with everything needed to work it.
type Detail struct {
	Exception store.Exception `json:"exception"`
	// Payment carries the raw remittance (Tx.Remittance) and the structured
	// remits (Tx.Remits) as the bank file gave them.
	Payment store.PaymentRow `json:"payment"`
	Payer   Payer            `json:"payer"`
	// Candidates are ranked by score, best first.
	Candidates []CandidateView `json:"candidates"`
	// Decision is the matching engine's account of the payment: every scored
	// candidate, the runner-up and the margin, the sentence shown to ops; nil
	// when the engine did not decide it.
	Decision *matching.Trace `json:"decision,omitempty"`
	// Applications are the payment's, reversed ones included, oldest first.
	Applications []store.AppliedHistory `json:"applications"`
	// Related are the payment's other exceptions (a split's parent and rests).
	Related   []store.Exception `json:"related"`
	Comments  []store.Comment   `json:"comments"`
	Approvals []store.Approval  `json:"approvals"`
	// PendingApproval is the approval the exception awaits, nil when none.
	PendingApproval *store.Approval `json:"pending_approval,omitempty"`
	// History is the audit log of the exception and its payment, newest first.
	History []store.AuditEntry `json:"history"`
	// Actions are those the exception's state allows now; the page still checks
	// the user's role (and approvals are not the asker's to approve).
	Actions []string `json:"actions"`
	// WriteOffReasons are the reason codes a write-off may give.
	WriteOffReasons []string `json:"writeoff_reasons"`
	// ApprovalLimit is the largest write-off one person may make alone in the
	// payment's currency, in minor units.
	ApprovalLimit int64 `json:"approval_limit_minor"`
}

// historyLimit bounds the audit entries of each entity a Detail shows.
const historyLimit = 200

// Get returns one exception with its payment, payer, ranked candidates, the
// engine's decision, the payment's applications, comments, approvals and
// history.
func (s *Service) Get(ctx context.Context, id int64) (Detail, error) {
	var d Detail

	e, err := store.GetException(ctx, s.Pool, id, false)
	if err != nil {
		return d, err
	}

	p, err := store.GetPayment(ctx, s.Pool, e.PaymentID)
	if err != nil {
		return d, err
	}

	d = Detail{Exception: e, Payment: p, WriteOffReasons: s.Policy.Reasons(),
		ApprovalLimit: s.Policy.ApprovalLimit(p.Tx.Amount.Currency)}

	if len(p.Decision) > 0 && string(p.Decision) != "null" {
		var t matching.Trace
		if err := json.Unmarshal(p.Decision, &t); err == nil {
			d.Decision = &t
		}
	}

	if d.Payer, err = s.payer(ctx, p, d.Decision); err != nil {
		return d, err
	}

	if d.Candidates, err = s.candidates(ctx, e, p, d.Decision); err != nil {
		return d, err
	}

	if err := s.fill(ctx, &d); err != nil {
		return d, err
	}

	d.Actions = actions(d)

	return d, nil
}

// fill reads the lists of a Detail.
func (s *Service) fill(ctx context.Context, d *Detail) error {
	e, p := d.Exception, d.Payment

	apps, err := store.ApplicationHistory(ctx, s.Pool, p.ID)
	if err != nil {
		return err
	}

	related, err := store.ExceptionsOfPayment(ctx, s.Pool, p.ID)
	if err != nil {
		return err
	}

	comments, err := store.Comments(ctx, s.Pool, e.ID)
	if err != nil {
		return err
	}

	approvals, err := store.Approvals(ctx, s.Pool, "", e.ID, 100)
	if err != nil {
		return err
	}

	hist, err := store.AuditLog(ctx, s.Pool, "exception", itoa(e.ID), historyLimit)
	if err != nil {
		return err
	}

	payHist, err := store.AuditLog(ctx, s.Pool, "payment", itoa(p.ID), historyLimit)
	if err != nil {
		return err
	}

	hist = append(hist, payHist...)
	sort.Slice(hist, func(i, j int) bool { return hist[i].ID > hist[j].ID })

	d.Applications, d.Comments, d.Approvals, d.History = orEmpty(apps), orEmpty(comments),
		orEmpty(approvals), orEmpty(hist)

	d.Related = []store.Exception{}
	for _, x := range related {
		if x.ID != e.ID {
			d.Related = append(d.Related, x)
		}
	}

	for i, a := range d.Approvals {
		if a.Status == store.ApprovalPending {
			d.PendingApproval = &d.Approvals[i]
		}
	}

	return nil
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}

	return s
}

// payer says who paid and how o2c knows.
func (s *Service) payer(ctx context.Context, p store.PaymentRow,
	t *matching.Trace) (Payer, error) {
	py := Payer{Name: p.Tx.PayerName, Account: p.Tx.PayerAccount, ID: p.Tx.PayerID,
		CustomerID: p.CustomerID, How: "unknown"}

	if p.CustomerID == "" {
		return py, nil
	}

	name, err := store.CustomerName(ctx, s.Pool, p.CustomerID)
	if err != nil {
		return py, err
	}

	py.CustomerName, py.How = name, "ops"

	if t != nil {
		for _, c := range t.Candidates {
			switch c.Features.Payer {
			case "", "unknown", "other":
			default:
				py.How = c.Features.Payer
				return py, nil
			}
		}
	}

	return py, nil
}

// candidates ranks an exception's candidates and tells which can take the
// payment now.
func (s *Service) candidates(ctx context.Context, e store.Exception, p store.PaymentRow,
	t *matching.Trace) ([]CandidateView, error) {
	cs := append([]store.Candidate(nil), e.Candidates...)
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].Score > cs[j].Score })

	features := map[string]*matching.Features{}
	if t != nil {
		for i := range t.Candidates {
			c := &t.Candidates[i]
			if len(c.Invoices) == 1 && features[c.Invoices[0]] == nil {
				features[c.Invoices[0]] = &c.Features
			}
		}
	}

	suggested := ""
	if c, err := suggestion(e); err == nil {
		suggested = c.InvoiceNumber
	}

	out := make([]CandidateView, len(cs))
	for i, c := range cs {
		v := CandidateView{Rank: i + 1, Candidate: c, Features: features[c.InvoiceNumber],
			Suggested: c.InvoiceNumber == suggested}

		inv, err := store.Invoice(ctx, s.Pool, c.InvoiceNumber)
		switch {
		case errors.Is(err, store.ErrNotFound):
			v.Problem = "no such invoice any more"
		case err != nil:
			return nil, err
		default:
			v.Invoice = &InvoiceBrief{Number: inv.Number, CustomerID: inv.CustomerID,
				CustomerName: inv.CustomerName, Currency: inv.Currency, Total: inv.Total,
				Open: inv.Open, Status: inv.Status, IssueDate: inv.IssueDate,
				DueDate: inv.DueDate, PONumber: inv.PONumber}

			switch {
			case inv.Currency != p.Tx.Amount.Currency:
				v.Problem = "invoice is in " + inv.Currency
			case inv.Status != store.InvoiceOpen || inv.Open == 0:
				v.Problem = "invoice is " + inv.Status + " with nothing open"
			}
		}

		out[i] = v
	}

	return out, nil
}

// actions lists what the exception's state allows now.
func actions(d Detail) []string {
	t := target{e: d.Exception, p: d.Payment}
	out := []string{ActionComment}

	switch {
	case d.Exception.Status != store.ExceptionOpen:
		if d.Exception.Status != store.ExceptionSuperseded &&
			d.Payment.Status != store.PaymentReturned {
			out = append(out, ActionReopen)
		}
	case d.PendingApproval != nil:
		out = append(out, ActionAssign, ActionApprove, ActionReject)
	case !t.cash() || t.p.Unapplied <= 0:
		out = append(out, ActionAssign, ActionClose)
	default:
		out = append(out, ActionAssign, ActionApply, ActionSplit, ActionWriteOff, ActionPark,
			ActionRefund, ActionReturn)

		for _, c := range d.Candidates {
			if c.Suggested && c.Problem == "" && c.Invoice != nil &&
				c.Invoice.Open >= t.p.Unapplied {
				out = append(out, ActionApplySuggested)
			}
		}
	}

	return out
}
