package benchmark_test

import (
	"context"
	"testing"

	"github.com/o2c-dev/o2c/internal/benchmark"
	"github.com/o2c-dev/o2c/internal/world"
)

// TestShortReferenceFromUnknownPayerIsMeasured: the benchmark reports the
// must-not-apply kind of short references from unknown payers, and the engine
// holds every one of them.
func TestShortReferenceFromUnknownPayerIsMeasured(t *testing.T) {
	t.Parallel()

	rep, err := benchmark.Run(context.Background(), small(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}

	for _, k := range rep.Kinds {
		if k.Kind != world.KindShortRefUnknownPayer {
			continue
		}

		if k.Payments == 0 || k.MustNotApply != k.Payments || k.Held != k.Payments ||
			k.Applications != 0 {
			t.Errorf("short references from unknown payers: %+v", k)
		}

		return
	}

	t.Errorf("no row for %s in %+v", world.KindShortRefUnknownPayer, rep.Kinds)
}
