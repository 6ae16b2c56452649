package xero

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// tokenMargin is how long before its expiry a cached token is replaced. Tokens
// with a short life use a tenth of it instead.
const tokenMargin = time.Minute

// tokenResponse is the token endpoint's answer.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
	TokenType   string `json:"token_type"`
	Error       string `json:"error"`
}

// accessToken returns the cached bearer token, fetching a new one when there
// is none or it is about to expire.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()

	if c.token != "" && c.clock.Now().Before(c.tokenExp) {
		return c.token, nil
	}

	tok, life, err := c.fetchToken(ctx)
	if err != nil {
		return "", fmt.Errorf("fetch token: %w", err)
	}

	margin := min(tokenMargin, life/10)
	c.token = tok
	c.tokenExp = c.clock.Now().Add(life - margin)

	return tok, nil
}

// dropToken forgets tok if it is still the cached token, so the next call
// fetches a fresh one. Comparing avoids throwing away a token another
// goroutine has just fetched.
func (c *Client) dropToken(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()

	if c.token == tok {
		c.token = ""
	}
}

func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{"grant_type": {"client_credentials"}}

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.TokenURL,
		strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, err
	}

	req.SetBasicAuth(c.cfg.ClientID, c.cfg.ClientSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")

	resp, err := c.http.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", 0, err
	}

	var tr tokenResponse
	_ = json.Unmarshal(body, &tr)

	// The error carries the OAuth error code only, never the body or secret.
	if resp.StatusCode != http.StatusOK {
		return "", 0, &APIError{Status: resp.StatusCode, Title: "token endpoint", Detail: tr.Error}
	}

	if tr.AccessToken == "" || tr.ExpiresIn <= 0 {
		return "", 0, &APIError{Status: resp.StatusCode, Title: "token endpoint",
			Detail: "malformed token response"}
	}

	return tr.AccessToken, time.Duration(tr.ExpiresIn) * time.Second, nil
}
