package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/config"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/store"
)

// withStdin makes the users command read r as its standard input, and see no
// terminal, for the rest of the test.
func withStdin(t *testing.T, r io.Reader) {
	t.Helper()

	oldIn, oldTerm := stdin, stdinTerminal
	stdin, stdinTerminal = r, func() bool { return false }

	t.Cleanup(func() { stdin, stdinTerminal = oldIn, oldTerm })
}

// whoHolds returns the name of the user an API token authenticates, or "".
func whoHolds(t *testing.T, a *auth.Service, token string) string {
	t.Helper()

	h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := auth.UserFrom(r.Context())
		_, _ = io.WriteString(w, u.Name)
	}))

	req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	return rec.Body.String()
}

func TestUsersCommands(t *testing.T) {
	url := pgtest.URL(t)

	withStdin(t, strings.NewReader("a long enough password\n"))

	if out, code := o2cRun(t, url, "users", "add", "ana", "--role", "ops",
		"--password-stdin"); code != 0 || !strings.Contains(out, "added ana (ops)") {
		t.Fatalf("users add: exit %d: %s", code, out)
	}

	refused := []struct {
		args []string
		code int
	}{
		{[]string{"users", "add", "bo", "--role", "boss", "--password-stdin"}, 1},
		{[]string{"users", "add", "bo", "--role", "ops", "--password", "in-argv-123"}, 1},
		{[]string{"users", "add", "bo", "--role", "ops"}, 2}, // no terminal to ask on
		{[]string{"users", "add", "--role", "ops"}, 2},
		{[]string{"users", "frobnicate"}, 2},
	}

	for _, c := range refused {
		withStdin(t, strings.NewReader("a long enough password\n"))

		if out, code := o2cRun(t, url, c.args...); code != c.code {
			t.Errorf("%s: exit %d, want %d: %s", strings.Join(c.args, " "), code, c.code, out)
		}
	}

	withStdin(t, strings.NewReader("short\n"))

	if out, code := o2cRun(t, url, "users", "add", "cy", "--role", "viewer",
		"--password-stdin"); code != 1 || !strings.Contains(out, "password must be") {
		t.Errorf("short password: exit %d: %s", code, out)
	}

	withStdin(t, strings.NewReader("root password here"))

	if out, code := o2cRun(t, url, "users", "add", "--as", "zoe", "--password-stdin", "root",
		"--role", "admin"); code != 0 {
		t.Fatalf("users add root (flags first, no final newline): exit %d: %s", code, out)
	}

	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"--database-url", url, "users", "token",
		"ana", "--label", "nightly"}, &out, &errOut); code != 0 {
		t.Fatalf("users token: exit %d: %s", code, errOut.String())
	}

	secret := strings.TrimSpace(out.String())
	if !strings.HasPrefix(secret, auth.TokenPrefix) || strings.Count(out.String(), "\n") != 1 ||
		!strings.Contains(errOut.String(), "shown once") {
		t.Fatalf("users token printed %q, %q", out.String(), errOut.String())
	}

	pool, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(pool.Close)

	a := auth.New(pool, auth.Config{})

	if got := whoHolds(t, a, secret); got != "ana" {
		t.Fatalf("printed token authenticates %q, want ana", got)
	}

	if out, code := o2cRun(t, url, "users", "disable", "ana"); code != 0 {
		t.Fatalf("users disable: exit %d: %s", code, out)
	}

	if got := whoHolds(t, a, secret); got != "" {
		t.Errorf("disabled user's token authenticates %q", got)
	}

	list, code := o2cRun(t, url, "users", "list")
	if code != 0 || !strings.Contains(list, "ana   ops    disabled") ||
		!strings.Contains(list, "root  admin  enabled") {
		t.Errorf("users list: exit %d:\n%s", code, list)
	}

	if out, code := o2cRun(t, url, "users", "disable", "root"); code != 1 ||
		!strings.Contains(out, "last enabled admin") {
		t.Errorf("disable the last admin: exit %d: %s", code, out)
	}

	if out, code := o2cRun(t, url, "users", "role", "ana", "viewer"); code != 0 {
		t.Errorf("users role: exit %d: %s", code, out)
	}

	log, err := store.AuditLog(context.Background(), pool, "", "", 20)
	if err != nil {
		t.Fatal(err)
	}

	var got []string
	for _, e := range log {
		got = append(got, e.Actor+" "+e.Action+" "+e.Entity)

		if strings.Contains(string(e.After), "password") || strings.Contains(string(e.After),
			auth.TokenPrefix) {
			t.Errorf("secret in the audit log: %s", e.After)
		}
	}

	want := "cli set_role user|cli disable user|cli create api_token|zoe create user|" +
		"cli create user"
	if strings.Join(got, "|") != want {
		t.Errorf("audit log (newest first):\n%s\nwant:\n%s", strings.Join(got, "|"), want)
	}
}

func TestServeCreatesTheConfiguredFirstAdmin(t *testing.T) {
	pool := pgtest.DB(t)
	ctx := context.Background()

	cfg := config.Default()
	cfg.Auth.BootstrapAdmin = "root"
	cfg.Auth.BootstrapPassword = "first admin password"

	var logs bytes.Buffer
	e := &env{cfg: &cfg, logger: slog.New(slog.NewTextHandler(&logs, nil))}

	a, err := startAuth(ctx, e, pool)
	if err != nil {
		t.Fatal(err)
	}

	u, err := a.UserByName(ctx, "root")
	if err != nil || u.Role != auth.RoleAdmin {
		t.Fatalf("root after start: %+v %v", u, err)
	}

	// Once an admin exists the password may leave the environment.
	cfg.Auth.BootstrapPassword = ""

	if _, err := startAuth(ctx, e, pool); err != nil {
		t.Errorf("second start: %v", err)
	}

	if users, err := a.Users(ctx); err != nil || len(users) != 1 {
		t.Errorf("users after two starts: %+v %v", users, err)
	}

	if strings.Contains(logs.String(), "first admin password") ||
		!strings.Contains(logs.String(), "Created the first admin") {
		t.Errorf("logs:\n%s", logs.String())
	}

	// No admin and no bootstrap: o2c starts and says how to add one.
	logs.Reset()
	cfg.Auth.BootstrapAdmin = ""

	if _, err := startAuth(ctx, e, pgtest.DB(t)); err != nil ||
		!strings.Contains(logs.String(), "o2c users add NAME --role admin") {
		t.Errorf("start without admin: %v\n%s", err, logs.String())
	}
}
