// Package samplefiles locates the public bank files o2c's tests read from the shared
// folder beside the repository (../shared/samples). They are never copied into the
// project: several carry licences it cannot take on.
package samplefiles

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns ../shared/samples (joined with sub) beside the repository root, or
// skips the test with a message when it is absent.
func Dir(tb testing.TB, sub ...string) string {
	tb.Helper()

	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}

	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}

		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skip("shared samples not found: no go.mod above the test directory")
		}

		dir = parent
	}

	p := filepath.Join(append([]string{dir, "..", "shared", "samples"}, sub...)...)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("shared samples not found at %s: %v", p, err)
	}

	return p
}
