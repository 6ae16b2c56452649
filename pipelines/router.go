package pipelines

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/matching"
)

// BankReader reads a bank file from r and hands each transaction to emit as it
// goes. It returns the file without its transactions and how many it emitted, or
// a *bankfile.Error when the file must be rejected; an error of emit is returned
// as is. bank.Scan is one.
type BankReader func(name string, r io.Reader, emit func(bankfile.Transaction) error) (
	*bankfile.File, int, error)

// Config wires the bus to its dependencies.
type Config struct {
	// AckDeadline is how long a handler may work on one message before it is
	// redelivered. Defaults to 5 minutes: a large bank file is one message.
	AckDeadline time.Duration
	// Clock gives the current time. Defaults to time.Now.
	Clock func() time.Time
	// ERP receives invoices and payments. When nil, the ERP handlers are not run and
	// their messages wait in their topics for a router that has an ERP.
	ERP ERP
	// InvoiceDueDays is the payment term of invoices raised from deals. Defaults to 30.
	InvoiceDueDays int
	// Logger receives lifecycle and failure logs. Defaults to slog.Default().
	Logger *slog.Logger
	// Metrics, when set, instruments the router (package monitor). Defaults to nil.
	Metrics Instrumenter
	// PollInterval is how often an idle topic is polled. Defaults to 250ms.
	PollInterval time.Duration
	// Pool is the PostgreSQL pool the bus and the store share. Required.
	Pool *pgxpool.Pool
	// ReadBankFile reads stored bank files. Required.
	ReadBankFile BankReader
	// Retry is how often a failing handler is retried before its message goes to
	// the poison topic. Defaults to 3.
	Retry int
	// Rules are the matching rules. Defaults to matching.DefaultRules().
	Rules *matching.Rules
}

func (c *Config) setDefaults() {
	if c.AckDeadline == 0 {
		c.AckDeadline = 5 * time.Minute
	}

	if c.Clock == nil {
		c.Clock = time.Now
	}

	if c.InvoiceDueDays == 0 {
		c.InvoiceDueDays = 30
	}

	if c.Logger == nil {
		c.Logger = slog.Default()
	}

	if c.PollInterval == 0 {
		c.PollInterval = 250 * time.Millisecond
	}

	if c.Retry == 0 {
		c.Retry = 3
	}

	if c.Rules == nil {
		r := matching.DefaultRules()
		c.Rules = &r
	}
}

// Validate reports a missing required dependency.
func (c *Config) Validate() error {
	if c.Pool == nil {
		return errors.New("pipelines config: pool is required")
	}

	if c.ReadBankFile == nil {
		return errors.New("pipelines config: read bank file is required")
	}

	return nil
}

// InitSchema creates the tables of every topic, so that publishing inside a
// business transaction never meets a missing table.
func InitSchema(ctx context.Context, pool *pgxpool.Pool) error {
	sub, err := newSubscriber(pool, time.Second, time.Minute, watermill.NopLogger{})
	if err != nil {
		return err
	}
	defer sub.Close()

	for _, t := range Topics {
		if err := sub.SubscribeInitialize(t); err != nil {
			return fmt.Errorf("initialise topic %s: %w", t, err)
		}
	}

	return nil
}

func newSubscriber(pool *pgxpool.Pool, poll, ackDeadline time.Duration,
	logger watermill.LoggerAdapter) (*wsql.Subscriber, error) {
	sub, err := wsql.NewSubscriber(wsql.BeginnerFromPgx(pool), wsql.SubscriberConfig{
		ConsumerGroup:    consumerGroup,
		AckDeadline:      &ackDeadline,
		PollInterval:     poll,
		ResendInterval:   poll,
		RetryInterval:    time.Second,
		SchemaAdapter:    wsql.DefaultPostgreSQLSchema{},
		OffsetsAdapter:   wsql.DefaultPostgreSQLOffsetsAdapter{},
		InitializeSchema: true,
	}, logger)
	if err != nil {
		return nil, fmt.Errorf("create subscriber: %w", err)
	}

	return sub, nil
}

// ConsumerGroup is the Watermill consumer group every o2c handler reads its topic
// in; a topic's depth is counted against this group's offset.
const ConsumerGroup = consumerGroup

// Instrumenter adds metrics to a router before it runs and returns the
// middleware that times each message; NewRouter places it inside the poison
// queue and outside the retries, so a message is timed once over all its
// attempts and one that ends poisoned counts as failed. *monitor.Monitor is one.
type Instrumenter interface {
	Instrument(router *message.Router) message.HandlerMiddleware
}

// NewRouter builds the router with every handler and the middleware in the order
// that makes retries happen before a message is poisoned: correlation id, poison
// queue, metrics (when configured), context restore, retry, timeout, recoverer
// (the first added is the outermost).
func NewRouter(cfg Config) (*message.Router, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}

	logger := busLogger(cfg.Logger)

	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 30 * time.Second}, logger)
	if err != nil {
		return nil, fmt.Errorf("create router: %w", err)
	}

	sub, err := newSubscriber(cfg.Pool, cfg.PollInterval, cfg.AckDeadline, logger)
	if err != nil {
		return nil, err
	}

	poisonPub, err := wsql.NewPublisher(wsql.BeginnerFromPgx(cfg.Pool), wsql.PublisherConfig{
		SchemaAdapter: wsql.DefaultPostgreSQLSchema{},
	}, logger)
	if err != nil {
		return nil, fmt.Errorf("create poison publisher: %w", err)
	}

	// A handler cut off by the router shutting down fails with the cancelled
	// context: its message is not poison, it stays on its topic for the next run.
	poison, err := middleware.PoisonQueueWithFilter(poisonPub, TopicPoison,
		func(err error) bool {
			if errors.Is(err, context.Canceled) {
				cfg.Logger.Warn("Message left on its topic: its handler was cut off",
					"error", err)

				return false
			}

			cfg.Logger.Error("Message set aside on the poison topic", "error", err)

			return true
		})
	if err != nil {
		return nil, fmt.Errorf("create poison queue: %w", err)
	}

	retry := middleware.Retry{
		MaxRetries:          cfg.Retry,
		InitialInterval:     200 * time.Millisecond,
		MaxInterval:         5 * time.Second,
		Multiplier:          2,
		RandomizationFactor: 0.2,
		// The timeout middleware inside derives each attempt's deadline from the
		// message context; without a reset the second attempt inherits a cancelled one.
		ResetContextOnRetry: true,
		ShouldRetry: func(p middleware.RetryParams) bool {
			var perm errPermanent
			return !errors.As(p.Err, &perm)
		},
		Logger: logger,
	}

	mws := []message.HandlerMiddleware{middleware.CorrelationID, poison}
	if cfg.Metrics != nil {
		mws = append(mws, cfg.Metrics.Instrument(router))
	}

	router.AddMiddleware(append(mws,
		restoreContext,
		retry.Middleware,
		middleware.Timeout(cfg.AckDeadline-10*time.Second),
		middleware.Recoverer,
	)...)

	h := &handlers{cfg: cfg}

	router.AddConsumerHandler("raise_invoices", TopicDealsWon, sub, h.raiseInvoices)
	router.AddConsumerHandler("read_bank_file", TopicBankFileReceived, sub, h.readBankFile)
	router.AddConsumerHandler("match_payments", TopicPaymentsIngested, sub, h.matchPayments)
	router.AddConsumerHandler("note_exceptions", TopicExceptionsOpened, sub, h.noteExceptions)
	router.AddConsumerHandler("note_invoices", TopicInvoicesCreated, sub, h.noteInvoices)

	if cfg.ERP != nil {
		router.AddConsumerHandler("push_invoices", TopicInvoicesRequested, sub, h.pushInvoices)
		router.AddConsumerHandler("record_payments", TopicCashApplied, sub, h.recordPayments)
		router.AddConsumerHandler("unrecord_payments", TopicCashUnapplied, sub,
			h.unrecordPayments)
	}

	return router, nil
}

// restoreContext gives the message back the context it came with once the inner
// handler returns. The timeout middleware replaces it with one it cancels on
// return, and the poison queue publishes with the message's context: without
// this, every poisoned message would fail to publish and loop forever.
//
// When the handler failed, the context given back keeps the original's values
// but not its cancellation: the message's own deadline may be what made it fail,
// and the poison publish must still go through.
func restoreContext(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		ctx := msg.Context()

		out, err := h(msg)
		if err != nil {
			msg.SetContext(context.WithoutCancel(ctx))
		} else {
			msg.SetContext(ctx)
		}

		return out, err
	}
}

// handlers holds what every handler needs.
type handlers struct {
	cfg Config
}

func (h *handlers) noteExceptions(msg *message.Message) error {
	var m ExceptionsOpened
	if err := decode(msg, &m); err != nil {
		return err
	}

	h.cfg.Logger.InfoContext(msg.Context(), "Exceptions opened", "count", len(m.ExceptionIDs))

	return nil
}

func (h *handlers) noteInvoices(msg *message.Message) error {
	var m InvoicesCreated
	if err := decode(msg, &m); err != nil {
		return err
	}

	h.cfg.Logger.InfoContext(msg.Context(), "Invoices created in ERP", "count", len(m.Numbers))

	return nil
}
