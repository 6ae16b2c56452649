package pipelines_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/pipelines"
)

func TestFailingMessageIsRetriedPoisonedListedAndReplayedOnce(t *testing.T) {
	t.Parallel()

	b := setup(t, nil)
	ctx := context.Background()

	// A message about a file that does not exist fails every time.
	err := store.InTx(ctx, b.pool, func(tx pgx.Tx) error {
		return pipelines.Publish(ctx, tx, pipelines.TopicBankFileReceived,
			pipelines.BankFileReceived{FileID: 424242})
	})
	if err != nil {
		t.Fatal(err)
	}

	var poisoned []pipelines.Poisoned
	waitFor(t, "message poisoned", func() bool {
		poisoned, err = pipelines.ListPoisoned(ctx, b.pool)
		if err != nil {
			t.Fatal(err)
		}

		return len(poisoned) == 1
	})

	p := poisoned[0]
	if p.Topic != pipelines.TopicBankFileReceived || p.Handler != "read_bank_file" ||
		p.Reason == "" || p.Replayed {
		t.Fatalf("poisoned = %+v", p)
	}

	// The topic is not blocked behind it: a real file goes through.
	s, err := pipelines.Submit(ctx, b.pool, "ok.csv", []byte(
		"Date,Transaction ID,Payer,Description,Amount,Currency\n"+
			"2025-01-13,T9,ACME,thanks,10.00,USD\n"), "treasury")
	if err != nil {
		t.Fatal(err)
	}

	if _, err := pipelines.WaitFiles(ctx, b.pool, []int64{s.File.ID}, pollEvery); err != nil {
		t.Fatal(err)
	}

	if err := pipelines.Replay(ctx, b.pool, p.UUID, "ops"); err != nil {
		t.Fatal(err)
	}

	if err := pipelines.Replay(ctx, b.pool, p.UUID, "ops"); !errors.Is(err,
		pipelines.ErrAlreadyReplayed) {
		t.Fatalf("second replay err = %v, want ErrAlreadyReplayed", err)
	}

	// The replayed message fails again and is poisoned again, as a new entry.
	waitFor(t, "replayed message poisoned again", func() bool {
		poisoned, err = pipelines.ListPoisoned(ctx, b.pool)
		return err == nil && len(poisoned) == 2
	})

	if !poisoned[0].Replayed || poisoned[1].Replayed {
		t.Fatalf("replayed flags = %v, %v", poisoned[0].Replayed, poisoned[1].Replayed)
	}
}
