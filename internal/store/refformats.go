package store

import (
	"context"
	"fmt"

	"github.com/o2c-dev/o2c/internal/billing"
)

// AddCustomerRefFormat records a reference format approved for a customer, as
// approved by actor through the proposal (0 for none). A format the customer
// already has is kept as it was; it reports whether the format was added.
func AddCustomerRefFormat(ctx context.Context, db DB, customerID, format string,
	proposalID int64, actor string) (bool, error) {
	var proposal *int64
	if proposalID != 0 {
		proposal = &proposalID
	}

	tag, err := db.Exec(ctx, `INSERT INTO customer_ref_formats (customer_id, format,
			proposal_id, approved_by)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (customer_id, format) DO NOTHING`, customerID, format, proposal, actor)
	if err != nil {
		return false, fmt.Errorf("add reference format of customer %s: %w", customerID, err)
	}

	return tag.RowsAffected() > 0, nil
}

// RemoveCustomerRefFormat takes a reference format away from a customer and
// reports whether it had it.
func RemoveCustomerRefFormat(ctx context.Context, db DB, customerID, format string) (bool,
	error) {
	tag, err := db.Exec(ctx, `DELETE FROM customer_ref_formats
		WHERE customer_id = $1 AND format = $2`, customerID, format)
	if err != nil {
		return false, fmt.Errorf("remove reference format of customer %s: %w", customerID, err)
	}

	return tag.RowsAffected() > 0, nil
}

// CustomerRefFormats returns the reference formats approved for each customer,
// by customer id, each customer's in format order.
func CustomerRefFormats(ctx context.Context, db DB) (map[string][]billing.RefFormat, error) {
	rows, err := db.Query(ctx, `SELECT customer_id, format, approved_by, approved_at
		FROM customer_ref_formats ORDER BY customer_id, format`)
	if err != nil {
		return nil, fmt.Errorf("query reference formats: %w", err)
	}
	defer rows.Close()

	out := map[string][]billing.RefFormat{}
	for rows.Next() {
		var id string
		var f billing.RefFormat
		if err := rows.Scan(&id, &f.Format, &f.ApprovedBy, &f.ApprovedAt); err != nil {
			return nil, fmt.Errorf("scan reference format: %w", err)
		}

		f.ApprovedAt = f.ApprovedAt.UTC()
		out[id] = append(out[id], f)
	}

	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query reference formats: %w", err)
	}

	return out, nil
}

// RevokeProposal turns an approved proposal into a rejected one, by actor; one
// not approved is refused with ErrConflict.
func RevokeProposal(ctx context.Context, db DB, id int64, actor string) error {
	tag, err := db.Exec(ctx, `UPDATE rule_proposals SET status = 'rejected', decided_by = $2,
			decided_at = now(), updated_at = now()
		WHERE id = $1 AND status = 'approved'`, id, actor)
	if err != nil {
		return fmt.Errorf("revoke proposal %d: %w", id, err)
	}

	if tag.RowsAffected() == 0 {
		return fmt.Errorf("revoke proposal %d: %w", id, ErrConflict)
	}

	return nil
}
