package pgembed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ErrNoBinaries is returned by FindBinDir when no installed PostgreSQL server is found.
var ErrNoBinaries = errors.New("no installed PostgreSQL binaries found")

// Where FindBinDir looks; tests point these elsewhere.
var (
	pgConfigName = "pg_config"
	systemGlob   = "/usr/lib/postgresql/*/bin"
)

// requiredBinaries must all be present in a usable bin directory.
var requiredBinaries = []string{"initdb", "pg_ctl", "postgres"}

// FindBinDir returns the directory of an installed PostgreSQL server: the directory named by
// `pg_config --bindir` when pg_config is on PATH and that directory holds initdb, pg_ctl and
// postgres, else the highest /usr/lib/postgresql/<major>/bin holding them. When preferMajor
// is not empty and /usr/lib/postgresql/<preferMajor>/bin is complete, that one wins (so an
// existing data directory keeps running on its own major version). It returns ErrNoBinaries
// when nothing is found.
func FindBinDir(preferMajor string) (string, error) {
	candidates := systemBinDirs()

	if preferMajor != "" {
		for _, c := range candidates {
			if c.major == preferMajor {
				return c.dir, nil
			}
		}
	}

	if dir := pgConfigBinDir(); dir != "" {
		return dir, nil
	}

	if len(candidates) > 0 {
		return candidates[0].dir, nil
	}

	return "", ErrNoBinaries
}

type binDir struct {
	dir   string
	major string
}

// systemBinDirs lists complete /usr/lib/postgresql/*/bin directories, highest major first.
func systemBinDirs() []binDir {
	matches, _ := filepath.Glob(systemGlob)

	var found []binDir
	for _, dir := range matches {
		major := filepath.Base(filepath.Dir(dir))
		if _, err := strconv.Atoi(major); err != nil || !complete(dir) {
			continue
		}

		found = append(found, binDir{dir: dir, major: major})
	}

	sort.Slice(found, func(i, j int) bool {
		a, _ := strconv.Atoi(found[i].major)
		b, _ := strconv.Atoi(found[j].major)

		return a > b
	})

	return found
}

func pgConfigBinDir() string {
	path, err := exec.LookPath(pgConfigName)
	if err != nil {
		return ""
	}

	out, err := exec.Command(path, "--bindir").Output()
	if err != nil {
		return ""
	}

	dir := strings.TrimSpace(string(out))
	if !filepath.IsAbs(dir) || !complete(dir) {
		return ""
	}

	return dir
}

func complete(dir string) bool {
	for _, name := range requiredBinaries {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
			return false
		}
	}

	return true
}

// binaryMajor returns the major version of the postgres binary in dir, e.g. "15".
// `postgres -V` answers before the server's root check, so it runs as the caller.
func binaryMajor(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, filepath.Join(dir, "postgres"), "-V").Output()
	if err != nil {
		return "", fmt.Errorf("read postgres version: %w", err)
	}

	major, ok := parseMajor(string(out))
	if !ok {
		return "", fmt.Errorf("read postgres version: unexpected output %q", out)
	}

	return major, nil
}

// parseMajor extracts the major version from `postgres -V` output such as
// "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)".
func parseMajor(out string) (string, bool) {
	_, rest, ok := strings.Cut(out, "(PostgreSQL) ")
	if !ok {
		return "", false
	}

	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end == 0 {
		return "", false
	}

	if end < 0 {
		end = len(rest)
	}

	return rest[:end], true
}

// dataMajor returns the major version recorded in dataDir/PG_VERSION, or "" when absent.
func dataMajor(dataDir string) string {
	b, err := os.ReadFile(filepath.Join(dataDir, "PG_VERSION"))
	if err != nil {
		return ""
	}

	return strings.TrimSpace(string(b))
}

// checkMajor fails with a VersionError when dataDir belongs to another major version.
func checkMajor(dataDir, binMajor string) error {
	major := dataMajor(dataDir)
	if major == "" || major == binMajor {
		return nil
	}

	return &VersionError{DataDir: dataDir, DataMajor: major, BinMajor: binMajor}
}
