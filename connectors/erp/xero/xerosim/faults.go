package xerosim

import (
	"net/http"
	"strconv"
	"strings"
)

// FaultKind is what an injected fault does to a request.
type FaultKind int

const (
	// LoseResponse commits the request (the invoice or payment exists, the
	// Idempotency-Key is remembered), then closes the connection without an
	// answer: the classic lost response after commit.
	LoseResponse FaultKind = iota + 1
	// ErrorAfterCommit commits the request, then answers with a 5xx.
	ErrorAfterCommit
	// RateLimit answers 429 with Retry-After and X-Rate-Limit-Problem without
	// doing anything.
	RateLimit
	// ServerError answers with a 5xx without doing anything.
	ServerError
)

// String names the kind for Request.Fault.
func (k FaultKind) String() string {
	switch k {
	case LoseResponse:
		return "lose_response"
	case ErrorAfterCommit:
		return "error_after_commit"
	case RateLimit:
		return "rate_limit"
	case ServerError:
		return "server_error"
	}

	return "fault_" + strconv.Itoa(int(k))
}

// Fault injects a failure into matching API requests, deterministically: by
// position (Nth, Count) or with a probability drawn from Config.Seed's source.
type Fault struct {
	// Kind is what happens to the request.
	Kind FaultKind
	// Method limits the fault to one HTTP method; empty matches any.
	Method string
	// Path limits the fault to paths below APIPrefix starting with it, e.g.
	// "/Invoices"; empty matches any. Compared without regard to case.
	Path string
	// Nth is the 1-based position, among the requests this fault matches, of
	// the first one it hits. Zero means "use Rate".
	Nth int
	// Count is how many consecutive matching requests are hit from Nth; a
	// negative value means all of them. Defaults to 1.
	Count int
	// Rate is the probability of hitting each matching request when Nth is
	// zero.
	Rate float64
	// Status is the answer of ServerError (default 503) and ErrorAfterCommit
	// (default 500).
	Status int
	// RetryAfter is RateLimit's Retry-After in seconds. Defaults to 1.
	RetryAfter int
	// Problem is RateLimit's X-Rate-Limit-Problem. Defaults to "minute".
	Problem string
}

func (f Fault) withDefaults() Fault {
	if f.Count == 0 {
		f.Count = 1
	}

	if f.Status == 0 {
		f.Status = http.StatusServiceUnavailable
		if f.Kind == ErrorAfterCommit {
			f.Status = http.StatusInternalServerError
		}
	}

	if f.RetryAfter == 0 {
		f.RetryAfter = 1
	}

	if f.Problem == "" {
		f.Problem = "minute"
	}

	return f
}

// faultState is a fault with the count of requests it has matched.
type faultState struct {
	Fault
	seen int
}

// AddFault adds a fault; it counts matching requests from now on.
func (s *Sim) AddFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()

	s.faults = append(s.faults, &faultState{Fault: f.withDefaults()})
}

// ClearFaults removes every fault.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()

	s.faults = nil
}

// matchFault returns the first fault that hits this request, counting the
// request against every fault it matches. Called with s.mu held.
func (s *Sim) matchFault(method, path string) *faultState {
	var hit *faultState

	for _, f := range s.faults {
		if f.Method != "" && !strings.EqualFold(f.Method, method) {
			continue
		}

		if f.Path != "" && !strings.HasPrefix(strings.ToLower(path), strings.ToLower(f.Path)) {
			continue
		}

		f.seen++

		var fires bool
		if f.Nth > 0 {
			fires = f.seen >= f.Nth && (f.Count < 0 || f.seen < f.Nth+f.Count)
		} else {
			fires = f.Rate > 0 && s.rng.Float64() < f.Rate
		}

		if fires && hit == nil {
			hit = f
		}
	}

	return hit
}

// reply is the answer of a fault that answers.
func (f *faultState) reply() reply {
	if f.Kind == RateLimit {
		rep := tooMany(f.Problem, f.RetryAfter)
		return rep
	}

	return problem(f.Status, http.StatusText(f.Status), "simulated failure")
}

// tooMany is Xero's 429.
func tooMany(limit string, retryAfter int) reply {
	rep := problem(http.StatusTooManyRequests, "Too Many Requests",
		"rate limit exceeded: "+limit)
	rep.header.Set("Retry-After", strconv.Itoa(retryAfter))
	rep.header.Set("X-Rate-Limit-Problem", limit)

	return rep
}
