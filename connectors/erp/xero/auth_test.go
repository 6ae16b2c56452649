package xero_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/connectors/erp/xero"
	"github.com/o2c-dev/o2c/connectors/erp/xero/xerosim"
)

func TestToken(t *testing.T) {
	t.Parallel()

	t.Run("cached, then renewed before expiry", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{TokenTTL: 30 * time.Minute}, nil)
		b.mustCreate(t, "INV-1", 100)
		b.mustCreate(t, "INV-2", 100)

		if n := b.sim.TokensIssued(); n != 1 {
			t.Fatalf("tokens issued = %d, want 1", n)
		}

		b.clock.Advance(29*time.Minute + 30*time.Second)
		b.mustCreate(t, "INV-3", 100)

		if n := b.sim.TokensIssued(); n != 2 {
			t.Errorf("tokens issued = %d, want 2", n)
		}

		for _, r := range b.sim.Requests() {
			if r.Status == 401 {
				t.Errorf("request got 401: %+v", r)
			}
		}
	})

	t.Run("expired token mid-run is refreshed transparently", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{}, nil)
		b.mustCreate(t, "INV-1", 100)
		b.sim.ExpireTokens()
		b.mustCreate(t, "INV-2", 100)

		want := []string{"PUT /Invoices 200", "PUT /Invoices 401", "PUT /Invoices 200"}
		if got := b.requests(); !slices.Equal(got, want) {
			t.Errorf("requests = %v, want %v", got, want)
		}

		if n := b.sim.TokensIssued(); n != 2 {
			t.Errorf("tokens issued = %d, want 2", n)
		}
	})

	t.Run("wrong tenant is a permanent 403", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{}, func(c *xero.Config) {
			c.TenantID = "00000000-0000-4000-8000-000000000bad"
		})

		_, err := b.client.OpenInvoices(context.Background())

		var ae *xero.APIError
		if !errors.As(err, &ae) || ae.Status != 403 || !xero.IsPermanent(err) {
			t.Fatalf("err = %v, want permanent 403", err)
		}

		if n := len(b.sim.Requests()); n != 1 {
			t.Errorf("requests = %d, want 1", n)
		}
	})

	t.Run("bad credentials are reported without the secret", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{}, func(c *xero.Config) { c.ClientSecret = "s3cr3t-value" })

		_, err := b.client.OpenInvoices(context.Background())
		if err == nil {
			t.Fatal("no error with a wrong secret")
		}

		if msg := err.Error(); strings.Contains(msg, "s3cr3t-value") {
			t.Errorf("error leaks the secret: %s", msg)
		}

		var ae *xero.APIError
		if !errors.As(err, &ae) || ae.Status != 400 || !xero.IsPermanent(err) {
			t.Errorf("err = %v, want a permanent 400 from the token endpoint", err)
		}

		if len(b.sim.Requests()) != 0 {
			t.Errorf("API called without a token: %v", b.requests())
		}
	})
}

func TestRateLimit(t *testing.T) {
	t.Parallel()

	t.Run("429 waits Retry-After, then succeeds", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{Faults: []xerosim.Fault{{
			Kind: xerosim.RateLimit, Path: "/Invoices", Nth: 1, RetryAfter: 7,
		}}}, nil)
		b.mustCreate(t, "INV-1", 100)

		if got := b.clock.Slept(); !slices.Equal(got, []time.Duration{7 * time.Second}) {
			t.Errorf("slept %v, want [7s]", got)
		}

		want := []string{"PUT /Invoices 429", "PUT /Invoices 200"}
		if got := b.requests(); !slices.Equal(got, want) {
			t.Errorf("requests = %v, want %v", got, want)
		}
	})

	t.Run("minute limit waits for the next window", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{MinuteLimit: 2}, nil)
		for _, n := range []string{"INV-1", "INV-2", "INV-3"} {
			b.mustCreate(t, n, 100)
		}

		slept := b.clock.Slept()
		if len(slept) != 1 || slept[0] <= 0 || slept[0] > time.Minute {
			t.Errorf("slept %v, want one wait of at most a minute", slept)
		}

		if len(b.sim.Invoices()) != 3 {
			t.Errorf("invoices = %d, want 3", len(b.sim.Invoices()))
		}
	})

	t.Run("day limit returns ErrRateLimited without waiting", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{Faults: []xerosim.Fault{{
			Kind: xerosim.RateLimit, Nth: 1, Count: -1, RetryAfter: 50000, Problem: "day",
		}}}, nil)

		_, err := b.client.OpenInvoices(context.Background())

		var rl *xero.RateLimitError
		if !errors.Is(err, xero.ErrRateLimited) || !errors.As(err, &rl) || rl.Problem != "day" {
			t.Fatalf("err = %v, want day *RateLimitError", err)
		}

		if xero.IsPermanent(err) || len(b.clock.Slept()) != 0 || len(b.sim.Requests()) != 1 {
			t.Errorf("permanent=%v slept=%v requests=%d", xero.IsPermanent(err),
				b.clock.Slept(), len(b.sim.Requests()))
		}
	})

	t.Run("retries are bounded", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{Faults: []xerosim.Fault{{
			Kind: xerosim.ServerError, Nth: 1, Count: -1,
		}}}, func(c *xero.Config) { c.MaxRetries = 3 })

		_, err := b.client.OpenInvoices(context.Background())

		var ae *xero.APIError
		if !errors.As(err, &ae) || ae.Status != 503 || xero.IsPermanent(err) {
			t.Fatalf("err = %v, want temporary 503", err)
		}

		if n := len(b.sim.Requests()); n != 4 {
			t.Errorf("requests = %d, want 4", n)
		}

		for _, d := range b.clock.Slept() {
			if d < 0 || d > 30*time.Second {
				t.Errorf("backoff %s outside [0, 30s]", d)
			}
		}
	})

	t.Run("cancelled context stops the retries", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{Faults: []xerosim.Fault{{
			Kind: xerosim.ServerError, Nth: 1, Count: -1,
		}}}, nil)

		ctx, cancel := context.WithCancel(context.Background())
		cancel()

		_, err := b.client.OpenInvoices(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}
