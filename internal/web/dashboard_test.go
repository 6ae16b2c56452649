package web_test

import (
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// dashboardCalls are the role table's rows for dashboardRoutes.
func dashboardCalls(t *testing.T, pool *pgxpool.Pool) []routeCall {
	t.Helper()

	return nil
}
