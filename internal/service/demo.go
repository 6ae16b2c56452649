package service

import (
	"context"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"

	"github.com/o2c-dev/o2c/internal/pgembed"
	"github.com/o2c-dev/o2c/internal/store"
)

// DemoDatabase is the database the demo starts afresh on each run, beside o2c's
// own, so the demo never mixes with real data.
const DemoDatabase = "o2c_demo"

// OpenDemo opens the same server as Open (embedded by default) but on a freshly
// created DemoDatabase.
func OpenDemo(ctx context.Context, opts Options) (*Service, error) {
	s := &Service{Logger: opts.Logger}
	base := opts.DatabaseURL

	if base == "" {
		srv, err := pgembed.Start(ctx, pgembed.Config{
			DataDir: opts.DataDir, Logger: opts.Logger, Fsync: true})
		if err != nil {
			return nil, fmt.Errorf("start embedded postgresql: %w", err)
		}

		s.embedded = srv
		base = srv.URL()
	}

	demoURL, err := withDatabase(base, DemoDatabase)
	if err != nil {
		s.Close(ctx)
		return nil, err
	}

	if err := recreate(ctx, base); err != nil {
		s.Close(ctx)
		return nil, err
	}

	pool, err := store.Open(ctx, withPoolSize(demoURL))
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

func recreate(ctx context.Context, base string) error {
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return fmt.Errorf("connect to database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	name := pgx.Identifier{DemoDatabase}.Sanitize()

	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop demo database: %w", err)
	}

	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return fmt.Errorf("create demo database: %w", err)
	}

	return nil
}

// withDatabase returns the postgres:// URL u pointing at database name.
func withDatabase(u, name string) (string, error) {
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "postgres" && parsed.Scheme != "postgresql") {
		return "", fmt.Errorf("demo needs a postgres:// database url")
	}

	parsed.Path = "/" + name

	return parsed.String(), nil
}
