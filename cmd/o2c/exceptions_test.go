package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/pgtest"
)

// A status the queue does not know is a usage error naming the statuses, not an
// empty list that looks like "no exceptions".
func TestExceptionsListRefusesUnknownStatus(t *testing.T) {
	t.Parallel()

	url := pgtest.URL(t)

	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"--database-url", url, "exceptions", "list",
		"--status", "parked-ish"}, &out, &errOut)
	if code != 2 || !strings.Contains(errOut.String(), `unknown status "parked-ish"`) {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
	}

	out.Reset()
	errOut.Reset()

	code = run(context.Background(), []string{"--database-url", url, "exceptions", "list",
		"--status", "on_account"}, &out, &errOut)
	if code != 0 || !strings.HasPrefix(out.String(), "ID") {
		t.Fatalf("on_account: exit %d\n%s%s", code, out.String(), errOut.String())
	}
}
