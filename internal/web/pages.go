package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/money"
)

// The HTML pages are server-rendered from the templates in templates/ with the
// layout in templates/layout.html; static/ holds one style sheet and the small
// script of the upload page. Nothing is fetched from another host.
//
// # Adding a page
//
//  1. A handler, a method of *Server, that gathers its data and calls render:
//
//     func (s *Server) queuePage(w http.ResponseWriter, r *http.Request) {
//     	list, err := ...
//     	if err != nil {
//     		s.pageFail(w, r, err) // an HTML error page: 404, 409, 500...
//     		return
//     	}
//
//     	s.render(w, r, http.StatusOK, "queue", "Exception queue", queueData{List: list})
//     }
//
//  2. A template templates/queue.html (every templates/*.html but layout.html is
//     loaded on its own with the layout, at New). It defines "content", and may
//     define "head" (extra <head> lines) and "scripts":
//
//     {{define "content"}}<h1>Exception queue</h1> ... {{.Data.List}} ...{{end}}
//
//     In it, .Data is what the handler passed; .Page is the shared pageInfo: .Page.User,
//     .Page.CSRF (every POST form carries
//     <input type="hidden" name="csrf_token" value="{{.Page.CSRF}}"> as its FIRST
//     field), .Page.Can "resolve", and the helpers of templateFuncs (amount, date,
//     datetime, status, query, pager...).
//
//  3. A line in the route table (Server.routes) with the action the page needs:
//     {"GET /exceptions", auth.ActionRead, s.queuePage}. A role lacking it gets the
//     403 page, an anonymous browser the login page, and the role test in
//     access_test.go fails until the route has a row there. A link in the header
//     comes from navLinks: it shows once the route exists and the role may use it.
//
// Refusals and errors of page routes are HTML for browsers (a request outside /api/
// that accepts text/html): pageErrors turns the JSON errors of auth's middleware and
// of the API helpers into the error page, and 401 into a redirect to /login. Scripts
// and tests that do not ask for HTML keep the API's JSON error shape.

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageInfo is what the layout needs on every page.
type pageInfo struct {
	// Title is the page's title, in <title> and its first heading.
	Title string
	// User is who is signed in; the zero User on the login page.
	User auth.User
	// CSRF is the session's token for forms; "" without a session.
	CSRF string
	// Nav lists the header's links the user may follow.
	Nav []navLink
	// Path is the request's path, to mark the current link.
	Path string
	// Refresh, when above 0, reloads the page every Refresh seconds (a file being
	// read).
	Refresh int
}

// Can reports whether the signed-in user's role may perform action.
func (p pageInfo) Can(action string) bool {
	return p.User.Name != "" && auth.Can(p.User.Role, auth.Action(action))
}

// SignedIn reports whether a user is signed in.
func (p pageInfo) SignedIn() bool {
	return p.User.Name != ""
}

// navLink is one link of the header.
type navLink struct {
	Label   string
	Href    string
	Current bool
}

// navLinks are the header's links, in order, with the action each needs. A link
// shows when its route exists (pages being built elsewhere appear once they are
// registered) and the user's role allows the action.
var navLinks = []struct {
	label, href string
	action      auth.Action
}{
	{"Dashboard", "/dashboard", auth.ActionRead},
	{"Exceptions", "/exceptions", auth.ActionRead},
	{"Bank files", "/files", auth.ActionRead},
	{"Upload", "/files/upload", auth.ActionUpload},
	{"Audit log", "/audit", auth.ActionRead},
}

// pages are the parsed templates, one per page, each with the layout.
type pages map[string]*template.Template

// loadPages parses every page template with the layout.
func loadPages() (pages, error) {
	layout, err := template.New("layout.html").Funcs(templateFuncs).
		ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}

	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}

	out := pages{}

	for _, n := range names {
		if n == "templates/layout.html" {
			continue
		}

		t, err := layout.Clone()
		if err != nil {
			return nil, fmt.Errorf("clone layout: %w", err)
		}

		if _, err := t.ParseFS(templateFS, n); err != nil {
			return nil, fmt.Errorf("parse %s: %w", n, err)
		}

		out[strings.TrimSuffix(path.Base(n), ".html")] = t
	}

	return out, nil
}

// parsedPages are the templates, parsed once: they are part of the binary, so a
// template that does not parse fails every test at once.
var parsedPages = func() pages {
	p, err := loadPages()
	if err != nil {
		panic(err)
	}

	return p
}()

// view is what a page template executes with.
type view struct {
	Page pageInfo
	Data any
}

// render writes the page name with data, after the layout, with status. The page
// is rendered to memory first, so a template failure is a clean 500.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name,
	title string, data any) {
	s.renderPage(w, r, status, name, s.pageInfo(r, title), data)
}

func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, status int, name string,
	info pageInfo, data any) {
	t, ok := parsedPages[name]
	if !ok {
		s.cfg.Logger.ErrorContext(r.Context(), "No such page template", "template", name)
		http.Error(w, "internal error", http.StatusInternalServerError)

		return
	}

	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", view{Page: info, Data: data}); err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "Render page", "template", name, "error", err)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("internal error: the page could not be drawn\n"))

		return
	}

	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	setPageSecurity(h)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// setPageSecurity sets the headers every page carries: only o2c's own script and
// style run, no other site frames the page.
func setPageSecurity(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; "+
		"style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; "+
		"base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
}

// pageInfo is the layout's data for r.
func (s *Server) pageInfo(r *http.Request, title string) pageInfo {
	u, _ := auth.UserFrom(r.Context())
	info := pageInfo{Title: title, User: u, CSRF: auth.CSRFToken(r), Path: r.URL.Path}

	if u.Name == "" {
		return info
	}

	for _, l := range navLinks {
		if !auth.Can(u.Role, l.action) || !s.hasPage(l.href) {
			continue
		}

		cur := r.URL.Path == l.href ||
			l.href != "/files" && strings.HasPrefix(r.URL.Path, l.href+"/") ||
			l.href == "/files" && strings.HasPrefix(r.URL.Path, "/files/") &&
				!strings.HasPrefix(r.URL.Path, "/files/upload")
		info.Nav = append(info.Nav, navLink{Label: l.label, Href: l.href, Current: cur})
	}

	return info
}

// hasPage reports whether a GET of href reaches a registered route.
func (s *Server) hasPage(href string) bool {
	req, err := http.NewRequest(http.MethodGet, href, nil)
	if err != nil {
		return false
	}

	_, pattern := s.api.Handler(req)

	return pattern != "" && pattern != "/"
}

// errorData is the error page's data.
type errorData struct {
	Status  int
	Heading string
	Message string
}

// pageError writes the HTML error page with status and a message for people.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, status int,
	message string) {
	h := w.Header()
	h.Del("Content-Length")
	h.Del("Content-Disposition")

	heading := http.StatusText(status)
	switch status {
	case http.StatusForbidden:
		heading = "Not allowed"
	case http.StatusNotFound:
		heading = "Not found"
	case http.StatusInternalServerError:
		heading = "Something went wrong"
	}

	s.render(w, r, status, "error", heading, errorData{Status: status, Heading: heading,
		Message: message})
}

// pageFail maps an error from the domain to an error page, as fail does to JSON.
func (s *Server) pageFail(w http.ResponseWriter, r *http.Request, err error) {
	rec := &errorCapture{header: http.Header{}}
	s.fail(rec, r, err)
	s.pageError(w, r, rec.status, pageMessage(rec.status, rec.body.Bytes()))
}

// errorCapture is a ResponseWriter that keeps an answer instead of sending it.
type errorCapture struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *errorCapture) Header() http.Header { return c.header }

func (c *errorCapture) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
}

func (c *errorCapture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}

	if room := 4096 - c.body.Len(); room > 0 {
		c.body.Write(b[:min(len(b), room)])
	}

	return len(b), nil
}

// pageMessage is what the error page says for an error answer with status and
// body (the API's JSON error shape, or anything else).
func pageMessage(status int, body []byte) string {
	var e apiError
	_ = json.Unmarshal(body, &e)

	switch {
	case e.Error == "csrf":
		return "The form was refused: it lacks this session's security token or came " +
			"from another site. Reload the page and send it again."
	case status == http.StatusForbidden:
		msg := "Your role may not do this."
		if e.Detail != "" {
			msg = "Not allowed: " + e.Detail + "."
		}

		return msg
	case status == http.StatusNotFound:
		return "There is no such page or record."
	case status == http.StatusMethodNotAllowed:
		return "This address does not take that kind of request."
	case status >= 500:
		return "o2c could not answer this request. It has been logged; try again later."
	case e.Detail != "":
		return e.Detail
	}

	return http.StatusText(status)
}

// pageErrors turns error answers of page routes for browsers into HTML: a 401 into
// a redirect to the login page, any other status of 400 or more that is not
// already HTML into the error page. API routes and clients not asking for HTML are
// left alone.
func (s *Server) pageErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !wantsHTML(r) {
			next.ServeHTTP(w, r)
			return
		}

		pw := &pageErrorWriter{ResponseWriter: w}
		next.ServeHTTP(pw, r)

		if !pw.caught {
			return
		}

		h := w.Header()
		for _, k := range []string{"Content-Type", "Content-Length", "WWW-Authenticate",
			"X-Content-Type-Options"} {
			h.Del(k)
		}

		if pw.status == http.StatusUnauthorized {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(nextAfterLogin(r)),
				http.StatusSeeOther)
			return
		}

		s.pageError(w, r, pw.status, pageMessage(pw.status, pw.body.Bytes()))
	})
}

// wantsHTML reports whether r is a browser asking for a page (or posting a page's
// form) rather than a script calling the API.
func wantsHTML(r *http.Request) bool {
	return !strings.HasPrefix(r.URL.Path, "/api/") &&
		strings.Contains(r.Header.Get("Accept"), "text/html")
}

// nextAfterLogin is where the login page sends the user back to: the page asked
// for, or for a form post the page the form was on.
func nextAfterLogin(r *http.Request) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return r.URL.RequestURI()
	}

	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host {
		return safeNext(ref.RequestURI())
	}

	return "/"
}

// pageErrorWriter holds back an error answer that is not HTML, for pageErrors to
// replace.
type pageErrorWriter struct {
	http.ResponseWriter
	wrote  bool
	caught bool
	status int
	body   bytes.Buffer
}

func (w *pageErrorWriter) WriteHeader(code int) {
	if w.wrote {
		return
	}

	w.wrote = true

	ct := w.Header().Get("Content-Type")
	if code >= 400 && !strings.HasPrefix(ct, "text/html") {
		w.caught, w.status = true, code
		return
	}

	w.ResponseWriter.WriteHeader(code)
}

func (w *pageErrorWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}

	if w.caught {
		if room := 4096 - w.body.Len(); room > 0 {
			w.body.Write(b[:min(len(b), room)])
		}

		return len(b), nil
	}

	return w.ResponseWriter.Write(b)
}

// Flush sends what was written so far, for streamed downloads.
func (w *pageErrorWriter) Flush() {
	if w.caught {
		return
	}

	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the writer underneath.
func (w *pageErrorWriter) Unwrap() http.ResponseWriter {
	return w.ResponseWriter
}

// registerPages adds the public page routes: login, logout and the static files.
// The pages behind a role are in the route table (pageRoutes).
func (s *Server) registerPages() {
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the directory is embedded: only a broken build lacks it
	}

	files := http.StripPrefix("/static/", http.FileServerFS(static))
	s.api.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter,
		r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	}))

	s.api.HandleFunc("GET /login", s.loginPage)
	s.api.HandleFunc("POST /login", s.loginSubmit)
	s.api.HandleFunc("POST /logout", s.logoutSubmit)
}

// pageRoutes are the HTML pages behind a role, for the route table.
func (s *Server) pageRoutes() []Route {
	return []Route{
		{"GET /{$}", auth.ActionRead, s.homePage},
		{"GET /files", auth.ActionRead, s.filesPage},
		{"GET /files/upload", auth.ActionUpload, s.uploadForm},
		{"POST /files/upload", auth.ActionUpload, s.uploadSubmit},
		{"GET /files/uploaded", auth.ActionRead, s.uploadedPage},
		{"GET /files/{id}", auth.ActionRead, s.filePage},
		{"GET /files/{id}/raw", auth.ActionRead, s.fileRaw},
		{"GET /files/{id}/payments.csv", auth.ActionRead, s.filePaymentsCSV},
		{"POST /files/{id}/retry", auth.ActionUpload, s.retrySubmit},
		{"GET /audit", auth.ActionRead, s.auditPage},
		{"GET /audit.csv", auth.ActionRead, s.auditCSV},
		{"GET /api/bank-files/{id}/payments", auth.ActionRead, s.apiFilePayments},
		{"GET /api/bank-files/{id}/raw", auth.ActionRead, s.fileRaw},
		{"POST /api/bank-files/{id}/retry", auth.ActionUpload, s.apiRetry},
		{"GET /api/audit", auth.ActionRead, s.apiAudit},
	}
}

// homePage sends the user to the bank files, the first page every role may see.
func (s *Server) homePage(w http.ResponseWriter, r *http.Request) {
	target := "/files"
	if s.hasPage("/dashboard") {
		target = "/dashboard"
	}

	http.Redirect(w, r, target, http.StatusSeeOther)
}

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
	info := pageInfo{Title: "Log in", Path: r.URL.Path}

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
		s.pageFail(w, r, err)
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
			s.pageFail(w, r, err)
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

// templateFuncs are the helpers every template may call.
var templateFuncs = template.FuncMap{
	"amount": func(minor int64, currency string) string {
		return money.New(minor, currency).Decimal()
	},
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}

		return t.UTC().Format("2006-01-02")
	},
	"datetime": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}

		return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
	},
	"isotime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"status":  statusBadge,
	// entityHref links an audited entity to its page, "" when it has none.
	"entityHref": func(entity, id string) string {
		if entity == "bank_file" {
			return "/files/" + url.PathEscape(id)
		}

		return ""
	},
	"bytes": byteSize,
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return one
		}

		return many
	},
	"query": func(base string, pairs ...any) string { return withQuery(base, pairs...) },
}

// statuses give each status a sign and words besides its colour, so it reads
// without colour.
var statuses = map[string]struct{ sign, label, tone string }{
	"received":       {"…", "received, waiting to be read", "pending"},
	"ingested":       {"…", "read, matching", "pending"},
	"matched":        {"✓", "done", "good"},
	"rejected":       {"✗", "rejected", "bad"},
	"ok":             {"✓", "ok", "good"},
	"mismatch":       {"✗", "mismatch", "bad"},
	"none":           {"–", "none in file", "neutral"},
	"new":            {"…", "new", "pending"},
	"applied":        {"✓", "applied", "good"},
	"partly_applied": {"◐", "partly applied", "warn"},
	"exception":      {"!", "exception", "bad"},
	"on_account":     {"▣", "on account", "neutral"},
	"not_cash":       {"–", "not cash", "neutral"},
	"open":           {"!", "open", "warn"},
	"resolved":       {"✓", "resolved", "good"},
	"parked":         {"▣", "parked", "neutral"},
	"duplicate":      {"=", "already imported", "neutral"},
	"refused":        {"✗", "refused", "bad"},
}

// statusBadge draws a status as a sign and words in a coloured box.
func statusBadge(status string) template.HTML {
	st, ok := statuses[status]
	if !ok {
		st.label, st.tone = status, "neutral"
		if status == "" {
			st.label = "unknown"
		}
	}

	var b strings.Builder
	b.WriteString(`<span class="status status-` + st.tone + `" data-status="`)
	template.HTMLEscape(&b, []byte(status))
	b.WriteString(`">`)

	if st.sign != "" {
		b.WriteString(`<span aria-hidden="true">` + st.sign + `</span> `)
	}

	template.HTMLEscape(&b, []byte(st.label))
	b.WriteString(`</span>`)

	// Every part is either constant or escaped above.
	return template.HTML(b.String())
}

// byteSize writes a size for people: 512 B, 3.4 KiB, 12.0 MiB.
func byteSize(n int64) string {
	switch {
	case n < 1024:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1<<20:
		return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KiB"
	default:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	}
}

// withQuery returns base with the query parameters given as name, value pairs;
// empty values and a zero int64 are left out.
func withQuery(base string, pairs ...any) string {
	q := url.Values{}

	for i := 0; i+1 < len(pairs); i += 2 {
		k := fmt.Sprint(pairs[i])

		switch v := pairs[i+1].(type) {
		case string:
			if v != "" {
				q.Add(k, v)
			}
		case int64:
			if v != 0 {
				q.Add(k, strconv.FormatInt(v, 10))
			}
		case int:
			if v != 0 {
				q.Add(k, strconv.Itoa(v))
			}
		default:
			q.Add(k, fmt.Sprint(v))
		}
	}

	if len(q) == 0 {
		return base
	}

	return base + "?" + q.Encode()
}
