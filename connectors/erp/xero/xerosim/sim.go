// Package xerosim is an offline simulator of the parts of the Xero Accounting
// API that o2c uses: the client-credentials token endpoint, invoices and
// payments. It keeps its state in memory, computes totals exactly in integer
// cents, answers in Xero's JSON shapes (envelope, "/Date(ms+0000)/" dates,
// validation exceptions) and reproduces the behaviours that break real
// connectors: token expiry, tenant checks, Idempotency-Key replay, rate limits,
// and injected faults such as a response lost after the write was committed.
//
// One server serves both the token endpoint (/connect/token) and the API
// (/api.xro/2.0/...), so a client is pointed at base+"/api.xro/2.0" and
// base+"/connect/token".
package xerosim

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// APIPrefix is the path under which the simulator serves the Accounting API.
const APIPrefix = "/api.xro/2.0"

// TokenPath is the path of the simulator's token endpoint.
const TokenPath = "/connect/token"

// Config configures a Sim. Every field has a usable default.
type Config struct {
	// AccountCodes maps account codes to their type ("REVENUE", "BANK", ...).
	// Invoice lines must use a known code; payments a BANK one. Defaults to
	// {"200": "REVENUE", "090": "BANK"}.
	AccountCodes map[string]string
	// BaseCurrency is the organisation's currency, used when an invoice has
	// none. Defaults to "USD".
	BaseCurrency string
	// ClientID is the client id the token endpoint accepts. Defaults to
	// "o2c-sim".
	ClientID string
	// ClientSecret is the secret the token endpoint accepts. Defaults to
	// "o2c-sim-secret".
	ClientSecret string
	// Currencies are the currency codes invoices may use. Defaults to AUD,
	// CAD, CHF, EUR, GBP, JPY, NZD and USD.
	Currencies []string
	// DayRates are the organisation's day rates per currency code, in Xero's
	// convention (units of that currency per one unit of BaseCurrency), used
	// for an invoice that brings no CurrencyRate. A currency without one gets
	// "1".
	DayRates map[string]string
	// DayLimit is how many API calls a tenant may make per UTC day before
	// 429s with X-Rate-Limit-Problem "day". Zero means no limit.
	DayLimit int
	// Faults are injected into matching API requests; see Fault. More can be
	// added with AddFault.
	Faults []Fault
	// IdempotencyTTL is how long an Idempotency-Key is remembered. Defaults to
	// 24h.
	IdempotencyTTL time.Duration
	// IgnoreTaxAmount makes the simulator drop the TaxAmount sent with a line
	// and work tax out itself, as an ERP that always recomputes tax does.
	IgnoreTaxAmount bool
	// IgnoreIdempotencyKey makes the simulator ignore the Idempotency-Key
	// header, as a server without that feature would.
	IgnoreIdempotencyKey bool
	// MinuteLimit is how many API calls a tenant may make per clock minute
	// before 429s with X-Rate-Limit-Problem "minute". Zero means no limit.
	MinuteLimit int
	// Now tells the simulator's time (token expiry, rate windows, dates).
	// Defaults to time.Now.
	Now func() time.Time
	// Seed seeds the random source used for ids, tokens and Fault.Rate.
	// Defaults to 1.
	Seed uint64
	// TaxRates maps TaxType codes to rates in basis points (1500 = 15 %).
	// Defaults to {"NONE": 0, "OUTPUT": 1500}.
	TaxRates map[string]int64
	// TaxRounding is how tax is rounded: LineRounding (the default, Xero's
	// own: per line, then summed) or DocumentRounding (once per tax rate on
	// the summed line amounts, as some organisations and ERPs do). A line
	// that brings its own TaxAmount keeps it either way.
	TaxRounding string
	// TenantID is the only tenant id the API accepts. Defaults to
	// "3f1a9c2e-0000-4000-8000-00000000a11c".
	TenantID string
	// TokenTTL is how long an access token lives. Defaults to 30m.
	TokenTTL time.Duration
}

func (cfg *Config) setDefaults() {
	if cfg.AccountCodes == nil {
		cfg.AccountCodes = map[string]string{"200": "REVENUE", "090": "BANK"}
	}

	if cfg.BaseCurrency == "" {
		cfg.BaseCurrency = "USD"
	}

	if cfg.ClientID == "" {
		cfg.ClientID = "o2c-sim"
	}

	if cfg.ClientSecret == "" {
		cfg.ClientSecret = "o2c-sim-secret"
	}

	if cfg.Currencies == nil {
		cfg.Currencies = []string{"AUD", "CAD", "CHF", "EUR", "GBP", "JPY", "NZD", "USD"}
	}

	if cfg.IdempotencyTTL <= 0 {
		cfg.IdempotencyTTL = 24 * time.Hour
	}

	if cfg.Now == nil {
		cfg.Now = time.Now
	}

	if cfg.Seed == 0 {
		cfg.Seed = 1
	}

	if cfg.TaxRates == nil {
		cfg.TaxRates = map[string]int64{"NONE": 0, "OUTPUT": 1500}
	}

	if cfg.TenantID == "" {
		cfg.TenantID = "3f1a9c2e-0000-4000-8000-00000000a11c"
	}

	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 30 * time.Minute
	}
}

// Tax rounding modes for Config.TaxRounding.
const (
	LineRounding     = "line"
	DocumentRounding = "document"
)

// Request is one API request as the simulator saw it, for tests to inspect.
type Request struct {
	Method string
	Path   string // below APIPrefix, e.g. "/Invoices"
	Query  string // raw query
	Status int    // status answered; 0 when the response was dropped
	Fault  string // the fault injected, if any
	Replay bool   // answered from the Idempotency-Key store
}

// Sim is a simulated Xero organisation. It is safe for concurrent use.
type Sim struct {
	cfg Config

	mu       sync.Mutex
	rng      *rand.Rand
	tokens   map[string]time.Time
	issued   int
	contacts []*contact
	invoices []*invoice
	invByID  map[string]*invoice
	payments []*payment
	payByID  map[string]*payment
	idem     map[string]idemEntry
	faults   []*faultState
	requests []Request
	minStart time.Time
	minCount int
	dayStart time.Time
	dayCount int
	srv      *http.Server
	ln       net.Listener
}

// idemEntry is a remembered answer to an Idempotency-Key.
type idemEntry struct {
	fingerprint [32]byte
	status      int
	body        []byte
	at          time.Time
}

// New returns a simulator with cfg's defaults filled in. It serves nothing
// until Start is called or Handler is mounted.
func New(cfg Config) *Sim {
	cfg.setDefaults()

	s := &Sim{
		cfg:     cfg,
		rng:     rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		tokens:  map[string]time.Time{},
		invByID: map[string]*invoice{},
		payByID: map[string]*payment{},
		idem:    map[string]idemEntry{},
	}

	for _, f := range cfg.Faults {
		s.faults = append(s.faults, &faultState{Fault: f.withDefaults()})
	}

	return s
}

// Start serves the simulator on a free port of 127.0.0.1 and returns its base
// URL, e.g. "http://127.0.0.1:41234".
func (s *Sim) Start() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listen: %w", err)
	}

	s.mu.Lock()
	s.ln = ln
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	srv := s.srv
	s.mu.Unlock()

	go func() { _ = srv.Serve(ln) }()

	return "http://" + ln.Addr().String(), nil
}

// Close stops the server started by Start, closing open connections.
func (s *Sim) Close() {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()

	if srv != nil {
		_ = srv.Close()
	}
}

// Handler returns the simulator as an http.Handler, for mounting in a test
// server of the caller's own.
func (s *Sim) Handler() http.Handler { return s }

// ServeHTTP answers token and API requests.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == TokenPath:
		s.serveToken(w, r)
	case strings.HasPrefix(r.URL.Path, APIPrefix+"/"):
		s.serveAPI(w, r)
	default:
		http.NotFound(w, r)
	}
}

// reply is an answer computed under the lock and written after it.
type reply struct {
	status int
	body   []byte
	header http.Header
}

func (s *Sim) serveAPI(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}

	rep, lose := s.handleAPI(r, body)

	if lose {
		dropConnection(w)
		return
	}

	for k, v := range rep.header {
		w.Header()[k] = v
	}

	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}

	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
}

// handleAPI runs one API request under the lock: authentication, rate limits,
// faults before the write, idempotency, the operation itself and faults after
// it. lose reports that the connection must be dropped without an answer.
func (s *Sim) handleAPI(r *http.Request, body []byte) (rep reply, lose bool) {
	s.mu.Lock()
	defer s.mu.Unlock()

	now := s.cfg.Now()
	path := strings.TrimPrefix(r.URL.Path, APIPrefix)
	rec := Request{Method: r.Method, Path: path, Query: r.URL.RawQuery}

	defer func() {
		if lose {
			rec.Status = 0
		} else {
			rec.Status = rep.status
		}

		s.requests = append(s.requests, rec)
	}()

	if rep, ok := s.authenticate(r, now); !ok {
		return rep, false
	}

	if rep, ok := s.rateLimit(now); !ok {
		return rep, false
	}

	f := s.matchFault(r.Method, path)
	if f != nil {
		rec.Fault = f.Kind.String()
		if f.Kind == RateLimit || f.Kind == ServerError {
			return f.reply(), false
		}
	}

	rep, rec.Replay = s.idempotent(r, path, body, now)

	if f != nil {
		switch f.Kind {
		case LoseResponse:
			return rep, true
		case ErrorAfterCommit:
			return f.reply(), false
		}
	}

	return rep, false
}

// idempotent answers from the Idempotency-Key store when the key was seen
// with the same request, refuses a key reused for another request, and
// otherwise runs the operation and remembers a successful answer.
func (s *Sim) idempotent(r *http.Request, path string, body []byte, now time.Time) (reply, bool) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" || s.cfg.IgnoreIdempotencyKey || r.Method == http.MethodGet {
		return s.route(r, path, body, now), false
	}

	if len(key) > 128 {
		return problem(http.StatusBadRequest, "Bad Request",
			"Idempotency-Key must be at most 128 characters"), false
	}

	fp := sha256.Sum256(bytes.Join([][]byte{
		[]byte(r.Method), []byte(path), []byte(r.URL.RawQuery), body}, []byte{0}))

	if e, ok := s.idem[key]; ok && now.Sub(e.at) < s.cfg.IdempotencyTTL {
		if e.fingerprint != fp {
			return problem(http.StatusConflict, "Conflict",
				"Idempotency-Key has already been used with a different request"), false
		}

		return reply{status: e.status, body: e.body}, true
	}

	rep := s.route(r, path, body, now)
	if rep.status >= 200 && rep.status < 300 {
		s.idem[key] = idemEntry{fingerprint: fp, status: rep.status, body: rep.body, at: now}
	}

	return rep, false
}

// route dispatches an authenticated API request.
func (s *Sim) route(r *http.Request, path string, body []byte, now time.Time) reply {
	resource, id, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	q := r.URL.Query()

	switch {
	case strings.EqualFold(resource, "Invoices") && id == "":
		switch r.Method {
		case http.MethodGet:
			return s.listInvoices(q, r.Header.Get("If-Modified-Since"))
		case http.MethodPut, http.MethodPost:
			return s.createInvoices(r.Method, q, body, now)
		}
	case strings.EqualFold(resource, "Invoices") && r.Method == http.MethodGet:
		return s.getInvoice(id)
	case strings.EqualFold(resource, "Payments") && id == "":
		switch r.Method {
		case http.MethodGet:
			return s.listPayments(q)
		case http.MethodPut, http.MethodPost:
			return s.createPayments(q, body, now)
		}
	case strings.EqualFold(resource, "Payments"):
		switch r.Method {
		case http.MethodGet:
			return s.getPayment(id)
		case http.MethodPost:
			return s.deletePayment(id, body, now)
		}
	default:
		return notFound()
	}

	return problem(http.StatusMethodNotAllowed, "Method Not Allowed",
		r.Method+" is not supported on "+path)
}

// rateLimit counts the call against the minute and day windows.
func (s *Sim) rateLimit(now time.Time) (reply, bool) {
	minute := now.UTC().Truncate(time.Minute)
	if !minute.Equal(s.minStart) {
		s.minStart, s.minCount = minute, 0
	}

	day := now.UTC().Truncate(24 * time.Hour)
	if !day.Equal(s.dayStart) {
		s.dayStart, s.dayCount = day, 0
	}

	if s.cfg.DayLimit > 0 && s.dayCount >= s.cfg.DayLimit {
		return tooMany("day", ceilSeconds(day.Add(24*time.Hour).Sub(now))), false
	}

	if s.cfg.MinuteLimit > 0 && s.minCount >= s.cfg.MinuteLimit {
		return tooMany("minute", ceilSeconds(minute.Add(time.Minute).Sub(now))), false
	}

	s.minCount++
	s.dayCount++

	return reply{}, true
}

func ceilSeconds(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}

// dropConnection closes the client's connection without writing an answer.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}

	panic(http.ErrAbortHandler)
}

// newID returns a random version-4 style UUID from the seeded source.
func (s *Sim) newID() string {
	a, b := s.rng.Uint64(), s.rng.Uint64()

	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xfff,
		0x8000|(b>>48)&0x3fff, b&0xffffffffffff)
}

// Requests returns every API request seen so far, oldest first.
func (s *Sim) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()

	return append([]Request(nil), s.requests...)
}

// TokensIssued returns how many access tokens the token endpoint has issued.
func (s *Sim) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()

	return s.issued
}
