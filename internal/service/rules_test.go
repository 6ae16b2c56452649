package service_test

import (
	"reflect"
	"testing"

	"github.com/o2c-dev/o2c/internal/config"
	"github.com/o2c-dev/o2c/internal/matching"
	"github.com/o2c-dev/o2c/internal/service"
)

// The configuration's defaults are the engine's: nobody gets other rules by
// writing no config at all.
func TestDefaultConfigGivesTheEnginesDefaultRules(t *testing.T) {
	t.Parallel()

	cfg := config.Default()
	if got, want := *service.Rules(&cfg), matching.DefaultRules(); !reflect.DeepEqual(got, want) {
		t.Fatalf("rules from the default config:\n%+v\nengine defaults:\n%+v", got, want)
	}
}

func TestConfiguredPoliciesReachTheEngine(t *testing.T) {
	t.Parallel()

	cfg := config.Default()
	cfg.Matching.Partials = false
	cfg.Matching.Tolerances = map[string]config.Tolerance{"JPY": {Abs: "5", Percent: 0.5}}
	cfg.Matching.KnownFees = map[string][]string{"USD": {"12.50"}}

	r := service.Rules(&cfg)
	if r.Partials {
		t.Error("partials still on")
	}

	if got := r.Tolerances["JPY"]; got != (matching.Tolerance{Abs: 5, BasisPoints: 50}) {
		t.Errorf("JPY tolerance = %+v", got)
	}

	if got := r.KnownFees["USD"]; !reflect.DeepEqual(got, []int64{1250}) {
		t.Errorf("USD fees = %v", got)
	}
}
