package main

import (
	"testing"

	"github.com/o2c-dev/o2c/internal/service"

	"github.com/o2c-dev/o2c/internal/pgtest"
)

func TestMain(m *testing.M) {
	pgtest.SetTemplate(service.Prepare)
	pgtest.Main(m)
}
