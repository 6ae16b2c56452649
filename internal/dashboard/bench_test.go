package dashboard_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/dashboard"
	"github.com/o2c-dev/o2c/internal/pgtest"
)

// seedVolume stores a large world: n payments with an open exception each and n
// payments applied (a fifth of them by hand), in EUR, USD and GBP, booked over
// the last 120 days; n/5 invoices issued over those days, pushed or refused; and
// 5n other audit entries around the pushes.
func seedVolume(tb testing.TB, pool *pgxpool.Pool, n int) {
	tb.Helper()

	invoices := max(n/5, 10)
	steps := []string{
		`INSERT INTO customers (id, name) SELECT 'CUST-' || i, 'Customer ' || i
			FROM generate_series(0, 49) AS i`,
		`INSERT INTO bank_files (name, sha256, size_bytes, raw, status)
			VALUES ('volume.csv', md5(random()::text), 1, '\x00', 'matched')`,
		fmt.Sprintf(`INSERT INTO invoices (number, customer_id, customer_name, currency,
				total_minor, open_minor, issue_date, due_date, status, push_error)
			SELECT 'INV-' || i, 'CUST-' || (i %% 50), 'Customer', cur,
				100000 + i %% 997 * 100, CASE WHEN i %% 20 < 12 THEN 100000 ELSE 0 END,
				current_date - i %% 120, current_date - i %% 120 + 30,
				CASE WHEN i %% 20 < 12 THEN 'open' WHEN i %% 20 < 18 THEN 'paid'
					WHEN i %% 20 = 18 THEN 'failed' ELSE 'requested' END,
				CASE WHEN i %% 20 = 18 THEN 'validation: tax rate ' || i %% 3 ELSE '' END
			FROM generate_series(1, %d) AS i,
				LATERAL (SELECT CASE i %% 10 WHEN 0 THEN 'USD' WHEN 1 THEN 'GBP' ELSE 'EUR'
					END AS cur) c`, invoices),
		fmt.Sprintf(`INSERT INTO payments (file_id, seq, direction, kind, amount_minor,
				currency, booking_date, dedupe_key, status, unapplied_minor, created_at)
			SELECT (SELECT max(id) FROM bank_files), i, 'credit', 'payment',
				100 + (i * 7919) %% 499900,
				CASE i %% 10 WHEN 0 THEN 'USD' WHEN 1 THEN 'GBP' ELSE 'EUR' END,
				current_date - i %% 120, 'volume-' || i,
				CASE WHEN i <= %[1]d THEN 'exception' ELSE 'applied' END,
				CASE WHEN i <= %[1]d THEN 100 + (i * 7919) %% 499900 ELSE 0 END,
				now() - i %% 120 * interval '1 day'
			FROM generate_series(1, %[2]d) AS i`, n, 2*n),
		fmt.Sprintf(`INSERT INTO exceptions (payment_id, reason, message, amount_minor,
				currency, status, created_at)
			SELECT p.id, (ARRAY['ambiguous', 'no_match', 'partial_payment', 'deduction',
					'unknown_payer'])[1 + p.seq %% 5], 'volume', p.amount_minor, p.currency,
				'open', now() - (p.seq * 37 %% 2160) * interval '1 hour'
			FROM payments p WHERE p.seq <= %d`, n),
		fmt.Sprintf(`INSERT INTO applications (payment_id, invoice_number, currency,
				amount_minor, rule, rules_version, confidence, explanation, source)
			SELECT p.id, 'INV-' || (1 + p.seq %% %d), p.currency, p.amount_minor, 'volume',
				'v1', 1, 'volume', CASE WHEN p.seq %% 5 = 0 THEN 'manual' ELSE 'auto' END
			FROM payments p WHERE p.seq > %d`, invoices, n),
		`INSERT INTO audit_log (at, actor, action, entity, entity_id)
			SELECT issue_date + interval '9 hours', 'o2c',
				CASE WHEN status = 'failed' THEN 'push_failed' ELSE 'pushed' END,
				'invoice', number
			FROM invoices WHERE status <> 'requested'`,
		fmt.Sprintf(`INSERT INTO audit_log (at, actor, action, entity, entity_id)
			SELECT now() - i %% 120 * interval '1 day', 'o2c', 'apply', 'payment', i::text
			FROM generate_series(1, %d) AS i`, 5*n),
		`VACUUM ANALYZE`,
	}

	for _, q := range steps {
		if _, err := pool.Exec(context.Background(), q); err != nil {
			tb.Fatalf("seed volume: %v\n%s", err, q)
		}
	}
}

// BenchmarkDashboard measures the dashboard's whole query set (one Load: every
// figure of the page and of GET /api/dashboard) with 100,000 open exceptions,
// 200,000 payments, 100,000 applications, 20,000 invoices and 520,000 audit
// entries. It reports the median and the 95th percentile in milliseconds.
//
//	go test ./internal/dashboard -run '^$' -bench Dashboard -benchtime 50x
func BenchmarkDashboard(b *testing.B) {
	pool := pgtest.DB(b)
	seedVolume(b, pool, 100_000)

	ctx := context.Background()
	now := time.Now()

	cases := []struct {
		name string
		q    dashboard.Query
	}{
		{"default_30d", dashboard.Query{}},
		{"eur_90d", dashboard.Query{Currency: "EUR", Period: dashboard.LastDays(now, 90)}},
		{"usd_365d", dashboard.Query{Currency: "USD", Period: dashboard.LastDays(now, 365)}},
		{"gbp_7d", dashboard.Query{Currency: "GBP", Period: dashboard.LastDays(now, 7)}},
	}

	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			took := make([]time.Duration, 0, b.N)

			for b.Loop() {
				start := time.Now()

				d, err := dashboard.Load(ctx, pool, c.q)
				if err != nil {
					b.Fatal(err)
				}

				if d.Exceptions.Open.Count == 0 || d.Cash.Total.Received.Count == 0 {
					b.Fatalf("empty dashboard: %+v", d.Cash.Total)
				}

				took = append(took, time.Since(start))
			}

			slices.Sort(took)
			b.ReportMetric(ms(took[len(took)/2]), "p50-ms")
			b.ReportMetric(ms(took[(len(took)*95+99)/100-1]), "p95-ms")
		})
	}
}

func ms(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
