package config

import (
	"errors"
	"testing"
)

func TestAllowedHostsAreChecked(t *testing.T) {
	t.Parallel()

	for hosts, ok := range map[string]bool{
		"o2c.corp.example":             true,
		"o2c.corp.example:8443":        true,
		"[::1]:8080":                   true,
		"10.0.0.5":                     true,
		"o2c.corp.example:http":        false,
		"o2c.corp.example:70000":       false,
		"":                             false,
		"https://o2c.corp.example/x":   false,
		"user@o2c.corp.example":        false,
		"o2c.corp.example other.names": false,
	} {
		cfg := Default()
		cfg.HTTP.AllowedHosts = []string{hosts}

		err := cfg.Validate()

		var fe *FieldError
		bad := errors.As(err, &fe) && fe.Field == "http.allowed_hosts"
		if bad == ok {
			t.Errorf("allowed_hosts %q: %v", hosts, err)
		}
	}
}
