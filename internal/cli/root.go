// Package cli is the cairn command line: one file per command, each a thin
// layer that parses flags and calls the packages that do the work.
package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/cairn-intel/cairn/internal/store"
)

// Version is the Cairn release, set at build time with -ldflags.
var Version = "0.1.0-dev"

// globals are the flags every command shares.
type globals struct {
	dataDir  string
	database string
	logLevel string
}

// Execute runs the command line and returns the process exit code.
func Execute() int { return Run(os.Args[1:]) }

// Run runs the command line with args and returns the exit code.
func Run(args []string) int {
	g := &globals{}
	root := &cobra.Command{
		Use:           "cairn",
		Short:         "Cairn: a MISP-compatible threat-intelligence platform in one binary",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.dataDir, "data", envOr("CAIRN_DATA", "./cairn-data"), "data directory (env CAIRN_DATA)")
	root.PersistentFlags().StringVar(&g.database, "database", os.Getenv("CAIRN_DATABASE_URL"),
		"PostgreSQL URL (postgres://...) instead of the SQLite database in the data directory (env CAIRN_DATABASE_URL)")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", envOr("CAIRN_LOG_LEVEL", "info"), "log level: debug, info, warn, error")
	for _, add := range commands {
		root.AddCommand(add(g))
	}
	root.SetArgs(args)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "cairn:", err)
		var exit *exitError
		if errors.As(err, &exit) {
			return exit.code
		}
		return 1
	}
	return 0
}

// exitError carries a specific exit code out of a command.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// commands registers every subcommand; each file adds its own in init.
var commands []func(*globals) *cobra.Command

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// logger returns the process logger: JSON on stderr at the chosen level.
func (g *globals) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level})), nil
}

// databasePath is the SQLite file inside the data directory.
func (g *globals) databasePath() string { return filepath.Join(g.dataDir, "cairn.db") }

// openInstance opens the instance's database, initialising the instance as
// the first 'cairn serve' would when it is new. The caller closes the store.
func (g *globals) openInstance(ctx context.Context) (*store.Store, *slog.Logger, error) {
	log, err := g.logger()
	if err != nil {
		return nil, nil, err
	}
	st, err := g.openStore(ctx, log)
	if err != nil {
		return nil, nil, err
	}
	if err := initialiseLikeServe(ctx, g, st, log); err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, log, nil
}

// openStore opens the instance's database, creating the data directory
// with owner-only permissions.
// open makes the logger of the flags and opens the store with it.
func (g *globals) open(ctx context.Context) (*store.Store, *slog.Logger, error) {
	log, err := g.logger()
	if err != nil {
		return nil, nil, err
	}
	st, err := g.openStore(ctx, log)
	return st, log, err
}

func (g *globals) openStore(ctx context.Context, log *slog.Logger) (*store.Store, error) {
	if err := os.MkdirAll(g.dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	if err := os.Chmod(g.dataDir, 0o700); err != nil {
		return nil, err
	}
	if g.database != "" {
		if !strings.HasPrefix(g.database, "postgres://") && !strings.HasPrefix(g.database, "postgresql://") {
			return nil, fmt.Errorf("--database: %q is not a postgres:// URL", g.database)
		}
		return store.OpenPostgres(ctx, g.database, store.Options{Logger: log})
	}
	return store.OpenSQLite(ctx, g.databasePath(), store.Options{Logger: log})
}
