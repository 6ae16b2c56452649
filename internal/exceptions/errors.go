package exceptions

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/o2c-dev/o2c/internal/store"
)

// ErrInvalid reports a request that does not add up, names a wrong invoice or
// asks what the exception's state does not allow. Errors wrapping it are often
// a *ValidationError naming the fields.
var ErrInvalid = errors.New("invalid request")

// ErrSelfApproval refuses an approval by the person who asked for it.
var ErrSelfApproval = errors.New("a request needs another person's approval")

// FieldError is one refused field of a request: its name as the API spells it
// ("lines[1].amount", "customer_id", "min_age_days") and why.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists the fields a request got wrong. It matches ErrInvalid
// with errors.Is.
type ValidationError struct {
	Fields []FieldError
}

// Error joins the field messages.
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
		if f.Field == "" {
			parts[i] = f.Message
		}
	}

	return ErrInvalid.Error() + ": " + strings.Join(parts, "; ")
}

// Unwrap makes a ValidationError an ErrInvalid.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// fieldErrors collects the refusals of one request.
type fieldErrors []FieldError

func (f *fieldErrors) add(field, format string, args ...any) {
	*f = append(*f, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}

	return &ValidationError{Fields: f}
}

// invalid is a ValidationError of one field ("" for the request as a whole).
func invalid(field, format string, args ...any) error {
	var f fieldErrors
	f.add(field, format, args...)

	return f.err()
}

// ErrorCode names an error of this package for an API answer or a bulk result:
// invalid, conflict, not_found, forbidden or internal.
func ErrorCode(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrInvalid):
		return "invalid"
	case errors.Is(err, store.ErrConflict):
		return "conflict"
	case errors.Is(err, store.ErrNotFound):
		return "not_found"
	case errors.Is(err, ErrSelfApproval):
		return "forbidden"
	case store.IsDataError(err):
		return "invalid"
	default:
		return "internal"
	}
}

// Limits on the text people type.
const (
	maxNote    = 2000
	maxComment = 4000
	maxName    = 64
)

// checkText refuses text that is not valid UTF-8, holds control characters
// other than newlines and tabs, or is longer than max bytes.
func checkText(s string, max int) string {
	switch {
	case !utf8.ValidString(s):
		return "is not valid UTF-8 text"
	case len(s) > max:
		return fmt.Sprintf("is longer than %d bytes", max)
	case strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r'
	}) >= 0:
		return "holds control characters"
	}

	return ""
}

// checkActor refuses an action without a person to record in the audit log.
func checkActor(actor string) error {
	if strings.TrimSpace(actor) == "" {
		return invalid("actor", "an actor is required")
	}

	return nil
}

// checkNote adds a refusal of a note to errs.
func checkNote(errs *fieldErrors, note string) {
	if msg := checkText(note, maxNote); msg != "" {
		errs.add("note", "%s", msg)
	}
}
