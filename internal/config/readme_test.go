package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/config"
)

// The README's configuration table lists every setting with its variable.
func TestReadmeListsEverySetting(t *testing.T) {
	t.Parallel()

	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}

	for _, f := range config.Fields() {
		row := "| `" + f.Key + "` |"
		if !strings.Contains(string(readme), row) {
			t.Errorf("README has no row for %s", f.Key)
		}

		if f.Env != "" && !strings.Contains(string(readme), "`"+f.Env+"`") {
			t.Errorf("README does not name %s for %s", f.Env, f.Key)
		}
	}
}
