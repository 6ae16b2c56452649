package service

import (
	"context"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
)

// DemoDatabase is the database the demo starts afresh on each run, beside o2c's
// own, so the demo never mixes with real data.
const DemoDatabase = "o2c_demo"

// OpenDemo opens the same server as Open (embedded by default) but on a freshly
// created DemoDatabase.
func OpenDemo(ctx context.Context, opts Options) (*Service, error) {
	return open(ctx, opts, func(ctx context.Context, base string) (string, error) {
		demoURL, err := withDatabase(base, DemoDatabase)
		if err != nil {
			return "", err
		}

		return demoURL, recreate(ctx, base)
	})
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
