package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/auth"
)

// decodeJSON reads a JSON body of at most limit bytes into v, refusing unknown fields.
// Its errors say what is wrong in words of the request, never of Go types; they
// wrap encoding/json's (a *json.UnmarshalTypeError names the field) and io.EOF for
// an empty body. A body over limit is errJSONTooLarge.
func decodeJSON(r *http.Request, limit int64, v any) error {
	dec := json.NewDecoder(&capReader{r: r.Body, left: limit})
	dec.DisallowUnknownFields()

	err := dec.Decode(v)
	if err == nil {
		return nil
	}

	var (
		te *json.UnmarshalTypeError
		se *json.SyntaxError
	)

	switch {
	case errors.Is(err, errJSONTooLarge):
		return err
	case errors.As(err, &te) && te.Field != "":
		return &jsonError{msg: fmt.Sprintf("%s: must be a JSON %s", te.Field,
			jsonKind(te.Type.Kind().String())), err: err}
	case errors.As(err, &te):
		return &jsonError{msg: "the body must be a JSON object", err: err}
	case errors.As(err, &se):
		return &jsonError{msg: fmt.Sprintf("the body is not valid JSON (at byte %d)",
			se.Offset), err: err}
	case errors.Is(err, io.EOF):
		return &jsonError{msg: "the body is empty: send a JSON object", err: err}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &jsonError{msg: "the JSON body ends too early", err: err}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return err // names the field the client sent, in its own words
	default:
		return &jsonError{msg: "the body is not a JSON object of this request", err: err}
	}
}

// errJSONTooLarge is a JSON body over its limit.
var errJSONTooLarge = errors.New("the JSON body is over its size limit")

// jsonError is a JSON body that could not be decoded, said in the request's words.
type jsonError struct {
	msg string
	err error
}

func (e *jsonError) Error() string { return e.msg }

func (e *jsonError) Unwrap() error { return e.err }

// capReader reads at most left bytes and then errJSONTooLarge if more follow.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		if n, _ := c.r.Read(one[:]); n > 0 {
			return 0, errJSONTooLarge
		}

		return 0, io.EOF
	}

	if int64(len(p)) > c.left {
		p = p[:c.left]
	}

	n, err := c.r.Read(p)
	c.left -= int64(n)

	return n, err
}

// writeDecodeError answers a body decodeJSON refused: 413 when too large, else 400.
func writeDecodeError(w http.ResponseWriter, err error) {
	if errors.Is(err, errJSONTooLarge) {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", err)
		return
	}

	writeError(w, http.StatusBadRequest, "invalid_json", err)
}

// login checks a name and password and sets the session cookie. The answer carries
// the session's CSRF token, which scripts using the cookie send as X-CSRF-Token.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}

	if err := decodeJSON(r, 1<<14, &body); err != nil {
		writeDecodeError(w, err)
		return
	}

	se, err := s.cfg.Auth.LogIn(w, r, body.Name, body.Password)

	var limited *auth.LimitedError
	switch {
	case errors.As(err, &limited):
		secs := int(math.Ceil(limited.RetryAfter.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeError(w, http.StatusTooManyRequests, "too_many_attempts",
			fmt.Errorf("too many failed logins: retry in %d s", secs))
	case errors.Is(err, auth.ErrLogin):
		s.cfg.Logger.WarnContext(r.Context(), "Login refused", "remote_addr", r.RemoteAddr)
		writeError(w, http.StatusUnauthorized, "invalid_credentials", err)
	case err != nil:
		s.fail(w, r, err)
	default:
		s.cfg.Logger.InfoContext(r.Context(), "Login", "user", se.User.Name)
		writeJSON(w, http.StatusOK, se)
	}
}

// logout ends the request's session and clears the cookie; without one it does
// nothing.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Auth.LogOut(w, r); err != nil {
		s.fail(w, r, err)
		return
	}

	writeJSON(w, http.StatusOK, map[string]string{"status": "logged_out"})
}

// me tells the caller who they are, how they authenticated and what they may do.
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	u, _ := auth.UserFrom(r.Context())

	out := map[string]any{"user": u, "via": auth.ViaFrom(r.Context()),
		"permissions": auth.Permissions(u.Role)}
	if t := auth.CSRFToken(r); t != "" {
		out["csrf_token"] = t
	}

	writeJSON(w, http.StatusOK, out)
}

// tokenOwner is whose tokens a request manages: the caller's own, or with the admin
// action the user named by the "user" query parameter or body field ("*" lists every
// user's tokens). ok is false when the answer has been written.
func (s *Server) tokenOwner(w http.ResponseWriter, r *http.Request, named string) (string,
	bool) {
	u, _ := auth.UserFrom(r.Context())

	switch {
	case named != "" && named != u.Name && !auth.Can(u.Role, auth.ActionAdmin):
		writeError(w, http.StatusForbidden, "forbidden",
			errors.New("only an admin manages another user's tokens"))
		return "", false
	case named == "*":
		return "", true
	case named != "":
		return named, true
	case u.Builtin():
		writeError(w, http.StatusBadRequest, "invalid",
			fmt.Errorf("the built-in user %s has no tokens: name a user", u.Name))
		return "", false
	default:
		return u.Name, true
	}
}

// listTokens lists the caller's tokens, or for an admin those of the user named
// by the "user" query parameter ("*": every user's); an unknown user is 404.
func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	named := r.URL.Query().Get("user")
	if named != "" && named != "*" {
		if err := auth.CheckName(named); err != nil {
			writeError(w, http.StatusBadRequest, "invalid",
				fmt.Errorf("user: %q is not a user name", named))
			return
		}
	}

	owner, ok := s.tokenOwner(w, r, named)
	if !ok {
		return
	}

	if owner != "" {
		if _, err := s.cfg.Auth.UserByName(r.Context(), owner); errors.Is(err,
			auth.ErrNoUser) {
			writeError(w, http.StatusNotFound, "not_found", err)
			return
		}
	}

	list, err := s.cfg.Auth.Tokens(r.Context(), owner)
	if err != nil {
		s.fail(w, r, err)
		return
	}

	if list == nil {
		list = []auth.Token{}
	}

	writeJSON(w, http.StatusOK, map[string]any{"tokens": list})
}

// createToken makes an API token and answers its secret, the only time it is shown.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Label         string `json:"label"`
		User          string `json:"user"`
		ExpiresInDays int    `json:"expires_in_days"`
	}

	if err := decodeJSON(r, 1<<14, &body); err != nil {
		writeDecodeError(w, err)
		return
	}

	if body.ExpiresInDays < 0 || body.ExpiresInDays > 3660 {
		writeError(w, http.StatusUnprocessableEntity, "invalid",
			errors.New("expires_in_days: 0 (never) to 3660"))
		return
	}

	owner, ok := s.tokenOwner(w, r, body.User)
	if !ok {
		return
	}

	if owner == "" {
		writeError(w, http.StatusUnprocessableEntity, "invalid",
			errors.New("user: name one user"))
		return
	}

	ttl := time.Duration(body.ExpiresInDays) * 24 * time.Hour

	t, secret, err := s.cfg.Auth.CreateToken(r.Context(), actor(r), owner, body.Label, ttl)
	switch {
	case errors.Is(err, auth.ErrNoUser):
		writeError(w, http.StatusNotFound, "not_found", err)
	case errors.Is(err, auth.ErrLabel), errors.Is(err, auth.ErrDisabled):
		writeError(w, http.StatusUnprocessableEntity, "invalid", err)
	case err != nil:
		s.fail(w, r, err)
	default:
		writeJSON(w, http.StatusCreated, map[string]any{"token": t, "secret": secret})
	}
}

// revokeToken revokes one of the caller's tokens, or any token for an admin.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid", err)
		return
	}

	u, _ := auth.UserFrom(r.Context())

	owner := u.Name
	if auth.Can(u.Role, auth.ActionAdmin) {
		owner = ""
	}

	err = s.cfg.Auth.RevokeToken(r.Context(), actor(r), owner, id)
	switch {
	case errors.Is(err, auth.ErrNoToken):
		writeError(w, http.StatusNotFound, "not_found", err)
	case err != nil:
		s.fail(w, r, err)
	default:
		writeJSON(w, http.StatusOK, map[string]int64{"revoked": id})
	}
}
