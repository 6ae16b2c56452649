package schedule

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/robfig/cron/v3"

	"github.com/o2c-dev/o2c/internal/pgtest"
)

func TestMain(m *testing.M) {
	pgtest.Main(m)
}

// cronRunsDDL is the table as the store's migrations create it.
const cronRunsDDL = `CREATE TABLE cron_runs (job text NOT NULL, scheduled_at timestamptz NOT NULL,
	runner text NOT NULL, started_at timestamptz NOT NULL DEFAULT now(),
	finished_at timestamptz, counts jsonb, error text, PRIMARY KEY (job, scheduled_at))`

func testDB(t *testing.T) *pgxpool.Pool {
	t.Helper()

	pool := pgtest.DB(t)
	if _, err := pool.Exec(context.Background(), cronRunsDDL); err != nil {
		t.Fatal(err)
	}

	return pool
}

// logBuffer collects JSON log lines from concurrent goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()

	return b.buf.Write(p)
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// records returns the parsed log lines whose message is msg.
func (b *logBuffer) records(t *testing.T, msg string) []map[string]any {
	t.Helper()

	b.mu.Lock()
	defer b.mu.Unlock()

	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	sc.Buffer(make([]byte, 0, 1<<20), 1<<20)

	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", sc.Text())
		}

		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}

	return out
}

type run struct {
	Runner      string
	Finished    bool
	Counts      map[string]int
	Error       *string
	ScheduledAt time.Time
}

func runs(t *testing.T, pool *pgxpool.Pool, job string) []run {
	t.Helper()

	rows, err := pool.Query(context.Background(), `SELECT runner, finished_at IS NOT NULL,
		counts, error, scheduled_at FROM cron_runs WHERE job = $1 ORDER BY scheduled_at`, job)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()

	var out []run
	for rows.Next() {
		var r run
		if err := rows.Scan(&r.Runner, &r.Finished, &r.Counts, &r.Error,
			&r.ScheduledAt); err != nil {
			t.Fatal(err)
		}

		out = append(out, r)
	}

	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	return out
}

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()

	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()

	c.now = t
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()

	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}

	return v
}

// tickAll fires the named job's tick on every scheduler at once, as replicas woken by the
// same schedule would, and waits for them.
func tickAll(t *testing.T, name string, schedulers ...*Scheduler) {
	t.Helper()

	var wg sync.WaitGroup
	start := make(chan struct{})

	for _, s := range schedulers {
		s.mu.Lock()
		e := s.jobs[name]
		s.mu.Unlock()

		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			s.tick(e)
		}()
	}

	close(start)
	wg.Wait()
}

func TestTickRunsOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	pool := testDB(t)
	clk := &clock{}

	var calls atomic.Int32
	job := Job{Name: "crm_pull", Spec: "*/5 * * * *", Run: func(context.Context) (Counts, error) {
		calls.Add(1)

		return Counts{"deals": 3}, nil
	}}

	var replicas []*Scheduler
	for _, name := range []string{"replica-a", "replica-b", "replica-c"} {
		s := New(pool, nil, WithClock(clk.Now), WithRunner(name))
		if err := s.Add(job); err != nil {
			t.Fatal(err)
		}

		replicas = append(replicas, s)
	}

	// Each replica wakes a little differently; all belong to the 10:05 tick.
	clk.Set(mustTime(t, "2026-03-02T10:05:00.250Z"))
	tickAll(t, "crm_pull", replicas...)

	if got := calls.Load(); got != 1 {
		t.Fatalf("job ran %d times for one tick, want 1", got)
	}

	// A replica waking late still attributes its tick to 10:05 and does not run again.
	clk.Set(mustTime(t, "2026-03-02T10:06:10Z"))
	tickAll(t, "crm_pull", replicas[1])

	// One whose clock reads a hair before 10:10 belongs to the 10:10 tick.
	clk.Set(mustTime(t, "2026-03-02T10:09:59.990Z"))
	tickAll(t, "crm_pull", replicas...)

	if got := calls.Load(); got != 2 {
		t.Fatalf("job ran %d times for two ticks, want 2", got)
	}

	got := runs(t, pool, "crm_pull")
	if len(got) != 2 {
		t.Fatalf("cron_runs has %d rows, want 2: %+v", len(got), got)
	}

	for i, want := range []string{"2026-03-02T10:05:00Z", "2026-03-02T10:10:00Z"} {
		r := got[i]
		if !r.ScheduledAt.Equal(mustTime(t, want)) || !r.Finished || r.Error != nil ||
			r.Counts["deals"] != 3 || !strings.HasPrefix(r.Runner, "replica-") {
			t.Errorf("run %d = %+v, want a finished run at %s with deals=3", i, r, want)
		}
	}
}

func TestPanickingJobIsRecoveredAndRecorded(t *testing.T) {
	t.Parallel()
	pool := testDB(t)
	logs := &logBuffer{}
	clk := &clock{}

	var calls atomic.Int32
	s := New(pool, logs.logger(), WithClock(clk.Now), WithRunner("solo"))

	err := s.Add(Job{Name: "erp_refresh", Spec: "*/15 * * * *",
		Run: func(context.Context) (Counts, error) {
			if calls.Add(1) == 1 {
				panic("boom")
			}

			return Counts{"invoices": 4}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}

	clk.Set(mustTime(t, "2026-03-02T10:15:00.001Z"))
	tickAll(t, "erp_refresh", s)

	clk.Set(mustTime(t, "2026-03-02T10:30:00.001Z"))
	tickAll(t, "erp_refresh", s)

	got := runs(t, pool, "erp_refresh")
	if len(got) != 2 {
		t.Fatalf("cron_runs rows = %+v, want 2", got)
	}

	if got[0].Error == nil || !strings.Contains(*got[0].Error, "panicked: boom") ||
		!got[0].Finished {
		t.Errorf("panicking run recorded as %+v, want finished with the panic", got[0])
	}

	if got[1].Error != nil || got[1].Counts["invoices"] != 4 {
		t.Errorf("next run = %+v, want success with invoices=4", got[1])
	}

	recs := logs.records(t, "schedule: job panicked")
	if len(recs) != 1 || recs[0]["level"] != "ERROR" || recs[0]["job"] != "erp_refresh" ||
		!strings.Contains(recs[0]["error"].(string), "boom") {
		t.Fatalf("panic log = %v", recs)
	}

	// RunNow reports a panic as an error too.
	calls.Store(0)

	_, err = s.RunNow(context.Background(), "erp_refresh")

	var perr *PanicError
	if !errors.As(err, &perr) || perr.Value != "boom" {
		t.Fatalf("RunNow error = %v, want a PanicError", err)
	}
}

func TestRunLogsCounts(t *testing.T) {
	t.Parallel()
	pool := testDB(t)
	logs := &logBuffer{}
	clk := &clock{}
	s := New(pool, logs.logger(), WithClock(clk.Now))

	err := s.Add(Job{Name: "crm_pull", Spec: "0 * * * *",
		Run: func(context.Context) (Counts, error) {
			return Counts{"deals": 12, "invoices_requested": 3}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}

	clk.Set(mustTime(t, "2026-03-02T11:00:00.004Z"))
	tickAll(t, "crm_pull", s)

	recs := logs.records(t, "schedule: job finished")
	if len(recs) != 1 {
		t.Fatalf("finished logs = %v, want 1", recs)
	}

	rec := recs[0]
	counts, _ := rec["counts"].(map[string]any)

	if rec["level"] != "INFO" || rec["job"] != "crm_pull" ||
		rec["scheduled_at"] != "2026-03-02T11:00:00Z" || rec["duration_ms"] == nil ||
		counts["deals"] != 12.0 || counts["invoices_requested"] != 3.0 {
		t.Fatalf("log record = %v", rec)
	}
}

func TestFailingJobIsRecorded(t *testing.T) {
	t.Parallel()
	pool := testDB(t)
	logs := &logBuffer{}
	s := New(pool, logs.logger(), WithRunner("cli"))

	errCRM := errors.New("crm unavailable")
	if err := s.Add(Job{Name: "crm_pull", Run: func(context.Context) (Counts, error) {
		return Counts{"deals": 1}, errCRM
	}}); err != nil {
		t.Fatal(err)
	}

	counts, err := s.RunNow(context.Background(), "crm_pull")
	if !errors.Is(err, errCRM) || counts["deals"] != 1 {
		t.Fatalf("RunNow = %v, %v; want the job's counts and error", counts, err)
	}

	got := runs(t, pool, "crm_pull")
	if len(got) != 1 || got[0].Error == nil || *got[0].Error != "crm unavailable" ||
		got[0].Runner != "cli" || got[0].Counts["deals"] != 1 {
		t.Fatalf("recorded %+v", got)
	}

	if recs := logs.records(t, "schedule: job failed"); len(recs) != 1 ||
		recs[0]["error"] != "crm unavailable" {
		t.Errorf("failure log = %v", recs)
	}
}

func TestDisabledSpec(t *testing.T) {
	t.Parallel()
	pool := testDB(t)
	logs := &logBuffer{}
	s := New(pool, logs.logger())

	var calls atomic.Int32
	if err := s.Add(Job{Name: "erp_refresh", Spec: "", Run: func(context.Context) (Counts,
		error,
	) {
		calls.Add(1)

		return Counts{"invoices": 2}, nil
	}}); err != nil {
		t.Fatalf("Add with empty spec: %v", err)
	}

	if n := len(s.cron.Entries()); n != 0 {
		t.Errorf("disabled job scheduled (%d entries)", n)
	}

	if recs := logs.records(t, "schedule: job disabled (empty spec)"); len(recs) != 1 ||
		recs[0]["job"] != "erp_refresh" || recs[0]["level"] != "INFO" {
		t.Errorf("disabled log = %v", recs)
	}

	counts, err := s.RunNow(context.Background(), "erp_refresh")
	if err != nil || counts["invoices"] != 2 || calls.Load() != 1 {
		t.Fatalf("RunNow of a disabled job = %v, %v", counts, err)
	}

	if got := runs(t, pool, "erp_refresh"); len(got) != 1 || !got[0].Finished {
		t.Errorf("manual run not recorded: %+v", got)
	}
}

func TestAddRejectsBadJobs(t *testing.T) {
	t.Parallel()
	s := New(&pgxpool.Pool{}, nil)
	ok := func(context.Context) (Counts, error) { return nil, nil }

	if err := s.Add(Job{Name: "crm_pull", Spec: "*/5 * * * *", Run: ok}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		job  Job
		want string
	}{
		{"words", Job{Name: "a", Spec: "every five minutes", Run: ok}, "job a"},
		{"out of range", Job{Name: "b", Spec: "61 * * * *", Run: ok}, "job b"},
		{"seconds field", Job{Name: "c", Spec: "0 */5 * * * *", Run: ok}, "job c"},
		{"every", Job{Name: "d", Spec: "@every 5m", Run: ok}, "@every"},
		{"duplicate", Job{Name: "crm_pull", Run: ok}, "already added"},
		{"no name", Job{Spec: "* * * * *", Run: ok}, "name"},
		{"no run", Job{Name: "e", Spec: "* * * * *"}, "run function"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Add(tt.job)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Add(%+v) error = %v, want one mentioning %q", tt.job, err, tt.want)
			}
		})
	}

	if _, err := s.RunNow(context.Background(), "nope"); !errors.Is(err, ErrUnknownJob) {
		t.Errorf("RunNow of an unknown job: %v", err)
	}
}

func TestRunNowRefusesConcurrentRun(t *testing.T) {
	t.Parallel()
	pool := testDB(t)
	s := New(pool, nil)

	started, release := make(chan struct{}), make(chan struct{})
	if err := s.Add(Job{Name: "crm_pull", Run: func(context.Context) (Counts, error) {
		close(started)
		<-release

		return nil, nil
	}}); err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() {
		_, err := s.RunNow(context.Background(), "crm_pull")
		done <- err
	}()

	<-started

	if _, err := s.RunNow(context.Background(), "crm_pull"); !errors.Is(err, ErrRunning) {
		t.Errorf("second RunNow error = %v, want ErrRunning", err)
	}

	close(release)

	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestCronFiresOncePerTickAcrossReplicas runs two started schedulers with a per-second
// spec against one database and checks every tick ran exactly once.
func TestCronFiresOncePerTickAcrossReplicas(t *testing.T) {
	t.Parallel()
	pool := testDB(t)

	var calls atomic.Int32
	job := Job{Name: "crm_pull", Spec: "* * * * * *", Run: func(context.Context) (Counts,
		error,
	) {
		calls.Add(1)

		return Counts{"deals": 1}, nil
	}}

	var replicas []*Scheduler
	for _, name := range []string{"a", "b"} {
		s := New(pool, nil, WithSeconds(), WithRunner(name))
		if err := s.Add(job); err != nil {
			t.Fatal(err)
		}

		replicas = append(replicas, s)
	}

	ctx := context.Background()
	for _, s := range replicas {
		s.Start(ctx)
	}

	waitFor(t, 3*time.Second, func() bool {
		var n int
		err := pool.QueryRow(ctx, "SELECT count(*) FROM cron_runs WHERE finished_at IS NOT NULL").
			Scan(&n)

		return err == nil && n >= 1
	})

	for _, s := range replicas {
		if err := s.Stop(ctx); err != nil {
			t.Fatal(err)
		}
	}

	got := runs(t, pool, "crm_pull")
	if len(got) == 0 || int(calls.Load()) != len(got) {
		t.Fatalf("job ran %d times for %d recorded ticks", calls.Load(), len(got))
	}

	for _, r := range got {
		if r.ScheduledAt.Nanosecond() != 0 || !r.Finished {
			t.Errorf("run %+v: want a whole-second tick that finished", r)
		}
	}
}

func TestStopWaitsForRunningJob(t *testing.T) {
	t.Parallel()
	pool := testDB(t)
	s := New(pool, nil, WithSeconds())

	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once

	if err := s.Add(Job{Name: "slow", Spec: "* * * * * *", Run: func(ctx context.Context) (
		Counts, error,
	) {
		once.Do(func() { close(started) })

		select {
		case <-release:
			return Counts{"done": 1}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}}); err != nil {
		t.Fatal(err)
	}

	s.Start(context.Background())

	select {
	case <-started:
	case <-time.After(3 * time.Second):
		t.Fatal("job never started")
	}

	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()

	if err := s.Stop(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop with a short deadline = %v, want DeadlineExceeded", err)
	}

	// Stop cancelled the job's context: the run ends and is recorded as such.
	if err := s.Stop(context.Background()); err != nil {
		t.Fatalf("second Stop: %v", err)
	}

	got := runs(t, pool, "slow")
	if len(got) != 1 || got[0].Error == nil || !strings.Contains(*got[0].Error, "canceled") {
		t.Fatalf("runs = %+v, want one cancelled run", got)
	}

	close(release)
}

func TestStopWaitsForJobToFinish(t *testing.T) {
	t.Parallel()
	pool := testDB(t)
	s := New(pool, nil, WithSeconds())

	started := make(chan struct{})
	var once sync.Once

	if err := s.Add(Job{Name: "slow", Spec: "* * * * * *", Run: func(context.Context) (
		Counts, error,
	) {
		once.Do(func() { close(started) })
		time.Sleep(200 * time.Millisecond)

		return Counts{"done": 1}, nil
	}}); err != nil {
		t.Fatal(err)
	}

	s.Start(context.Background())

	select {
	case <-started:
	case <-time.After(3 * time.Second):
		t.Fatal("job never started")
	}

	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}

	got := runs(t, pool, "slow")
	if len(got) == 0 || !got[0].Finished || got[0].Counts["done"] != 1 {
		t.Fatalf("Stop returned before the job finished: %+v", got)
	}
}

func waitFor(t *testing.T, limit time.Duration, cond func() bool) {
	t.Helper()

	for deadline := time.Now().Add(limit); time.Now().Before(deadline); {
		if cond() {
			return
		}

		time.Sleep(20 * time.Millisecond)
	}

	t.Fatalf("condition not met within %s", limit)
}

func TestTickTime(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}

	standard := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow |
		cron.Descriptor)
	seconds := cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month |
		cron.Dow | cron.Descriptor)

	tests := []struct {
		parser cron.Parser
		spec   string
		now    string
		res    time.Duration
		want   string
	}{
		{standard, "*/5 * * * *", "2026-03-02T10:05:00.003Z", time.Minute, "2026-03-02T10:05:00Z"},
		{standard, "*/5 * * * *", "2026-03-02T10:04:59.999Z", time.Minute, "2026-03-02T10:05:00Z"},
		{standard, "*/5 * * * *", "2026-03-02T10:06:20Z", time.Minute, "2026-03-02T10:05:00Z"},
		{standard, "0 * * * *", "2026-03-02T11:00:01Z", time.Minute, "2026-03-02T11:00:00Z"},
		{standard, "@hourly", "2026-03-02T11:00:00Z", time.Minute, "2026-03-02T11:00:00Z"},
		{standard, "CRON_TZ=Europe/Berlin 0 6 * * *", "2026-03-02T05:00:00.2Z", time.Minute,
			"2026-03-02T05:00:00Z"},
		{seconds, "*/10 * * * * *", "2026-03-02T10:00:20.004Z", time.Second,
			"2026-03-02T10:00:20Z"},
		{seconds, "* * * * * *", "2026-03-02T10:00:20.9Z", time.Second, "2026-03-02T10:00:21Z"},
	}
	for _, tt := range tests {
		sched, err := tt.parser.Parse(tt.spec)
		if err != nil {
			t.Fatal(err)
		}

		now := mustTime(t, tt.now).In(berlin) // the zone of now must not matter
		got := tickTime(sched, now, tt.res)

		if !got.Equal(mustTime(t, tt.want)) {
			t.Errorf("tickTime(%q, %s) = %s, want %s", tt.spec, tt.now, got.UTC(), tt.want)
		}
	}
}
