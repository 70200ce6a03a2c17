package cli

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-intel/cairn/internal/server"
	"github.com/cairn-intel/cairn/internal/store"
	"github.com/cairn-intel/cairn/internal/store/pgtest"
)

// newInstance returns the data directory of a new, initialised instance.
func newInstance(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "cairn.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := server.Config{OrgName: "Cairn", AdminEmail: "admin@cairn.local"}
	if err := server.Bootstrap(ctx, st, cfg, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// commandsOnAnInstance are the commands that work on an instance that
// exists, each with arguments that would succeed on one.
func commandsOnAnInstance(t *testing.T) map[string][]string {
	file := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(file, []byte(`{"Event": {"info": "one"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	export := filepath.Join(t.TempDir(), "feed")
	return map[string][]string{
		"correlate":              {"correlate"},
		"correlate --rebuild":    {"correlate", "--rebuild"},
		"import":                 {"import", file},
		"feed add":               {"feed", "add", "--name", "local", "--url", file},
		"feed list":              {"feed", "list"},
		"feed fetch":             {"feed", "fetch", "--all"},
		"feed preview":           {"feed", "preview", "1"},
		"feed enable":            {"feed", "enable", "1"},
		"feed presets":           {"feed", "presets"},
		"feed export":            {"feed", "export", export},
		"warninglist list":       {"warninglist", "list"},
		"warninglist check":      {"warninglist", "check", "192.0.2.1"},
		"warninglist disable":    {"warninglist", "disable", "1"},
		"taxonomy list":          {"taxonomy", "list"},
		"taxonomy enable":        {"taxonomy", "enable", "tlp"},
		"galaxy list":            {"galaxy", "list"},
		"warninglist --dir list": {"warninglist", "list", "--warninglists-dir", t.TempDir()},
	}
}

func TestCommandsRefuseADataDirectoryWithoutAnInstance(t *testing.T) {
	// A database file without the first administrator, as an older cairn
	// left it behind.
	bare := t.TempDir()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(bare, "cairn.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	dirs := []struct {
		name string
		dir  string
	}{
		{"missing directory", filepath.Join(t.TempDir(), "no", "such", "dir")},
		{"empty directory", t.TempDir()},
		{"database without an administrator", bare},
	}
	for name, args := range commandsOnAnInstance(t) {
		for _, d := range dirs {
			t.Run(name+"/"+d.name, func(t *testing.T) {
				before := listing(t, d.dir)
				var code int
				stderr := captureStderr(t, func() {
					code = Run(append(args, "--data", d.dir, "--log-level", "error"))
				})
				if code != 1 {
					t.Errorf("got exit code %d, want 1", code)
				}
				want := "no Cairn instance in " + d.dir + "; start one with `cairn serve --data " + d.dir + "`"
				if !strings.Contains(string(stderr), want) || !strings.Contains(string(stderr), "--data") {
					t.Errorf("got %q, want it to say %q", stderr, want)
				}
				if after := listing(t, d.dir); after != before {
					t.Errorf("the command changed the data directory: got %q, want %q", after, before)
				}
			})
		}
	}
}

// listing names the files of dir, or says it does not exist.
func listing(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return "(no directory)"
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return strings.Join(names, ",")
}

func TestCommandsRefuseAPostgreSQLDatabaseWithoutAnInstance(t *testing.T) {
	dbURL := pgtest.Database(t)
	for name, args := range commandsOnAnInstance(t) {
		t.Run(name, func(t *testing.T) {
			var code int
			stderr := captureStderr(t, func() {
				code = Run(append(args, "--data", t.TempDir(), "--database", dbURL, "--log-level", "error"))
			})
			if code != 1 || !strings.Contains(string(stderr), "no Cairn instance in the database") ||
				!strings.Contains(string(stderr), "cairn serve --database") {
				t.Errorf("got exit code %d, %q; want 1 and no Cairn instance in the database", code, stderr)
			}
		})
	}
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables int
	if err := db.QueryRow(`SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("got %d tables in the database, want none created", tables)
	}
}

func TestBadArgumentsAreRefusedBeforeAnythingIsCreated(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"serve, bad heartbeat", []string{"serve", "--heartbeat", "often"}, nil, "--heartbeat"},
		{"serve, not a PostgreSQL URL", []string{"serve", "--database", "mysql://db/cairn"}, nil, "--database"},
		{"serve, short CAIRN_ADMIN_KEY", []string{"serve", "--listen", "127.0.0.1:19101"},
			map[string]string{"CAIRN_ADMIN_KEY": "short"}, "CAIRN_ADMIN_KEY"},
		{"serve, missing certificate", []string{"serve", "--tls-cert", "/no/such/cert.pem", "--tls-key",
			"/no/such/key.pem"}, nil, "--tls-cert"},
		{"serve, organisation in Latin-1", []string{"serve", "--org", "\xc9cole"}, nil, "--org"},
		{"serve, bad log level", []string{"serve", "--log-level", "loud"}, nil, "--log-level"},
		{"bench load, short CAIRN_ADMIN_KEY", []string{"bench", "load", "--events", "1"},
			map[string]string{"CAIRN_ADMIN_KEY": "short"}, "CAIRN_ADMIN_KEY"},
		{"bench load, bad scale", []string{"bench", "load", "--scale", "0"}, nil, "--scale"},
		{"import, missing file", []string{"import", "/no/such/file.json"}, nil, "no such file"},
		{"correlate, bad --cidr", []string{"correlate", "--cidr", "maybe"}, nil, "--cidr"},
		{"correlate, bad --top", []string{"correlate", "--top", "0"}, nil, "--top"},
		{"feed add, bad schedule", []string{"feed", "add", "--name", "x", "--url", "https://example.test/x",
			"--schedule", "sometimes"}, nil, "schedule"},
		{"feed add, bad format", []string{"feed", "add", "--name", "x", "--url", "https://example.test/x",
			"--format", "yaml"}, nil, "yaml"},
		{"feed fetch, neither names nor --all", []string{"feed", "fetch"}, nil, "--all"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			data := filepath.Join(t.TempDir(), "data")
			var code int
			stderr := captureStderr(t, func() {
				code = Run(append(tc.args, "--data", data))
			})
			if code != 1 || !strings.Contains(string(stderr), tc.want) {
				t.Errorf("got exit code %d, %q; want 1 and a message naming %s", code, stderr, tc.want)
			}
			if _, err := os.Stat(data); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the data directory was created: %v", err)
			}
		})
	}
}

// bench load starts an instance when there is none, as serve does.
func TestBenchLoadInitialisesANewDataDirectory(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	base := []string{"--data", data, "--log-level", "error"}
	captureStderr(t, func() {
		captureStdout(t, func() {
			if code := Run(append([]string{"bench", "load", "--events", "2"}, base...)); code != 0 {
				t.Fatalf("bench load: exit code %d", code)
			}
		})
	})
	if fi, err := os.Stat(data); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("got %v, want a data directory of mode 0700", err)
	}
	captureStdout(t, func() {
		if code := Run(append([]string{"correlate"}, base...)); code != 0 {
			t.Errorf("correlate on the instance bench load started: exit code %d", code)
		}
	})
}

// A CAIRN_ADMIN_KEY (or CAIRN_ORG) left in the environment is read only
// when an instance is created; on one that has its administrator it is
// ignored.
func TestStaleAdminKeyIsIgnoredByAnInitialisedInstance(t *testing.T) {
	t.Setenv("CAIRN_ADMIN_KEY", "short")
	t.Setenv("CAIRN_ORG", "\xc9cole")
	data := newInstance(t)
	file := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(file, []byte(`{"Event": {"info": "one"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"--data", data, "--log-level", "error"}
	for _, args := range [][]string{{"import", file}, {"feed", "list"}, {"bench", "load", "--events", "1"}} {
		captureStdout(t, func() {
			var code int
			stderr := captureStderr(t, func() { code = Run(append(args, base...)) })
			if code != 0 {
				t.Errorf("cairn %v with CAIRN_ADMIN_KEY=short: got exit code %d, want 0: %s", args, code, stderr)
			}
		})
	}
}
