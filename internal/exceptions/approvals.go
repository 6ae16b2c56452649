package exceptions

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/o2c-dev/o2c/internal/store"
)

// Approve lets a pending write-off take effect: the request is checked again
// against the state now and applied (see Apply) under the name of the person who
// asked, with the approver recorded. The person who asked cannot approve it
// (ErrSelfApproval); one that no longer adds up is refused and stays pending, to
// be rejected.
func (s *Service) Approve(ctx context.Context, approvalID int64, actor,
	note string) (Outcome, error) {
	if err := checkActor(actor); err != nil {
		return Outcome{}, err
	}

	if msg := checkText(note, maxNote); msg != "" {
		return Outcome{}, invalid("note", "%s", msg)
	}

	var out Outcome

	err := s.inTx(ctx, func(tx pgx.Tx) error {
		a, err := store.GetApproval(ctx, tx, approvalID, true)
		if err != nil {
			return err
		}

		if a.Status != store.ApprovalPending {
			return fmt.Errorf("approval %d is %s: %w", a.ID, a.Status, store.ErrConflict)
		}

		if a.RequestedBy == actor {
			return fmt.Errorf("approval %d was asked by %s: %w", a.ID, actor, ErrSelfApproval)
		}

		var req ApplyRequest
		if err := json.Unmarshal(a.Request, &req); err != nil {
			return fmt.Errorf("decode approval %d: %w", a.ID, err)
		}

		t, err := lockOpenExcept(ctx, tx, a.ExceptionID, a.ID)
		if err != nil {
			return err
		}

		decided, err := store.DecideApproval(ctx, tx, a.ID, store.ApprovalApproved, actor, note)
		if err != nil {
			return err
		}

		out, err = s.apply(ctx, tx, t, a.RequestedBy, "writeoff", req, nil,
			approvedBy{approval: a, approver: actor})
		out.Approval = &decided

		return err
	})

	return out, err
}

// Reject turns down a pending write-off; nothing is applied and the exception is
// open for other actions again. The person who asked may reject their own
// request: it is then withdrawn.
func (s *Service) Reject(ctx context.Context, approvalID int64, actor,
	note string) (store.Approval, error) {
	if err := checkActor(actor); err != nil {
		return store.Approval{}, err
	}

	if msg := checkText(note, maxNote); msg != "" {
		return store.Approval{}, invalid("note", "%s", msg)
	}

	var out store.Approval

	err := s.inTx(ctx, func(tx pgx.Tx) error {
		a, err := store.GetApproval(ctx, tx, approvalID, true)
		if err != nil {
			return err
		}

		status := store.ApprovalRejected
		if a.RequestedBy == actor {
			status = store.ApprovalWithdrawn
		}

		out, err = store.DecideApproval(ctx, tx, a.ID, status, actor, note)

		return err
	})

	return out, err
}

// Approvals lists approvals in status ("" for all), newest first, at most limit
// (100 when 0).
func (s *Service) Approvals(ctx context.Context, status string,
	limit int) ([]store.Approval, error) {
	switch status {
	case "", store.ApprovalPending, store.ApprovalApproved, store.ApprovalRejected,
		store.ApprovalWithdrawn:
	default:
		return nil, invalid("status", "must be pending, approved, rejected or withdrawn")
	}

	if limit <= 0 {
		limit = 100
	}

	out, err := store.Approvals(ctx, s.Pool, status, 0, limit)
	if out == nil {
		out = []store.Approval{}
	}

	return out, err
}
