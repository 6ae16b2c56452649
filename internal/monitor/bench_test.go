package monitor

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/pipelines"
)

// benchTopic is filled with benchMessages messages, committed in batches of
// benchBatch, so the rows carry many transaction ids as a real topic's do.
const (
	benchTopic    = pipelines.TopicDealsWon
	benchMessages = 100_000
	benchBatch    = 1_000
)

func fillTopic(b *testing.B, pool *pgxpool.Pool) {
	b.Helper()

	ctx := context.Background()
	table := pgx.Identifier{"watermill_" + benchTopic}.Sanitize()

	for range benchMessages / benchBatch {
		_, err := pool.Exec(ctx, `INSERT INTO `+table+` (uuid, payload, metadata,
				transaction_id)
			SELECT gen_random_uuid()::text, '{"deal_ids":["d"]}', '{}', pg_current_xact_id()
			FROM generate_series(1, $1)`, benchBatch)
		if err != nil {
			b.Fatal(err)
		}
	}
}

// ackAll moves the o2c group's offset past every message, as a router that
// consumed them all would have.
func ackAll(b *testing.B, pool *pgxpool.Pool) {
	b.Helper()

	_, err := pool.Exec(context.Background(), `INSERT INTO `+
		pgx.Identifier{"watermill_offsets_" + benchTopic}.Sanitize()+`
			(consumer_group, offset_acked, last_processed_transaction_id)
		SELECT $1, "offset", transaction_id FROM `+
		pgx.Identifier{"watermill_" + benchTopic}.Sanitize()+`
		ORDER BY transaction_id DESC, "offset" DESC LIMIT 1
		ON CONFLICT (consumer_group) DO UPDATE SET offset_acked = excluded.offset_acked,
			last_processed_transaction_id = excluded.last_processed_transaction_id`,
		pipelines.ConsumerGroup)
	if err != nil {
		b.Fatal(err)
	}
}

// unack removes the o2c group's offset: nothing is acked.
func unack(b *testing.B, pool *pgxpool.Pool) {
	b.Helper()

	_, err := pool.Exec(context.Background(), `DELETE FROM `+
		pgx.Identifier{"watermill_offsets_" + benchTopic}.Sanitize())
	if err != nil {
		b.Fatal(err)
	}
}

func vacuum(b *testing.B, pool *pgxpool.Pool) {
	b.Helper()

	for _, t := range []string{"watermill_" + benchTopic, "watermill_offsets_" + benchTopic,
		"payments", "invoices", "exceptions", "bank_files"} {
		if _, err := pool.Exec(context.Background(),
			"VACUUM ANALYZE "+pgx.Identifier{t}.Sanitize()); err != nil {
			b.Fatal(err)
		}
	}
}

// explain logs the scans and the execution time of sql's plan.
func explain(b *testing.B, db interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, sql string, args ...any) {
	b.Helper()

	rows, err := db.Query(context.Background(), "EXPLAIN (ANALYZE, BUFFERS) "+sql, args...)
	if err != nil {
		b.Fatal(err)
	}

	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		b.Fatal(err)
	}

	// Benchmark output keeps ten lines: keep the nodes and the timing, one line.
	var keep []string
	for _, l := range lines {
		if strings.Contains(l, "Scan") || strings.Contains(l, "Cond:") ||
			strings.Contains(l, "Execution Time") {
			keep = append(keep, strings.TrimSpace(l))
		}
	}

	b.Logf("plan: %s", strings.Join(keep, " | "))
}

// explainDepth logs the depth query's plan as collectDepths runs it.
func explainDepth(b *testing.B, pool *pgxpool.Pool, c *busCollector) {
	b.Helper()

	ctx := context.Background()

	tx, err := pool.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()

	if _, err := tx.Exec(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
		b.Fatal(err)
	}

	args, err := c.positions(ctx, tx)
	if err != nil {
		b.Fatal(err)
	}

	explain(b, tx, c.depth, args...)
}

func benchMonitor(b *testing.B, pool *pgxpool.Pool) *Monitor {
	b.Helper()

	m, err := New(Config{Addr: "127.0.0.1:0", Pool: pool, Topics: []string{benchTopic},
		ConsumerGroup: pipelines.ConsumerGroup, QueueDepthCap: 1_000_000})
	if err != nil {
		b.Fatal(err)
	}

	return m
}

// BenchmarkQueueDepth times reading one topic's depth and oldest age (both
// queries of a scrape) from a table of 100,000 messages: all acked (the usual
// state) or all pending, on fresh tables (no statistics, visibility map unset)
// and after VACUUM ANALYZE.
func BenchmarkQueueDepth(b *testing.B) {
	pool := pgtest.DB(b)
	fillTopic(b, pool)

	c := newBusCollector(benchMonitor(b, pool))
	ctx := context.Background()

	run := func(b *testing.B, want float64) {
		explainDepth(b, pool, c)

		for b.Loop() {
			ch := make(chan prometheus.Metric, 2)
			if err := c.collectDepths(ctx, ch); err != nil {
				b.Fatal(err)
			}

			var d dto.Metric
			if err := (<-ch).Write(&d); err != nil {
				b.Fatal(err)
			}

			if d.GetGauge().GetValue() != want {
				b.Fatalf("depth %v, want %v", d.GetGauge().GetValue(), want)
			}
		}
	}

	ackAll(b, pool)
	b.Run("acked_100k_fresh", func(b *testing.B) { run(b, 0) })

	unack(b, pool)
	b.Run("pending_100k_fresh", func(b *testing.B) { run(b, benchMessages) })

	vacuum(b, pool)
	b.Run("pending_100k_vacuumed", func(b *testing.B) { run(b, benchMessages) })

	ackAll(b, pool)
	b.Run("acked_100k_vacuumed", func(b *testing.B) { run(b, 0) })
}

// BenchmarkDomainGauges times one read of every business gauge on 200,000
// payments, 20,000 invoices, 20,000 exceptions (5,000 open) and 2,000 bank files:
// the cost paid once per DomainTTL.
func BenchmarkDomainGauges(b *testing.B) {
	pool := pgtest.DB(b)
	ctx := context.Background()

	for _, q := range []string{
		`INSERT INTO customers (id, name) VALUES ('c', 'c')`,
		`INSERT INTO bank_files (name, sha256, size_bytes, raw, status)
			SELECT 'f' || i, md5(i::text), 1, '\x00',
				(ARRAY['received','ingested','matched','rejected'])[1 + i % 4]
			FROM generate_series(1, 2000) i`,
		`INSERT INTO payments (file_id, seq, direction, kind, amount_minor, currency,
				dedupe_key, status, unapplied_minor)
			SELECT 1 + i % 2000, i, 'credit', 'payment', 1000 + i % 97,
				(ARRAY['EUR','USD','GBP'])[1 + i % 3], 'k' || i,
				(ARRAY['applied','applied','applied','applied','applied','exception',
					'partly_applied','on_account','new','not_cash'])[1 + i % 10],
				CASE WHEN i % 10 IN (5, 6, 7, 8) THEN 500 + i % 13 ELSE 0 END
			FROM generate_series(1, 200000) i`,
		`INSERT INTO invoices (number, customer_id, customer_name, currency, total_minor,
				open_minor, issue_date, due_date, status)
			SELECT 'I' || i, 'c', 'c', 'EUR', 100, 100, '2026-01-01', '2026-02-01',
				(ARRAY['requested','open','paid','failed','voided'])[1 + i % 5]
			FROM generate_series(1, 20000) i`,
		`INSERT INTO exceptions (payment_id, reason, message, amount_minor, currency, status)
			SELECT i, (ARRAY['no_match','ambiguous','unknown_payer'])[1 + i % 3], 'm', 1, 'EUR',
				CASE WHEN i % 4 = 0 THEN 'open' ELSE 'resolved' END
			FROM generate_series(1, 20000) i`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}

	vacuum(b, pool)

	for _, q := range []string{qExceptionsOpen, qExceptionsAge, qUnapplied, qBankFiles,
		qInvoices} {
		explain(b, pool, q)
	}

	for b.Loop() {
		s, err := readDomain(ctx, pool)
		if err != nil {
			b.Fatal(err)
		}

		if len(s.unapplied) != 12 || len(s.exceptions) != 3 {
			b.Fatalf("%d unapplied series, %d exception series", len(s.unapplied),
				len(s.exceptions))
		}
	}
}
