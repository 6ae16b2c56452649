package pipelines

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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
	return SubmitFrom(ctx, pool, name, bytes.NewReader(raw), 0, uploader)
}

// SubmitFrom is Submit for a file read from r, which is stored as it is read and
// never held whole in memory. A file of more than maxBytes (when not 0) is
// refused with store.ErrFileTooLarge and nothing is stored.
func SubmitFrom(ctx context.Context, pool *pgxpool.Pool, name string, r io.Reader,
	maxBytes int64, uploader string) (Submission, error) {
	var s Submission

	err := store.InTx(ctx, pool, func(tx pgx.Tx) error {
		f, dup, err := store.ReceiveBankFile(ctx, tx, name, r, maxBytes, uploader)
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

	id := strconv.FormatInt(m.FileID, 10)

	var (
		parsed        *bankfile.File
		name          string
		read, readErr error
		n, inserted   int
		dups          int
	)

	// The file is read and its payments stored in one transaction, a chunk at a
	// time: a file rejected at its end (a control total) leaves nothing behind.
	err = store.InTx(ctx, h.cfg.Pool, func(tx pgx.Tx) error {
		var r io.Reader

		n, inserted, dups = 0, 0, 0

		name, r, read = store.OpenBankFile(ctx, tx, m.FileID)
		if read != nil {
			return read
		}

		chunk := make([]bankfile.Transaction, 0, ingestChunk)
		flush := func() error {
			k, d, err := store.InsertPayments(ctx, tx, m.FileID, f.SHA256, chunk)
			inserted, dups, chunk = inserted+k, dups+d, chunk[:0]

			return err
		}

		parsed, n, readErr = h.cfg.ReadBankFile(name, r, func(t bankfile.Transaction) error {
			if chunk = append(chunk, t); len(chunk) == ingestChunk {
				return flush()
			}

			return nil
		})
		if readErr != nil {
			return readErr
		}

		if err := flush(); err != nil {
			return err
		}

		// A reader hands over transactions before it knows whether the file
		// proves itself complete; the credits of one that does not are stored
		// but held for review.
		if reason := unproven(parsed); reason != "" {
			if err := store.HoldFileCredits(ctx, tx, m.FileID, reason); err != nil {
				return err
			}
		}

		if err := store.MarkBankFileIngested(ctx, tx, m.FileID, parsed, n, inserted,
			dups); err != nil {
			return err
		}

		err := store.Audit(ctx, tx, "o2c", "ingest", "bank_file", id,
			map[string]string{"status": f.Status},
			map[string]any{"status": store.FileIngested, "format": parsed.Format,
				"transactions": n, "new": inserted, "duplicates": dups})
		if err != nil {
			return err
		}

		return Publish(ctx, tx, TopicPaymentsIngested, PaymentsIngested{FileID: m.FileID})
	})

	var ferr *bankfile.Error

	switch {
	case readErr != nil && errors.As(readErr, &ferr):
		return h.rejectFile(ctx, m.FileID, f.Status, string(ferr.Format), readErr,
			ferr.Problems)
	case err != nil && store.IsDataError(err):
		// The database refused a value the reader let through: retrying cannot
		// help, so the file is rejected with the reason instead of looping.
		format := string(bankfile.FormatUnknown)
		if parsed != nil {
			format = string(parsed.Format)
		}

		return h.rejectFile(ctx, m.FileID, f.Status, format, err,
			[]bankfile.Problem{{File: name, Message: err.Error()}})
	case err != nil:
		return fmt.Errorf("ingest bank file %d: %w", m.FileID, err)
	}

	h.cfg.Logger.InfoContext(ctx, "Bank file ingested", "file_id", m.FileID,
		"format", string(parsed.Format), "transactions", n, "new", inserted,
		"duplicates", dups)

	return nil
}

// controlled are the formats whose files always carry control totals, so that a
// file of theirs without any was cut short or assembled by hand.
var controlled = map[bankfile.Format]bool{
	bankfile.FormatNACHA: true, bankfile.FormatBAI2: true, bankfile.FormatMT940: true,
	bankfile.FormatMT942: true, bankfile.FormatLockbox: true,
}

// unproven says why the credits of f must not be applied automatically, or "":
// its control totals did not reconcile and a bank profile let it through, or it
// is of a format that carries control totals and had none.
func unproven(f *bankfile.File) string {
	switch {
	case f.Controls == bankfile.ControlsMismatch:
		return "the file's control totals do not reconcile (accepted by its bank profile): " +
			"not applied automatically"
	case f.Controls == bankfile.ControlsNone && controlled[f.Format]:
		return "the file has no control totals to prove it complete: not applied automatically"
	}

	return ""
}

// ingestChunk is how many transactions are stored at a time while a file is read.
const ingestChunk = 5000

// rejectFile records a file as rejected with its problems.
func (h *handlers) rejectFile(ctx context.Context, fileID int64, status, format string,
	reason error, problems []bankfile.Problem) error {
	h.cfg.Logger.WarnContext(ctx, "Bank file rejected", "file_id", fileID,
		"problems", len(problems))

	id := strconv.FormatInt(fileID, 10)

	return store.InTx(ctx, h.cfg.Pool, func(tx pgx.Tx) error {
		err := store.RejectBankFile(ctx, tx, fileID, format, reason.Error(), problems)
		if err != nil {
			return err
		}

		return store.Audit(ctx, tx, "o2c", "reject", "bank_file", id,
			map[string]string{"status": status},
			map[string]any{"status": store.FileRejected, "problems": len(problems)})
	})
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
