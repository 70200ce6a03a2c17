package store

import (
	"encoding/json"

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
	RelatedEvent       []struct{}         `json:"RelatedEvent"`
	Galaxy             []struct{}         `json:"Galaxy"`
	Object             []Object           `json:"Object"`
	EventReport        []EventReport      `json:"EventReport"`
	Tag                []Tag              `json:"Tag"`
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
	type out struct {
		ID                 int64            `json:"id,string"`
		EventID            int64            `json:"event_id,string"`
		ObjectID           int64            `json:"object_id,string"`
		ObjectRelation     *string          `json:"object_relation"`
		Category           string           `json:"category"`
		Type               string           `json:"type"`
		Value              string           `json:"value"`
		ToIDS              bool             `json:"to_ids"`
		UUID               string           `json:"uuid"`
		Timestamp          int64            `json:"timestamp,string"`
		Distribution       int64            `json:"distribution,string"`
		SharingGroupID     int64            `json:"sharing_group_id,string"`
		Comment            string           `json:"comment"`
		Deleted            bool             `json:"deleted"`
		DisableCorrelation bool             `json:"disable_correlation"`
		FirstSeen          *string          `json:"first_seen"`
		LastSeen           *string          `json:"last_seen"`
		Data               string           `json:"data,omitempty"`
		EventUUID          string           `json:"event_uuid,omitempty"`
		Event              *AttributeEvent  `json:"Event,omitempty"`
		Object             *AttributeObject `json:"Object,omitempty"`
		Tag                []Tag            `json:"Tag,omitempty"`
		Sighting           []Sighting       `json:"Sighting,omitempty"`
	}
	return json.Marshal(out{
		ID: a.ID, EventID: a.EventID, ObjectID: a.ObjectID, ObjectRelation: a.ObjectRelation,
		Category: a.Category, Type: a.Type, Value: a.Value(), ToIDS: a.ToIDS, UUID: a.UUID,
		Timestamp: a.Timestamp, Distribution: a.Distribution, SharingGroupID: a.SharingGroupID,
		Comment: a.Comment, Deleted: a.Deleted, DisableCorrelation: a.DisableCorrelation,
		FirstSeen: seenText(a.FirstSeen), LastSeen: seenText(a.LastSeen), Data: a.Data,
		EventUUID: a.EventUUID, Event: a.Event, Object: a.Object, Tag: a.Tag, Sighting: a.Sighting,
	})
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
