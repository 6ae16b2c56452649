package nacha

import (
	"io"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

// ScanBuffer is ScanOptions with a buffer of size bytes instead of 64 KiB, so
// that tests reach the paths of lines longer than the buffer with small files.
func ScanBuffer(name string, r io.Reader, opts Options, size int,
	emit func(bankfile.Transaction) error,
) (*bankfile.File, error) {
	f, _, err := scan(name, r, opts, size, emit)
	return f, err
}
