// Package ingest imports MISP events from files into the store: single
// event files, lists and {"response": [...]} wrappers, directories of them
// and MISP feed directories. Every event goes through store.SaveEvent in
// upsert mode, so an import is idempotent by event uuid and can be repeated.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/store"
)

// Saver stores one event; *store.Store is the Saver of a real import.
type Saver interface {
	SaveEvent(ctx context.Context, a *store.Actor, in *misp.Event, opts store.SaveOptions) (store.SaveResult, error)
}

// Progress is how far an import has got.
type Progress struct {
	FilesDone, FilesTotal int
	BytesDone, BytesTotal int64
	// Events counts the events read so far, whatever their outcome.
	Events int
}

// Options tune an import.
type Options struct {
	// Progress, when set, is called after every event and every file.
	Progress func(Progress)
	// Logger receives one Debug line per rejected document or event.
	Logger *slog.Logger
}

// Importer reads MISP event files into a store as one actor.
type Importer struct {
	saver Saver
	actor *store.Actor
	opts  Options
}

// New returns an Importer that saves events through s as actor a.
func New(s Saver, a *store.Actor, opts Options) *Importer {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Importer{saver: s, actor: a, opts: opts}
}

// saveOptions are those of events/add for data that already has an
// identity: known events are updated only when the copy read is newer.
var saveOptions = store.SaveOptions{Mode: store.ModeUpsert, Preserve: true}

// Import reads every path and stores the events found. A path that does not
// exist is an error before anything is imported. Documents and events that
// cannot be imported are listed in the report and never stop the others;
// only a database fault or a cancelled ctx does, and then the report so far
// is returned with the error.
func (im *Importer) Import(ctx context.Context, paths []string) (*Report, error) {
	rep := &Report{Rejected: []Rejection{}, Items: []ItemRejections{}}
	sources, planned, err := plan(paths)
	if err != nil {
		return rep, err
	}
	rep.Rejected = append(rep.Rejected, planned...)

	r := &run{im: im, rep: rep}
	r.prog.FilesTotal = len(sources)
	for _, src := range sources {
		r.prog.BytesTotal += src.size
	}
	r.progress()
	for _, src := range sources {
		if err := ctx.Err(); err != nil {
			return rep, r.stop(err)
		}
		if err := r.readFile(ctx, src); err != nil {
			return rep, r.stop(err)
		}
		r.prog.FilesDone++
		r.bytesBefore += src.size
		r.prog.BytesDone = r.bytesBefore
		rep.Files++
		r.progress()
	}
	rep.Events.Rejected = len(rep.Rejected)
	return rep, nil
}

// run is the state of one Import call.
type run struct {
	im          *Importer
	rep         *Report
	prog        Progress
	bytesBefore int64 // size of the files finished
}

func (r *run) progress() {
	if r.im.opts.Progress != nil {
		r.im.opts.Progress(r.prog)
	}
}

// stop records the fatal error that ended the import.
func (r *run) stop(err error) error {
	r.rep.Events.Rejected = len(r.rep.Rejected)
	r.rep.Stopped = err.Error()
	return err
}

// fatalError is a failure that ends the import: the store could not do its
// work, as opposed to refusing one event.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

// save stores one event read from src; label locates it inside the file.
func (r *run) save(ctx context.Context, src source, label string, ev *misp.Event) error {
	given := uuidText(ev.UUID) // a derived uuid would mislead in a rejection
	fillMissing(ev, src.modTime)
	if err := ctx.Err(); err != nil {
		return &fatalError{err}
	}
	res, err := r.im.saver.SaveEvent(ctx, r.im.actor, ev, saveOptions)
	r.prog.Events++
	if err != nil {
		if !refusal(err) {
			return &fatalError{fmt.Errorf("%s%s: %w", src.path, label, err)}
		}
		r.reject(Rejection{File: src.path, Where: label, EventUUID: given, Reason: refusalText(err)})
		r.progress()
		return nil
	}
	r.rep.add(res, src.path, label)
	r.progress()
	return nil
}

func (r *run) reject(rej Rejection) {
	r.rep.Rejected = append(r.rep.Rejected, rej)
	r.im.opts.Logger.Debug("import rejected", "file", rej.File, "item", rej.Where,
		"event_uuid", rej.EventUUID, "reason", rej.Reason)
}

// refusal reports whether err is the store refusing one event (invalid,
// forbidden, conflicting) rather than failing.
func refusal(err error) bool {
	for _, kind := range []error{store.ErrInvalid, store.ErrForbidden, store.ErrConflict, store.ErrNotFound} {
		if errors.Is(err, kind) {
			return true
		}
	}
	return false
}

// refusalText phrases a refusal without the kind prefix the store adds.
func refusalText(err error) string {
	var ve *store.ValidationError
	if errors.As(err, &ve) && len(ve.Rejected) > 0 {
		rj := ve.Rejected[0]
		return fmt.Sprintf("%s: %s %s", ve.Message, rj.Field, rj.Reason)
	}
	return err.Error()
}

func uuidText(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
