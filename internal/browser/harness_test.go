package browser_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/service"
	"github.com/o2c-dev/o2c/internal/store"
)

func TestMain(m *testing.M) {
	pgtest.SetTemplate(service.Prepare)
	pgtest.Main(m)
}

// chromiumPath finds the browser: $O2C_CHROMIUM, else the first of the usual names
// on PATH. Without one the suite skips, but fails when CI is set.
func chromiumPath(t *testing.T) string {
	t.Helper()

	if p := os.Getenv("O2C_CHROMIUM"); p != "" {
		return p
	}

	for _, name := range []string{"chromium", "chromium-browser", "headless_shell",
		"google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}

	msg := "no Chromium found on PATH (Debian: apt-get install chromium) and O2C_CHROMIUM " +
		"is not set"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + ": CI is set, so the browser suite must run")
	}

	t.Skip(msg)

	return ""
}

// repoRoot is the directory holding go.mod, above the package's directory.
func repoRoot(t *testing.T) string {
	t.Helper()

	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}

	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}

		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}

		dir = parent
	}
}

// buildO2C starts building the o2c binary, with the race detector when the tests
// run with it, and returns a func that waits for the build and gives the binary's
// path; the test does other work meanwhile.
func buildO2C(t *testing.T) func() string {
	t.Helper()

	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("find the go command to build o2c: %v", err)
	}

	bin := filepath.Join(t.TempDir(), "o2c")
	args := []string{"build", "-o", bin}
	if raceEnabled() {
		args = append(args, "-race")
	}

	cmd := exec.Command(goTool, append(args, "./cmd/o2c")...)
	cmd.Dir = repoRoot(t)

	var out []byte
	done := make(chan struct{})
	go func() {
		out, err = cmd.CombinedOutput()
		close(done)
	}()

	// A test that ends before it waits still waits for the go command.
	t.Cleanup(func() { <-done })

	return func() string {
		t.Helper()

		<-done
		if err != nil {
			t.Fatalf("build o2c: %v\n%s", err, out)
		}

		return bin
	}
}

func raceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}

	for _, s := range info.Settings {
		if s.Key == "-race" && s.Value == "true" {
			return true
		}
	}

	return false
}

// o2cEnv is the environment of the o2c processes: the test's own without any
// O2C_ setting that could point them elsewhere, an HTTP address on a free
// loopback port and no scheduled jobs.
func o2cEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "O2C_") {
			env = append(env, kv)
		}
	}

	return append(env, "O2C_HTTP_ADDR=127.0.0.1:0", "O2C_SCHEDULE_CRM_PULL=",
		"O2C_SCHEDULE_ERP_REFRESH=")
}

// o2c is the built binary with the test's database and config.
type o2c struct {
	bin, dbURL, config string
}

// command is an o2c command line on the test's database.
func (o o2c) command(args ...string) *exec.Cmd {
	cmd := exec.Command(o.bin, append([]string{"--config", o.config, "--database-url",
		o.dbURL}, args...)...)
	cmd.Env = o2cEnv()

	return cmd
}

// person is a user of the suite, made with "o2c users add".
type person struct {
	name, role, password string
}

// addUsers creates the people with the real CLI, reading each password from stdin.
func (o o2c) addUsers(t *testing.T, people ...person) {
	t.Helper()

	errs := make([]error, len(people))

	var wg sync.WaitGroup
	for i, p := range people {
		wg.Go(func() {
			cmd := o.command("users", "add", p.name, "--role", p.role, "--password-stdin")
			cmd.Stdin = strings.NewReader(p.password + "\n")
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("o2c users add %s: %w\n%s", p.name, err, out)
			}
		})
	}

	wg.Wait()

	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a process's output and the test's reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()

	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()

	return b.buf.String()
}

// servingAddr finds the address in serve's "o2c serving" log line.
var servingAddr = regexp.MustCompile(`msg="o2c serving" addr=(127\.0\.0\.1:\d+)`)

// serve starts "o2c serve" and returns its base URL once it listens. The process
// is stopped with SIGTERM at the end of the test, and a data race it reports
// fails the test.
func (o o2c) serve(t *testing.T) string {
	t.Helper()

	cmd := o.command("serve")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out

	if err := cmd.Start(); err != nil {
		t.Fatalf("start o2c serve: %v", err)
	}

	done := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(done)
	}()

	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("o2c serve did not stop within 30 s of SIGTERM")
		}

		switch {
		case strings.Contains(out.String(), "DATA RACE"):
			t.Errorf("o2c serve reported a data race:\n%s", out)
		case t.Failed():
			t.Logf("o2c serve's log:\n%s", out)
		}
	})

	deadline := time.After(60 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()

	for {
		if m := servingAddr.FindStringSubmatch(out.String()); m != nil {
			return "http://" + m[1]
		}

		select {
		case <-done:
			t.Fatalf("o2c serve ended before serving: %v\n%s", waitErr, out)
		case <-deadline:
			t.Fatalf("o2c serve did not say it was serving within 60 s\n%s", out)
		case <-tick.C:
		}
	}
}

// connect opens a pool on the test's database for seeding and checks.
func connect(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()

	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(pool.Close)

	return pool
}

// seedInvoices stores the customers and open invoices the suite's bank files pay,
// as the ERP refresh would.
func seedInvoices(t *testing.T, pool *pgxpool.Pool, invoices []billing.Invoice) {
	t.Helper()

	ctx := context.Background()
	err := store.InTx(ctx, pool, func(tx pgx.Tx) error {
		seen := map[string]bool{}
		for _, inv := range invoices {
			if !seen[inv.CustomerID] {
				seen[inv.CustomerID] = true
				c := billing.Customer{ID: inv.CustomerID, Name: inv.CustomerName}
				if _, err := store.UpsertCustomer(ctx, tx, c, "erp"); err != nil {
					return err
				}
			}

			if _, err := store.SyncERPInvoice(ctx, tx, inv); err != nil {
				return err
			}
		}

		return nil
	})
	if err != nil {
		t.Fatalf("seed invoices: %v", err)
	}
}

// startChromium starts one headless Chromium for the whole suite and returns its
// context; tabs are made from it. Chromium may reach only the loopback server:
// every other host name resolves to nothing, and its background services (updates,
// safe browsing, metrics, sync) are off. At the end of the test the browser is
// closed and no process of it may be left.
func startChromium(t *testing.T, path string) context.Context {
	t.Helper()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.WindowSize(1366, 768),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"),
		chromedp.Flag("disable-gpu", true),
	)

	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)

	if err := chromedp.Do(bctx); err != nil {
		bcancel()
		acancel()
		t.Fatalf("start Chromium %s: %v", path, err)
	}

	proc := chromedp.FromContext(bctx).Browser.Process()
	dataDir := userDataDir(proc.Pid)

	t.Cleanup(func() {
		// Closing the browser through the protocol lets it end its own child
		// processes; the cancel funcs then wait for it and kill what is left.
		ctx, cancel := context.WithTimeout(bctx, 20*time.Second)
		if err := chromedp.Cancel(ctx); err != nil {
			t.Logf("close Chromium: %v", err)
		}

		cancel()
		bcancel()
		acancel()

		if err := proc.Signal(syscall.Signal(0)); err == nil {
			t.Errorf("Chromium (pid %d) still runs after the suite", proc.Pid)
		}

		if dataDir == "" {
			return
		}

		if left := processesWith("--user-data-dir=" + dataDir); len(left) > 0 {
			t.Errorf("Chromium processes left after the suite: %v", left)
		}
	})

	return bctx
}

// userDataDir reads Chromium's profile directory from its command line; every
// process of that browser carries it.
func userDataDir(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return ""
	}

	for arg := range bytes.SplitSeq(b, []byte{0}) {
		if dir, ok := strings.CutPrefix(string(arg), "--user-data-dir="); ok {
			return dir
		}
	}

	return ""
}

// processesWith lists the pids of the processes whose command line has arg.
func processesWith(arg string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}

	var pids []int

	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}

		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}

		for a := range bytes.SplitSeq(b, []byte{0}) {
			if string(a) == arg {
				pids = append(pids, pid)
				break
			}
		}
	}

	return pids
}
