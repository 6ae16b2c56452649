// Package hubspot pulls closed-won deals, their line items and their companies from
// HubSpot's CRM API (v3 objects and search, v4 associations) for invoicing, with what
// helps identify who pays: each deal company's parent company (the v4 company-to-company
// association of type 14, "child company to parent company") and the customer's
// purchase-order number from a configurable deal property.
//
// PullWonDeals is incremental: it returns the deals modified since an opaque cursor and a
// new cursor for the next call. The cursor makes the sync exact under HubSpot's search
// behaviour: many deals sharing one hs_lastmodifieddate, the 10,000-result limit of a
// search, and search results that trail writes by a few seconds.
package hubspot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/money"
)

// Config configures a Client. Only Token is required.
type Config struct {
	// BackoffBase is the first retry delay after a 5xx, a transport error or a 429 without
	// Retry-After; each further retry doubles it, with jitter. Defaults to 500 ms.
	BackoffBase time.Duration

	// BackoffMax caps a single retry delay. Defaults to 30 s.
	BackoffMax time.Duration

	// BaseURL is the API root. Defaults to "https://api.hubapi.com".
	BaseURL string

	// Clock tells the time, used to read a Retry-After given as an HTTP date. Defaults to
	// time.Now.
	Clock func() time.Time

	// CursorMaxIDs bounds how many (deal id, hs_lastmodifieddate) pairs a cursor carries
	// to recognise deals it already delivered inside the overlap window. When more deals
	// than this changed within the window, the window is shortened for that cursor.
	// Defaults to 1000.
	CursorMaxIDs int

	// DefaultCurrency is the ISO 4217 code for deals whose deal_currency_code is empty,
	// normally the account's company currency. Defaults to "USD".
	DefaultCurrency string

	// HTTPClient sends the requests. Defaults to a client with a 30 s timeout.
	HTTPClient *http.Client

	// Logger receives a warning per retried request (operation, status, attempt, delay),
	// never a payload or the token. Defaults to a logger that discards.
	Logger *slog.Logger

	// MaxRetries is how many times one request is retried after a 429, a 5xx or a
	// transport error before the call fails. A negative value turns retries off.
	// Defaults to 5.
	MaxRetries int

	// Overlap is how far behind the newest hs_lastmodifieddate already delivered each
	// pull searches again, to catch deals that reached HubSpot's search index late. It
	// must exceed the search lag. A negative value turns the overlap off, which loses
	// deals indexed late. Defaults to 5 minutes.
	Overlap time.Duration

	// PageSize is the number of deals per search request, at most 200. Defaults to 100.
	PageSize int

	// PONumberProperty is the internal name of the deal property holding the customer's
	// purchase-order number, read into billing.Deal.PONumber. HubSpot has no standard
	// one, so it is a custom deal property; a deal where it is empty, or an account
	// without it, gives an empty PONumber. Defaults to "po_number".
	PONumberProperty string

	// RetryAfterMax is the longest Retry-After the client waits out; a longer one fails
	// the call with ErrRateLimited. Defaults to 60 s.
	RetryAfterMax time.Duration

	// Token is the private-app (single-account app) access token or OAuth access token
	// sent as a bearer token. Required.
	Token string

	// WonStages lists the dealstage ids that mean closed-won. Custom pipelines have their
	// own stage ids (often numeric), so list the won stage of every pipeline that should be
	// invoiced. Defaults to ["closedwon"], the won stage of the default pipeline.
	WonStages []string
}

// DefaultPONumberProperty is the deal property Config.PONumberProperty defaults to.
const DefaultPONumberProperty = "po_number"

// ValidPropertyName reports whether name can be the internal name of a HubSpot property
// for this client: ASCII letters, digits and underscores, starting with a letter, at
// most 100 characters.
func ValidPropertyName(name string) bool {
	if name == "" || len(name) > 100 {
		return false
	}

	for i := 0; i < len(name); i++ {
		ch := name[i]
		letter := ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z'

		switch {
		case letter:
		case i > 0 && (ch >= '0' && ch <= '9' || ch == '_'):
		default:
			return false
		}
	}

	return true
}

// Errors the client returns; test with errors.Is.
var (
	// ErrUnauthorized reports a 401: the token is missing, wrong, expired or revoked.
	ErrUnauthorized = errors.New("hubspot rejected the token")

	// ErrRateLimited reports a 429 that retrying will not fix soon: the daily limit, a
	// Retry-After beyond RetryAfterMax, or retries used up.
	ErrRateLimited = errors.New("hubspot rate limit reached")

	// ErrCursor reports a cursor string this package did not produce.
	ErrCursor = errors.New("invalid hubspot cursor")
)

// APIError is an error answer from HubSpot, with the fields of its error body.
type APIError struct {
	Status        int    // HTTP status code
	Category      string // category, e.g. VALIDATION_ERROR; errorType for 429s
	Message       string // HubSpot's message
	CorrelationID string // correlationId, for HubSpot support
	Policy        string // policyName of a 429, e.g. TEN_SECONDLY_ROLLING or DAILY
}

// Error describes the answer without any request data.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "hubspot status %d", e.Status)

	for _, part := range []string{e.Category, e.Policy} {
		if part != "" {
			b.WriteString(" " + part)
		}
	}

	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}

	if e.CorrelationID != "" {
		b.WriteString(" (correlation id " + e.CorrelationID + ")")
	}

	return b.String()
}

// Is matches ErrUnauthorized for a 401 and ErrRateLimited for a 429.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	}

	return false
}

// Client talks to one HubSpot account. It is safe for concurrent use, though one sync job
// should own a cursor.
type Client struct {
	cfg   Config
	base  *url.URL
	sleep func(ctx context.Context, d time.Duration) error
}

// New validates cfg, fills its defaults and returns a client.
func New(cfg Config) (*Client, error) {
	cfg = withDefaults(cfg)
	if err := validate(cfg); err != nil {
		return nil, fmt.Errorf("configure hubspot client: %w", err)
	}

	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("configure hubspot client: field BaseURL %q is not an absolute URL",
			cfg.BaseURL)
	}

	return &Client{cfg: cfg, base: base, sleep: sleepContext}, nil
}

func withDefaults(cfg Config) Config {
	if cfg.BackoffBase == 0 {
		cfg.BackoffBase = 500 * time.Millisecond
	}

	if cfg.BackoffMax == 0 {
		cfg.BackoffMax = 30 * time.Second
	}

	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://api.hubapi.com"
	}

	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}

	if cfg.CursorMaxIDs == 0 {
		cfg.CursorMaxIDs = 1000
	}

	if cfg.DefaultCurrency == "" {
		cfg.DefaultCurrency = "USD"
	}

	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}

	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}

	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = 5
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}

	switch {
	case cfg.Overlap == 0:
		cfg.Overlap = 5 * time.Minute
	case cfg.Overlap < 0:
		cfg.Overlap = 0
	}

	if cfg.PageSize == 0 {
		cfg.PageSize = 100
	}

	if cfg.PONumberProperty == "" {
		cfg.PONumberProperty = DefaultPONumberProperty
	}

	if cfg.RetryAfterMax == 0 {
		cfg.RetryAfterMax = time.Minute
	}

	if len(cfg.WonStages) == 0 {
		cfg.WonStages = []string{"closedwon"}
	}

	return cfg
}

func validate(cfg Config) error {
	switch {
	case strings.TrimSpace(cfg.Token) == "":
		return errors.New("field Token is required")
	case cfg.PageSize < 1 || cfg.PageSize > maxPageSize:
		return fmt.Errorf("field PageSize must be between 1 and %d, got %d", maxPageSize,
			cfg.PageSize)
	case cfg.CursorMaxIDs < 1:
		return fmt.Errorf("field CursorMaxIDs must be positive, got %d", cfg.CursorMaxIDs)
	case cfg.BackoffBase < 0 || cfg.BackoffMax < cfg.BackoffBase:
		return fmt.Errorf("fields BackoffBase %s and BackoffMax %s must satisfy 0 <= base <= max",
			cfg.BackoffBase, cfg.BackoffMax)
	case cfg.RetryAfterMax < 0:
		return fmt.Errorf("field RetryAfterMax must not be negative, got %s", cfg.RetryAfterMax)
	case !ValidPropertyName(cfg.PONumberProperty):
		return fmt.Errorf("field PONumberProperty %q is not a property name: letters, digits "+
			"and underscores, starting with a letter", cfg.PONumberProperty)
	case !money.ValidCurrency(cfg.DefaultCurrency):
		return fmt.Errorf("field DefaultCurrency must be an ISO 4217 code, got %q",
			cfg.DefaultCurrency)
	}

	for _, st := range cfg.WonStages {
		if strings.TrimSpace(st) == "" {
			return errors.New("field WonStages must not contain an empty stage id")
		}
	}

	return nil
}

// maxResponse bounds a response body the client reads.
const maxResponse = 64 << 20

// post sends a JSON body and decodes the JSON answer into out, retrying as configured.
// HubSpot's batch endpoints answer 207 on partial success; that counts as success here and
// the caller inspects what is missing.
func (c *Client) post(ctx context.Context, op, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("%s: encode request: %w", op, err)
	}

	for attempt := 0; ; attempt++ {
		status, data, header, err := c.send(ctx, path, body)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%s: %w", op, ctx.Err())
			}

			if attempt >= c.cfg.MaxRetries {
				return fmt.Errorf("%s: %w", op, err)
			}

			if err := c.wait(ctx, op, 0, attempt, c.backoff(attempt), err); err != nil {
				return err
			}

			continue
		}

		if status >= 200 && status < 300 {
			if err := json.Unmarshal(data, out); err != nil {
				return fmt.Errorf("%s: decode response: %w", op, err)
			}

			return nil
		}

		apiErr := parseAPIError(status, data)
		delay, retry := c.retryDelay(apiErr, header, attempt)

		if !retry {
			return fmt.Errorf("%s: %w", op, apiErr)
		}

		if err := c.wait(ctx, op, status, attempt, delay, nil); err != nil {
			return err
		}
	}
}

// send makes one request and reads the whole answer.
func (c *Client) send(ctx context.Context, path string, body []byte) (int, []byte,
	http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base.String()+path,
		bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}

	req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")

	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()

	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("read response: %w", err)
	}

	return resp.StatusCode, data, resp.Header, nil
}

// retryDelay decides whether an error answer is retried, and after how long.
func (c *Client) retryDelay(e *APIError, h http.Header, attempt int) (time.Duration, bool) {
	switch {
	case e.Status == http.StatusTooManyRequests:
		if strings.EqualFold(e.Policy, "DAILY") || attempt >= c.cfg.MaxRetries {
			return 0, false
		}

		d, ok := parseRetryAfter(h.Get("Retry-After"), c.cfg.Clock())
		if !ok {
			return c.backoff(attempt), true
		}

		return d, d <= c.cfg.RetryAfterMax
	case e.Status >= 500:
		return c.backoff(attempt), attempt < c.cfg.MaxRetries
	}

	return 0, false
}

// backoff is the capped exponential delay for a retry, with jitter over its upper half.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.BackoffMax
	if attempt < 30 {
		d = min(c.cfg.BackoffBase<<attempt, c.cfg.BackoffMax)
	}

	if d <= 1 {
		return d
	}

	return d/2 + rand.N(d/2+1)
}

func (c *Client) wait(ctx context.Context, op string, status, attempt int, d time.Duration,
	cause error) error {
	attrs := []any{"operation", op, "attempt", attempt + 1, "delay_ms", d.Milliseconds()}
	if status != 0 {
		attrs = append(attrs, "status", status)
	}

	if cause != nil {
		attrs = append(attrs, "error", cause)
	}

	c.cfg.Logger.WarnContext(ctx, "hubspot: retrying request", attrs...)

	if err := c.sleep(ctx, d); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}

	return nil
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()

	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// parseRetryAfter reads a Retry-After header in seconds or as an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}

	if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}

	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}

	return 0, false
}

// parseAPIError reads HubSpot's error body; a body that is not one still gives the status.
func parseAPIError(status int, data []byte) *APIError {
	var body struct {
		Message       string `json:"message"`
		CorrelationID string `json:"correlationId"`
		Category      string `json:"category"`
		ErrorType     string `json:"errorType"`
		PolicyName    string `json:"policyName"`
	}

	_ = json.Unmarshal(data, &body)

	e := &APIError{
		Status:        status,
		Category:      body.Category,
		Message:       body.Message,
		CorrelationID: body.CorrelationID,
		Policy:        body.PolicyName,
	}

	if e.Category == "" {
		e.Category = body.ErrorType
	}

	return e
}
