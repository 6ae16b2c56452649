package xerosim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// authenticate checks the bearer token and the tenant header.
func (s *Sim) authenticate(r *http.Request, now time.Time) (reply, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	exp, known := s.tokens[tok]

	switch {
	case !ok || !known:
		rep := problem(http.StatusUnauthorized, "Unauthorized", "AuthenticationUnsuccessful")
		rep.header.Set("WWW-Authenticate", `Bearer error="invalid_token"`)

		return rep, false
	case !now.Before(exp):
		rep := problem(http.StatusUnauthorized, "Unauthorized",
			"TokenExpired: token expired at "+exp.UTC().Format("01/02/2006 15:04:05"))
		rep.header.Set("WWW-Authenticate",
			`Bearer error="invalid_token", error_description="The token is expired"`)

		return rep, false
	case r.Header.Get("Xero-Tenant-Id") != s.cfg.TenantID:
		return problem(http.StatusForbidden, "Forbidden", "AuthenticationUnsuccessful"), false
	}

	return reply{}, true
}

// serveToken issues access tokens for the client-credentials grant.
func (s *Sim) serveToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")

	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		_, _ = w.Write([]byte(`{"error":"invalid_request"}`))

		return
	}

	if err := r.ParseForm(); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_request"}`))

		return
	}

	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}

	var status int
	var out any

	switch {
	case r.PostForm.Get("grant_type") != "client_credentials":
		status, out = http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"}
	case id != s.cfg.ClientID || secret != s.cfg.ClientSecret:
		status, out = http.StatusBadRequest, map[string]string{"error": "invalid_client"}
	default:
		status, out = http.StatusOK, s.issueToken()
	}

	data, _ := json.Marshal(out)
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

func (s *Sim) issueToken() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()

	tok := fmt.Sprintf("simtok-%016x%016x", s.rng.Uint64(), s.rng.Uint64())
	s.tokens[tok] = s.cfg.Now().Add(s.cfg.TokenTTL)
	s.issued++

	return map[string]any{
		"access_token": tok,
		"expires_in":   max(1, int64(s.cfg.TokenTTL/time.Second)),
		"token_type":   "Bearer",
		"scope":        "accounting.transactions accounting.contacts",
	}
}
