package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// AuditEntry is one state change: who did what to which entity, with the entity's
// state before and after (any JSON-marshalable value, nil when not applicable).
type AuditEntry struct {
	ID       int64           `json:"id"`
	At       time.Time       `json:"at"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"`
	Entity   string          `json:"entity"`
	EntityID string          `json:"entity_id"`
	Before   json.RawMessage `json:"before,omitempty"`
	After    json.RawMessage `json:"after,omitempty"`
}

// Audit appends one entry to the audit log. The log is append-only: the database
// refuses updates and deletes.
func Audit(ctx context.Context, db DB, actor, action, entity, entityID string,
	before, after any) error {
	b, err := jsonOrNil(before)
	if err != nil {
		return fmt.Errorf("audit %s %s: %w", action, entity, err)
	}

	a, err := jsonOrNil(after)
	if err != nil {
		return fmt.Errorf("audit %s %s: %w", action, entity, err)
	}

	_, err = db.Exec(ctx, `INSERT INTO audit_log (actor, action, entity, entity_id, before, after)
		VALUES ($1, $2, $3, $4, $5, $6)`, actor, action, entity, entityID, b, a)
	if err != nil {
		return fmt.Errorf("audit %s %s: %w", action, entity, err)
	}

	return nil
}

// AuditLog returns the entries for one entity (all entities when entity is ""),
// newest first, at most limit.
func AuditLog(ctx context.Context, db DB, entity, entityID string,
	limit int) ([]AuditEntry, error) {
	rows, err := db.Query(ctx, `SELECT id, at, actor, action, entity, entity_id, before, after
		FROM audit_log
		WHERE ($1 = '' OR entity = $1) AND ($2 = '' OR entity_id = $2)
		ORDER BY id DESC LIMIT $3`, entity, entityID, limit)
	if err != nil {
		return nil, fmt.Errorf("query audit log: %w", err)
	}
	defer rows.Close()

	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var before, after []byte

		err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Entity, &e.EntityID, &before, &after)
		if err != nil {
			return nil, fmt.Errorf("scan audit log: %w", err)
		}

		e.Before, e.After = before, after
		out = append(out, e)
	}

	return out, rows.Err()
}

func jsonOrNil(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}

	return json.Marshal(v)
}
