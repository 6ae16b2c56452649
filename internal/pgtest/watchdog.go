package pgtest

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// watch is the watchdog's whole life: wait until the test binary has gone (stdin reaches end
// of file), stop a PostgreSQL still running in dir and remove dir. It returns the exit code.
func watch(dir string) int {
	if !strings.HasPrefix(filepath.Base(dir), baseDirPrefix) || !filepath.IsAbs(dir) {
		return 2 // not a directory this package created: touch nothing
	}

	_, _ = io.Copy(io.Discard, os.Stdin)

	if pid, ok := postmasterPID(filepath.Join(dir, "pg")); ok {
		stopProcess(pid)
	}

	if err := os.RemoveAll(dir); err != nil {
		return 1
	}

	return 0
}

// postmasterPID reads the pid of a running postmaster from the data directory.
func postmasterPID(dataDir string) (int, bool) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0, false
	}

	first, _, _ := strings.Cut(string(b), "\n")

	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 1 || !isPostgres(pid) {
		return 0, false
	}

	return pid, true
}

// isPostgres guards against a recycled pid: the process must be a running postgres.
func isPostgres(pid int) bool {
	comm, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm"))
	if err != nil {
		return false
	}

	return strings.TrimSpace(string(comm)) == "postgres" && running(pid)
}

// running reports whether pid exists and is not a zombie.
func running(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}

	_, rest, ok := strings.Cut(string(stat), ") ")

	return ok && !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}

// stopProcess asks the postmaster for a fast shutdown (SIGINT), then an immediate one
// (SIGQUIT), then kills it, waiting for it to go after each step.
func stopProcess(pid int) {
	steps := []struct {
		sig  syscall.Signal
		wait time.Duration
	}{
		{syscall.SIGINT, 20 * time.Second},
		{syscall.SIGQUIT, 5 * time.Second},
		{syscall.SIGKILL, 5 * time.Second},
	}

	for _, step := range steps {
		if err := syscall.Kill(pid, step.sig); err != nil {
			return
		}

		for deadline := time.Now().Add(step.wait); time.Now().Before(deadline); {
			if !running(pid) {
				return
			}

			time.Sleep(50 * time.Millisecond)
		}
	}
}
