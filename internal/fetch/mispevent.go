package fetch

import (
	"strings"

	"github.com/cairn-intel/cairn/internal/misp"
)

// distributionAsEvent is the feed distribution that keeps what each event
// of a MISP feed says.
const distributionAsEvent = 5

// prepare applies the feed's settings to an event read from it, as MISP's
// consumer does: the feed's distribution (or the event's own, for a feed at
// distribution 5), the feed's tags, the unpublish and correlation switches.
// The uuid and timestamp of the manifest fill what the file leaves out.
// It returns how many items lost a sharing group of the source.
func (m *mispPull) prepare(ev *misp.Event, e manifestEntry) (narrowed int) {
	if ev.UUID == nil || strings.TrimSpace(*ev.UUID) == "" {
		u := e.UUID
		ev.UUID = &u
	}
	if ev.Timestamp == nil || *ev.Timestamp <= 0 {
		ts := misp.Int(e.Timestamp)
		ev.Timestamp = &ts
	}
	if ev.Orgc == nil || (ev.Orgc.UUID == nil && ev.Orgc.Name == nil) {
		ev.Orgc = m.orgc
	}
	if m.f.Distribution == distributionAsEvent {
		narrowed = keepDistribution(ev)
	} else {
		m.feedDistribution(ev)
	}
	m.addTags(ev)
	if m.set.UnpublishEvent {
		f := misp.Bool(false)
		ev.Published = &f
	}
	if m.set.DisableCorrelation {
		t := misp.Bool(true)
		ev.DisableCorrelation = &t
	}
	return narrowed
}

// feedDistribution gives the event the feed's distribution and makes every
// item inherit it.
func (m *mispPull) feedDistribution(ev *misp.Event) {
	dist, sg := misp.Int(m.f.Distribution), misp.Int(m.f.SharingGroupID)
	ev.Distribution, ev.SharingGroupID, ev.SharingGroup = &dist, &sg, nil
	inherit := func(d **misp.Int, s **misp.Int) {
		five, zero := misp.Int(5), misp.Int(0)
		*d, *s = &five, &zero
	}
	for i := range ev.Attribute.Items {
		a := &ev.Attribute.Items[i]
		inherit(&a.Distribution, &a.SharingGroupID)
	}
	for i := range ev.Object.Items {
		o := &ev.Object.Items[i]
		inherit(&o.Distribution, &o.SharingGroupID)
		for j := range o.Attribute.Items {
			a := &o.Attribute.Items[j]
			inherit(&a.Distribution, &a.SharingGroupID)
		}
	}
	for i := range ev.EventReport.Items {
		r := &ev.EventReport.Items[i]
		inherit(&r.Distribution, &r.SharingGroupID)
	}
}

// keepDistribution keeps the event's own distribution, 0 when it gives
// none. Sharing groups are local to the instance that wrote the feed and
// are not carried over: an item shared with one is kept to the owner
// organisation (distribution 0), which shares no more than the source did.
// It returns how many items were narrowed so.
func keepDistribution(ev *misp.Event) (narrowed int) {
	keep := func(d **misp.Int, s **misp.Int, def int64) {
		switch {
		case *d == nil:
			v := misp.Int(def)
			*d = &v
		case **d == 4:
			zero := misp.Int(0)
			*d = &zero
			narrowed++
		}
		*s = nil
	}
	keep(&ev.Distribution, &ev.SharingGroupID, 0)
	ev.SharingGroup = nil
	for i := range ev.Attribute.Items {
		a := &ev.Attribute.Items[i]
		keep(&a.Distribution, &a.SharingGroupID, 5)
	}
	for i := range ev.Object.Items {
		o := &ev.Object.Items[i]
		keep(&o.Distribution, &o.SharingGroupID, 5)
		for j := range o.Attribute.Items {
			a := &o.Attribute.Items[j]
			keep(&a.Distribution, &a.SharingGroupID, 5)
		}
	}
	for i := range ev.EventReport.Items {
		r := &ev.EventReport.Items[i]
		keep(&r.Distribution, &r.SharingGroupID, 5)
	}
	return narrowed
}

// addTags adds the feed's tags to the event unless it has them.
func (m *mispPull) addTags(ev *misp.Event) {
	have := map[string]bool{}
	for _, t := range ev.Tag.Items {
		if t.Name != nil {
			have[strings.ToLower(string(*t.Name))] = true
		}
	}
	for _, name := range m.f.Tags {
		if have[strings.ToLower(name)] {
			continue
		}
		n := misp.String(name)
		ev.Tag.Items = append(ev.Tag.Items, misp.Tag{Name: &n})
		ev.Tag.Index = append(ev.Tag.Index, len(ev.Tag.Items)-1)
	}
}
