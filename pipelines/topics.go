// Package pipelines is o2c's Watermill bus on PostgreSQL: the topics, the messages
// they carry, the handlers that move work from CRM deals to ERP invoices and from
// bank files to applied cash, and the middleware around them.
//
// Messages are coarse (a batch of deals, a file, a batch of applications) because a
// PostgreSQL topic delivers one message at a time. Delivery is at least once, so
// every handler is idempotent: it works from the state in the database, not from
// the message alone, and a redelivered message finds nothing left to do. Business
// writes and the messages they cause are committed in one transaction.
package pipelines

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5"
)

// Topics of the bus. Names are short: watermill-sql makes tables of them.
const (
	TopicDealsWon          = "o2c_deals_won"
	TopicInvoicesRequested = "o2c_invoices_requested"
	TopicInvoicesCreated   = "o2c_invoices_created"
	TopicBankFileReceived  = "o2c_bank_file_received"
	TopicPaymentsIngested  = "o2c_payments_ingested"
	TopicCashApplied       = "o2c_cash_applied"
	TopicExceptionsOpened  = "o2c_exceptions_opened"
	TopicCashUnapplied     = "o2c_cash_unapplied"
	TopicPoison            = "o2c_poison"
)

// Topics lists every topic, for schema initialisation and metrics.
var Topics = []string{
	TopicDealsWon, TopicInvoicesRequested, TopicInvoicesCreated, TopicBankFileReceived,
	TopicPaymentsIngested, TopicCashApplied, TopicExceptionsOpened, TopicPoison,
	TopicCashUnapplied,
}

// consumerGroup is the one group o2c's handlers consume in.
const consumerGroup = "o2c"

// DealsWon announces won deals newly stored from the CRM.
type DealsWon struct {
	DealIDs []string `json:"deal_ids"`
}

// InvoicesRequested announces invoices raised in o2c that the ERP must receive.
type InvoicesRequested struct {
	Numbers []string `json:"numbers"`
}

// InvoicesCreated announces invoices the ERP accepted.
type InvoicesCreated struct {
	Numbers []string `json:"numbers"`
}

// BankFileReceived announces a stored bank file waiting to be read.
type BankFileReceived struct {
	FileID int64 `json:"file_id"`
}

// PaymentsIngested announces that a file's payments are stored and can be matched.
type PaymentsIngested struct {
	FileID int64 `json:"file_id"`
}

// CashApplied announces applications to record in the ERP.
type CashApplied struct {
	ApplicationIDs []int64 `json:"application_ids"`
}

// CashUnapplied announces applications reversed by a return or reversal, whose
// payments must be deleted from the ERP.
type CashUnapplied struct {
	ApplicationIDs []int64 `json:"application_ids"`
}

// ExceptionsOpened announces exceptions added to the queue.
type ExceptionsOpened struct {
	ExceptionIDs []int64 `json:"exception_ids"`
}

// Publish adds a message with payload to topic inside tx, so the message exists
// exactly when the business writes of tx commit.
func Publish(ctx context.Context, tx pgx.Tx, topic string, payload any) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s message: %w", topic, err)
	}

	pub, err := wsql.NewPublisher(wsql.TxFromPgx(tx), wsql.PublisherConfig{
		SchemaAdapter: wsql.DefaultPostgreSQLSchema{},
	}, watermill.NopLogger{})
	if err != nil {
		return fmt.Errorf("create publisher: %w", err)
	}

	msg := message.NewMessage(watermill.NewUUID(), body)
	msg.SetContext(ctx)

	if err := pub.Publish(topic, msg); err != nil {
		return fmt.Errorf("publish %s: %w", topic, err)
	}

	return nil
}

func decode(msg *message.Message, v any) error {
	if err := json.Unmarshal(msg.Payload, v); err != nil {
		return fmt.Errorf("decode message %s: %w", msg.UUID, errPermanent{err})
	}

	return nil
}

// errPermanent marks an error retrying cannot fix; it goes to the poison topic
// without retries.
type errPermanent struct{ err error }

func (e errPermanent) Error() string { return e.err.Error() }
func (e errPermanent) Unwrap() error { return e.err }
