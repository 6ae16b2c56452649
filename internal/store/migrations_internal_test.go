package store

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestMigrationsRefuseTwoFilesWithOneVersion(t *testing.T) {
	t.Parallel()

	fsys := fstest.MapFS{
		"migrations/0001_init.sql":  {Data: []byte("SELECT 1")},
		"migrations/0002_a.sql":     {Data: []byte("SELECT 2")},
		"migrations/0002_b.sql":     {Data: []byte("SELECT 3")},
		"migrations/0003_later.sql": {Data: []byte("SELECT 4")},
	}

	_, err := migrationsIn(fsys)
	if err == nil || !strings.Contains(err.Error(), "share version 2") {
		t.Fatalf("err = %v, want two files sharing version 2 refused", err)
	}

	delete(fsys, "migrations/0002_b.sql")

	ms, err := migrationsIn(fsys)
	if err != nil || len(ms) != 3 || ms[2].Version != 3 {
		t.Fatalf("migrations %+v, %v; want versions 1, 2, 3", ms, err)
	}
}

// The embedded migrations themselves have distinct versions.
func TestEmbeddedMigrationsAreDistinct(t *testing.T) {
	t.Parallel()

	if _, err := Migrations(); err != nil {
		t.Fatal(err)
	}
}
