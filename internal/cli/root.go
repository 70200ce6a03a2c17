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
	"syscall"

	"github.com/spf13/cobra"
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
