package demo_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/o2c-dev/o2c/internal/service"

	"github.com/o2c-dev/o2c/internal/samplefiles"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/internal/demo"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/store"
)

func TestMain(m *testing.M) {
	pgtest.SetTemplate(service.Prepare)
	pgtest.Main(m)
}

// samplesDir returns the shared samples folder (see internal/samplefiles), or skips.
func samplesDir(t *testing.T) string {
	t.Helper()

	return samplefiles.Dir(t)
}

func TestDemoRunsEndToEndWithLostResponsesAndRealSamples(t *testing.T) {
	t.Parallel()

	pool := pgtest.DB(t)
	samples := samplesDir(t)

	sum, err := demo.Run(context.Background(), demo.Options{
		Customers: 12, DealsPerCustomer: 2, Extra: []string{samples}, LoseResponses: true,
		Logger: slog.New(slog.NewTextHandler(os.Stderr,
			&slog.HandlerOptions{Level: slog.LevelWarn})),
		Pool:         pool,
		ReadBankFile: bank.Scan, Seed: 3, WorkDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}

	if sum.DealsPulled != 24 {
		t.Errorf("deals pulled = %d, want 24", sum.DealsPulled)
	}

	if sum.InvoicesInERP != sum.DealsPulled || sum.DuplicateInvoices != 0 {
		t.Errorf("xero has %d invoices (%d duplicated) for %d deals", sum.InvoicesInERP,
			sum.DuplicateInvoices, sum.DealsPulled)
	}

	if sum.Applied == 0 {
		t.Error("nothing applied")
	}

	if sum.ERPPaymentsPending != 0 {
		t.Errorf("%d payments not recorded in xero", sum.ERPPaymentsPending)
	}

	// Every file of the folder but its notes (SOURCES.md) is a bank file.
	var files int
	_ = filepath.WalkDir(samples, func(_ string, d os.DirEntry, _ error) error {
		if d.Type().IsRegular() && filepath.Ext(d.Name()) != ".md" {
			files++
		}

		return nil
	})

	if len(sum.Files) != files+len(sum.Generated) {
		t.Fatalf("%d files ended, want %d samples + %d generated", len(sum.Files), files,
			len(sum.Generated))
	}

	for _, f := range sum.Files {
		switch f.Status {
		case store.FileMatched:
		case store.FileRejected:
			if f.Error == "" {
				t.Errorf("%s rejected without a reason", f.Name)
			}
		default:
			t.Errorf("%s ended %s", f.Name, f.Status)
		}
	}

	for _, f := range sum.Files[:len(sum.Generated)] {
		if f.Status != store.FileMatched {
			t.Errorf("generated file %s: %s %s", f.Name, f.Status, f.Error)
		}
	}
}
