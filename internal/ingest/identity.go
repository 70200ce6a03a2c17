package ingest

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/cairn-intel/cairn/internal/misp"
)

// identityNamespace is the namespace of the uuids derived for events read
// without one.
var identityNamespace = uuid.MustParse("6f653890-1906-44cf-853b-e855111cfff4")

// DefaultDistribution is the distribution of an event read without one:
// 0, your organisation only. It follows MISP's pull of a feed that keeps
// the events' own distribution, and shares nothing that its source did not
// say may be shared.
const DefaultDistribution = 0

// fillMissing completes an event read from a file. A missing distribution
// becomes DefaultDistribution. A missing uuid or timestamp gets one that
// makes importing the same file again a no-op: a uuid derived from the
// event's content, and the modification time of its file (in nanoseconds)
// as its version, which the store keeps beside the event, so that a later
// edit of the file updates the event. Without them, the store would create
// a new event for every import of a uuid-less file, and treat a
// timestamp-less event as newer than the stored copy every time. The event
// is stamped with the time of the write: stamped with the file's older
// time, it sorted behind polls with a cursor that had moved past that
// second, and they never delivered it; compared by whole seconds with its
// stamp, an edit in the second of the import was skipped, and a file dated
// in the future was updated at every import.
func fillMissing(ev *misp.Event, modTime time.Time) {
	if ev.UUID == nil || strings.TrimSpace(*ev.UUID) == "" {
		if b, err := json.Marshal(ev); err == nil {
			u := uuid.NewSHA1(identityNamespace, b).String()
			ev.UUID = &u
		}
	}
	if ev.Distribution == nil {
		d := misp.Int(DefaultDistribution)
		ev.Distribution = &d
	}
	deriveChildUUIDs(ev)
	if ev.Timestamp == nil || *ev.Timestamp <= 0 {
		ev.Timestamp, ev.SourceVersion = nil, modTime.UnixNano()
	}
}

// deriveChildUUIDs gives attributes and objects read without a uuid one
// derived from the event's uuid and their content (objects: their place),
// so that importing a newer copy of the file updates them instead of adding
// them again.
func deriveChildUUIDs(ev *misp.Event) {
	if ev.UUID == nil {
		return
	}
	derive := func(parts ...string) *string {
		u := uuid.NewSHA1(identityNamespace, []byte(*ev.UUID+"|"+strings.Join(parts, "|"))).String()
		return &u
	}
	attrKey := func(a *misp.Attribute) []string {
		return []string{textOf(a.Type), textOf(a.Value), textOf(a.Value1), textOf(a.Value2), textOf(a.ObjectRelation)}
	}
	for i := range ev.Attribute.Items {
		if a := &ev.Attribute.Items[i]; a.UUID == nil || strings.TrimSpace(*a.UUID) == "" {
			a.UUID = derive(append([]string{"attribute"}, attrKey(a)...)...)
		}
	}
	for i := range ev.Object.Items {
		o := &ev.Object.Items[i]
		if o.UUID == nil || strings.TrimSpace(*o.UUID) == "" {
			o.UUID = derive("object", strconv.Itoa(ev.Object.Index[i]), textOf(o.Name))
		}
		for j := range o.Attribute.Items {
			if a := &o.Attribute.Items[j]; a.UUID == nil || strings.TrimSpace(*a.UUID) == "" {
				a.UUID = derive(append([]string{"object-attribute", *o.UUID}, attrKey(a)...)...)
			}
		}
	}
}

func textOf(s *misp.String) string {
	if s == nil {
		return ""
	}
	return string(*s)
}
