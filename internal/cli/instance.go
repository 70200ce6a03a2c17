package cli

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver of hasPostgresInstance

	"github.com/cairn-intel/cairn/internal/server"
	"github.com/cairn-intel/cairn/internal/store"
	"github.com/cairn-intel/cairn/internal/taxonomy"
)

// Two kinds of command open an instance. `cairn serve` and `cairn bench
// load` may start one, and create the data directory, the database and
// the first administrator when they are new (openOrCreate). Every other
// command works on an instance that exists (open): it refuses a data
// directory or a database that holds none, and creates nothing, so that a
// mistyped --data does not leave an empty instance behind.

// errNoInstance is the refusal of a command that needs an instance.
var errNoInstance = errors.New("no Cairn instance")

// open opens an instance that exists, with the logger of the flags.
func (g *globals) open(ctx context.Context) (*store.Store, *slog.Logger, error) {
	log, err := g.logger()
	if err != nil {
		return nil, nil, err
	}
	if err := g.checkDatabaseURL(); err != nil {
		return nil, nil, err
	}
	exists, err := g.instanceExists(ctx)
	if err != nil {
		return nil, nil, err
	}
	if !exists {
		return nil, nil, g.noInstance()
	}
	st, err := g.openStore(ctx, log)
	if err != nil {
		return nil, nil, err
	}
	// The database may be there without its administrator: a first start
	// that failed half-way, or a file left by an older cairn.
	if done, err := st.Initialised(ctx); err != nil || !done {
		st.Close()
		if err == nil {
			err = g.noInstance()
		}
		return nil, nil, err
	}
	return st, log, nil
}

// openForWrites is open for the commands that write events (import, feed
// pulls): tags are checked against the enabled taxonomies, as the server
// checks them.
func (g *globals) openForWrites(ctx context.Context) (*store.Store, *slog.Logger, error) {
	st, log, err := g.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := applyTagPolicy(ctx, st); err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, log, nil
}

// openOrCreate opens the instance's database, creating the data directory
// (mode 0700) and the database when they are new. cfg holds the settings
// of the first start (CAIRN_ADMIN_KEY, CAIRN_ORG, CAIRN_ADMIN_EMAIL): ones
// that Bootstrap would refuse are refused here, before anything is
// created, unless the instance exists and will ignore them.
func (g *globals) openOrCreate(ctx context.Context, cfg server.Config) (*store.Store, *slog.Logger, error) {
	log, err := g.logger()
	if err != nil {
		return nil, nil, err
	}
	if err := g.checkDatabaseURL(); err != nil {
		return nil, nil, err
	}
	if firstErr := cfg.CheckFirstStart(); firstErr != nil {
		exists, err := g.instanceExists(ctx)
		if err != nil {
			return nil, nil, err
		}
		if !exists {
			return nil, nil, firstErr
		}
	}
	if err := os.MkdirAll(g.dataDir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("create data directory: %w", err)
	}
	if err := os.Chmod(g.dataDir, 0o700); err != nil {
		return nil, nil, err
	}
	st, err := g.openStore(ctx, log)
	return st, log, err
}

// openInstance is openOrCreate that also initialises a new instance as
// the first 'cairn serve' would, with the same settings (CAIRN_ORG,
// CAIRN_ADMIN_EMAIL, CAIRN_ADMIN_KEY), and checks tags as the server does.
// The one-time credentials go to stderr, so that stdout keeps the report.
func (g *globals) openInstance(ctx context.Context) (*store.Store, *slog.Logger, error) {
	c := &serveConfig{}
	for _, s := range serveSettings(c) {
		*s.dst = envOr(s.env, s.def)
	}
	cfg, err := c.server(g)
	if err != nil {
		return nil, nil, err
	}
	st, log, err := g.openOrCreate(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	cfg.Out = os.Stderr
	if err := server.Bootstrap(ctx, st, cfg, log); err != nil {
		st.Close()
		return nil, nil, err
	}
	if err := applyTagPolicy(ctx, st); err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, log, nil
}

// openStore opens the database of the flags, which creates it when it is
// new; the callers above decide whether it may be.
func (g *globals) openStore(ctx context.Context, log *slog.Logger) (*store.Store, error) {
	if g.database != "" {
		return store.OpenPostgres(ctx, g.database, store.Options{Logger: log})
	}
	return store.OpenSQLite(ctx, g.databasePath(), store.Options{Logger: log})
}

// checkDatabaseURL refuses a --database that is not a PostgreSQL URL.
func (g *globals) checkDatabaseURL() error {
	if g.database == "" || strings.HasPrefix(g.database, "postgres://") || strings.HasPrefix(g.database, "postgresql://") {
		return nil
	}
	return fmt.Errorf("--database: %q is not a postgres:// URL", g.database)
}

// instanceExists looks for the instance without creating anything: the
// SQLite file in the data directory, or the first administrator in the
// PostgreSQL database.
func (g *globals) instanceExists(ctx context.Context) (bool, error) {
	if g.database != "" {
		return hasPostgresInstance(ctx, g.database)
	}
	fi, err := os.Stat(g.databasePath())
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, err
	case !fi.Mode().IsRegular():
		return false, fmt.Errorf("%s is not a database file", g.databasePath())
	}
	return true, nil
}

// hasPostgresInstance reports whether the database at dbURL holds a Cairn
// instance with its first administrator. It does not go through
// store.OpenPostgres, which would create the schema in an empty database.
func hasPostgresInstance(ctx context.Context, dbURL string) (bool, error) {
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		return false, fmt.Errorf("--database: %w", err)
	}
	defer db.Close()
	var found bool
	err = db.QueryRowContext(ctx, `SELECT to_regclass('users') IS NOT NULL`).Scan(&found)
	if err == nil && found {
		err = db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM users)`).Scan(&found)
	}
	if err != nil {
		return false, fmt.Errorf("connect to %s: %w", redactURL(dbURL), err)
	}
	return found, nil
}

// noInstance says that there is no instance where the flags point, and
// how to start one there.
func (g *globals) noInstance() error {
	if g.database != "" {
		u := redactURL(g.database)
		return fmt.Errorf("%w in the database %s; start one with `cairn serve --database %s` (--database, "+
			"CAIRN_DATABASE_URL)", errNoInstance, u, u)
	}
	return fmt.Errorf("%w in %s; start one with `cairn serve --data %s`, or give the data directory of an "+
		"instance with --data (CAIRN_DATA)", errNoInstance, g.dataDir, g.dataDir)
}

// redactURL returns a database URL with its password masked.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "the PostgreSQL database" // an unparsable URL may hold a password in clear
	}
	return u.Redacted()
}

// applyTagPolicy checks the tags of writes against the enabled
// taxonomies, as the server does.
func applyTagPolicy(ctx context.Context, st *store.Store) error {
	taxonomies, err := taxonomy.Open(ctx, st)
	if err != nil {
		return fmt.Errorf("taxonomies: %w", err)
	}
	st.SetTagPolicy(taxonomies)
	return nil
}
