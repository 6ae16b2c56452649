package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/internal/world"
	"github.com/o2c-dev/o2c/pipelines"
)

// testAppName is the application_name of the test's own database sessions, so
// that the sessions of a killed o2c can be told apart from them.
const testAppName = "o2c_crash_test"

// TestServeKilledDuringIngestEndsLikeUninterruptedRun runs the same bank files
// through two identical databases: once with "o2c ingest", uninterrupted, and
// once through "o2c serve" processes that are killed with SIGKILL inside a
// file's read and match transactions and restarted. Both must end in the same
// state: the same payments, applications, open amounts and exceptions.
func TestServeKilledDuringIngestEndsLikeUninterruptedRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the o2c binary and runs it against PostgreSQL")
	}

	bin := buildO2C(t)
	dir := t.TempDir()

	w := world.Generate(world.Config{Seed: 11, Customers: 250, DealsPerCustomer: 10})
	invs := world.InvoicesFor(w, 1)
	files := writeBankFiles(t, dir, w, invs)

	poolA, urlA := freshDB(t, w, invs)
	poolB, urlB := freshDB(t, w, invs)
	widenKillWindows(t, poolB)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// The reference: one uninterrupted "o2c ingest" that reads and matches in
	// process and waits.
	out, err := o2c(ctx, bin, urlA, append([]string{"ingest"}, files...)...)
	if err != nil {
		t.Fatalf("o2c ingest: %v\n%s", err, out)
	}

	want := takeSnapshot(t, poolA)
	checkReference(t, want, len(files))

	// The crash run: serve, submit, kill at several points, restart, finish.
	crash := crashRun(ctx, t, bin, urlB, poolB, files)

	var midway, inMatch int
	for _, k := range crash {
		t.Logf("kill %q: %s", k.point, k.outcome())
		if k.midway() {
			midway++
		}

		if k.interruptedMatch() {
			inMatch++
		}
	}

	if midway == 0 || inMatch == 0 {
		t.Fatalf("no kill landed mid-way (%d) or inside a match transaction (%d): "+
			"the crash was not tested", midway, inMatch)
	}

	got := takeSnapshot(t, poolB)
	checkMoney(t, "crash run", poolB)
	compareSnapshots(t, want, got)
}

// buildO2C builds the o2c binary once for the test that needs it, with the race
// detector when the tests run with it.
func buildO2C(t *testing.T) string {
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

	cmd := exec.Command(goTool, append(args, ".")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build o2c: %v\n%s", err, out)
	}

	return bin
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

// writeBankFiles writes a NACHA file paying most invoices and a camt.053
// statement paying some of the same invoices again, both with noise. The names
// sort in that order, which is the order o2c ingest submits them in.
func writeBankFiles(t *testing.T, dir string, w *world.World, invs []billing.Invoice) []string {
	t.Helper()

	ach := world.Pay(w, invs, world.PayConfig{Seed: 21, Fraction: 0.8, Noise: true,
		Weights: world.DefaultWeights().Without(world.KindWrongCurrency)})
	stmt := world.Pay(w, invs, world.PayConfig{Seed: 22, Fraction: 0.3, Noise: true})

	var achBuf, camtBuf bytes.Buffer
	if err := world.WriteNACHA(&achBuf, ach, w.NACHAOptions()); err != nil {
		t.Fatal(err)
	}

	if err := world.WriteCAMT053(&camtBuf, stmt, w.CAMTOptions()); err != nil {
		t.Fatal(err)
	}

	t.Logf("%d NACHA payments, %d camt.053 payments, %d invoices", len(ach), len(stmt),
		len(invs))

	paths := []string{filepath.Join(dir, "1-receipts.ach"), filepath.Join(dir, "2-statement.xml")}
	for i, b := range [][]byte{achBuf.Bytes(), camtBuf.Bytes()} {
		if err := os.WriteFile(paths[i], b, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	return paths
}

// freshDB returns a new database holding the world's customers and open
// invoices, with a pool of the test's own sessions, and its URL.
func freshDB(t *testing.T, w *world.World, invs []billing.Invoice) (*pgxpool.Pool, string) {
	t.Helper()

	url := pgtest.URL(t)
	ctx := context.Background()

	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}

	cfg.ConnConfig.RuntimeParams["application_name"] = testAppName

	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(pool.Close)

	err = store.InTx(ctx, pool, func(tx pgx.Tx) error {
		for _, c := range w.Customers {
			if _, err := store.UpsertCustomer(ctx, tx, c, "test"); err != nil {
				return err
			}
		}

		for _, inv := range invs {
			if _, err := store.SyncERPInvoice(ctx, tx, inv); err != nil {
				return err
			}
		}

		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	return pool, url
}

// widenKillWindows makes every statement that stores payments or applications
// in the crash database pause inside its transaction, after the rows took their
// ids. On a fast machine a file is otherwise read and matched between two polls
// of the test, and no kill lands inside a transaction.
func widenKillWindows(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()

	_, err := pool.Exec(context.Background(), `
		CREATE FUNCTION crash_test_pause() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			PERFORM pg_sleep(0.4);
			RETURN NULL;
		END $$;
		CREATE TRIGGER crash_test_pause AFTER INSERT ON payments
			FOR EACH STATEMENT EXECUTE FUNCTION crash_test_pause();
		CREATE TRIGGER crash_test_pause AFTER INSERT ON applications
			FOR EACH STATEMENT EXECUTE FUNCTION crash_test_pause();`)
	if err != nil {
		t.Fatalf("add the pause triggers: %v", err)
	}
}

// childEnv is the environment of o2c processes: the test's own, without any
// O2C_ setting that could point them elsewhere, an HTTP address on a free
// loopback port and no scheduled jobs.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "O2C_") {
			env = append(env, kv)
		}
	}

	return append(env, "O2C_HTTP_ADDR=127.0.0.1:0", "O2C_SCHEDULE_CRM_PULL=",
		"O2C_SCHEDULE_ERP_REFRESH=")
}

// o2c runs one o2c command to its end and returns its output.
func o2c(ctx context.Context, bin, url string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, append([]string{"--database-url", url}, args...)...)
	cmd.Env = childEnv()
	out, err := cmd.CombinedOutput()

	return string(out), err
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

// server is a running "o2c serve" process.
type server struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error // set when done is closed
}

func startServe(t *testing.T, bin, url string) *server {
	t.Helper()

	cmd := exec.Command(bin, "--database-url", url, "serve")
	cmd.Env = childEnv()

	s := &server{cmd: cmd, out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.out, s.out

	if err := cmd.Start(); err != nil {
		t.Fatalf("start o2c serve: %v", err)
	}

	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()

	t.Cleanup(func() {
		s.kill()
		if strings.Contains(s.out.String(), "DATA RACE") {
			t.Errorf("o2c serve reported a data race:\n%s", s.out)
		}
	})

	return s
}

// exited reports whether the process has ended.
func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *server) kill() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

// stop asks the process to shut down as an operator would and waits for it.
func (s *server) stop(t *testing.T) {
	t.Helper()

	// A SIGTERM that lands before o2c has installed its handler kills it the
	// default way, so wait until it says it is serving.
	ready := time.Now().Add(45 * time.Second)
	for !strings.Contains(s.out.String(), "o2c serving") {
		if s.exited() || time.Now().After(ready) {
			t.Fatalf("o2c serve never came up: %v\n%s", s.err, s.out)
		}

		time.Sleep(10 * time.Millisecond)
	}

	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("signal o2c serve: %v\n%s", err, s.out)
	}

	select {
	case <-s.done:
	case <-time.After(45 * time.Second):
		t.Fatalf("o2c serve did not stop within 45s of SIGTERM\n%s", s.out)
	}

	if s.err != nil {
		t.Fatalf("o2c serve ended with %v\n%s", s.err, s.out)
	}
}

// progress is where the processing of the submitted files stands, as seen from
// outside. Sequence values are taken by transactions before they commit and are
// never given back, so a sequence ahead of the highest committed id shows that a
// transaction which inserted rows is running or was rolled back.
type progress struct {
	files, unfinished, matched int
	paySeq, payMax             int64
	appSeq, appMax             int64
}

func readProgress(ctx context.Context, pool *pgxpool.Pool) (progress, error) {
	var p progress

	err := pool.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM bank_files),
			(SELECT count(*) FROM bank_files WHERE status NOT IN ('matched', 'rejected')),
			(SELECT count(*) FROM bank_files WHERE status = 'matched'),
			(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM payments_id_seq),
			(SELECT COALESCE(max(id), 0) FROM payments),
			(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM applications_id_seq),
			(SELECT COALESCE(max(id), 0) FROM applications)`).
		Scan(&p.files, &p.unfinished, &p.matched, &p.paySeq, &p.payMax, &p.appSeq, &p.appMax)
	if err != nil {
		return p, fmt.Errorf("read progress: %w", err)
	}

	return p, nil
}

// killPoint says when to kill serve, given the progress at the start of the
// round and now.
type killPoint struct {
	name string
	when func(start, now progress) bool
}

// kill records one SIGKILL: the progress when the round started and once the
// process was gone.
type kill struct {
	point         string
	start, after  progress
	reached       bool // the kill point was seen before the files were done
	totalExpected int
}

// midway reports whether the kill left submitted files unfinished.
func (k kill) midway() bool {
	return k.after.files == k.totalExpected && k.after.unfinished > 0
}

// interruptedMatch reports whether the kill rolled back a match transaction
// that had already applied cash in this round.
func (k kill) interruptedMatch() bool {
	return k.after.appSeq > k.start.appSeq && k.after.appSeq > k.after.appMax
}

// interruptedRead reports whether the kill rolled back the storing of a file's
// payments in this round.
func (k kill) interruptedRead() bool {
	return k.after.paySeq > k.start.paySeq && k.after.paySeq > k.after.payMax
}

func (k kill) outcome() string {
	return fmt.Sprintf("reached=%v midway=%v read_rolled_back=%v match_rolled_back=%v "+
		"(files %d, unfinished %d; payments seq %d committed %d; applications seq %d "+
		"committed %d)", k.reached, k.midway(), k.interruptedRead(), k.interruptedMatch(),
		k.after.files, k.after.unfinished, k.after.paySeq, k.after.payMax, k.after.appSeq,
		k.after.appMax)
}

// crashRun submits files to a serve process on url and kills it at each kill
// point, restarting it each time, then lets a last serve finish the work.
func crashRun(ctx context.Context, t *testing.T, bin, url string, pool *pgxpool.Pool,
	files []string) []kill {
	t.Helper()

	points := []killPoint{
		// Inside the transaction storing a file's payments if the poll sees it,
		// else right after the first file's payments were stored.
		{"storing a file's payments", func(s, p progress) bool {
			return p.paySeq > p.payMax || p.payMax > s.payMax
		}},
		{"matching a file", func(s, p progress) bool { return p.appSeq > s.appSeq }},
		{"matching after a file was matched", func(s, p progress) bool {
			return p.matched > 0 && p.appSeq > p.appMax
		}},
	}

	var kills []kill

	for i, kp := range points {
		start, err := readProgress(ctx, pool)
		if err != nil {
			t.Fatal(err)
		}

		srv := startServe(t, bin, url)

		if i == 0 {
			out, err := o2c(ctx, bin, url, append([]string{"ingest", "--no-wait"}, files...)...)
			if err != nil {
				t.Fatalf("o2c ingest --no-wait: %v\n%s", err, out)
			}
		}

		k := kill{point: kp.name, start: start, totalExpected: len(files)}
		k.reached = waitForKillPoint(ctx, t, pool, srv, start, kp, len(files))

		srv.kill()
		waitSessionsGone(ctx, t, pool)

		if k.after, err = readProgress(ctx, pool); err != nil {
			t.Fatal(err)
		}

		kills = append(kills, k)
	}

	srv := startServe(t, bin, url)

	ids := fileIDs(ctx, t, pool)
	if len(ids) != len(files) {
		t.Fatalf("%d files stored, want %d", len(ids), len(files))
	}

	wctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()

	if _, err := pipelines.WaitFiles(wctx, pool, ids, 20*time.Millisecond); err != nil {
		t.Fatalf("after the restarts: %v\n%s", err, srv.out)
	}

	srv.stop(t)

	return kills
}

// waitForKillPoint polls until the kill point is reached and reports true, or
// until every file is done (false). It fails the test if serve dies.
func waitForKillPoint(ctx context.Context, t *testing.T, pool *pgxpool.Pool, srv *server,
	start progress, kp killPoint, total int) bool {
	t.Helper()

	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if srv.exited() {
			t.Fatalf("o2c serve ended by itself: %v\n%s", srv.err, srv.out)
		}

		p, err := readProgress(ctx, pool)
		if err != nil {
			t.Fatal(err)
		}

		if kp.when(start, p) {
			return true
		}

		if p.files == total && p.unfinished == 0 {
			return false
		}

		time.Sleep(2 * time.Millisecond)
	}

	t.Fatalf("kill point %q not reached within 30s\n%s", kp.name, srv.out)

	return false
}

// waitSessionsGone waits until no session but the test's own is connected to the
// database: the killed process's transactions are over.
func waitSessionsGone(ctx context.Context, t *testing.T, pool *pgxpool.Pool) {
	t.Helper()

	deadline := time.Now().Add(15 * time.Second)
	for {
		var n int

		err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND backend_type = 'client backend'
				AND application_name <> $1`, testAppName).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}

		if n == 0 {
			return
		}

		if time.Now().After(deadline) {
			t.Fatalf("%d sessions of the killed o2c still open after 15s", n)
		}

		time.Sleep(5 * time.Millisecond)
	}
}

func fileIDs(ctx context.Context, t *testing.T, pool *pgxpool.Pool) []int64 {
	t.Helper()

	var ids []int64
	err := pool.QueryRow(ctx,
		"SELECT COALESCE(array_agg(id ORDER BY id), '{}') FROM bank_files").Scan(&ids)
	if err != nil {
		t.Fatal(err)
	}

	return ids
}

// snapshot is a database's business state keyed by natural keys (file names,
// payment dedupe keys, invoice numbers), never by generated ids.
type snapshot struct {
	counts       map[string]int64
	files        map[string][]string
	payments     map[string][]string
	applications map[string][]string
	invoices     map[string][]string
	exceptions   map[string][]string
}

// snapshotQueries give each part of a snapshot as (key, value) rows.
var snapshotQueries = map[string]string{
	"files": `SELECT name, concat_ws(' ', status, format, transactions, payments_new,
			duplicates, controls)
		FROM bank_files`,
	"payments": `SELECT dedupe_key, concat_ws(' ', status, amount_minor, currency,
			unapplied_minor, COALESCE(customer_id, '-'))
		FROM payments`,
	"applications": `SELECT p.dedupe_key || ' ' || a.invoice_number,
			concat_ws(' ', a.amount_minor, a.discount_minor, a.writeoff_minor, a.currency,
				a.rule, a.rules_version, a.source, a.erp_state, a.explanation)
		FROM applications a JOIN payments p ON p.id = a.payment_id`,
	"invoices": `SELECT number, concat_ws(' ', status, total_minor, open_minor) FROM invoices`,
	"exceptions": `SELECT p.dedupe_key, concat_ws(' ', e.status, e.reason, e.amount_minor,
			e.currency, (SELECT string_agg(c->>'invoice_number', ',' ORDER BY o)
				FROM jsonb_array_elements(e.candidates) WITH ORDINALITY AS x(c, o)))
		FROM exceptions e JOIN payments p ON p.id = e.payment_id`,
}

func takeSnapshot(t *testing.T, pool *pgxpool.Pool) snapshot {
	t.Helper()

	ctx := context.Background()
	s := snapshot{counts: map[string]int64{}}

	for _, table := range []string{"bank_files", "payments", "applications", "invoices",
		"exceptions"} {
		var n int64
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}

		s.counts[table] = n
	}

	parts := map[string]*map[string][]string{"files": &s.files, "payments": &s.payments,
		"applications": &s.applications, "invoices": &s.invoices,
		"exceptions": &s.exceptions}

	for name, q := range snapshotQueries {
		rows, err := pool.Query(ctx, q)
		if err != nil {
			t.Fatalf("snapshot %s: %v", name, err)
		}

		m := map[string][]string{}
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				t.Fatalf("snapshot %s: %v", name, err)
			}

			m[k] = append(m[k], v)
		}

		if err := rows.Err(); err != nil {
			t.Fatalf("snapshot %s: %v", name, err)
		}

		for _, vs := range m {
			sort.Strings(vs)
		}

		*parts[name] = m
	}

	return s
}

// checkReference makes sure the uninterrupted run did enough for the comparison
// to mean something.
func checkReference(t *testing.T, s snapshot, files int) {
	t.Helper()

	for name, vs := range s.files {
		if !strings.HasPrefix(vs[0], store.FileMatched+" ") {
			t.Fatalf("reference run: file %s is %s, want matched", name, vs[0])
		}
	}

	if len(s.files) != files || s.counts["payments"] < 2000 ||
		s.counts["applications"] < 1000 || s.counts["exceptions"] == 0 {
		t.Fatalf("reference run did too little to compare: %v", s.counts)
	}

	t.Logf("reference run: %v", s.counts)
}

// checkMoney checks that every invoice's paid part is exactly what was applied
// to it and every payment's applied part is exactly what it paid.
func checkMoney(t *testing.T, run string, pool *pgxpool.Pool) {
	t.Helper()

	var badInvoices, badPayments []string

	err := pool.QueryRow(context.Background(), `SELECT
		COALESCE((SELECT array_agg(i.number) FROM invoices i
			WHERE i.total_minor - i.open_minor <> COALESCE((SELECT
				sum(a.amount_minor + a.discount_minor + a.writeoff_minor)
				FROM applications a WHERE a.invoice_number = i.number), 0)), '{}'),
		COALESCE((SELECT array_agg(p.dedupe_key) FROM payments p
			WHERE p.status <> 'not_cash' AND p.amount_minor - p.unapplied_minor <>
				COALESCE((SELECT sum(a.amount_minor) FROM applications a
					WHERE a.payment_id = p.id), 0)), '{}')`).
		Scan(&badInvoices, &badPayments)
	if err != nil {
		t.Fatal(err)
	}

	if len(badInvoices) > 0 || len(badPayments) > 0 {
		t.Errorf("%s: applications disagree with invoices %v and payments %v", run,
			clipList(badInvoices), clipList(badPayments))
	}
}

func clipList(s []string) []string {
	if len(s) > 10 {
		return append(s[:10:10], fmt.Sprintf("and %d more", len(s)-10))
	}

	return s
}

// compareSnapshots reports every part where got differs from want, with a few
// differing keys each.
func compareSnapshots(t *testing.T, want, got snapshot) {
	t.Helper()

	for table, n := range want.counts {
		if got.counts[table] != n {
			t.Errorf("%s: %d rows after the crashes, %d uninterrupted", table,
				got.counts[table], n)
		}
	}

	parts := []struct {
		name      string
		want, got map[string][]string
	}{
		{"files", want.files, got.files},
		{"payments", want.payments, got.payments},
		{"applications", want.applications, got.applications},
		{"invoices", want.invoices, got.invoices},
		{"exceptions", want.exceptions, got.exceptions},
	}

	for _, p := range parts {
		var diffs []string

		keys := make([]string, 0, len(p.want)+len(p.got))
		for k := range p.want {
			keys = append(keys, k)
		}

		for k := range p.got {
			if _, ok := p.want[k]; !ok {
				keys = append(keys, k)
			}
		}

		sort.Strings(keys)
		for _, k := range keys {
			if !slices.Equal(p.want[k], p.got[k]) {
				diffs = append(diffs, fmt.Sprintf("%s: uninterrupted %q, after crashes %q", k,
					p.want[k], p.got[k]))
			}
		}

		if len(diffs) > 0 {
			t.Errorf("%s: %d of %d keys differ:\n%s", p.name, len(diffs), len(keys),
				strings.Join(clipList(diffs), "\n"))
		}
	}
}
