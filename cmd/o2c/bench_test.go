package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/benchmark"
)

func TestBenchCommand(t *testing.T) {
	t.Parallel()

	var out, errOut bytes.Buffer
	args := []string{"bench", "--customers", "80", "--deals", "4", "--seed", "3", "--json"}
	if code := run(context.Background(), args, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}

	var rep benchmark.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out.String())
	}

	if rep.Customers != 80 || rep.Deals != 4 || rep.Overall.Payments == 0 ||
		rep.Overall.Precision == nil || len(rep.Kinds) == 0 {
		t.Errorf("report %+v", rep)
	}

	out.Reset()
	if code := run(context.Background(), args[:7], &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), "overall") ||
		!strings.Contains(out.String(), "auto-match") {
		t.Errorf("exit %d, table:\n%s", code, out.String())
	}

	if code := run(context.Background(), []string{"bench", "--deals", "0"}, &out,
		&errOut); code != 2 {
		t.Errorf("bench --deals 0: exit %d, want 2", code)
	}
}
