package main

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/pipelines"
)

func TestMain(m *testing.M) {
	pgtest.SetTemplate(func(ctx context.Context, pool *pgxpool.Pool) error {
		if _, err := store.Migrate(ctx, pool); err != nil {
			return err
		}

		return pipelines.InitSchema(ctx, pool)
	})
	pgtest.Main(m)
}
