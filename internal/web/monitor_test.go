package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/monitor"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/service"
	"github.com/o2c-dev/o2c/internal/web"
	"github.com/o2c-dev/o2c/pipelines"
)

// logBuffer collects log output written from several goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()

	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()

	return b.buf.String()
}

// send makes one request and returns its status and body.
func send(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()

	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}

	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}

	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()

	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}

	return resp.StatusCode, string(b)
}

func TestRequestLogLeavesOutBodyQueryAndToken(t *testing.T) {
	t.Parallel()

	var logs logBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	pool := pgtest.DB(t)
	svc := auth.New(pool, auth.Config{Logger: logger})
	srv := httptest.NewServer(web.New(web.Config{Pool: pool, Auth: svc, Logger: logger}))
	t.Cleanup(srv.Close)

	a := &api{pool: pool, auth: svc, url: srv.URL}
	token := a.tokenFor(t, "treasury.lead", auth.RoleAdmin)

	const (
		bodySecret  = "remit-note-5f1e2d"
		querySecret = "q-key-93ab71"
		badToken    = "o2c_not-a-real-token-4c4c4c"
		password    = "hunter-pass-2718281"
	)

	requests := []struct {
		method, path, token, body string
		want                      int
	}{
		{http.MethodPost, "/api/exceptions/987654/resolve?api_key=" + querySecret, token,
			`{"note":"` + bodySecret + `","park":true}`, http.StatusNotFound},
		{http.MethodGet, "/api/exceptions?status=open&customer=" + querySecret, token, "",
			http.StatusOK},
		{http.MethodGet, "/api/me", badToken, "", http.StatusUnauthorized},
		{http.MethodPost, "/api/login", "",
			`{"name":"treasury.lead","password":"` + password + `"}`, http.StatusUnauthorized},
	}

	for _, r := range requests {
		if got, body := send(t, r.method, srv.URL+r.path, r.token, r.body); got != r.want {
			t.Fatalf("%s %s: %d, want %d: %s", r.method, r.path, got, r.want, body)
		}
	}

	out := logs.String()
	for _, secret := range []string{token, badToken, bodySecret, querySecret, password,
		"Bearer", "api_key", "status=open"} {
		if strings.Contains(out, secret) {
			t.Errorf("log carries %q:\n%s", secret, out)
		}
	}

	snake := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	lines := 0

	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}

		for k := range rec {
			if !snake.MatchString(k) {
				t.Errorf("log key %q is not snake_case: %s", k, line)
			}
		}

		if rec["msg"] == "HTTP request" {
			lines++

			if p, _ := rec["path"].(string); strings.Contains(p, "?") {
				t.Errorf("request line has a query string: %s", line)
			}
		}
	}

	if lines != len(requests) {
		t.Errorf("%d request lines, want %d:\n%s", lines, len(requests), out)
	}
}

// monitored runs the API with a Monitor on a fresh database, and the bus router
// instrumented by the same Monitor; token is an admin's API token.
func monitored(t *testing.T, cfg monitor.Config) (url, token string, stopRouter func()) {
	t.Helper()

	pool := pgtest.DB(t)

	cfg.Pool, cfg.Logger = pool, quiet
	cfg.Topics, cfg.ConsumerGroup = pipelines.Topics, pipelines.ConsumerGroup
	cfg.PoisonTopic = pipelines.TopicPoison

	mon, err := monitor.New(cfg)
	if err != nil {
		t.Fatal(err)
	}

	stop, err := service.RunRouter(context.Background(), pipelines.Config{Pool: pool,
		ReadBankFile: bank.Scan, PollInterval: 20 * time.Millisecond, Logger: quiet,
		Metrics: mon})
	if err != nil {
		t.Fatal(err)
	}

	stopped := false
	stopRouter = func() {
		if !stopped {
			stopped = true
			if err := stop(); err != nil {
				t.Errorf("stop router: %v", err)
			}
		}
	}
	t.Cleanup(stopRouter)

	svc := auth.New(pool, auth.Config{Logger: quiet})
	srv := httptest.NewServer(web.New(web.Config{Pool: pool, Auth: svc, Logger: quiet,
		Monitor: mon}))
	t.Cleanup(srv.Close)

	a := &api{pool: pool, auth: svc, url: srv.URL}

	return srv.URL, a.tokenFor(t, "ops.lead", auth.RoleAdmin), stopRouter
}

func TestMetricsCountRequestsByRoutePattern(t *testing.T) {
	t.Parallel()

	url, token, _ := monitored(t, monitor.Config{Addr: "127.0.0.1:8080"})

	for _, p := range []string{"/api/bank-files/424242", "/api/bank-files/515151",
		"/api/exceptions", "/no/such/page/9191", "/healthz"} {
		send(t, http.MethodGet, url+p, token, "")
	}

	status, body := send(t, http.MethodGet, url+"/metrics", "", "")
	if status != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", status, body)
	}

	for _, want := range []string{
		`o2c_http_requests_total{route="GET /api/bank-files/{id}",status="4xx"} 2`,
		`o2c_http_requests_total{route="GET /api/exceptions",status="2xx"} 1`,
		`o2c_http_requests_total{route="GET /healthz",status="2xx"} 1`,
		`o2c_http_requests_total{route="unmatched",status="4xx"} 1`,
		`o2c_bus_queue_depth{consumer_group="o2c",topic="o2c_bank_file_received"} 0`,
		`o2c_bus_router_running 1`,
		`o2c_exceptions_open_oldest_age_seconds 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// The raw paths, not bare digits: a duration or byte count may contain those.
	for _, raw := range []string{"bank-files/424242", "bank-files/515151", "page/9191"} {
		if strings.Contains(body, raw) {
			t.Errorf("metrics carry the raw path %s", raw)
		}
	}
}

func TestMetricsOnAPublicAddressNeedTheMetricsToken(t *testing.T) {
	t.Parallel()

	url, _, _ := monitored(t, monitor.Config{Addr: "0.0.0.0:8080", Token: "scrape-2b2b2b"})

	if status, _ := send(t, http.MethodGet, url+"/metrics", "", ""); status != 401 {
		t.Errorf("without token: %d, want 401", status)
	}

	if status, _ := send(t, http.MethodGet, url+"/metrics", "scrape-2b2b2c", ""); status != 401 {
		t.Errorf("wrong token: %d, want 401", status)
	}

	status, body := send(t, http.MethodGet, url+"/metrics", "scrape-2b2b2b", "")
	if status != http.StatusOK || !strings.Contains(body, "o2c_invoices{") {
		t.Errorf("with token: %d, business gauges served: %v", status,
			strings.Contains(body, "o2c_invoices{"))
	}

	url, _, _ = monitored(t, monitor.Config{Addr: ":8080"})

	status, body = send(t, http.MethodGet, url+"/metrics", "", "")
	if status != http.StatusForbidden || strings.Contains(body, "o2c_") {
		t.Errorf("public address without a metrics token: %d %s", status, body)
	}
}

func TestReadyzWaitsForTheBusRouter(t *testing.T) {
	t.Parallel()

	url, _, stop := monitored(t, monitor.Config{Addr: "127.0.0.1:8080"})

	if status, body := send(t, http.MethodGet, url+"/readyz", "", ""); status != 200 {
		t.Fatalf("readyz with the router running: %d %s", status, body)
	}

	stop()

	status, body := send(t, http.MethodGet, url+"/readyz", "", "")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "bus_unavailable") {
		t.Fatalf("readyz with the router stopped: %d %s", status, body)
	}

	if status, _ := send(t, http.MethodGet, url+"/healthz", "", ""); status != 200 {
		t.Fatalf("healthz with the router stopped: %d, want 200", status)
	}
}
