package misp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// The types below are the wire form of MISP documents as clients send them.
// Scalar fields are pointers so that an edit can tell "absent" (keep the
// stored value) from "present" (replace it); numeric and boolean fields use
// the tolerant scalars of loose.go.

// Event is an event as sent to events/add, events/edit or found in a file.
type Event struct {
	ID                 *Int              `json:"id"`
	UUID               *string           `json:"uuid"`
	Info               *String           `json:"info"`
	Date               *String           `json:"date"`
	ThreatLevelID      *Int              `json:"threat_level_id"`
	Analysis           *Analysis         `json:"analysis"`
	Distribution       *Int              `json:"distribution"`
	SharingGroupID     *Int              `json:"sharing_group_id"`
	Published          *Bool             `json:"published"`
	Timestamp          *Int              `json:"timestamp"`
	PublishTimestamp   *Int              `json:"publish_timestamp"`
	SightingTimestamp  *Int              `json:"sighting_timestamp"`
	OrgcID             *Int              `json:"orgc_id"`
	Locked             *Bool             `json:"locked"`
	DisableCorrelation *Bool             `json:"disable_correlation"`
	ExtendsUUID        *String           `json:"extends_uuid"`
	Orgc               *Org              `json:"Orgc"`
	Org                *Org              `json:"Org"`
	SharingGroup       *SharingGroup     `json:"SharingGroup"`
	Attribute          List[Attribute]   `json:"Attribute"`
	Object             List[Object]      `json:"Object"`
	Tag                List[Tag]         `json:"Tag"`
	Galaxy             List[Galaxy]      `json:"Galaxy"`
	EventReport        List[EventReport] `json:"EventReport"`

	// SourceVersion is the version of the file a timestamp-less event was
	// read from (cairn import: its modification time in nanoseconds). The
	// store keeps it and compares it instead of the timestamp, and stamps
	// the event with the time of the write. Never on the wire.
	SourceVersion int64 `json:"-"`
}

// Attribute is an attribute as sent inside an event or to attributes/add.
type Attribute struct {
	ID                 *Int           `json:"id"`
	UUID               *string        `json:"uuid"`
	Type               *String        `json:"type"`
	Category           *String        `json:"category"`
	Value              *String        `json:"value"`
	Value1             *String        `json:"value1"`
	Value2             *String        `json:"value2"`
	ToIDS              *Bool          `json:"to_ids"`
	Distribution       *Int           `json:"distribution"`
	SharingGroupID     *Int           `json:"sharing_group_id"`
	Comment            *String        `json:"comment"`
	Timestamp          *Int           `json:"timestamp"`
	Deleted            *Bool          `json:"deleted"`
	DisableCorrelation *Bool          `json:"disable_correlation"`
	ObjectRelation     *String        `json:"object_relation"`
	FirstSeen          *Seen          `json:"first_seen"`
	LastSeen           *Seen          `json:"last_seen"`
	Data               *String        `json:"data"`
	Tag                List[Tag]      `json:"Tag"`
	Galaxy             List[Galaxy]   `json:"Galaxy"`
	Sighting           List[Sighting] `json:"Sighting"`
}

// Object is a MISP object with its member attributes and references.
type Object struct {
	ID              *Int                  `json:"id"`
	UUID            *string               `json:"uuid"`
	Name            *String               `json:"name"`
	MetaCategory    *String               `json:"meta-category"`
	Description     *String               `json:"description"`
	TemplateUUID    *String               `json:"template_uuid"`
	TemplateVersion *Int                  `json:"template_version"`
	Timestamp       *Int                  `json:"timestamp"`
	Distribution    *Int                  `json:"distribution"`
	SharingGroupID  *Int                  `json:"sharing_group_id"`
	Comment         *String               `json:"comment"`
	Deleted         *Bool                 `json:"deleted"`
	FirstSeen       *Seen                 `json:"first_seen"`
	LastSeen        *Seen                 `json:"last_seen"`
	Attribute       List[Attribute]       `json:"Attribute"`
	ObjectReference List[ObjectReference] `json:"ObjectReference"`
}

// ObjectReference links an object to another object or attribute by UUID.
type ObjectReference struct {
	UUID             *string `json:"uuid"`
	Timestamp        *Int    `json:"timestamp"`
	ObjectUUID       *string `json:"object_uuid"`
	SourceUUID       *string `json:"source_uuid"`
	ReferencedUUID   *string `json:"referenced_uuid"`
	RelationshipType *String `json:"relationship_type"`
	Comment          *String `json:"comment"`
	Deleted          *Bool   `json:"deleted"`
}

// Tag names a tag attached to an event or attribute.
type Tag struct {
	ID               *Int    `json:"id"`
	Name             *String `json:"name"`
	Colour           *String `json:"colour"`
	Exportable       *Bool   `json:"exportable"`
	HideTag          *Bool   `json:"hide_tag"`
	NumericalValue   *String `json:"numerical_value"`
	LocalOnly        *Bool   `json:"local_only"`
	Local            *Bool   `json:"local"`
	RelationshipType *String `json:"relationship_type"`
}

// Galaxy carries galaxy clusters; Cairn attaches each cluster by its tag name.
type Galaxy struct {
	GalaxyCluster List[GalaxyCluster] `json:"GalaxyCluster"`
}

// GalaxyCluster is the part of a cluster needed to attach it to an event.
type GalaxyCluster struct {
	TagName *String `json:"tag_name"`
	Local   *Bool   `json:"local"`
}

// EventReport is a Markdown report attached to an event.
type EventReport struct {
	UUID           *string `json:"uuid"`
	Name           *String `json:"name"`
	Content        *String `json:"content"`
	Distribution   *Int    `json:"distribution"`
	SharingGroupID *Int    `json:"sharing_group_id"`
	Timestamp      *Int    `json:"timestamp"`
	Deleted        *Bool   `json:"deleted"`
}

// Sighting is a sighting as sent inside an attribute or to sightings/add.
type Sighting struct {
	UUID         *string `json:"uuid"`
	Type         *Int    `json:"type"`
	Source       *String `json:"source"`
	DateSighting *Int    `json:"date_sighting"`
	Timestamp    *Int    `json:"timestamp"`
	Org          *Org    `json:"Organisation"`
}

// Org is an organisation reference ({id, name, uuid, local}).
type Org struct {
	ID    *Int    `json:"id"`
	Name  *String `json:"name"`
	UUID  *string `json:"uuid"`
	Local *Bool   `json:"local"`
}

// SharingGroup is the part of a sharing group that travels inside an event.
type SharingGroup struct {
	ID   *Int    `json:"id"`
	UUID *string `json:"uuid"`
	Name *String `json:"name"`
}

// Analysis is the analysis level; besides 0-2 it reads MISP's words.
type Analysis int64

// UnmarshalJSON accepts 0, 1, 2 in loose form or Initial, Ongoing, Completed.
func (a *Analysis) UnmarshalJSON(b []byte) error {
	s, err := looseScalar(b)
	if err != nil {
		return wrongForm(err)
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "initial":
		*a = 0
		return nil
	case "ongoing":
		*a = 1
		return nil
	case "completed", "complete":
		*a = 2
		return nil
	}
	v, err := ParseLooseInt(s)
	*a = Analysis(v)
	return wrongForm(err)
}

// Seen is a first_seen or last_seen time in microseconds since the epoch.
// It reads ISO-8601 text, epoch seconds or microseconds, "" or null (unset).
type Seen struct {
	Micros int64
	Valid  bool
}

// UnmarshalJSON accepts the forms described on Seen.
func (s *Seen) UnmarshalJSON(b []byte) error {
	text, err := looseScalar(b)
	if err != nil {
		return wrongForm(err)
	}
	v, ok, err := ParseSeen(text)
	if err != nil {
		return wrongForm(err)
	}
	*s = Seen{Micros: v, Valid: ok}
	return nil
}

// ItemError says why one item of a list could not be read.
type ItemError struct {
	Index int
	UUID  string // the item's uuid when it has one that could be read
	// Field is the path, in the item, of the value at fault ("to_ids",
	// "Organisation.id"); "" when the item itself is not an object.
	Field string
	Err   error // the reason, without the field
}

// List is a JSON list read item by item, so that one malformed item is
// reported on its own instead of failing the whole document. A single object
// where a list is expected is read as a list of one, as MISP does. A text
// that cannot be stored fails the whole document, as it fails a request
// body, with the item and field named (see DecodeError).
type List[T any] struct {
	Items []T
	Index []int // position of each good item in the input
	Bad   []ItemError
}

// UnmarshalJSON reads the list, collecting malformed items in Bad.
func (l *List[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	var raws []json.RawMessage
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		return nil
	case b[0] == '{':
		raws = []json.RawMessage{b}
	case b[0] == '[':
		if err := json.Unmarshal(b, &raws); err != nil {
			return err
		}
	default:
		return wrongForm(fmt.Errorf("expected a list, got %.20s", b))
	}
	for i, raw := range raws {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			if tf := textFaultAt(i, err); tf != nil {
				return tf
			}
			l.Bad = append(l.Bad, itemError(i, raw, err))
			continue
		}
		l.Items = append(l.Items, v)
		l.Index = append(l.Index, i)
	}
	return nil
}

// MarshalJSON writes the good items, so a List round-trips.
func (l List[T]) MarshalJSON() ([]byte, error) {
	if l.Items == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(l.Items)
}

func peekUUID(raw json.RawMessage) string {
	var probe struct {
		UUID string `json:"uuid"`
	}
	_ = json.Unmarshal(raw, &probe) // best effort: the uuid only labels the error
	return probe.UUID
}

// itemError is the ItemError of item i, raw, which did not decode.
func itemError(i int, raw json.RawMessage, err error) ItemError {
	ie := ItemError{Index: i, UUID: peekUUID(raw), Err: err}
	if fe := fieldErrorOf(err); fe != nil {
		ie.Field, ie.Err = fe.Field, errors.New(fe.Reason)
	}
	return ie
}
