package xero

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxBody bounds how much of a response the client reads.
const maxBody = 64 << 20

// errRecovered tells a caller of do that the recover hook found the record the
// lost request had created, so nothing was sent again.
var errRecovered = errors.New("record found after lost response")

// call is one logical API request, possibly sent several times.
type call struct {
	op     string // short name for logs, e.g. "create_invoice"
	method string
	path   string // relative to the base URL, with its query
	body   []byte // nil for GET
	key    string // Idempotency-Key, for writes

	// recover runs before a write is sent again after an attempt whose outcome
	// is unknown (network error, 5xx). It returns true when it found the
	// record the earlier attempt created; do then returns errRecovered.
	recover func(ctx context.Context) (bool, error)
}

// response is a 2xx answer, read in full.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends cl until it gets an answer that settles it, and returns the 2xx
// response or the error the answer means. It refreshes the token once on a
// 401, waits out 429s within Config.MaxRetryWait, and retries 5xx and network
// errors with capped exponential backoff, all within Config.MaxRetries.
func (c *Client) do(ctx context.Context, cl call) (*response, error) {
	refreshed := false
	uncertain := false

	for attempt := 0; ; attempt++ {
		if uncertain && cl.recover != nil {
			found, err := cl.recover(ctx)
			if err != nil {
				return nil, fmt.Errorf("check for earlier write: %w", err)
			}

			if found {
				return nil, errRecovered
			}
		}

		tok, err := c.accessToken(ctx)
		if err != nil {
			if !temporary(err) || attempt >= c.cfg.MaxRetries {
				return nil, err
			}

			if err := c.backoff(ctx, cl.op, attempt, 0, err); err != nil {
				return nil, err
			}

			continue
		}

		resp, err := c.send(ctx, cl, tok)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}

			// The request may have reached Xero and been committed.
			uncertain = cl.body != nil
			if attempt >= c.cfg.MaxRetries {
				return nil, err
			}

			if err := c.backoff(ctx, cl.op, attempt, 0, err); err != nil {
				return nil, err
			}

			continue
		}

		switch {
		case resp.status >= 200 && resp.status < 300:
			return resp, nil

		case resp.status == http.StatusUnauthorized && !refreshed:
			// The token expired or was revoked early: fetch a new one, once.
			c.dropToken(tok)
			refreshed = true
			attempt--

		case resp.status == http.StatusTooManyRequests:
			if err := c.waitRateLimit(ctx, cl.op, attempt, resp); err != nil {
				return nil, err
			}

		case resp.status >= 500:
			uncertain = cl.body != nil
			apiErr := decodeError(resp)
			if attempt >= c.cfg.MaxRetries {
				return nil, apiErr
			}

			if err := c.backoff(ctx, cl.op, attempt, resp.status, apiErr); err != nil {
				return nil, err
			}

		default:
			return nil, decodeError(resp)
		}
	}
}

// send makes one attempt. A non-nil error means no HTTP answer was read.
func (c *Client) send(ctx context.Context, cl call, tok string) (*response, error) {
	u := c.base.String() + cl.path

	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}

	req, err := http.NewRequestWithContext(ctx, cl.method, u, body)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}

	// Without GetBody net/http never replays a write on its own after a broken
	// connection; every resend goes through do, which first checks whether the
	// earlier attempt was committed.
	req.GetBody = nil

	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header["xero-tenant-id"] = []string{c.cfg.TenantID}
	req.Header.Set("Accept", "application/json")

	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	if cl.key != "" {
		req.Header.Set("Idempotency-Key", cl.key)
	}

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()

	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}

	return &response{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// waitRateLimit sleeps out a 429 when Xero allows it, or returns the
// *RateLimitError the caller should see.
func (c *Client) waitRateLimit(ctx context.Context, op string, attempt int, r *response) error {
	problem := strings.ToLower(strings.TrimSpace(r.header.Get("X-Rate-Limit-Problem")))
	if problem == "" {
		problem = "unknown"
	}

	wait := time.Duration(0)
	if secs, err := strconv.Atoi(strings.TrimSpace(r.header.Get("Retry-After"))); err == nil &&
		secs >= 0 {
		wait = time.Duration(secs) * time.Second
	}

	rlErr := &RateLimitError{Problem: problem, RetryAfter: wait}
	if problem == "day" || wait > c.cfg.MaxRetryWait || attempt >= c.cfg.MaxRetries {
		return rlErr
	}

	if wait == 0 {
		wait = c.jitter(attempt)
	}

	c.log.WarnContext(ctx, "xero: rate limited, waiting", "op", op, "attempt", attempt+1,
		"limit", problem, "wait", wait)

	return c.clock.Sleep(ctx, wait)
}

// backoff sleeps before the next attempt after a 5xx or network error.
func (c *Client) backoff(ctx context.Context, op string, attempt, status int, cause error) error {
	wait := c.jitter(attempt)

	c.log.WarnContext(ctx, "xero: retrying request", "op", op, "attempt", attempt+1,
		"status", status, "wait", wait, "error", cause)

	return c.clock.Sleep(ctx, wait)
}

// jitter returns a random pause in [0, min(MaxBackoff, BaseBackoff·2^attempt)].
func (c *Client) jitter(attempt int) time.Duration {
	ceiling := c.cfg.MaxBackoff
	if attempt < 30 {
		ceiling = min(ceiling, c.cfg.BaseBackoff<<attempt)
	}

	return rand.N(ceiling + 1)
}

// temporary reports whether a token-endpoint failure is worth retrying.
func temporary(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status == http.StatusTooManyRequests || ae.Status >= 500
	}

	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// decodeError turns a non-2xx answer into a *ValidationError (400
// ValidationException) or an *APIError.
func decodeError(r *response) error {
	var body struct {
		ErrorNumber int        `json:"ErrorNumber"`
		Type        string     `json:"Type"`
		Message     string     `json:"Message"`
		Elements    []xElement `json:"Elements"`
		Title       string     `json:"Title"`
		Detail      string     `json:"Detail"`
	}

	_ = json.Unmarshal(r.body, &body)

	if r.status == http.StatusBadRequest && body.Type == "ValidationException" {
		ve := &ValidationError{}
		for _, el := range body.Elements {
			for _, m := range el.ValidationErrors {
				ve.Messages = append(ve.Messages, m.Message)
			}
		}

		if len(ve.Messages) == 0 && body.Message != "" {
			ve.Messages = []string{body.Message}
		}

		return ve
	}

	e := &APIError{Status: r.status, Title: body.Title, Detail: body.Detail}
	if e.Title == "" {
		e.Title = body.Type
	}

	if e.Detail == "" {
		e.Detail = body.Message
	}

	return e
}
