// Package web serves o2c's JSON HTTP API: bank-file upload and history, the
// exception queue, login, API tokens and health checks. Every /api/ route requires a
// user whose role allows its action (package auth); /healthz and /readyz are public.
package web

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/pipelines"
)

// Config wires the API.
type Config struct {
	// Auth authenticates every request and keeps users, sessions and tokens.
	// Required: without it the server serves only its public routes (/healthz,
	// /readyz, /metrics, /openapi.json) and answers every other request 503
	// "auth_unconfigured" (New logs an error); nothing is ever served unchecked.
	Auth *auth.Service
	// Bank reads stored files again for the result pages (bank profile, the file's
	// own totals): the reader the pipelines use. Defaults to the built-in profiles.
	Bank *bank.Reader
	// Exceptions sets the exception workflow's write-off reason codes and approval
	// limits. The zero value uses the defaults (package exceptions).
	Exceptions exceptions.Policy
	// ExceptionSLA is how long an exception may stay open before the dashboard
	// counts it as breaching its SLA. Defaults to 48 hours.
	ExceptionSLA time.Duration
	// Logger receives one line per request, without bodies or secrets.
	Logger *slog.Logger
	// MaxUploadBytes caps one uploaded bank file. Defaults to 256 MiB.
	MaxUploadBytes int64
	// UploadTimeout is how long an upload's body may take to arrive. Defaults to
	// a minute plus MaxUploadBytes (times the files of a form) at 256 KiB/s, at
	// most two hours.
	UploadTimeout time.Duration
	// Monitor, when set, is served at GET /metrics (it decides who may read it), is
	// told of every request and is asked by /readyz whether the bus router runs.
	// Defaults to nil: no /metrics. *monitor.Monitor is one.
	Monitor Monitor
	// Pool is the database. Required.
	Pool *pgxpool.Pool
	// Addr is the address the server listens on (host:port). With AllowedHosts it
	// decides which Host headers are answered (421 otherwise, against DNS
	// rebinding): the listen host, localhost, 127.0.0.1 and [::1] on the listen
	// port, and any IP address on it when the host is unspecified (0.0.0.0, ::).
	// "" allows those loopback names on any port.
	Addr string
	// AllowedHosts are more names the server answers: "name" on any port or
	// "name:port", such as the public name of a reverse proxy in front.
	AllowedHosts []string
}

// Monitor is what the server needs from package monitor.
type Monitor interface {
	http.Handler
	// ObserveRequest counts a request by the route pattern it matched ("" when
	// none), never by its raw path.
	ObserveRequest(route string, status int, took time.Duration)
	// Ready reports an error when a part o2c needs besides the database is down.
	Ready(ctx context.Context) error
}

// Server is the HTTP API.
type Server struct {
	cfg        Config
	exceptions *exceptions.Service
	// mux holds the public health checks and passes everything else to api.
	mux *http.ServeMux
	// api holds the routes behind authentication.
	api *http.ServeMux
	// hosts are the Host headers answered.
	hosts hosts
}

// New builds the API's handler.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}

	if cfg.MaxUploadBytes == 0 {
		cfg.MaxUploadBytes = 256 << 20
	}

	s := &Server{cfg: cfg, exceptions: &exceptions.Service{Pool: cfg.Pool,
		Policy: cfg.Exceptions},
		mux: http.NewServeMux(), api: http.NewServeMux(),
		hosts: newHosts(cfg.Addr, cfg.AllowedHosts)}

	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.HandleFunc("GET /openapi.json", s.openAPI)

	if cfg.Monitor != nil {
		s.mux.Handle("GET /metrics", cfg.Monitor)
	}

	if cfg.Auth != nil {
		s.mux.Handle("/", s.pageErrors(cfg.Auth.Middleware(rememberContext(s.jsonMisses(s.api)))))
	} else {
		cfg.Logger.Error("Web server without authentication: it answers 503 to every " +
			"request but its public routes; set web.Config.Auth")
		s.mux.HandleFunc("/", noAuth)
	}

	for _, rt := range s.routes() {
		s.api.HandleFunc(rt.Pattern, auth.Require(rt.Action, rt.handler))
	}

	// Login is public: it is how a user gets a session. Logout needs none, so that a
	// stale cookie can always be cleared; Middleware still checks the CSRF token of a
	// live session.
	s.api.HandleFunc("POST /api/login", s.login)
	s.api.HandleFunc("POST /api/logout", s.logout)
	s.registerPages()

	return s
}

// errNoAuth is the refusal of every request to a server built without auth.
var errNoAuth = errors.New("this server has no authentication configured, so it serves " +
	"nothing but its public routes such as /healthz: o2c serve always configures it")

// noAuth answers every request to a server built without auth: nothing is served
// unchecked.
func noAuth(w http.ResponseWriter, _ *http.Request) {
	writeError(w, http.StatusServiceUnavailable, "auth_unconfigured", errNoAuth)
}

// Route is one authenticated API route and the action its caller's role must allow.
type Route struct {
	// Pattern is the http.ServeMux pattern, method and path.
	Pattern string
	// Action is what the route does, checked with auth.Can.
	Action  auth.Action
	handler http.HandlerFunc
}

// Routes lists every authenticated API route with its action, for documentation
// and tests.
func (s *Server) Routes() []Route {
	return s.routes()
}

func (s *Server) routes() []Route {
	return append([]Route{
		{"GET /api/me", auth.ActionRead, s.me},
		{"GET /api/tokens", auth.ActionTokens, s.listTokens},
		{"POST /api/tokens", auth.ActionTokens, s.createToken},
		{"DELETE /api/tokens/{id}", auth.ActionTokens, s.revokeToken},
		{"POST /api/bank-files", auth.ActionUpload, s.uploadBankFile},
		{"GET /api/bank-files", auth.ActionRead, s.listBankFiles},
		{"GET /api/bank-files/{id}", auth.ActionRead, s.getBankFile},
	}, slices.Concat(s.exceptionRoutes(), s.pageRoutes(), s.dashboardRoutes(),
		s.userRoutes(), s.invoiceRoutes())...)
}

// ServeHTTP logs each request and dispatches it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}

	// The server has no whole-request ReadTimeout (it would cut off large uploads):
	// each request gets bodyTimeout to send its body, which the upload handlers
	// lengthen (uploadDeadline). net/http clears it before the next request.
	_ = http.NewResponseController(rec).SetReadDeadline(start.Add(bodyTimeout))

	if s.checkHost(rec, r) && s.checkRequest(rec, r) {
		s.mux.ServeHTTP(rec, r)
	}

	took := time.Since(start)
	s.cfg.Logger.InfoContext(r.Context(), "HTTP request", "method", r.Method,
		"path", r.URL.Path, "status", rec.status, "duration_ms", took.Milliseconds())

	if s.cfg.Monitor != nil {
		s.cfg.Monitor.ObserveRequest(s.route(r), rec.status, took)
	}
}

// errQuery refuses a query string that does not parse: parameters would be
// silently dropped.
var errQuery = errors.New("the query string is malformed: a bad %-escape, a ';' " +
	"between parameters, or more parameters than allowed")

// checkRequest refuses what no route should see, answering it itself: an /api/
// query string that does not parse (400), and a directory of /static/ (404, no
// listing). Every /api/ answer is marked not to be cached nor sniffed.
func (s *Server) checkRequest(w http.ResponseWriter, r *http.Request) bool {
	p := r.URL.Path

	if strings.HasPrefix(p, "/api/") {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")

		if _, err := url.ParseQuery(r.URL.RawQuery); err != nil {
			writeError(w, http.StatusBadRequest, "invalid", errQuery)
			return false
		}
	}

	if strings.HasPrefix(p, "/static/") && strings.HasSuffix(p, "/") {
		writeError(w, http.StatusNotFound, "not_found", fmt.Errorf("no file %s", p))
		return false
	}

	return true
}

// bodyTimeout is how long a request but an upload may take to send its body.
const bodyTimeout = time.Minute

// route is the pattern r matched, on mux or, behind its catch-all, on api; ""
// when none did.
func (s *Server) route(r *http.Request) string {
	if r.Pattern != "/" {
		return r.Pattern
	}

	_, p := s.api.Handler(r)

	return p
}

// jsonMisses answers a request no route takes in the API's error shape, 404 or
// 405 with its Allow header, instead of the mux's plain text; pageErrors still
// turns it into the error page for a browser.
func (s *Server) jsonMisses(next *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := next.Handler(r)
		if pattern != "" {
			next.ServeHTTP(w, r) // sets the request's pattern and path values
			return
		}

		miss := &missRecorder{header: w.Header()}
		h.ServeHTTP(miss, r)

		for _, k := range []string{"Content-Type", "X-Content-Type-Options"} {
			w.Header().Del(k)
		}

		switch miss.status {
		case http.StatusMethodNotAllowed:
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", fmt.Errorf(
				"%s is not allowed on %s: use %s", r.Method, r.URL.Path,
				w.Header().Get("Allow")))
		case http.StatusNotFound, 0:
			writeError(w, http.StatusNotFound, "not_found",
				fmt.Errorf("no route %s %s", r.Method, r.URL.Path))
		default:
			writeError(w, miss.status, "invalid", nil)
		}
	})
}

// missRecorder keeps the status of the mux's answer to a request no route takes
// and drops its plain-text body; its headers (Allow) are the real ones.
type missRecorder struct {
	header http.Header
	status int
}

func (m *missRecorder) Header() http.Header { return m.header }

func (m *missRecorder) Write(b []byte) (int, error) { return len(b), nil }

func (m *missRecorder) WriteHeader(code int) {
	if m.status == 0 {
		m.status = code
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap gives http.ResponseController the writer underneath.
func (r *statusRecorder) Unwrap() http.ResponseWriter {
	return r.ResponseWriter
}

// apiError is the one shape of every error the API returns.
type apiError struct {
	Error  string `json:"error"`
	Detail string `json:"detail,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code string, err error) {
	e := apiError{Error: code}
	if err != nil {
		e.Detail = err.Error()
	}

	writeJSON(w, status, e)
}

// fail maps an error from the domain to an HTTP status.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", err)
	case errors.Is(err, exceptions.ErrInvalid):
		writeError(w, http.StatusUnprocessableEntity, "invalid", err)
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, "conflict", err)
	case store.IsDataError(err):
		writeError(w, http.StatusBadRequest, "invalid", errors.New("a value is not valid text"))
	default:
		s.cfg.Logger.ErrorContext(r.Context(), "Request failed", "path", r.URL.Path,
			"error", err)
		writeError(w, http.StatusInternalServerError, "internal", nil)
	}
}

// actor names who acts, for the audit log: the authenticated user (auth.Actor).
func actor(r *http.Request) string {
	return auth.Actor(r)
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("invalid id %q", r.PathValue("id"))
	}

	return id, nil
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()

	if err := s.cfg.Pool.Ping(ctx); err != nil {
		writeError(w, http.StatusServiceUnavailable, "database_unavailable", nil)
		return
	}

	if s.cfg.Monitor != nil {
		if err := s.cfg.Monitor.Ready(ctx); err != nil {
			writeError(w, http.StatusServiceUnavailable, "bus_unavailable", nil)
			return
		}
	}

	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// uploadBankFile takes one file as the raw request body (name in the "name" query
// parameter) or several as multipart/form-data fields named "file".
func (s *Server) uploadBankFile(w http.ResponseWriter, r *http.Request) {
	s.uploadDeadline(w, r, s.cfg.MaxUploadBytes)
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadBytes)

	type result struct {
		File      store.BankFile `json:"file"`
		Duplicate bool           `json:"duplicate"`
		Message   string         `json:"message,omitempty"`
	}

	var results []result
	submit := func(name string, body io.Reader) error {
		if err := checkFileName(name); err != nil {
			return err
		}

		// The file is stored as it arrives, never whole in memory.
		br := bufio.NewReader(clientBody{body})
		if _, err := br.Peek(1); errors.Is(err, io.EOF) {
			return errEmptyUpload
		} else if err != nil {
			return err
		}

		sub, err := pipelines.SubmitFrom(r.Context(), s.cfg.Pool, name, br, 0, actor(r))
		if err != nil {
			return err
		}

		res := result{File: sub.File, Duplicate: sub.Duplicate, Message: sub.Message()}

		results = append(results, res)

		return nil
	}

	if mr, err := r.MultipartReader(); err == nil {
		parts, files := 0, 0

		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}

			if err != nil {
				s.failUpload(w, r, &bodyError{err: err})
				return
			}

			if parts++; parts > maxUploadParts {
				s.failUpload(w, r, errTooManyParts)
				return
			}

			if part.FormName() != "file" {
				continue
			}

			if files++; files > maxUploadFiles {
				s.failUpload(w, r, errTooManyFiles)
				return
			}

			if err := submit(part.FileName(), part); err != nil {
				s.failUpload(w, r, err)
				return
			}
		}

		if len(results) == 0 {
			writeError(w, http.StatusBadRequest, "invalid_upload",
				errors.New("no form field named file"))
			return
		}
	} else {
		name := r.URL.Query().Get("name")
		if name == "" {
			writeError(w, http.StatusBadRequest, "invalid_upload",
				errors.New("name the file with the name query parameter"))
			return
		}

		if err := submit(name, r.Body); err != nil {
			s.failUpload(w, r, err)
			return
		}
	}

	writeJSON(w, http.StatusAccepted, map[string]any{"files": results})
}

// errEmptyUpload rejects an upload with no bytes; errFileName a name that is not
// a plain file name; errTooManyFiles and errTooManyParts a form over the caps.
var (
	errEmptyUpload = errors.New("the file is empty")
	errFileName    = errors.New("file name must be 1 to 255 bytes of text without " +
		"control or formatting characters")
	errTooManyFiles = fmt.Errorf("an upload takes at most %d files: the first %d were "+
		"received, the rest were not read; send them again (a file received twice is "+
		"recognised as a duplicate)", maxUploadFiles, maxUploadFiles)
	errTooManyParts = fmt.Errorf("an upload form has at most %d fields: the files "+
		"before the cap were received, the rest were not read", maxUploadParts)
)

// checkFileName accepts a name of 1 to 255 bytes of UTF-8 without control
// characters or invisible formatting ones (unicode.Cf: bidirectional overrides
// such as U+202E, which make "invoice\u202Etxt.exe" read as another name).
func checkFileName(name string) error {
	if name == "" || len(name) > 255 || !utf8.ValidString(name) ||
		strings.IndexFunc(name, func(c rune) bool {
			return unicode.IsControl(c) || unicode.Is(unicode.Cf, c)
		}) >= 0 {
		return errFileName
	}

	return nil
}

// clientBody marks the errors of reading an upload as the client's (*bodyError):
// a malformed form, a body that broke off or stalled, or one over the size limit.
type clientBody struct{ r io.Reader }

func (c clientBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = &bodyError{err: err}
	}

	return n, err
}

// bodyError is a failure to read the request's body: the client's fault, never
// o2c's. Its text may hold bytes the client sent.
type bodyError struct{ err error }

func (e *bodyError) Error() string { return "read upload: " + e.err.Error() }

func (e *bodyError) Unwrap() error { return e.err }

// uploadFault says what is wrong with an upload that could not be read, in words
// without the client's bytes, or "" when err is not the client's fault.
func uploadFault(err error) string {
	var be *bodyError
	if !errors.As(err, &be) {
		return ""
	}

	var (
		ne     net.Error
		tooBig *http.MaxBytesError
	)

	switch {
	case errors.As(err, &tooBig):
		return "the upload is over its size limit"
	case errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return "the upload was too slow: it did not arrive within its time limit"
	}

	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "the upload broke off before its end"
	}

	return "the upload is not a well-formed multipart/form-data body"
}

// uploadDeadline gives an upload of at most limit bytes its own time to arrive:
// the server has no whole-request ReadTimeout, which would cut off large files
// (cmd/o2c serve sets ReadHeaderTimeout and IdleTimeout). It allows a minute plus
// the limit at 256 KiB/s (a 2 Mbit/s link), at most two hours.
func (s *Server) uploadDeadline(w http.ResponseWriter, r *http.Request, limit int64) {
	d := s.cfg.UploadTimeout
	if d <= 0 {
		d = min(time.Minute+time.Duration(limit/(256<<10))*time.Second, 2*time.Hour)
	}

	err := http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
	if err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.cfg.Logger.WarnContext(r.Context(), "Set upload deadline", "error", err)
	}
}

func (s *Server) failUpload(w http.ResponseWriter, r *http.Request, err error) {
	var tooBig *http.MaxBytesError

	switch {
	case errors.As(err, &tooBig) || strings.Contains(err.Error(), "request body too large"):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large",
			fmt.Errorf("upload is over the %d-byte limit", s.cfg.MaxUploadBytes))
	case errors.Is(err, errEmptyUpload), errors.Is(err, errFileName),
		errors.Is(err, errTooManyFiles), errors.Is(err, errTooManyParts):
		writeError(w, http.StatusBadRequest, "invalid_upload", err)
	case uploadFault(err) != "":
		// The error's text may quote the client's bytes: neither logged nor echoed.
		fault := uploadFault(err)
		s.cfg.Logger.WarnContext(r.Context(), "Upload refused", "path", r.URL.Path,
			"reason", fault)
		writeError(w, http.StatusBadRequest, "invalid_upload", errors.New(fault))
	default:
		s.fail(w, r, err)
	}
}

func (s *Server) getBankFile(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid", err)
		return
	}

	f, err := store.GetBankFile(r.Context(), s.cfg.Pool, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}

	payments, err := store.PaymentsOfFile(r.Context(), s.cfg.Pool, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}

	if payments == nil {
		payments = []store.PaymentRow{}
	}

	writeJSON(w, http.StatusOK, map[string]any{"file": f, "payments": payments})
}
