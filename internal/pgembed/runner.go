package pgembed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// runner runs the PostgreSQL programs: as the caller normally, or as an unprivileged account
// when the caller is root (initdb, pg_ctl and postgres all refuse to run as root).
type runner struct {
	logger *slog.Logger
	log    *os.File // receives the programs' output; nil discards it

	asUser bool   // drop privileges to uid/gid
	name   string // account the programs run as
	uid    int
	gid    int

	// noSetGroups keeps the caller's supplementary groups; used only when clearing them is
	// not permitted (some user namespaces deny setgroups).
	noSetGroups bool
}

// databaseAccounts are tried in order when o2c runs as root.
var databaseAccounts = []string{"postgres", "nobody"}

func newRunner(logger *slog.Logger) (*runner, error) {
	r := &runner{logger: logger, uid: os.Geteuid(), gid: os.Getegid()}

	if r.uid != 0 {
		u, err := user.Current()
		if err == nil {
			r.name = u.Username
		} else {
			r.name = strconv.Itoa(r.uid)
		}

		return r, nil
	}

	for _, name := range databaseAccounts {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}

		uid, errU := strconv.Atoi(u.Uid)
		gid, errG := strconv.Atoi(u.Gid)
		if errU != nil || errG != nil || uid == 0 {
			continue
		}

		r.asUser, r.name, r.uid, r.gid = true, name, uid, gid

		return r, nil
	}

	return nil, fmt.Errorf("find database account: none of %s exists (PostgreSQL refuses "+
		"to run as root): create a postgres user or run o2c as a normal user",
		strings.Join(databaseAccounts, ", "))
}

// exec runs a program to completion. On failure the error carries the end of what the
// program (and, for pg_ctl start, the server) wrote to the log meanwhile.
func (r *runner) exec(ctx context.Context, path string, args ...string) error {
	var offset int64
	if r.log != nil {
		if info, err := r.log.Stat(); err == nil {
			offset = info.Size()
		}
	}

	err := r.runOnce(ctx, path, args)
	if err != nil && r.asUser && !r.noSetGroups && errors.Is(err, syscall.EPERM) {
		r.logger.Debug("pgembed: cannot clear supplementary groups, keeping them",
			slog.String("error", err.Error()))
		r.noSetGroups = true
		err = r.runOnce(ctx, path, args)
	}

	if err != nil {
		if tail := r.logTail(offset); tail != "" {
			return fmt.Errorf("%s: %w: %s", filepath.Base(path), err, tail)
		}

		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}

	return nil
}

func (r *runner) runOnce(ctx context.Context, path string, args []string) error {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = cleanEnv(os.Environ())
	cmd.WaitDelay = 5 * time.Second

	if r.log != nil {
		cmd.Stdout, cmd.Stderr = r.log, r.log
	}

	// A directory the account can reach; initdb and pg_ctl complain about an unreadable one.
	cmd.Dir = "/"

	if r.asUser {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{
			Uid:         uint32(r.uid),
			Gid:         uint32(r.gid),
			NoSetGroups: r.noSetGroups,
		}}
	}

	return cmd.Run()
}

// cleanEnv drops PG* variables so that the caller's environment cannot redirect the
// programs to another server, data directory or option set.
func cleanEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if strings.HasPrefix(kv, "PG") {
			continue
		}

		out = append(out, kv)
	}

	return out
}

// logTail returns up to 2 KiB written to the log after offset, on one line.
func (r *runner) logTail(offset int64) string {
	if r.log == nil {
		return ""
	}

	f, err := os.Open(r.log.Name())
	if err != nil {
		return ""
	}
	defer f.Close()

	const maxTail = 2048

	info, err := f.Stat()
	if err != nil {
		return ""
	}

	if info.Size()-offset > maxTail {
		offset = info.Size() - maxTail
	}

	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return ""
	}

	b, _ := io.ReadAll(io.LimitReader(f, maxTail))

	return strings.Join(strings.Fields(strings.ReplaceAll(string(b), "\n", " | ")), " ")
}

// chown gives path to the database account when privileges are dropped.
func (r *runner) chown(path string) error {
	if !r.asUser {
		return nil
	}

	if err := os.Lchown(path, r.uid, r.gid); err != nil {
		return fmt.Errorf("hand %s to user %s: %w", path, r.name, err)
	}

	return nil
}

// chownEmpty gives an empty directory (a fresh data directory) to the database account.
// A non-empty directory is left alone: initdb refuses it anyway and nothing is ever wiped.
func (r *runner) chownEmpty(dir string) error {
	if !r.asUser {
		return nil
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read data directory: %w", err)
	}

	if len(entries) > 0 {
		return nil
	}

	return r.chown(dir)
}

// mkdirParents creates dir and its missing parents. When privileges are dropped the new
// directories are made traversable (0755, whatever the umask) so the account can reach the
// data directory; otherwise they are private to the caller (0700).
func (r *runner) mkdirParents(dir string) error {
	if !r.asUser {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}

		return nil
	}

	var missing []string
	for d := dir; !fileExists(d); d = filepath.Dir(d) {
		missing = append(missing, d)
		if d == filepath.Dir(d) {
			break
		}
	}

	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("create %s: %w", missing[i], err)
		}

		if err := os.Chmod(missing[i], 0o755); err != nil {
			return fmt.Errorf("create %s: %w", missing[i], err)
		}
	}

	return nil
}

// checkReachable verifies that the database account may traverse every parent of dataDir.
// The check reads permission bits (owner, group, other) and ignores ACLs.
func (r *runner) checkReachable(dataDir string) error {
	if !r.asUser {
		return nil
	}

	for d := filepath.Dir(dataDir); ; d = filepath.Dir(d) {
		info, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("check %s: %w", d, err)
		}

		if !r.canSearch(info) {
			return &AccessError{User: r.name, Path: d}
		}

		if d == filepath.Dir(d) {
			return nil
		}
	}
}

func (r *runner) canSearch(info os.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}

	perm := info.Mode().Perm()

	switch {
	case int(st.Uid) == r.uid:
		return perm&0o100 != 0
	case int(st.Gid) == r.gid:
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

// checkOwner verifies that the data directory belongs to the account PostgreSQL runs as,
// and says which account that is when it does not.
func (r *runner) checkOwner(dataDir string) error {
	info, err := os.Stat(dataDir)
	if err != nil {
		return fmt.Errorf("check data directory: %w", err)
	}

	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) == r.uid {
		return nil
	}

	return fmt.Errorf("check data directory: %s belongs to uid %d but PostgreSQL runs as %s "+
		"(uid %d): change its owner or choose another data directory", dataDir, st.Uid, r.name,
		r.uid)
}
