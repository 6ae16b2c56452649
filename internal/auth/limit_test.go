package auth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/store"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()

	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()

	return b.buf.String()
}

// loginServer serves POST /login?name=&password= through LogIn, answering the
// status: 200, 401 (ErrLogin) or 429 (*LimitedError). The X-Test-Addr header
// stands for the client address, so that one test can log in from several.
func loginServer(t *testing.T, a *auth.Service) string {
	t.Helper()

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if addr := r.Header.Get("X-Test-Addr"); addr != "" {
			r.RemoteAddr = addr + ":4000"
		}

		q := r.URL.Query()
		_, err := a.LogIn(w, r, q.Get("name"), q.Get("password"))

		var limited *auth.LimitedError
		switch {
		case errors.As(err, &limited):
			w.Header().Set("X-Scope", limited.Scope)
			w.WriteHeader(http.StatusTooManyRequests)
		case errors.Is(err, auth.ErrLogin):
			w.WriteHeader(http.StatusUnauthorized)
		case err != nil:
			t.Errorf("log in: %v", err)
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)

	return srv.URL
}

// tryLogin logs in as name from addr and returns the status and the limit's scope.
func tryLogin(t *testing.T, url, addr, name, password string) (int, string) {
	t.Helper()

	req, err := http.NewRequest(http.MethodPost, url+"/login?name="+name+"&password="+
		strings.ReplaceAll(password, " ", "+"), nil)
	if err != nil {
		t.Fatal(err)
	}

	req.Header.Set("X-Test-Addr", addr)

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, ""
	}

	resp.Body.Close()

	return resp.StatusCode, resp.Header.Get("X-Scope")
}

// Parallel wrong logins cannot all pass the check before the first failure is
// recorded: at most the limit of passwords is checked.
func TestParallelLoginsCheckAtMostTheLimit(t *testing.T) {
	t.Parallel()

	pool := pgtest.DB(t)
	a := auth.New(pool, auth.Config{Logger: slog.New(slog.DiscardHandler)})

	if _, err := a.AddUser(context.Background(), "test", "ana", auth.RoleOps, pw); err != nil {
		t.Fatal(err)
	}

	url := loginServer(t, a)

	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		codes = map[int]int{}
	)

	for i := range 40 {
		wg.Go(func() {
			code, _ := tryLogin(t, url, "192.0.2.7", "ana", fmt.Sprintf("wrong guess %d", i))

			mu.Lock()
			codes[code]++
			mu.Unlock()
		})
	}

	wg.Wait()

	if codes[http.StatusUnauthorized] != 5 || codes[http.StatusTooManyRequests] != 35 {
		t.Errorf("answers %v: want 5 passwords checked (401) and 35 refused (429)", codes)
	}
}

// A guesser at one address locks the account at that address only: its owner
// logs in from another. The lockout is logged at WARN and audited, without the
// password; failures spread over many addresses still lock the account.
func TestLockoutIsPerAddressLoggedAndAudited(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	pool := pgtest.DB(t)
	clk := newClock()
	logs := &syncBuffer{}
	a := auth.New(pool, auth.Config{Clock: clk.Now, MaxFailures: 3, MaxFailuresPerAccount: 7,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})

	if _, err := a.AddUser(ctx, "test", "root", auth.RoleAdmin, pw); err != nil {
		t.Fatal(err)
	}

	url := loginServer(t, a)

	for i := range 3 {
		code, _ := tryLogin(t, url, "198.51.100.9", "root", "secret guess "+fmt.Sprint(i))
		if code != 401 {
			t.Fatalf("failure %d: %d", i+1, code)
		}
	}

	if code, scope := tryLogin(t, url, "198.51.100.9", "root", pw); code != 429 ||
		scope != auth.ScopeAccountAddress {
		t.Fatalf("the guesser's address after 3 failures: %d %s, want 429", code, scope)
	}

	if code, _ := tryLogin(t, url, "203.0.113.5", "root", pw); code != 200 {
		t.Fatalf("the admin from another address: %d, want 200", code)
	}

	out := logs.String()
	if !strings.Contains(out, "level=WARN msg=\"Login locked out\" user=root "+
		"remote_addr=198.51.100.9 scope=account_address") {
		t.Errorf("no WARN of the lockout in:\n%s", out)
	}

	if !strings.Contains(out, "Login refused: too many failed logins") {
		t.Errorf("the refused attempt is not logged:\n%s", out)
	}

	if strings.Contains(out, "secret guess") || strings.Contains(out, pw) {
		t.Errorf("a password is logged:\n%s", out)
	}

	log, err := store.AuditLog(ctx, pool, "user", "root", 10)
	if err != nil {
		t.Fatal(err)
	}

	var lockouts []string
	for _, e := range log {
		if e.Action == "login_lockout" {
			lockouts = append(lockouts, string(e.After))
		}
	}

	if len(lockouts) != 1 || !strings.Contains(lockouts[0], `"remote_addr": "198.51.100.9"`) ||
		strings.Contains(lockouts[0], "guess") {
		t.Errorf("lockouts audited %q", lockouts)
	}

	// Seven failures over several addresses (two each, under the per-address
	// limit) lock the account everywhere, a fresh address included.
	clk.Advance(16 * time.Minute)

	for i := range 7 {
		addr := fmt.Sprintf("192.0.2.%d", 10+i/2)
		if code, _ := tryLogin(t, url, addr, "root", "spread guess"); code != 401 {
			t.Fatalf("spread failure %d: %d", i+1, code)
		}
	}

	if code, scope := tryLogin(t, url, "203.0.113.77", "root", pw); code != 429 ||
		scope != auth.ScopeAccount {
		t.Errorf("after 7 failures from many addresses: %d %s, want 429 account", code, scope)
	}
}
