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

// Saver stores a batch of events, each whole or not at all; *store.Store is
// the Saver of a real import.
type Saver interface {
	SaveEvents(ctx context.Context, a *store.Actor, in []*misp.Event, opts store.SaveOptions) ([]store.SaveResult, []error, error)
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
	if err := r.flush(ctx); err != nil {
		return rep, r.stop(err)
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
	pending     []pendingEvent
	pendingSize int // attributes in pending
}

// pendingEvent is an event read and waiting for the next batch.
type pendingEvent struct {
	ev          *misp.Event
	file, label string
	given       string // the uuid as read, for rejections
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

// save queues one event read from src; label locates it inside the file.
func (r *run) save(ctx context.Context, src source, label string, ev *misp.Event) error {
	given := uuidText(ev.UUID) // a derived uuid would mislead in a rejection
	fillMissing(ev, src.modTime)
	if err := ctx.Err(); err != nil {
		return &fatalError{err}
	}
	r.pending = append(r.pending, pendingEvent{ev: ev, file: src.path, label: label, given: given})
	r.prog.Events++
	r.progress()
	r.pendingSize += len(ev.Attribute.Items)
	for _, o := range ev.Object.Items {
		r.pendingSize += len(o.Attribute.Items)
	}
	if r.pendingSize >= store.BatchAttributes || len(r.pending) >= store.BatchEvents {
		return r.flush(ctx)
	}
	return nil
}

// flush stores the queued events in one batch and reports each outcome.
func (r *run) flush(ctx context.Context) error {
	if len(r.pending) == 0 {
		return nil
	}
	events := make([]*misp.Event, len(r.pending))
	for i, p := range r.pending {
		events[i] = p.ev
	}
	results, errs, err := r.im.saver.SaveEvents(ctx, r.im.actor, events, saveOptions)
	if err != nil {
		first := r.pending[0]
		r.pending, r.pendingSize = nil, 0
		return &fatalError{fmt.Errorf("%s%s: %w", first.file, first.label, err)}
	}
	for i, p := range r.pending {
		if errs[i] != nil {
			r.reject(Rejection{File: p.file, Where: p.label, EventUUID: p.given, Reason: refusalText(errs[i])})
			continue
		}
		r.rep.add(results[i], p.file, p.label)
	}
	r.pending, r.pendingSize = nil, 0
	return nil
}

func (r *run) reject(rej Rejection) {
	r.rep.Rejected = append(r.rep.Rejected, rej)
	r.im.opts.Logger.Debug("import rejected", "file", rej.File, "item", rej.Where,
		"event_uuid", rej.EventUUID, "reason", rej.Reason)
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
