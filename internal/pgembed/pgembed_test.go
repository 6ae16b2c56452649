package pgembed

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// installedBinDir returns the installed PostgreSQL bin directory or fails the test: the
// package's purpose is to run real PostgreSQL, so a machine without it cannot pass.
func installedBinDir(t *testing.T) string {
	t.Helper()

	dir, err := FindBinDir("")
	if errors.Is(err, ErrNoBinaries) && os.Getenv("O2C_TEST_SKIP_DB") == "1" {
		t.Skip("no installed PostgreSQL binaries and O2C_TEST_SKIP_DB=1")
	}

	if err != nil {
		t.Fatalf("find PostgreSQL binaries: %v (install the postgresql package, "+
			"or set O2C_TEST_SKIP_DB=1 to skip)", err)
	}

	return dir
}

// reachableTempDir returns a fresh directory that the database account can traverse when
// the test runs as root (t.TempDir makes 0700 directories).
func reachableTempDir(t *testing.T) string {
	t.Helper()

	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	return dir
}

func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	s, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("start: %v", err)
	}

	t.Cleanup(func() {
		if err := s.Stop(context.Background()); err != nil {
			t.Errorf("stop: %v", err)
		}
	})

	return s
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}

	t.Cleanup(func() { _ = conn.Close(context.Background()) })

	return conn
}

func postmasterPID(t *testing.T, dataDir string) int {
	t.Helper()

	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		t.Fatalf("read postmaster.pid: %v", err)
	}

	first, _, _ := strings.Cut(string(b), "\n")

	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		t.Fatalf("parse postmaster.pid: %v", err)
	}

	return pid
}

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}

	_, rest, ok := strings.Cut(string(b), ") ")

	return ok && !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}

// processUID returns the real uid of pid from /proc.
func processUID(t *testing.T, pid int) int {
	t.Helper()

	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		t.Fatal(err)
	}

	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
			uid, err := strconv.Atoi(strings.Fields(rest)[0])
			if err != nil {
				t.Fatal(err)
			}

			return uid
		}
	}

	t.Fatal("no Uid line in /proc status")

	return -1
}

func TestStartStopRestartKeepsData(t *testing.T) {
	t.Parallel()
	bin := installedBinDir(t)
	dataDir := filepath.Join(reachableTempDir(t), "pg")
	ctx := context.Background()

	s := startServer(t, Config{DataDir: dataDir})
	if s.cfg.BinDir != bin {
		t.Errorf("bin dir = %q, want detected %q", s.cfg.BinDir, bin)
	}

	if !strings.HasPrefix(s.URL(), "postgres://o2c:") ||
		!strings.HasSuffix(s.URL(), "@127.0.0.1:"+strconv.Itoa(s.Port())+"/o2c?sslmode=disable") {
		t.Errorf("URL has unexpected shape (password elided): %s", strings.Split(s.URL(), ":")[0])
	}

	conn := connect(t, s.URL())

	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}

	var listen, fsync string
	if err := conn.QueryRow(ctx, "SELECT current_setting('listen_addresses'), "+
		"current_setting('fsync')").Scan(&listen, &fsync); err != nil {
		t.Fatal(err)
	}

	if listen != "127.0.0.1" || fsync != "off" {
		t.Errorf("listen_addresses=%q fsync=%q, want 127.0.0.1 and off", listen, fsync)
	}

	_, err := conn.Exec(ctx, "CREATE TABLE marker (n int); INSERT INTO marker VALUES (7)")
	if err != nil {
		t.Fatal(err)
	}

	pid := postmasterPID(t, dataDir)
	if os.Geteuid() == 0 && processUID(t, pid) == 0 {
		t.Errorf("postmaster %d runs as root", pid)
	}

	password, err := os.ReadFile(dataDir + ".password")
	if err != nil {
		t.Fatal(err)
	}

	if info, err := os.Stat(dataDir + ".password"); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("password file mode = %v, %v; want 0600", info.Mode().Perm(), err)
	}

	_ = conn.Close(ctx)

	if err := s.Stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}

	if alive(pid) {
		t.Fatalf("postmaster %d still running after Stop", pid)
	}

	if err := s.Stop(ctx); err != nil {
		t.Errorf("second stop: %v", err)
	}

	s2 := startServer(t, Config{DataDir: dataDir})
	conn2 := connect(t, s2.URL())

	var n int
	if err := conn2.QueryRow(ctx, "SELECT n FROM marker").Scan(&n); err != nil || n != 7 {
		t.Fatalf("marker after restart = %d, %v; want 7", n, err)
	}

	again, err := os.ReadFile(dataDir + ".password")
	if err != nil || string(again) != string(password) {
		t.Errorf("password file changed across restarts (err %v)", err)
	}

	logInfo, err := os.Stat(dataDir + ".log")
	if err != nil || logInfo.Size() == 0 {
		t.Errorf("server log %s.log missing or empty: %v", dataDir, err)
	}
}

func TestLeftoverPostmasterIsStopped(t *testing.T) {
	t.Parallel()
	installedBinDir(t)
	dataDir := filepath.Join(reachableTempDir(t), "pg")
	ctx := context.Background()

	first := startServer(t, Config{DataDir: dataDir})
	pid := postmasterPID(t, dataDir)

	// Simulate an o2c that died: its lock is gone but its postmaster still runs.
	first.release()

	second := startServer(t, Config{DataDir: dataDir})
	if alive(pid) {
		t.Fatalf("leftover postmaster %d still running", pid)
	}

	if newPID := postmasterPID(t, dataDir); newPID == pid {
		t.Fatalf("postmaster pid unchanged (%d)", pid)
	}

	var one int
	if err := connect(t, second.URL()).QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}

	// The first server's postmaster is gone; its Stop must not touch the second one.
	first.mu.Lock()
	first.stopped = true
	first.mu.Unlock()
}

func TestSecondStartOnSameDataDirIsRefused(t *testing.T) {
	t.Parallel()
	installedBinDir(t)
	dataDir := filepath.Join(reachableTempDir(t), "pg")

	startServer(t, Config{DataDir: dataDir})

	_, err := Start(context.Background(), Config{DataDir: dataDir})
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("second Start error = %v, want ErrInUse", err)
	}
}

func TestFixedPortInUseFails(t *testing.T) {
	t.Parallel()
	installedBinDir(t)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	port := l.Addr().(*net.TCPAddr).Port
	dataDir := filepath.Join(reachableTempDir(t), "pg")

	_, err = Start(context.Background(), Config{DataDir: dataDir, Port: port})
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("Start on a taken port: error = %v, want one saying the address is in use", err)
	}

	if !fileExists(filepath.Join(dataDir, "PG_VERSION")) {
		t.Error("cluster was not kept after the failed start")
	}
}

func TestOtherMajorVersionIsRefusedAndKept(t *testing.T) {
	t.Parallel()
	installedBinDir(t)
	dataDir := filepath.Join(reachableTempDir(t), "pg")

	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}

	marker := filepath.Join(dataDir, "base-marker")
	for path, body := range map[string]string{
		filepath.Join(dataDir, "PG_VERSION"): "9\n",
		marker:                               "keep me",
		dataDir + ".password":                "secret\n",
	} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	_, err := Start(context.Background(), Config{DataDir: dataDir})

	var verr *VersionError
	if !errors.As(err, &verr) || verr.DataMajor != "9" {
		t.Fatalf("Start error = %v, want a VersionError for major 9", err)
	}

	if !strings.Contains(err.Error(), "pg_upgrade") {
		t.Errorf("error does not say what to do: %v", err)
	}

	if b, err := os.ReadFile(marker); err != nil || string(b) != "keep me" {
		t.Fatalf("data directory was touched: %q, %v", b, err)
	}
}

func TestExistingClusterWithoutPasswordFileIsRefused(t *testing.T) {
	t.Parallel()
	installedBinDir(t)
	dataDir := filepath.Join(reachableTempDir(t), "pg")

	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}

	major, err := binaryMajor(context.Background(), installedBinDir(t))
	if err != nil {
		t.Fatal(err)
	}

	err = os.WriteFile(filepath.Join(dataDir, "PG_VERSION"), []byte(major+"\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}

	_, err = Start(context.Background(), Config{DataDir: dataDir})
	if !errors.Is(err, ErrNoPassword) {
		t.Fatalf("Start error = %v, want ErrNoPassword", err)
	}
}

func TestUnreachableDataDirAsRoot(t *testing.T) {
	t.Parallel()

	if os.Geteuid() != 0 {
		t.Skip("only root drops privileges")
	}

	installedBinDir(t)

	private := filepath.Join(reachableTempDir(t), "private")
	if err := os.Mkdir(private, 0o700); err != nil {
		t.Fatal(err)
	}

	_, err := Start(context.Background(), Config{DataDir: filepath.Join(private, "o2c", "pg")})

	var aerr *AccessError
	if !errors.As(err, &aerr) || aerr.Path != private {
		t.Fatalf("Start error = %v, want an AccessError for %s", err, private)
	}

	if !strings.Contains(err.Error(), "cannot reach "+private) {
		t.Errorf("message does not name the directory: %v", err)
	}
}

func TestRootWithoutInstalledBinariesFails(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("as a normal user this path would download PostgreSQL")
	}

	hideInstalledBinaries(t, t.TempDir())

	_, err := Start(context.Background(), Config{DataDir: filepath.Join(t.TempDir(), "pg")})
	if !errors.Is(err, ErrRootNeedsSystemPostgres) {
		t.Fatalf("Start error = %v, want ErrRootNeedsSystemPostgres", err)
	}
}

// hideInstalledBinaries points binary detection at an empty tree for the test's duration.
// Tests using it must not run in parallel.
func hideInstalledBinaries(t *testing.T, root string) {
	t.Helper()

	oldConfig, oldGlob, oldRepo := pgConfigName, systemGlob, binaryRepositoryURL
	pgConfigName = "o2c-test-no-such-pg-config"
	systemGlob = filepath.Join(root, "*", "bin")
	binaryRepositoryURL = "http://127.0.0.1:1"

	t.Cleanup(func() {
		pgConfigName, systemGlob, binaryRepositoryURL = oldConfig, oldGlob, oldRepo
	})
}

// TestLibraryFallback exercises the embedded-postgres path without any download: D.dist is
// pre-populated with a link to the installed PostgreSQL 15, so the library finds pg_ctl and
// skips fetching (its repository URL points at a closed loopback port anyway). The library
// cannot drop privileges, so this runs only as a normal user, e.g. with
// go test -exec "setpriv --reuid=65534 --regid=65534 --clear-groups".
func TestLibraryFallback(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("the embedded-postgres library cannot run as root")
	}

	bin := installedBinDir(t)

	major, err := binaryMajor(context.Background(), bin)
	if err != nil {
		t.Fatal(err)
	}

	if major != libraryMajor {
		t.Skipf("installed PostgreSQL %s, the fallback runs %s", major, libraryMajor)
	}

	hideInstalledBinaries(t, t.TempDir())

	dataDir := filepath.Join(t.TempDir(), "pg")
	if err := os.Symlink(filepath.Dir(bin), dataDir+".dist"); err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	s := startServer(t, Config{DataDir: dataDir})

	if s.lib == nil {
		t.Fatal("installed path used, want the library fallback")
	}

	if _, err := connect(t, s.URL()).Exec(ctx, "CREATE TABLE marker (n int)"); err != nil {
		t.Fatal(err)
	}

	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	s2 := startServer(t, Config{DataDir: dataDir})

	var n int
	if err := connect(t, s2.URL()).QueryRow(ctx, "SELECT count(*) FROM marker").Scan(&n); err != nil {
		t.Fatalf("marker table lost across restarts: %v", err)
	}
}

func TestFindBinDir(t *testing.T) {
	root := t.TempDir()
	hideInstalledBinaries(t, root)

	if _, err := FindBinDir(""); !errors.Is(err, ErrNoBinaries) {
		t.Fatalf("empty tree: error = %v, want ErrNoBinaries", err)
	}

	for _, major := range []string{"9", "14", "16", "17"} {
		dir := filepath.Join(root, major, "bin")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}

		for _, name := range requiredBinaries {
			if major == "17" && name == "postgres" {
				continue // incomplete installation
			}

			if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}

	tests := []struct {
		prefer string
		want   string
	}{
		{prefer: "", want: "16"},
		{prefer: "14", want: "14"},
		{prefer: "9", want: "9"},
		{prefer: "17", want: "16"},
		{prefer: "13", want: "16"},
	}
	for _, tt := range tests {
		got, err := FindBinDir(tt.prefer)
		if err != nil {
			t.Fatalf("prefer %q: %v", tt.prefer, err)
		}

		if want := filepath.Join(root, tt.want, "bin"); got != want {
			t.Errorf("prefer %q: got %s, want %s", tt.prefer, got, want)
		}
	}
}

func TestParseMajor(t *testing.T) {
	t.Parallel()

	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n", "15", true},
		{"postgres (PostgreSQL) 17beta1\n", "17", true},
		{"postgres (PostgreSQL) 9.6.24\n", "9", true},
		{"postgres (PostgreSQL) 16\n", "16", true},
		{"postgres 15.1\n", "", false},
		{"postgres (PostgreSQL) x\n", "", false},
	}
	for _, tt := range tests {
		got, ok := parseMajor(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseMajor(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestDefaultDataDir(t *testing.T) {
	t.Setenv("O2C_DATA_DIR", "")
	t.Setenv("XDG_DATA_HOME", "/srv/xdg")
	t.Setenv("HOME", "/home/someone")

	got, err := DefaultDataDir()
	if err != nil {
		t.Fatal(err)
	}

	want := "/srv/xdg/o2c/pg"
	if os.Geteuid() == 0 {
		want = "/var/lib/o2c/pg"
	}

	if got != want {
		t.Errorf("DefaultDataDir() = %q, want %q", got, want)
	}

	if os.Geteuid() != 0 {
		t.Setenv("XDG_DATA_HOME", "")

		if got, _ := DefaultDataDir(); got != "/home/someone/.local/share/o2c/pg" {
			t.Errorf("without XDG_DATA_HOME: %q", got)
		}
	}

	t.Setenv("O2C_DATA_DIR", "/srv/o2c/data")

	if got, _ := DefaultDataDir(); got != "/srv/o2c/data" {
		t.Errorf("with O2C_DATA_DIR: %q", got)
	}
}

func TestSocketDir(t *testing.T) {
	t.Parallel()

	if got := socketDir("/tmp/x/pg.run"); got != "/tmp/x/pg.run" {
		t.Errorf("short dir: %q", got)
	}

	if got := socketDir("/" + strings.Repeat("d", 100)); got != "" {
		t.Errorf("long dir: %q, want sockets disabled", got)
	}
}

func TestIncompleteBinDirIsRefused(t *testing.T) {
	t.Parallel()

	_, err := Start(context.Background(), Config{
		DataDir: filepath.Join(t.TempDir(), "pg"),
		BinDir:  t.TempDir(),
	})
	if !errors.Is(err, ErrNoBinaries) {
		t.Fatalf("Start error = %v, want ErrNoBinaries", err)
	}
}

func TestStopWorksWithCancelledContext(t *testing.T) {
	t.Parallel()
	installedBinDir(t)
	dataDir := filepath.Join(reachableTempDir(t), "pg")

	s := startServer(t, Config{DataDir: dataDir})
	pid := postmasterPID(t, dataDir)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	if err := s.Stop(ctx); err != nil {
		t.Fatalf("Stop with a cancelled context: %v", err)
	}

	if alive(pid) {
		t.Fatalf("postmaster %d still running", pid)
	}
}
