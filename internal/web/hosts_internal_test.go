package web

import "testing"

func TestHostsAllowed(t *testing.T) {
	t.Parallel()

	cases := []struct {
		addr  string
		extra []string
		host  string
		want  bool
	}{
		{"127.0.0.1:8080", nil, "127.0.0.1:8080", true},
		{"127.0.0.1:8080", nil, "localhost:8080", true},
		{"127.0.0.1:8080", nil, "LOCALHOST:8080", true},
		{"127.0.0.1:8080", nil, "[::1]:8080", true},
		{"127.0.0.1:8080", nil, "localhost:9090", false},
		{"127.0.0.1:8080", nil, "rebind.example:8080", false},
		{"127.0.0.1:8080", nil, "10.0.0.5:8080", false},
		{"127.0.0.1:8080", nil, "", false},
		{"127.0.0.1:80", nil, "localhost", true},
		{"127.0.0.1:8080", []string{"o2c.corp.example"}, "o2c.corp.example:443", true},
		{"127.0.0.1:8080", []string{"o2c.corp.example"}, "o2c.corp.example", true},
		{"127.0.0.1:8080", []string{"o2c.corp.example:8443"}, "o2c.corp.example:443", false},
		{"127.0.0.1:8080", []string{"O2C.corp.example:8443"}, "o2c.corp.example:8443", true},
		{"o2c.lan:8080", nil, "o2c.lan:8080", true},
		{"0.0.0.0:8080", nil, "10.0.0.5:8080", true},
		{"0.0.0.0:8080", nil, "10.0.0.5:9090", false},
		{"[::]:8080", nil, "[fe80::1]:8080", true},
		{":8080", nil, "192.168.1.9:8080", true},
		{":8080", nil, "rebind.example:8080", false},
		{"", nil, "127.0.0.1:41234", true},
		{"", nil, "rebind.example:41234", false},
	}

	for _, c := range cases {
		if got := newHosts(c.addr, c.extra).allowed(c.host); got != c.want {
			t.Errorf("listening on %q with %q, Host %q: %v, want %v", c.addr, c.extra,
				c.host, got, c.want)
		}
	}
}
