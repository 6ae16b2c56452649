package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

// Every command and subcommand prints its help on -h and --help without
// starting the embedded PostgreSQL or connecting to a database: the database
// URL points at a listener of the test that counts connections, and the data
// folder of the embedded PostgreSQL must stay absent.
func TestHelpStartsNoDatabase(t *testing.T) {
	t.Parallel()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	var conns atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}

			conns.Add(1)
			c.Close()
		}
	}()

	dataDir := filepath.Join(t.TempDir(), "pg")
	url := "postgres://o2c@" + ln.Addr().String() + "/o2c?sslmode=disable&connect_timeout=2"

	subs := map[string][]string{
		"exceptions": {"list", "show", "resolve", "assign"},
		"poison":     {"list", "replay"},
		"rules":      {"list", "approve", "reject"},
		"users":      {"add", "list", "disable", "enable", "role", "password", "token"},
		"sync":       {"crm", "erp"},
	}

	var lines [][]string
	for name := range commands {
		lines = append(lines, []string{name, "-h"}, []string{name, "--help"})

		for _, sub := range subs[name] {
			lines = append(lines, []string{name, sub, "-h"}, []string{name, sub, "--help"})
		}

		if subs[name] != nil {
			lines = append(lines, []string{name, "help"})
		}
	}

	lines = append(lines, []string{"--help"}, []string{"-h"}, []string{"help"})

	for _, line := range lines {
		before := conns.Load()

		var out, errOut bytes.Buffer
		args := append([]string{"--database-url", url, "--data-dir", dataDir}, line...)
		code := run(context.Background(), args, &out, &errOut)

		text := out.String() + errOut.String()
		if code != 0 || !strings.Contains(strings.ToLower(text), "usage") {
			t.Errorf("o2c %s: exit %d\n%s", strings.Join(line, " "), code, text)
		}

		if n := conns.Load() - before; n > 0 {
			t.Errorf("o2c %s: %d connections to the database", strings.Join(line, " "), n)
		}
	}

	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Errorf("the embedded PostgreSQL's data folder exists: %v", err)
	}

	for name := range subs {
		if _, ok := commands[name]; !ok || slices.Contains(subs[name], "") {
			t.Errorf("no command %q", name)
		}
	}
}
