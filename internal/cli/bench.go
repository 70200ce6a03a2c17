package cli

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cairn-intel/cairn/internal/gen"
	"github.com/cairn-intel/cairn/internal/store"
)

func init() {
	commands = append(commands, newBenchCmd)
}

// datasetFlags choose the generated dataset of the bench commands.
type datasetFlags struct {
	scale, events int
	seed          uint64
}

func (f *datasetFlags) bind(cmd *cobra.Command) {
	cmd.Flags().IntVar(&f.scale, "scale", 1, "multiply the default dataset (1,842 events, 595,023 attributes) by N")
	cmd.Flags().IntVar(&f.events, "events", 0, "generate N events instead, keeping the average attributes per event")
	cmd.Flags().Uint64Var(&f.seed, "seed", 1, "seed of the generator; the same seed gives the same data")
}

func (f *datasetFlags) generator() (*gen.Generator, error) {
	if f.scale < 1 {
		return nil, fmt.Errorf("--scale must be 1 or more, got %d", f.scale)
	}
	cfg := gen.DefaultConfig().Scaled(f.scale)
	cfg.Seed = f.seed
	if f.events > 0 {
		cfg = cfg.WithEvents(f.events)
	}
	return gen.New(cfg)
}

func newBenchCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure Cairn on generated data",
	}
	cmd.AddCommand(newBenchImportCmd(g), newBenchFeedCmd(), newBenchLoadCmd(g))
	for _, sub := range benchSubcommands {
		cmd.AddCommand(sub(g))
	}
	return cmd
}

func newBenchLoadCmd(g *globals) *cobra.Command {
	f := &datasetFlags{}
	cmd := &cobra.Command{
		Use:   "load",
		Short: "Store the generated dataset in the data directory, for measuring a running server",
		Long: `Store the generated dataset in the instance's data directory through the same
write path as 'cairn import' (initialising the instance if needed), then refresh the
query planner's statistics. Use it before 'cairn bench http'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			gn, err := f.generator()
			if err != nil {
				return err
			}
			return runBenchLoad(cmd.Context(), cmd.OutOrStdout(), g, gn)
		},
	}
	f.bind(cmd)
	return cmd
}

func runBenchLoad(ctx context.Context, out io.Writer, g *globals, gn *gen.Generator) error {
	st, _, err := g.openInstance(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	actor, err := st.CLIActor(ctx, "")
	if err != nil {
		return err
	}
	res, err := gen.SaveEvents(ctx, st, actor, gn)
	if err != nil {
		return err
	}
	printResult(out, "loaded", res)
	return st.Optimize(ctx, true)
}

func newBenchImportCmd(g *globals) *cobra.Command {
	f := &datasetFlags{}
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Compare storing events through the store with raw inserts of the same rows",
		Long: `Generate a dataset and store it twice: first as raw rows inserted in large
transactions into a table with the shape and indexes of the attributes table (the
baseline), then through the store's SaveEvents in batches, as 'cairn import' does.
Prints both rates in attributes per second and their ratio. Building the events is
not timed.

On SQLite (the default) the run takes place in a temporary directory; the baseline
is one prepared INSERT per row, and a second baseline keeps only the value index.
With --database postgres://..., the URL names the server: the run creates a database
cairn_bench_<random> there and drops it at the end; the baseline is multi-row INSERTs,
and COPY of the same rows is the second reference.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			gn, err := f.generator()
			if err != nil {
				return err
			}
			if g.database != "" {
				return runBenchImportPostgres(cmd.Context(), cmd.OutOrStdout(), g.database, gn)
			}
			return runBenchImport(cmd.Context(), cmd.OutOrStdout(), gn)
		},
	}
	f.bind(cmd)
	return cmd
}

func runBenchImport(ctx context.Context, out io.Writer, g *gen.Generator) error {
	dir, err := os.MkdirTemp("", "cairn-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg := g.Config()
	fmt.Fprintf(out, "dataset: %d events, %d attributes, seed %d (in %s)\n", cfg.Events, cfg.Attributes, cfg.Seed, dir)

	rawDir := filepath.Join(dir, "raw")
	if err := os.Mkdir(rawDir, 0o700); err != nil {
		return err
	}
	raw, err := gen.RawInsert(ctx, rawDir, g)
	if err != nil {
		return fmt.Errorf("raw baseline: %w", err)
	}
	printResult(out, "raw INSERT baseline", raw)

	calDir := filepath.Join(dir, "calibration")
	if err := os.Mkdir(calDir, 0o700); err != nil {
		return err
	}
	cal, err := gen.RawInsertValueIndex(ctx, calDir, g)
	if err != nil {
		return fmt.Errorf("calibration: %w", err)
	}
	printResult(out, "raw, value index only", cal)

	saved, err := benchStore(ctx, out, g, func() (*store.Store, *store.Actor, error) {
		return gen.NewStore(ctx, filepath.Join(dir, "store"))
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "ratio: %.2f (SaveEvents rate / raw rate; the aim is 0.5 or more)\n", saved.Rate()/raw.Rate())
	return nil
}

// runBenchImportPostgres is runBenchImport in a new database on the
// PostgreSQL server of serverURL.
func runBenchImportPostgres(ctx context.Context, out io.Writer, serverURL string, g *gen.Generator) (err error) {
	dbURL, drop, err := gen.CreateDatabase(ctx, serverURL)
	if err != nil {
		return err
	}
	defer func() {
		if derr := drop(); derr != nil && err == nil {
			err = fmt.Errorf("drop the benchmark database: %w", derr)
		}
	}()
	cfg := g.Config()
	fmt.Fprintf(out, "dataset: %d events, %d attributes, seed %d (in database %s)\n", cfg.Events, cfg.Attributes, cfg.Seed,
		databaseName(dbURL))

	raw, err := gen.RawInsertPostgres(ctx, dbURL, g)
	if err != nil {
		return fmt.Errorf("raw baseline: %w", err)
	}
	printResult(out, "raw multi-row INSERT", raw)
	cp, err := gen.RawCopyPostgres(ctx, dbURL, g)
	if err != nil {
		return fmt.Errorf("COPY reference: %w", err)
	}
	printResult(out, "raw COPY", cp)

	saved, err := benchStore(ctx, out, g, func() (*store.Store, *store.Actor, error) {
		return gen.NewPostgresStore(ctx, dbURL)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "ratio: %.2f (SaveEvents rate / multi-row INSERT rate; the aim is 0.5 or more); %.2f against COPY\n",
		saved.Rate()/raw.Rate(), saved.Rate()/cp.Rate())
	return nil
}

// databaseName returns the database part of a postgres:// URL, which is
// all of it worth printing (the rest may hold a password).
func databaseName(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "?"
	}
	return strings.TrimPrefix(u.Path, "/")
}

// benchStore stores the dataset through store.SaveEvents in the store open
// returns, and prints the rate.
func benchStore(ctx context.Context, out io.Writer, g *gen.Generator,
	open func() (*store.Store, *store.Actor, error)) (gen.Result, error) {
	st, actor, err := open()
	if err != nil {
		return gen.Result{}, err
	}
	defer st.Close()
	saved, err := gen.SaveEvents(ctx, st, actor, g)
	if err != nil {
		return saved, fmt.Errorf("store.SaveEvents: %w", err)
	}
	printResult(out, "store.SaveEvents", saved)
	return saved, nil
}

func printResult(out io.Writer, name string, r gen.Result) {
	fmt.Fprintf(out, "%-20s %8d attributes of %5d events in %7.2fs: %8.0f attributes/s\n",
		name+":", r.Attributes, r.Events, r.Elapsed.Seconds(), r.Rate())
}

func newBenchFeedCmd() *cobra.Command {
	f := &datasetFlags{}
	cmd := &cobra.Command{
		Use:   "feed DIR",
		Short: "Write the generated dataset as a MISP feed directory, for 'cairn import DIR'",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			g, err := f.generator()
			if err != nil {
				return err
			}
			if err := g.WriteFeed(args[0]); err != nil {
				return err
			}
			cfg := g.Config()
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %d events, %d attributes to %s\n", cfg.Events, cfg.Attributes, args[0])
			return nil
		},
	}
	f.bind(cmd)
	return cmd
}
