package auth

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Names of the session cookie and of the CSRF token's form field and header.
const (
	CookieName = "o2c_session"
	CSRFField  = "csrf_token"
	CSRFHeader = "X-CSRF-Token"
)

// Via says how a request was authenticated.
type Via string

// The ways a request is authenticated.
const (
	ViaSession Via = "session"
	ViaToken   Via = "token"
	ViaBuiltin Via = "builtin"
)

type ctxKey struct{}

// principal is who a request comes from, as Middleware found it.
type principal struct {
	user User
	via  Via
	csrf string // the session's CSRF token; "" unless via a session
}

func principalFrom(ctx context.Context) (principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(principal)

	return p, ok
}

// UserFrom returns the user Middleware found for the request whose context is ctx.
func UserFrom(ctx context.Context) (User, bool) {
	p, ok := principalFrom(ctx)

	return p.user, ok
}

// ViaFrom returns how the request whose context is ctx was authenticated, or "".
func ViaFrom(ctx context.Context) Via {
	p, _ := principalFrom(ctx)

	return p.via
}

// WithUser returns ctx carrying u as a built-in principal: no session, so no CSRF
// token. It serves tests of handlers that run without Middleware.
func WithUser(ctx context.Context, u User) context.Context {
	return context.WithValue(ctx, ctxKey{}, principal{user: u, via: ViaBuiltin})
}

// CSRFToken returns the token a form of the request's session must send back in the
// CSRFField field (or the CSRFHeader header), or "" when the request has no session.
func CSRFToken(r *http.Request) string {
	p, _ := principalFrom(r.Context())

	return p.csrf
}

// Actor names who acts, for the audit log: the user's name. A built-in principal
// (the shared legacy token) is shared by people, so the name its caller gives in the
// X-O2C-Actor header is added after a colon, as in "api:ana".
func Actor(r *http.Request) string {
	p, ok := principalFrom(r.Context())
	if !ok {
		return "anonymous"
	}

	if p.user.Builtin() {
		if a := r.Header.Get("X-O2C-Actor"); a != "" && len(a) <= 64 {
			return p.user.Name + ":" + a
		}
	}

	return p.user.Name
}

// apiError is the API's one error shape, as package web writes it.
type apiError struct {
	Error  string `json:"error"`
	Detail string `json:"detail,omitempty"`
}

func writeError(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(apiError{Error: code, Detail: detail})
}

// Middleware finds the user of each request, from an "Authorization: Bearer" token or
// else from the session cookie, and passes the request on with the user in its
// context (UserFrom); a request without valid credentials passes on anonymous, for
// Require to refuse. It refuses with 403 a state-changing request that the session
// cookie authenticates without the session's CSRF token (but for a login, which
// replaces the session), or that another site's page sent (Sec-Fetch-Site or Origin),
// and answers 500 when the database fails.
func (s *Service) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()

		if h := r.Header.Get("Authorization"); h != "" {
			scheme, secret, _ := strings.Cut(h, " ")
			if strings.EqualFold(scheme, "Bearer") {
				u, err := s.tokenUser(ctx, strings.TrimSpace(secret))
				switch {
				case err == nil:
					ctx = context.WithValue(ctx, ctxKey{}, principal{user: u, via: ViaToken})
				case !errors.Is(err, errBadToken):
					s.internal(w, r, err)
					return
				}
			}

			next.ServeHTTP(w, r.WithContext(ctx))

			return
		}

		unsafe := !safeMethod(r.Method)
		if unsafe {
			if err := s.cop.Check(r); err != nil {
				writeError(w, http.StatusForbidden, "csrf", "cross-origin request refused")
				return
			}
		}

		c, err := r.Cookie(CookieName)
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}

		se, err := s.lookupSession(ctx, c.Value)
		if errors.Is(err, errNoSession) {
			s.clearCookie(w, r)
			next.ServeHTTP(w, r)

			return
		}

		if err != nil {
			s.internal(w, r, err)
			return
		}

		if unsafe && !loginPaths[r.URL.Path] && !validCSRF(r, se.csrf) {
			writeError(w, http.StatusForbidden, "csrf",
				"missing or wrong CSRF token: send the "+CSRFField+" form field or the "+
					CSRFHeader+" header")
			return
		}

		ctx = context.WithValue(ctx, ctxKey{}, principal{user: se.user, via: ViaSession,
			csrf: se.csrf})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (s *Service) internal(w http.ResponseWriter, r *http.Request, err error) {
	s.cfg.Logger.ErrorContext(r.Context(), "Authentication failed", "path", r.URL.Path,
		"error", err)
	writeError(w, http.StatusInternalServerError, "internal", "")
}

// loginPaths are where a login form posts: a login while a session is live needs no
// token of that session, which it replaces. Like every state-changing request it must
// still come from o2c's own pages (Sec-Fetch-Site or Origin).
var loginPaths = map[string]bool{"/login": true, "/api/login": true}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions ||
		m == http.MethodTrace
}

// validCSRF reports whether the request carries want in the CSRF header or form field.
func validCSRF(r *http.Request, want string) bool {
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		got = formToken(r)
	}

	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// formToken reads the CSRF field of a URL-encoded form, or of the first part of a
// multipart form without consuming the body: the bytes read are put back in front.
func formToken(r *http.Request) string {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}

	switch mt {
	case "application/x-www-form-urlencoded":
		return r.PostFormValue(CSRFField)
	case "multipart/form-data":
	default:
		return ""
	}

	rec := &recorder{r: r.Body, limit: 64 << 10}
	defer func() {
		r.Body = replayed{Reader: io.MultiReader(bytes.NewReader(rec.buf), r.Body),
			Closer: r.Body}
	}()

	part, err := multipart.NewReader(rec, params["boundary"]).NextPart()
	if err != nil || part.FormName() != CSRFField {
		return ""
	}

	b, err := io.ReadAll(io.LimitReader(part, 256))
	if err != nil {
		return ""
	}

	return string(b)
}

// recorder keeps every byte read through it, up to limit.
type recorder struct {
	r     io.Reader
	buf   []byte
	limit int
}

var errFirstPartTooLong = errors.New("first form part too long")

func (c *recorder) Read(p []byte) (int, error) {
	room := c.limit - len(c.buf)
	if room <= 0 {
		return 0, errFirstPartTooLong
	}

	if len(p) > room {
		p = p[:room]
	}

	n, err := c.r.Read(p)
	c.buf = append(c.buf, p[:n]...)

	return n, err
}

type replayed struct {
	io.Reader
	io.Closer
}

// LogIn checks name and password, within the rate limits, starts a session and sets
// its cookie on w. It returns ErrLogin for a wrong name or password or a disabled
// user, and a *LimitedError when too many logins failed recently for the account or
// the client address. A session the request already had is ended: each login gets a
// new session id.
func (s *Service) LogIn(w http.ResponseWriter, r *http.Request, name,
	password string) (Session, error) {
	name = strings.ToLower(strings.TrimSpace(name))

	ip := clientIP(r)

	se, raw, err := s.login(r.Context(), name, password, ip)

	var limited *LimitedError
	if errors.As(err, &limited) {
		s.cfg.Logger.WarnContext(r.Context(), "Login refused: too many failed logins",
			"user", name, "remote_addr", ip, "scope", limited.Scope,
			"retry_after_s", int(limited.RetryAfter.Seconds()))
	}

	if err != nil {
		return Session{}, err
	}

	if c, err := r.Cookie(CookieName); err == nil {
		if err := s.endSession(r.Context(), c.Value); err != nil {
			return Session{}, err
		}
	}

	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: raw, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secure(r),
		MaxAge: int(s.cfg.SessionMax.Seconds())})

	return se, nil
}

// LogOut ends the request's session, if any, and clears the cookie.
func (s *Service) LogOut(w http.ResponseWriter, r *http.Request) error {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return nil
	}

	s.clearCookie(w, r)

	return s.endSession(r.Context(), c.Value)
}

func (s *Service) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secure(r), MaxAge: -1})
}

func (s *Service) secure(r *http.Request) bool {
	return s.cfg.CookieSecure || r.TLS != nil
}

// clientIP is the address the connection came from. Behind a reverse proxy it is the
// proxy's: forwarded headers are not trusted.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}

	return host
}

// Require lets the request through to next when its user's role may perform action.
// Without a user it answers 401 (a browser asking for a page outside /api/ is
// redirected to /login instead); with a role lacking the action, 403.
//
// ActionApprove is refused with 403 to a built-in principal whatever its role: the
// shared legacy token is used by several people, who only name themselves in a
// header, so it cannot be the second person of the two-person rule.
func Require(action Action, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !allowed(w, r, func(u User) bool { return Can(u.Role, action) }) {
			return
		}

		if u, _ := UserFrom(r.Context()); action == ActionApprove && u.Builtin() {
			writeError(w, http.StatusForbidden, "forbidden", ErrBuiltinApproval.Error())
			return
		}

		next(w, r)
	}
}

// ErrBuiltinApproval is the refusal of an approval decision by a built-in principal.
var ErrBuiltinApproval = errors.New("the shared API token (built-in user api) may not " +
	"approve or reject write-offs: a person decides with their own session or personal " +
	"API token")

// RequireRole lets the request through to next when its user has one of roles;
// otherwise it answers as Require does.
func RequireRole(next http.HandlerFunc, roles ...Role) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ok := func(u User) bool {
			for _, role := range roles {
				if u.Role == role {
					return true
				}
			}

			return false
		}

		if allowed(w, r, ok) {
			next(w, r)
		}
	}
}

func allowed(w http.ResponseWriter, r *http.Request, ok func(User) bool) bool {
	u, signedIn := UserFrom(r.Context())

	switch {
	case !signedIn && wantsPage(r):
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()),
			http.StatusSeeOther)
	case !signedIn:
		w.Header().Set("WWW-Authenticate", `Bearer realm="o2c"`)
		writeError(w, http.StatusUnauthorized, "unauthorized",
			"log in, or send an API token as Authorization: Bearer o2c_...")
	case !ok(u):
		writeError(w, http.StatusForbidden, "forbidden",
			"role "+string(u.Role)+" may not do this")
	default:
		return true
	}

	return false
}

// wantsPage reports whether r is a browser asking for an HTML page.
func wantsPage(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
		!strings.HasPrefix(r.URL.Path, "/api/") &&
		strings.Contains(r.Header.Get("Accept"), "text/html")
}
