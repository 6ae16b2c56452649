package exceptions_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Reasons the seeded queue uses.
var seedReasons = []string{"ambiguous", "no_match", "partial_payment", "deduction",
	"unknown_payer"}

// seedQueue stores n open exceptions with spread-out fields, and closed more
// closed ones, in set-based statements: exception i has reason seedReasons[i%5],
// currency USD when i%10 is 0, GBP when 1, EUR otherwise, an amount that wanders
// from 1.00 to 5,000.00, customer CUST-(i%50) unless i%4 is 0 (unknown),
// assignee ana when i%6 is 0, bo when 1, nobody otherwise, and an age of up to
// 90 days. Each has a payment with a payer name and references, and two
// candidates.
func seedQueue(tb testing.TB, pool *pgxpool.Pool, n, closed int) {
	tb.Helper()

	ctx := context.Background()
	total := n + closed

	steps := []string{
		`INSERT INTO customers (id, name, source)
			SELECT 'CUST-' || i, 'Customer ' || chr(65 + i % 26) || ' ' || i, 'test'
			FROM generate_series(0, 49) AS i ON CONFLICT DO NOTHING`,
		fmt.Sprintf(`INSERT INTO bank_files (name, sha256, size_bytes, raw, status)
			VALUES ('queue.csv', md5(random()::text) || '%d', 1, '\x00', 'matched')`, total),
		fmt.Sprintf(`INSERT INTO payments (file_id, seq, direction, kind, amount_minor,
				currency, booking_date, bank_ref, payment_ref, payer_name, remittance,
				dedupe_key, customer_id, status, unapplied_minor)
			SELECT (SELECT max(id) FROM bank_files), i, 'credit', 'payment',
				100 + (i * 7919) %% 499900,
				CASE i %% 10 WHEN 0 THEN 'USD' WHEN 1 THEN 'GBP' ELSE 'EUR' END,
				current_date - (i %% 90), 'BR-' || i, 'PR-' || i,
				CASE WHEN i %% 97 = 0 THEN '=HYPERLINK("x")' ELSE 'PAYER ' || i END,
				'invoice ' || i, 'queue-' || md5(random()::text) || '-' || i,
				CASE WHEN i %% 4 = 0 THEN NULL ELSE 'CUST-' || (i %% 50) END,
				CASE WHEN i > %d THEN 'on_account' ELSE 'exception' END,
				100 + (i * 7919) %% 499900
			FROM generate_series(1, %d) AS i`, n, total),
		fmt.Sprintf(`INSERT INTO exceptions (payment_id, reason, message, amount_minor,
				currency, candidates, status, assignee, customer_id, created_at)
			SELECT p.id, (ARRAY['ambiguous', 'no_match', 'partial_payment', 'deduction',
					'unknown_payer'])[1 + p.seq %% 5],
				'seeded exception ' || p.seq, p.amount_minor, p.currency,
				jsonb_build_array(
					jsonb_build_object('invoice_number', 'INV-' || p.seq, 'score', 0.6,
						'open_minor', p.amount_minor),
					jsonb_build_object('invoice_number', 'INV-' || (p.seq + 1), 'score', 0.4,
						'open_minor', p.amount_minor)),
				CASE WHEN p.seq > %d THEN 'on_account' ELSE 'open' END,
				CASE p.seq %% 6 WHEN 0 THEN 'ana' WHEN 1 THEN 'bo' ELSE '' END,
				COALESCE(p.customer_id, ''),
				now() - (p.seq * 37 %% 2160) * interval '1 hour' - p.seq * interval '1 ms'
			FROM payments p WHERE p.file_id = (SELECT max(id) FROM bank_files)`, n),
		`ANALYZE customers`, `ANALYZE payments`, `ANALYZE exceptions`,
	}

	for _, q := range steps {
		if _, err := pool.Exec(ctx, q); err != nil {
			tb.Fatalf("seed queue: %v\n%s", err, q)
		}
	}
}
