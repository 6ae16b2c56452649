// Package pgembed starts a private PostgreSQL server for o2c when no database URL is configured.
//
// Start prefers the PostgreSQL binaries installed on the machine (pg_config --bindir, or the
// newest /usr/lib/postgresql/<major>/bin) and drives initdb and pg_ctl itself. The server
// listens on 127.0.0.1 only, keeps its data directory between runs and writes its log to a
// file beside the data directory, never to stdout. When o2c runs as root, PostgreSQL (which
// refuses to run as root) is run as the postgres account, or nobody when that does not exist.
//
// When no installed binaries are found, Start falls back to
// github.com/fergusstrange/embedded-postgres, which downloads PostgreSQL 15 binaries from
// Maven Central on first use and caches them beside the data directory. That fallback cannot
// drop privileges, so as root it stops with ErrRootNeedsSystemPostgres instead. The library
// also leaves an embedded_postgres_log* file in $TMPDIR on every start.
//
// Files beside a data directory D (all in filepath.Dir(D), named after filepath.Base(D)):
//
//	D.password  the generated password of the o2c role (0600), reused on every start
//	D.log       the server log (appended)
//	D.run/      the Unix socket directory
//	D.lock      held with flock while a Server runs, so two o2c processes never share D
//	D.dist/     binaries of the embedded-postgres fallback (D.cache: its downloads,
//	            D.runtime: its scratch directory, wiped by the library on every start)
package pgembed

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	embeddedpostgres "github.com/fergusstrange/embedded-postgres"
	"github.com/jackc/pgx/v5"
)

// Role and Database name the PostgreSQL role o2c connects as and the database it uses.
const (
	Role     = "o2c"
	Database = "o2c"
)

// startTimeout bounds how long pg_ctl waits for the server to accept connections.
const startTimeout = 60 * time.Second

var (
	// ErrInUse is returned by Start when another process holds the data directory's lock.
	ErrInUse = errors.New("data directory in use by another o2c process")

	// ErrRootNeedsSystemPostgres is returned by Start when o2c runs as root and no installed
	// PostgreSQL binaries were found: the downloading fallback cannot drop privileges.
	ErrRootNeedsSystemPostgres = errors.New(
		"no installed PostgreSQL found and o2c runs as root: install the postgresql package " +
			"(Debian/Ubuntu: apt-get install postgresql) or run o2c as a normal user")

	// ErrNoPassword is returned by Start when a data directory exists but the password file
	// beside it is missing, so the o2c role cannot log in.
	ErrNoPassword = errors.New("password file missing for an existing data directory")
)

// VersionError reports a data directory created by another PostgreSQL major version than
// the binaries that would run it. Start never converts or wipes such a directory.
type VersionError struct {
	DataDir   string
	DataMajor string
	BinMajor  string
}

// Error describes the mismatch and what to do about it.
func (e *VersionError) Error() string {
	return fmt.Sprintf("data directory %s was created by PostgreSQL %s but the binaries are "+
		"PostgreSQL %s: install PostgreSQL %s, upgrade the directory with pg_upgrade, "+
		"or choose another data directory", e.DataDir, e.DataMajor, e.BinMajor, e.DataMajor)
}

// AccessError reports a directory the unprivileged database account cannot traverse when
// o2c runs as root.
type AccessError struct {
	User string
	Path string
}

// Error says which account cannot reach which directory and what to do about it.
func (e *AccessError) Error() string {
	return fmt.Sprintf("o2c runs PostgreSQL as user %s, which cannot reach %s: choose a data "+
		"directory under /var/lib (--data-dir or O2C_DATA_DIR) or run o2c as a normal user",
		e.User, e.Path)
}

// Config describes the server to start. The zero value, with DataDir set, is usable.
type Config struct {
	// DataDir is the PostgreSQL data directory. It is created (initdb) when it holds no
	// PG_VERSION file and reused otherwise; it is never wiped. Defaults to DefaultDataDir().
	DataDir string

	// Port is the TCP port on 127.0.0.1. Defaults to 0: a free port is picked on every start.
	Port int

	// BinDir is the directory holding initdb, pg_ctl and postgres; Start fails with
	// ErrNoBinaries when one is missing. Defaults to "": the installed binaries are detected
	// (FindBinDir), else the downloading fallback is used.
	BinDir string

	// Logger receives lifecycle messages. Defaults to a logger that discards everything.
	Logger *slog.Logger

	// Fsync keeps PostgreSQL's fsync on. Defaults to false, which is only right for tests:
	// set it for any data you want to keep after a power loss.
	Fsync bool
}

// Server is a running PostgreSQL started by Start. Stop it with Stop.
type Server struct {
	cfg      Config
	paths    paths
	port     int
	password string
	run      *runner
	lib      *embeddedpostgres.EmbeddedPostgres
	lock     *os.File
	logFile  *os.File

	mu      sync.Mutex
	stopped bool
}

// paths are the files Start keeps beside the data directory.
type paths struct {
	data     string
	parent   string
	password string
	log      string
	run      string
	lock     string
	dist     string
	cache    string
	runtime  string
}

func newPaths(dataDir string) paths {
	parent, base := filepath.Dir(dataDir), filepath.Base(dataDir)
	at := func(suffix string) string { return filepath.Join(parent, base+suffix) }

	return paths{
		data:     dataDir,
		parent:   parent,
		password: at(".password"),
		log:      at(".log"),
		run:      at(".run"),
		lock:     at(".lock"),
		dist:     at(".dist"),
		cache:    at(".cache"),
		runtime:  at(".runtime"),
	}
}

// DefaultDataDir returns the data directory used when none is configured: $O2C_DATA_DIR if
// set; /var/lib/o2c/pg when running as root (root's home is not reachable by the database
// account); else $XDG_DATA_HOME/o2c/pg, falling back to ~/.local/share/o2c/pg.
func DefaultDataDir() (string, error) {
	if dir := os.Getenv("O2C_DATA_DIR"); dir != "" {
		return filepath.Abs(dir)
	}

	if os.Geteuid() == 0 {
		return filepath.Join("/var", "lib", "o2c", "pg"), nil
	}

	if xdg := os.Getenv("XDG_DATA_HOME"); xdg != "" && filepath.IsAbs(xdg) {
		return filepath.Join(xdg, "o2c", "pg"), nil
	}

	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find home directory: %w", err)
	}

	return filepath.Join(home, ".local", "share", "o2c", "pg"), nil
}

// Start starts PostgreSQL on cfg.DataDir, creating the cluster and the o2c database when
// missing, and returns once the o2c database accepts connections. A postmaster left running
// on the same data directory by an o2c process that died is stopped first.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}

	if cfg.DataDir == "" {
		dir, err := DefaultDataDir()
		if err != nil {
			return nil, fmt.Errorf("choose data directory: %w", err)
		}

		cfg.DataDir = dir
	}

	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("resolve data directory: %w", err)
	}

	cfg.DataDir = dataDir

	if cfg.Port < 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("check port: %d out of range", cfg.Port)
	}

	binDir := cfg.BinDir
	if binDir != "" && !complete(binDir) {
		return nil, fmt.Errorf("check %s for initdb, pg_ctl and postgres: %w", binDir,
			ErrNoBinaries)
	}

	if binDir == "" {
		binDir, err = FindBinDir(dataMajor(dataDir))
		if errors.Is(err, ErrNoBinaries) {
			return startLibrary(ctx, cfg)
		}

		if err != nil {
			return nil, err
		}
	}

	cfg.BinDir = binDir

	return startInstalled(ctx, cfg)
}

// startInstalled runs the installed binaries in cfg.BinDir with our own initdb/pg_ctl calls.
func startInstalled(ctx context.Context, cfg Config) (*Server, error) {
	s, err := launch(ctx, cfg, (*Server).startInstalled)
	if err != nil {
		return nil, err
	}

	cfg.Logger.Info("pgembed: started PostgreSQL",
		slog.String("data_dir", s.paths.data), slog.Int("port", s.port),
		slog.String("bin_dir", cfg.BinDir), slog.String("os_user", s.run.name))

	return s, nil
}

// launch prepares the files beside the data directory, takes the lock and starts
// the server with start, releasing everything again when that fails.
func launch(ctx context.Context, cfg Config,
	start func(*Server, context.Context) error) (*Server, error) {
	run, err := newRunner(cfg.Logger)
	if err != nil {
		return nil, err
	}

	s := &Server{cfg: cfg, paths: newPaths(cfg.DataDir), run: run}

	if err := s.prepare(); err != nil {
		s.release()

		return nil, err
	}

	if err := start(s, ctx); err != nil {
		s.release()

		return nil, err
	}

	return s, nil
}

// prepare creates the files beside the data directory and takes the lock.
func (s *Server) prepare() error {
	if err := s.run.mkdirParents(s.paths.parent); err != nil {
		return err
	}

	if err := s.run.checkReachable(s.paths.data); err != nil {
		return err
	}

	lock, err := acquireLock(s.paths.lock)
	if err != nil {
		return err
	}

	s.lock = lock

	initialised := fileExists(filepath.Join(s.paths.data, "PG_VERSION"))

	s.password, err = loadPassword(s.paths.password, !initialised)
	if err != nil {
		return err
	}

	if err := s.run.chown(s.paths.password); err != nil {
		return err
	}

	s.logFile, err = openLog(s.paths.log)
	if err != nil {
		return err
	}

	s.run.log = s.logFile

	if err := s.run.chown(s.paths.log); err != nil {
		return err
	}

	if err := os.Mkdir(s.paths.run, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create socket directory: %w", err)
	}

	return s.run.chown(s.paths.run)
}

// startInstalled initialises the cluster when needed, stops a leftover postmaster and
// starts the server on a free or configured port.
func (s *Server) startInstalled(ctx context.Context) error {
	binMajor, err := binaryMajor(ctx, s.cfg.BinDir)
	if err != nil {
		return err
	}

	if err := checkMajor(s.paths.data, binMajor); err != nil {
		return err
	}

	if err := s.stopLeftover(ctx); err != nil {
		return err
	}

	if !fileExists(filepath.Join(s.paths.data, "PG_VERSION")) {
		if err := s.initdb(ctx); err != nil {
			return err
		}
	}

	if err := s.run.checkOwner(s.paths.data); err != nil {
		return err
	}

	if err := s.startPostmaster(ctx); err != nil {
		return err
	}

	if err := ensureDatabase(ctx, s.DatabaseURL("postgres")); err != nil {
		_ = s.pgCtl(context.WithoutCancel(ctx), "stop", "-m", "fast", "-w")

		return err
	}

	return nil
}

// stopLeftover stops a postmaster still running on the data directory. Holding the lock
// proves that no live o2c owns it, so it was left behind by one that died.
func (s *Server) stopLeftover(ctx context.Context) error {
	if !fileExists(filepath.Join(s.paths.data, "postmaster.pid")) {
		return nil
	}

	if err := s.pgCtl(ctx, "status"); err != nil {
		return nil // not running: pg_ctl start removes the stale pid file
	}

	s.cfg.Logger.Warn("pgembed: stopping a PostgreSQL left running by an earlier o2c",
		slog.String("data_dir", s.paths.data))

	if err := s.pgCtl(ctx, "stop", "-m", "fast", "-w"); err != nil {
		return fmt.Errorf("stop leftover postgres: %w", err)
	}

	return nil
}

// stopIfRunning stops the server on the data directory if one runs, ignoring failures.
func (s *Server) stopIfRunning(ctx context.Context) {
	if s.pgCtl(ctx, "status") == nil {
		_ = s.pgCtl(ctx, "stop", "-m", "fast", "-w")
	}
}

func (s *Server) initdb(ctx context.Context) error {
	if err := os.Mkdir(s.paths.data, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create data directory: %w", err)
	}

	if err := s.run.chownEmpty(s.paths.data); err != nil {
		return err
	}

	args := []string{
		"-D", s.paths.data, "-U", Role, "-A", "scram-sha-256",
		"--pwfile", s.paths.password, "-E", "UTF8", "--locale=C",
	}
	if !s.cfg.Fsync {
		args = append(args, "--no-sync")
	}

	s.cfg.Logger.Info("pgembed: creating PostgreSQL cluster", slog.String("data_dir", s.paths.data))

	if err := s.run.exec(ctx, filepath.Join(s.cfg.BinDir, "initdb"), args...); err != nil {
		return fmt.Errorf("initdb: %w", err)
	}

	return nil
}

// startPostmaster runs pg_ctl start; with an automatic port it retries once on another port
// when the chosen one was taken in the meantime.
func (s *Server) startPostmaster(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		port := s.cfg.Port
		if port == 0 {
			p, err := freePort()
			if err != nil {
				return err
			}

			port = p
		}

		err := s.pgCtl(ctx, "start", "-w", "-t", strconv.Itoa(int(startTimeout.Seconds())),
			"-l", s.paths.log, "-o", s.serverOptions(port))
		if err == nil {
			s.port = port

			return nil
		}

		if s.cfg.Port != 0 || attempt > 0 || !strings.Contains(err.Error(), "in use") {
			// pg_ctl gives up after its timeout or when ctx ends, but the server may still
			// come up: never leave it running behind an error.
			s.stopIfRunning(context.WithoutCancel(ctx))

			return fmt.Errorf("start postgres: %w", err)
		}

		s.cfg.Logger.Info("pgembed: port taken, retrying", slog.Int("port", port))
	}
}

// serverOptions are the postgres options passed through pg_ctl -o (a shell word list).
func (s *Server) serverOptions(port int) string {
	opts := []string{
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=" + shellQuote(socketDir(s.paths.run)),
	}
	if !s.cfg.Fsync {
		opts = append(opts, "-c", "fsync=off")
	}

	return strings.Join(opts, " ")
}

// socketDir returns dir when a socket path inside it fits the kernel's limit, else "" to
// disable Unix sockets (o2c connects over TCP).
func socketDir(dir string) string {
	const maxSocketPath = 107

	if len(dir)+len("/.s.PGSQL.65535") > maxSocketPath || strings.ContainsAny(dir, `,"\`) {
		return ""
	}

	return dir
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func (s *Server) pgCtl(ctx context.Context, args ...string) error {
	args = append(args, "-D", s.paths.data)

	return s.run.exec(ctx, filepath.Join(s.cfg.BinDir, "pg_ctl"), args...)
}

// URL returns the connection URL of the o2c database. It contains the password: never log it.
func (s *Server) URL() string {
	return s.DatabaseURL(Database)
}

// DatabaseURL returns the connection URL of database name on this server as the o2c role,
// which owns the cluster. It contains the password: never log it.
func (s *Server) DatabaseURL(name string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(Role, s.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)),
		Path:     "/" + name,
		RawQuery: "sslmode=disable",
	}

	return u.String()
}

// Port returns the TCP port the server listens on at 127.0.0.1.
func (s *Server) Port() int {
	return s.port
}

// DataDir returns the absolute path of the data directory.
func (s *Server) DataDir() string {
	return s.paths.data
}

// Stop shuts the server down (fast mode: open sessions are ended) and waits for it to exit.
// It runs even when ctx is already cancelled, as on a shutdown signal, because a server left
// behind is worse than a slow exit; ctx's deadline, if any, still applies, and pg_ctl gives up
// after 60 s. Calling Stop again does nothing.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()

	if deadline, ok := ctx.Deadline(); ok && ctx.Err() == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(context.WithoutCancel(ctx), deadline)
		defer cancel()
	} else {
		ctx = context.WithoutCancel(ctx)
	}

	if s.stopped {
		return nil
	}

	s.stopped = true
	defer s.release()

	var err error
	if s.lib != nil {
		err = s.lib.Stop()
	} else {
		err = s.pgCtl(ctx, "stop", "-m", "fast", "-w")
	}

	if err != nil {
		return fmt.Errorf("stop postgres: %w", err)
	}

	s.cfg.Logger.Info("pgembed: stopped PostgreSQL", slog.String("data_dir", s.paths.data))

	return nil
}

// release unlocks and closes the lock file, and closes the log file. The lock is
// taken off explicitly: a child another goroutine is forking at this moment holds
// a copy of the descriptor until it execs, and closing ours alone would leave the
// lock held for that while.
func (s *Server) release() {
	if s.lock != nil {
		_ = syscall.Flock(int(s.lock.Fd()), syscall.LOCK_UN)
		_ = s.lock.Close()
		s.lock = nil
	}

	if s.logFile != nil {
		_ = s.logFile.Close()
		s.logFile = nil
	}
}

// acquireLock takes an exclusive flock on path. The descriptor is close-on-exec, so a
// postmaster started by us never inherits it and the lock ends with our process.
func acquireLock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}

	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		_ = f.Close()

		return nil, fmt.Errorf("lock %s: %w", path, ErrInUse)
	}

	if err != nil {
		_ = f.Close()

		return nil, fmt.Errorf("lock data directory: %w", err)
	}

	return f, nil
}

// loadPassword reads the password file, creating it with a random password when allowed.
func loadPassword(path string, create bool) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		pw := strings.TrimSpace(string(b))
		if pw == "" {
			return "", fmt.Errorf("read password file %s: empty", path)
		}

		return pw, nil
	}

	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read password file: %w", err)
	}

	if !create {
		return "", fmt.Errorf("read password file %s: %w", path, ErrNoPassword)
	}

	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generate password: %w", err)
	}

	pw := hex.EncodeToString(raw)

	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("create password file: %w", err)
	}

	if _, err := f.WriteString(pw + "\n"); err != nil {
		_ = f.Close()

		return "", fmt.Errorf("write password file: %w", err)
	}

	if err := f.Close(); err != nil {
		return "", fmt.Errorf("write password file: %w", err)
	}

	return pw, nil
}

func openLog(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open postgres log: %w", err)
	}

	return f, nil
}

// freePort asks the kernel for a free port on 127.0.0.1. Another process may take it before
// PostgreSQL binds it; startPostmaster retries once in that case.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick free port: %w", err)
	}

	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("pick free port: %w", err)
	}

	return port, nil
}

// ensureDatabase creates the o2c database when it does not exist.
func ensureDatabase(ctx context.Context, adminURL string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect to postgres: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	var exists bool

	err = conn.QueryRow(ctx,
		"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", Database).Scan(&exists)
	if err != nil {
		return fmt.Errorf("look up database: %w", err)
	}

	if exists {
		return nil
	}

	create := "CREATE DATABASE " + pgx.Identifier{Database}.Sanitize()
	if _, err := conn.Exec(ctx, create); err != nil {
		return fmt.Errorf("create database: %w", err)
	}

	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)

	return err == nil
}
