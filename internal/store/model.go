package store

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/cairn-intel/cairn/internal/misp"
)

// The read models below are what the store returns; their JSON is MISP's:
// integers as strings (the ",string" option), booleans as booleans, the
// capitalised keys for nested models.

// OrgBrief is the {id, name, uuid, local} form of an organisation inside events.
type OrgBrief struct {
	ID    int64  `json:"id,string"`
	Name  string `json:"name"`
	UUID  string `json:"uuid"`
	Local bool   `json:"local"`
}

// Event is a stored event with the children the reader asked for.
type Event struct {
	ID                 int64              `json:"id,string"`
	OrgcID             int64              `json:"orgc_id,string"`
	OrgID              int64              `json:"org_id,string"`
	Date               string             `json:"date"`
	ThreatLevelID      int64              `json:"threat_level_id,string"`
	Info               string             `json:"info"`
	Published          bool               `json:"published"`
	UUID               string             `json:"uuid"`
	AttributeCount     int64              `json:"attribute_count,string"`
	Analysis           int64              `json:"analysis,string"`
	Timestamp          int64              `json:"timestamp,string"`
	Distribution       int64              `json:"distribution,string"`
	ProposalEmailLock  bool               `json:"proposal_email_lock"`
	Locked             bool               `json:"locked"`
	PublishTimestamp   int64              `json:"publish_timestamp,string"`
	SightingTimestamp  int64              `json:"sighting_timestamp,string"`
	SharingGroupID     int64              `json:"sharing_group_id,string"`
	DisableCorrelation bool               `json:"disable_correlation"`
	ExtendsUUID        string             `json:"extends_uuid"`
	Protected          *bool              `json:"protected"`
	UserID             int64              `json:"-"`
	Org                OrgBrief           `json:"Org"`
	Orgc               OrgBrief           `json:"Orgc"`
	SharingGroup       *SharingGroupBrief `json:"SharingGroup,omitempty"`
	Attribute          []Attribute        `json:"Attribute"`
	ShadowAttribute    []struct{}         `json:"ShadowAttribute"`
	RelatedEvent       []RelatedEvent     `json:"RelatedEvent"`
	// Galaxy is filled by the caller from the galaxy tags (the store does
	// not know galaxies); it is empty, not null, when none is attached.
	Galaxy      []any         `json:"Galaxy"`
	Object      []Object      `json:"Object"`
	EventReport []EventReport `json:"EventReport"`
	Tag         []Tag         `json:"Tag"`
}

// SharingGroupBrief is the sharing group shown inside an event.
type SharingGroupBrief struct {
	ID            int64  `json:"id,string"`
	UUID          string `json:"uuid"`
	Name          string `json:"name"`
	Releasability string `json:"releasability"`
	Description   string `json:"description"`
}

// Attribute is a stored attribute. Value1 and Value2 are the stored halves;
// the JSON shows only the joined value, as MISP does.
type Attribute struct {
	ID                 int64
	EventID            int64
	ObjectID           int64
	ObjectRelation     *string
	UUID               string
	Type               string
	Category           string
	Value1, Value2     string
	ToIDS              bool
	Distribution       int64
	SharingGroupID     int64
	Comment            string
	Timestamp          int64
	Deleted            bool
	DisableCorrelation bool
	FirstSeen          *int64 // microseconds
	LastSeen           *int64
	Data               string
	Tag                []Tag
	Sighting           []Sighting
	// Galaxy holds the galaxies of the attribute's galaxy tags, and
	// Warnings the warninglists its value matches, when a caller asked for
	// them; both are left out of the JSON when empty.
	Galaxy   []any
	Warnings []WarninglistHit
	// RelatedAttribute lists the correlations of the attribute when a
	// caller asked for them.
	RelatedAttribute []RelatedAttribute
	// Event and Object are set by attribute searches.
	Event     *AttributeEvent
	Object    *AttributeObject
	EventUUID string
}

// Value returns the attribute value as MISP shows it.
func (a Attribute) Value() string {
	if a.Value2 == "" {
		if info, ok := misp.LookupType(a.Type); !ok || !info.Composite {
			return a.Value1
		}
	}
	return a.Value1 + "|" + a.Value2
}

// AttributeEvent is the event summary attached to attributes in searches.
type AttributeEvent struct {
	ID               int64     `json:"id,string"`
	Info             string    `json:"info"`
	OrgID            int64     `json:"org_id,string"`
	OrgcID           int64     `json:"orgc_id,string"`
	UUID             string    `json:"uuid"`
	Distribution     int64     `json:"distribution,string"`
	PublishTimestamp int64     `json:"publish_timestamp,string"`
	Date             string    `json:"date,omitempty"`
	ThreatLevelID    int64     `json:"threat_level_id,string,omitempty"`
	Analysis         int64     `json:"analysis,string,omitempty"`
	Published        bool      `json:"published"`
	Tag              []Tag     `json:"Tag,omitempty"`
	Orgc             *OrgBrief `json:"Orgc,omitempty"`
}

// AttributeObject is the object summary attached to attributes in searches.
type AttributeObject struct {
	ID             int64 `json:"id,string"`
	Distribution   int64 `json:"distribution,string"`
	SharingGroupID int64 `json:"sharing_group_id,string"`
}

// MarshalJSON writes the attribute in MISP's shape.
func (a Attribute) MarshalJSON() ([]byte, error) {
	return a.AppendJSON(nil)
}

// AppendJSON appends the attribute's MISP JSON to b. It is written by hand
// because attribute lists are the largest answers Cairn gives: reflection
// and re-validation of every attribute cost more than the search itself.
func (a Attribute) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"id":"`...)
	b = strconv.AppendInt(b, a.ID, 10)
	b = append(b, `","event_id":"`...)
	b = strconv.AppendInt(b, a.EventID, 10)
	b = append(b, `","object_id":"`...)
	b = strconv.AppendInt(b, a.ObjectID, 10)
	b = append(b, `","object_relation":`...)
	if a.ObjectRelation == nil {
		b = append(b, "null"...)
	} else {
		b = appendString(b, *a.ObjectRelation)
	}
	b = appendField(b, "category", a.Category)
	b = appendField(b, "type", a.Type)
	b = appendField(b, "value", a.Value())
	b = appendBool(b, "to_ids", a.ToIDS)
	b = appendField(b, "uuid", a.UUID)
	b = appendField(b, "timestamp", strconv.FormatInt(a.Timestamp, 10))
	b = appendField(b, "distribution", strconv.FormatInt(a.Distribution, 10))
	b = appendField(b, "sharing_group_id", strconv.FormatInt(a.SharingGroupID, 10))
	b = appendField(b, "comment", a.Comment)
	b = appendBool(b, "deleted", a.Deleted)
	b = appendBool(b, "disable_correlation", a.DisableCorrelation)
	b = appendSeen(b, "first_seen", a.FirstSeen)
	b = appendSeen(b, "last_seen", a.LastSeen)
	if a.Data != "" {
		b = appendField(b, "data", a.Data)
	}
	if a.EventUUID != "" {
		b = appendField(b, "event_uuid", a.EventUUID)
	}
	if a.Event != nil && a.Event.summaryOnly() {
		b = append(b, `,"Event":`...)
		b = a.Event.appendSummary(b)
	}
	var err error
	for _, part := range []struct {
		key string
		v   any
		set bool
	}{{"Event", a.Event, a.Event != nil && !a.Event.summaryOnly()}, {"Object", a.Object, a.Object != nil},
		{"Tag", a.Tag, len(a.Tag) > 0}, {"Sighting", a.Sighting, len(a.Sighting) > 0},
		{"Galaxy", a.Galaxy, len(a.Galaxy) > 0}, {"warnings", a.Warnings, len(a.Warnings) > 0},
		{"RelatedAttribute", a.RelatedAttribute, len(a.RelatedAttribute) > 0}} {
		if part.set {
			if b, err = appendNested(b, part.key, part.v); err != nil {
				return nil, err
			}
		}
	}
	return append(b, '}'), nil
}

// summaryOnly reports whether the event holds just the fields every
// attribute search fills, which appendSummary writes without reflection.
func (e *AttributeEvent) summaryOnly() bool {
	return e.Date == "" && e.ThreatLevelID == 0 && e.Analysis == 0 && e.Tag == nil && e.Orgc == nil
}

func (e *AttributeEvent) appendSummary(b []byte) []byte {
	b = append(b, `{"id":"`...)
	b = strconv.AppendInt(b, e.ID, 10)
	b = append(b, '"')
	b = appendField(b, "info", e.Info)
	b = appendField(b, "org_id", strconv.FormatInt(e.OrgID, 10))
	b = appendField(b, "orgc_id", strconv.FormatInt(e.OrgcID, 10))
	b = appendField(b, "uuid", e.UUID)
	b = appendField(b, "distribution", strconv.FormatInt(e.Distribution, 10))
	b = appendField(b, "publish_timestamp", strconv.FormatInt(e.PublishTimestamp, 10))
	b = appendBool(b, "published", e.Published)
	return append(b, '}')
}

func appendNested(b []byte, key string, v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return append(b, raw...), nil
}

func appendField(b []byte, key, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendString(b, value)
}

func appendBool(b []byte, key string, v bool) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return strconv.AppendBool(b, v)
}

func appendSeen(b []byte, key string, micros *int64) []byte {
	if micros == nil {
		b = append(b, ',', '"')
		b = append(b, key...)
		return append(b, `":null`...)
	}
	return appendField(b, key, misp.FormatSeen(*micros))
}

// appendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced, and <, >, & left as they are
// (as the API's encoder does with HTML escaping off).
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			if r == utf8.RuneError {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func seenText(micros *int64) *string {
	if micros == nil {
		return nil
	}
	s := misp.FormatSeen(*micros)
	return &s
}

// Object is a stored object with its attributes and references.
type Object struct {
	ID              int64             `json:"id,string"`
	Name            string            `json:"name"`
	MetaCategory    string            `json:"meta-category"`
	Description     string            `json:"description"`
	TemplateUUID    string            `json:"template_uuid"`
	TemplateVersion int64             `json:"template_version,string"`
	EventID         int64             `json:"event_id,string"`
	UUID            string            `json:"uuid"`
	Timestamp       int64             `json:"timestamp,string"`
	Distribution    int64             `json:"distribution,string"`
	SharingGroupID  int64             `json:"sharing_group_id,string"`
	Comment         string            `json:"comment"`
	Deleted         bool              `json:"deleted"`
	FirstSeenMicros *int64            `json:"-"`
	LastSeenMicros  *int64            `json:"-"`
	FirstSeen       *string           `json:"first_seen"`
	LastSeen        *string           `json:"last_seen"`
	ObjectReference []ObjectReference `json:"ObjectReference"`
	Attribute       []Attribute       `json:"Attribute"`
	Event           *AttributeEvent   `json:"Event,omitempty"`
}

// ObjectReference is a stored reference from an object.
type ObjectReference struct {
	ID               int64  `json:"id,string"`
	UUID             string `json:"uuid"`
	Timestamp        int64  `json:"timestamp,string"`
	ObjectID         int64  `json:"object_id,string"`
	EventID          int64  `json:"event_id,string"`
	SourceUUID       string `json:"source_uuid"`
	ReferencedUUID   string `json:"referenced_uuid"`
	ReferencedID     int64  `json:"referenced_id,string"`
	ReferencedType   int64  `json:"referenced_type,string"`
	RelationshipType string `json:"relationship_type"`
	Comment          string `json:"comment"`
	Deleted          bool   `json:"deleted"`
}

// EventReport is a stored report.
type EventReport struct {
	ID             int64  `json:"id,string"`
	UUID           string `json:"uuid"`
	EventID        int64  `json:"event_id,string"`
	Name           string `json:"name"`
	Content        string `json:"content"`
	Distribution   int64  `json:"distribution,string"`
	SharingGroupID int64  `json:"sharing_group_id,string"`
	Timestamp      int64  `json:"timestamp,string"`
	Deleted        bool   `json:"deleted"`
}

// Tag is a tag, and when attached to something, how it is attached.
type Tag struct {
	ID               int64  `json:"id,string"`
	Name             string `json:"name"`
	Colour           string `json:"colour"`
	Exportable       bool   `json:"exportable"`
	OrgID            int64  `json:"org_id,string"`
	UserID           int64  `json:"user_id,string"`
	HideTag          bool   `json:"hide_tag"`
	NumericalValue   *int64 `json:"numerical_value"`
	IsGalaxy         bool   `json:"is_galaxy"`
	IsCustomGalaxy   bool   `json:"is_custom_galaxy"`
	LocalOnly        bool   `json:"local_only"`
	Local            bool   `json:"local"`
	RelationshipType string `json:"relationship_type,omitempty"`
	Inherited        int    `json:"inherited,omitempty"`
}

// Sighting is a stored sighting.
type Sighting struct {
	ID            int64     `json:"id,string"`
	UUID          string    `json:"uuid"`
	AttributeID   int64     `json:"attribute_id,string"`
	EventID       int64     `json:"event_id,string"`
	OrgID         int64     `json:"org_id,string"`
	DateSighting  int64     `json:"date_sighting,string"`
	Source        string    `json:"source"`
	Type          int64     `json:"type,string"`
	AttributeUUID string    `json:"attribute_uuid,omitempty"`
	Organisation  *OrgBrief `json:"Organisation,omitempty"`
}
