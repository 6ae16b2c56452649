package monitor

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	wmetrics "github.com/ThreeDotsLabs/watermill/components/metrics"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
)

// handlerBuckets suit o2c's handlers, which read whole bank files and call the
// ERP: from milliseconds to minutes.
var handlerBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
	30, 60, 120, 300}

// Instrument adds Watermill's Prometheus metrics to router and watches it for
// Ready. Every handler's subscriber and publisher are decorated (the series
// o2c_bus_subscriber_messages_received_total and o2c_bus_publish_time_seconds);
// the returned middleware times each message (o2c_bus_handler_execution_time_seconds,
// labelled handler_name and success). The caller places the middleware: inside
// the poison queue and outside the retries, it times a message once across its
// attempts and counts a message that ends poisoned as success="false".
//
// Call it once per router, before the router runs.
func (m *Monitor) Instrument(router *message.Router) message.HandlerMiddleware {
	b := wmetrics.NewPrometheusMetricsBuilder(m.registry, namespace, "bus")
	b.HandlerBuckets = handlerBuckets

	router.AddPublisherDecorators(b.DecoratePublisher)
	router.AddSubscriberDecorators(b.DecorateSubscriber)
	m.router.Store(router)

	return b.NewRouterMiddleware().Middleware
}

// topicName is what watermill-sql accepts as a topic, so a table name built from
// one needs no escaping beyond quoting.
var topicName = regexp.MustCompile(`^[A-Za-z0-9\-$:._]+$`)

func validTopic(t string) bool {
	return topicName.MatchString(t)
}

var (
	queueDepthDesc = prometheus.NewDesc(namespace+"_bus_queue_depth",
		"Messages committed to a topic that its consumer group has not acked yet "+
			"(counted up to the configured cap).", []string{"topic", "consumer_group"}, nil)
	queueAgeDesc = prometheus.NewDesc(namespace+"_bus_queue_oldest_age_seconds",
		"Age of the oldest message of a topic its consumer group has not acked; 0 "+
			"when the queue is empty.", []string{"topic", "consumer_group"}, nil)
	poisonDesc = prometheus.NewDesc(namespace+"_bus_poison_messages",
		"Messages set aside on the poison topic and not replayed, by the topic they "+
			"failed on.", []string{"topic"}, nil)
)

// busCollector reads queue depths and the poison queue on every scrape.
type busCollector struct {
	m       *Monitor
	offsets string // every topic's acked position, one row per topic with one
	depth   string // every topic's depth and oldest age after a given position
	poison  string
	topics  []string
}

func newBusCollector(m *Monitor) *busCollector {
	c := &busCollector{m: m}

	var offs, depths []string
	for _, t := range m.cfg.Topics {
		if t == m.cfg.PoisonTopic {
			continue
		}

		i := len(c.topics)
		c.topics = append(c.topics, t)
		offs = append(offs, offsetQuery(t, i))
		depths = append(depths, depthQuery(t, i))
	}

	c.offsets = strings.Join(offs, "\nUNION ALL\n")
	c.depth = strings.Join(depths, "\nUNION ALL\n")

	if m.cfg.PoisonTopic != "" {
		c.poison = poisonQuery(m.cfg.PoisonTopic)
	}

	return c
}

// offsetQuery reads the last (transaction id, offset) the consumer group $1
// acked on topic i.
func offsetQuery(topic string, i int) string {
	return fmt.Sprintf(`SELECT %d, last_processed_transaction_id::text, COALESCE(offset_acked, 0)
	FROM %s WHERE consumer_group = $1`, i,
		pgx.Identifier{"watermill_offsets_" + topic}.Sanitize())
}

// depthQuery counts the rows of topic i's table after an acked position, in the
// order watermill-sql delivers them: (transaction_id, offset) greater than the
// last acked pair, a range of the table's primary key on that pair, and reads
// the first one's age. The position is given as literal parameters ($2+2i the
// transaction id as text, $3+2i the offset) so that the planner estimates the
// range from the table's statistics: an acked topic of any length costs an
// index probe, a backlog one index entry per pending message up to the cap ($1).
func depthQuery(topic string, i int) string {
	return fmt.Sprintf(`SELECT %[2]d,
	(SELECT count(*) FROM (SELECT 1 FROM %[1]s m
		WHERE (m.transaction_id, m."offset") > ($%[3]d::text::xid8, $%[4]d::bigint)
		LIMIT $1) pending),
	COALESCE((SELECT extract(epoch FROM localtimestamp - m.created_at)::float8 FROM %[1]s m
		WHERE (m.transaction_id, m."offset") > ($%[3]d::text::xid8, $%[4]d::bigint)
		ORDER BY m.transaction_id, m."offset" LIMIT 1), 0)`,
		pgx.Identifier{"watermill_" + topic}.Sanitize(), i, 2+2*i, 3+2*i)
}

// poisonQuery counts poisoned messages not replayed, by the topic they failed on.
func poisonQuery(topic string) string {
	return `SELECT COALESCE(p.metadata->>'topic_poisoned', ''), count(*)
		FROM ` + pgx.Identifier{"watermill_" + topic}.Sanitize() + ` p
		WHERE NOT EXISTS (SELECT 1 FROM poison_replays r WHERE r.message_uuid = p.uuid)
		GROUP BY 1`
}

func (c *busCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueDepthDesc
	ch <- queueAgeDesc
	ch <- poisonDesc
}

func (c *busCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.m.cfg.QueryTimeout)
	defer cancel()

	if err := c.collect(ctx, ch); err != nil {
		c.m.failures.WithLabelValues("bus").Inc()
		c.m.cfg.Logger.WarnContext(ctx, "Read bus gauges", "error", err)
	}
}

func (c *busCollector) collect(ctx context.Context, ch chan<- prometheus.Metric) error {
	if len(c.topics) > 0 {
		if err := c.collectDepths(ctx, ch); err != nil {
			return err
		}
	}

	if c.poison == "" {
		return nil
	}

	return c.collectPoison(ctx, ch)
}

// collectDepths reads every topic's acked position, then what lies after it.
//
// Sequential scans are switched off for the transaction: a topic's table holds
// every message ever sent, and a table without statistics yet (a new database)
// would otherwise be read whole to count a few rows. With the index, an acked
// topic costs one probe whatever its length.
func (c *busCollector) collectDepths(ctx context.Context, ch chan<- prometheus.Metric) error {
	tx, err := c.m.cfg.Pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("read queue depths: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()

	if _, err := tx.Exec(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
		return fmt.Errorf("read queue depths: %w", err)
	}

	args, err := c.positions(ctx, tx)
	if err != nil {
		return err
	}

	rows, err := tx.Query(ctx, c.depth, args...)
	if err != nil {
		return fmt.Errorf("read queue depths: %w", err)
	}

	var i, n int64
	var age float64

	group := c.m.cfg.ConsumerGroup

	_, err = pgx.ForEachRow(rows, []any{&i, &n, &age}, func() error {
		t := c.topics[i]
		ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue,
			float64(n), t, group)
		ch <- prometheus.MustNewConstMetric(queueAgeDesc, prometheus.GaugeValue,
			max(age, 0), t, group)

		return nil
	})
	if err != nil {
		return fmt.Errorf("read queue depths: %w", err)
	}

	return nil
}

// positions returns the depth query's arguments: the cap, then each topic's
// acked transaction id and offset. A group with no offset row on a topic has
// acked nothing there.
func (c *busCollector) positions(ctx context.Context, tx pgx.Tx) ([]any, error) {
	args := []any{c.m.cfg.QueueDepthCap}
	for range c.topics {
		args = append(args, "0", int64(0))
	}

	rows, err := tx.Query(ctx, c.offsets, c.m.cfg.ConsumerGroup)
	if err != nil {
		return nil, fmt.Errorf("read queue offsets: %w", err)
	}

	var i, off int64
	var xid string

	_, err = pgx.ForEachRow(rows, []any{&i, &xid, &off}, func() error {
		args[1+2*i], args[2+2*i] = xid, off
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read queue offsets: %w", err)
	}

	return args, nil
}

func (c *busCollector) collectPoison(ctx context.Context, ch chan<- prometheus.Metric) error {
	rows, err := c.m.cfg.Pool.Query(ctx, c.poison)
	if err != nil {
		return fmt.Errorf("read poison queue: %w", err)
	}

	known := map[string]bool{}
	for _, t := range c.m.cfg.Topics {
		known[t] = true
	}

	// Every configured topic has a series, so an alert can compare with zero; a
	// topic name read from a message's metadata becomes a label only when known.
	counts := map[string]int64{}
	for _, t := range c.topics {
		counts[t] = 0
	}

	var topic string
	var n int64

	_, err = pgx.ForEachRow(rows, []any{&topic, &n}, func() error {
		if !known[topic] {
			topic = "other"
		}

		counts[topic] += n

		return nil
	})
	if err != nil {
		return fmt.Errorf("read poison queue: %w", err)
	}

	for t, n := range counts {
		ch <- prometheus.MustNewConstMetric(poisonDesc, prometheus.GaugeValue, float64(n), t)
	}

	return nil
}
