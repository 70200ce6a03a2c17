package store

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
)

// The error kinds every layer above maps to a response. Wrap them with %w.
var (
	ErrNotFound  = errors.New("not found")
	ErrInvalid   = errors.New("invalid")
	ErrForbidden = errors.New("forbidden")
	ErrConflict  = errors.New("conflict")
)

// Rejection says why one item of a request was refused.
type Rejection struct {
	Item   string `json:"item"`            // "Attribute[3]", "Object[0].Attribute[1]", "Tag[2]"
	UUID   string `json:"uuid,omitempty"`  // the item's uuid when it had one
	Field  string `json:"field,omitempty"` // the field at fault
	Reason string `json:"reason"`
}

// ValidationError is a request that was refused as a whole, with the reasons.
type ValidationError struct {
	Message  string
	Rejected []Rejection
}

func (e *ValidationError) Error() string {
	if len(e.Rejected) == 0 {
		return e.Message
	}
	r := e.Rejected[0]
	return fmt.Sprintf("%s: %s %s: %s", e.Message, r.Item, r.Field, r.Reason)
}

// Unwrap makes a ValidationError an ErrInvalid.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

func forbiddenf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrForbidden}, args...)...)
}

func notFoundf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrNotFound}, args...)...)
}

// Retryable reports whether err is a transient failure of the database that
// the same request may not meet again: SQLite busy past its lock wait (a
// long write such as a correlation rebuild held the lock), or on PostgreSQL
// a lock not available, a deadlock or a serialisation failure.
func Retryable(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "55P03", "40P01", "40001":
			return true
		}
	}
	return false
}
