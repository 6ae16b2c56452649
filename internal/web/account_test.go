package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/auth"
)

func TestAccountPageChangesOnesOwnPassword(t *testing.T) {
	s := startSite(t, nil, nil, auth.Config{})
	s.addUser(t, "vera", auth.RoleViewer)

	vera := newPerson(t, s.url)
	vera.logIn("vera")

	page := vera.get("/account", http.StatusOK)
	mustContain(t, "account page", page, `<a id="account-link" href="/account">`,
		"<dt>Name</dt><dd>vera</dd>", `<form id="password-form"`)

	const fresh = "a much longer new passphrase"

	for _, c := range []struct {
		name, current, next, again, field string
		status                            int
	}{
		{"wrong current", "not it at all, no", fresh, fresh, "current-password", 422},
		{"repetition differs", testPassword, fresh, fresh + "!", "new-password-again", 422},
		{"too short", testPassword, "short", "short", "new-password", 422},
	} {
		resp, body := vera.form("/account/password", url.Values{"csrf_token": {vera.csrf},
			"current_password": {c.current}, "new_password": {c.next},
			"new_password_again": {c.again}})
		if resp.StatusCode != c.status || !strings.Contains(body, `id="account-error"`) ||
			!strings.Contains(body, `id="`+c.field+`" name=`) ||
			strings.Contains(body, c.current) || strings.Contains(body, fresh) {
			t.Errorf("%s: %d\n%s", c.name, resp.StatusCode, clip(body))
		}
	}

	resp, _ := vera.form("/account/password", url.Values{"csrf_token": {vera.csrf},
		"current_password": {testPassword}, "new_password": {fresh},
		"new_password_again": {fresh}})
	if resp.StatusCode != http.StatusSeeOther ||
		resp.Header.Get("Location") != "/account?changed=1" {
		t.Fatalf("change: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	mustContain(t, "changed", vera.get("/account?changed=1", http.StatusOK),
		`id="account-message"`)

	// The old password no longer signs in; the new one does.
	other := newPerson(t, s.url)
	resp, _ = other.form("/login", url.Values{"name": {"vera"}, "password": {testPassword}})
	if resp.StatusCode == http.StatusSeeOther {
		t.Error("the old password still signs in")
	}

	resp, _ = other.form("/login", url.Values{"name": {"vera"}, "password": {fresh},
		"next": {"/files"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the new password does not sign in: %d", resp.StatusCode)
	}

	// Without the CSRF token nothing changes.
	resp, _ = vera.form("/account/password", url.Values{"current_password": {fresh},
		"new_password": {testPassword}, "new_password_again": {testPassword}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("no CSRF token: %d", resp.StatusCode)
	}
}
