package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
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

// LimitedError is returned when too many logins failed recently for the account from
// the client address, for the account, or from the client address; no password was
// checked.
type LimitedError struct {
	// RetryAfter is how long until one more attempt is allowed.
	RetryAfter time.Duration
	// Scope is the limit reached: ScopeAccountAddress, ScopeAccount or ScopeAddress.
	Scope string
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
//
// The attempt is counted before the password is checked, in one transaction that
// holds each key's advisory lock while it counts and records (attempt): parallel
// attempts cannot all pass the check before any failure is recorded, so at most
// each key's limit of passwords is checked per window. A successful login takes
// its own attempt back.
func (s *Service) login(ctx context.Context, name, password, ip string) (Session, string,
	error) {
	now := s.now()
	keys := s.limitKeys(name, ip)

	last, err := s.attempt(ctx, keys, now)
	if err != nil {
		return Session{}, "", err
	}

	var (
		hash string
		u    User
	)

	err = pgx.ErrNoRows
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
		if err := s.lockedOut(ctx, name, ip, last, now); err != nil {
			return Session{}, "", err
		}

		return Session{}, "", ErrLogin
	}

	se, raw, err := s.startSession(ctx, u, password, stale, keys, now)
	if err != nil {
		return Session{}, "", fmt.Errorf("log in: %w", err)
	}

	return se, raw, nil
}

func (s *Service) startSession(ctx context.Context, u User, password string, stale bool,
	keys []limitKey, now time.Time) (Session, string, error) {
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

		if err := forgetAttempt(ctx, tx, keys, now); err != nil {
			return err
		}

		_, err := tx.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1
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

// Scopes of the login rate limits, as LimitedError and the audit log name them.
const (
	// ScopeAccountAddress limits the failures of one account from one address
	// (Config.MaxFailures): what a guesser at one address reaches first. It locks
	// the account only for that address, not for its owner elsewhere.
	ScopeAccountAddress = "account_address"
	// ScopeAccount limits the failures of one account from every address
	// (Config.MaxFailuresPerAccount), against guessing spread over many addresses.
	ScopeAccount = "account"
	// ScopeAddress limits the failures from one address on every account
	// (Config.MaxFailuresPerIP).
	ScopeAddress = "address"
)

// limitKey is a rate-limited key (an account, an address, or both) and its limit.
type limitKey struct {
	key   string
	limit int
	scope string
}

// limitKeys are the keys a login attempt of name from ip counts against, in the
// order their advisory locks are taken (sorted, so that attempts never deadlock).
func (s *Service) limitKeys(name, ip string) []limitKey {
	name = name[:min(len(name), 64)]

	keys := []limitKey{
		{"ip:" + ip, s.cfg.MaxFailuresPerIP, ScopeAddress},
		{"pair:" + ip + " " + name, s.cfg.MaxFailures, ScopeAccountAddress},
		{"user:" + name, s.cfg.MaxFailuresPerAccount, ScopeAccount},
	}

	slices.SortFunc(keys, func(a, b limitKey) int { return strings.Compare(a.key, b.key) })

	return keys
}

// attempt counts one login attempt against every key, unless a key has its limit of
// attempts within the window: then it returns a *LimitedError and records nothing.
// Each key's advisory lock is held from the count to the commit, so parallel
// attempts are counted one after the other. It returns the keys this attempt is the
// last allowed of: should it fail, they are locked out.
func (s *Service) attempt(ctx context.Context, keys []limitKey, now time.Time) ([]limitKey,
	error) {
	var (
		last    []limitKey
		limited *LimitedError
	)

	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		last, limited = nil, nil

		for _, k := range keys {
			_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
				"o2c_login:"+k.key)
			if err != nil {
				return err
			}
		}

		since := now.Add(-s.cfg.LoginWindow)
		for _, k := range keys {
			var (
				n      int
				oldest time.Time
			)

			err := tx.QueryRow(ctx, `SELECT count(*), COALESCE((SELECT at FROM login_failures
				WHERE key = $1 AND at > $2 ORDER BY at DESC OFFSET $3 LIMIT 1), $4)
				FROM login_failures WHERE key = $1 AND at > $2`,
				k.key, since, k.limit-1, now).Scan(&n, &oldest)
			if err != nil {
				return err
			}

			if n >= k.limit {
				wait := oldest.Add(s.cfg.LoginWindow).Sub(now)
				if limited == nil || wait > limited.RetryAfter {
					limited = &LimitedError{RetryAfter: wait, Scope: k.scope}
				}

				continue
			}

			if n+1 == k.limit {
				last = append(last, k)
			}
		}

		if limited != nil {
			return nil
		}

		for _, k := range keys {
			_, err := tx.Exec(ctx, `INSERT INTO login_failures (key, at) VALUES ($1, $2)`,
				k.key, now)
			if err != nil {
				return err
			}
		}

		_, err := tx.Exec(ctx, `DELETE FROM login_failures WHERE at <= $1`, since)

		return err
	})
	if err != nil {
		return nil, fmt.Errorf("count login attempt: %w", err)
	}

	if limited != nil {
		return nil, limited
	}

	return last, nil
}

// forgetAttempt takes back a successful login's attempt: the account's failures
// from every address are forgotten, and so is this attempt at its address, whose
// other failures still count.
func forgetAttempt(ctx context.Context, tx pgx.Tx, keys []limitKey, now time.Time) error {
	for _, k := range keys {
		var err error

		if k.scope == ScopeAddress {
			_, err = tx.Exec(ctx, `DELETE FROM login_failures WHERE ctid IN (SELECT ctid
				FROM login_failures WHERE key = $1 AND at = $2 LIMIT 1)`, k.key, now)
		} else {
			_, err = tx.Exec(ctx, `DELETE FROM login_failures WHERE key = $1`, k.key)
		}

		if err != nil {
			return err
		}
	}

	return nil
}

// lockedOut records the lockouts a failed attempt starts: the keys it was the last
// allowed attempt of. Each is logged at WARN and written to the audit log, so that
// a lockout, an attack on an account, is seen; the password never is.
func (s *Service) lockedOut(ctx context.Context, name, ip string, last []limitKey,
	now time.Time) error {
	for _, k := range last {
		until := now.Add(s.cfg.LoginWindow)

		s.cfg.Logger.WarnContext(ctx, "Login locked out", "user", name, "remote_addr", ip,
			"scope", k.scope, "failures", k.limit, "until", until)

		entity, id := "user", name
		if k.scope == ScopeAddress {
			entity, id = "address", ip
		} else if CheckName(name) != nil {
			id = "(not a user name)"
		}

		err := store.Audit(ctx, s.pool, "anonymous", "login_lockout", entity, id, nil,
			map[string]any{"scope": k.scope, "user": id, "remote_addr": ip,
				"failures": k.limit, "window_s": int(s.cfg.LoginWindow.Seconds()),
				"until": until})
		if err != nil {
			return fmt.Errorf("audit lockout: %w", err)
		}
	}

	return nil
}
