package monitor_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/internal/monitor"
)

func TestMetricsAccess(t *testing.T) {
	t.Parallel()

	const token = "scrape-7f3a9c"

	tests := []struct {
		name   string
		addr   string
		token  string
		header string
		want   int
	}{
		{"loopback without token is public", "127.0.0.1:8080", "", "", http.StatusOK},
		{"ipv6 loopback is public", "[::1]:8080", "", "", http.StatusOK},
		{"localhost is public", "localhost:8080", "", "", http.StatusOK},
		{"every address without token is closed", ":8080", "", "", http.StatusForbidden},
		{"public address without token is closed", "10.1.2.3:8080", "", "Bearer x",
			http.StatusForbidden},
		{"token required even on loopback", "127.0.0.1:8080", token, "", http.StatusUnauthorized},
		{"wrong token", "0.0.0.0:8080", token, "Bearer scrape-7f3a9d", http.StatusUnauthorized},
		{"token as basic auth", "0.0.0.0:8080", token, "Basic " + token, http.StatusUnauthorized},
		{"right token on public address", "0.0.0.0:8080", token, "Bearer " + token, http.StatusOK},
		{"lower-case scheme", "0.0.0.0:8080", token, "bearer " + token, http.StatusOK},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			m, err := monitor.New(monitor.Config{Addr: tt.addr, Token: tt.token, Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}

			m.ObserveRequest("GET /api/exceptions/{id}", 200, 30*time.Millisecond)

			srv := httptest.NewServer(m)
			defer srv.Close()

			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}

			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()

			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.want, body)
			}

			served := strings.Contains(string(body), "o2c_http_requests_total")
			if served != (tt.want == http.StatusOK) {
				t.Fatalf("metrics served = %v with status %d", served, resp.StatusCode)
			}
		})
	}
}

func TestRequestMetricsUseTheRoutePatternAndStatusClass(t *testing.T) {
	t.Parallel()

	m, err := monitor.New(monitor.Config{Addr: "127.0.0.1:0", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}

	m.ObserveRequest("GET /api/bank-files/{id}", 200, 10*time.Millisecond)
	m.ObserveRequest("GET /api/bank-files/{id}", 201, 20*time.Millisecond)
	m.ObserveRequest("GET /api/bank-files/{id}", 404, time.Millisecond)
	m.ObserveRequest("", 404, time.Millisecond)

	s, _ := get(t, m)

	for _, c := range []struct {
		route, status string
		want          float64
	}{
		{"GET /api/bank-files/{id}", "2xx", 2},
		{"GET /api/bank-files/{id}", "4xx", 1},
		{"unmatched", "4xx", 1},
	} {
		labels := map[string]string{"route": c.route, "status": c.status}
		if v, _ := s.value("o2c_http_requests_total", labels); v != c.want {
			t.Errorf("requests %v = %v, want %v", labels, v, c.want)
		}

		if v, _ := s.value("o2c_http_request_duration_seconds", labels); v != c.want {
			t.Errorf("duration count %v = %v, want %v", labels, v, c.want)
		}
	}

	if len(s["o2c_http_requests_total"].Metric) != 3 {
		t.Errorf("%d request series, want 3", len(s["o2c_http_requests_total"].Metric))
	}
}

func TestConfigIsValidated(t *testing.T) {
	t.Parallel()

	bad := []monitor.Config{
		{Topics: []string{`x"; DROP TABLE payments; --`}},
		{PoisonTopic: "a b"},
		{QueueDepthCap: -1},
		{DomainTTL: -time.Second},
	}

	for _, c := range bad {
		if _, err := monitor.New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
}

func TestLoopback(t *testing.T) {
	t.Parallel()

	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "127.9.9.9:80": true, "[::1]:8080": true,
		"localhost:8080": true, "LOCALHOST:1": true, "127.0.0.1": true,
		":8080": false, "0.0.0.0:8080": false, "[::]:8080": false, "10.0.0.5:8080": false,
		"example.org:8080": false, "": false,
	} {
		if got := monitor.Loopback(addr); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", addr, got, want)
		}
	}
}
