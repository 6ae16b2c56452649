package web

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/auth"
)

// loginData is the login page's data.
type loginData struct {
	Name    string
	Next    string
	Message string
}

// loginPage shows the login form, or sends a signed-in user on.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))

	if _, ok := auth.UserFrom(r.Context()); ok || s.cfg.Auth == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}

	s.render(w, r, http.StatusOK, "login", "Log in", loginData{Next: next})
}

// loginSubmit checks the login form and starts a session.
func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Auth == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}

	r.Body = http.MaxBytesReader(w, r.Body, 1<<14)
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, http.StatusBadRequest, "The login form could not be read.")
		return
	}

	name, next := r.PostForm.Get("name"), safeNext(r.PostForm.Get("next"))
	info := pageInfo{Title: "Log in"}

	_, err := s.cfg.Auth.LogIn(w, r, name, r.PostForm.Get("password"))

	var limited *auth.LimitedError
	switch {
	case errors.As(err, &limited):
		secs := int(math.Ceil(limited.RetryAfter.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		s.renderPage(w, r, http.StatusTooManyRequests, "login", info, loginData{Name: name,
			Next: next, Message: "Too many failed logins. Try again in " +
				waitText(limited.RetryAfter) + "."})
	case errors.Is(err, auth.ErrLogin):
		s.cfg.Logger.WarnContext(r.Context(), "Login refused", "remote_addr", r.RemoteAddr)
		s.renderPage(w, r, http.StatusUnauthorized, "login", info, loginData{Name: name,
			Next: next, Message: "Wrong user name or password."})
	case err != nil:
		s.fail(w, r, err)
	default:
		s.cfg.Logger.InfoContext(r.Context(), "Login", "user", strings.ToLower(
			strings.TrimSpace(name)))
		http.Redirect(w, r, next, http.StatusSeeOther)
	}
}

// waitText says how long to wait, rounded up to a whole second or minute.
func waitText(d time.Duration) string {
	secs := int(math.Ceil(d.Seconds()))
	if secs < 120 {
		return strconv.Itoa(secs) + " seconds"
	}

	return strconv.Itoa((secs+59)/60) + " minutes"
}

// logoutSubmit ends the session and shows the login page.
func (s *Server) logoutSubmit(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Auth != nil {
		if err := s.cfg.Auth.LogOut(w, r); err != nil {
			s.fail(w, r, err)
			return
		}
	}

	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// safeNext returns next when it is a path on this server, else "/": the login
// page never sends anyone to another site.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") ||
		strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}

	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}

	return next
}
