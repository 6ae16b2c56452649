package pipelines_test

import (
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/service"
	"github.com/o2c-dev/o2c/pipelines"
)

// A message whose handler is cut off by the router shutting down is not poison:
// it stays on its topic and the next router takes it.
func TestShutdownMidMessageLeavesItForTheNextRouter(t *testing.T) {
	t.Parallel()

	pool := pgtest.DB(t)
	ctx := context.Background()

	entered := make(chan struct{})
	release := make(chan struct{})

	var once sync.Once

	// The reader stands for a handler that is working when the router closes: it
	// waits for the shutdown and then fails the way a cancelled query does.
	cut := func(string, io.Reader, func(bankfile.Transaction) error) (*bankfile.File, int,
		error) {
		once.Do(func() { close(entered) })
		<-release

		return nil, 0, fmt.Errorf("store payments: %w", context.Canceled)
	}

	stop, err := service.RunRouter(ctx, pipelines.Config{Pool: pool, ReadBankFile: cut,
		PollInterval: 20 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}

	s, err := pipelines.Submit(ctx, pool, "cut.csv", []byte(
		"Date,Transaction ID,Payer,Description,Amount,Currency\n"+
			"2025-01-13,T1,ACME,thanks,10.00,USD\n"), "treasury")
	if err != nil {
		t.Fatal(err)
	}

	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the handler never started")
	}

	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()

	time.Sleep(100 * time.Millisecond) // let Close begin before the handler fails
	close(release)

	if err := <-stopped; err != nil {
		t.Fatalf("stop router: %v", err)
	}

	poisoned, err := pipelines.ListPoisoned(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}

	if len(poisoned) != 0 {
		t.Fatalf("a message cut off by shutdown was poisoned: %+v", poisoned)
	}

	// The next router reads the file.
	stop2, err := service.RunRouter(ctx, pipelines.Config{Pool: pool, ReadBankFile: bank.Scan,
		PollInterval: 20 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(func() {
		if err := stop2(); err != nil {
			t.Errorf("stop router: %v", err)
		}
	})

	files, err := pipelines.WaitFiles(ctx, pool, []int64{s.File.ID}, pollEvery)
	if err != nil {
		t.Fatal(err)
	}

	if files[0].Status == "rejected" || files[0].PaymentsNew != 1 {
		t.Fatalf("file after restart: %+v", files[0])
	}
}
