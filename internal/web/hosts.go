package web

import (
	"errors"
	"net"
	"net/http"
	"strings"
)

// hosts decides which Host headers the server answers, against DNS rebinding: a
// page of another site whose name it points at 127.0.0.1 reaches o2c with its own
// name in Host, and is refused.
type hosts struct {
	// names are the allowed host names (lower case, IPv6 without brackets), each
	// with the port it must come with ("" for any).
	names map[string]string
	// anyIP allows a Host that is an IP address literal: the server listens on every
	// interface, and a rebinding page always sends a name, never an address.
	anyIP bool
	// port is the listen port ("" when unknown), for anyIP.
	port string
}

// newHosts builds the check for a server listening on addr (host:port; "" when
// unknown) that also answers the names of extra ("name" for any port, or
// "name:port"). By default it answers the listen host, localhost, 127.0.0.1 and
// [::1] on the listen port, and any IP address when it listens on every interface.
func newHosts(addr string, extra []string) hosts {
	h := hosts{names: map[string]string{}}

	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		host, port = "", ""
	}

	h.port = port

	for _, n := range []string{"localhost", "127.0.0.1", "::1"} {
		h.names[n] = port
	}

	switch ip := net.ParseIP(host); {
	case host == "" && addr != "", ip != nil && ip.IsUnspecified():
		h.anyIP = true
	case host != "":
		h.names[strings.ToLower(host)] = port
	}

	for _, e := range extra {
		name, p, err := net.SplitHostPort(e)
		if err != nil {
			name, p = strings.Trim(e, "[]"), ""
		}

		h.names[strings.ToLower(name)] = p
	}

	return h
}

// errHost refuses a request whose Host the server does not answer.
var errHost = errors.New("this server does not answer the host named in the request's " +
	"Host header: use its own address, or add the name to http.allowed_hosts")

// allowed reports whether the server answers a request to hostport (r.Host).
func (h hosts) allowed(hostport string) bool {
	name, port, err := net.SplitHostPort(hostport)
	if err != nil {
		name, port = strings.Trim(hostport, "[]"), ""
	}

	name = strings.ToLower(strings.TrimSuffix(name, "."))

	if want, ok := h.names[name]; ok {
		return samePort(port, want)
	}

	return h.anyIP && net.ParseIP(name) != nil && samePort(port, h.port)
}

// samePort reports whether a Host's port (""  when it names none: the scheme's
// default) is the port wanted ("" for any).
func samePort(port, want string) bool {
	return want == "" || port == want || port == "" && (want == "80" || want == "443")
}

// checkHost refuses with 421 a request whose Host the server does not answer; the
// liveness check /healthz is answered whatever the Host.
func (s *Server) checkHost(w http.ResponseWriter, r *http.Request) bool {
	if r.URL.Path == "/healthz" || s.hosts.allowed(r.Host) {
		return true
	}

	writeError(w, http.StatusMisdirectedRequest, "unknown_host", errHost)

	return false
}
