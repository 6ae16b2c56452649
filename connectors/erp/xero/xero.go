// Package xero is o2c's client for the Xero Accounting API: it pushes sales
// invoices, reads the open ones back and records or deletes payments against
// them.
//
// It authenticates as a Xero "custom connection" (OAuth 2.0 client
// credentials) and sends the tenant id on every call. Writes are safe to
// repeat: each carries an Idempotency-Key derived from o2c's own reference, and
// after a response is lost the client first looks the record up by that
// reference (invoice number, payment reference) before it sends again, so a
// retry never creates a second invoice or payment.
//
// Amounts travel as exact decimal text in both directions; no float is used.
package xero

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/o2c-dev/o2c/internal/money"
)

// Clock tells the time and waits. The client uses it for token expiry and for
// the pauses between retries; tests pass a fake that does not sleep.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits for d or until ctx is done, whichever is first, and returns
	// ctx's error in the second case.
	Sleep(ctx context.Context, d time.Duration) error
}

// realClock is the system clock.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()

	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Config configures a Client. ClientID, ClientSecret and TenantID are required.
type Config struct {
	// BankAccountCode is the code of the bank account payments are recorded
	// against. Defaults to "090".
	BankAccountCode string
	// BaseURL is the Accounting API root. Defaults to
	// "https://api.xero.com/api.xro/2.0".
	BaseURL string
	// BaseBackoff is the first pause before retrying a 5xx or a network error;
	// it doubles per attempt, with full jitter, up to MaxBackoff. Defaults to
	// 500ms.
	BaseBackoff time.Duration
	// ClientID is the custom connection's client id.
	ClientID string
	// ClientSecret is the custom connection's client secret. It is sent only to
	// TokenURL and never logged.
	ClientSecret string
	// Clock tells the time and sleeps between retries. Defaults to the system
	// clock.
	Clock Clock
	// HTTPClient sends the requests. Defaults to a client with a 30 s timeout.
	HTTPClient *http.Client
	// Logger receives one line per retry, without payloads or secrets. Defaults
	// to a logger that discards everything.
	Logger *slog.Logger
	// MaxBackoff caps the pause between retries of a 5xx or network error.
	// Defaults to 30s.
	MaxBackoff time.Duration
	// MaxRetries is how many times a call is repeated after a 429, a 5xx or a
	// network error before the error is returned. Defaults to 4; a negative
	// value disables retries.
	MaxRetries int
	// MaxRetryWait is the longest Retry-After the client waits out; a longer
	// one, or any day-limit 429, is returned at once as a *RateLimitError.
	// Defaults to 2m.
	MaxRetryWait time.Duration
	// NoTaxType is the TaxType of an untaxed line on an invoice whose other
	// lines carry tax. Defaults to "NONE".
	NoTaxType string
	// SalesAccountCode is the revenue account code put on every invoice line.
	// Defaults to "200".
	SalesAccountCode string
	// TaxTypes maps a tax rate, as a decimal fraction ("0.21"), to the Xero
	// TaxType code of the organisation that stands for it ("OUTPUT2"). A taxed
	// line whose rate has no code here is refused before anything is sent.
	TaxTypes map[string]string
	// TenantID is the Xero organisation's tenant id, sent as xero-tenant-id.
	TenantID string
	// TokenURL is the OAuth 2.0 token endpoint. Defaults to
	// "https://identity.xero.com/connect/token".
	TokenURL string
}

// Client talks to one Xero organisation. It is safe for concurrent use.
type Client struct {
	cfg   Config
	base  *url.URL
	http  *http.Client
	log   *slog.Logger
	clock Clock

	mu       sync.Mutex
	token    string
	tokenExp time.Time
}

func (cfg *Config) setDefaults() {
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://api.xero.com/api.xro/2.0"
	}

	if cfg.TokenURL == "" {
		cfg.TokenURL = "https://identity.xero.com/connect/token"
	}

	if cfg.SalesAccountCode == "" {
		cfg.SalesAccountCode = "200"
	}

	if cfg.BankAccountCode == "" {
		cfg.BankAccountCode = "090"
	}

	if cfg.NoTaxType == "" {
		cfg.NoTaxType = "NONE"
	}

	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}

	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}

	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}

	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 4
	} else if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}

	if cfg.BaseBackoff <= 0 {
		cfg.BaseBackoff = 500 * time.Millisecond
	}

	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}

	if cfg.MaxRetryWait <= 0 {
		cfg.MaxRetryWait = 2 * time.Minute
	}
}

// Validate reports the first missing or malformed field, by name.
func (cfg Config) Validate() error {
	for _, f := range []struct{ name, value string }{
		{"ClientID", cfg.ClientID},
		{"ClientSecret", cfg.ClientSecret},
		{"TenantID", cfg.TenantID},
	} {
		if strings.TrimSpace(f.value) == "" {
			return fmt.Errorf("validate config: %s is required", f.name)
		}
	}

	for _, f := range []struct{ name, value string }{
		{"BaseURL", cfg.BaseURL},
		{"TokenURL", cfg.TokenURL},
	} {
		u, err := url.Parse(f.value)
		if err != nil {
			return fmt.Errorf("validate config: %s: %w", f.name, err)
		}

		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("validate config: %s must be an absolute http(s) URL", f.name)
		}
	}

	return nil
}

// New returns a client for the organisation in cfg, after filling defaults and
// validating it. It makes no network call; the first token is fetched lazily.
func New(cfg Config) (*Client, error) {
	cfg.setDefaults()

	if err := cfg.Validate(); err != nil {
		return nil, err
	}

	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("parse base url: %w", err)
	}

	return &Client{
		cfg:   cfg,
		base:  base,
		http:  cfg.HTTPClient,
		log:   cfg.Logger,
		clock: cfg.Clock,
	}, nil
}

// ErrConflict reports that Xero already holds a record under our reference
// (invoice number, payment reference) whose amounts differ from the ones we
// asked for. Retrying cannot fix it; a person has to look.
var ErrConflict = errors.New("conflicting record already in xero")

// ErrRateLimited reports that Xero refused the call for rate limiting and the
// wait is too long to sit out (the daily limit, or a Retry-After beyond
// Config.MaxRetryWait). Test for it with errors.Is; the concrete error is a
// *RateLimitError.
var ErrRateLimited = errors.New("xero rate limit reached")

// RateLimitError is a 429 the client gave up waiting for.
type RateLimitError struct {
	Problem    string        // X-Rate-Limit-Problem: "minute", "day", "appminute", "concurrent"
	RetryAfter time.Duration // Retry-After, zero when absent
}

// Error describes the limit and the wait Xero asked for.
func (e *RateLimitError) Error() string {
	return fmt.Sprintf("xero rate limit reached: %s limit, retry after %s",
		e.Problem, e.RetryAfter)
}

// Is makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// TotalMismatchError reports an invoice Xero holds (it was created, or an
// earlier push of it was found) whose total differs from the one o2c asked
// for, as when Xero works out tax its own way. Retrying cannot fix it: the
// invoice must not be treated as synced until a person has looked.
type TotalMismatchError struct {
	InvoiceID string       // Xero's InvoiceID
	Number    string       // the invoice number
	Want      money.Amount // the total o2c sent (the CRM's)
	Got       money.Amount // the total Xero computed
}

// Error gives both totals.
func (e *TotalMismatchError) Error() string {
	return fmt.Sprintf("sync amount mismatch: invoice %s totals %s in xero, crm total is %s",
		e.Number, e.Got, e.Want)
}

// Is makes errors.Is(err, ErrConflict) true: Xero holds a record under our
// invoice number whose amount differs from ours.
func (e *TotalMismatchError) Is(target error) bool { return target == ErrConflict }

// MismatchedInvoice returns the ERP's id for the invoice and its total there.
func (e *TotalMismatchError) MismatchedInvoice() (string, money.Amount) {
	return e.InvoiceID, e.Got
}

// ValidationError is Xero refusing a record it considers invalid (HTTP 400
// ValidationException, or an element with HasErrors in a 200 batch answer). It
// is permanent: sending the same record again fails the same way.
type ValidationError struct {
	Messages []string // Xero's ValidationErrors[].Message, in order
}

// Error joins Xero's messages.
func (e *ValidationError) Error() string {
	return "xero validation: " + strings.Join(e.Messages, "; ")
}

// APIError is any other non-2xx answer: an authentication failure, a missing
// record, a 5xx that outlived the retries.
type APIError struct {
	Status int    // HTTP status code
	Title  string // problem title or exception type, when Xero sent one
	Detail string // problem detail or message, when Xero sent one
}

// Error gives the status and whatever title and detail Xero sent.
func (e *APIError) Error() string {
	msg := fmt.Sprintf("xero api: http %d", e.Status)
	if e.Title != "" {
		msg += " " + e.Title
	}

	if e.Detail != "" {
		msg += ": " + e.Detail
	}

	return msg
}

// IsPermanent reports whether err will happen again if the same call is
// repeated: validation errors, conflicts and 4xx answers other than 408 and
// 429. Network errors, 5xx and rate limits are not permanent.
func IsPermanent(err error) bool {
	var ve *ValidationError
	var tm *TotalMismatchError
	if errors.As(err, &ve) || errors.As(err, &tm) || errors.Is(err, ErrConflict) {
		return true
	}

	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status >= 400 && ae.Status < 500 &&
			ae.Status != http.StatusRequestTimeout && ae.Status != http.StatusTooManyRequests
	}

	return false
}
