package gen

import (
	"strconv"

	"github.com/cairn-intel/cairn/internal/misp"
)

// The conversions below build the misp.Event that decoding the wire form
// would give, without the cost of encoding and decoding JSON, which would
// dominate the generator's time. TestConvertMatchesDecode holds them to it.

func (w *wireEvent) toMISP() *misp.Event {
	ev := &misp.Event{
		UUID:             ptr(w.UUID),
		Info:             mispString(w.Info),
		Date:             mispString(w.Date),
		ThreatLevelID:    mispInt(w.ThreatLevelID),
		Distribution:     mispInt(w.Distribution),
		Published:        ptr(misp.Bool(w.Published)),
		Timestamp:        mispInt(w.Timestamp),
		PublishTimestamp: mispInt(w.PublishTimestamp),
		Orgc:             &misp.Org{Name: mispString(w.Orgc.Name), UUID: ptr(w.Orgc.UUID)},
		Tag:              tagList(w.Tag),
	}
	analysis := misp.Analysis(*mispInt(w.Analysis))
	ev.Analysis = &analysis
	for _, a := range w.Attribute {
		appendItem(&ev.Attribute, a.toMISP())
	}
	for _, o := range w.Object {
		appendItem(&ev.Object, o.toMISP())
	}
	return ev
}

func (w *wireAttribute) toMISP() misp.Attribute {
	a := misp.Attribute{
		UUID:         ptr(w.UUID),
		Type:         mispString(w.Type),
		Category:     mispString(w.Category),
		Value:        mispString(w.Value),
		ToIDS:        ptr(misp.Bool(w.ToIDS)),
		Distribution: mispInt(w.Distribution),
		Timestamp:    mispInt(w.Timestamp),
		Tag:          tagList(w.Tag),
	}
	if w.Comment != "" {
		a.Comment = mispString(w.Comment)
	}
	if w.ObjectRelation != "" {
		a.ObjectRelation = mispString(w.ObjectRelation)
	}
	return a
}

func (w *wireObject) toMISP() misp.Object {
	o := misp.Object{
		UUID:            ptr(w.UUID),
		Name:            mispString(w.Name),
		MetaCategory:    mispString(w.MetaCategory),
		TemplateUUID:    mispString(w.TemplateUUID),
		TemplateVersion: mispInt(w.TemplateVersion),
		Timestamp:       mispInt(w.Timestamp),
		Distribution:    mispInt(w.Distribution),
	}
	for _, a := range w.Attribute {
		appendItem(&o.Attribute, a.toMISP())
	}
	return o
}

func tagList(tags []wireTag) misp.List[misp.Tag] {
	var l misp.List[misp.Tag]
	for _, t := range tags {
		tag := misp.Tag{Name: mispString(t.Name)}
		if t.Colour != "" {
			tag.Colour = mispString(t.Colour)
		}
		appendItem(&l, tag)
	}
	return l
}

func appendItem[T any](l *misp.List[T], item T) {
	l.Index = append(l.Index, len(l.Items))
	l.Items = append(l.Items, item)
}

func ptr[T any](v T) *T { return &v }

func mispString(s string) *misp.String { return ptr(misp.String(s)) }

// mispInt reads the decimal text the wire form holds; the generator only
// writes valid numbers.
func mispInt(s string) *misp.Int {
	n, _ := strconv.ParseInt(s, 10, 64)
	return ptr(misp.Int(n))
}
