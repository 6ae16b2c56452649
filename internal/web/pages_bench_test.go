package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/web"
)

// BenchmarkQueuePage times whole HTTP GETs of the exception queue page, as a
// signed-in browser asks for it (session cookie, Accept: text/html), against the
// real server on a database holding 100,000 open exceptions (and 20,000 closed
// ones). Each variant reports the 50th, 95th and 99th percentiles in
// milliseconds. The seed takes a few seconds and is made only when the
// benchmark runs:
//
//	go test ./internal/web -run '^$' -bench QueuePage -benchtime 300x
func BenchmarkQueuePage(b *testing.B) {
	pool := pgtest.DB(b)
	seedBenchQueue(b, pool, 100_000, 20_000)

	svc := auth.New(pool, auth.Config{Logger: quiet})
	srv := httptest.NewServer(web.New(web.Config{Pool: pool, Auth: svc, Logger: quiet}))
	b.Cleanup(srv.Close)

	if _, err := pool.Exec(context.Background(), `INSERT INTO users (name, role,
		password_hash) VALUES ('bench.ops', 'ops', $1)`, testHash()); err != nil {
		b.Fatal(err)
	}

	client := benchLogin(b, srv.URL, "bench.ops")

	// The deep page is reached through the next-page links, 40 pages (2,000 rows)
	// in, as a person paging through the queue.
	deep := "/exceptions"
	for range 40 {
		m := nextPage.FindStringSubmatch(benchGet(b, client, srv.URL+deep))
		if m == nil {
			b.Fatalf("no next page after %s", deep)
		}

		deep = strings.ReplaceAll(m[1], "&amp;", "&")
	}

	variants := []struct{ name, path string }{
		{"default", "/exceptions"},
		{"filtered", "/exceptions?reason=deduction&currency=EUR&min_amount=100" +
			"&max_amount=2500"},
		{"sorted_amount", "/exceptions?sort=amount&dir=desc"},
		{"deep_cursor", deep},
	}

	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			// One untimed request warms the connection and the plan cache.
			benchGet(b, client, srv.URL+v.path)

			took := make([]time.Duration, 0, b.N)

			for b.Loop() {
				start := time.Now()
				body := benchGet(b, client, srv.URL+v.path)
				took = append(took, time.Since(start))

				if !strings.Contains(body, `data-exception-id="`) {
					b.Fatalf("%s lists no exception", v.path)
				}
			}

			slices.Sort(took)
			b.ReportMetric(percentile(took, 50), "p50-ms")
			b.ReportMetric(percentile(took, 95), "p95-ms")
			b.ReportMetric(percentile(took, 99), "p99-ms")
		})
	}
}

// percentile is the p-th percentile of sorted durations (nearest rank), in ms.
func percentile(sorted []time.Duration, p int) float64 {
	i := (len(sorted)*p+99)/100 - 1
	i = max(0, min(i, len(sorted)-1))

	return float64(sorted[i].Microseconds()) / 1000
}

// benchLogin signs name in with a password and returns a client holding the
// session cookie.
func benchLogin(b *testing.B, base, name string) *http.Client {
	b.Helper()

	jar, err := cookiejar.New(nil)
	if err != nil {
		b.Fatal(err)
	}

	client := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	body, _ := json.Marshal(map[string]string{"name": name, "password": testPassword})

	resp, err := client.Post(base+"/api/login", "application/json", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}

	_ = resp.Body.Close()

	if resp.StatusCode != http.StatusOK {
		b.Fatalf("login %s: %d", name, resp.StatusCode)
	}

	return client
}

// benchGet asks for a page as a browser and returns its body; anything but 200
// fails the benchmark.
func benchGet(b *testing.B, client *http.Client, url string) string {
	b.Helper()

	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		b.Fatal(err)
	}

	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")

	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()

	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Fatal(err)
	}

	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %d\n%s", url, resp.StatusCode, clip(string(raw)))
	}

	return string(raw)
}

// seedBenchQueue stores open and closed exceptions with a spread like a busy
// ledger's, in set-based statements under a fixed random seed: 3,000 customers
// (a fifth of the payers unknown), seven reasons (no_match the most common),
// five currencies (EUR most, some JPY without minor units), amounts from 1.00
// to 50,000.00 spread on a log scale, ages up to 120 days (most recent), nine
// in twenty unassigned and the rest among eight people, zero to three
// candidates; 400 open ones await an approval and 6,000 carry comments.
func seedBenchQueue(b *testing.B, pool *pgxpool.Pool, open, closed int) {
	b.Helper()

	ctx := context.Background()

	tx, err := pool.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}

	defer func() { _ = tx.Rollback(ctx) }()

	steps := []string{
		`SELECT setseed(0.5)`,
		`INSERT INTO customers (id, name, source)
			SELECT 'CUST-' || lpad(i::text, 5, '0'),
				(ARRAY['Orrin', 'Tarn', 'Velde', 'Karst', 'Mirel', 'Ostra', 'Brede',
					'Calder'])[1 + i % 8] || ' ' ||
				(ARRAY['Tiles', 'Mills', 'Foods', 'Logistics', 'Textiles', 'Print'])[1 + i % 6]
				|| ' ' || i, 'bench'
			FROM generate_series(1, 3000) AS i`,
		`INSERT INTO bank_files (name, sha256, size_bytes, raw, status)
			VALUES ('bench.csv', md5('bench queue'), 1, '\x00', 'matched')`,
		`CREATE TEMP TABLE spread ON COMMIT DROP AS
			SELECT i, random() AS r1, random() AS r2, random() AS r3, random() AS r4,
				random() AS r5, random() AS r6
			FROM generate_series(1, $1::int + $2::int) AS i`,
		`INSERT INTO payments (file_id, seq, direction, kind, amount_minor, currency,
				booking_date, bank_ref, payment_ref, payer_name, remittance, dedupe_key,
				customer_id, status, unapplied_minor)
			SELECT (SELECT max(id) FROM bank_files), s.i, 'credit', 'payment', a.minor, a.cur,
				current_date - (s.r3 * s.r3 * 120)::int, 'BR' || s.i, 'E2E-' || s.i,
				'PAYER ' || upper(substr(md5(s.i::text), 1, 8)),
				'INV ' || (10000 + s.i) || ' ' || substr(md5(s.i::text), 1, 12),
				'bench-' || s.i,
				CASE WHEN s.r4 < 0.2 THEN NULL
					ELSE 'CUST-' || lpad((1 + (s.r4 * 100000)::int % 3000)::text, 5, '0') END,
				CASE WHEN s.i > $1::int THEN 'on_account' ELSE 'exception' END,
				CASE WHEN s.i > $1::int THEN 0 ELSE a.minor END
			FROM spread s,
			LATERAL (SELECT CASE WHEN s.r1 < 0.6 THEN 'EUR' WHEN s.r1 < 0.8 THEN 'USD'
					WHEN s.r1 < 0.92 THEN 'GBP' WHEN s.r1 < 0.97 THEN 'CHF' ELSE 'JPY' END
					AS cur) c,
			LATERAL (SELECT CASE WHEN c.cur = 'JPY'
					THEN (exp(s.r2 * ln(5000000)))::bigint
					ELSE 100 + (exp(s.r2 * ln(4999900)))::bigint END AS minor, c.cur) a`,
		`INSERT INTO exceptions (payment_id, reason, message, amount_minor, currency,
				candidates, status, assignee, customer_id, created_at, resolved_at, resolved_by)
			SELECT p.id,
				(ARRAY['no_match', 'no_match', 'no_match', 'no_match', 'no_match', 'no_match',
					'ambiguous', 'ambiguous', 'ambiguous', 'ambiguous', 'partial_payment',
					'partial_payment', 'partial_payment', 'unknown_payer', 'unknown_payer',
					'unknown_payer', 'deduction', 'deduction', 'overpayment',
					'split_remainder'])[1 + (s.r5 * 20)::int % 20],
				'no invoice fits ' || p.payment_ref, p.amount_minor, p.currency,
				CASE (s.r6 * 4)::int % 4
					WHEN 0 THEN '[]'::jsonb
					ELSE (SELECT jsonb_agg(jsonb_build_object('invoice_number',
							'INV-' || (10000 + p.seq + k), 'score', round((0.9 - k * 0.15
							- s.r6 * 0.2)::numeric, 3), 'why', 'amount and reference',
							'open_minor', p.amount_minor))
						FROM generate_series(0, (s.r6 * 4)::int % 4 - 1) AS k) END,
				CASE WHEN p.seq > $1::int
					THEN (ARRAY['resolved', 'on_account'])[1 + p.seq % 2] ELSE 'open' END,
				CASE WHEN s.r5 * 20 - (s.r5 * 20)::int < 0.45 THEN ''
					ELSE (ARRAY['ana', 'bo', 'chen', 'dara', 'eli', 'fen', 'gus', 'hal'])
						[1 + (s.r6 * 1000)::int % 8] END,
				COALESCE(p.customer_id, ''),
				now() - s.r3 * s.r3 * interval '120 days',
				CASE WHEN p.seq > $1::int THEN now() END,
				CASE WHEN p.seq > $1::int THEN 'ana' ELSE '' END
			FROM payments p JOIN spread s ON s.i = p.seq
			WHERE p.file_id = (SELECT max(id) FROM bank_files)`,
		`INSERT INTO exception_approvals (exception_id, kind, request, amount_minor, currency,
				limit_minor, requested_by)
			SELECT id, 'writeoff', '{}', 6000, currency, 5000, 'bo'
			FROM exceptions WHERE status = 'open' AND id % 250 = 7`,
		`INSERT INTO exception_comments (exception_id, author, body)
			SELECT id, 'chen', 'called the payer about ' || id
			FROM exceptions WHERE id % 20 = 3`,
	}

	for _, q := range steps {
		var args []any

		switch {
		case strings.Contains(q, "$2"):
			args = []any{open, closed}
		case strings.Contains(q, "$1"):
			args = []any{open}
		}

		if _, err := tx.Exec(ctx, q, args...); err != nil {
			b.Fatalf("seed queue: %v\n%s", err, q)
		}
	}

	if err := tx.Commit(ctx); err != nil {
		b.Fatal(err)
	}

	if _, err := pool.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		b.Fatal(err)
	}
}
