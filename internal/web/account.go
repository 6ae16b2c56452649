package web

import (
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/o2c-dev/o2c/internal/auth"
)

// accountData is what templates/account.html draws.
type accountData struct {
	// Changed is set after the password was changed.
	Changed bool
	// Error says why the form was refused, Field which of its fields.
	Error, Field string
}

// accountPage shows the signed-in user who they are and lets them change their
// password.
func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "account", "Your account",
		accountData{Changed: r.URL.Query().Get("changed") != ""})
}

// passwordSubmit changes the signed-in user's own password: the current one, then
// the new one twice. The passwords are never drawn back into the page.
func (s *Server) passwordSubmit(w http.ResponseWriter, r *http.Request) {
	current, next := r.PostFormValue("current_password"), r.PostFormValue("new_password")

	refuse := func(status int, field, msg string) {
		s.render(w, r, status, "account", "Your account",
			accountData{Error: msg, Field: field})
	}

	if next != r.PostFormValue("new_password_again") {
		refuse(http.StatusUnprocessableEntity, "new_password_again",
			"The new password and its repetition differ.")
		return
	}

	err := s.cfg.Auth.ChangePassword(r, current, next)

	var limited *auth.LimitedError

	switch {
	case err == nil:
		http.Redirect(w, r, "/account?changed=1", http.StatusSeeOther)
	case errors.Is(err, auth.ErrWrongPassword):
		refuse(http.StatusUnprocessableEntity, "current_password",
			"That is not your current password.")
	case errors.Is(err, auth.ErrPassword):
		refuse(http.StatusUnprocessableEntity, "new_password",
			"The new password is refused: the "+auth.ErrPassword.Error()+".")
	case errors.Is(err, auth.ErrBuiltin):
		refuse(http.StatusBadRequest, "", "The built-in user has no password to change.")
	case errors.As(err, &limited):
		secs := int(math.Ceil(limited.RetryAfter.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		refuse(http.StatusTooManyRequests, "current_password", "Too many wrong passwords: "+
			"try again in "+strconv.Itoa((secs+59)/60)+" minutes.")
	default:
		s.fail(w, r, err)
	}
}
