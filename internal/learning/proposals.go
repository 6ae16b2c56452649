package learning

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/store"
)

// ErrInvalid reports a decision that cannot be made, such as one without an actor.
var ErrInvalid = errors.New("invalid decision")

// Approve accepts a proposal, in one transaction with its effect and the audit
// entry: a payer-name rule adds the name as a confirmed alias of the customer, a
// payer-account rule confirms the account as the customer's, an account
// conflict moves the account to the customer, and a reference-format rule
// gives the customer the format (store.AddCustomerRefFormat), which the
// matching engine then reads, for a payer identified as that customer, as a
// full reference to the customer's own invoice of that number (see
// billing.Customer.RefFormats). A proposal already decided is refused with
// store.ErrConflict.
func Approve(ctx context.Context, pool *pgxpool.Pool, id int64, actor string) (store.Proposal,
	error) {
	return decide(ctx, pool, id, actor, store.ProposalApproved)
}

// Reject turns a proposal down, audited; it stays listed as rejected. An
// approved reference-format rule may be rejected too, which un-approves it: the
// customer loses the format in the same transaction. Other approved proposals,
// and rejected ones, are refused with store.ErrConflict.
func Reject(ctx context.Context, pool *pgxpool.Pool, id int64, actor string) (store.Proposal,
	error) {
	return decide(ctx, pool, id, actor, store.ProposalRejected)
}

func decide(ctx context.Context, pool *pgxpool.Pool, id int64, actor,
	status string) (store.Proposal, error) {
	var out store.Proposal

	if strings.TrimSpace(actor) == "" {
		return out, fmt.Errorf("%w: an actor is required", ErrInvalid)
	}

	err := store.InTx(ctx, pool, func(tx pgx.Tx) error {
		p, err := store.GetProposal(ctx, tx, id, true)
		if err != nil {
			return err
		}

		revoke := status == store.ProposalRejected && p.Status == store.ProposalApproved &&
			p.Kind == store.ObserveRefFormat
		if p.Status != store.ProposalProposed && !revoke {
			return fmt.Errorf("proposal %d is %s: %w", id, p.Status, store.ErrConflict)
		}

		effect := map[string]any{}
		switch {
		case revoke:
			if err := store.RevokeProposal(ctx, tx, id, actor); err != nil {
				return err
			}

			effect, err = unapply(ctx, tx, p)
		case status == store.ProposalApproved:
			if err := store.DecideProposal(ctx, tx, id, status, actor); err != nil {
				return err
			}

			effect, err = apply(ctx, tx, p, actor)
		default:
			err = store.DecideProposal(ctx, tx, id, status, actor)
		}

		if err != nil {
			return err
		}

		effect["status"] = status

		err = store.Audit(ctx, tx, actor, status, "rule_proposal", strconv.FormatInt(id, 10),
			map[string]string{"status": p.Status}, effect)
		if err != nil {
			return err
		}

		out, err = store.GetProposal(ctx, tx, id, false)

		return err
	})

	return out, err
}

// pattern is the union of the fields proposals store in their pattern.
type pattern struct {
	Key     string `json:"key"`
	Name    string `json:"name"`
	Account string `json:"account"`
	HeldBy  string `json:"held_by"`
	Format  string `json:"format"`
}

// apply makes a proposal approved by actor take effect and returns what it did.
func apply(ctx context.Context, tx pgx.Tx, p store.Proposal, actor string) (map[string]any,
	error) {
	pt, err := decodePattern(p)
	if err != nil {
		return nil, err
	}

	switch p.Kind {
	case store.ObservePayerName:
		name := pt.Name
		if name == "" {
			name = pt.Key
		}

		changed, err := store.AddCustomerAlias(ctx, tx, p.CustomerID, name, false)

		return map[string]any{"alias": name, "customer_id": p.CustomerID,
			"changed": changed}, err
	case store.ObservePayerAccount:
		changed, err := store.AddCustomerAccount(ctx, tx, p.CustomerID, pt.Account, false)

		return map[string]any{"account": pt.Account, "customer_id": p.CustomerID,
			"changed": changed}, err
	case store.ProposalAccountConflict:
		from, err := store.MoveCustomerAccount(ctx, tx, pt.Account, p.CustomerID)

		return map[string]any{"account": pt.Account, "customer_id": p.CustomerID,
			"moved_from": from}, err
	case store.ObserveRefFormat:
		if !approvable(pt.Format) {
			return nil, fmt.Errorf("%w: proposal %d: reference format %q cannot be approved",
				ErrInvalid, p.ID, pt.Format)
		}

		changed, err := store.AddCustomerRefFormat(ctx, tx, p.CustomerID, pt.Format, p.ID,
			actor)

		return map[string]any{"format": pt.Format, "customer_id": p.CustomerID,
			"changed": changed}, err
	default:
		return nil, fmt.Errorf("%w: proposal %d of unknown kind %q", ErrInvalid, p.ID, p.Kind)
	}
}

// unapply takes an approved reference-format proposal back: the customer loses
// the format. It returns what it did.
func unapply(ctx context.Context, tx pgx.Tx, p store.Proposal) (map[string]any, error) {
	pt, err := decodePattern(p)
	if err != nil {
		return nil, err
	}

	removed, err := store.RemoveCustomerRefFormat(ctx, tx, p.CustomerID, pt.Format)

	return map[string]any{"format": pt.Format, "customer_id": p.CustomerID,
		"removed": removed}, err
}

func decodePattern(p store.Proposal) (pattern, error) {
	var pt pattern
	if err := json.Unmarshal(p.Pattern, &pt); err != nil {
		return pt, fmt.Errorf("decode pattern of proposal %d: %w", p.ID, err)
	}

	return pt, nil
}

// approvable reports whether a reference format is one the matching engine
// reads once approved: FormatDigits, or FormatPrefix and letters.
func approvable(format string) bool {
	if format == FormatDigits {
		return true
	}

	letters, ok := strings.CutPrefix(format, FormatPrefix)

	return ok && letters != "" && !strings.ContainsAny(letters, "0123456789:")
}
