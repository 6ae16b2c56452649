package bank_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank"
)

func TestListWalksFoldersSkipsHiddenAndReportsMissing(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()
	for _, p := range []string{"b.ach", "sub/a.xml", ".hidden", ".git/x.ach", "sub/.y.csv",
		"SOURCES.md", "sub/README", "notes.pdf", "lockbox.txt"} {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}

		if err := os.WriteFile(full, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	missing := filepath.Join(dir, "nope.csv")
	named := filepath.Join(dir, "SOURCES.md")
	files, unlisted := bank.List([]string{dir, filepath.Join(dir, "b.ach"), missing, named})

	// A document in a folder is skipped; named on its own it is read.
	want := []string{named, filepath.Join(dir, "b.ach"), filepath.Join(dir, "lockbox.txt"),
		filepath.Join(dir, "sub", "a.xml")}
	if !reflect.DeepEqual(files, want) {
		t.Errorf("files = %v, want %v", files, want)
	}

	if len(unlisted) != 1 || unlisted[0].Path != missing {
		t.Errorf("unlisted = %v, want only %s", unlisted, missing)
	}
}
