package exceptions

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// standingWriteOffs is what is already written off, or waiting for approval to
// be, on a payment: the write-offs of its applications that stand (not reversed),
// whoever made them, plus the amounts of its pending approvals. A new write-off
// is checked against the approval limit together with them, so that splitting
// one write-off over a chain of remainders cannot pass the limit bit by bit.
// The caller holds the payment's lock (lockTarget), so the sum cannot change
// under it.
func standingWriteOffs(ctx context.Context, tx pgx.Tx, paymentID int64) (int64, error) {
	var total int64

	err := tx.QueryRow(ctx, `SELECT
		COALESCE((SELECT sum(writeoff_minor) FROM applications
			WHERE payment_id = $1 AND reversed_at IS NULL), 0) +
		COALESCE((SELECT sum(a.amount_minor) FROM exception_approvals a
			JOIN exceptions e ON e.id = a.exception_id
			WHERE e.payment_id = $1 AND a.status = 'pending'), 0)`,
		paymentID).Scan(&total)
	if err != nil {
		return 0, fmt.Errorf("sum write-offs: %w", err)
	}

	return total, nil
}
