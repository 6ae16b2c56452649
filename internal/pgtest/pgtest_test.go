package pgtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) {
	SetTemplate(func(ctx context.Context, pool *pgxpool.Pool) error {
		_, err := pool.Exec(ctx, "CREATE TABLE template_marker (id int); "+
			"INSERT INTO template_marker VALUES (42)")

		return err
	})
	Main(m)
}

// envHelper selects which helper test a re-executed test binary runs.
const envHelper = "O2C_PGTEST_HELPER"

func TestTwoTestsGetDifferentDatabases(t *testing.T) {
	var (
		mu    sync.Mutex
		names = map[string]string{}
	)

	t.Run("group", func(t *testing.T) {
		for _, test := range []string{"first", "second"} {
			t.Run(test, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				pool := DB(t)

				var name string
				if err := pool.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil {
					t.Fatal(err)
				}

				// Fails with "already exists" if the other test shares the database.
				if _, err := pool.Exec(ctx, "CREATE TABLE mine (owner text)"); err != nil {
					t.Fatal(err)
				}

				mu.Lock()
				names[test] = name
				mu.Unlock()
			})
		}
	})

	if names["first"] == "" || names["first"] == names["second"] {
		t.Fatalf("databases = %v, want two different ones", names)
	}
}

func TestDatabaseIsCopiedFromTemplate(t *testing.T) {
	t.Parallel()

	var id int
	if err := DB(t).QueryRow(context.Background(),
		"SELECT id FROM template_marker").Scan(&id); err != nil || id != 42 {
		t.Fatalf("template marker = %d, %v; want 42", id, err)
	}
}

func TestDatabaseIsDroppedAfterTheTest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	var (
		name string
		conn *pgx.Conn
	)

	t.Run("user", func(t *testing.T) {
		var err error

		// Left open on purpose: the drop must end sessions still connected.
		conn, err = pgx.Connect(ctx, URL(t))
		if err != nil {
			t.Fatal(err)
		}

		if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
	})

	t.Cleanup(func() { _ = conn.Close(ctx) })

	var n int
	err := current.admin.QueryRow(ctx,
		"SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n)
	if err != nil || n != 0 {
		t.Fatalf("database %q still exists after its test (count %d, %v)", name, n, err)
	}
}

// runHelper re-executes this test binary to run one helper test with extra environment.
func runHelper(t *testing.T, helper string, env ...string) (string, error) {
	t.Helper()

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	cmd := exec.CommandContext(ctx, exe, "-test.run=^"+helper+"$", "-test.v", "-test.count=1")

	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "O2C_TEST_") && !strings.HasPrefix(kv, envWatchdog) {
			cmd.Env = append(cmd.Env, kv)
		}
	}

	cmd.Env = append(cmd.Env, envHelper+"="+helper)
	cmd.Env = append(cmd.Env, env...)

	out, err := cmd.CombinedOutput()

	return string(out), err
}

func TestMissingBinariesFailTheTest(t *testing.T) {
	t.Parallel()
	empty := t.TempDir()

	out, err := runHelper(t, "TestHelperNeedsDB", EnvBinDir+"="+empty)
	if err == nil {
		t.Fatalf("helper passed without PostgreSQL binaries:\n%s", out)
	}

	for _, want := range []string{"--- FAIL: TestHelperNeedsDB", "no installed PostgreSQL",
		EnvSkipDB + "=1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	out, err = runHelper(t, "TestHelperNeedsDB", EnvBinDir+"="+empty, EnvSkipDB+"=1")
	if err != nil || !strings.Contains(out, "--- SKIP: TestHelperNeedsDB") {
		t.Errorf("with %s=1: err %v, want a skip:\n%s", EnvSkipDB, err, out)
	}
}

func TestHelperNeedsDB(t *testing.T) {
	if os.Getenv(envHelper) != t.Name() {
		t.Skip("helper for TestMissingBinariesFailTheTest")
	}

	DB(t)
}

func TestWatchdogCleansUpAfterPanic(t *testing.T) {
	t.Parallel()
	report := filepath.Join(t.TempDir(), "report")

	out, err := runHelper(t, "TestHelperPanics", "O2C_PGTEST_REPORT="+report)
	if err == nil || !strings.Contains(out, "panic: deliberate") {
		t.Fatalf("helper did not panic (err %v):\n%s", err, out)
	}

	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("helper wrote no report: %v\n%s", err, out)
	}

	fields := strings.Fields(string(b))
	if len(fields) != 2 {
		t.Fatalf("report = %q, want directory and postmaster pid", b)
	}

	dir := fields[0]

	pid, err := strconv.Atoi(fields[1])
	if err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(dir); os.IsNotExist(err) && !running(pid) {
			return
		}

		time.Sleep(50 * time.Millisecond)
	}

	t.Fatalf("after the panic, cluster directory %s or postmaster %d remains", dir, pid)
}

func TestHelperPanics(t *testing.T) {
	if os.Getenv(envHelper) != t.Name() {
		t.Skip("helper for TestWatchdogCleansUpAfterPanic")
	}

	DB(t)

	pid, ok := postmasterPID(current.server.DataDir())
	if !ok {
		t.Fatal("no running postmaster found")
	}

	report := current.dir + " " + strconv.Itoa(pid)
	if err := os.WriteFile(os.Getenv("O2C_PGTEST_REPORT"), []byte(report), 0o600); err != nil {
		t.Fatal(err)
	}

	panic("deliberate")
}

func TestExternalServer(t *testing.T) {
	t.Parallel()
	DB(t) // make sure the shared cluster runs
	ctx := context.Background()
	report := filepath.Join(t.TempDir(), "report")

	out, err := runHelper(t, "TestHelperExternal",
		EnvDatabaseURL+"="+current.urlFor("postgres"), "O2C_PGTEST_REPORT="+report)
	if err != nil || !strings.Contains(out, "--- PASS: TestHelperExternal") {
		t.Fatalf("helper against %s failed (err %v):\n%s", EnvDatabaseURL, err, out)
	}

	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}

	names := strings.Fields(string(b))
	if len(names) != 3 {
		t.Fatalf("report = %q, want template and two database names", b)
	}

	var left []string
	err = current.admin.QueryRow(ctx, "SELECT coalesce(array_agg(datname), '{}') "+
		"FROM pg_database WHERE datname = ANY($1)", names).Scan(&left)
	if err != nil {
		t.Fatal(err)
	}

	if len(left) > 0 {
		t.Errorf("the helper left databases %v behind", left)
	}
}

func TestHelperExternal(t *testing.T) {
	if os.Getenv(envHelper) != t.Name() {
		t.Skip("helper for TestExternalServer")
	}

	if current != nil {
		t.Fatal("cluster started before the first DB call")
	}

	a, b := DB(t), DB(t)

	if current.server != nil || !current.external {
		t.Fatal("a server was started although a database URL was given")
	}

	ctx := context.Background()

	var nameA, nameB string
	var id int

	if err := a.QueryRow(ctx, "SELECT current_database()").Scan(&nameA); err != nil {
		t.Fatal(err)
	}

	if err := b.QueryRow(ctx, "SELECT current_database(), (SELECT id FROM template_marker)").
		Scan(&nameB, &id); err != nil {
		t.Fatal(err)
	}

	if nameA == nameB || id != 42 {
		t.Fatalf("databases %q and %q, marker %d", nameA, nameB, id)
	}

	names := strings.Join([]string{current.template, nameA, nameB}, " ")
	if err := os.WriteFile(os.Getenv("O2C_PGTEST_REPORT"), []byte(names), 0o600); err != nil {
		t.Fatal(err)
	}
}
