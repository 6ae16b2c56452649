package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/o2c-dev/o2c/internal/store"
)

// TokenPrefix starts every API token, so that a leaked one is easy to recognise.
const TokenPrefix = "o2c_"

// Token is an API token as listed: never its secret, which is shown once at creation.
type Token struct {
	ID         int64      `json:"id"`
	User       string     `json:"user"`
	Label      string     `json:"label"`
	Hint       string     `json:"hint"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// Errors of API tokens.
var (
	// ErrNoToken is returned for a token that does not exist or is not the caller's.
	ErrNoToken = errors.New("no such token")

	// ErrLabel is returned for a token label over 100 bytes.
	ErrLabel = errors.New("token label must be at most 100 bytes")

	// ErrDisabled is returned when creating a token for a disabled user.
	ErrDisabled = errors.New("user is disabled")

	// errBadToken is a bearer token that authenticates nobody.
	errBadToken = errors.New("invalid token")
)

// tokenAudit is what the audit log records of a token: never its secret or hint.
type tokenAudit struct {
	User      string     `json:"user"`
	Label     string     `json:"label"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	Revoked   bool       `json:"revoked"`
}

// CreateToken makes a new API token for the user called owner, valid for ttl (0: until
// revoked), and returns it with its secret, which is stored only as a digest. actor
// is audited as its creator.
func (s *Service) CreateToken(ctx context.Context, actor, owner, label string,
	ttl time.Duration) (Token, string, error) {
	if len(label) > 100 {
		return Token{}, "", ErrLabel
	}

	raw, _ := randomID()
	secret := TokenPrefix + raw
	now := s.now()

	t := Token{User: owner, Label: label, Hint: secret[:len(TokenPrefix)+4] + "…",
		CreatedAt: now}
	if ttl > 0 {
		exp := now.Add(ttl)
		t.ExpiresAt = &exp
	}

	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		u, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users
			WHERE name = $1 FOR SHARE`, owner))
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNoUser
		}

		if err != nil {
			return err
		}

		if u.Disabled {
			return ErrDisabled
		}

		err = tx.QueryRow(ctx, `INSERT INTO api_tokens
			(user_id, label, hint, hash, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			u.ID, label, t.Hint, digest(secret), now, t.ExpiresAt).Scan(&t.ID)
		if err != nil {
			return err
		}

		return store.Audit(ctx, tx, actor, "create", "api_token", strconv.FormatInt(t.ID, 10),
			nil, tokenAudit{User: owner, Label: label, ExpiresAt: t.ExpiresAt})
	})
	if err != nil {
		return Token{}, "", fmt.Errorf("create token for %s: %w", owner, err)
	}

	return t, secret, nil
}

// Tokens lists the API tokens of the user called owner, or of every user when owner
// is "", newest first, revoked and expired ones included.
func (s *Service) Tokens(ctx context.Context, owner string) ([]Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT t.id, u.name, t.label, t.hint, t.created_at,
		t.last_used_at, t.expires_at, t.revoked_at
		FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE $1 = '' OR u.name = $1 ORDER BY t.id DESC`, owner)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()

	var out []Token
	for rows.Next() {
		var t Token
		if err := rows.Scan(&t.ID, &t.User, &t.Label, &t.Hint, &t.CreatedAt, &t.LastUsedAt,
			&t.ExpiresAt, &t.RevokedAt); err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}

		out = append(out, t)
	}

	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}

	return out, nil
}

// RevokeToken revokes token id at once. When owner is not "", only a token of the
// user called owner is revoked and any other id answers ErrNoToken. Revoking a
// revoked token changes nothing.
func (s *Service) RevokeToken(ctx context.Context, actor, owner string, id int64) error {
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var (
			a       tokenAudit
			revoked *time.Time
		)

		err := tx.QueryRow(ctx, `SELECT u.name, t.label, t.expires_at, t.revoked_at
			FROM api_tokens t JOIN users u ON u.id = t.user_id
			WHERE t.id = $1 AND ($2 = '' OR u.name = $2) FOR UPDATE OF t`, id, owner).
			Scan(&a.User, &a.Label, &a.ExpiresAt, &revoked)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNoToken
		}

		if err != nil || revoked != nil {
			return err
		}

		_, err = tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = $2 WHERE id = $1`, id,
			s.now())
		if err != nil {
			return err
		}

		after := a
		after.Revoked = true

		return store.Audit(ctx, tx, actor, "revoke", "api_token", strconv.FormatInt(id, 10),
			a, after)
	})
	if err != nil {
		return fmt.Errorf("revoke token %d: %w", id, err)
	}

	return nil
}

// tokenUser returns the user a bearer token authenticates, and notes its use at most
// once a minute.
func (s *Service) tokenUser(ctx context.Context, secret string) (User, error) {
	if s.cfg.LegacyToken != "" {
		got, want := sha256.Sum256([]byte(secret)), sha256.Sum256([]byte(s.cfg.LegacyToken))
		if subtle.ConstantTimeCompare(got[:], want[:]) == 1 {
			return APIUser, nil
		}
	}

	if !strings.HasPrefix(secret, TokenPrefix) {
		return User{}, errBadToken
	}

	now := s.now()

	var (
		id       int64
		lastUsed *time.Time
	)

	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT u.id, u.name, u.role,
		u.disabled_at IS NOT NULL, u.created_at, t.id, t.last_used_at
		FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.hash = $1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL
		AND (t.expires_at IS NULL OR t.expires_at > $2)`, digest(secret), now),
		&id, &lastUsed)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, errBadToken
	}

	if err != nil {
		return User{}, fmt.Errorf("look up token: %w", err)
	}

	if lastUsed == nil || now.Sub(*lastUsed) >= time.Minute {
		if _, err := s.pool.Exec(ctx, `UPDATE api_tokens SET last_used_at = $2
			WHERE id = $1`, id, now); err != nil {
			return User{}, fmt.Errorf("touch token: %w", err)
		}
	}

	return u, nil
}
