// Package pgtest gives tests a real PostgreSQL database of their own.
//
// A package that needs a database calls Main from its TestMain:
//
//	func TestMain(m *testing.M) {
//		pgtest.SetTemplate(func(ctx context.Context, pool *pgxpool.Pool) error {
//			return store.Migrate(ctx, pool)
//		})
//		pgtest.Main(m)
//	}
//
// and each test calls DB (or URL) to get a fresh database, created from a template database
// that SetTemplate's function prepared once and dropped when the test ends.
//
// The first DB call of a test binary starts one PostgreSQL cluster for the whole binary with
// pgembed (installed binaries only, fsync off, 127.0.0.1, a free port, in a temporary
// directory; as root it runs as the postgres account). Main stops it and removes the
// directory after the tests. A watchdog child process (the test binary re-executed) does the
// same when the binary dies without reaching that point: a panicking test, a -timeout, a
// signal or os.Exit. Only SIGKILL of the watchdog itself can leave a server behind.
//
// Environment:
//
//	O2C_TEST_DATABASE_URL  use this server (postgres:// URL of a role allowed to create
//	                       databases) instead of starting one; databases of a crashed run stay
//	O2C_TEST_PG_BINDIR     directory holding initdb, pg_ctl and postgres; default: detected
//	O2C_TEST_SKIP_DB=1     skip, instead of fail, tests needing a database when no
//	                       PostgreSQL binaries are installed
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/pgembed"
)

// Environment variables read by the harness.
const (
	EnvDatabaseURL = "O2C_TEST_DATABASE_URL"
	EnvBinDir      = "O2C_TEST_PG_BINDIR"
	EnvSkipDB      = "O2C_TEST_SKIP_DB"
)

// envWatchdog marks the re-executed test binary as the watchdog; its value is the run's
// temporary directory.
const envWatchdog = "O2C_PGTEST_WATCHDOG"

// baseDirPrefix starts the name of every run's temporary directory; the watchdog removes
// only directories named like this.
const baseDirPrefix = "o2c-pgtest-"

// startTimeout bounds starting the cluster and preparing the template.
const startTimeout = 2 * time.Minute

var (
	mu      sync.Mutex
	setup   func(ctx context.Context, pool *pgxpool.Pool) error
	once    sync.Once
	current *cluster
	failure error
)

// cluster is the server shared by one test binary.
type cluster struct {
	base     *url.URL      // connection URL; the path is replaced per database
	admin    *pgxpool.Pool // connected to the maintenance database
	template string        // database every test database is copied from
	server   *pgembed.Server
	dir      string   // temporary directory of a started server
	watchdog *os.File // write end of the watchdog's stdin; closing it ends the watchdog
	external bool
}

// Main runs the package's tests and then stops the cluster, if one was started, removes its
// directory and exits with the tests' status. Call it from TestMain, before anything else
// but SetTemplate: when the binary is re-executed as the watchdog, Main does not return.
func Main(m *testing.M) {
	if dir := os.Getenv(envWatchdog); dir != "" {
		os.Exit(watch(dir))
	}

	code := m.Run()

	if err := shutdown(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)

		if code == 0 {
			code = 1
		}
	}

	os.Exit(code)
}

// SetTemplate registers setup to prepare the template database once per test binary, before
// the first test database is created from it (run migrations there). Call it before Main.
func SetTemplate(fn func(ctx context.Context, pool *pgxpool.Pool) error) {
	mu.Lock()
	defer mu.Unlock()

	if current != nil || failure != nil {
		panic("pgtest: SetTemplate called after the first database was created")
	}

	setup = fn
}

// DB returns a pool on a fresh database copied from the template. The pool is closed and
// the database dropped when the test ends. Without PostgreSQL the test fails, or is skipped
// when O2C_TEST_SKIP_DB=1.
func DB(t testing.TB) *pgxpool.Pool {
	t.Helper()

	dsn := URL(t)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatalf("pgtest: open pool: %v", err)
	}

	t.Cleanup(pool.Close)

	return pool
}

// URL returns the connection URL of a fresh database copied from the template, for code
// that opens its own connections. The database is dropped when the test ends, ending any
// session still connected to it. The URL holds a password: do not log it.
func URL(t testing.TB) string {
	t.Helper()

	c := get(t)
	name := "t_" + randomHex(8)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	_, err := c.admin.Exec(ctx, "CREATE DATABASE "+ident(name)+" TEMPLATE "+ident(c.template))
	if err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}

	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()

		if _, err := c.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+
			" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database: %v", err)
		}
	})

	return c.urlFor(name)
}

// get returns the shared cluster, starting it on first use, or ends the test.
func get(t testing.TB) *cluster {
	t.Helper()

	once.Do(func() {
		mu.Lock()
		fn := setup
		mu.Unlock()

		c, err := start(fn)

		mu.Lock()
		current, failure = c, err
		mu.Unlock()
	})

	mu.Lock()
	c, err := current, failure
	mu.Unlock()

	if errors.Is(err, pgembed.ErrNoBinaries) {
		msg := fmt.Sprintf("pgtest: %v: install PostgreSQL (Debian: apt-get install "+
			"postgresql), set %s to a server, or set %s=1 to skip database tests",
			err, EnvDatabaseURL, EnvSkipDB)
		if os.Getenv(EnvSkipDB) == "1" {
			t.Skip(msg)
		}

		t.Fatal(msg)
	}

	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}

	return c
}

func start(fn func(context.Context, *pgxpool.Pool) error) (*cluster, error) {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()

	var (
		c   *cluster
		err error
	)

	if dsn := os.Getenv(EnvDatabaseURL); dsn != "" {
		c, err = connectExternal(ctx, dsn)
	} else {
		c, err = startServer(ctx)
	}

	if err != nil {
		return nil, err
	}

	if err := c.prepareTemplate(ctx, fn); err != nil {
		_ = c.close()

		return nil, err
	}

	return c, nil
}

func connectExternal(ctx context.Context, dsn string) (*cluster, error) {
	base, err := url.Parse(dsn)
	if err != nil || (base.Scheme != "postgres" && base.Scheme != "postgresql") {
		return nil, fmt.Errorf("read %s: want a postgres:// URL", EnvDatabaseURL)
	}

	admin, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", EnvDatabaseURL, err)
	}

	if err := admin.Ping(ctx); err != nil {
		admin.Close()

		return nil, fmt.Errorf("connect to %s: %w", EnvDatabaseURL, err)
	}

	return &cluster{base: base, admin: admin, external: true}, nil
}

func startServer(ctx context.Context) (*cluster, error) {
	binDir := os.Getenv(EnvBinDir)
	if binDir == "" {
		dir, err := pgembed.FindBinDir("")
		if err != nil {
			return nil, err
		}

		binDir = dir
	}

	dir, err := os.MkdirTemp("", baseDirPrefix)
	if err != nil {
		return nil, fmt.Errorf("create cluster directory: %w", err)
	}

	c := &cluster{dir: dir}

	// As root the server runs as another account, which must reach the data directory.
	if err := os.Chmod(dir, 0o755); err != nil {
		_ = c.close()

		return nil, fmt.Errorf("create cluster directory: %w", err)
	}

	c.watchdog, err = startWatchdog(dir)
	if err != nil {
		_ = c.close()

		return nil, err
	}

	c.server, err = pgembed.Start(ctx, pgembed.Config{
		DataDir: filepath.Join(dir, "pg"),
		BinDir:  binDir,
	})
	if err != nil {
		_ = c.close()

		return nil, err
	}

	c.base, err = url.Parse(c.server.URL())
	if err != nil {
		_ = c.close()

		return nil, fmt.Errorf("parse server URL: %w", err)
	}

	c.admin, err = pgxpool.New(ctx, c.urlFor("postgres"))
	if err != nil {
		_ = c.close()

		return nil, fmt.Errorf("connect to cluster: %w", err)
	}

	return c, nil
}

// prepareTemplate creates the template database and runs fn on it. The pool is closed
// before any copy is made: PostgreSQL copies only a database nobody is connected to.
func (c *cluster) prepareTemplate(ctx context.Context, fn func(context.Context,
	*pgxpool.Pool) error,
) error {
	name := "tmpl_" + randomHex(8)
	if _, err := c.admin.Exec(ctx, "CREATE DATABASE "+ident(name)); err != nil {
		return fmt.Errorf("create template database: %w", err)
	}

	c.template = name

	if fn == nil {
		return nil
	}

	pool, err := pgxpool.New(ctx, c.urlFor(name))
	if err != nil {
		return fmt.Errorf("connect to template database: %w", err)
	}
	defer pool.Close()

	if err := fn(ctx, pool); err != nil {
		return fmt.Errorf("prepare template database: %w", err)
	}

	return nil
}

func (c *cluster) urlFor(name string) string {
	u := *c.base
	u.Path = "/" + name
	u.RawPath = ""

	return u.String()
}

// close drops what the cluster created and stops the server, collecting every failure.
func (c *cluster) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var errs []error

	if c.admin != nil {
		if c.external && c.template != "" {
			_, err := c.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(c.template)+
				" WITH (FORCE)")
			if err != nil {
				errs = append(errs, fmt.Errorf("drop template database: %w", err))
			}
		}

		c.admin.Close()
	}

	if c.server != nil {
		if err := c.server.Stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}

	if c.dir != "" {
		if err := os.RemoveAll(c.dir); err != nil {
			errs = append(errs, fmt.Errorf("remove cluster directory: %w", err))
		}
	}

	if c.watchdog != nil {
		_ = c.watchdog.Close()
	}

	return errors.Join(errs...)
}

func shutdown() error {
	mu.Lock()
	c := current
	current = nil
	mu.Unlock()

	if c == nil {
		return nil
	}

	return c.close()
}

// startWatchdog re-executes the test binary as a watchdog for dir. The watchdog waits for
// end of file on its stdin, which happens when this process exits or closes the pipe for
// any reason, then stops a server still running in dir and removes dir. It runs in its own
// process group so that a terminal's Ctrl+C reaches only the test binary.
func startWatchdog(dir string) (*os.File, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("start watchdog: %w", err)
	}

	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start watchdog: %w", err)
	}

	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), envWatchdog+"="+dir)
	cmd.Stdin = r
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}

	err = cmd.Start()
	_ = r.Close()

	if err != nil {
		_ = w.Close()

		return nil, fmt.Errorf("start watchdog: %w", err)
	}

	go func() { _ = cmd.Wait() }()

	return w, nil
}

func ident(name string) string {
	return pgx.Identifier{name}.Sanitize()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux

	return hex.EncodeToString(b)
}
