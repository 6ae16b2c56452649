package exceptions_test

import (
	"context"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/pgtest"
)

// BenchmarkQueue measures the queue page's database work with 100,000 open
// exceptions (and 20,000 closed ones): one op is what a page asks, a page of 50
// rows and, for "page", the header counts too. It reports the median and the
// 95th percentile of the ops in milliseconds.
//
//	go test ./internal/exceptions -run '^$' -bench Queue -benchtime 200x
func BenchmarkQueue(b *testing.B) {
	pool := pgtest.DB(b)
	seedQueue(b, pool, 100_000, 20_000)

	if _, err := pool.Exec(context.Background(), "VACUUM ANALYZE exceptions"); err != nil {
		b.Fatal(err)
	}

	svc := &exceptions.Service{Pool: pool}
	ctx := context.Background()

	cases := []struct {
		name, query string
		counts      bool
		deep        int // pages to skip first, through their cursors
	}{
		{"page/default", "", true, 0},
		{"page/mine", "assignee=me", true, 0},
		{"page/reason", "reason=no_match", true, 0},
		{"page/eur_older_than_7d", "currency=EUR&min_age_days=7", true, 0},
		{"page/amount_range", "currency=EUR&min_amount=1000&max_amount=2000&sort=amount",
			true, 0},
		{"list/default", "", false, 0},
		{"list/page_21", "", false, 20},
		{"list/unassigned_eur", "assignee=unassigned&currency=EUR", false, 0},
		{"list/customer", "customer=CUST-7", false, 0},
		{"list/amount_desc", "sort=amount", false, 0},
		{"list/amount_range", "currency=EUR&min_amount=1000&max_amount=1100", false, 0},
		{"list/older_than_30d", "min_age_days=30&sort=amount", false, 0},
		{"list/customer_sort", "sort=customer", false, 0},
		{"list/reason_sort_desc", "sort=reason&dir=desc&currency=GBP", false, 0},
		{"list/closed", "status=closed", false, 0},
	}

	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			v, err := url.ParseQuery(c.query)
			if err != nil {
				b.Fatal(err)
			}

			q, err := exceptions.ParseQuery(v)
			if err != nil {
				b.Fatal(err)
			}

			for range c.deep {
				p, err := svc.Queue(ctx, q, "ana")
				if err != nil {
					b.Fatal(err)
				}

				q = q.WithCursor(p.NextCursor)
			}

			took := make([]time.Duration, 0, b.N)

			b.ResetTimer()

			for b.Loop() {
				start := time.Now()

				p, err := svc.Queue(ctx, q, "ana")
				if err != nil {
					b.Fatal(err)
				}

				if len(p.Items) == 0 {
					b.Fatal("empty page")
				}

				if c.counts {
					if _, err := svc.Counts(ctx, q, "ana"); err != nil {
						b.Fatal(err)
					}
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
