package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/cairn-intel/cairn/internal/ingest"
	"github.com/cairn-intel/cairn/internal/store"
)

func init() {
	commands = append(commands, newImportCmd)
}

// exitRejected is the exit code of an import that refused something.
const exitRejected = 2

func newImportCmd(g *globals) *cobra.Command {
	var as string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "import [--as EMAIL] [--json] PATH...",
		Short: "Import MISP events from files, directories and MISP feed directories",
		Long: `Import MISP events into the instance of the data directory.

Each PATH is a JSON file holding an event ({"Event": {...}} or the bare event),
a list of events, a {"response": [...]} search result, a directory (read
recursively for *.json files, in name order), or a MISP feed directory (one with
a manifest.json; the events it lists are read). Events are matched by uuid: a
known event is updated when the copy read has a newer timestamp and skipped
otherwise, so importing the same files again changes nothing. An event read
without a timestamp is compared by its file's modification time (kept with the
event) and stamped with the time of the import, so that a later edit of the
file updates it. An event read without a uuid gets one derived from its
content: an edited copy of it is a new event.

Exit status: 0 when every event was imported or skipped, 2 when some documents,
events or items inside events were rejected (the report lists them and why),
1 on a fatal error.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, paths []string) error {
			return runImport(cmd.Context(), g, cmd.OutOrStdout(), as, asJSON, paths)
		},
	}
	cmd.Flags().StringVar(&as, "as", "", "e-mail of the user to import as (default: the first site administrator)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

func runImport(ctx context.Context, g *globals, out io.Writer, as string, asJSON bool, paths []string) error {
	if err := ingest.CheckPaths(paths); err != nil {
		return err
	}
	st, log, err := g.openForWrites(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	actor, err := st.CLIActor(ctx, as)
	if as != "" && errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("--as %s: there is no user with this e-mail", as)
	}
	if err != nil {
		return err
	}

	bar := newImportBar()
	rep, err := ingest.New(st, actor, ingest.Options{Progress: bar.update, Logger: log}).Import(ctx, paths)
	bar.finish()
	if rep.Files > 0 || err == nil {
		if werr := writeReport(out, rep, asJSON); werr != nil {
			return werr
		}
	}
	if err != nil {
		return err
	}
	return importOutcome(log, rep)
}

// importOutcome logs the counts and turns rejections into exit code 2.
func importOutcome(log *slog.Logger, rep *ingest.Report) error {
	log.Info("import finished", "action", "import", "files", rep.Files, "events_created", rep.Events.Created,
		"events_updated", rep.Events.Updated, "events_skipped", rep.Events.Skipped,
		"events_rejected", rep.Events.Rejected, "items_rejected", rep.ItemsRejected())
	if !rep.Clean() {
		return &exitError{code: exitRejected, msg: fmt.Sprintf("%d documents or events and %d items were rejected",
			rep.Events.Rejected, rep.ItemsRejected())}
	}
	return nil
}

func writeReport(out io.Writer, rep *ingest.Report, asJSON bool) error {
	if asJSON {
		return rep.WriteJSON(out)
	}
	return rep.WriteText(out)
}

// importBar draws the progress of an import on stderr when it is a
// terminal; otherwise it does nothing.
type importBar struct {
	bar *progressbar.ProgressBar
	off bool
}

func newImportBar() *importBar {
	return &importBar{off: !term.IsTerminal(int(os.Stderr.Fd()))}
}

func (b *importBar) update(p ingest.Progress) {
	if b.off {
		return
	}
	if b.bar == nil {
		b.bar = progressbar.NewOptions64(max(p.BytesTotal, 1), progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionShowBytes(true), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish(),
			progressbar.OptionFullWidth())
	}
	b.bar.Describe(fmt.Sprintf("files %d/%d, events %d", p.FilesDone, p.FilesTotal, p.Events))
	_ = b.bar.Set64(min(p.BytesDone, p.BytesTotal)) // only fails on a closed writer; the bar is cosmetic
}

func (b *importBar) finish() {
	if b.bar != nil {
		_ = b.bar.Finish() // cosmetic, as above
	}
}
