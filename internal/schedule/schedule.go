// Package schedule runs o2c's periodic jobs (CRM pull, ERP refresh) on cron specs, each tick
// on one replica only.
//
// Every replica runs the same Scheduler. When a tick fires, each replica tries to insert the
// row (job, scheduled_at) into the cron_runs table; the one whose insert succeeds runs the
// job and then records when it finished, its counts and its error. The others skip the tick.
// scheduled_at is derived from the schedule, not from the moment a replica woke up, so all
// replicas compete for the same row. The table doubles as the job history:
//
//	CREATE TABLE cron_runs (job text NOT NULL, scheduled_at timestamptz NOT NULL,
//	  runner text NOT NULL, started_at timestamptz NOT NULL DEFAULT now(),
//	  finished_at timestamptz, counts jsonb, error text, PRIMARY KEY (job, scheduled_at));
//
// A job that panics is recovered, logged and recorded as failed; the process keeps running.
// A tick that comes while the job still runs in this process is skipped. Ticks missed while
// no replica was running are not caught up.
package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/robfig/cron/v3"
)

// Counts are a job run's named totals, e.g. {"deals": 12, "invoices_requested": 3}.
type Counts map[string]int

// Job is a named unit of periodic work.
type Job struct {
	// Name identifies the job in logs, in cron_runs and for RunNow, e.g. "crm_pull".
	Name string

	// Spec is a standard five-field cron spec ("*/5 * * * *"), optionally prefixed with
	// CRON_TZ=Area/City; without it the spec is read in the scheduler's location (UTC by
	// default). "" disables the schedule but keeps the job available to RunNow.
	Spec string

	// Run does the work. ctx is cancelled when Stop gives up waiting.
	Run func(ctx context.Context) (Counts, error)
}

var (
	// ErrUnknownJob is returned by RunNow for a name that was never added.
	ErrUnknownJob = errors.New("unknown job")

	// ErrRunning is returned by RunNow when the job is already running in this process.
	ErrRunning = errors.New("job already running")
)

// PanicError is the error recorded for a job that panicked.
type PanicError struct {
	// Value is what the job panicked with.
	Value any

	// Stack is the goroutine's stack at the panic.
	Stack []byte
}

// Error reports the panic value.
func (e *PanicError) Error() string {
	return fmt.Sprintf("job panicked: %v", e.Value)
}

// Option configures a Scheduler.
type Option func(*Scheduler)

// WithClock replaces time.Now when deciding which scheduled time a tick belongs to.
// Defaults to time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *Scheduler) { s.now = now }
}

// WithRunner sets the name recorded in cron_runs.runner. Defaults to "<hostname>:<pid>".
func WithRunner(name string) Option {
	return func(s *Scheduler) { s.runner = name }
}

// WithLocation sets the time zone of specs without CRON_TZ. Defaults to UTC, so that
// replicas in different zones agree.
func WithLocation(loc *time.Location) Option {
	return func(s *Scheduler) { s.loc = loc }
}

// WithSeconds makes specs start with a seconds field ("*/10 * * * * *") and claims ticks per
// second instead of per minute. Defaults to off.
func WithSeconds() Option {
	return func(s *Scheduler) { s.seconds = true }
}

// Scheduler runs jobs on their schedules. Create it with New, add jobs, then Start.
type Scheduler struct {
	pool    *pgxpool.Pool
	logger  *slog.Logger
	now     func() time.Time
	runner  string
	loc     *time.Location
	seconds bool
	parser  cron.Parser
	cron    *cron.Cron

	mu     sync.Mutex
	jobs   map[string]*entry
	ctx    context.Context // passed to jobs started by ticks
	cancel context.CancelFunc
}

// entry is an added job.
type entry struct {
	job     Job
	sched   cron.Schedule // nil when the schedule is disabled
	running sync.Mutex    // held while the job runs in this process
}

// New returns a Scheduler recording its runs through pool. It panics when pool is nil.
// A nil logger discards logs.
func New(pool *pgxpool.Pool, logger *slog.Logger, opts ...Option) *Scheduler {
	if pool == nil {
		panic("schedule: New needs a pool")
	}

	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	s := &Scheduler{
		pool:   pool,
		logger: logger,
		now:    time.Now,
		runner: defaultRunner(),
		loc:    time.UTC,
		jobs:   map[string]*entry{},
	}
	for _, opt := range opts {
		opt(s)
	}

	fields := cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor
	if s.seconds {
		fields |= cron.Second
	}

	s.parser = cron.NewParser(fields)
	s.ctx, s.cancel = context.WithCancel(context.Background())

	adapter := cronLogger{logger}
	s.cron = cron.New(
		cron.WithLocation(s.loc),
		cron.WithParser(s.parser),
		cron.WithChain(cron.Recover(adapter), cron.SkipIfStillRunning(adapter)),
	)

	return s
}

func defaultRunner() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}

	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

// Add registers a job. It fails on an empty or duplicate name, a nil Run or an invalid
// spec; "@every" specs are refused because their ticks depend on when each replica started.
// An empty spec registers the job for RunNow only. Jobs may be added after Start.
func (s *Scheduler) Add(job Job) error {
	if job.Name == "" || job.Run == nil {
		return errors.New("add job: name and run function are required")
	}

	e := &entry{job: job}

	if job.Spec != "" {
		if strings.HasPrefix(strings.TrimSpace(job.Spec), "@every") {
			return fmt.Errorf("parse schedule of job %s: %q: @every is not supported, "+
				"use a cron spec", job.Name, job.Spec)
		}

		sched, err := s.parser.Parse(job.Spec)
		if err != nil {
			return fmt.Errorf("parse schedule of job %s: %w", job.Name, err)
		}

		e.sched = sched
	}

	s.mu.Lock()
	defer s.mu.Unlock()

	if _, dup := s.jobs[job.Name]; dup {
		return fmt.Errorf("add job %s: already added", job.Name)
	}

	s.jobs[job.Name] = e

	if e.sched == nil {
		s.logger.Info("schedule: job disabled (empty spec)", slog.String("job", job.Name))

		return nil
	}

	s.cron.Schedule(e.sched, cron.FuncJob(func() { s.tick(e) }))
	s.logger.Info("schedule: job added", slog.String("job", job.Name),
		slog.String("spec", job.Spec))

	return nil
}

// Start starts firing ticks. Jobs started by ticks get a context derived from ctx.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	s.cancel()
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.mu.Unlock()

	s.cron.Start()
	s.logger.Info("schedule: started", slog.String("runner", s.runner))
}

// Stop stops firing ticks and waits for running jobs to finish. When ctx ends first it
// cancels the jobs' context and returns ctx's error without waiting further.
func (s *Scheduler) Stop(ctx context.Context) error {
	done := s.cron.Stop()

	s.mu.Lock()
	cancel := s.cancel
	s.mu.Unlock()

	select {
	case <-done.Done():
		cancel()
		s.logger.Info("schedule: stopped", slog.String("runner", s.runner))

		return nil
	case <-ctx.Done():
		cancel()

		return fmt.Errorf("stop scheduler: %w", ctx.Err())
	}
}

// RunNow runs the named job at once, in the caller's goroutine, whatever its schedule (for
// `o2c sync`). The run is recorded in cron_runs with the current time as scheduled_at and
// logged like a scheduled one. A panic is returned as a *PanicError.
func (s *Scheduler) RunNow(ctx context.Context, name string) (Counts, error) {
	s.mu.Lock()
	e, ok := s.jobs[name]
	s.mu.Unlock()

	if !ok {
		return nil, fmt.Errorf("run job %s: %w", name, ErrUnknownJob)
	}

	if !e.running.TryLock() {
		return nil, fmt.Errorf("run job %s: %w", name, ErrRunning)
	}
	defer e.running.Unlock()

	at := s.now().Truncate(time.Microsecond) // the precision of timestamptz

	claimed, err := s.claim(ctx, name, at)
	if err != nil {
		return nil, fmt.Errorf("run job %s: %w", name, err)
	}

	if !claimed {
		return nil, fmt.Errorf("run job %s: a run at %s is already recorded", name,
			at.Format(time.RFC3339Nano))
	}

	return s.execute(ctx, e, at)
}

// tick is what cron calls for a job's schedule.
func (s *Scheduler) tick(e *entry) {
	s.mu.Lock()
	ctx := s.ctx
	s.mu.Unlock()

	s.fire(ctx, e, tickTime(e.sched, s.now().In(s.loc), s.resolution()))
}

// fire runs e for the tick scheduled at `at` if this replica claims it.
func (s *Scheduler) fire(ctx context.Context, e *entry, at time.Time) {
	log := s.logger.With(slog.String("job", e.job.Name), slog.Time("scheduled_at", at))

	if !e.running.TryLock() {
		log.Warn("schedule: tick skipped, job still running")

		return
	}
	defer e.running.Unlock()

	claimed, err := s.claim(ctx, e.job.Name, at)
	if err != nil {
		log.Error("schedule: tick not run", slog.String("error", err.Error()))

		return
	}

	if !claimed {
		log.Debug("schedule: tick taken by another replica")

		return
	}

	_, _ = s.execute(ctx, e, at)
}

// execute runs the job, recovering a panic, then logs and records the outcome.
func (s *Scheduler) execute(ctx context.Context, e *entry, at time.Time) (Counts, error) {
	start := time.Now()
	counts, runErr := safeRun(ctx, e.job.Run)
	elapsed := time.Since(start)

	attrs := []any{
		slog.String("job", e.job.Name),
		slog.Time("scheduled_at", at),
		slog.Int64("duration_ms", elapsed.Milliseconds()),
		countsAttr(counts),
	}

	if err := s.finish(ctx, e.job.Name, at, counts, runErr); err != nil {
		s.logger.Error("schedule: record run", append(attrs, slog.String("error", err.Error()))...)
	}

	var perr *PanicError
	switch {
	case errors.As(runErr, &perr):
		s.logger.Error("schedule: job panicked", append(attrs,
			slog.String("error", runErr.Error()), slog.String("stack", string(perr.Stack)))...)
	case runErr != nil:
		s.logger.Error("schedule: job failed", append(attrs,
			slog.String("error", runErr.Error()))...)
	default:
		s.logger.Info("schedule: job finished", attrs...)
	}

	return counts, runErr
}

func safeRun(ctx context.Context, run func(context.Context) (Counts, error)) (c Counts,
	err error,
) {
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()

	return run(ctx)
}

// claim inserts the run's row; it reports false when another runner inserted it first.
func (s *Scheduler) claim(ctx context.Context, job string, at time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO cron_runs (job, scheduled_at, runner)
		VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, job, at, s.runner)
	if err != nil {
		return false, fmt.Errorf("claim tick: %w", err)
	}

	return tag.RowsAffected() == 1, nil
}

// finish records the outcome, even when ctx was cancelled meanwhile.
func (s *Scheduler) finish(ctx context.Context, job string, at time.Time, counts Counts,
	runErr error,
) error {
	if counts == nil {
		counts = Counts{}
	}

	b, err := json.Marshal(counts)
	if err != nil {
		return fmt.Errorf("encode counts: %w", err)
	}

	var errText *string
	if runErr != nil {
		msg := runErr.Error()
		errText = &msg
	}

	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()

	_, err = s.pool.Exec(ctx, `UPDATE cron_runs SET finished_at = now(), counts = $3::jsonb,
		error = $4 WHERE job = $1 AND scheduled_at = $2`, job, at, string(b), errText)
	if err != nil {
		return fmt.Errorf("record run: %w", err)
	}

	return nil
}

// countsAttr logs counts as a group of int attributes in key order.
func countsAttr(c Counts) slog.Attr {
	attrs := make([]any, 0, len(c))
	for _, k := range slices.Sorted(maps.Keys(c)) {
		attrs = append(attrs, slog.Int(k, c[k]))
	}

	return slog.Group("counts", attrs...)
}

func (s *Scheduler) resolution() time.Duration {
	if s.seconds {
		return time.Second
	}

	return time.Minute
}

// tickLookback bounds how late a tick may be observed and still be attributed correctly.
const tickLookback = 2 * time.Minute

// tickTime returns the scheduled time a tick observed at now belongs to: the latest
// activation of sched at or before now plus half the resolution (that slack absorbs a wall
// clock read a hair before the timer's target), truncated to the resolution.
func tickTime(sched cron.Schedule, now time.Time, res time.Duration) time.Time {
	limit := now.Add(res / 2)

	var last time.Time
	for t := sched.Next(now.Add(-tickLookback)); !t.IsZero() && !t.After(limit); t = sched.Next(t) {
		last = t
	}

	if last.IsZero() {
		last = now
	}

	return last.Truncate(res)
}

// cronLogger passes robfig/cron's log calls to slog.
type cronLogger struct {
	logger *slog.Logger
}

func (l cronLogger) Info(msg string, keysAndValues ...any) {
	l.logger.Info("schedule: cron "+msg, keysAndValues...)
}

func (l cronLogger) Error(err error, msg string, keysAndValues ...any) {
	l.logger.Error("schedule: cron "+msg,
		append([]any{slog.String("error", err.Error())}, keysAndValues...)...)
}
