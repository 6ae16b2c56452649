package invoices_test

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/invoices"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/service"
)

func TestMain(m *testing.M) {
	pgtest.SetTemplate(service.Prepare)
	pgtest.Main(m)
}

// benchInvoices is how many invoices the benchmark searches.
const benchInvoices = 1_000_000

// seedMillion stores benchInvoices invoices of 20,000 customers, one in 20
// open, issued over four years, with PO numbers on half of them.
func seedMillion(b *testing.B, pool *pgxpool.Pool) {
	b.Helper()

	ctx := context.Background()

	for _, q := range []string{
		`INSERT INTO customers (id, name)
			SELECT 'C-' || lpad(i::text, 5, '0'), 'Customer ' || md5(i::text) || ' GmbH'
			FROM generate_series(1, 20000) i`,
		`INSERT INTO invoices (number, erp_id, customer_id, customer_name, currency,
				total_minor, open_minor, issue_date, due_date, po_number, status)
			SELECT 'INV-' || lpad(i::text, 7, '0'), 'erp-' || i,
				'C-' || lpad((1 + i % 20000)::text, 5, '0'),
				'Customer ' || md5((1 + i % 20000)::text) || ' GmbH',
				(ARRAY['EUR','USD','GBP'])[1 + i % 3], 10000 + i % 99991,
				CASE WHEN i % 20 = 0 THEN 10000 + i % 99991 ELSE 0 END,
				DATE '2022-01-01' + (i * 1461 / $1),
				DATE '2022-01-01' + (i * 1461 / $1) + 30,
				CASE WHEN i % 2 = 0 THEN 'PO-' || (i * 7) ELSE '' END,
				CASE WHEN i % 20 = 0 THEN 'open' ELSE 'paid' END
			FROM generate_series(1, $1) i`,
		`ANALYZE customers`,
		`ANALYZE invoices`,
	} {
		var args []any
		if strings.Contains(q, "$1") {
			args = append(args, benchInvoices)
		}

		if _, err := pool.Exec(ctx, q, args...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSearchMillion searches 1,000,000 invoices (50,000 open) as ops do:
// the default page, a customer name, an invoice number's end, a PO number, an
// exact open amount, a page into all invoices, and text that nearly every
// invoice starts with. With
// O2C_BENCH_EXPLAIN=1 it logs each query's plan.
func BenchmarkSearchMillion(b *testing.B) {
	pool := pgtest.DB(b)
	seedMillion(b, pool)

	ctx := context.Background()

	cases := []struct{ name, query string }{
		{"open_by_due", ""},
		{"name_prefix", "q=customer+c4ca"},
		{"number_suffix", "q=0420420&status=all"},
		{"po_prefix", "q=po-7000"},
		{"exact_amount", "currency=EUR&amount=512.30"},
		{"customer_all_by_due", "customer=C-00420&status=all"},
		{"all_by_number_page", "status=all&sort=number"},
		{"open_by_amount", "sort=amount&currency=USD"},
		{"broad_prefix_open", "q=inv-0"},
		{"broad_prefix_all", "q=c&status=all"},
	}

	for _, c := range cases {
		v, err := url.ParseQuery(c.query)
		if err != nil {
			b.Fatal(err)
		}

		q, err := invoices.ParseQueryStrict(v)
		if err != nil {
			b.Fatal(err)
		}

		first, err := invoices.Search(ctx, pool, q)
		if err != nil {
			b.Fatal(err)
		}

		if c.name == "all_by_number_page" {
			q = q.WithCursor(first.NextCursor)
		}

		if os.Getenv("O2C_BENCH_EXPLAIN") == "1" {
			plan, err := invoices.Explain(ctx, pool, q)
			if err != nil {
				b.Fatal(err)
			}

			b.Logf("%s (%d rows):\n%s", c.name, len(first.Invoices), plan)
		}

		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := invoices.Search(ctx, pool, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
