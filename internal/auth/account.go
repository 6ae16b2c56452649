package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/o2c-dev/o2c/internal/store"
)

// Errors of changing one's own password.
var (
	// ErrWrongPassword is returned when the current password given is wrong.
	ErrWrongPassword = errors.New("the current password is wrong")

	// ErrBuiltin is returned when a built-in principal (the shared legacy token)
	// asks for what only a stored user has, such as a password.
	ErrBuiltin = errors.New("the built-in user has no password or account")

	// ErrNotSignedIn is returned when the request carries no user.
	ErrNotSignedIn = errors.New("nobody is signed in")
)

// ChangePassword sets a new password for the user signed in on r after checking
// their current one, within the account's and the client address's login rate
// limits (a wrong current password counts as a failed login, and too many answer a
// *LimitedError). It ends the user's other sessions, keeps the request's own one
// and leaves their API tokens valid. The audit log records "change_password" by
// the user. A new password equal to the current one changes nothing.
func (s *Service) ChangePassword(r *http.Request, current, password string) error {
	ctx := r.Context()

	p, ok := principalFrom(ctx)

	switch {
	case !ok:
		return ErrNotSignedIn
	case p.user.Builtin():
		return ErrBuiltin
	}

	if err := CheckPassword(password); err != nil {
		return err
	}

	name := p.user.Name
	now := s.now()
	ip := clientIP(r)
	keys := s.limitKeys(name, ip)

	last, err := s.attempt(ctx, keys, now)
	if err != nil {
		return err
	}

	var hash string

	err = s.pool.QueryRow(ctx, `SELECT password_hash FROM users
		WHERE id = $1 AND disabled_at IS NULL`, p.user.ID).Scan(&hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("change password of %s: %w", name, ErrNoUser)
	}

	if err != nil {
		return fmt.Errorf("change password of %s: %w", name, err)
	}

	if len(current) > MaxPasswordLen {
		current = ""
	}

	if ok, _, err := VerifyPassword(current, hash); !ok || err != nil {
		if err := s.lockedOut(ctx, name, ip, last, now); err != nil {
			return err
		}

		return ErrWrongPassword
	}

	err = store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		return forgetAttempt(ctx, tx, keys, now)
	})
	if err != nil {
		return fmt.Errorf("change password of %s: %w", name, err)
	}

	// The same password again changes nothing: no session ends.
	if password == current {
		return nil
	}

	// The session the request came with stays: the user goes on where they are.
	var keep []byte
	if c, err := r.Cookie(CookieName); err == nil && p.via == ViaSession {
		keep = digest(c.Value)
	}

	fresh := HashPassword(password)

	return s.change(ctx, name, "change_password", name, func(tx pgx.Tx, u *User) error {
		// The hash checked above must still be the stored one.
		tag, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2, updated_at = $4
			WHERE id = $1 AND password_hash = $3`, u.ID, fresh, hash, now)
		if err != nil {
			return err
		}

		if tag.RowsAffected() == 0 {
			return ErrWrongPassword
		}

		if _, err := tx.Exec(ctx, `DELETE FROM sessions
			WHERE user_id = $1 AND ($2::bytea IS NULL OR id_hash <> $2)`, u.ID,
			keep); err != nil {
			return err
		}

		_, err = tx.Exec(ctx, `DELETE FROM login_failures WHERE key = $1`, "user:"+name)

		return err
	})
}

// ListUsers lists users by name, those after the name after ("" from the first),
// at most limit of them, and reports whether more follow.
func (s *Service) ListUsers(ctx context.Context, after string, limit int) ([]User, bool,
	error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users
		WHERE name > $1 ORDER BY name LIMIT $2`, after, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("list users: %w", err)
	}

	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (User, error) {
		return scanUser(row)
	})
	if err != nil {
		return nil, false, fmt.Errorf("list users: %w", err)
	}

	more := len(out) > limit

	return out[:min(len(out), limit)], more, nil
}
