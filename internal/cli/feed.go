package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cairn-intel/cairn/internal/feed"
	"github.com/cairn-intel/cairn/internal/fetch"
	"github.com/cairn-intel/cairn/internal/publish"
	"github.com/cairn-intel/cairn/internal/store"
)

func init() {
	commands = append(commands, newFeedCmd)
}

// exitPullFailed is the exit code of `cairn feed fetch` when a pull failed.
const exitPullFailed = 2

func newFeedCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "feed",
		Short: "Manage and pull feeds: add, list, fetch, preview, enable, disable, presets; export our own",
	}
	cmd.AddCommand(newFeedAddCmd(g), newFeedListCmd(g), newFeedFetchCmd(g), newFeedPreviewCmd(g),
		newFeedSwitchCmd(g, true), newFeedSwitchCmd(g, false), newFeedPresetsCmd(g), newFeedExportCmd(g))
	return cmd
}

// feedEnv is an open instance for a feed command.
type feedEnv struct {
	st  *store.Store
	log *slog.Logger
}

// withFeeds opens the instance and runs fn.
func withFeeds(ctx context.Context, g *globals, fn func(*feedEnv) error) error {
	st, log, err := g.openForWrites(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(&feedEnv{st: st, log: log})
}

func (e *feedEnv) puller() *fetch.Puller {
	return fetch.New(e.st, fetch.Options{Version: Version, Logger: e.log})
}

// feedAddFlags are the settings `cairn feed add` takes.
type feedAddFlags struct {
	name, url, format, provider, schedule, settings, columns, delimiter, exclude string
	authHeader, secretFile, userAgent, caPin                                     string
	tags                                                                         []string
	distribution                                                                 int64
	fixedEvent, deltaMerge, publish, enabled, insecure, overrideIDs              bool
}

func newFeedAddCmd(g *globals) *cobra.Command {
	fl := &feedAddFlags{}
	cmd := &cobra.Command{
		Use:   "add --name NAME --url URL [flags]",
		Short: "Add a feed (disabled unless --enabled)",
		Long: `Add a feed. URL is an http(s) URL, a file:// URL or a local path; for a MISP
feed, the directory holding manifest.json. The access key of --auth-header is read
from the file of --auth-secret-file or from the environment variable CAIRN_FEED_SECRET,
never from the command line.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := fl.feed()
			if err != nil {
				return err
			}
			if err := fetch.Check(&f); err != nil {
				return err
			}
			return withFeeds(cmd.Context(), g, func(e *feedEnv) error {
				return e.add(cmd.Context(), cmd.OutOrStdout(), f)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&fl.name, "name", "", "name of the feed (required, unique)")
	f.StringVar(&fl.url, "url", "", "URL or local path of the feed (required)")
	f.StringVar(&fl.format, "format", "freetext", "source format: misp, csv, freetext or json")
	f.StringVar(&fl.provider, "provider", "", "who publishes the feed")
	f.StringVar(&fl.schedule, "schedule", "24h", "time between pulls, such as 1h, 6h or 1d")
	f.StringVar(&fl.settings, "settings", "", "parser settings as JSON (MISP's shape; see docs)")
	f.StringVar(&fl.columns, "csv-columns", "", "csv: value columns, such as 3 or 1,3 (default: every column)")
	f.StringVar(&fl.delimiter, "delimiter", "", `csv: field delimiter (default ","; \t for tab)`)
	f.StringVar(&fl.exclude, "exclude", "", "drop values matching this pattern (Go or /re/i syntax)")
	f.StringSliceVar(&fl.tags, "tag", nil, "tag applied to the feed's events (repeatable)")
	f.Int64Var(&fl.distribution, "distribution", 0,
		"distribution of the feed's events (0-4; 5 for MISP feeds: as the event says)")
	f.BoolVar(&fl.fixedEvent, "fixed-event", true, "write into one event per feed rather than one per pull")
	f.BoolVar(&fl.deltaMerge, "delta-merge", false, "soft-delete values gone from the feed (fixed event only)")
	f.BoolVar(&fl.publish, "publish", false, "publish the event after a pull that changed it")
	f.BoolVar(&fl.overrideIDs, "override-ids", false, "store every value with to_ids off")
	f.BoolVar(&fl.enabled, "enabled", false, "enable pulling at once")
	f.StringVar(&fl.authHeader, "auth-header", "", "request header carrying the access key, such as Auth-Key")
	f.StringVar(&fl.secretFile, "auth-secret-file", "", "file holding the access key")
	f.StringVar(&fl.userAgent, "user-agent", "", "User-Agent to send (default: Cairn's)")
	f.StringVar(&fl.caPin, "ca-pin", "", "SHA-256 of the server certificate, in hex")
	f.BoolVar(&fl.insecure, "insecure", false, "turn TLS verification off (audited in every pull report)")
	return cmd
}

// add creates the feed, checked with fetch.Check.
func (e *feedEnv) add(ctx context.Context, out io.Writer, f store.Feed) error {
	created, err := e.st.CreateFeed(ctx, f)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "feed %d %q added (%s, %s)\n", created.ID, created.Name, created.SourceFormat,
		enabledWord(created.Enabled))
	return nil
}

// feed builds the feed the flags describe.
func (fl *feedAddFlags) feed() (store.Feed, error) {
	if fl.name == "" || fl.url == "" {
		return store.Feed{}, errors.New("--name and --url are required")
	}
	schedule, err := fetch.ParseSchedule(fl.schedule)
	if err != nil {
		return store.Feed{}, err
	}
	settings, err := fl.settingsJSON()
	if err != nil {
		return store.Feed{}, err
	}
	f := store.Feed{Name: fl.name, URL: fl.url, SourceFormat: fl.format, Provider: fl.provider,
		Schedule: schedule, Settings: settings, Tags: fl.tags, Distribution: fl.distribution,
		FixedEvent: fl.fixedEvent, DeltaMerge: fl.deltaMerge, Publish: fl.publish, OverrideIDs: fl.overrideIDs,
		Enabled: fl.enabled, AuthHeader: fl.authHeader, UserAgent: fl.userAgent, CAPin: fl.caPin, Insecure: fl.insecure}
	f.AuthSecret, err = fl.secret()
	return f, err
}

// settingsJSON merges --settings with the shortcut flags.
func (fl *feedAddFlags) settingsJSON() (string, error) {
	set, err := fetch.DecodeSettings(fl.format, fl.settings)
	if err != nil {
		return "", err
	}
	if fl.columns != "" {
		if set.Parse.CSV.Columns, err = feed.ParseColumns(fl.columns); err != nil {
			return "", err
		}
	}
	if fl.delimiter != "" {
		if set.Parse.CSV.Delimiter, err = feed.ParseDelimiter(fl.delimiter); err != nil {
			return "", err
		}
	}
	if fl.exclude != "" {
		set.Parse.CSV.Exclude, set.Parse.Freetext.Exclude, set.Parse.JSON.Exclude = fl.exclude, fl.exclude, fl.exclude
	}
	return fetch.EncodeSettings(set), nil
}

func (fl *feedAddFlags) secret() (string, error) {
	if fl.secretFile != "" {
		b, err := os.ReadFile(fl.secretFile)
		if err != nil {
			return "", fmt.Errorf("--auth-secret-file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return os.Getenv("CAIRN_FEED_SECRET"), nil
}

func enabledWord(on bool) string {
	if on {
		return "enabled"
	}
	return "disabled"
}

func newFeedListCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the feeds with their health",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withFeeds(cmd.Context(), g, func(e *feedEnv) error {
				return e.list(cmd.Context(), cmd.OutOrStdout(), asJSON)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// feedLine is one feed as `cairn feed list --json` prints it; the access
// key is never printed.
type feedLine struct {
	ID       int64        `json:"id"`
	Name     string       `json:"name"`
	Format   string       `json:"source_format"`
	URL      string       `json:"url"`
	Enabled  bool         `json:"enabled"`
	Schedule string       `json:"schedule"`
	Health   fetch.Health `json:"health"`
}

func (e *feedEnv) list(ctx context.Context, out io.Writer, asJSON bool) error {
	feeds, err := e.st.Feeds(ctx)
	if err != nil {
		return err
	}
	lines := make([]feedLine, 0, len(feeds))
	for _, f := range feeds {
		lines = append(lines, feedLine{ID: f.ID, Name: f.Name, Format: f.SourceFormat, URL: feed.RedactURL(f.URL), Enabled: f.Enabled,
			Schedule: fetch.FormatSchedule(f.Schedule), Health: fetch.HealthOf(f, e.st.Now())})
	}
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(lines)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tFORMAT\tSCHEDULE\tSTATUS\tLAST SUCCESS\tERRORS\tURL")
	for _, l := range lines {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", l.ID, l.Name, l.Format, l.Schedule, l.Health.Status,
			unixText(l.Health.LastSuccess), l.Health.ErrorStreak, l.URL)
	}
	return tw.Flush()
}

func unixText(t int64) string {
	if t == 0 {
		return "-"
	}
	return time.Unix(t, 0).UTC().Format("2006-01-02 15:04Z")
}

func newFeedFetchCmd(g *globals) *cobra.Command {
	var all, asJSON bool
	cmd := &cobra.Command{
		Use:   "fetch [--all] [--json] [NAME-or-ID...]",
		Short: "Pull feeds now and print each pull's report",
		Long: `Pull the named feeds (disabled ones too), or with --all every enabled feed, and
print the report of each pull. Exit status: 0 when every pull succeeded, 2 when one
failed (its report says why), 1 on a fatal error.`,
		RunE: func(cmd *cobra.Command, refs []string) error {
			if all == (len(refs) > 0) {
				return errors.New("name feeds or give --all")
			}
			return withFeeds(cmd.Context(), g, func(e *feedEnv) error {
				return e.fetch(cmd.Context(), cmd.OutOrStdout(), refs, asJSON)
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "pull every enabled feed")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the reports as JSON")
	return cmd
}

func (e *feedEnv) fetch(ctx context.Context, out io.Writer, refs []string, asJSON bool) error {
	p := e.puller()
	var reports []*fetch.Report
	if len(refs) == 0 {
		var err error
		if reports, err = p.PullAll(ctx); err != nil {
			return err
		}
	}
	for _, ref := range refs {
		f, err := e.st.FeedByRef(ctx, ref)
		if err != nil {
			return err
		}
		rep, err := p.Pull(ctx, f)
		if rep == nil {
			return fmt.Errorf("feed %q: %w", f.Name, err)
		}
		reports = append(reports, rep)
	}
	return printReports(out, reports, asJSON)
}

// printReports writes the reports and turns a failed pull into exit code 2.
func printReports(out io.Writer, reports []*fetch.Report, asJSON bool) error {
	failed := 0
	for i, r := range reports {
		if !r.Succeeded() {
			failed++
		}
		if asJSON {
			if err := r.WriteJSON(out); err != nil {
				return err
			}
			continue
		}
		if i > 0 {
			fmt.Fprintln(out)
		}
		if err := r.WriteText(out); err != nil {
			return err
		}
	}
	if failed > 0 {
		return &exitError{code: exitPullFailed, msg: fmt.Sprintf("%d of %d pulls failed", failed, len(reports))}
	}
	return nil
}

func newFeedPreviewCmd(g *globals) *cobra.Command {
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "preview NAME-or-ID",
		Short: "Read a feed's source and show what a pull would store, storing nothing",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withFeeds(cmd.Context(), g, func(e *feedEnv) error {
				return e.preview(cmd.Context(), cmd.OutOrStdout(), args[0], limit, asJSON)
			})
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 20, "how many indicators (or MISP events) to show")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (e *feedEnv) preview(ctx context.Context, out io.Writer, ref string, limit int, asJSON bool) error {
	f, err := e.st.FeedByRef(ctx, ref)
	if err != nil {
		return err
	}
	pv, err := e.puller().Preview(ctx, f, max(limit, 1))
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(pv)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, it := range pv.Items {
		fmt.Fprintf(tw, "%d\t%s\t%s\n", it.Line, it.Type, it.Value)
	}
	for _, ev := range pv.Events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", ev.UUID, ev.Date, ev.Status, ev.Info)
	}
	for _, rj := range pv.Rejects {
		fmt.Fprintf(tw, "%d\trejected\t%s: %s\n", rj.Line, rj.Text, rj.Reason)
	}
	if pv.Truncated {
		fmt.Fprintf(tw, "…\t(more in the source; --limit shows more)\t\n")
	}
	return tw.Flush()
}

func newFeedSwitchCmd(g *globals, on bool) *cobra.Command {
	use, short := "disable NAME-or-ID...", "Stop pulling feeds"
	if on {
		use, short = "enable NAME-or-ID...", "Start pulling feeds on their schedule"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, refs []string) error {
			return withFeeds(cmd.Context(), g, func(e *feedEnv) error {
				for _, ref := range refs {
					f, err := e.st.FeedByRef(cmd.Context(), ref)
					if err != nil {
						return err
					}
					if err := e.st.EnableFeed(cmd.Context(), f.ID, on); err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "feed %d %q %s\n", f.ID, f.Name, enabledWord(on))
				}
				return nil
			})
		},
	}
}

func newFeedPresetsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "presets",
		Short: "Create the eleven preset feeds, disabled (enable each with 'cairn feed enable NAME')",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withFeeds(cmd.Context(), g, func(e *feedEnv) error {
				created, skipped, err := fetch.LoadPresets(cmd.Context(), e.st)
				out := cmd.OutOrStdout()
				for _, f := range created {
					p, _ := feed.PresetByName(f.Name)
					fmt.Fprintf(out, "created %d %q (disabled): %s\n", f.ID, f.Name, p.Note)
				}
				for _, name := range skipped {
					fmt.Fprintf(out, "present %q\n", name)
				}
				return err
			})
		},
	}
}

func newFeedExportCmd(g *globals) *cobra.Command {
	var as string
	var rule publish.Rule
	cmd := &cobra.Command{
		Use:   "export DIR [--as EMAIL] [--connected]",
		Short: "Write this instance's MISP feed (manifest.json, hashes.csv, one file per event) into DIR",
		Long: `Write the published events of distribution 3 (all communities) that the user may
see as a MISP feed into DIR: manifest.json, hashes.csv and one {uuid}.json per event.
With --connected, events of distribution 2 (connected communities) are added, written
as distribution 1. Events at 0, 1 and 4 never leave; see docs/feeds.md.

The feed is written into a new directory beside DIR that then takes DIR's place, so a
web server serving DIR never shows half a feed. A DIR holding other files and no
manifest.json is refused.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withFeeds(cmd.Context(), g, func(e *feedEnv) error {
				return e.export(cmd.Context(), cmd.OutOrStdout(), args[0], as, rule)
			})
		},
	}
	cmd.Flags().StringVar(&as, "as", "", "e-mail of the user to read as (default: the first site administrator)")
	cmd.Flags().BoolVar(&rule.Connected, "connected", false, "also export distribution 2 (connected communities)")
	return cmd
}

func (e *feedEnv) export(ctx context.Context, out io.Writer, dir, as string, rule publish.Rule) error {
	actor, err := e.st.CLIActor(ctx, as)
	if as != "" && errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("--as %s: there is no user with this e-mail", as)
	}
	if err != nil {
		return err
	}
	start := time.Now()
	c, err := publish.New(e.st, actor, rule).Export(ctx, dir)
	if err != nil {
		return err
	}
	took := time.Since(start)
	e.log.Info("feed export finished", "action", "feed_export", "user", actor.User.Email, "events", c.Events,
		"attributes", c.Attributes, "duration_ms", took.Milliseconds())
	fmt.Fprintf(out, "exported %d events (%d attributes, %d objects, %d hashes) as %s to %s in %s\n",
		c.Events, c.Attributes, c.Objects, c.Hashes, actor.User.Email, dir, took.Round(time.Millisecond))
	return nil
}
