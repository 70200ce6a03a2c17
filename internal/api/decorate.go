package api

import (
	"context"
	"strings"

	"github.com/cairn-intel/cairn/internal/galaxy"
	"github.com/cairn-intel/cairn/internal/store"
)

// eventExtras are the parts of an event answer made from the knowledge
// rather than read from the store.
type eventExtras struct {
	// warnings annotates or drops attributes that hit a warninglist;
	// restSearch leaves it empty, the search having applied it already.
	warnings store.WarningOptions
	// noGalaxy leaves Galaxy empty (MISP's excludeGalaxy).
	noGalaxy bool
	// related fills RelatedEvent, and granular the RelatedAttribute of
	// every attribute, as the actor sees them.
	related, granular bool
	actor             *store.Actor
}

// decorateEvents fills the galaxies of events, and of their attributes,
// from their galaxy tags, applies the warninglist options, and adds the
// correlations asked for.
func (s *Server) decorateEvents(ctx context.Context, events []store.Event, x eventExtras) error {
	if err := s.addCorrelations(ctx, events, x); err != nil {
		return err
	}
	if x.noGalaxy && x.warnings.Check == nil {
		return nil
	}
	k, err := s.knowledge(ctx)
	if err != nil {
		return err
	}
	for i := range events {
		e := &events[i]
		e.ApplyWarnings(x.warnings)
		if x.noGalaxy {
			continue
		}
		e.Galaxy = galaxiesOf(k.Galaxies, e.Tag)
		attributeGalaxies(k.Galaxies, e.Attribute)
		for j := range e.Object {
			attributeGalaxies(k.Galaxies, e.Object[j].Attribute)
		}
	}
	return nil
}

// attributeGalaxies fills the Galaxy list of attributes with galaxy tags.
func attributeGalaxies(reg *galaxy.Registry, attrs []store.Attribute) {
	for i := range attrs {
		if g := galaxiesOf(reg, attrs[i].Tag); len(g) > 0 {
			attrs[i].Galaxy = g
		}
	}
}

// galaxiesOf returns the galaxies, with the attached clusters, of the
// misp-galaxy tags among tags: empty, not nil, when there are none. Tags
// of clusters the loaded galaxies do not hold are left out, as MISP leaves
// out clusters it does not know.
func galaxiesOf(reg *galaxy.Registry, tags []store.Tag) []any {
	var names []string
	for _, t := range tags {
		if t.IsGalaxy || strings.HasPrefix(strings.ToLower(t.Name), "misp-galaxy:") {
			names = append(names, t.Name)
		}
	}
	if len(names) == 0 {
		return []any{}
	}
	found := reg.FromTags(names)
	out := make([]any, len(found))
	for i, g := range found {
		out[i] = g
	}
	return out
}

// addCorrelations fills the related events and attributes of events.
func (s *Server) addCorrelations(ctx context.Context, events []store.Event, x eventExtras) error {
	for i := range events {
		e := &events[i]
		if x.related {
			rel, err := s.st.RelatedEvents(ctx, x.actor, e.ID)
			if err != nil {
				return err
			}
			e.RelatedEvent = rel
		}
		if !x.granular {
			continue
		}
		if err := s.st.AttachRelatedAttributes(ctx, x.actor, e.Attribute); err != nil {
			return err
		}
		for j := range e.Object {
			if err := s.st.AttachRelatedAttributes(ctx, x.actor, e.Object[j].Attribute); err != nil {
				return err
			}
		}
	}
	return nil
}
