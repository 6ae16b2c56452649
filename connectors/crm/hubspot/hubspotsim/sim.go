// Package hubspotsim is an in-process stand-in for the slice of HubSpot's CRM API that o2c
// uses: deal search, batch reads of deals, line items and companies, v4 associations (deal
// to company and line item, and the parent/child company pair) and the deal pipelines. It
// reproduces the documented behaviour that matters to a sync client: bearer-token checks,
// string-typed properties, the search page and 10,000-result limits, search results that
// lag behind writes, and 429 responses with HubSpot's rate-limit body.
//
// Tests and the o2c demo seed it through Go methods (AddCompany, SetParentCompany, AddDeal,
// UpdateDeal, Seed) and talk to it over real HTTP, either through Start (127.0.0.1 only)
// or by mounting Handler in an httptest server. Ids are consecutive numbers, so a seeded
// world is the same on every run. All methods are safe for concurrent use.
package hubspotsim

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// DefaultToken is the bearer token the simulator accepts when Config.Token is empty.
const DefaultToken = "pat-sim-0000"

// Rate-limit policy names HubSpot puts in the policyName field of a 429 body.
const (
	PolicySecondly           = "SECONDLY"
	PolicyTenSecondlyRolling = "TEN_SECONDLY_ROLLING"
	PolicyDaily              = "DAILY"
)

// ErrNotFound reports an id the simulator does not hold.
var ErrNotFound = errors.New("object not found")

// Config tunes the simulator. The zero value is a usable HubSpot with a short search lag
// and no rate limit.
type Config struct {
	// AssociationPageSize is how many associated records one v4 association read returns
	// per source record before it pages. Defaults to 500.
	AssociationPageSize int

	// Clock tells the simulator's time, used for hs_lastmodifieddate, createdAt and the
	// search lag. SetTime and Advance replace it with a manual clock. Defaults to
	// time.Now.
	Clock func() time.Time

	// RateLimit is how many requests the simulator serves per RateWindow before it answers
	// 429; it counts real time, not Clock. Zero means no limit. Defaults to 0.
	RateLimit int

	// RateWindow is the rolling window RateLimit applies to. A window of ten seconds or
	// more reports policy TEN_SECONDLY_ROLLING, a shorter one SECONDLY. Defaults to one
	// second.
	RateWindow time.Duration

	// RetryAfter makes rate-limit 429s carry a Retry-After header (whole seconds).
	// HubSpot does not promise one. Defaults to false.
	RetryAfter bool

	// SearchCap is the largest offset plus limit a search may reach; a request past it is
	// answered 400. Defaults to 10,000, HubSpot's documented limit.
	SearchCap int

	// SearchLag is how long after a write the change becomes visible to search; reads by id
	// see it at once. A negative value turns the lag off. Defaults to 300 ms.
	SearchLag time.Duration

	// StringAssociationIDs makes v4 association results carry toObjectId as a JSON string,
	// as HubSpot's spec declares, instead of the number real responses have carried.
	// Defaults to false.
	StringAssociationIDs bool

	// Token is the bearer token requests must present. Defaults to DefaultToken.
	Token string
}

// Stats counts what the simulator has served since it was created.
type Stats struct {
	Requests         int // every request, answered or refused
	Searches         int // deal and other object searches answered 200
	BatchReads       int // v3 object batch reads answered 200 or 207
	AssociationReads int // v4 association reads answered 200 or 207
	Throttled        int // 429 answers, injected or from RateLimit
	Failed           int // injected 5xx answers
	Unauthorized     int // 401 answers
}

// Sim is a simulated HubSpot account. Create it with New.
type Sim struct {
	cfg Config

	mu        sync.Mutex
	clock     func() time.Time
	manual    bool
	manualNow time.Time
	lag       time.Duration
	nextID    int64
	corr      int64
	objects   map[string]map[string]*object // object type → id → record
	pipelines []Pipeline
	faults    []fault
	hits      []time.Time
	stats     Stats

	srv *http.Server
}

// fault is one injected error answer, served before any real work.
type fault struct {
	status     int
	policy     string
	retryAfter time.Duration
}

// New returns a simulator holding the default sales pipeline and one custom pipeline with
// numeric stage ids (see CustomPipelineID), and no records.
func New(cfg Config) *Sim {
	if cfg.AssociationPageSize <= 0 {
		cfg.AssociationPageSize = 500
	}

	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}

	if cfg.RateWindow <= 0 {
		cfg.RateWindow = time.Second
	}

	if cfg.SearchCap <= 0 {
		cfg.SearchCap = 10000
	}

	switch {
	case cfg.SearchLag == 0:
		cfg.SearchLag = 300 * time.Millisecond
	case cfg.SearchLag < 0:
		cfg.SearchLag = 0
	}

	if cfg.Token == "" {
		cfg.Token = DefaultToken
	}

	s := &Sim{
		cfg:     cfg,
		clock:   cfg.Clock,
		lag:     cfg.SearchLag,
		nextID:  1000,
		objects: map[string]map[string]*object{},
	}

	for _, t := range []string{typeDeals, typeCompanies, typeLineItems} {
		s.objects[t] = map[string]*object{}
	}

	s.pipelines = builtinPipelines()

	return s
}

// Token returns the bearer token the simulator accepts.
func (s *Sim) Token() string {
	return s.cfg.Token
}

// Handler returns the simulator's HTTP API, for mounting in an httptest server.
func (s *Sim) Handler() http.Handler {
	return s.routes()
}

// Start serves the API on a free port of 127.0.0.1 and returns its base URL, such as
// "http://127.0.0.1:41234". Close stops it.
func (s *Sim) Start() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listen on loopback: %w", err)
	}

	srv := &http.Server{Handler: s.routes(), ReadHeaderTimeout: 5 * time.Second}

	s.mu.Lock()
	if s.srv != nil {
		s.mu.Unlock()
		_ = ln.Close()

		return "", errors.New("start simulator: already started")
	}

	s.srv = srv
	s.mu.Unlock()

	go func() { _ = srv.Serve(ln) }()

	return "http://" + ln.Addr().String(), nil
}

// Close stops the server Start began. It is a no-op when Start was not called.
func (s *Sim) Close() error {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()

	if srv == nil {
		return nil
	}

	if err := srv.Close(); err != nil {
		return fmt.Errorf("close simulator: %w", err)
	}

	return nil
}

// Now returns the simulator's current time.
func (s *Sim) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()

	return s.nowLocked()
}

func (s *Sim) nowLocked() time.Time {
	if s.manual {
		return s.manualNow
	}

	return s.clock()
}

// SetTime stops the simulator's clock at t. From then on time moves only through SetTime
// and Advance, so tests can give many records one hs_lastmodifieddate or step past the
// search lag without sleeping.
func (s *Sim) SetTime(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()

	s.manual = true
	s.manualNow = t.UTC().Truncate(time.Millisecond)
}

// Advance moves the simulator's clock forward by d, stopping it first if it was running.
func (s *Sim) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()

	now := s.nowLocked()
	s.manual = true
	s.manualNow = now.Add(d).UTC().Truncate(time.Millisecond)
}

// SetSearchLag changes the search lag for writes made from now on; writes already made keep
// the visibility time they were given. A negative d turns the lag off.
func (s *Sim) SetSearchLag(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()

	s.lag = max(d, 0)
}

// Throttle makes the next n requests fail with 429 and the given policy name (for example
// PolicyTenSecondlyRolling or PolicyDaily). A positive retryAfter adds a Retry-After header
// rounded up to whole seconds.
func (s *Sim) Throttle(n int, policy string, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()

	for range n {
		s.faults = append(s.faults, fault{status: http.StatusTooManyRequests, policy: policy,
			retryAfter: retryAfter})
	}
}

// Fail makes the next n requests fail with the given status, typically a 5xx.
func (s *Sim) Fail(n int, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()

	for range n {
		s.faults = append(s.faults, fault{status: status})
	}
}

// Stats returns the request counters.
func (s *Sim) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()

	return s.stats
}
