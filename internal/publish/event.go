package publish

import (
	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/store"
)

// The types below are the trimmed event of a feed file, in MISP's JSON:
// integers and timestamps as strings, no local ids, no owner organisation.

// Event is one exported event, the content of {uuid}.json under "Event".
type Event struct {
	UUID             string      `json:"uuid"`
	Info             string      `json:"info"`
	Date             string      `json:"date"`
	ThreatLevelID    int64       `json:"threat_level_id,string"`
	Analysis         int64       `json:"analysis,string"`
	Distribution     int64       `json:"distribution,string"`
	Timestamp        int64       `json:"timestamp,string"`
	PublishTimestamp int64       `json:"publish_timestamp,string"`
	Published        bool        `json:"published"`
	ExtendsUUID      string      `json:"extends_uuid"`
	Protected        bool        `json:"protected"`
	Orgc             Org         `json:"Orgc"`
	Tag              []Tag       `json:"Tag"`
	Attribute        []Attribute `json:"Attribute"`
	Object           []Object    `json:"Object"`
	EventReport      []Report    `json:"EventReport"`
}

// Org is the creator organisation: who wrote the event, kept across
// instances by uuid.
type Org struct {
	Name string `json:"name"`
	UUID string `json:"uuid"`
}

// Tag is an exportable tag.
type Tag struct {
	Name             string `json:"name"`
	Colour           string `json:"colour"`
	Local            bool   `json:"local"`
	RelationshipType string `json:"relationship_type"`
}

// Attribute is an exported attribute; ObjectRelation is set inside objects.
type Attribute struct {
	UUID               string  `json:"uuid"`
	Type               string  `json:"type"`
	Category           string  `json:"category"`
	Value              string  `json:"value"`
	ObjectRelation     *string `json:"object_relation,omitempty"`
	ToIDS              bool    `json:"to_ids"`
	Distribution       int64   `json:"distribution,string"`
	Comment            string  `json:"comment"`
	Timestamp          int64   `json:"timestamp,string"`
	Deleted            bool    `json:"deleted"`
	DisableCorrelation bool    `json:"disable_correlation"`
	FirstSeen          *string `json:"first_seen"`
	LastSeen           *string `json:"last_seen"`
	Data               string  `json:"data,omitempty"`
	Tag                []Tag   `json:"Tag,omitempty"`
}

// Object is an exported object with its attributes and references.
type Object struct {
	UUID            string      `json:"uuid"`
	Name            string      `json:"name"`
	MetaCategory    string      `json:"meta-category"`
	Description     string      `json:"description"`
	TemplateUUID    string      `json:"template_uuid"`
	TemplateVersion int64       `json:"template_version,string"`
	Distribution    int64       `json:"distribution,string"`
	Timestamp       int64       `json:"timestamp,string"`
	Comment         string      `json:"comment"`
	Deleted         bool        `json:"deleted"`
	FirstSeen       *string     `json:"first_seen"`
	LastSeen        *string     `json:"last_seen"`
	ObjectReference []Reference `json:"ObjectReference"`
	Attribute       []Attribute `json:"Attribute"`
}

// Reference is an exported object reference. ObjectUUID and SourceUUID both
// name the object holding it: the first is the name of MISP's core format,
// the second the name MISP's own database and API use.
type Reference struct {
	UUID             string `json:"uuid"`
	Timestamp        int64  `json:"timestamp,string"`
	ObjectUUID       string `json:"object_uuid"`
	SourceUUID       string `json:"source_uuid"`
	ReferencedUUID   string `json:"referenced_uuid"`
	RelationshipType string `json:"relationship_type"`
	Comment          string `json:"comment"`
	Deleted          bool   `json:"deleted"`
}

// Report is an exported event report.
type Report struct {
	UUID         string `json:"uuid"`
	Name         string `json:"name"`
	Content      string `json:"content"`
	Distribution int64  `json:"distribution,string"`
	Timestamp    int64  `json:"timestamp,string"`
	Deleted      bool   `json:"deleted"`
}

// trim turns a stored event the rule allows into its exported form,
// leaving behind the items and tags the rule keeps home.
func (r Rule) trim(e store.Event) Event {
	out := Event{
		UUID: e.UUID, Info: e.Info, Date: e.Date, ThreatLevelID: e.ThreatLevelID, Analysis: e.Analysis,
		Distribution: r.eventDistribution(e.Distribution), Timestamp: e.Timestamp,
		PublishTimestamp: e.PublishTimestamp, Published: e.Published, ExtendsUUID: e.ExtendsUUID,
		Orgc: Org{Name: e.Orgc.Name, UUID: e.Orgc.UUID},
		Tag:  tags(e.Tag), Attribute: []Attribute{}, Object: []Object{}, EventReport: []Report{},
	}
	gone := map[string]bool{} // uuids of the items left behind
	for _, a := range e.Attribute {
		if at, ok := r.attribute(a); ok {
			out.Attribute = append(out.Attribute, at)
		} else {
			gone[a.UUID] = true
		}
	}
	var kept []store.Object
	for _, o := range e.Object {
		if ob, ok := r.object(o, gone); ok {
			out.Object = append(out.Object, ob)
			kept = append(kept, o)
		}
	}
	for i, o := range kept {
		out.Object[i].ObjectReference = references(o, gone)
	}
	for _, rp := range e.EventReport {
		if d, ok := r.itemDistribution(rp.Distribution); ok {
			out.EventReport = append(out.EventReport, Report{UUID: rp.UUID, Name: rp.Name, Content: rp.Content,
				Distribution: d, Timestamp: rp.Timestamp, Deleted: rp.Deleted})
		}
	}
	return out
}

// attribute exports one attribute, unless the rule keeps it home.
func (r Rule) attribute(a store.Attribute) (Attribute, bool) {
	d, ok := r.itemDistribution(a.Distribution)
	if !ok {
		return Attribute{}, false
	}
	return Attribute{
		UUID: a.UUID, Type: a.Type, Category: a.Category, Value: a.Value(), ObjectRelation: a.ObjectRelation,
		ToIDS: a.ToIDS, Distribution: d, Comment: a.Comment, Timestamp: a.Timestamp, Deleted: a.Deleted,
		DisableCorrelation: a.DisableCorrelation, FirstSeen: seen(a.FirstSeen), LastSeen: seen(a.LastSeen),
		Data: a.Data, Tag: tags(a.Tag),
	}, true
}

// object exports one object with the attributes the rule lets out. An
// object left behind adds itself and all its attributes to gone.
func (r Rule) object(o store.Object, gone map[string]bool) (Object, bool) {
	d, ok := r.itemDistribution(o.Distribution)
	if !ok {
		gone[o.UUID] = true
		for _, a := range o.Attribute {
			gone[a.UUID] = true
		}
		return Object{}, false
	}
	out := Object{
		UUID: o.UUID, Name: o.Name, MetaCategory: o.MetaCategory, Description: o.Description,
		TemplateUUID: o.TemplateUUID, TemplateVersion: o.TemplateVersion, Distribution: d,
		Timestamp: o.Timestamp, Comment: o.Comment, Deleted: o.Deleted, FirstSeen: o.FirstSeen,
		LastSeen: o.LastSeen, ObjectReference: []Reference{}, Attribute: []Attribute{},
	}
	for _, a := range o.Attribute {
		if at, ok := r.attribute(a); ok {
			out.Attribute = append(out.Attribute, at)
		} else {
			gone[a.UUID] = true
		}
	}
	return out, true
}

// references exports the references of an object, but those pointing at
// an item left behind. It runs after every object is decided, since a
// reference may point at an object listed later.
func references(o store.Object, gone map[string]bool) []Reference {
	out := []Reference{}
	for _, ref := range o.ObjectReference {
		if gone[ref.ReferencedUUID] {
			continue
		}
		out = append(out, Reference{UUID: ref.UUID, Timestamp: ref.Timestamp, ObjectUUID: o.UUID,
			SourceUUID: o.UUID, ReferencedUUID: ref.ReferencedUUID, RelationshipType: ref.RelationshipType,
			Comment: ref.Comment, Deleted: ref.Deleted})
	}
	return out
}

// tags exports the exportable tags of a list.
func tags(in []store.Tag) []Tag {
	out := []Tag{}
	for _, t := range in {
		if exportableTag(t) {
			out = append(out, Tag{Name: t.Name, Colour: t.Colour, RelationshipType: t.RelationshipType})
		}
	}
	return out
}

func seen(micros *int64) *string {
	if micros == nil {
		return nil
	}
	s := misp.FormatSeen(*micros)
	return &s
}
