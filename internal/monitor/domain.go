package monitor

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
)

var (
	exceptionsOpenDesc = prometheus.NewDesc(namespace+"_exceptions_open",
		"Exceptions waiting in the queue, by reason.", []string{"reason"}, nil)
	exceptionsAgeDesc = prometheus.NewDesc(namespace+"_exceptions_open_oldest_age_seconds",
		"Age of the oldest open exception; 0 when none is open.", nil, nil)
	unappliedDesc = prometheus.NewDesc(namespace+"_unapplied_cash_minor",
		"Cash received and not applied to invoices, in minor units of its currency "+
			"(cents for USD), by currency and payment status: new (not matched yet), "+
			"exception, partly_applied (the rest is an exception) or on_account.",
		[]string{"currency", "status"}, nil)
	bankFilesDesc = prometheus.NewDesc(namespace+"_bank_files",
		"Bank files received, by status.", []string{"status"}, nil)
	invoicesDesc = prometheus.NewDesc(namespace+"_invoices",
		"Invoices, by status.", []string{"status"}, nil)
	domainAgeDesc = prometheus.NewDesc(namespace+"_monitor_domain_gauges_age_seconds",
		"How long ago the business gauges of this scrape were read from the database.",
		nil, nil)
)

// The statuses every scrape reports, zero when none is counted, so that a series
// does not vanish when its last row changes status.
var (
	bankFileStatuses = []string{"received", "ingested", "matched", "rejected"}
	invoiceStatuses  = []string{"requested", "open", "paid", "failed", "voided"}
)

// The business gauges' queries. Open exceptions are found through the index on
// (status, created_at); payments, invoices and bank files are scanned, which is
// why the result is kept for DomainTTL. Payments carry no index on status or
// unapplied_minor on purpose: matching updates those columns and relies on
// heap-only updates, which any index on them would prevent.
const (
	qExceptionsOpen = `SELECT reason, count(*) FROM exceptions WHERE status = 'open'
		GROUP BY reason`
	qExceptionsAge = `SELECT COALESCE(extract(epoch FROM now() - min(created_at))::float8, 0)
		FROM exceptions WHERE status = 'open'`
	qUnapplied = `SELECT currency, status, sum(unapplied_minor)::bigint FROM payments
		WHERE status IN ('new', 'exception', 'partly_applied', 'on_account')
			AND direction = 'credit' AND unapplied_minor > 0
		GROUP BY currency, status`
	qBankFiles = `SELECT status, count(*) FROM bank_files GROUP BY status`
	qInvoices  = `SELECT status, count(*) FROM invoices GROUP BY status`
)

// labelled is one gauge value and its label values.
type labelled struct {
	labels []string
	value  float64
}

// domainSnapshot is the business gauges as read at one time.
type domainSnapshot struct {
	at            time.Time
	exceptions    []labelled
	exceptionsAge float64
	unapplied     []labelled
	bankFiles     []labelled
	invoices      []labelled
}

// domainCollector reads the business gauges at most once per DomainTTL; scrapes
// in between are given the same snapshot.
type domainCollector struct {
	m    *Monitor
	mu   sync.Mutex
	last *domainSnapshot
}

func newDomainCollector(m *Monitor) *domainCollector {
	return &domainCollector{m: m}
}

func (c *domainCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{exceptionsOpenDesc, exceptionsAgeDesc, unappliedDesc,
		bankFilesDesc, invoicesDesc, domainAgeDesc} {
		ch <- d
	}
}

func (c *domainCollector) Collect(ch chan<- prometheus.Metric) {
	s, err := c.snapshot()
	if err != nil {
		c.m.failures.WithLabelValues("domain").Inc()
		c.m.cfg.Logger.Warn("Read business gauges", "error", err)

		return
	}

	emit := func(d *prometheus.Desc, ls []labelled) {
		for _, l := range ls {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, l.value, l.labels...)
		}
	}

	emit(exceptionsOpenDesc, s.exceptions)
	emit(unappliedDesc, s.unapplied)
	emit(bankFilesDesc, s.bankFiles)
	emit(invoicesDesc, s.invoices)
	ch <- prometheus.MustNewConstMetric(exceptionsAgeDesc, prometheus.GaugeValue,
		s.exceptionsAge)
	ch <- prometheus.MustNewConstMetric(domainAgeDesc, prometheus.GaugeValue,
		time.Since(s.at).Seconds())
}

// snapshot returns the last snapshot while it is fresh and reads a new one
// otherwise. A failed read is not cached: the next scrape tries again.
func (c *domainCollector) snapshot() (*domainSnapshot, error) {
	c.mu.Lock()
	defer c.mu.Unlock()

	if c.last != nil && time.Since(c.last.at) < c.m.cfg.DomainTTL {
		return c.last, nil
	}

	ctx, cancel := context.WithTimeout(context.Background(), c.m.cfg.QueryTimeout)
	defer cancel()

	s, err := readDomain(ctx, c.m.cfg.Pool)
	if err != nil {
		return nil, err
	}

	c.last = s

	return s, nil
}

// querier is what readDomain needs of a pool.
type querier interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// readDomain reads every business gauge in one round trip.
func readDomain(ctx context.Context, db querier) (*domainSnapshot, error) {
	s := &domainSnapshot{at: time.Now()}

	b := &pgx.Batch{}
	b.Queue(qExceptionsOpen)
	b.Queue(qExceptionsAge)
	b.Queue(qUnapplied)
	b.Queue(qBankFiles)
	b.Queue(qInvoices)

	res := db.SendBatch(ctx, b)
	defer res.Close()

	var err error
	if s.exceptions, err = readCounts(res); err != nil {
		return nil, fmt.Errorf("read open exceptions: %w", err)
	}

	if err := res.QueryRow().Scan(&s.exceptionsAge); err != nil {
		return nil, fmt.Errorf("read oldest open exception: %w", err)
	}

	if s.unapplied, err = readUnapplied(res); err != nil {
		return nil, fmt.Errorf("read unapplied cash: %w", err)
	}

	if s.bankFiles, err = readCounts(res); err != nil {
		return nil, fmt.Errorf("read bank files: %w", err)
	}

	if s.invoices, err = readCounts(res); err != nil {
		return nil, fmt.Errorf("read invoices: %w", err)
	}

	s.bankFiles = withZeros(s.bankFiles, bankFileStatuses)
	s.invoices = withZeros(s.invoices, invoiceStatuses)

	return s, res.Close()
}

// readCounts reads rows of (label, count).
func readCounts(res pgx.BatchResults) ([]labelled, error) {
	rows, err := res.Query()
	if err != nil {
		return nil, err
	}

	var out []labelled
	var label string
	var n int64

	_, err = pgx.ForEachRow(rows, []any{&label, &n}, func() error {
		out = append(out, labelled{labels: []string{label}, value: float64(n)})
		return nil
	})

	return out, err
}

// readUnapplied reads rows of (currency, status, minor units).
func readUnapplied(res pgx.BatchResults) ([]labelled, error) {
	rows, err := res.Query()
	if err != nil {
		return nil, err
	}

	var out []labelled
	var currency, status string
	var minor int64

	_, err = pgx.ForEachRow(rows, []any{&currency, &status, &minor}, func() error {
		out = append(out, labelled{labels: []string{currency, status}, value: float64(minor)})
		return nil
	})

	return out, err
}

// withZeros adds a zero for every status in all that ls does not count.
func withZeros(ls []labelled, all []string) []labelled {
	seen := map[string]bool{}
	for _, l := range ls {
		seen[l.labels[0]] = true
	}

	for _, s := range all {
		if !seen[s] {
			ls = append(ls, labelled{labels: []string{s}})
		}
	}

	return ls
}
