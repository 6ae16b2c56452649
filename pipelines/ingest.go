package pipelines

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/store"
)

// Submission is the outcome of handing a bank file to o2c.
type Submission struct {
	File store.BankFile
	// Duplicate is true when the same bytes were received before: nothing new was
	// stored and File is the earlier one.
	Duplicate bool
	// Retried is true when the same bytes had been rejected before: the earlier
	// file is read again (after a fix of the reader or of the settings).
	Retried bool
}

// Message says in a sentence what happened to a file handed over again, "" for a
// new file.
func (s Submission) Message() string {
	at := s.File.ReceivedAt.UTC().Format(time.RFC3339)

	switch {
	case s.Retried:
		return fmt.Sprintf("file was rejected when received on %s as file %d; reading it again",
			at, s.File.ID)
	case s.Duplicate:
		return fmt.Sprintf("file already imported on %s as file %d; nothing added", at,
			s.File.ID)
	}

	return ""
}

// Submit stores a bank file's raw bytes and queues it for reading, in one
// transaction. The same bytes submitted again are recognised by their SHA-256 and
// queued nowhere.
func Submit(ctx context.Context, pool *pgxpool.Pool, name string, raw []byte,
	uploader string) (Submission, error) {
	var s Submission

	err := store.InTx(ctx, pool, func(tx pgx.Tx) error {
		f, dup, err := store.InsertBankFile(ctx, tx, name, raw, uploader)
		if err != nil {
			return err
		}

		s = Submission{File: f, Duplicate: dup}
		if dup && f.Status == store.FileRejected {
			s = Submission{File: f, Retried: true}
			return resubmit(ctx, tx, f.ID, uploader)
		}

		if dup {
			return nil
		}

		err = store.Audit(ctx, tx, uploader, "receive", "bank_file", strconv.FormatInt(f.ID, 10),
			nil, map[string]any{"name": name, "sha256": f.SHA256, "size_bytes": f.Size})
		if err != nil {
			return err
		}

		return Publish(ctx, tx, TopicBankFileReceived, BankFileReceived{FileID: f.ID})
	})
	if err != nil {
		return s, fmt.Errorf("submit %s: %w", name, err)
	}

	return s, nil
}

// Resubmit queues a rejected file to be read again, after a reader fix or a
// configuration change.
func Resubmit(ctx context.Context, pool *pgxpool.Pool, fileID int64, actor string) error {
	return store.InTx(ctx, pool, func(tx pgx.Tx) error {
		return resubmit(ctx, tx, fileID, actor)
	})
}

func resubmit(ctx context.Context, tx pgx.Tx, fileID int64, actor string) error {
	if err := store.RetryBankFile(ctx, tx, fileID); err != nil {
		return err
	}

	err := store.Audit(ctx, tx, actor, "retry", "bank_file", strconv.FormatInt(fileID, 10),
		map[string]string{"status": store.FileRejected},
		map[string]string{"status": store.FileReceived})
	if err != nil {
		return err
	}

	return Publish(ctx, tx, TopicBankFileReceived, BankFileReceived{FileID: fileID})
}

// readBankFile reads a received file and stores its transactions, skipping those
// already known from an earlier file. A file that cannot be read is rejected with
// every problem found; its raw bytes stay for a later retry.
func (h *handlers) readBankFile(msg *message.Message) error {
	var m BankFileReceived
	if err := decode(msg, &m); err != nil {
		return err
	}

	ctx := msg.Context()

	f, err := store.GetBankFile(ctx, h.cfg.Pool, m.FileID)
	if err != nil {
		return err
	}

	if f.Status != store.FileReceived {
		return nil
	}

	name, raw, err := store.BankFileRaw(ctx, h.cfg.Pool, m.FileID)
	if err != nil {
		return err
	}

	parsed, readErr := h.cfg.ReadBankFile(name, raw)

	id := strconv.FormatInt(m.FileID, 10)

	if readErr != nil {
		var ferr *bankfile.Error

		format := string(bankfile.FormatUnknown)
		problems := []bankfile.Problem{{File: name, Message: readErr.Error()}}
		if errors.As(readErr, &ferr) {
			format, problems = string(ferr.Format), ferr.Problems
		}

		h.cfg.Logger.WarnContext(ctx, "Bank file rejected", "file_id", m.FileID,
			"problems", len(problems))

		return store.InTx(ctx, h.cfg.Pool, func(tx pgx.Tx) error {
			err := store.RejectBankFile(ctx, tx, m.FileID, format, readErr.Error(), problems)
			if err != nil {
				return err
			}

			return store.Audit(ctx, tx, "o2c", "reject", "bank_file", id,
				map[string]string{"status": f.Status},
				map[string]any{"status": store.FileRejected, "problems": len(problems)})
		})
	}

	var inserted, dups int

	err = store.InTx(ctx, h.cfg.Pool, func(tx pgx.Tx) error {
		var err error

		inserted, dups, err = store.InsertPayments(ctx, tx, m.FileID, f.SHA256,
			parsed.Transactions)
		if err != nil {
			return err
		}

		err = store.MarkBankFileIngested(ctx, tx, m.FileID, parsed, inserted, dups)
		if err != nil {
			return err
		}

		err = store.Audit(ctx, tx, "o2c", "ingest", "bank_file", id,
			map[string]string{"status": f.Status},
			map[string]any{"status": store.FileIngested, "format": parsed.Format,
				"transactions": len(parsed.Transactions), "new": inserted, "duplicates": dups})
		if err != nil {
			return err
		}

		return Publish(ctx, tx, TopicPaymentsIngested, PaymentsIngested{FileID: m.FileID})
	})
	if store.IsDataError(err) {
		// The database refused a value the reader let through: retrying cannot
		// help, so the file is rejected with the reason instead of looping.
		problems := []bankfile.Problem{{File: name, Message: err.Error()}}

		return store.InTx(ctx, h.cfg.Pool, func(tx pgx.Tx) error {
			return store.RejectBankFile(ctx, tx, m.FileID, string(parsed.Format), err.Error(),
				problems)
		})
	}

	if err != nil {
		return fmt.Errorf("ingest bank file %d: %w", m.FileID, err)
	}

	h.cfg.Logger.InfoContext(ctx, "Bank file ingested", "file_id", m.FileID,
		"format", string(parsed.Format), "transactions", len(parsed.Transactions),
		"new", inserted, "duplicates", dups)

	return nil
}

// WaitFiles waits until every file in ids is matched or rejected, polling the
// database, and returns the files as they ended.
func WaitFiles(ctx context.Context, pool *pgxpool.Pool, ids []int64,
	poll time.Duration) ([]store.BankFile, error) {
	out := make([]store.BankFile, len(ids))

	for {
		done := true
		for i, id := range ids {
			f, err := store.GetBankFile(ctx, pool, id)
			if err != nil {
				return nil, err
			}

			out[i] = f
			if f.Status != store.FileMatched && f.Status != store.FileRejected {
				done = false
			}
		}

		if done {
			return out, nil
		}

		select {
		case <-ctx.Done():
			return out, fmt.Errorf("wait for bank files: %w", ctx.Err())
		case <-time.After(poll):
		}
	}
}
