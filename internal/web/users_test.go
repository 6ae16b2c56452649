package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/store"
)

// userCalls are the role table's rows for userRoutes. The users they change are
// their own, so that the table's callers keep their sessions and tokens.
func userCalls(t *testing.T, pool *pgxpool.Pool) []routeCall {
	t.Helper()

	for _, name := range []string{"target.api", "target.page"} {
		if _, err := pool.Exec(context.Background(), `INSERT INTO users
			(name, role, password_hash) VALUES ($1, 'viewer', $2)`, name,
			testHash()); err != nil {
			t.Fatal(err)
		}
	}

	get := func(path string) func(int) (string, string, string, io.Reader) {
		return func(int) (string, string, string, io.Reader) {
			return http.MethodGet, path, "", nil
		}
	}

	post := func(path, body string) func(int) (string, string, string, io.Reader) {
		return func(int) (string, string, string, io.Reader) {
			return jsonBody(http.MethodPost, path, body)
		}
	}

	form := func(path string, v url.Values) func(int) (string, string, string, io.Reader) {
		return func(int) (string, string, string, io.Reader) {
			return formBody(path, v)
		}
	}

	return []routeCall{
		{"GET /api/users", 200, get("/api/users?limit=3")},
		{"POST /api/users", 201, func(c int) (string, string, string, io.Reader) {
			return jsonBody(http.MethodPost, "/api/users", fmt.Sprintf(
				`{"name":"new.api%d","role":"viewer","password":%q}`, c, testPassword))
		}},
		{"GET /api/users/{name}", 200, get("/api/users/target.api")},
		{"POST /api/users/{name}/role", 200, post("/api/users/target.api/role",
			`{"role":"ops"}`)},
		{"POST /api/users/{name}/disable", 200, post("/api/users/target.api/disable", ``)},
		{"POST /api/users/{name}/enable", 200, post("/api/users/target.api/enable", `{}`)},
		{"POST /api/users/{name}/password", 200, post("/api/users/target.api/password",
			`{"password":"`+testPassword+`"}`)},
		// The same password again: the callers' sessions stay for the next rows.
		{"POST /api/me/password", 200, post("/api/me/password", `{"current_password":"`+
			testPassword+`","new_password":"`+testPassword+`"}`)},
		{"GET /users", 200, get("/users")},
		{"POST /users", 200, func(c int) (string, string, string, io.Reader) {
			return formBody("/users", url.Values{"name": {fmt.Sprintf("new.page%d", c)},
				"role": {"ops"}, "password": {testPassword}})
		}},
		{"POST /users/{name}/role", 200, form("/users/target.page/role",
			url.Values{"role": {"treasury"}})},
		{"POST /users/{name}/disable", 200, form("/users/target.page/disable", nil)},
		{"POST /users/{name}/enable", 200, form("/users/target.page/enable", nil)},
		{"GET /account", 200, get("/account")},
		// The same password again, as for /api/me/password.
		{"POST /account/password", 200, form("/account/password", url.Values{
			"current_password": {testPassword}, "new_password": {testPassword},
			"new_password_again": {testPassword}})},
	}
}

// userAPI is the users API's answers.
type userAPI struct {
	User  auth.User   `json:"user"`
	Users []auth.User `json:"users"`
	Next  string      `json:"next_after"`
}

func TestUserManagementOverTheAPI(t *testing.T) {
	a := start(t) // signed in as ops.test, an admin
	ctx := context.Background()

	// Add a user: the name, role and password rules are the CLI's.
	var out userAPI
	if code := a.post(t, "/api/users", `{"name":"ana","role":"ops","password":"`+
		testPassword+`"}`, &out); code != http.StatusCreated || out.User.Name != "ana" ||
		out.User.Role != auth.RoleOps || out.User.Disabled || out.User.ID == 0 {
		t.Fatalf("add ana: %d %+v", code, out)
	}

	for body, field := range map[string]string{
		`{"name":"Ana B","role":"ops","password":"` + testPassword + `"}`: "name",
		`{"name":"api","role":"ops","password":"` + testPassword + `"}`:   "name",
		`{"role":"ops","password":"` + testPassword + `"}`:                "name",
		`{"name":"bo","role":"boss","password":"` + testPassword + `"}`:   "role",
		`{"name":"bo","password":"` + testPassword + `"}`:                 "role",
		`{"name":"bo","role":"ops","password":"short"}`:                   "password",
		`{"name":"bo","role":"ops"}`:                                      "password",
	} {
		var e fieldsError
		if code := a.post(t, "/api/users", body, &e); code != http.StatusUnprocessableEntity ||
			e.Error != "invalid" || len(e.Fields) != 1 || e.Fields[0].Field != field {
			t.Errorf("add %s: %d %+v, want 422 on %s", body, code, e, field)
		}
	}

	var e fieldsError
	if code := a.post(t, "/api/users", `{"name":"ana","role":"viewer","password":"`+
		testPassword+`"}`, &e); code != http.StatusConflict || e.Error != "conflict" {
		t.Errorf("add ana again: %d %+v, want 409", code, e)
	}

	if _, err := a.auth.UserByName(ctx, "bo"); err == nil {
		t.Error("a refused user was stored")
	}

	// The new user logs in with the password given.
	ana := newBrowser(t, a.url, http.DefaultClient)
	if resp, raw := ana.login("ana", testPassword); resp.StatusCode != 200 {
		t.Fatalf("ana logs in: %d %s", resp.StatusCode, raw)
	}

	anaToken, _, err := a.auth.CreateToken(ctx, "test", "ana", "script", 0)
	if err != nil {
		t.Fatal(err)
	}

	// Change the role: effective on the next request.
	if code := a.post(t, "/api/users/ana/role", `{"role":"treasury"}`, &out); code != 200 ||
		out.User.Role != auth.RoleTreasury {
		t.Errorf("role: %d %+v", code, out)
	}

	resp, raw := ana.send(http.MethodGet, "/api/me", "", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(raw), `"role":"treasury"`) {
		t.Errorf("ana after the role change: %d %s", resp.StatusCode, raw)
	}

	if code := a.post(t, "/api/users/ana/role", `{"role":"root"}`, &e); code != 422 ||
		len(e.Fields) != 1 || e.Fields[0].Field != "role" {
		t.Errorf("unknown role: %d %+v", code, e)
	}

	// Disable: at once, sessions and tokens end and she cannot log in.
	if code := a.post(t, "/api/users/ana/disable", ``, &out); code != 200 ||
		!out.User.Disabled {
		t.Fatalf("disable: %d %+v", code, out)
	}

	if code := ana.status(http.MethodGet, "/api/me", "", ""); code != http.StatusUnauthorized {
		t.Errorf("ana's session after disable: %d, want 401", code)
	}

	if resp, _ := newBrowser(t, a.url, http.DefaultClient).login("ana",
		testPassword); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("disabled ana logs in: %d", resp.StatusCode)
	}

	var tokens struct {
		Tokens []auth.Token `json:"tokens"`
	}

	if code := a.get(t, "/api/tokens?user=ana", &tokens); code != 200 || len(tokens.Tokens) != 1 ||
		tokens.Tokens[0].ID != anaToken.ID || tokens.Tokens[0].RevokedAt == nil {
		t.Errorf("ana's token after disable: %d %+v, want revoked", code, tokens)
	}

	// Enable: she logs in again; her old token stays revoked.
	if code := a.post(t, "/api/users/ana/enable", ``, &out); code != 200 || out.User.Disabled {
		t.Fatalf("enable: %d %+v", code, out)
	}

	if resp, _ := ana.login("ana", testPassword); resp.StatusCode != 200 {
		t.Errorf("enabled ana logs in: %d", resp.StatusCode)
	}

	// An admin sets her password: her sessions end, the new password works.
	if code := a.post(t, "/api/users/ana/password", `{"password":"short"}`, &e); code != 422 ||
		len(e.Fields) != 1 || e.Fields[0].Field != "password" {
		t.Errorf("short password: %d %+v", code, e)
	}

	if code := a.post(t, "/api/users/ana/password", `{"password":"a new long password"}`,
		&out); code != 200 || out.User.Name != "ana" {
		t.Errorf("set password: %d %+v", code, out)
	}

	if code := ana.status(http.MethodGet, "/api/me", "", ""); code != http.StatusUnauthorized {
		t.Errorf("ana's session after a new password: %d, want 401", code)
	}

	if resp, _ := ana.login("ana", "a new long password"); resp.StatusCode != 200 {
		t.Errorf("login with the new password: %d", resp.StatusCode)
	}

	// Unknown users and names no user can have.
	for _, p := range []string{"/api/users/nobody/disable", "/api/users/nobody/enable",
		"/api/users/nobody/role"} {
		body := `{"role":"ops"}`
		if !strings.HasSuffix(p, "/role") {
			body = ``
		}

		if code := a.post(t, p, body, &e); code != http.StatusNotFound || e.Error != "not_found" {
			t.Errorf("%s: %d %+v, want 404", p, code, e)
		}
	}

	if code := a.get(t, "/api/users/nobody", &e); code != 404 {
		t.Errorf("get nobody: %d", code)
	}

	if code := a.get(t, "/api/users/Not%20A%20Name", &e); code != 400 || e.Error != "invalid" {
		t.Errorf("get a bad name: %d %+v", code, e)
	}

	// The list, a page at a time by name.
	var names []string
	for after, pages := "", 0; pages < 10; pages++ {
		var list userAPI
		if code := a.get(t, "/api/users?limit=1&after="+after, &list); code != 200 {
			t.Fatalf("list: %d", code)
		}

		for _, u := range list.Users {
			names = append(names, u.Name)
		}

		if after = list.Next; after == "" {
			break
		}
	}

	if got := strings.Join(names, " "); got != "ana ops.test" {
		t.Errorf("users by page: %q, want ana ops.test", got)
	}

	// Everything is in the audit log, done by the admin, without secrets.
	log, err := store.AuditLog(ctx, a.pool, "user", "ana", 20)
	if err != nil {
		t.Fatal(err)
	}

	var actions []string
	for _, en := range log {
		actions = append(actions, en.Action)

		if en.Actor != "ops.test" {
			t.Errorf("%s audited as %q, want ops.test", en.Action, en.Actor)
		}

		for _, b := range [][]byte{en.Before, en.After} {
			if strings.Contains(string(b), "password") && !strings.Contains(string(b), "argon") &&
				strings.Contains(string(b), testPassword) {
				t.Errorf("audit %s holds a password: %s", en.Action, b)
			}
		}
	}

	if got := strings.Join(actions, " "); got != "set_password enable disable set_role create" {
		t.Errorf("audit of ana (newest first): %q", got)
	}
}

func TestTheLastAdminCannotBeDisabledOrDemoted(t *testing.T) {
	a := start(t) // ops.test is the only admin

	var e apiError
	for p, body := range map[string]string{
		"/api/users/ops.test/disable": ``,
		"/api/users/ops.test/role":    `{"role":"viewer"}`,
	} {
		if code := a.post(t, p, body, &e); code != http.StatusConflict || e.Error != "last_admin" ||
			!strings.Contains(e.Detail, "last enabled admin") {
			t.Errorf("%s: %d %+v, want 409 last_admin", p, code, e)
		}
	}

	u, err := a.auth.UserByName(context.Background(), "ops.test")
	if err != nil || u.Disabled || u.Role != auth.RoleAdmin {
		t.Fatalf("the last admin after the refusals: %+v %v", u, err)
	}

	// With a second admin, the first may step down.
	if code := a.post(t, "/api/users", `{"name":"second","role":"admin","password":"`+
		testPassword+`"}`, nil); code != http.StatusCreated {
		t.Fatalf("add a second admin: %d", code)
	}

	var out userAPI
	if code := a.post(t, "/api/users/second/role", `{"role":"ops"}`, &out); code != 200 ||
		out.User.Role != auth.RoleOps {
		t.Errorf("demote one of two admins: %d %+v", code, out)
	}

	if code := a.post(t, "/api/users/second/role", `{"role":"admin"}`, nil); code != 200 {
		t.Fatalf("promote again: %d", code)
	}

	if code := a.post(t, "/api/users/second/disable", ``, &out); code != 200 ||
		!out.User.Disabled {
		t.Errorf("disable one of two admins: %d %+v", code, out)
	}

	// second is disabled: ops.test is the last enabled admin again.
	if code := a.post(t, "/api/users/ops.test/disable", ``, &e); code != http.StatusConflict {
		t.Errorf("disable the last enabled admin: %d %+v", code, e)
	}
}

func TestUserRoutesRefuseOtherRoles(t *testing.T) {
	a := start(t)
	a.addUser(t, "vic", auth.RoleViewer)

	for _, r := range []auth.Role{auth.RoleTreasury, auth.RoleOps, auth.RoleViewer} {
		b := a.as(a.tokenFor(t, "who."+string(r), r))

		var e apiError
		for _, c := range []struct{ method, path, body string }{
			{http.MethodGet, "/api/users", ""},
			{http.MethodPost, "/api/users", `{"name":"x` + string(r) + `","role":"admin",` +
				`"password":"` + testPassword + `"}`},
			{http.MethodPost, "/api/users/vic/role", `{"role":"admin"}`},
			{http.MethodPost, "/api/users/vic/disable", ``},
			{http.MethodPost, "/api/users/vic/password", `{"password":"taken over now"}`},
			{http.MethodPost, "/api/users/who." + string(r) + "/role", `{"role":"admin"}`},
		} {
			if code := b.do(t, c.method, c.path, "application/json", strings.NewReader(c.body),
				&e); code != http.StatusForbidden || e.Error != "forbidden" {
				t.Errorf("%s %s as %s: %d %+v, want 403", c.method, c.path, r, code, e)
			}
		}
	}

	u, err := a.auth.UserByName(context.Background(), "vic")
	if err != nil || u.Role != auth.RoleViewer || u.Disabled {
		t.Errorf("vic after the refusals: %+v %v", u, err)
	}

	for _, n := range []string{"xtreasury", "xops", "xviewer"} {
		if _, err := a.auth.UserByName(context.Background(), n); err == nil {
			t.Errorf("%s was added by a non-admin", n)
		}
	}

	if resp, _ := newBrowser(t, a.url, http.DefaultClient).login("vic",
		testPassword); resp.StatusCode != 200 {
		t.Errorf("vic's password changed by a refused call: login %d", resp.StatusCode)
	}
}

func TestChangeOwnPassword(t *testing.T) {
	a := startWith(t, auth.Config{Logger: quiet, MaxFailures: 3})
	a.addUser(t, "vic", auth.RoleViewer)

	here := newBrowser(t, a.url, http.DefaultClient)
	there := newBrowser(t, a.url, http.DefaultClient)

	for _, b := range []*browser{here, there} {
		if resp, raw := b.login("vic", testPassword); resp.StatusCode != 200 {
			t.Fatalf("login: %d %s", resp.StatusCode, raw)
		}
	}

	token := a.tokenFor(t, "vic", auth.RoleViewer)
	change := func(b *browser, body string) (int, string) {
		resp, raw := b.send(http.MethodPost, "/api/me/password", "application/json",
			strings.NewReader(body), auth.CSRFHeader, b.csrf)

		return resp.StatusCode, string(raw)
	}

	// Refusals: bad JSON, a short new password, a wrong current one.
	wrong := `{"current_password":"wrong password!","new_password":"long enough now"}`
	for body, want := range map[string]string{
		`{"current_password":"` + testPassword + `","new_password":"short"}`: `"new_password"`,
		wrong: `"wrong_password"`,
		`{"current_password":"` + testPassword + `","new":"x"}`: `"invalid_json"`,
	} {
		if code, raw := change(here, body); code/100 != 4 || !strings.Contains(raw, want) {
			t.Errorf("%s: %d %s, want %s", body, code, raw, want)
		}
	}

	// Without the CSRF token the session cannot change it.
	if code := here.status(http.MethodPost, "/api/me/password", "application/json",
		`{"current_password":"`+testPassword+`","new_password":"long enough now"}`); code !=
		http.StatusForbidden {
		t.Errorf("without the CSRF token: %d, want 403", code)
	}

	if code, raw := change(here, `{"current_password":"`+testPassword+
		`","new_password":"a brand new password"}`); code != 200 ||
		!strings.Contains(raw, "password_changed") {
		t.Fatalf("change: %d %s", code, raw)
	}

	// This session stays, the other one ends; the API token stays valid.
	if code := here.status(http.MethodGet, "/api/me", "", ""); code != 200 {
		t.Errorf("this session after the change: %d", code)
	}

	if code := there.status(http.MethodGet, "/api/me", "", ""); code != http.StatusUnauthorized {
		t.Errorf("the other session after the change: %d, want 401", code)
	}

	if code := a.as(token).get(t, "/api/me", nil); code != 200 {
		t.Errorf("the token after the change: %d", code)
	}

	if resp, _ := there.login("vic", testPassword); resp.StatusCode != 401 {
		t.Errorf("old password: %d, want 401", resp.StatusCode)
	}

	if resp, _ := there.login("vic", "a brand new password"); resp.StatusCode != 200 {
		t.Errorf("new password: %d", resp.StatusCode)
	}

	log, err := store.AuditLog(context.Background(), a.pool, "user", "vic", 5)
	if err != nil || len(log) != 1 || log[0].Action != "change_password" ||
		log[0].Actor != "vic" {
		t.Errorf("audit: %+v %v, want one change_password by vic", log, err)
	}

	// Wrong current passwords count as failed logins: after three, the next
	// attempt is limited, through a token as well.
	vic := a.as(token)
	for i := range 4 {
		var e apiError
		code := vic.post(t, "/api/me/password", `{"current_password":"guess number `+
			itoa(int64(i))+`","new_password":"long enough now"}`, &e)

		if want := http.StatusUnprocessableEntity; i == 3 && code != http.StatusTooManyRequests ||
			i < 3 && code != want {
			t.Errorf("wrong guess %d: %d %+v", i, code, e)
		}
	}

	// The built-in user of the legacy token has no password to change.
	legacy := startWith(t, auth.Config{Logger: quiet, LegacyToken: "legacy-secret"})

	var e apiError
	if code := legacy.as("legacy-secret").post(t, "/api/me/password",
		`{"current_password":"x","new_password":"long enough now"}`, &e); code != 400 ||
		e.Error != "invalid" {
		t.Errorf("legacy token: %d %+v, want 400", code, e)
	}
}

// submit posts a page's form as a browser does, the session's CSRF token first.
func submit(p *person, path string, fields url.Values) (*http.Response, string) {
	p.t.Helper()

	body := url.Values{"csrf_token": {p.csrf}}.Encode()
	if len(fields) > 0 {
		body += "&" + fields.Encode()
	}

	return p.page(http.MethodPost, path, "application/x-www-form-urlencoded",
		strings.NewReader(body))
}

func TestUsersPage(t *testing.T) {
	s := startSite(t, nil, nil, auth.Config{})
	s.addUser(t, "boss", auth.RoleAdmin)
	s.addUser(t, "vic", auth.RoleViewer)

	p := newPerson(t, s.url)
	p.logIn("boss")

	body := p.get("/users", http.StatusOK)
	mustContain(t, "users page", body, `<h1>Users</h1>`, `data-user="vic" data-status="enabled"`,
		`<form id="add-user-form" class="stack narrow" method="post" action="/users">`+
			`<input type="hidden" name="csrf_token" value="`+p.csrf+`">`,
		`action="/users/vic/disable"><input type="hidden" name="csrf_token"`)

	// A form without the session's CSRF token is refused.
	if resp, _ := p.form("/users/vic/disable", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("disable without the CSRF token: %d, want 403", resp.StatusCode)
	}

	// Add a user.
	resp, _ := submit(p, "/users", url.Values{"name": {"ana"}, "role": {"ops"},
		"password": {testPassword}})
	if resp.StatusCode != http.StatusSeeOther ||
		resp.Header.Get("Location") != "/users?done=added&user=ana" {
		t.Fatalf("add: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	body = p.get(resp.Header.Get("Location"), http.StatusOK)
	mustContain(t, "after add", body, `id="users-message"`, `Added ana.`,
		`<tr data-user="ana" data-status="enabled">`)

	// A refused form draws the page again with the reason and the values typed.
	resp, body = submit(p, "/users", url.Values{"name": {"Bad Name"}, "role": {"treasury"},
		"password": {testPassword}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad name: %d", resp.StatusCode)
	}

	mustContain(t, "bad name", body, `id="users-error"`, `user name must be`,
		`value="Bad Name"`, `<option value="treasury" selected>`)

	if strings.Contains(body, testPassword) {
		t.Error("the refused form shows the password back")
	}

	resp, body = submit(p, "/users", url.Values{"name": {"vic"}, "role": {"ops"},
		"password": {testPassword}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "exists already") {
		t.Errorf("taken name: %d", resp.StatusCode)
	}

	// Change a role, disable and enable.
	resp, _ = submit(p, "/users/vic/role", url.Values{"role": {"ops"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("role: %d", resp.StatusCode)
	}

	resp, _ = submit(p, "/users/vic/disable", url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("disable: %d", resp.StatusCode)
	}

	body = p.get("/users?done=disabled&user=vic", http.StatusOK)
	mustContain(t, "after disable", body, `<tr data-user="vic" data-status="disabled">`,
		`<option value="ops" selected>`, `action="/users/vic/enable"`, `Disabled vic`)

	resp, _ = submit(p, "/users/vic/enable", url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("enable: %d", resp.StatusCode)
	}

	u, err := s.auth.UserByName(context.Background(), "vic")
	if err != nil || u.Disabled || u.Role != auth.RoleOps {
		t.Errorf("vic after the forms: %+v %v", u, err)
	}

	// The last enabled admin: boss and ops.test are admins; ops.test steps down,
	// then boss may not.
	if err := s.auth.SetRole(context.Background(), "test", "ops.test", auth.RoleOps); err != nil {
		t.Fatal(err)
	}

	resp, body = submit(p, "/users/boss/disable", url.Values{})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "last enabled admin") {
		t.Errorf("disable the last admin: %d", resp.StatusCode)
	}

	resp, _ = submit(p, "/users/nobody/enable", url.Values{})
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("enable nobody: %d, want 404", resp.StatusCode)
	}

	// The message comes from known words only.
	body = p.get("/users?done=<b>hi</b>&user=vic", http.StatusOK)
	if strings.Contains(body, "users-message") {
		t.Error("an unknown done word is shown")
	}

	// Other roles are refused the page and its forms.
	v := newPerson(t, s.url)
	v.logIn("vic") // ops now
	v.get("/users", http.StatusForbidden)

	if resp, _ := submit(v, "/users", url.Values{"name": {"sneak"}, "role": {"admin"},
		"password": {testPassword}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("ops adds a user: %d", resp.StatusCode)
	}

	if _, err := s.auth.UserByName(context.Background(), "sneak"); err == nil {
		t.Error("sneak was added by ops")
	}
}
