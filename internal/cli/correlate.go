package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/store"
)

func init() {
	commands = append(commands, newCorrelateCmd)
}

type correlateOpts struct {
	rebuild, drain, asJSON bool
	limit                  int
	cidr                   string
	disable, enable        []string
	top                    int
}

func newCorrelateCmd(g *globals) *cobra.Command {
	var o correlateOpts
	cmd := &cobra.Command{
		Use:   "correlate",
		Short: "Show, configure and rebuild the correlation index",
		Long: `Without flags, prints the size of the correlation index, the cap, the types
excluded and the events waiting for the worker of a running server.

The index is kept up to date by the server as events are written. --rebuild
recomputes it from every attribute in one transaction, with a progress bar;
run it after changing the excluded types (done for you here) or to check the
index. --cap sets the number of attributes past which a value is
over-correlating: it is still counted, but no longer links events.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.check(cmd); err != nil {
				return err
			}
			st, _, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			return runCorrelate(cmd, st, o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.rebuild, "rebuild", false, "recompute the whole index from the attributes")
	f.BoolVar(&o.drain, "drain", false, "apply the queued events now, as the server's worker does")
	f.IntVar(&o.limit, "cap", 0, "number of attributes past which a value is over-correlating (MISP's default: 100)")
	f.StringSliceVar(&o.disable, "disable-type", nil, "exclude attribute types from correlation (comma-separated)")
	f.StringSliceVar(&o.enable, "enable-type", nil, "include attribute types excluded before")
	f.IntVar(&o.top, "top", 0, "list the N values held by the most attributes")
	f.StringVar(&o.cidr, "cidr", "", "on: relate an address range (ip-src, ip-dst CIDR) to the events with an address in it; off: do not")
	f.BoolVar(&o.asJSON, "json", false, "print the status as JSON")
	return cmd
}

// check refuses the flags that need no database to be found wrong, all of
// them before anything is changed: a command refused changes nothing.
func (o correlateOpts) check(cmd *cobra.Command) error {
	if cmd.Flags().Changed("top") && o.top < 1 {
		return fmt.Errorf("--top: give a number of values of at least 1, not %d", o.top)
	}
	if cmd.Flags().Changed("cidr") && !strings.EqualFold(o.cidr, "on") && !strings.EqualFold(o.cidr, "off") {
		return fmt.Errorf("--cidr: say on or off, not %q", o.cidr)
	}
	if cmd.Flags().Changed("cap") && o.limit < 1 {
		return fmt.Errorf("--cap: the correlation cap must be at least 1, not %d", o.limit)
	}
	for _, t := range o.disable {
		t = strings.TrimSpace(t)
		if _, ok := misp.LookupType(t); !ok {
			return fmt.Errorf("--disable-type: unknown attribute type %q", t)
		}
		if !misp.Correlates(t) {
			return fmt.Errorf("--disable-type: attribute type %q never correlates; there is nothing to exclude", t)
		}
	}
	for _, t := range o.enable {
		t = strings.TrimSpace(t)
		if _, ok := misp.LookupType(t); !ok {
			return fmt.Errorf("--enable-type: unknown attribute type %q", t)
		}
		if slices.ContainsFunc(o.disable, func(d string) bool { return strings.TrimSpace(d) == t }) {
			return fmt.Errorf("--enable-type and --disable-type both name %q: say which", t)
		}
	}
	return nil
}

func runCorrelate(cmd *cobra.Command, st *store.Store, o correlateOpts) error {
	ctx := cmd.Context()
	out := cmd.OutOrStdout()
	if cmd.Flags().Changed("cidr") {
		if err := st.SetCorrelationCIDR(ctx, strings.EqualFold(o.cidr, "on")); err != nil {
			return err
		}
	}
	if cmd.Flags().Changed("cap") {
		if err := st.SetCorrelationCap(ctx, o.limit); err != nil {
			return fmt.Errorf("--cap: %w", err)
		}
	}
	if len(o.disable) > 0 || len(o.enable) > 0 {
		cs, err := st.CorrelationSettings(ctx)
		if err != nil {
			return err
		}
		types := changeTypes(cs.DisabledTypes, o.disable, o.enable)
		if err := st.SetCorrelationDisabledTypes(ctx, types); err != nil {
			return fmt.Errorf("--disable-type: %w", err)
		}
		o.rebuild = true
	}
	if o.rebuild {
		if err := rebuildWithBar(cmd, st); err != nil {
			return err
		}
	}
	if o.drain {
		n, err := st.CorrelateQueued(ctx, 0)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "correlated %d queued events\n", n)
	}
	return printCorrelation(cmd, st, o)
}

// changeTypes returns the excluded types after disabling and enabling.
func changeTypes(current, disable, enable []string) []string {
	set := map[string]bool{}
	for _, t := range current {
		set[t] = true
	}
	for _, t := range disable {
		set[strings.TrimSpace(t)] = true
	}
	for _, t := range enable {
		delete(set, strings.TrimSpace(t))
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	return out
}

func rebuildWithBar(cmd *cobra.Command, st *store.Store) error {
	var bar *progressbar.ProgressBar
	if term.IsTerminal(int(os.Stderr.Fd())) {
		bar = progressbar.NewOptions64(1, progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetDescription("attributes"), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish(), progressbar.OptionFullWidth())
	}
	rep, err := st.RebuildCorrelations(cmd.Context(), func(done, total int64) {
		if bar != nil {
			bar.ChangeMax64(max(total, 1))
			_ = bar.Set64(min(done, total)) // cosmetic: fails only on a closed writer
		}
	})
	if bar != nil {
		_ = bar.Finish() // cosmetic, as above
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "rebuilt the correlation index in %s: %d attributes, %d postings, %d repeated values, "+
		"%d over the cap\n", rep.Duration.Round(time.Millisecond), rep.Attributes, rep.Postings,
		rep.Values, rep.OverCorrelated)
	return nil
}

func printCorrelation(cmd *cobra.Command, st *store.Store, o correlateOpts) error {
	ctx := cmd.Context()
	a, err := st.CLIActor(ctx, "")
	if err != nil {
		return err
	}
	stats, err := st.CorrelationStats(ctx, a)
	if err != nil {
		return err
	}
	cs, err := st.CorrelationSettings(ctx)
	if err != nil {
		return err
	}
	var top []store.CorrelatedValue
	if o.top > 0 {
		if top, err = st.TopCorrelations(ctx, a, o.top, false); err != nil {
			return err
		}
	}
	out := cmd.OutOrStdout()
	if o.asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		disabled := cs.DisabledTypes
		if disabled == nil {
			disabled = []string{} // a list either way, before any change too
		}
		return enc.Encode(map[string]any{"stats": stats, "disabled_types": disabled, "cidr": cs.CIDR, "top": top})
	}
	writeCorrelationStatus(out, stats, cs, top)
	return nil
}

func writeCorrelationStatus(out io.Writer, st store.CorrelationStats, cs store.CorrelationSettings, top []store.CorrelatedValue) {
	fmt.Fprintf(out, "postings:               %d\n", st.Postings)
	fmt.Fprintf(out, "repeated values:        %d (in two attributes or more)\n", st.Values)
	fmt.Fprintf(out, "correlating values:     %d (in two events or more)\n", st.Correlating)
	fmt.Fprintf(out, "over-correlating:       %d (more than %d attributes)\n", st.OverCorrelated, st.Cap)
	if st.Queued != nil {
		fmt.Fprintf(out, "queued events:          %d\n", *st.Queued)
	}
	disabled := "none"
	if len(cs.DisabledTypes) > 0 {
		disabled = strings.Join(cs.DisabledTypes, ", ")
	}
	fmt.Fprintf(out, "types excluded:         %s (besides the types that never correlate)\n", disabled)
	cidr := "off"
	if cs.CIDR {
		cidr = "on"
	}
	fmt.Fprintf(out, "CIDR correlation:       %s\n", cidr)
	for i, v := range top {
		over := ""
		if v.OverCorrelated {
			over = "  over the cap"
		}
		fmt.Fprintf(out, "%3d. %s (%s): %d attributes in %d events%s\n", i+1, v.Value, v.Type, v.Attributes, v.Events, over)
	}
}
