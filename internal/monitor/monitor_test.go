package monitor_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/monitor"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/service"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/pipelines"
)

func TestMain(m *testing.M) {
	pgtest.SetTemplate(service.Prepare)
	pgtest.Main(m)
}

var quiet = slog.New(slog.DiscardHandler)

// newMonitor is a Monitor of pool's bus and business, read afresh on every scrape.
func newMonitor(t testing.TB, pool *pgxpool.Pool) *monitor.Monitor {
	t.Helper()

	m, err := monitor.New(monitor.Config{Addr: "127.0.0.1:8080", Pool: pool,
		Topics: pipelines.Topics, ConsumerGroup: pipelines.ConsumerGroup,
		PoisonTopic: pipelines.TopicPoison, DomainTTL: time.Nanosecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}

	return m
}

// runRouter runs o2c's router on pool, instrumented by m, until the test ends or
// the returned stop is called.
func runRouter(t *testing.T, pool *pgxpool.Pool, m *monitor.Monitor) (stop func()) {
	t.Helper()

	halt, err := service.RunRouter(context.Background(), pipelines.Config{Pool: pool,
		ReadBankFile: bank.Scan, PollInterval: 20 * time.Millisecond, Logger: quiet,
		Metrics: m})
	if err != nil {
		t.Fatal(err)
	}

	stopped := false
	stop = func() {
		if stopped {
			return
		}

		stopped = true
		if err := halt(); err != nil {
			t.Errorf("stop router: %v", err)
		}
	}

	t.Cleanup(stop)

	return stop
}

// scrape is one scrape of /metrics, parsed.
type scrape map[string]*dto.MetricFamily

// get scrapes h as Prometheus does.
func get(t testing.TB, h http.Handler) (scrape, string) {
	t.Helper()

	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}

	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, body)
	}

	p := expfmt.NewTextParser(model.UTF8Validation)

	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parse exposition: %v\n%s", err, body)
	}

	return fams, string(body)
}

// value is the sample of name whose labels include want: a gauge's or counter's
// value, a histogram's count. ok is false when there is none.
func (s scrape) value(name string, want map[string]string) (v float64, ok bool) {
	f := s[name]
	if f == nil {
		return 0, false
	}

	for _, m := range f.Metric {
		if !hasLabels(m, want) {
			continue
		}

		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}

	return 0, false
}

// series maps the joined values of labels to the value of every sample of name.
func (s scrape) series(name string, labels ...string) map[string]float64 {
	out := map[string]float64{}
	if s[name] == nil {
		return out
	}

	for _, m := range s[name].Metric {
		var key []string
		for _, l := range labels {
			key = append(key, labelOf(m, l))
		}

		out[strings.Join(key, "/")] = m.GetGauge().GetValue()
	}

	return out
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	for k, v := range want {
		if labelOf(m, k) != v {
			return false
		}
	}

	return true
}

func labelOf(m *dto.Metric, name string) string {
	for _, l := range m.Label {
		if l.GetName() == name {
			return l.GetValue()
		}
	}

	return ""
}

// waitFor polls cond until it holds or 30 seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()

	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}

		time.Sleep(20 * time.Millisecond)
	}
}

// seedInvoices stores a customer and two open EUR invoices a bank file can pay.
func seedInvoices(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()

	ctx := context.Background()

	_, err := store.UpsertCustomer(ctx, pool,
		billing.Customer{ID: "C-77", Name: "Brindle Quarry Works"}, "test")
	if err != nil {
		t.Fatal(err)
	}

	issue := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	for i, open := range []int64{41250, 9900} {
		_, err := store.SyncERPInvoice(ctx, pool, billing.Invoice{
			Number: fmt.Sprintf("BQ-%d", 301+i), ERPID: fmt.Sprintf("x-%d", i),
			CustomerID: "C-77", CustomerName: "Brindle Quarry Works", Currency: "EUR",
			Total: open, Open: open, IssueDate: issue, DueDate: issue.AddDate(0, 0, 30),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// bankCSV pays one invoice in full and brings cash nobody can place, in two
// currencies.
const bankCSV = "Date,Transaction ID,Payer,Description,Amount,Currency\n" +
	"2026-03-20,TX-1,BRINDLE QUARRY WORKS,Invoice BQ-301,412.50,EUR\n" +
	"2026-03-20,TX-2,Hollow Pine Traders,spring order,73.10,EUR\n" +
	"2026-03-21,TX-3,Marsh Gate Ltd,ref 5521,1250.00,USD\n"

func TestBankFileThroughBusShowsHandlersQueuesAndDomain(t *testing.T) {
	t.Parallel()

	pool := pgtest.DB(t)
	seedInvoices(t, pool)

	m := newMonitor(t, pool)
	runRouter(t, pool, m)

	ctx := context.Background()

	sub, err := pipelines.Submit(ctx, pool, "march.csv", []byte(bankCSV), "treasury")
	if err != nil {
		t.Fatal(err)
	}

	files, err := pipelines.WaitFiles(ctx, pool, []int64{sub.File.ID}, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}

	if files[0].Status != store.FileMatched {
		t.Fatalf("file %s, want matched", files[0].Status)
	}

	// The offset of a handled message is written when its batch ends, just after.
	waitFor(t, "bank file topics drained", func() bool {
		s, _ := get(t, m)
		a, _ := s.value("o2c_bus_queue_depth", map[string]string{
			"topic": pipelines.TopicBankFileReceived, "consumer_group": "o2c"})
		b, _ := s.value("o2c_bus_queue_depth", map[string]string{
			"topic": pipelines.TopicPaymentsIngested, "consumer_group": "o2c"})

		return a == 0 && b == 0
	})

	// A handler is timed before its offset is written, but collectors run
	// concurrently within a scrape: the next one sees both.
	s, body := get(t, m)

	for _, h := range []string{"read_bank_file", "match_payments"} {
		n, ok := s.value("o2c_bus_handler_execution_time_seconds",
			map[string]string{"handler_name": h, "success": "true"})
		if !ok || n < 1 {
			t.Errorf("handler %s: %v successful executions (series found: %v)", h, n, ok)
		}

		n, _ = s.value("o2c_bus_subscriber_messages_received_total",
			map[string]string{"handler_name": h, "acked": "acked"})
		if n < 1 {
			t.Errorf("handler %s: %v messages received and acked", h, n)
		}
	}

	if v, _ := s.value("o2c_bus_router_running", nil); v != 1 {
		t.Errorf("o2c_bus_router_running = %v, want 1", v)
	}

	// No ERP is configured, so applied cash waits on its topic: every row of it is
	// pending.
	var pending int64
	err = pool.QueryRow(ctx, `SELECT count(*) FROM "watermill_o2c_cash_applied"`).Scan(&pending)
	if err != nil {
		t.Fatal(err)
	}

	got, ok := s.value("o2c_bus_queue_depth", map[string]string{
		"topic": pipelines.TopicCashApplied, "consumer_group": "o2c"})
	if !ok || got != float64(pending) {
		t.Errorf("cash applied depth = %v (found %v), want %d", got, ok, pending)
	}

	checkDomain(t, pool, s)

	for _, secret := range []string{"Brindle", "BRINDLE", "Hollow", "Marsh", "BQ-301", "TX-2",
		"march.csv", "treasury"} {
		if strings.Contains(body, secret) {
			t.Errorf("metrics carry business data %q", secret)
		}
	}
}

// checkDomain compares the business gauges with the database, aggregated here
// from the rows rather than by the monitor's queries.
func checkDomain(t *testing.T, pool *pgxpool.Pool, s scrape) {
	t.Helper()

	ctx := context.Background()
	want := map[string]float64{}

	rows, _ := pool.Query(ctx, `SELECT reason, status FROM exceptions`)
	var reason, status, currency, direction string

	_, err := pgx.ForEachRow(rows, []any{&reason, &status}, func() error {
		if status == store.ExceptionOpen {
			want[reason]++
		}

		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	if len(want) == 0 {
		t.Fatal("the file opened no exception: the test proves nothing")
	}

	compare(t, "o2c_exceptions_open", s.series("o2c_exceptions_open", "reason"), want)

	want = map[string]float64{}
	rows, _ = pool.Query(ctx, `SELECT currency, status, direction, unapplied_minor FROM payments`)

	var minor int64

	_, err = pgx.ForEachRow(rows, []any{&currency, &status, &direction, &minor}, func() error {
		switch status {
		case "new", "exception", "partly_applied", "on_account":
			if direction == "credit" && minor > 0 {
				want[currency+"/"+status] += float64(minor)
			}
		}

		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	compare(t, "o2c_unapplied_cash_minor",
		s.series("o2c_unapplied_cash_minor", "currency", "status"), want)

	for _, table := range []string{"bank_files", "invoices"} {
		want = map[string]float64{}
		rows, _ = pool.Query(ctx, `SELECT status FROM `+table)

		_, err = pgx.ForEachRow(rows, []any{&status}, func() error {
			want[status]++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		got := s.series("o2c_"+table, "status")
		for k, v := range got {
			if v == 0 {
				delete(got, k)
			}
		}

		compare(t, "o2c_"+table, got, want)
	}
}

func compare(t *testing.T, name string, got, want map[string]float64) {
	t.Helper()

	if fmt.Sprint(sorted(got)) != fmt.Sprint(sorted(want)) {
		t.Errorf("%s = %v, want %v", name, sorted(got), sorted(want))
	}
}

func sorted(m map[string]float64) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s=%v", k, v))
	}

	sort.Strings(out)

	return out
}

func publish(t *testing.T, pool *pgxpool.Pool, topic string, n int, payload any) {
	t.Helper()

	err := store.InTx(context.Background(), pool, func(tx pgx.Tx) error {
		for range n {
			if err := pipelines.Publish(context.Background(), tx, topic, payload); err != nil {
				return err
			}
		}

		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestQueueDepthCountsUnackedMessagesAndReturnsToZero(t *testing.T) {
	t.Parallel()

	pool := pgtest.DB(t)
	m := newMonitor(t, pool)
	topic := map[string]string{"topic": pipelines.TopicExceptionsOpened, "consumer_group": "o2c"}

	depth := func() float64 {
		s, _ := get(t, m)
		v, ok := s.value("o2c_bus_queue_depth", topic)
		if !ok {
			t.Fatal("no o2c_bus_queue_depth series for the topic")
		}

		return v
	}

	// Before any router ran, the group has no offset row: everything is pending.
	publish(t, pool, pipelines.TopicExceptionsOpened, 5,
		pipelines.ExceptionsOpened{ExceptionIDs: []int64{1}})

	if got := depth(); got != 5 {
		t.Fatalf("depth before consuming = %v, want 5", got)
	}

	if err := m.Ready(context.Background()); err != nil {
		t.Fatalf("Ready without a router = %v, want nil", err)
	}

	stop := runRouter(t, pool, m)

	waitFor(t, "the topic drained", func() bool { return depth() == 0 })

	s, _ := get(t, m)
	if n, _ := s.value("o2c_bus_handler_execution_time_seconds", map[string]string{
		"handler_name": "note_exceptions", "success": "true"}); n != 5 {
		t.Errorf("note_exceptions ran %v times, want 5", n)
	}

	if age, _ := s.value("o2c_bus_queue_oldest_age_seconds", topic); age != 0 {
		t.Errorf("oldest age of an empty queue = %v, want 0", age)
	}

	if err := m.Ready(context.Background()); err != nil {
		t.Fatalf("Ready with the router running = %v", err)
	}

	stop()

	if err := m.Ready(context.Background()); !errors.Is(err, monitor.ErrRouterStopped) {
		t.Fatalf("Ready after the router stopped = %v, want ErrRouterStopped", err)
	}

	// After an offset: only what came after it is pending.
	publish(t, pool, pipelines.TopicExceptionsOpened, 3,
		pipelines.ExceptionsOpened{ExceptionIDs: []int64{2}})

	if got := depth(); got != 3 {
		t.Fatalf("depth after the offset = %v, want 3", got)
	}

	s, _ = get(t, m)
	if v, _ := s.value("o2c_bus_router_running", nil); v != 0 {
		t.Errorf("o2c_bus_router_running after stop = %v, want 0", v)
	}

	if age, _ := s.value("o2c_bus_queue_oldest_age_seconds", topic); age < 0 || age > 60 {
		t.Errorf("oldest age of a fresh message = %v s", age)
	}
}

func TestQueueDepthStopsAtTheCap(t *testing.T) {
	t.Parallel()

	pool := pgtest.DB(t)

	m, err := monitor.New(monitor.Config{Addr: "127.0.0.1:8080", Pool: pool,
		Topics: []string{pipelines.TopicDealsWon}, ConsumerGroup: pipelines.ConsumerGroup,
		QueueDepthCap: 4, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}

	publish(t, pool, pipelines.TopicDealsWon, 7, pipelines.DealsWon{})

	s, _ := get(t, m)
	if v, _ := s.value("o2c_bus_queue_depth",
		map[string]string{"topic": pipelines.TopicDealsWon}); v != 4 {
		t.Fatalf("depth = %v, want the cap 4", v)
	}
}

func TestPoisonedMessageCountsAsFailedAndInThePoisonQueue(t *testing.T) {
	t.Parallel()

	pool := pgtest.DB(t)
	m := newMonitor(t, pool)
	runRouter(t, pool, m)

	// A string where an object is expected cannot be decoded: it is poisoned
	// without retries.
	publish(t, pool, pipelines.TopicExceptionsOpened, 1, "not an object")

	poisoned := map[string]string{"topic": pipelines.TopicExceptionsOpened}

	waitFor(t, "the message poisoned", func() bool {
		s, _ := get(t, m)
		v, _ := s.value("o2c_bus_poison_messages", poisoned)

		return v == 1
	})

	// Collectors run concurrently within a scrape: the one that saw the poisoned
	// row may have run after the histogram was read. The next scrape sees both.
	s, _ := get(t, m)

	n, _ := s.value("o2c_bus_handler_execution_time_seconds",
		map[string]string{"handler_name": "note_exceptions", "success": "false"})
	if n != 1 {
		t.Errorf("failed executions = %v, want 1", n)
	}

	if v, ok := s.value("o2c_bus_poison_messages",
		map[string]string{"topic": pipelines.TopicDealsWon}); !ok || v != 0 {
		t.Errorf("another topic's poison count = %v (found %v), want a zero series", v, ok)
	}

	if _, ok := s.value("o2c_bus_queue_depth",
		map[string]string{"topic": pipelines.TopicPoison}); ok {
		t.Error("the poison topic is counted as a queue to consume")
	}
}

func TestDomainGaugesAreCachedForTheTTL(t *testing.T) {
	t.Parallel()

	pool := pgtest.DB(t)
	seedInvoices(t, pool)

	m, err := monitor.New(monitor.Config{Addr: "127.0.0.1:8080", Pool: pool,
		ConsumerGroup: pipelines.ConsumerGroup, DomainTTL: time.Hour, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}

	open := map[string]string{"status": "open"}

	s, _ := get(t, m)
	if v, _ := s.value("o2c_invoices", open); v != 2 {
		t.Fatalf("open invoices = %v, want 2", v)
	}

	_, err = pool.Exec(context.Background(), `UPDATE invoices SET status = 'paid'`)
	if err != nil {
		t.Fatal(err)
	}

	s, _ = get(t, m)
	if v, _ := s.value("o2c_invoices", open); v != 2 {
		t.Fatalf("open invoices within the TTL = %v, want the cached 2", v)
	}

	fresh := newMonitor(t, pool)

	s, _ = get(t, fresh)
	if v, _ := s.value("o2c_invoices", open); v != 0 {
		t.Fatalf("open invoices read afresh = %v, want 0", v)
	}

	if v, _ := s.value("o2c_invoices", map[string]string{"status": "paid"}); v != 2 {
		t.Fatalf("paid invoices read afresh = %v, want 2", v)
	}
}
