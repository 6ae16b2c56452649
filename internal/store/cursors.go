package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Cursor returns the stored value of the named sync cursor, "" when none is stored.
func Cursor(ctx context.Context, db DB, name string) (string, error) {
	var v string

	err := db.QueryRow(ctx, "SELECT value FROM sync_cursors WHERE name = $1", name).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}

	if err != nil {
		return "", fmt.Errorf("read cursor %s: %w", name, err)
	}

	return v, nil
}

// SetCursor stores value as the named sync cursor.
func SetCursor(ctx context.Context, db DB, name, value string) error {
	_, err := db.Exec(ctx, `INSERT INTO sync_cursors (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
		name, value)
	if err != nil {
		return fmt.Errorf("write cursor %s: %w", name, err)
	}

	return nil
}
