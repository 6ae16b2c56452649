package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/exceptions"
)

// User management, for admins: the JSON routes under /api/users and the /users
// page with its forms, both over package auth as `o2c users` is, and audited the
// same way. Every signed-in user may change their own password with
// POST /api/me/password.

// userRoutes are the user-management API routes, for the route table.
func (s *Server) userRoutes() []Route {
	return []Route{
		{"GET /api/users", auth.ActionAdmin, s.listUsers},
		{"POST /api/users", auth.ActionAdmin, s.createUser},
		{"GET /api/users/{name}", auth.ActionAdmin, s.getUser},
		{"POST /api/users/{name}/role", auth.ActionAdmin, s.setUserRole},
		{"POST /api/users/{name}/disable", auth.ActionAdmin, s.disableUser},
		{"POST /api/users/{name}/enable", auth.ActionAdmin, s.enableUser},
		{"POST /api/users/{name}/password", auth.ActionAdmin, s.setUserPassword},
		// Every role may read, so every signed-in user may change their password.
		{"POST /api/me/password", auth.ActionRead, s.changeOwnPassword},
		{"GET /users", auth.ActionAdmin, s.usersPage},
		{"POST /users", auth.ActionAdmin, s.addUserSubmit},
		{"POST /users/{name}/role", auth.ActionAdmin, s.roleSubmit},
		{"POST /users/{name}/disable", auth.ActionAdmin, s.disableSubmit},
		{"POST /users/{name}/enable", auth.ActionAdmin, s.enableSubmit},
		{"GET /account", auth.ActionRead, s.accountPage},
		{"POST /account/password", auth.ActionRead, s.passwordSubmit},
	}
}

// usersPerPage is the default and maxUsersPerPage the largest page of GET /api/users.
const (
	usersPerPage    = 200
	maxUsersPerPage = 1000
)

// userField is the field of a user request that err refuses, "" when none.
func userField(err error) string {
	switch {
	case errors.Is(err, auth.ErrName):
		return "name"
	case errors.Is(err, auth.ErrRole):
		return "role"
	case errors.Is(err, auth.ErrPassword):
		return "password"
	}

	return ""
}

// failUser answers an error of user management: a refused field 422 with the
// field, an unknown user 404, a taken name 409, a change that would leave no
// enabled admin 409 "last_admin", the rest as fail does.
func (s *Server) failUser(w http.ResponseWriter, r *http.Request, err error) {
	switch field := userField(err); {
	case field != "":
		writeJSON(w, http.StatusUnprocessableEntity, fieldsError{Error: "invalid",
			Detail: err.Error(), Fields: []exceptions.FieldError{{Field: field,
				Message: plainError(err)}}})
	case errors.Is(err, auth.ErrNoUser):
		writeError(w, http.StatusNotFound, "not_found", err)
	case errors.Is(err, auth.ErrUserExists):
		writeError(w, http.StatusConflict, "conflict", err)
	case errors.Is(err, auth.ErrLastAdmin):
		writeError(w, http.StatusConflict, "last_admin", auth.ErrLastAdmin)
	default:
		s.fail(w, r, err)
	}
}

// plainError is the refusal of err without the context it was wrapped in.
func plainError(err error) string {
	for _, e := range []error{auth.ErrName, auth.ErrRole, auth.ErrPassword} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}

	return err.Error()
}

// userName reads the path's user name, answering 400 when no user can have it.
func userName(w http.ResponseWriter, r *http.Request) (string, bool) {
	name := r.PathValue("name")
	if err := auth.CheckName(name); err != nil {
		writeJSON(w, http.StatusBadRequest, fieldsError{Error: "invalid",
			Detail: fmt.Sprintf("user name %q: %v", name, err),
			Fields: []exceptions.FieldError{{Field: "name", Message: err.Error()}}})
		return "", false
	}

	return name, true
}

// listUsers answers a page of users by name: after (a name, the previous page's
// next_after) and limit (1 to 1000, default 200).
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()

	after := q.Get("after")
	if after != "" {
		if err := auth.CheckName(after); err != nil {
			writeError(w, http.StatusBadRequest, "invalid",
				fmt.Errorf("after: %q is not a user name", after))
			return
		}
	}

	limit := usersPerPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxUsersPerPage {
			writeError(w, http.StatusBadRequest, "invalid",
				fmt.Errorf("limit: 1 to %d", maxUsersPerPage))
			return
		}

		limit = n
	}

	list, more, err := s.cfg.Auth.ListUsers(r.Context(), after, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}

	next := ""
	if more {
		next = list[len(list)-1].Name
	}

	if list == nil {
		list = []auth.User{}
	}

	writeJSON(w, http.StatusOK, map[string]any{"users": list, "next_after": next})
}

// createUser adds a user: name, role and password, checked as `o2c users add`
// checks them.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name     string `json:"name"`
		Role     string `json:"role"`
		Password string `json:"password"`
	}

	if !readBody(w, r, &body, false) {
		return
	}

	u, err := s.cfg.Auth.AddUser(r.Context(), actor(r), body.Name, auth.Role(body.Role),
		body.Password)
	if err != nil {
		s.failUser(w, r, err)
		return
	}

	writeJSON(w, http.StatusCreated, map[string]any{"user": u})
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	name, ok := userName(w, r)
	if !ok {
		return
	}

	u, err := s.cfg.Auth.UserByName(r.Context(), name)
	if err != nil {
		s.failUser(w, r, err)
		return
	}

	writeJSON(w, http.StatusOK, map[string]any{"user": u})
}

// changeUser reads the path's user name and a JSON body into body (an empty one
// allowed when optional), runs do and answers the user as it is after.
func changeUser[T any](s *Server, w http.ResponseWriter, r *http.Request, optional bool,
	do func(name string, body T) error) {
	name, ok := userName(w, r)
	if !ok {
		return
	}

	var body T
	if !readBody(w, r, &body, optional) {
		return
	}

	if err := do(name, body); err != nil {
		s.failUser(w, r, err)
		return
	}

	u, err := s.cfg.Auth.UserByName(r.Context(), name)
	if err != nil {
		s.failUser(w, r, err)
		return
	}

	writeJSON(w, http.StatusOK, map[string]any{"user": u})
}

type roleBody struct {
	Role string `json:"role"`
}

// setUserRole gives a user another role; demoting the last enabled admin is 409.
func (s *Server) setUserRole(w http.ResponseWriter, r *http.Request) {
	changeUser(s, w, r, false, func(name string, b roleBody) error {
		return s.cfg.Auth.SetRole(r.Context(), actor(r), name, auth.Role(b.Role))
	})
}

// disableUser stops a user from logging in and ends their sessions and API tokens
// at once; disabling the last enabled admin is 409.
func (s *Server) disableUser(w http.ResponseWriter, r *http.Request) {
	changeUser(s, w, r, true, func(name string, _ struct{}) error {
		return s.cfg.Auth.Disable(r.Context(), actor(r), name)
	})
}

// enableUser lets a disabled user log in again; their old tokens stay revoked.
func (s *Server) enableUser(w http.ResponseWriter, r *http.Request) {
	changeUser(s, w, r, true, func(name string, _ struct{}) error {
		return s.cfg.Auth.Enable(r.Context(), actor(r), name)
	})
}

type passwordBody struct {
	Password string `json:"password"`
}

// setUserPassword replaces a user's password and ends their sessions; their API
// tokens stay valid.
func (s *Server) setUserPassword(w http.ResponseWriter, r *http.Request) {
	changeUser(s, w, r, false, func(name string, b passwordBody) error {
		return s.cfg.Auth.SetPassword(r.Context(), actor(r), name, b.Password)
	})
}

// changeOwnPassword sets the caller's password after checking the current one:
// a wrong one is 422 "wrong_password" and counts against the login rate limit.
// The caller's other sessions end; this one and their API tokens stay.
func (s *Server) changeOwnPassword(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}

	if !readBody(w, r, &body, false) {
		return
	}

	err := s.cfg.Auth.ChangePassword(r, body.Current, body.New)

	var limited *auth.LimitedError

	switch {
	case err == nil && body.Current == body.New:
		writeJSON(w, http.StatusOK, map[string]string{"status": "password_unchanged"})
	case err == nil:
		writeJSON(w, http.StatusOK, map[string]string{"status": "password_changed"})
	case errors.Is(err, auth.ErrPassword):
		writeJSON(w, http.StatusUnprocessableEntity, fieldsError{Error: "invalid",
			Detail: "new_password: " + auth.ErrPassword.Error(),
			Fields: []exceptions.FieldError{{Field: "new_password",
				Message: auth.ErrPassword.Error()}}})
	case errors.Is(err, auth.ErrWrongPassword):
		writeJSON(w, http.StatusUnprocessableEntity, fieldsError{Error: "wrong_password",
			Detail: "current_password: " + auth.ErrWrongPassword.Error(),
			Fields: []exceptions.FieldError{{Field: "current_password",
				Message: "is not your current password"}}})
	case errors.Is(err, auth.ErrBuiltin):
		writeError(w, http.StatusBadRequest, "invalid", err)
	case errors.As(err, &limited):
		secs := int(math.Ceil(limited.RetryAfter.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeError(w, http.StatusTooManyRequests, "too_many_attempts",
			fmt.Errorf("too many wrong passwords: retry in %d s", secs))
	default:
		s.failUser(w, r, err)
	}
}

// usersData is what templates/users.html draws.
type usersData struct {
	Users []auth.User
	Roles []auth.Role
	Me    string
	// Message says what the last form did; Error why a form was refused.
	Message, Error string
	// Name and Role are the add form's values when it was refused.
	Name, Role string
}

// usersPage lists every user with the forms to add one, change a role and
// disable or enable one.
func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.drawUsers(w, r, http.StatusOK, usersData{Message: doneMessage(q.Get("done"),
		q.Get("user"))})
}

func (s *Server) drawUsers(w http.ResponseWriter, r *http.Request, status int, d usersData) {
	list, err := s.cfg.Auth.Users(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}

	d.Users, d.Roles, d.Me = list, auth.Roles(), actor(r)
	if d.Role == "" {
		d.Role = string(auth.RoleViewer)
	}

	s.render(w, r, status, "users", "Users", d)
}

// doneMessage says what a form did, from the redirect's query: only known words
// and a valid user name are shown, so a link cannot make the page say anything
// else.
func doneMessage(done, name string) string {
	if auth.CheckName(name) != nil {
		return ""
	}

	switch done {
	case "added":
		return "Added " + name + "."
	case "role":
		return "Changed the role of " + name + "."
	case "disabled":
		return "Disabled " + name + ": their sessions and API tokens have ended."
	case "enabled":
		return "Enabled " + name + "."
	}

	return ""
}

// afterUserForm redirects to the users page saying what was done, or draws it
// again with the refusal.
func (s *Server) afterUserForm(w http.ResponseWriter, r *http.Request, done, name string,
	err error, d usersData) {
	if err == nil {
		http.Redirect(w, r, "/users?done="+done+"&user="+url.QueryEscape(name),
			http.StatusSeeOther)
		return
	}

	status := http.StatusUnprocessableEntity

	switch {
	case userField(err) != "":
		d.Error = plainError(err) + "."
	case errors.Is(err, auth.ErrNoUser):
		status, d.Error = http.StatusNotFound, "There is no user "+name+"."
	case errors.Is(err, auth.ErrUserExists):
		status, d.Error = http.StatusConflict, "A user "+name+" exists already."
	case errors.Is(err, auth.ErrLastAdmin):
		status = http.StatusConflict
		d.Error = "Refused: " + name + " is the last enabled admin. Make another " +
			"user admin first."
	default:
		s.fail(w, r, err)
		return
	}

	s.drawUsers(w, r, status, d)
}

// formUser reads the path's user name and the form, answering 404 when no user
// can have that name.
func (s *Server) formUser(w http.ResponseWriter, r *http.Request) (string, bool) {
	name := r.PathValue("name")
	if auth.CheckName(name) != nil {
		s.pageError(w, r, http.StatusNotFound, "There is no such user.")
		return "", false
	}

	r.Body = http.MaxBytesReader(w, r.Body, 1<<14)
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, http.StatusBadRequest, "The form could not be read.")
		return "", false
	}

	return name, true
}

// addUserSubmit adds the user of the add form: name, role, password.
func (s *Server) addUserSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<14)
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}

	name := strings.TrimSpace(r.PostForm.Get("name"))
	role := r.PostForm.Get("role")

	_, err := s.cfg.Auth.AddUser(r.Context(), actor(r), name, auth.Role(role),
		r.PostForm.Get("password"))
	s.afterUserForm(w, r, "added", name, err, usersData{Name: name, Role: role})
}

func (s *Server) roleSubmit(w http.ResponseWriter, r *http.Request) {
	name, ok := s.formUser(w, r)
	if !ok {
		return
	}

	err := s.cfg.Auth.SetRole(r.Context(), actor(r), name, auth.Role(r.PostForm.Get("role")))
	s.afterUserForm(w, r, "role", name, err, usersData{})
}

func (s *Server) disableSubmit(w http.ResponseWriter, r *http.Request) {
	name, ok := s.formUser(w, r)
	if !ok {
		return
	}

	err := s.cfg.Auth.Disable(r.Context(), actor(r), name)
	s.afterUserForm(w, r, "disabled", name, err, usersData{})
}

func (s *Server) enableSubmit(w http.ResponseWriter, r *http.Request) {
	name, ok := s.formUser(w, r)
	if !ok {
		return
	}

	err := s.cfg.Auth.Enable(r.Context(), actor(r), name)
	s.afterUserForm(w, r, "enabled", name, err, usersData{})
}
