package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/google/uuid"
)

// SightingInput is a sighting request: a target attribute (by id or uuid) or
// a set of values matched against every visible attribute.
type SightingInput struct {
	AttributeRef string
	Values       []string
	Type         int64
	Source       string
	Timestamp    int64
}

// AddSightings records sightings and returns the last one created.
func (s *Store) AddSightings(ctx context.Context, a *Actor, in SightingInput) (Sighting, int, error) {
	if err := a.canWrite("perm_sighting"); err != nil {
		return Sighting{}, 0, err
	}
	if in.Type < 0 || in.Type > 2 {
		return Sighting{}, 0, invalidf("type must be 0 (sighting), 1 (false positive) or 2 (expiration)")
	}
	targets, err := s.sightingTargets(ctx, a, in)
	if err != nil {
		return Sighting{}, 0, err
	}
	if len(targets) == 0 {
		return Sighting{}, 0, notFoundf("Could not add the Sighting. Reason: No valid attributes found")
	}
	if in.Timestamp == 0 {
		in.Timestamp = s.now().Unix()
	}
	var last Sighting
	err = s.tx(ctx, func(tx *sql.Tx) error {
		for _, t := range targets {
			if in.Type == 2 { // a new expiration replaces the organisation's previous one
				if _, err := tx.ExecContext(ctx, s.Rebind(`DELETE FROM sightings WHERE attribute_id = ? AND org_id = ? AND type = 2`),
					t.ID, a.Org.ID); err != nil {
					return err
				}
			}
			sg := Sighting{UUID: uuid.NewString(), AttributeID: t.ID, EventID: t.EventID, OrgID: a.Org.ID,
				DateSighting: in.Timestamp, Source: in.Source, Type: in.Type, AttributeUUID: t.UUID}
			id, err := s.insertID(ctx, tx, `INSERT INTO sightings (uuid, attribute_id, event_id, org_id, date_sighting,
				source, type) VALUES (?, ?, ?, ?, ?, ?, ?)`, sg.UUID, sg.AttributeID, sg.EventID, sg.OrgID,
				sg.DateSighting, sg.Source, sg.Type)
			if err != nil {
				return err
			}
			sg.ID = id
			last = sg
		}
		return nil
	})
	return last, len(targets), err
}

func (s *Store) sightingTargets(ctx context.Context, a *Actor, in SightingInput) ([]Attribute, error) {
	if in.AttributeRef != "" {
		at, err := s.AttributeByRef(ctx, a, in.AttributeRef, DeletedExclude)
		if err != nil {
			return nil, err
		}
		return []Attribute{at}, nil
	}
	var vals []string
	for _, v := range in.Values {
		if strings.TrimSpace(v) != "" {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return nil, invalidf("a sighting needs an attribute id or uuid, or values")
	}
	acc, args := a.AttributeAccess("a", "e")
	match := s.ValuesMatch(vals, "a.value1", "a.value2")
	q := `SELECT ` + AttributeColumns + ` FROM attributes a JOIN events e ON e.id = a.event_id
		WHERE a.deleted = 0 AND ` + match.SQL + ` AND ` + acc
	return queryAll(ctx, s, s.Rebind(q), append(match.Args, args...), ScanAttribute)
}

// EventSightings lists the sightings of an event's attributes that the actor
// may see.
func (s *Store) EventSightings(ctx context.Context, a *Actor, eventRef string) ([]Sighting, error) {
	id, err := s.EventIDByRef(ctx, a, eventRef)
	if err != nil {
		return nil, err
	}
	acc, args := a.AttributeAccess("a", "e")
	rows, err := s.db.QueryContext(ctx, s.Rebind(`SELECT a.id FROM attributes a JOIN events e ON e.id = a.event_id
		WHERE a.event_id = ? AND `+acc), append([]any{id}, args...)...)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var aid int64
		if err := rows.Scan(&aid); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, aid)
	}
	rows.Close()
	var out []Sighting
	for start := 0; start < len(ids); start += 500 {
		if err := s.sightingsOf(ctx, a, ids[start:min(start+500, len(ids))], func(sg Sighting) { out = append(out, sg) }); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SharingGroupInput creates a sharing group.
type SharingGroupInput struct {
	UUID, Name, Description, Releasability string
	OrgIDs                                 []int64
	AllOrgs                                bool // every organisation of this instance
}

// CreateSharingGroup adds a sharing group owned by the actor's organisation,
// which is always a member.
func (s *Store) CreateSharingGroup(ctx context.Context, a *Actor, in SharingGroupInput) (int64, error) {
	if err := a.canWrite("perm_sharing_group"); err != nil {
		return 0, err
	}
	if strings.TrimSpace(in.Name) == "" {
		return 0, invalidf("sharing group name is required")
	}
	if in.UUID == "" {
		in.UUID = uuid.NewString()
	}
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		now := s.now().Unix()
		var err error
		id, err = s.insertID(ctx, tx, `INSERT INTO sharing_groups (uuid, name, description, releasability, org_id,
			created, modified) VALUES (?, ?, ?, ?, ?, ?, ?)`, strings.ToLower(in.UUID), in.Name, in.Description,
			in.Releasability, a.Org.ID, now, now)
		if err != nil {
			return err
		}
		for _, org := range append([]int64{a.Org.ID}, in.OrgIDs...) {
			if _, err := tx.ExecContext(ctx, s.Rebind(`INSERT INTO sharing_group_orgs (sharing_group_id, org_id, extend)
				VALUES (?, ?, ?) ON CONFLICT DO NOTHING`), id, org, org == a.Org.ID); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, s.Rebind(`INSERT INTO sharing_group_servers (sharing_group_id, server_id, all_orgs)
			VALUES (?, 0, ?)`), id, in.AllOrgs)
		return err
	})
	return id, err
}
