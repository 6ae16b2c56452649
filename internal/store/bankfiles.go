package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

// Bank file statuses.
const (
	FileReceived = "received" // stored, not yet read
	FileIngested = "ingested" // read; its payments are stored
	FileMatched  = "matched"  // its payments went through matching
	FileRejected = "rejected" // unreadable or failed its control checks; raw bytes kept
)

// BankFile is a stored bank file without its raw bytes.
type BankFile struct {
	ID           int64              `json:"id"`
	Name         string             `json:"name"`
	SHA256       string             `json:"sha256"`
	Size         int64              `json:"size_bytes"`
	Format       string             `json:"format"`
	Encoding     string             `json:"encoding"`
	Status       string             `json:"status"`
	Error        string             `json:"error,omitempty"`
	Problems     []bankfile.Problem `json:"problems,omitempty"`
	Warnings     []bankfile.Problem `json:"warnings,omitempty"`
	Controls     string             `json:"controls"`
	Transactions int                `json:"transactions"`
	PaymentsNew  int                `json:"payments_new"`
	Duplicates   int                `json:"duplicates"`
	UploadedBy   string             `json:"uploaded_by"`
	ReceivedAt   time.Time          `json:"received_at"`
	ProcessedAt  *time.Time         `json:"processed_at,omitempty"`
}

// Hash returns the hex SHA-256 o2c keys bank files by.
func Hash(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// chunkSize is the size of the pieces a bank file's bytes are stored in.
const chunkSize = 1 << 20

// ErrFileTooLarge reports a bank file over the size limit it was received with.
var ErrFileTooLarge = errors.New("bank file too large")

// InsertBankFile stores a received file's raw bytes. When the same bytes were
// stored before, nothing is inserted and the earlier file is returned with
// duplicate true.
func InsertBankFile(ctx context.Context, db DB, name string, raw []byte,
	uploader string) (f BankFile, duplicate bool, err error) {
	return ReceiveBankFile(ctx, db, name, bytes.NewReader(raw), 0, uploader)
}

// ReceiveBankFile stores the bytes read from r as a received file, in chunks, so
// the file is never whole in memory. A file of more than maxBytes (when not 0)
// fails with ErrFileTooLarge. When the same bytes were stored before, what was
// written is deleted again and the earlier file is returned with duplicate true.
// db should be a transaction: a failure leaves a partly written file otherwise.
func ReceiveBankFile(ctx context.Context, db DB, name string, r io.Reader, maxBytes int64,
	uploader string) (f BankFile, duplicate bool, err error) {
	var id int64

	err = db.QueryRow(ctx, `INSERT INTO bank_files (name, sha256, size_bytes, uploaded_by)
		VALUES ($1, 'receiving:' || gen_random_uuid(), 0, $2) RETURNING id`,
		name, uploader).Scan(&id)
	if err != nil {
		return f, false, fmt.Errorf("store bank file %s: %w", name, err)
	}

	sum, size, err := writeChunks(ctx, db, id, r, maxBytes)
	if err != nil {
		return f, false, fmt.Errorf("store bank file %s: %w", name, err)
	}

	// Two uploads of the same bytes at once take turns here: the second sees the
	// first once it committed and becomes its duplicate instead of failing on
	// the unique sha256.
	if _, err := db.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
		sum); err != nil {
		return f, false, fmt.Errorf("store bank file %s: %w", name, err)
	}

	var earlier int64

	err = db.QueryRow(ctx, "SELECT id FROM bank_files WHERE sha256 = $1", sum).Scan(&earlier)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		_, err = db.Exec(ctx, "UPDATE bank_files SET sha256 = $2, size_bytes = $3 WHERE id = $1",
			id, sum, size)
	case err == nil:
		duplicate = true
		_, err = db.Exec(ctx, "DELETE FROM bank_files WHERE id = $1", id)
		id = earlier
	}

	if err != nil {
		return f, false, fmt.Errorf("store bank file %s: %w", name, err)
	}

	f, err = GetBankFile(ctx, db, id)

	return f, duplicate, err
}

// fill reads into buf until it is full or r fails, and returns what it read
// with the error, which io.ReadFull would drop when the same read filled buf.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k

		if err != nil {
			return n, err
		}
	}

	return n, nil
}

// writeChunks stores what r holds as the chunks of file id and returns its
// SHA-256 and size.
func writeChunks(ctx context.Context, db DB, id int64, r io.Reader, maxBytes int64) (
	string, int64, error) {
	h := sha256.New()
	buf := make([]byte, chunkSize)

	var size int64

	for n := 0; ; n++ {
		k, err := fill(r, buf)
		if k == 0 && errors.Is(err, io.EOF) {
			break
		}

		if err != nil && !errors.Is(err, io.EOF) {
			return "", 0, fmt.Errorf("read: %w", err)
		}

		size += int64(k)
		if maxBytes > 0 && size > maxBytes {
			return "", 0, fmt.Errorf("%w: more than %d bytes", ErrFileTooLarge, maxBytes)
		}

		h.Write(buf[:k])

		_, dbErr := db.Exec(ctx,
			"INSERT INTO bank_file_chunks (file_id, n, data) VALUES ($1, $2, $3)",
			id, n, buf[:k])
		if dbErr != nil {
			return "", 0, dbErr
		}

		if err != nil { // io.EOF: that was the last chunk
			break
		}
	}

	return hex.EncodeToString(h.Sum(nil)), size, nil
}

const bankFileColumns = `id, name, sha256, size_bytes, format, encoding, status, error,
	problems, warnings, controls, transactions, payments_new, duplicates, uploaded_by,
	received_at, processed_at`

func scanBankFile(row pgx.Row) (BankFile, error) {
	var f BankFile
	var problems, warnings []byte

	err := row.Scan(&f.ID, &f.Name, &f.SHA256, &f.Size, &f.Format, &f.Encoding, &f.Status,
		&f.Error, &problems, &warnings, &f.Controls, &f.Transactions, &f.PaymentsNew,
		&f.Duplicates, &f.UploadedBy, &f.ReceivedAt, &f.ProcessedAt)
	if err != nil {
		return f, err
	}

	if err := json.Unmarshal(problems, &f.Problems); err != nil {
		return f, fmt.Errorf("decode problems of file %d: %w", f.ID, err)
	}

	if err := json.Unmarshal(warnings, &f.Warnings); err != nil {
		return f, fmt.Errorf("decode warnings of file %d: %w", f.ID, err)
	}

	return f, nil
}

// GetBankFile returns a stored file by id, without its raw bytes.
func GetBankFile(ctx context.Context, db DB, id int64) (BankFile, error) {
	f, err := scanBankFile(db.QueryRow(ctx,
		"SELECT "+bankFileColumns+" FROM bank_files WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return f, fmt.Errorf("bank file %d: %w", id, ErrNotFound)
	}

	if err != nil {
		return f, fmt.Errorf("read bank file %d: %w", id, err)
	}

	return f, nil
}

// BankFiles returns the stored files, newest first, at most limit.
func BankFiles(ctx context.Context, db DB, limit int) ([]BankFile, error) {
	rows, err := db.Query(ctx, "SELECT "+bankFileColumns+
		" FROM bank_files ORDER BY id DESC LIMIT $1", limit)
	if err != nil {
		return nil, fmt.Errorf("query bank files: %w", err)
	}
	defer rows.Close()

	var out []BankFile
	for rows.Next() {
		f, err := scanBankFile(rows)
		if err != nil {
			return nil, fmt.Errorf("scan bank file: %w", err)
		}

		out = append(out, f)
	}

	return out, rows.Err()
}

// BankFileRaw returns a stored file's name and raw bytes.
func BankFileRaw(ctx context.Context, db DB, id int64) (string, []byte, error) {
	name, r, err := OpenBankFile(ctx, db, id)
	if err != nil {
		return "", nil, err
	}

	raw, err := io.ReadAll(r)
	if err != nil {
		return "", nil, err
	}

	return name, raw, nil
}

// OpenBankFile returns a stored file's name and a reader of its raw bytes that
// fetches them a chunk at a time. The reader uses db until it is read to its end.
func OpenBankFile(ctx context.Context, db DB, id int64) (string, io.Reader, error) {
	var name string
	var raw []byte

	err := db.QueryRow(ctx, "SELECT name, raw FROM bank_files WHERE id = $1", id).
		Scan(&name, &raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil, fmt.Errorf("bank file %d: %w", id, ErrNotFound)
	}

	if err != nil {
		return "", nil, fmt.Errorf("read bank file %d: %w", id, err)
	}

	if raw != nil {
		return name, bytes.NewReader(raw), nil
	}

	return name, &chunkReader{ctx: ctx, db: db, id: id}, nil
}

// chunkReader reads a file's chunks in order, one query each.
type chunkReader struct {
	ctx  context.Context
	db   DB
	id   int64
	next int
	buf  []byte
	done bool
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.buf) == 0 {
		if c.done {
			return 0, io.EOF
		}

		err := c.db.QueryRow(c.ctx, `SELECT data FROM bank_file_chunks
			WHERE file_id = $1 AND n = $2`, c.id, c.next).Scan(&c.buf)
		if errors.Is(err, pgx.ErrNoRows) {
			c.done = true
			continue
		}

		if err != nil {
			return 0, fmt.Errorf("read chunk %d of bank file %d: %w", c.next, c.id, err)
		}

		c.next++
	}

	n := copy(p, c.buf)
	c.buf = c.buf[n:]

	return n, nil
}

// RejectBankFile marks a file rejected with its reason and every problem found.
func RejectBankFile(ctx context.Context, db DB, id int64, format string, reason string,
	problems []bankfile.Problem) error {
	if problems == nil {
		problems = []bankfile.Problem{}
	}

	p, err := json.Marshal(problems)
	if err != nil {
		return fmt.Errorf("encode problems of file %d: %w", id, err)
	}

	_, err = db.Exec(ctx, `UPDATE bank_files SET status = 'rejected', format = $2, error = $3,
		problems = $4, processed_at = now() WHERE id = $1`, id, format, reason, p)
	if err != nil {
		return fmt.Errorf("reject bank file %d: %w", id, err)
	}

	return nil
}

// MarkBankFileIngested records what reading a file found: f without its
// transactions, and how many transactions it held.
func MarkBankFileIngested(ctx context.Context, db DB, id int64, f *bankfile.File,
	transactions, inserted, duplicates int) error {
	warnings := f.Warnings
	if warnings == nil {
		warnings = []bankfile.Problem{}
	}

	w, err := json.Marshal(warnings)
	if err != nil {
		return fmt.Errorf("encode warnings of file %d: %w", id, err)
	}

	_, err = db.Exec(ctx, `UPDATE bank_files SET status = 'ingested', format = $2, encoding = $3,
			warnings = $4, controls = $5, transactions = $6, payments_new = $7, duplicates = $8,
			error = '', problems = '[]'
		WHERE id = $1`, id, string(f.Format), f.Encoding, w, string(f.Controls),
		transactions, inserted, duplicates)
	if err != nil {
		return fmt.Errorf("mark bank file %d ingested: %w", id, err)
	}

	return nil
}

// MarkBankFileMatched records that a file's payments went through matching.
func MarkBankFileMatched(ctx context.Context, db DB, id int64) error {
	_, err := db.Exec(ctx, `UPDATE bank_files SET status = 'matched', processed_at = now()
		WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("mark bank file %d matched: %w", id, err)
	}

	return nil
}

// RetryBankFile puts a rejected file back to received so it can be read again.
func RetryBankFile(ctx context.Context, db DB, id int64) error {
	tag, err := db.Exec(ctx, `UPDATE bank_files SET status = 'received', error = '',
		problems = '[]', processed_at = NULL WHERE id = $1 AND status = 'rejected'`, id)
	if err != nil {
		return fmt.Errorf("retry bank file %d: %w", id, err)
	}

	if tag.RowsAffected() == 0 {
		return fmt.Errorf("retry bank file %d: %w", id, ErrNotFound)
	}

	return nil
}
