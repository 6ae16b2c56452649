package pipelines

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/store"
)

// Poisoned is a message that kept failing and was set aside on the poison topic.
type Poisoned struct {
	UUID      string    `json:"uuid"`
	Topic     string    `json:"topic"`
	Handler   string    `json:"handler"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
	Replayed  bool      `json:"replayed"`
}

// ListPoisoned returns the poisoned messages, oldest first. Payloads are not
// returned: they may carry business data.
func ListPoisoned(ctx context.Context, pool *pgxpool.Pool) ([]Poisoned, error) {
	rows, err := pool.Query(ctx, `SELECT p.uuid, COALESCE(p.metadata->>'topic_poisoned', ''),
			COALESCE(p.metadata->>'handler_poisoned', ''),
			COALESCE(p.metadata->>'reason_poisoned', ''), p.created_at,
			EXISTS (SELECT 1 FROM poison_replays r WHERE r.message_uuid = p.uuid)
		FROM "watermill_`+TopicPoison+`" p ORDER BY p."offset"`)
	if err != nil {
		return nil, fmt.Errorf("list poisoned messages: %w", err)
	}
	defer rows.Close()

	var out []Poisoned
	for rows.Next() {
		var p Poisoned
		err := rows.Scan(&p.UUID, &p.Topic, &p.Handler, &p.Reason, &p.CreatedAt, &p.Replayed)
		if err != nil {
			return nil, fmt.Errorf("scan poisoned message: %w", err)
		}

		out = append(out, p)
	}

	return out, rows.Err()
}

// ErrAlreadyReplayed is returned when a poisoned message was replayed before.
var ErrAlreadyReplayed = errors.New("message already replayed")

// Replay publishes a poisoned message again on the topic it failed on, once.
func Replay(ctx context.Context, pool *pgxpool.Pool, uuid, actor string) error {
	return store.InTx(ctx, pool, func(tx pgx.Tx) error {
		var topic string
		var payload json.RawMessage

		err := tx.QueryRow(ctx, `SELECT metadata->>'topic_poisoned', payload
			FROM "watermill_`+TopicPoison+`" WHERE uuid = $1`, uuid).Scan(&topic, &payload)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("poisoned message %s: %w", uuid, store.ErrNotFound)
		}

		if err != nil {
			return fmt.Errorf("read poisoned message %s: %w", uuid, err)
		}

		tag, err := tx.Exec(ctx, `INSERT INTO poison_replays (message_uuid, topic, replayed_by)
			VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, uuid, topic, actor)
		if err != nil {
			return fmt.Errorf("record replay of %s: %w", uuid, err)
		}

		if tag.RowsAffected() == 0 {
			return fmt.Errorf("replay %s: %w", uuid, ErrAlreadyReplayed)
		}

		if err := Publish(ctx, tx, topic, payload); err != nil {
			return err
		}

		return store.Audit(ctx, tx, actor, "replay", "message", uuid, nil,
			map[string]string{"topic": topic})
	})
}
