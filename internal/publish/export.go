package publish

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"

	"github.com/cairn-intel/cairn/internal/search"
	"github.com/cairn-intel/cairn/internal/store"
)

// DefaultPageSize is how many events an Exporter lists at a time.
const DefaultPageSize = 50

// attributeBudget caps the attributes loaded at once: a page of large
// events is loaded a few events at a time (one event at least).
const attributeBudget = 20000

// Exporter reads the feed of one actor under one rule.
type Exporter struct {
	st    *store.Store
	actor *store.Actor
	rule  Rule
	// PageSize is how many events are listed at a time; they are then
	// loaded a few at a time, so memory holds a part of one page whatever
	// the size of the feed.
	PageSize int
}

// New returns an Exporter reading as actor.
func New(st *store.Store, actor *store.Actor, rule Rule) *Exporter {
	return &Exporter{st: st, actor: actor, rule: rule, PageSize: DefaultPageSize}
}

// loadOptions are what a feed event carries: exportable, non-local tags,
// attachments, the deleted items the actor may see, no sightings.
func loadOptions() store.LoadOptions {
	return store.LoadOptions{Deleted: store.DeletedBoth, WithAttachments: true, ExcludeLocalTags: true,
		ExportableOnly: true, NoSightings: true}
}

// eachPage calls fn with each page of the events the rule allows, in id
// order (stable while events are edited). Pages come from the event search,
// so the access filter applies; with full, the events are loaded whole, a
// few at a time (see attributeBudget), otherwise only their metadata.
func (x *Exporter) eachPage(ctx context.Context, full bool, fn func([]store.Event) error) error {
	p := search.Params{Published: search.TriTrue, Distribution: search.Terms{OR: x.rule.eventDistributions()},
		ExcludeLocalTags: true, Metadata: true, Order: "id", Limit: max(x.PageSize, 1)}
	for p.Page = 1; ; p.Page++ {
		page, _, err := search.Events(ctx, x.st, x.actor, p)
		if err != nil || len(page) == 0 {
			return err
		}
		if !full {
			err = fn(x.allowed(page))
		} else {
			err = x.loadInParts(ctx, page, fn)
		}
		if err != nil || len(page) < p.Limit {
			return err
		}
	}
}

// loadInParts loads the events of a page whole, in parts of at most
// attributeBudget attributes, and calls fn with each part.
func (x *Exporter) loadInParts(ctx context.Context, page []store.Event, fn func([]store.Event) error) error {
	for start := 0; start < len(page); {
		end, n := start+1, page[start].AttributeCount
		for end < len(page) && n+page[end].AttributeCount <= attributeBudget {
			n += page[end].AttributeCount
			end++
		}
		ids := make([]int64, 0, end-start)
		for _, e := range page[start:end] {
			ids = append(ids, e.ID)
		}
		events, err := x.st.LoadEvents(ctx, x.actor, ids, loadOptions())
		if err != nil {
			return err
		}
		if err := fn(x.allowed(events)); err != nil {
			return err
		}
		start = end
	}
	return nil
}

// allowed keeps the events of a page the rule allows: one may have been
// unpublished between the search and the load.
func (x *Exporter) allowed(page []store.Event) []store.Event {
	out := page[:0]
	for _, e := range page {
		if x.rule.allowsEvent(e) {
			out = append(out, e)
		}
	}
	return out
}

// WriteManifest writes manifest.json and returns how many events it lists.
func (x *Exporter) WriteManifest(ctx context.Context, w io.Writer) (int, error) {
	m := newManifestWriter(w)
	err := x.eachPage(ctx, false, func(page []store.Event) error {
		for _, e := range page {
			if err := m.add(e.UUID, manifestEntry(e)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return m.n, err
	}
	return m.n, m.close()
}

// WriteHashes writes hashes.csv and returns how many lines it wrote.
func (x *Exporter) WriteHashes(ctx context.Context, w io.Writer) (int, error) {
	n := 0
	err := x.eachPage(ctx, true, func(page []store.Event) error {
		for _, e := range page {
			k, err := writeHashes(w, x.rule.trim(e))
			n += k
			if err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// Event returns one exported event by uuid. An event the actor may not see,
// or that the rule keeps home, is not found; so is a numeric id, which
// means nothing to a feed consumer.
func (x *Exporter) Event(ctx context.Context, ref string) (Event, error) {
	u, err := uuid.Parse(strings.TrimSpace(ref))
	if err != nil {
		return Event{}, fmt.Errorf("%w: event %q", store.ErrNotFound, ref)
	}
	e, err := x.st.EventByRef(ctx, x.actor, u.String(), loadOptions())
	if err != nil {
		return Event{}, err
	}
	if !x.rule.allowsEvent(e) {
		return Event{}, fmt.Errorf("%w: event %q", store.ErrNotFound, ref)
	}
	return x.rule.trim(e), nil
}

// WriteEvent writes the {"Event": {...}} document of an exported event,
// followed by a newline.
func WriteEvent(w io.Writer, e Event) error {
	enc := json.NewEncoder(w) // its buffers are pooled: large events cost no regrowth
	enc.SetEscapeHTML(false)
	return enc.Encode(struct {
		Event Event `json:"Event"`
	}{e})
}
