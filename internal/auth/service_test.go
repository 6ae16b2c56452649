package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/store"
)

func TestMain(m *testing.M) {
	pgtest.SetTemplate(func(ctx context.Context, pool *pgxpool.Pool) error {
		_, err := store.Migrate(ctx, pool)
		return err
	})
	pgtest.Main(m)
}

const pw = "correct horse battery"

// clock is a settable time for expiry tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()

	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()

	c.t = c.t.Add(d)
}

func TestUsersAreAuditedWithoutSecrets(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	pool := pgtest.DB(t)
	a := auth.New(pool, auth.Config{})

	u, err := a.AddUser(ctx, "root", "ana", auth.RoleOps, pw)
	if err != nil {
		t.Fatal(err)
	}

	if u.ID == 0 || u.Name != "ana" || u.Role != auth.RoleOps || u.Disabled {
		t.Errorf("added %+v", u)
	}

	var hash string
	if err := pool.QueryRow(ctx, `SELECT password_hash FROM users WHERE name = 'ana'`).
		Scan(&hash); err != nil {
		t.Fatal(err)
	}

	if strings.Contains(hash, pw) || !strings.HasPrefix(hash, "$argon2id$") {
		t.Errorf("stored password %q: want an argon2id hash", hash)
	}

	if _, err := a.AddUser(ctx, "root", "ana", auth.RoleViewer, pw); !errors.Is(err,
		auth.ErrUserExists) {
		t.Errorf("second ana: %v, want ErrUserExists", err)
	}

	for name, err := range map[string]error{
		"bad name":  ignore(a.AddUser(ctx, "root", "Ana B", auth.RoleOps, pw)),
		"bad role":  ignore(a.AddUser(ctx, "root", "bo", auth.Role("boss"), pw)),
		"short pw":  ignore(a.AddUser(ctx, "root", "cy", auth.RoleOps, "short")),
		"long pw":   ignore(a.AddUser(ctx, "root", "di", auth.RoleOps, strings.Repeat("x", 1025))),
		"no user":   a.Disable(ctx, "root", "nobody"),
		"role typo": a.SetRole(ctx, "root", "ana", auth.Role("opps")),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}

	if err := a.SetRole(ctx, "root", "ana", auth.RoleTreasury); err != nil {
		t.Fatal(err)
	}

	if err := a.SetPassword(ctx, "root", "ana", "another long password"); err != nil {
		t.Fatal(err)
	}

	if err := a.Disable(ctx, "root", "ana"); err != nil {
		t.Fatal(err)
	}

	log, err := store.AuditLog(ctx, pool, "user", "ana", 10)
	if err != nil {
		t.Fatal(err)
	}

	var actions []string
	for _, e := range log {
		actions = append(actions, e.Action)

		if e.Actor != "root" {
			t.Errorf("%s audited as %q, want root", e.Action, e.Actor)
		}

		for _, b := range [][]byte{e.Before, e.After} {
			if s := string(b); strings.Contains(s, "argon2") || strings.Contains(s, pw) ||
				strings.Contains(s, "another long password") {
				t.Errorf("audit entry %s holds a secret: %s", e.Action, s)
			}
		}
	}

	if got := strings.Join(actions, " "); got != "disable set_password set_role create" {
		t.Errorf("audit actions (newest first) %q", got)
	}

	if !strings.Contains(string(log[2].After), `"role": "treasury"`) ||
		!strings.Contains(string(log[0].After), `"disabled": true`) {
		t.Errorf("audit states: set_role %s, disable %s", log[2].After, log[0].After)
	}
}

func ignore(_ auth.User, err error) error { return err }

func TestTheLastAdminStays(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	a := auth.New(pgtest.DB(t), auth.Config{})

	if _, err := a.AddUser(ctx, "cli", "root", auth.RoleAdmin, pw); err != nil {
		t.Fatal(err)
	}

	if err := a.Disable(ctx, "cli", "root"); !errors.Is(err, auth.ErrLastAdmin) {
		t.Errorf("disable the only admin: %v, want ErrLastAdmin", err)
	}

	if err := a.SetRole(ctx, "cli", "root", auth.RoleOps); !errors.Is(err, auth.ErrLastAdmin) {
		t.Errorf("demote the only admin: %v, want ErrLastAdmin", err)
	}

	if _, err := a.AddUser(ctx, "cli", "second", auth.RoleAdmin, pw); err != nil {
		t.Fatal(err)
	}

	if err := a.Disable(ctx, "cli", "root"); err != nil {
		t.Errorf("disable one of two admins: %v", err)
	}

	if ok, err := a.HasAdmin(ctx); !ok || err != nil {
		t.Errorf("HasAdmin = %v, %v", ok, err)
	}
}

func TestBootstrapCreatesTheFirstAdminOnce(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	pool := pgtest.DB(t)
	a := auth.New(pool, auth.Config{})

	if _, err := a.Bootstrap(ctx, "root", "short"); err == nil {
		t.Error("bootstrap with a short password accepted")
	}

	if _, err := a.Bootstrap(ctx, "api", pw); err == nil {
		t.Error("bootstrap of a reserved name accepted")
	}

	created, err := a.Bootstrap(ctx, "root", pw)
	if !created || err != nil {
		t.Fatalf("first bootstrap: %v %v", created, err)
	}

	if created, err := a.Bootstrap(ctx, "root", ""); created || err != nil {
		t.Errorf("second bootstrap: %v %v, want false, nil", created, err)
	}

	log, err := store.AuditLog(ctx, pool, "user", "root", 5)
	if err != nil || len(log) != 1 || log[0].Actor != "config" || log[0].Action != "create" {
		t.Errorf("audit of the bootstrap: %+v %v", log, err)
	}

	// A viewer of the configured name, with no admin at all: refused, not promoted.
	b := auth.New(pgtest.DB(t), auth.Config{})
	if _, err := b.AddUser(ctx, "cli", "root", auth.RoleViewer, pw); err != nil {
		t.Fatal(err)
	}

	if _, err := b.Bootstrap(ctx, "root", pw); !errors.Is(err, auth.ErrBootstrap) {
		t.Errorf("bootstrap over a viewer: %v, want ErrBootstrap", err)
	}
}

func TestTokensAreStoredAsDigestsAndRevocable(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	pool := pgtest.DB(t)
	clk := newClock()
	a := auth.New(pool, auth.Config{Clock: clk.Now})

	for _, n := range []string{"ana", "bo"} {
		if _, err := a.AddUser(ctx, "cli", n, auth.RoleOps, pw); err != nil {
			t.Fatal(err)
		}
	}

	tok, secret, err := a.CreateToken(ctx, "ana", "ana", "nightly export", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	if !strings.HasPrefix(secret, auth.TokenPrefix) || len(secret) < 40 ||
		!strings.HasPrefix(secret, strings.TrimSuffix(tok.Hint, "…")) {
		t.Errorf("secret %q hint %q", secret, tok.Hint)
	}

	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM api_tokens WHERE hash = $1
		OR position($2 in label || hint) > 0`, []byte(secret), secret).Scan(&n); err != nil ||
		n != 0 {
		t.Errorf("secret stored as given: %d rows, %v", n, err)
	}

	who := func(secret string) string {
		h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, _ := auth.UserFrom(r.Context())
			_, _ = w.Write([]byte(u.Name))
		}))

		req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
		req.Header.Set("Authorization", "Bearer "+secret)

		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		return rec.Body.String()
	}

	if got := who(secret); got != "ana" {
		t.Fatalf("token authenticates %q, want ana", got)
	}

	if err := a.RevokeToken(ctx, "bo", "bo", tok.ID); !errors.Is(err, auth.ErrNoToken) {
		t.Errorf("bo revokes ana's token: %v, want ErrNoToken", err)
	}

	clk.Advance(25 * time.Hour)

	if got := who(secret); got != "" {
		t.Errorf("expired token authenticates %q", got)
	}

	_, second, err := a.CreateToken(ctx, "ana", "ana", "", 0)
	if err != nil {
		t.Fatal(err)
	}

	if err := a.RevokeToken(ctx, "ana", "ana", tok.ID+1); err != nil {
		t.Fatal(err)
	}

	if got := who(second); got != "" {
		t.Errorf("revoked token authenticates %q", got)
	}

	list, err := a.Tokens(ctx, "ana")
	if err != nil || len(list) != 2 || list[0].RevokedAt == nil || list[1].ExpiresAt == nil {
		t.Errorf("ana's tokens: %+v %v", list, err)
	}

	log, err := store.AuditLog(ctx, pool, "api_token", "", 10)
	if err != nil || len(log) != 3 || log[0].Action != "revoke" || log[0].Actor != "ana" {
		t.Errorf("token audit: %+v %v", log, err)
	}

	for _, e := range log {
		if strings.Contains(string(e.After), auth.TokenPrefix) {
			t.Errorf("audit holds a token: %s", e.After)
		}
	}
}

// A browser asking for a page is sent to the login page; a script gets JSON.
func TestRequireRedirectsBrowsersToLogin(t *testing.T) {
	t.Parallel()

	page := auth.Require(auth.ActionRead, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("queue"))
	})

	cases := []struct {
		path, accept string
		user         *auth.User
		want         int
		location     string
	}{
		{"/exceptions?status=open", "text/html,*/*", nil, http.StatusSeeOther,
			"/login?next=%2Fexceptions%3Fstatus%3Dopen"},
		{"/exceptions", "application/json", nil, http.StatusUnauthorized, ""},
		{"/api/exceptions", "text/html", nil, http.StatusUnauthorized, ""},
		{"/exceptions", "text/html", &auth.User{Name: "v", Role: auth.RoleViewer},
			http.StatusOK, ""},
		{"/exceptions", "text/html", &auth.User{Name: "x", Role: "nobody"},
			http.StatusForbidden, ""},
	}

	for _, c := range cases {
		req := httptest.NewRequest(http.MethodGet, c.path, nil)
		req.Header.Set("Accept", c.accept)

		if c.user != nil {
			req = req.WithContext(auth.WithUser(req.Context(), *c.user))
		}

		rec := httptest.NewRecorder()
		page(rec, req)

		if rec.Code != c.want || rec.Header().Get("Location") != c.location {
			t.Errorf("%s (%s): %d %q, want %d %q", c.path, c.accept, rec.Code,
				rec.Header().Get("Location"), c.want, c.location)
		}
	}

	admin := auth.RequireRole(func(http.ResponseWriter, *http.Request) {}, auth.RoleAdmin)
	req := httptest.NewRequest(http.MethodPost, "/api/users", nil)
	req = req.WithContext(auth.WithUser(req.Context(), auth.User{Name: "o", Role: auth.RoleOps}))

	rec := httptest.NewRecorder()
	admin(rec, req)

	if rec.Code != http.StatusForbidden ||
		!strings.Contains(rec.Body.String(), `"error":"forbidden"`) {
		t.Errorf("ops on an admin route: %d %s", rec.Code, rec.Body)
	}
}
