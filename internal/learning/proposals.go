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
// payer-account rule confirms the account as the customer's, and an account
// conflict moves the account to the customer. A reference-format rule is
// recorded only: the engine already reads digits and other prefixes when
// Rules.BareNumbers is on. A proposal already decided is refused with
// store.ErrConflict.
func Approve(ctx context.Context, pool *pgxpool.Pool, id int64, actor string) (store.Proposal,
	error) {
	return decide(ctx, pool, id, actor, store.ProposalApproved)
}

// Reject turns a proposal down, audited; it stays listed as rejected.
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

		if p.Status != store.ProposalProposed {
			return fmt.Errorf("proposal %d is %s: %w", id, p.Status, store.ErrConflict)
		}

		if err := store.DecideProposal(ctx, tx, id, status, actor); err != nil {
			return err
		}

		effect := map[string]any{}
		if status == store.ProposalApproved {
			effect, err = apply(ctx, tx, p)
			if err != nil {
				return err
			}
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

// apply makes an approved proposal take effect and returns what it did.
func apply(ctx context.Context, tx pgx.Tx, p store.Proposal) (map[string]any, error) {
	var pt pattern
	if err := json.Unmarshal(p.Pattern, &pt); err != nil {
		return nil, fmt.Errorf("decode pattern of proposal %d: %w", p.ID, err)
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
	default:
		return map[string]any{"format": pt.Format, "customer_id": p.CustomerID}, nil
	}
}
