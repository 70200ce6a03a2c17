package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/cairn-intel/cairn/internal/dbcopy"
	"github.com/cairn-intel/cairn/internal/store"
)

func init() {
	commands = append(commands, newDBCmd)
}

func newDBCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Manage the instance's database",
	}
	cmd.AddCommand(newDBCopyCmd(g))
	return cmd
}

func newDBCopyCmd(g *globals) *cobra.Command {
	var from, to string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "copy --from sqlite:PATH --to postgres://...",
		Short: "Copy an instance to another database and verify the copy",
		Long: `Copy every table of an instance's database into an empty one, SQLite to
PostgreSQL or back, keeping every id, then read both back and compare the row
count and a checksum of each table.

A database is sqlite:PATH, PATH being a data directory (its cairn.db) or a
database file, or a postgres:// URL. Both are migrated to this binary's
schema first. Stop 'cairn serve' on the source before copying. The target
must be empty; the copy is one transaction, so a failure leaves it empty.
The source's nodes, the jobs each ran for itself and their claims on jobs
and feeds are not copied: no node serves the target yet.

Exit status: 0 when the copy is verified, 1 otherwise (the tables that differ
are named; discard the target and copy again).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDBCopy(cmd.Context(), g, cmd.OutOrStdout(), from, to, quiet)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "source database: sqlite:PATH or postgres://...")
	cmd.Flags().StringVar(&to, "to", "", "target database, empty: sqlite:PATH or postgres://...")
	cmd.Flags().BoolVar(&quiet, "quiet", false, "draw no progress bar")
	_ = cmd.MarkFlagRequired("from") // fails only for a flag not defined above
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

func runDBCopy(ctx context.Context, g *globals, out io.Writer, from, to string, quiet bool) error {
	log, err := g.logger()
	if err != nil {
		return err
	}
	srcEnd, err := parseEndpoint("--from", from, true)
	if err != nil {
		return err
	}
	dstEnd, err := parseEndpoint("--to", to, false)
	if err != nil {
		return err
	}
	if srcEnd == dstEnd {
		return errors.New("--from and --to name the same database")
	}
	src, err := srcEnd.open(ctx, log)
	if err != nil {
		return fmt.Errorf("source %s: %w", srcEnd, err)
	}
	defer src.Close()
	undo := dstEnd.creation()
	dst, err := dstEnd.open(ctx, log)
	if err != nil {
		undo()
		return fmt.Errorf("target %s: %w", dstEnd, err)
	}
	defer dst.Close()

	bar := newCopyBar(quiet)
	res, err := dbcopy.Copy(ctx, src, dst, dbcopy.Options{Progress: bar.update})
	bar.finish()
	if err != nil {
		dst.Close()
		undo() // a SQLite target made for this copy is removed: as it was is absent
	}
	if errors.Is(err, dbcopy.ErrTargetNotEmpty) || errors.Is(err, dbcopy.ErrSchemaMismatch) {
		return fmt.Errorf("copy to %s refused: %w", dstEnd, err)
	}
	if err != nil {
		return fmt.Errorf("copy to %s failed and was rolled back; the target is as it was: %w", dstEnd, err)
	}
	start := time.Now()
	ver, err := dbcopy.Verify(ctx, src, dst, dbcopy.Options{Progress: bar.update})
	bar.finish()
	verifyTime := time.Since(start)
	if err != nil {
		return fmt.Errorf("verify the copy in %s: %w; discard it and copy again", dstEnd, err)
	}
	return reportDBCopy(ctx, out, log, dst, res, ver, verifyTime, dstEnd)
}

// reportDBCopy prints the verification and succeeds only when every table
// matches.
func reportDBCopy(ctx context.Context, out io.Writer, log *slog.Logger, dst *store.Store, res dbcopy.Result,
	ver dbcopy.Verification, verifyTime time.Duration, dstEnd endpoint) error {
	if err := ver.WriteText(out); err != nil {
		return err
	}
	if bad := ver.Mismatched(); len(bad) > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("verification failed: %s differ between the source and %s; "+
			"discard the target, make sure nothing writes to the source, and copy again", strings.Join(bad, ", "), dstEnd)}
	}
	if err := dst.Optimize(ctx, true); err != nil {
		return fmt.Errorf("the copy is verified, but refreshing the planner's statistics of %s failed "+
			"(run ANALYZE there): %w", dstEnd, err)
	}
	rate := float64(res.Rows) / max(res.Elapsed.Seconds(), 1e-3)
	fmt.Fprintf(out, "copied %d rows of %d tables to %s in %s (%.0f rows/s); verified in %s: every table matches\n",
		res.Rows, res.Tables, dstEnd, res.Elapsed.Round(10*time.Millisecond), rate, verifyTime.Round(10*time.Millisecond))
	log.Info("database copied", "action", "db_copy", "target", dstEnd.String(), "tables", res.Tables,
		"rows", res.Rows, "duration", res.Elapsed.Round(time.Millisecond).String())
	return nil
}

// endpoint is one end of a copy: a SQLite file or a PostgreSQL URL.
type endpoint struct {
	path, url string
}

// parseEndpoint reads sqlite:PATH or a postgres:// URL. PATH names a
// database file, or a data directory holding cairn.db; a source must exist.
func parseEndpoint(flag, s string, source bool) (endpoint, error) {
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		return endpoint{url: s}, nil
	}
	p, ok := strings.CutPrefix(s, "sqlite:")
	if !ok || p == "" {
		return endpoint{}, fmt.Errorf("%s: %q is neither sqlite:PATH nor a postgres:// URL", flag, s)
	}
	fi, err := os.Stat(p)
	switch {
	case err == nil && fi.IsDir(), errors.Is(err, fs.ErrNotExist) && !source && filepath.Ext(p) != ".db":
		p = (&globals{dataDir: p}).databasePath() // the data directory's database, as every command names it
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return endpoint{}, fmt.Errorf("%s: %w", flag, err)
	}
	if source {
		if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
			return endpoint{}, fmt.Errorf("%s: there is no Cairn database at %s", flag, p)
		}
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return endpoint{}, fmt.Errorf("%s: %w", flag, err)
	}
	return endpoint{path: abs}, nil
}

// creation notes which of a SQLite target's file and directories exist
// before the copy opens it, and returns the function that removes those
// the opening created (the database file with its journal files, and the
// directories, when empty). For PostgreSQL it does nothing.
func (e endpoint) creation() (undo func()) {
	if e.path == "" {
		return func() {}
	}
	if _, err := os.Lstat(e.path); err == nil {
		return func() {}
	}
	var dirs []string // missing, deepest first
	for d := filepath.Dir(e.path); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || filepath.Dir(d) == d {
			break
		}
		dirs = append(dirs, d)
	}
	return func() {
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			os.Remove(e.path + suffix)
		}
		for _, d := range dirs {
			os.Remove(d) // only when empty
		}
	}
}

func (e endpoint) open(ctx context.Context, log *slog.Logger) (*store.Store, error) {
	if e.url != "" {
		return store.OpenPostgres(ctx, e.url, store.Options{Logger: log})
	}
	return store.OpenSQLite(ctx, e.path, store.Options{Logger: log})
}

// String names the endpoint with any password in the URL masked.
func (e endpoint) String() string {
	if e.url == "" {
		return "sqlite:" + e.path
	}
	return redactURL(e.url)
}

// copyBar draws the progress of a copy and of its verification on stderr
// when both stdout and stderr are terminals and --quiet is not given.
type copyBar struct {
	bar   *progressbar.ProgressBar
	phase string
	off   bool
}

func newCopyBar(quiet bool) *copyBar {
	return &copyBar{off: quiet || !term.IsTerminal(int(os.Stdout.Fd())) || !term.IsTerminal(int(os.Stderr.Fd()))}
}

func (b *copyBar) update(p dbcopy.Progress) {
	if b.off {
		return
	}
	if b.bar == nil || b.phase != p.Phase {
		b.finish()
		b.phase = p.Phase
		b.bar = progressbar.NewOptions64(max(p.Total, 1), progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionShowCount(), progressbar.OptionSetItsString("rows"), progressbar.OptionShowIts(),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(), progressbar.OptionFullWidth())
	}
	b.bar.Describe(fmt.Sprintf("%s %-20s", p.Phase, p.Table))
	_ = b.bar.Set64(min(p.Done, p.Total)) // only fails on a closed writer; the bar is cosmetic
}

func (b *copyBar) finish() {
	if b.bar != nil {
		_ = b.bar.Finish() // cosmetic, as above
		b.bar = nil
	}
}
