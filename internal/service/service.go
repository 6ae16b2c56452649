// Package service assembles o2c's running parts: the database (configured or
// embedded), the migrations, the bus and its router. The commands in cmd/o2c
// choose which parts to run.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/pgembed"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/pipelines"
)

// Options say where the database is.
type Options struct {
	// DatabaseURL is a PostgreSQL URL; empty starts the embedded PostgreSQL.
	DatabaseURL string
	// DataDir is the embedded PostgreSQL's data directory; empty is the default.
	DataDir string
	// Logger receives lifecycle logs.
	Logger *slog.Logger
}

// Service is an open database, migrated, with the bus's tables in place.
type Service struct {
	Pool     *pgxpool.Pool
	Logger   *slog.Logger
	embedded *pgembed.Server
}

// Open connects to the configured database, or starts the embedded one, then
// applies the migrations and creates the bus's topic tables.
func Open(ctx context.Context, opts Options) (*Service, error) {
	return open(ctx, opts, nil)
}

// open starts the server when none is configured, lets database (when set) turn
// the server's URL into the one to use, then connects and prepares it.
func open(ctx context.Context, opts Options,
	database func(ctx context.Context, base string) (string, error)) (*Service, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}

	s := &Service{Logger: opts.Logger}
	url := opts.DatabaseURL

	if url == "" {
		srv, err := pgembed.Start(ctx, pgembed.Config{
			DataDir: opts.DataDir, Logger: opts.Logger, Fsync: true})
		if err != nil {
			return nil, fmt.Errorf("start embedded postgresql: %w", err)
		}

		s.embedded = srv
		url = srv.URL()
		opts.Logger.InfoContext(ctx, "Embedded PostgreSQL started", "data_dir", srv.DataDir(),
			"port", srv.Port())
	}

	if database != nil {
		var err error
		if url, err = database(ctx, url); err != nil {
			s.Close(ctx)
			return nil, err
		}
	}

	pool, err := store.Open(ctx, withPoolSize(url))
	if err != nil {
		s.Close(ctx)
		return nil, err
	}

	s.Pool = pool

	if err := Prepare(ctx, pool); err != nil {
		s.Close(ctx)
		return nil, err
	}

	return s, nil
}

// Prepare brings a database to what o2c needs: the migrations applied and the
// bus's topic tables created. Tests use it to prepare their template database.
func Prepare(ctx context.Context, pool *pgxpool.Pool) error {
	if _, err := store.Migrate(ctx, pool); err != nil {
		return err
	}

	return pipelines.InitSchema(ctx, pool)
}

// withPoolSize gives the pool room for the bus's subscriptions, which each hold a
// connection while a handler works, unless the URL sets pool_max_conns itself.
func withPoolSize(url string) string {
	if strings.Contains(url, "pool_max_conns") {
		return url
	}

	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}

	return url + sep + "pool_max_conns=24"
}

// Close closes the pool and stops the embedded PostgreSQL if this service started
// it.
func (s *Service) Close(ctx context.Context) {
	if s.Pool != nil {
		s.Pool.Close()
	}

	if s.embedded != nil {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()

		if err := s.embedded.Stop(ctx); err != nil {
			s.Logger.ErrorContext(ctx, "Stop embedded PostgreSQL", "error", err)
		}
	}
}

// RunRouter starts the bus's router in the background and returns once it runs.
// The returned stop function closes it and waits for it to finish.
func RunRouter(ctx context.Context, cfg pipelines.Config) (stop func() error, err error) {
	router, err := pipelines.NewRouter(cfg)
	if err != nil {
		return nil, err
	}

	done := make(chan error, 1)
	go func() { done <- router.Run(ctx) }()

	select {
	case <-router.Running():
	case err := <-done:
		return nil, fmt.Errorf("run router: %w", err)
	case <-ctx.Done():
		return nil, ctx.Err()
	}

	return func() error {
		closeErr := router.Close()
		runErr := <-done

		return errors.Join(closeErr, runErr)
	}, nil
}
