package store

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
)

func TestRetryable(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"sqlite busy, wrapped", fmt.Errorf("save: %w", sqlite3.Error{Code: sqlite3.ErrBusy}), true},
		{"sqlite locked", sqlite3.Error{Code: sqlite3.ErrLocked}, true},
		{"sqlite constraint", sqlite3.Error{Code: sqlite3.ErrConstraint}, false},
		{"postgres deadlock", &pgconn.PgError{Code: "40P01"}, true},
		{"postgres serialisation", fmt.Errorf("x: %w", &pgconn.PgError{Code: "40001"}), true},
		{"postgres unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"other", errors.New("boom"), false},
		{"not found", ErrNotFound, false},
	}
	for _, tc := range cases {
		if got := Retryable(tc.err); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}
