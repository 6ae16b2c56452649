package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/o2c-dev/o2c/internal/store"
)

// Errors of logging in and of sessions.
var (
	// ErrLogin is returned for a wrong name or password, or a disabled user: the
	// caller cannot tell which.
	ErrLogin = errors.New("wrong user name or password")

	// errNoSession is a session id that names no live session.
	errNoSession = errors.New("no such session")
)

// LimitedError is returned when too many logins failed recently for the account or
// the client address; no password was checked.
type LimitedError struct {
	// RetryAfter is how long until one more attempt is allowed.
	RetryAfter time.Duration
}

// Error says when to retry.
func (e *LimitedError) Error() string {
	return fmt.Sprintf("too many failed logins: retry in %s", e.RetryAfter.Round(time.Second))
}

// randomID returns 256 random bits, base64url-encoded, and their SHA-256 digest.
func randomID() (string, []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails

	raw := base64.RawURLEncoding.EncodeToString(b)

	return raw, digest(raw)
}

func digest(raw string) []byte {
	d := sha256.Sum256([]byte(raw))

	return d[:]
}

// session is a live session as a request sees it.
type session struct {
	hash []byte
	user User
	csrf string
}

// Session is a session just started by LogIn.
type Session struct {
	// User is who logged in.
	User User `json:"user"`

	// CSRF is the token the session's state-changing requests must carry.
	CSRF string `json:"csrf_token"`

	// ExpiresAt is when the session ends at the latest; unused for SessionIdle, it
	// ends sooner.
	ExpiresAt time.Time `json:"expires_at"`
}

// login checks the rate limits, then name and password, and on success starts a
// session, returning it and its id (the cookie's value).
func (s *Service) login(ctx context.Context, name, password, ip string) (Session, string,
	error) {
	now := s.now()
	keys := []limitKey{
		{"user:" + name[:min(len(name), 64)], s.cfg.MaxFailures},
		{"ip:" + ip, s.cfg.MaxFailuresPerIP},
	}

	if err := s.checkLimits(ctx, keys, now); err != nil {
		return Session{}, "", err
	}

	var (
		hash string
		u    User
		err  error = pgx.ErrNoRows
	)

	if len(name) <= 64 {
		u, err = scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+`, password_hash
			FROM users WHERE name = $1`, name), &hash)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return Session{}, "", fmt.Errorf("log in: %w", err)
		}
	}

	found := err == nil
	if !found || len(password) > MaxPasswordLen {
		// Spend the time a real check takes, so timing does not tell who exists.
		hash, password = decoy(), ""
	}

	ok, stale, verr := VerifyPassword(password, hash)
	if !found || !ok || verr != nil || u.Disabled {
		if err := s.recordFailure(ctx, keys, now); err != nil {
			return Session{}, "", err
		}

		return Session{}, "", ErrLogin
	}

	se, raw, err := s.startSession(ctx, u, password, stale, now)
	if err != nil {
		return Session{}, "", fmt.Errorf("log in: %w", err)
	}

	return se, raw, nil
}

func (s *Service) startSession(ctx context.Context, u User, password string, stale bool,
	now time.Time) (Session, string, error) {
	raw, hash := randomID()
	csrf, _ := randomID()

	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if stale {
			_, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, u.ID,
				HashPassword(password))
			if err != nil {
				return err
			}
		}

		_, err := tx.Exec(ctx, `DELETE FROM login_failures WHERE key = $1`, "user:"+u.Name)
		if err != nil {
			return err
		}

		_, err = tx.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1
			OR last_seen_at <= $2`, now, now.Add(-s.cfg.SessionIdle))
		if err != nil {
			return err
		}

		_, err = tx.Exec(ctx, `INSERT INTO sessions
			(id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
			VALUES ($1, $2, $3, $4, $4, $5)`, hash, u.ID, csrf, now, now.Add(s.cfg.SessionMax))

		return err
	})
	if err != nil {
		return Session{}, "", err
	}

	return Session{User: u, CSRF: csrf, ExpiresAt: now.Add(s.cfg.SessionMax)}, raw, nil
}

// lookupSession returns the live session whose id is raw, deleting it when it has
// expired, and notes its use at most once a minute.
func (s *Service) lookupSession(ctx context.Context, raw string) (session, error) {
	hash := digest(raw)
	now := s.now()

	var (
		se               = session{hash: hash}
		lastSeen, expiry time.Time
	)

	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT u.id, u.name, u.role,
		u.disabled_at IS NOT NULL, u.created_at, s.csrf_token, s.last_seen_at, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id_hash = $1 AND u.disabled_at IS NULL`, hash), &se.csrf, &lastSeen, &expiry)
	if errors.Is(err, pgx.ErrNoRows) {
		return session{}, errNoSession
	}

	if err != nil {
		return session{}, fmt.Errorf("look up session: %w", err)
	}

	se.user = u

	if !now.Before(expiry) || !now.Before(lastSeen.Add(s.cfg.SessionIdle)) {
		if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`,
			hash); err != nil {
			return session{}, fmt.Errorf("end expired session: %w", err)
		}

		return session{}, errNoSession
	}

	if now.Sub(lastSeen) >= time.Minute {
		if _, err := s.pool.Exec(ctx, `UPDATE sessions SET last_seen_at = $2
			WHERE id_hash = $1`, hash, now); err != nil {
			return session{}, fmt.Errorf("touch session: %w", err)
		}
	}

	return se, nil
}

// endSession deletes the session whose id is raw, if any.
func (s *Service) endSession(ctx context.Context, raw string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`,
		digest(raw)); err != nil {
		return fmt.Errorf("end session: %w", err)
	}

	return nil
}

// limitKey is a rate-limited key (an account or a client address) and its limit.
type limitKey struct {
	key   string
	limit int
}

// checkLimits returns a *LimitedError when a key has its limit of failures within
// the window; the wait is until the oldest failure that counts leaves it.
func (s *Service) checkLimits(ctx context.Context, keys []limitKey, now time.Time) error {
	var wait time.Duration

	for _, k := range keys {
		var at time.Time

		err := s.pool.QueryRow(ctx, `SELECT at FROM login_failures
			WHERE key = $1 AND at > $2 ORDER BY at DESC OFFSET $3 LIMIT 1`,
			k.key, now.Add(-s.cfg.LoginWindow), k.limit-1).Scan(&at)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}

		if err != nil {
			return fmt.Errorf("check login rate: %w", err)
		}

		wait = max(wait, at.Add(s.cfg.LoginWindow).Sub(now))
	}

	if wait > 0 {
		return &LimitedError{RetryAfter: wait}
	}

	return nil
}

// recordFailure counts one failed login against every key and forgets failures that
// have left the window.
func (s *Service) recordFailure(ctx context.Context, keys []limitKey, now time.Time) error {
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		for _, k := range keys {
			_, err := tx.Exec(ctx, `INSERT INTO login_failures (key, at) VALUES ($1, $2)`,
				k.key, now)
			if err != nil {
				return err
			}
		}

		_, err := tx.Exec(ctx, `DELETE FROM login_failures WHERE at <= $1`,
			now.Add(-s.cfg.LoginWindow))

		return err
	})
	if err != nil {
		return fmt.Errorf("record failed login: %w", err)
	}

	return nil
}
