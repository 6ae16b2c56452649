package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/store"
)

// Config tunes a Service. Zero values take the defaults.
type Config struct {
	// Clock returns the current time. Defaults to time.Now.
	Clock func() time.Time

	// CookieSecure marks the session cookie Secure on every response, for o2c behind a
	// proxy that terminates TLS. Defaults to false: Secure only when the request itself
	// came over TLS.
	CookieSecure bool

	// LegacyToken, when set, is accepted as a bearer token of APIUser (the deprecated
	// shared http.token). Defaults to "" (none).
	LegacyToken string

	// Logger receives failures of the middleware's database look-ups. Defaults to
	// slog.Default().
	Logger *slog.Logger

	// LoginWindow is how long a failed login counts against its account and its client
	// address. Defaults to 15m.
	LoginWindow time.Duration

	// MaxFailures is how many failed logins of one account from one client address
	// within LoginWindow refuse further attempts of that account from that address
	// (429) until the oldest of them leaves the window; the account's owner at
	// another address is not locked out by them. Defaults to 5.
	MaxFailures int

	// MaxFailuresPerAccount is how many failed logins of one account from every
	// address within LoginWindow refuse every further attempt of it, against
	// guessing spread over many addresses. Defaults to 10 times MaxFailures.
	MaxFailuresPerAccount int

	// MaxFailuresPerIP is how many failed logins from one client address, whatever
	// the account, refuse every further attempt from it. Defaults to 20.
	MaxFailuresPerIP int

	// SessionIdle ends a session unused for that long. Defaults to 1h.
	SessionIdle time.Duration

	// SessionMax ends a session that long after login, used or not. Defaults to 12h.
	SessionMax time.Duration
}

// Service keeps users, sessions and tokens in PostgreSQL and answers who a request
// comes from.
type Service struct {
	pool *pgxpool.Pool
	cfg  Config
	cop  *http.CrossOriginProtection
}

// New returns a Service on pool, whose schema store.Migrate created.
func New(pool *pgxpool.Pool, cfg Config) *Service {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}

	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}

	if cfg.LoginWindow <= 0 {
		cfg.LoginWindow = 15 * time.Minute
	}

	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = 5
	}

	if cfg.MaxFailuresPerAccount <= 0 {
		cfg.MaxFailuresPerAccount = 10 * cfg.MaxFailures
	}

	if cfg.MaxFailuresPerIP <= 0 {
		cfg.MaxFailuresPerIP = 20
	}

	if cfg.SessionIdle <= 0 {
		cfg.SessionIdle = time.Hour
	}

	if cfg.SessionMax <= 0 {
		cfg.SessionMax = 12 * time.Hour
	}

	return &Service{pool: pool, cfg: cfg, cop: http.NewCrossOriginProtection()}
}

func (s *Service) now() time.Time {
	return s.cfg.Clock().UTC()
}

// Errors of user management.
var (
	// ErrNoUser is returned when no user has the name asked for.
	ErrNoUser = errors.New("no such user")

	// ErrUserExists is returned when adding a user whose name is taken.
	ErrUserExists = errors.New("user already exists")

	// ErrLastAdmin is returned when a change would leave no enabled admin.
	ErrLastAdmin = errors.New("the last enabled admin cannot be disabled or demoted")
)

// userAudit is what the audit log records of a user: never the password or its hash.
type userAudit struct {
	Name     string `json:"name"`
	Role     Role   `json:"role"`
	Disabled bool   `json:"disabled"`
}

func (u User) audit() userAudit {
	return userAudit{Name: u.Name, Role: u.Role, Disabled: u.Disabled}
}

const userColumns = `id, name, role, disabled_at IS NOT NULL, created_at`

func scanUser(row pgx.Row, extra ...any) (User, error) {
	var u User

	dest := append([]any{&u.ID, &u.Name, &u.Role, &u.Disabled, &u.CreatedAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return User{}, err
	}

	return u, nil
}

// AddUser stores a new enabled user with the hash of password, and audits it as done
// by actor.
func (s *Service) AddUser(ctx context.Context, actor, name string, role Role,
	password string) (User, error) {
	if err := CheckName(name); err != nil {
		return User{}, err
	}

	if _, err := ParseRole(string(role)); err != nil {
		return User{}, err
	}

	if err := CheckPassword(password); err != nil {
		return User{}, err
	}

	var u User

	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error

		u, err = addUser(ctx, tx, actor, name, role, HashPassword(password), s.now())

		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("add user %s: %w", name, err)
	}

	return u, nil
}

func addUser(ctx context.Context, tx pgx.Tx, actor, name string, role Role, hash string,
	now time.Time) (User, error) {
	u, err := scanUser(tx.QueryRow(ctx, `INSERT INTO users
		(name, role, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
		RETURNING `+userColumns, name, role, hash, now))

	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return User{}, ErrUserExists
	}

	if err != nil {
		return User{}, err
	}

	if err := store.Audit(ctx, tx, actor, "create", "user", name, nil, u.audit()); err != nil {
		return User{}, err
	}

	return u, nil
}

// Users lists every user by name.
func (s *Service) Users(ctx context.Context) ([]User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()

	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}

		out = append(out, u)
	}

	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}

	return out, nil
}

// UserByName returns the user called name, enabled or not.
func (s *Service) UserByName(ctx context.Context, name string) (User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users
		WHERE name = $1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, fmt.Errorf("user %s: %w", name, ErrNoUser)
	}

	if err != nil {
		return User{}, fmt.Errorf("user %s: %w", name, err)
	}

	return u, nil
}

// change runs fn on the user called name, locked for the transaction, and audits the
// user's state before and after as action by actor.
func (s *Service) change(ctx context.Context, actor, action, name string,
	fn func(tx pgx.Tx, u *User) error) error {
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		u, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users
			WHERE name = $1 FOR UPDATE`, name))
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNoUser
		}

		if err != nil {
			return err
		}

		before := u.audit()
		if err := fn(tx, &u); err != nil {
			return err
		}

		return store.Audit(ctx, tx, actor, action, "user", name, before, u.audit())
	})
	if err != nil {
		return fmt.Errorf("%s user %s: %w", action, name, err)
	}

	return nil
}

// keepAnAdmin returns ErrLastAdmin when u is the only enabled admin. The admins'
// rows are locked, so two concurrent changes cannot each leave the other one last.
func keepAnAdmin(ctx context.Context, tx pgx.Tx, u User) error {
	if u.Role != RoleAdmin || u.Disabled {
		return nil
	}

	rows, err := tx.Query(ctx, `SELECT id FROM users
		WHERE role = 'admin' AND disabled_at IS NULL AND id <> $1 FOR UPDATE`, u.ID)
	if err != nil {
		return err
	}

	others := 0
	for rows.Next() {
		others++
	}

	rows.Close()

	if err := rows.Err(); err != nil {
		return err
	}

	if others == 0 {
		return ErrLastAdmin
	}

	return nil
}

// endAccess deletes every session of the user and revokes every token, at once.
func endAccess(ctx context.Context, tx pgx.Tx, userID int64, now time.Time) error {
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
		return err
	}

	_, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = $2
		WHERE user_id = $1 AND revoked_at IS NULL`, userID, now)

	return err
}

// Disable stops the user called name from logging in and ends their sessions and API
// tokens in the same transaction. Disabling a disabled user changes nothing.
func (s *Service) Disable(ctx context.Context, actor, name string) error {
	return s.change(ctx, actor, "disable", name, func(tx pgx.Tx, u *User) error {
		if u.Disabled {
			return nil
		}

		if err := keepAnAdmin(ctx, tx, *u); err != nil {
			return err
		}

		now := s.now()
		if _, err := tx.Exec(ctx, `UPDATE users SET disabled_at = $2, updated_at = $2
			WHERE id = $1`, u.ID, now); err != nil {
			return err
		}

		u.Disabled = true

		return endAccess(ctx, tx, u.ID, now)
	})
}

// Enable lets a disabled user log in again. Their old tokens stay revoked.
func (s *Service) Enable(ctx context.Context, actor, name string) error {
	return s.change(ctx, actor, "enable", name, func(tx pgx.Tx, u *User) error {
		u.Disabled = false

		_, err := tx.Exec(ctx, `UPDATE users SET disabled_at = NULL, updated_at = $2
			WHERE id = $1`, u.ID, s.now())

		return err
	})
}

// SetRole gives the user called name another role, effective on their next request.
func (s *Service) SetRole(ctx context.Context, actor, name string, role Role) error {
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}

	return s.change(ctx, actor, "set_role", name, func(tx pgx.Tx, u *User) error {
		if role != RoleAdmin {
			if err := keepAnAdmin(ctx, tx, *u); err != nil {
				return err
			}
		}

		u.Role = role

		_, err := tx.Exec(ctx, `UPDATE users SET role = $2, updated_at = $3 WHERE id = $1`,
			u.ID, role, s.now())

		return err
	})
}

// SetPassword replaces the password of the user called name and ends their sessions;
// their API tokens stay valid.
func (s *Service) SetPassword(ctx context.Context, actor, name, password string) error {
	if err := CheckPassword(password); err != nil {
		return err
	}

	hash := HashPassword(password)

	return s.change(ctx, actor, "set_password", name, func(tx pgx.Tx, u *User) error {
		_, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2, updated_at = $3
			WHERE id = $1`, u.ID, hash, s.now())
		if err != nil {
			return err
		}

		_, err = tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, u.ID)

		return err
	})
}

// HasAdmin reports whether an enabled admin exists.
func (s *Service) HasAdmin(ctx context.Context) (bool, error) {
	var ok bool

	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users
		WHERE role = 'admin' AND disabled_at IS NULL)`).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("look for an admin: %w", err)
	}

	return ok, nil
}

// bootstrapLockKey serialises Bootstrap across replicas starting together.
const bootstrapLockKey = 0x6f3263_61646d

// ErrBootstrap is returned when the configured first admin cannot be created.
var ErrBootstrap = errors.New("cannot create the first admin")

// Bootstrap creates the admin called name with password when no enabled admin
// exists, and reports whether it did; the audit log names "config" as the actor.
func (s *Service) Bootstrap(ctx context.Context, name, password string) (bool, error) {
	if err := CheckName(name); err != nil {
		return false, fmt.Errorf("bootstrap admin: %w", err)
	}

	created := false

	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`,
			bootstrapLockKey); err != nil {
			return err
		}

		var admin, taken bool

		err := tx.QueryRow(ctx, `SELECT
			EXISTS (SELECT 1 FROM users WHERE role = 'admin' AND disabled_at IS NULL),
			EXISTS (SELECT 1 FROM users WHERE name = $1)`, name).Scan(&admin, &taken)
		if err != nil {
			return err
		}

		switch {
		case admin:
			return nil
		case taken:
			return fmt.Errorf("%w: user %s exists but is not an enabled admin", ErrBootstrap,
				name)
		}

		if err := CheckPassword(password); err != nil {
			return fmt.Errorf("%w: %w", ErrBootstrap, err)
		}

		created = true
		_, err = addUser(ctx, tx, "config", name, RoleAdmin, HashPassword(password), s.now())

		return err
	})
	if err != nil {
		return false, fmt.Errorf("bootstrap admin %s: %w", name, err)
	}

	return created, nil
}
