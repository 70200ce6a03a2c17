package store

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"
)

// TestWriteLeases checks the bound polls read: settle seconds ago with no
// write in progress; before the second of a timed transaction while it
// runs, and not after it commits or rolls back; and that a lease left by
// a dead process holds polls back for leaseExpiry at most.
func TestWriteLeases(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := openTestStore(t, Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	const settle = 2 * time.Second
	bound := func() int64 {
		t.Helper()
		b, err := s.SettledBefore(ctx, now, settle)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if got, want := bound(), now.Unix()-2; got != want {
		t.Fatalf("no write: bound %d, want %d", got, want)
	}
	start := now.Unix()
	err := s.timedTx(ctx, func(*sql.Tx) error {
		now = now.Add(time.Minute) // a long write
		if got := bound(); got != start-1 {
			t.Errorf("during a write: bound %d, want %d", got, start-1)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := bound(), now.Unix()-2; got != want {
		t.Errorf("after the commit: bound %d, want %d", got, want)
	}
	failed := errors.New("refused")
	if err := s.timedTx(ctx, func(*sql.Tx) error { return failed }); !errors.Is(err, failed) {
		t.Fatal(err)
	}
	if got, want := bound(), now.Unix()-2; got != want {
		t.Errorf("after a rollback: bound %d, want %d", got, want)
	}

	// A lease its process never dropped.
	lost := now.Unix()
	if _, err := s.openLease(ctx); err != nil {
		t.Fatal(err)
	}
	now = now.Add(10 * time.Minute)
	if got, want := bound(), lost-1; got != want {
		t.Errorf("a lost lease: bound %d, want %d", got, want)
	}
	now = now.Add(leaseExpiry)
	if got, want := bound(), now.Unix()-2; got != want {
		t.Errorf("an expired lease: bound %d, want %d", got, want)
	}
	if n, err := s.DropExpiredLeases(ctx); err != nil || n != 1 {
		t.Errorf("dropped %d expired leases (%v), want 1", n, err)
	}
}
