package ingest

import (
	"encoding/json"
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
// event's content, and the modification time of its file as its timestamp,
// so that a later edit of the file updates the event. Without them, the
// store would create a new event for every import of a uuid-less file, and
// treat a timestamp-less event as newer than the stored copy every time.
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
	if ev.Timestamp == nil || *ev.Timestamp <= 0 {
		ts := misp.Int(modTime.Unix())
		ev.Timestamp = &ts
	}
}
