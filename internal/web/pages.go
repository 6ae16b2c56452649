package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/o2c-dev/o2c/internal/auth"
)

// The HTML pages are rendered on the server from the templates in templates/, each
// inside templates/layout.html; static/ holds one style sheet and the upload page's
// small script. Nothing is fetched from another host and no build step is needed.
//
// # Adding a page
//
// 1. A handler, a method of *Server, gathers its data and calls render:
//
//	func (s *Server) queuePage(w http.ResponseWriter, r *http.Request) {
//		list, err := ...
//		if err != nil {
//			s.fail(w, r, err) // JSON for scripts, the error page for browsers
//			return
//		}
//
//		s.render(w, r, http.StatusOK, "queue", "Exception queue", queueData{List: list})
//	}
//
// For a refusal with words of its own, s.pageError(w, r, status, message).
//
// 2. A template, templates/queue.html: every templates/*.html but the layout is
// parsed at start with the layout, and a template that does not parse fails every
// test. It defines "content", and may define "head" (more <head> lines) and
// "scripts"; a comment at its top lists the ids and labels browser tests rely on:
//
//	{{define "content"}}<h1>Exception queue</h1> ... {{range .Data.List}} ...{{end}}
//
// In it, .Data is what the handler passed and .Page the layout's pageInfo:
// .Page.User, .Page.CSRF, {{if .Page.Can "resolve"}}. Every form that posts carries
// <input type="hidden" name="csrf_token" value="{{.Page.CSRF}}"> as its first field.
// The helpers of templateFuncs draw amounts, dates and statuses ({{status .Status}}:
// a sign and words, never colour alone), and {{template "pager" .Data.Pager}} the
// links to the neighbouring pages.
//
// 3. A row of the route table (Server.routes) with the action the page needs:
// {"GET /exceptions", auth.ActionRead, s.queuePage}. A role lacking it gets the 403
// page, an anonymous browser the login page, and TestEveryRouteChecksTheRole fails
// until access_test.go has a row for the route. The header links to the pages of
// navLinks that exist and that the role may use.
//
// Refusals and errors of page routes are HTML for browsers (a request outside /api/
// that accepts text/html): pageErrors turns the JSON errors of auth's middleware and
// of fail into the error page, and 401 into a redirect to /login. Scripts and tests
// that do not ask for HTML keep the API's JSON error shape.

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

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
		{"GET /api/bank-files/{id}/report", auth.ActionRead, s.apiFileReport},
		{"GET /api/bank-files/{id}/payments", auth.ActionRead, s.apiFilePayments},
		{"GET /api/bank-files/{id}/raw", auth.ActionRead, s.fileRaw},
		{"POST /api/bank-files/{id}/retry", auth.ActionUpload, s.apiRetry},
		{"GET /api/audit", auth.ActionRead, s.apiAudit},
		{"GET /exceptions", auth.ActionRead, s.exceptionsPage},
		{"GET /exceptions/{id}", auth.ActionRead, s.exceptionPage},
		{"POST /exceptions/{id}/apply", auth.ActionResolve, s.applySubmit},
		{"POST /exceptions/{id}/writeoff", auth.ActionResolve, s.writeOffSubmit},
		{"POST /exceptions/{id}/park", auth.ActionResolve, s.parkSubmit},
		{"POST /exceptions/{id}/assign", auth.ActionResolve, s.assignSubmit},
		{"POST /exceptions/{id}/comment", auth.ActionResolve, s.commentSubmit},
		{"POST /exceptions/{id}/approval", auth.ActionApprove, s.approvalSubmit},
		{"POST /exceptions/{id}/split", auth.ActionResolve, s.splitSubmit},
		{"POST /exceptions/{id}/refund", auth.ActionResolve, s.refundSubmit},
		{"POST /exceptions/{id}/return", auth.ActionResolve, s.returnSubmit},
		{"POST /exceptions/{id}/close", auth.ActionResolve, s.closeSubmit},
		{"POST /exceptions/{id}/reopen", auth.ActionResolve, s.reopenSubmit},
		{"POST /exceptions/{id}/apply-suggested", auth.ActionResolve, s.applySuggestedSubmit},
		{"POST /exceptions/bulk", auth.ActionResolve, s.bulkSubmit},
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

// pageInfo is what the layout needs on every page.
type pageInfo struct {
	// Title is the page's title, in <title>.
	Title string
	// User is who is signed in; the zero User on the login page.
	User auth.User
	// CSRF is the session's token for forms; "" without a session.
	CSRF string
	// Nav lists the header's links the user may follow.
	Nav []navLink
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
	{"Invoices", "/invoices", auth.ActionRead},
	{"Bank files", "/files", auth.ActionRead},
	{"Upload", "/files/upload", auth.ActionUpload},
	{"Audit log", "/audit", auth.ActionRead},
	{"Users", "/users", auth.ActionAdmin},
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
	info := pageInfo{Title: title, User: u, CSRF: auth.CSRFToken(r)}

	if u.Name == "" {
		return info
	}

	current := ""

	for _, l := range navLinks {
		if !auth.Can(u.Role, l.action) || !s.hasPage(l.href) {
			continue
		}

		// The current link is the longest that the path starts with.
		if (r.URL.Path == l.href || strings.HasPrefix(r.URL.Path, l.href+"/")) &&
			len(l.href) > len(current) {
			current = l.href
		}

		info.Nav = append(info.Nav, navLink{Label: l.label, Href: l.href})
	}

	for i := range info.Nav {
		info.Nav[i].Current = info.Nav[i].Href == current
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
