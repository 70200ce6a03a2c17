package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cairn-intel/cairn/internal/catalog"
	"github.com/cairn-intel/cairn/internal/galaxy"
	"github.com/cairn-intel/cairn/internal/store"
	"github.com/cairn-intel/cairn/internal/taxonomy"
	"github.com/cairn-intel/cairn/internal/warninglist"
)

func init() {
	commands = append(commands, newWarninglistCmd, newTaxonomyCmd, newGalaxyCmd)
}

const knowledgeNote = `Choices are saved in the instance's settings. A running server reads them
again on POST warninglists/update, taxonomies/update or galaxies/update, or
when it restarts.`

// knowledgeDir is a directory setting given by a flag or the environment
// and saved in the instance settings, where the server reads it.
type knowledgeDir struct {
	flag, env string
	value     string
	save      func(ctx context.Context, st *store.Store, dir string) error
}

func (d *knowledgeDir) bind(cmd *cobra.Command, what string) {
	cmd.PersistentFlags().StringVar(&d.value, d.flag, os.Getenv(d.env),
		"directory of "+what+" in MISP's layout, saved for the server (env "+d.env+"; \"\" forgets it)")
}

// apply saves the directory when the flag or the variable gives one.
func (d *knowledgeDir) apply(ctx context.Context, cmd *cobra.Command, st *store.Store) error {
	f := cmd.Flag(d.flag)
	if (f == nil || !f.Changed) && os.Getenv(d.env) == "" {
		return nil
	}
	if err := d.save(ctx, st, d.value); err != nil {
		return fmt.Errorf("--%s: %w", d.flag, err)
	}
	return nil
}

// openForKnowledge opens the store and saves the group's directory flag.
func openForKnowledge(cmd *cobra.Command, g *globals, dir *knowledgeDir) (*store.Store, *slog.Logger, error) {
	st, log, err := g.open(cmd.Context())
	if err != nil {
		return nil, nil, err
	}
	if err := dir.apply(cmd.Context(), cmd, st); err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, log, nil
}

// warnProblems prints what a registry could not load.
func warnProblems[P fmt.Stringer](w io.Writer, problems []P) {
	for _, p := range problems {
		fmt.Fprintln(w, "warning:", p)
	}
}

// openRegistry opens the store, saves the group's directory flag, and
// loads a registry with open, warning of what it could not load.
func openRegistry[R any, P fmt.Stringer](cmd *cobra.Command, g *globals, dir *knowledgeDir,
	open func(context.Context, catalog.Settings) (R, error), problems func(R) []P) (*store.Store, R, error) {
	var reg R
	st, _, err := openForKnowledge(cmd, g, dir)
	if err != nil {
		return nil, reg, err
	}
	if reg, err = open(cmd.Context(), st); err != nil {
		st.Close()
		return nil, reg, err
	}
	warnProblems(cmd.ErrOrStderr(), problems(reg))
	return st, reg, nil
}

// toggleCommand builds the enable (on) or disable command of a kind of
// knowledge ("warninglists"); set is called with the references, once
// every one of them is known to resolve (see findAll).
func toggleCommand(on bool, kind, refForm string, set func(cmd *cobra.Command, verb string, refs []string) error) *cobra.Command {
	verb := map[bool]string{true: "enable", false: "disable"}[on]
	return &cobra.Command{
		Use:   verb + " " + refForm + "...",
		Short: strings.ToUpper(verb[:1]) + verb[1:] + " " + kind + ", named by " + strings.ToLower(strings.ReplaceAll(refForm, "|", " or ")),
		Args:  cobra.MinimumNArgs(1),
		RunE:  func(cmd *cobra.Command, refs []string) error { return set(cmd, verb, refs) },
	}
}

// findAll resolves every reference before anything changes.
func findAll[T any](refs []string, find func(string) (T, bool), what, listCmd string) ([]T, error) {
	out := make([]T, 0, len(refs))
	for _, ref := range refs {
		v, ok := find(ref)
		if !ok {
			return nil, fmt.Errorf("no %s %q: see %s", what, ref, listCmd)
		}
		out = append(out, v)
	}
	return out, nil
}

// warninglistCLI builds the warninglist commands around one directory flag.
type warninglistCLI struct {
	g   *globals
	dir *knowledgeDir
}

func newWarninglistCmd(g *globals) *cobra.Command {
	c := &warninglistCLI{g: g, dir: &knowledgeDir{flag: "warninglists-dir", env: "CAIRN_WARNINGLISTS_DIR",
		save: func(ctx context.Context, st *store.Store, d string) error { return warninglist.SetDir(ctx, st, d) }}}
	cmd := &cobra.Command{
		Use:   "warninglist",
		Short: "List, check and enable warninglists",
		Long: `Warninglists name values that are seldom real indicators: documentation and
private address ranges, example domains, and the lists of MISP's
misp-warninglists repository when --warninglists-dir points at its lists
folder. Built-in lists are enabled; lists read from the directory are
disabled until enabled.

` + knowledgeNote,
	}
	c.dir.bind(cmd, "warninglists")
	cmd.AddCommand(c.listCmd(), c.checkCmd(), c.toggleCmd(true), c.toggleCmd(false))
	return cmd
}

func (c *warninglistCLI) open(cmd *cobra.Command) (*store.Store, *warninglist.Registry, error) {
	return openRegistry(cmd, c.g, c.dir, warninglist.Open, (*warninglist.Registry).Problems)
}

func (c *warninglistCLI) listCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the warninglists and whether each is enabled",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, reg, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			return printWarninglists(cmd.OutOrStdout(), reg)
		},
	}
}

func (c *warninglistCLI) checkCmd() *cobra.Command {
	var asJSON bool
	var attrType string
	cmd := &cobra.Command{
		Use:   "check [--type TYPE] [--json] VALUE...",
		Short: "Check values against the enabled warninglists",
		Long: `Check values against the enabled warninglists. Without --type every enabled
list is consulted, as warninglists/checkValue does; with an attribute type,
only the lists meant for it, and a composite value ("domain|ip") is checked
half by half.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, values []string) error {
			st, reg, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			return printChecks(cmd.OutOrStdout(), reg.Matcher(), values, attrType, asJSON)
		},
	}
	cmd.Flags().StringVar(&attrType, "type", "", "MISP attribute type of the values")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print warninglists/checkValue's JSON")
	return cmd
}

func (c *warninglistCLI) toggleCmd(on bool) *cobra.Command {
	return toggleCommand(on, "warninglists", "ID|NAME", func(cmd *cobra.Command, verb string, refs []string) error {
		st, reg, err := c.open(cmd)
		if err != nil {
			return err
		}
		defer st.Close()
		lists, err := findAll(refs, reg.Find, "warninglist", "cairn warninglist list")
		if err != nil {
			return err
		}
		n, err := reg.SetEnabled(cmd.Context(), lists, on)
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%d warninglist(s) %sd, %d changed\n", len(lists), verb, n)
		return nil
	})
}

func printWarninglists(out io.Writer, reg *warninglist.Registry) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tENABLED\tTYPE\tENTRIES\tNAME")
	for _, l := range reg.Lists() {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\n", l.ID, yesNo(reg.Enabled(l)), l.Type, len(l.Entries), l.Name)
	}
	if d := reg.Dir(); d != "" {
		fmt.Fprintf(tw, "\ndirectory: %s\n", d)
	}
	return tw.Flush()
}

func printChecks(out io.Writer, m *warninglist.Matcher, values []string, attrType string, asJSON bool) error {
	hits := map[string][]map[string]string{}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, v := range values {
		found := m.Check(v, attrType)
		if len(found) == 0 && !asJSON {
			fmt.Fprintf(tw, "%s\t-\tno enabled warninglist\t\n", v)
		}
		for _, h := range found {
			hits[v] = append(hits[v], map[string]string{"id": strconv.FormatInt(h.ListID, 10),
				"name": h.Name, "matched": h.Matched})
			if !asJSON {
				fmt.Fprintf(tw, "%s\t%d\t%s\tmatched %s\n", v, h.ListID, h.Name, h.Matched)
			}
		}
	}
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(hits)
	}
	return tw.Flush()
}

// taxonomyCLI builds the taxonomy commands around one directory flag.
type taxonomyCLI struct {
	g   *globals
	dir *knowledgeDir
}

func newTaxonomyCmd(g *globals) *cobra.Command {
	c := &taxonomyCLI{g: g, dir: &knowledgeDir{flag: "taxonomies-dir", env: "CAIRN_TAXONOMIES_DIR",
		save: func(ctx context.Context, st *store.Store, d string) error { return taxonomy.SetDir(ctx, st, d) }}}
	cmd := &cobra.Command{
		Use:   "taxonomy",
		Short: "List and enable taxonomies",
		Long: `Taxonomies are the vocabularies of machine tags. TLP 2.0, PAP, threat-level and
the Admiralty scale are built in and enabled; --taxonomies-dir points at a
directory of machinetag.json files such as MISP's misp-taxonomies, whose
taxonomies are disabled until enabled. Tags in the namespace of an enabled
taxonomy must be ones it defines.

` + knowledgeNote,
	}
	c.dir.bind(cmd, "taxonomies")
	cmd.AddCommand(c.listCmd(), c.toggleCmd(true), c.toggleCmd(false))
	return cmd
}

func (c *taxonomyCLI) open(cmd *cobra.Command) (*store.Store, *taxonomy.Registry, error) {
	return openRegistry(cmd, c.g, c.dir, taxonomy.Open, (*taxonomy.Registry).Problems)
}

func (c *taxonomyCLI) listCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the taxonomies and whether each is enabled",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, reg, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tENABLED\tREQUIRED\tEXCLUSIVE\tTAGS\tNAMESPACE")
			for _, t := range reg.Taxonomies() {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\n", t.ID, yesNo(reg.Enabled(t)), yesNo(reg.Required(t)),
					yesNo(t.Exclusive), len(t.Tags()), t.Namespace)
			}
			return tw.Flush()
		},
	}
}

// toggleCmd enables or disables taxonomies; every name is resolved before
// anything changes.
func (c *taxonomyCLI) toggleCmd(on bool) *cobra.Command {
	return toggleCommand(on, "taxonomies", "ID|NAMESPACE", func(cmd *cobra.Command, verb string, refs []string) error {
		st, reg, err := c.open(cmd)
		if err != nil {
			return err
		}
		defer st.Close()
		ts, err := findAll(refs, reg.Find, "taxonomy", "cairn taxonomy list")
		if err != nil {
			return err
		}
		for _, t := range ts {
			if err := reg.SetEnabled(cmd.Context(), t, on); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %sd\n", t.Namespace, verb)
		}
		return nil
	})
}

func newGalaxyCmd(g *globals) *cobra.Command {
	dir := &knowledgeDir{flag: "galaxies-dir", env: "CAIRN_GALAXIES_DIR",
		save: func(ctx context.Context, st *store.Store, d string) error { return galaxy.SetDir(ctx, st, d) }}
	cmd := &cobra.Command{
		Use:   "galaxy",
		Short: "List the galaxies read from the galaxies directory",
		Long: `Galaxies group clusters (threat actors, tools, techniques) that events carry
as misp-galaxy tags. --galaxies-dir points at a directory in the layout of
MISP's misp-galaxy repository, with galaxies/ and clusters/ folders.

` + knowledgeNote,
	}
	dir.bind(cmd, "galaxies")
	list := &cobra.Command{
		Use:   "list",
		Short: "List the galaxies and how many clusters each has",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, reg, err := openRegistry(cmd, g, dir, galaxy.Open, (*galaxy.Registry).Problems)
			if err != nil {
				return err
			}
			defer st.Close()
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTYPE\tCLUSTERS\tNAME")
			for _, gx := range reg.Galaxies() {
				fmt.Fprintf(tw, "%d\t%s\t%d\t%s\n", gx.ID, gx.Type, len(gx.Clusters), gx.Name)
			}
			if reg.Dir() == "" {
				fmt.Fprintln(tw, "\nno galaxies directory: set one with --galaxies-dir")
			}
			return tw.Flush()
		},
	}
	cmd.AddCommand(list)
	return cmd
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
