// Package monitor is what o2c tells its operators about itself: Prometheus metrics
// of the HTTP server, of the Watermill bus (handler times, messages received, the
// depth of every topic and the poison queue) and of the business (open exceptions,
// unapplied cash, bank files and invoices), and whether the bus router runs.
//
// Labels carry only bounded technical values: route patterns, status classes,
// handler and topic names, exception reasons, currencies and statuses. Never a
// customer, an amount's owner, an id or a payload.
//
// Bus gauges are read from the database on every scrape with index-bounded
// queries; business gauges are read at most once per Config.DomainTTL.
package monitor

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace starts every metric name o2c defines.
const namespace = "o2c"

// Config wires a Monitor.
type Config struct {
	// Addr is the address the HTTP server listens on. With no Token, /metrics answers
	// only when its host is a loopback address (127.0.0.1, ::1, localhost): business
	// figures are never given to anonymous callers on a public bind. Defaults to "".
	Addr string
	// ConsumerGroup is the Watermill consumer group whose offsets the queue depth is
	// counted against. Required with Pool.
	ConsumerGroup string
	// DomainTTL is how long business gauges are reused before they are read again.
	// Defaults to 15s.
	DomainTTL time.Duration
	// Logger receives failures to read a gauge. Defaults to slog.Default().
	Logger *slog.Logger
	// Pool is the database the bus and business gauges are read from; nil leaves
	// them out. Defaults to nil.
	Pool *pgxpool.Pool
	// PoisonTopic is the topic failed messages are set aside on; it is counted as
	// the poison queue, not as a queue to consume. Defaults to "".
	PoisonTopic string
	// QueryTimeout bounds the queries of one scrape. Defaults to 5s.
	QueryTimeout time.Duration
	// QueueDepthCap is the most messages counted per topic: a deeper queue reads as
	// the cap, so a scrape of a huge backlog stays cheap. Defaults to 100000.
	QueueDepthCap int64
	// Token, when set, is required on /metrics as "Authorization: Bearer <token>",
	// whatever Addr is. Defaults to "".
	Token string
	// Topics are the Watermill topics whose depth is measured. Defaults to none.
	Topics []string
}

func (c *Config) setDefaults() {
	if c.DomainTTL == 0 {
		c.DomainTTL = 15 * time.Second
	}

	if c.Logger == nil {
		c.Logger = slog.Default()
	}

	if c.QueryTimeout == 0 {
		c.QueryTimeout = 5 * time.Second
	}

	if c.QueueDepthCap == 0 {
		c.QueueDepthCap = 100_000
	}
}

// Validate reports a setting that cannot work, naming it.
func (c *Config) Validate() error {
	if c.Pool != nil && c.ConsumerGroup == "" {
		return errors.New("monitor config: consumer group is required with a pool")
	}

	for _, t := range append([]string{c.PoisonTopic}, c.Topics...) {
		if t != "" && !validTopic(t) {
			return fmt.Errorf("monitor config: topic %q is not a watermill-sql topic name", t)
		}
	}

	if c.QueueDepthCap < 0 || c.DomainTTL < 0 || c.QueryTimeout < 0 {
		return errors.New("monitor config: caps and durations must not be negative")
	}

	return nil
}

// Monitor holds o2c's Prometheus registry and serves it. It is safe for concurrent
// use.
type Monitor struct {
	cfg      Config
	registry *prometheus.Registry
	handler  http.Handler
	public   bool

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	failures *prometheus.CounterVec

	router atomic.Pointer[message.Router]
}

// New builds a Monitor and registers its collectors.
func New(cfg Config) (*Monitor, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}

	m := &Monitor{cfg: cfg, registry: prometheus.NewRegistry(), public: Loopback(cfg.Addr)}

	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "http", Name: "requests_total",
		Help: "HTTP requests answered, by route pattern and status class.",
	}, []string{"route", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "http", Name: "request_duration_seconds",
		Help:    "Time to answer an HTTP request, by route pattern and status class.",
		Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
	}, []string{"route", "status"})
	m.failures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "monitor", Name: "read_failures_total",
		Help: "Scrapes that could not read a group of gauges from the database.",
	}, []string{"gauges"})

	cs := []prometheus.Collector{m.requests, m.duration, m.failures,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		routerCollector{m}}

	if cfg.Pool != nil {
		cs = append(cs, newBusCollector(m), newDomainCollector(m))
	}

	for _, c := range cs {
		if err := m.registry.Register(c); err != nil {
			return nil, fmt.Errorf("register collector: %w", err)
		}
	}

	m.handler = promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		ErrorLog:      promLogger{cfg.Logger},
		ErrorHandling: promhttp.ContinueOnError,
	})

	return m, nil
}

// Registry returns the registry, for collectors of other packages.
func (m *Monitor) Registry() *prometheus.Registry {
	return m.registry
}

// ServeHTTP serves the metrics in Prometheus's text format to a caller that may
// see them: with Config.Token, one that presents it as a bearer token; without,
// anyone when the server listens on loopback and no one otherwise.
func (m *Monitor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case m.cfg.Token != "":
		scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") ||
			subtle.ConstantTimeCompare([]byte(got), []byte(m.cfg.Token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="o2c metrics"`)
			refuse(w, http.StatusUnauthorized, "unauthorized",
				"present the metrics token as a bearer token")

			return
		}
	case !m.public:
		refuse(w, http.StatusForbidden, "forbidden",
			"set metrics.token to scrape metrics from a server on a non-loopback address")

		return
	}

	m.handler.ServeHTTP(w, r)
}

func refuse(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "{\"error\":%q,\"detail\":%q}\n", code, detail)
}

// ObserveRequest counts one answered HTTP request. route is the pattern it
// matched ("GET /api/exceptions/{id}"), never the raw path; "" counts as
// "unmatched".
func (m *Monitor) ObserveRequest(route string, status int, took time.Duration) {
	if route == "" {
		route = "unmatched"
	}

	class := statusClass(status)
	m.requests.WithLabelValues(route, class).Inc()
	m.duration.WithLabelValues(route, class).Observe(took.Seconds())
}

func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}

	return strconv.Itoa(status/100) + "xx"
}

// ErrRouterStopped reports a bus router that was watched and is not running.
var ErrRouterStopped = errors.New("bus router is not running")

// Ready reports whether the watched bus router runs: nil when it does or when no
// router was instrumented, ErrRouterStopped when it has not started or has
// closed, or ctx's error when ctx ends first (a closing router holds its lock
// while it drains).
func (m *Monitor) Ready(ctx context.Context) error {
	r := m.router.Load()
	if r == nil {
		return nil
	}

	if !r.IsRunning() {
		return ErrRouterStopped
	}

	closed := make(chan bool, 1)
	go func() { closed <- r.IsClosed() }()

	select {
	case c := <-closed:
		if c {
			return ErrRouterStopped
		}

		return nil
	case <-ctx.Done():
		return fmt.Errorf("check bus router: %w", ctx.Err())
	}
}

// routerCollector exports whether the router runs.
type routerCollector struct{ m *Monitor }

var routerRunningDesc = prometheus.NewDesc(namespace+"_bus_router_running",
	"1 when the Watermill router of this process runs, 0 when it was started and "+
		"stopped; absent in a process without a router.", nil, nil)

func (c routerCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- routerRunningDesc
}

func (c routerCollector) Collect(ch chan<- prometheus.Metric) {
	if c.m.router.Load() == nil {
		return
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()

	v := 1.0
	if c.m.Ready(ctx) != nil {
		v = 0
	}

	ch <- prometheus.MustNewConstMetric(routerRunningDesc, prometheus.GaugeValue, v)
}

// Loopback reports whether addr (host:port, or a host) listens only on a loopback
// address. An empty host ("":8080) listens on every address and is not loopback.
func Loopback(addr string) bool {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}

	if strings.EqualFold(host, "localhost") {
		return true
	}

	ip := net.ParseIP(strings.Trim(host, "[]"))

	return ip != nil && ip.IsLoopback()
}

// promLogger passes promhttp's errors to slog.
type promLogger struct{ l *slog.Logger }

func (p promLogger) Println(v ...any) {
	p.l.Warn("Metrics exposition failed", "error", fmt.Sprint(v...))
}
