package server

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/store"
)

func TestBootstrapReadsFirstStartSettingsOnlyOnANewInstance(t *testing.T) {
	const good = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123"
	errAny := errors.New("any error")
	cases := []struct {
		name        string
		initialised bool
		key, org    string
		wantErr     error
		wantLog     bool // the "ignored" line
	}{
		{"new instance, no key", false, "", "", nil, false},
		{"new instance, good key", false, good, "", nil, false},
		{"new instance, short key", false, "short", "", ErrBadAdminKey, false},
		{"new instance, organisation in Latin-1", false, "", "\xc9cole", errAny, false},
		{"initialised, no key", true, "", "", nil, false},
		{"initialised, the same key", true, good, "", nil, true},
		{"initialised, stale short key", true, "short", "", nil, true},
		{"initialised, key with a symbol", true, strings.Repeat("a", 39) + "!", "", nil, true},
		{"initialised, organisation in Latin-1", true, "", "\xc9cole", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "cairn.db"), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			cfg := Config{OrgName: "Utility", AdminEmail: "soc@utility.test"}
			if tc.initialised {
				if err := Bootstrap(ctx, st, cfg, slog.New(slog.DiscardHandler)); err != nil {
					t.Fatal(err)
				}
			}
			var logs bytes.Buffer
			cfg.AdminKey = tc.key
			if tc.org != "" {
				cfg.OrgName = tc.org
			}
			err = Bootstrap(ctx, st, cfg, slog.New(slog.NewTextHandler(&logs, nil)))
			if tc.wantErr == errAny && err == nil || tc.wantErr != errAny && !errors.Is(err, tc.wantErr) {
				t.Fatalf("got error %v, want %v", err, tc.wantErr)
			}
			done, err := st.Initialised(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if want := tc.wantErr == nil; done != want {
				t.Errorf("got initialised %v, want %v", done, want)
			}
			if got := strings.Count(logs.String(), "CAIRN_ADMIN_KEY ignored"); got != map[bool]int{true: 1}[tc.wantLog] {
				t.Errorf("got %d \"ignored\" lines, want it logged %v:\n%s", got, tc.wantLog, logs.String())
			}
		})
	}
}

// A key left in the environment after the first start, even one that is
// no longer a valid key, must not stop the instance from starting again.
func TestRestartWithAStaleAdminKey(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "cairn.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := Config{DataDir: dir, Listen: "127.0.0.1:0", PlainHTTP: true, OrgName: "Utility",
		AdminEmail: "soc@utility.test"}
	if err := Bootstrap(ctx, st, cfg, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	cfg.AdminKey = "stale"
	ready := make(chan struct{})
	cfg.Ready = func(net.Addr) { close(ready) }
	done := make(chan error, 1)
	go func() { done <- Run(ctx, st, cfg, slog.New(slog.DiscardHandler)) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("got %v, want the server to start and ignore CAIRN_ADMIN_KEY", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server did not start")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("shutdown: %v", err)
	}
}
