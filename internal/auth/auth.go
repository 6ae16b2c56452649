// Package auth decides who may do what in o2c: users with one role each (admin,
// treasury, ops, viewer), argon2id password hashes, browser sessions and per-user API
// tokens kept in PostgreSQL, CSRF tokens and login rate limiting.
//
// # For page handlers
//
// The web server passes every request through (*Service).Middleware, which finds the
// user from the session cookie or from an "Authorization: Bearer o2c_..." token and
// keeps it in the request's context. Mount each page behind Require with the action
// it performs, then read the user and the CSRF token from the request:
//
//	mux.HandleFunc("GET /exceptions", auth.Require(auth.ActionRead, p.queue))
//	mux.HandleFunc("POST /exceptions/{id}/resolve", auth.Require(auth.ActionResolve, p.resolve))
//
//	func (p *pages) queue(w http.ResponseWriter, r *http.Request) {
//		u, _ := auth.UserFrom(r.Context()) // always set behind Require
//		p.render(w, "queue", map[string]any{
//			"User":       u,
//			"CSRF":       auth.CSRFToken(r),
//			"CanResolve": auth.Can(u.Role, auth.ActionResolve),
//		})
//	}
//
// Every form that changes something carries the token in a hidden field named by
// CSRFField; scripts send it in the CSRFHeader header instead:
//
//	<input type="hidden" name="csrf_token" value="{{.CSRF}}">
//
// In a multipart form (file uploads) put that field before the files: Middleware reads
// it without buffering the upload.
//
// Middleware refuses with 403 (error "csrf") a POST, PUT, PATCH or DELETE that the
// session cookie authenticates and that lacks the session's token. A request
// authenticated by a bearer token needs none, as browsers never attach one on their
// own; nor does a login posted to /login or /api/login, as it replaces the session.
// Every state-changing request without a bearer token must come from o2c's own pages
// (http.CrossOriginProtection checks Sec-Fetch-Site and Origin).
//
// Require answers 401 when nobody is signed in (a browser asking for a page outside
// /api/ is redirected to /login?next=...) and 403 when the user's role lacks the
// action, both in the API's JSON error shape. A login form calls (*Service).LogIn,
// which checks the rate limit and the password and sets the session cookie; a logout
// form calls LogOut. Actor names the user for the audit log.
package auth

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Role is what a user is allowed to do, as a set of actions (see Can).
type Role string

// The roles. Admin may do everything; treasury and ops each add their work to what a
// viewer may do.
const (
	RoleAdmin    Role = "admin"
	RoleTreasury Role = "treasury"
	RoleOps      Role = "ops"
	RoleViewer   Role = "viewer"
)

// Action is something a role may be allowed to do.
type Action string

// The actions routes and pages require.
const (
	// ActionRead sees everything: queue, files, payments, dashboard, audit log, exports.
	ActionRead Action = "read"

	// ActionUpload uploads bank files and re-uploads quarantined ones.
	ActionUpload Action = "upload"

	// ActionResolve works exceptions: apply, split, write off, park, refund, comment,
	// assign.
	ActionResolve Action = "resolve"

	// ActionApprove approves another person's write-off above the approval limit.
	ActionApprove Action = "approve"

	// ActionTokens manages one's own API tokens.
	ActionTokens Action = "tokens"

	// ActionAdmin manages users and any user's API tokens.
	ActionAdmin Action = "admin"
)

// permissions is the one table of who may do what.
var permissions = map[Role][]Action{
	RoleAdmin: {ActionRead, ActionUpload, ActionResolve, ActionApprove, ActionTokens,
		ActionAdmin},
	RoleTreasury: {ActionRead, ActionUpload, ActionTokens},
	RoleOps:      {ActionRead, ActionResolve, ActionApprove, ActionTokens},
	RoleViewer:   {ActionRead, ActionTokens},
}

// Can reports whether role may perform action. An unknown role may do nothing.
func Can(role Role, action Action) bool {
	for _, a := range permissions[role] {
		if a == action {
			return true
		}
	}

	return false
}

// Permissions lists the actions role may perform.
func Permissions(role Role) []Action {
	return append([]Action(nil), permissions[role]...)
}

// Roles lists every role, the most powerful first.
func Roles() []Role {
	return []Role{RoleAdmin, RoleTreasury, RoleOps, RoleViewer}
}

// ErrRole is returned for a role that is not one of Roles.
var ErrRole = errors.New("role must be admin, treasury, ops or viewer")

// ParseRole returns the role named s.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles() {
		if string(r) == s {
			return r, nil
		}
	}

	return "", fmt.Errorf("role %q: %w", s, ErrRole)
}

// User is a person (or, for ID 0, a built-in principal) o2c knows.
type User struct {
	// ID is the user's row id; 0 for a built-in principal that has no row.
	ID int64 `json:"id"`

	// Name is the login name, also the actor recorded in the audit log.
	Name string `json:"name"`

	// Role is what the user may do.
	Role Role `json:"role"`

	// Disabled users can neither log in nor use their sessions or tokens.
	Disabled bool `json:"disabled"`

	// CreatedAt is when the user was added.
	CreatedAt time.Time `json:"created_at"`
}

// Builtin reports whether u is a built-in principal rather than a stored user.
func (u User) Builtin() bool {
	return u.ID == 0
}

// APIUser is the built-in admin behind the deprecated shared API token (http.token).
var APIUser = User{Name: "api", Role: RoleAdmin}

// reserved names belong to built-in actors of the audit log.
var reserved = map[string]bool{"api": true, "anonymous": true, "cli": true, "config": true}

// ErrName is returned for a user name o2c does not accept.
var ErrName = errors.New("user name must be 1 to 64 characters: lower-case letters, " +
	"digits, '.', '_', '-' or '@', starting with a letter or digit, and not api, " +
	"anonymous, cli or config")

// CheckName returns ErrName unless name is an acceptable user name.
func CheckName(name string) error {
	if name == "" || len(name) > 64 || reserved[name] {
		return ErrName
	}

	for i, c := range name {
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune("._-@", c)) {
			return ErrName
		}
	}

	return nil
}

// Password length bounds, in bytes. The upper bound keeps hashing cheap to refuse.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 1024
)

// ErrPassword is returned for a password shorter or longer than the bounds.
var ErrPassword = fmt.Errorf("password must be %d to %d bytes long", MinPasswordLen,
	MaxPasswordLen)

// CheckPassword returns ErrPassword unless password has an acceptable length.
func CheckPassword(password string) error {
	if len(password) < MinPasswordLen || len(password) > MaxPasswordLen {
		return ErrPassword
	}

	return nil
}
