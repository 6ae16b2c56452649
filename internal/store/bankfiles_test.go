package store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/store"
)

// A file of several chunks comes back byte for byte, read a chunk at a time, and
// the same bytes received again are found a duplicate and add nothing.
func TestBankFileStoredInChunksReadsBackWhole(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	pool := pgtest.DB(t)

	raw := make([]byte, 2<<20+12345)
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range raw {
		raw[i] = byte(rnd.IntN(256))
	}

	var f store.BankFile

	err := store.InTx(ctx, pool, func(tx pgx.Tx) error {
		var err error
		f, _, err = store.ReceiveBankFile(ctx, tx, "big.bin", bytes.NewReader(raw), 0, "t")

		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	if f.Size != int64(len(raw)) || f.SHA256 != store.Hash(raw) {
		t.Fatalf("stored size %d sha %s, want %d %s", f.Size, f.SHA256, len(raw), store.Hash(raw))
	}

	var chunks int
	err = pool.QueryRow(ctx, "SELECT count(*) FROM bank_file_chunks WHERE file_id = $1",
		f.ID).Scan(&chunks)
	if err != nil || chunks != 3 {
		t.Fatalf("%d chunks (%v), want 3", chunks, err)
	}

	name, r, err := store.OpenBankFile(ctx, pool, f.ID)
	if err != nil {
		t.Fatal(err)
	}

	back, err := io.ReadAll(r)
	if err != nil || name != "big.bin" || !bytes.Equal(back, raw) {
		t.Fatalf("read back %q, %d bytes (%v), want the %d stored", name, len(back), err,
			len(raw))
	}

	again, dup, err := store.InsertBankFile(ctx, pool, "again.bin", raw, "t")
	if err != nil || !dup || again.ID != f.ID {
		t.Fatalf("same bytes again: id %d dup %v (%v), want file %d", again.ID, dup, err, f.ID)
	}

	var files, allChunks int
	err = pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM bank_files),
		(SELECT count(*) FROM bank_file_chunks)`).Scan(&files, &allChunks)
	if err != nil || files != 1 || allChunks != 3 {
		t.Fatalf("%d files, %d chunks after the duplicate (%v), want 1 and 3", files, allChunks,
			err)
	}
}

// A file over the limit fails while it is read, and its transaction leaves
// nothing behind.
func TestBankFileOverLimitIsRefused(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	pool := pgtest.DB(t)

	err := store.InTx(ctx, pool, func(tx pgx.Tx) error {
		_, _, err := store.ReceiveBankFile(ctx, tx, "big.bin",
			bytes.NewReader(make([]byte, 3<<20)), 2<<20, "t")

		return err
	})
	if !errors.Is(err, store.ErrFileTooLarge) {
		t.Fatalf("err = %v, want ErrFileTooLarge", err)
	}

	var files int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM bank_files").Scan(&files); err != nil ||
		files != 0 {
		t.Fatalf("%d files stored (%v), want none", files, err)
	}
}

// failingReader hands over its bytes and an error in the same read, once, and
// then says EOF, as a reader that reports its failure only once does.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n := copy(p, f.data)
	f.data = f.data[n:]

	err := f.err
	if err == nil {
		err = io.EOF
	}

	f.err = nil

	return n, err
}

// A read error that comes with the bytes filling a chunk fails the file; it is
// not lost because the chunk was full.
func TestBankFileReadErrorWithFullChunkFails(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	pool := pgtest.DB(t)
	cut := errors.New("connection reset")

	err := store.InTx(ctx, pool, func(tx pgx.Tx) error {
		_, _, err := store.ReceiveBankFile(ctx, tx, "cut.bin",
			&failingReader{data: make([]byte, 1<<20), err: cut}, 0, "t")

		return err
	})
	if !errors.Is(err, cut) {
		t.Fatalf("err = %v, want the read error", err)
	}
}

// The same bytes received by two transactions at once give one file and one
// duplicate, not a unique-key failure.
func TestSameBytesReceivedConcurrentlyStoredOnce(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	pool := pgtest.DB(t)
	raw := []byte("concurrent upload " + t.Name())

	type result struct {
		f   store.BankFile
		dup bool
		err error
	}

	results := make(chan result, 2)
	start := make(chan struct{})

	for range 2 {
		go func() {
			<-start

			var res result
			res.err = store.InTx(ctx, pool, func(tx pgx.Tx) error {
				var err error
				res.f, res.dup, err = store.ReceiveBankFile(ctx, tx, "same.csv",
					bytes.NewReader(raw), 0, "t")

				return err
			})
			results <- res
		}()
	}

	close(start)

	a, b := <-results, <-results
	if a.err != nil || b.err != nil || a.dup == b.dup || a.f.ID != b.f.ID {
		t.Fatalf("results %+v and %+v, want one new file and its duplicate", a, b)
	}
}
