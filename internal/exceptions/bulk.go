package exceptions

import (
	"context"
	"strings"
)

// Bulk actions: the same action over many exceptions.
const (
	BulkAssign         = "assign"
	BulkComment        = "comment"
	BulkPark           = "park"
	BulkWriteOff       = "writeoff"
	BulkApplySuggested = "apply_suggested"
	BulkRefund         = "refund"
	BulkReturn         = "return"
)

// MaxBulk is the most exceptions one bulk request may name.
const MaxBulk = 500

// BulkRequest is one action over a list of exceptions.
type BulkRequest struct {
	Action string  `json:"action"`
	IDs    []int64 `json:"ids"`
	// Assignee is whom assign gives them to: a user, "me" or "" for nobody.
	Assignee string `json:"assignee,omitempty"`
	// Body is the comment's text.
	Body string `json:"body,omitempty"`
	// CustomerID is whose credit park makes the cash, for unknown payers.
	CustomerID string `json:"customer_id,omitempty"`
	// Reason is the write-off's reason code.
	Reason string `json:"reason,omitempty"`
	Note   string `json:"note,omitempty"`
}

// BulkItem is what the action did to one exception.
type BulkItem struct {
	ID int64 `json:"id"`
	OK bool  `json:"ok"`
	// Status is the exception's status after the action.
	Status string `json:"status,omitempty"`
	// ApprovalID is the approval a write-off above the limit now awaits.
	ApprovalID int64 `json:"approval_id,omitempty"`
	// Code and Error say why the action failed (see ErrorCode).
	Code  string `json:"code,omitempty"`
	Error string `json:"error,omitempty"`
}

// BulkResult lists the outcome per exception, in the order asked.
type BulkResult struct {
	Action    string     `json:"action"`
	Results   []BulkItem `json:"results"`
	Succeeded int        `json:"succeeded"`
	Failed    int        `json:"failed"`
}

// Bulk runs one action over each exception, each in its own transaction, so one
// that fails leaves the others done: assign, comment, park (on account),
// writeoff (the payment to the best candidate, the difference written off with
// req.Reason; above the approval limit each awaits its own approval),
// apply_suggested, refund and return. The request itself is refused (an error
// wrapping ErrInvalid) when the action or ids are wrong; each exception's
// failure is in its item, with its code and message. An internal failure's
// message is withheld from the item; the error returned is nil unless the
// request was refused.
func (s *Service) Bulk(ctx context.Context, actor string, req BulkRequest) (BulkResult,
	error) {
	res := BulkResult{Action: req.Action, Results: []BulkItem{}}

	if err := checkActor(actor); err != nil {
		return res, err
	}

	var errs fieldErrors

	do, err := s.bulkAction(actor, req, &errs)
	if err != nil {
		return res, err
	}

	switch {
	case len(req.IDs) == 0:
		errs.add("ids", "name at least one exception")
	case len(req.IDs) > MaxBulk:
		errs.add("ids", "at most %d exceptions at once", MaxBulk)
	}

	seen := map[int64]bool{}
	for _, id := range req.IDs {
		if id <= 0 || seen[id] {
			errs.add("ids", "%d is not a valid exception id or is listed twice", id)
			break
		}

		seen[id] = true
	}

	if err := errs.err(); err != nil {
		return res, err
	}

	for _, id := range req.IDs {
		item := BulkItem{ID: id}

		out, err := do(ctx, id)
		if err != nil {
			item.Code = ErrorCode(err)
			item.Error = err.Error()

			if item.Code == "internal" {
				item.Error = "internal error"
			}

			res.Failed++
		} else {
			item.OK, item.Status = true, out.Status
			if out.Approval != nil {
				item.ApprovalID = out.Approval.ID
			}

			res.Succeeded++
		}

		res.Results = append(res.Results, item)
	}

	return res, nil
}

// bulkAction returns the function that acts on one exception.
func (s *Service) bulkAction(actor string, req BulkRequest,
	errs *fieldErrors) (func(context.Context, int64) (Outcome, error), error) {
	switch req.Action {
	case BulkAssign:
		who := strings.TrimSpace(req.Assignee)
		if who == AssigneeMe {
			who = actor
		}

		return func(ctx context.Context, id int64) (Outcome, error) {
			if err := s.AssignWithNote(ctx, id, actor, who, req.Note); err != nil {
				return Outcome{}, err
			}

			return Outcome{ExceptionID: id, Status: "open"}, nil
		}, nil
	case BulkComment:
		return func(ctx context.Context, id int64) (Outcome, error) {
			_, err := s.Comment(ctx, id, actor, req.Body)
			return Outcome{ExceptionID: id}, err
		}, nil
	case BulkPark:
		return func(ctx context.Context, id int64) (Outcome, error) {
			return s.Park(ctx, id, actor, ParkRequest{CustomerID: req.CustomerID,
				Note: req.Note})
		}, nil
	case BulkWriteOff:
		if !s.Policy.allows(req.Reason) {
			errs.add("reason", "give one of %s", strings.Join(s.Policy.reasons(), ", "))
		}

		return func(ctx context.Context, id int64) (Outcome, error) {
			return s.WriteOff(ctx, id, actor, WriteOffRequest{Reason: req.Reason,
				Note: req.Note})
		}, nil
	case BulkApplySuggested:
		return func(ctx context.Context, id int64) (Outcome, error) {
			return s.ApplySuggested(ctx, id, actor, req.Note)
		}, nil
	case BulkRefund:
		return func(ctx context.Context, id int64) (Outcome, error) {
			return s.MarkRefund(ctx, id, actor, PayBackRequest{Note: req.Note})
		}, nil
	case BulkReturn:
		return func(ctx context.Context, id int64) (Outcome, error) {
			return s.MarkReturn(ctx, id, actor, PayBackRequest{Note: req.Note})
		}, nil
	default:
		return nil, invalid("action", "must be one of %s", strings.Join([]string{BulkAssign,
			BulkComment, BulkPark, BulkWriteOff, BulkApplySuggested, BulkRefund, BulkReturn},
			", "))
	}
}
