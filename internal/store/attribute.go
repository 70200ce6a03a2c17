package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/cairn-intel/cairn/internal/misp"
)

// AddChildren adds attributes and objects to an existing event through the
// same validation and write path as SaveEvent; the event is unpublished and
// its timestamp moves. It returns the uuids of what was written.
func (s *Store) AddChildren(ctx context.Context, a *Actor, eventRef string, attrs misp.List[misp.Attribute],
	objects misp.List[misp.Object]) (SaveResult, []string, error) {
	if err := a.canWrite("perm_add"); err != nil {
		return SaveResult{}, nil, err
	}
	p := &eventPlan{}
	s.prepareChildren(a, &misp.Event{Attribute: attrs, Object: objects}, p)
	var res SaveResult
	var written []string
	err := s.timedTx(ctx, func(tx *sql.Tx) error {
		e, err := s.editableEvent(ctx, tx, a, eventRef)
		if err != nil {
			return err
		}
		w := newWriteBatch().newEventWriter(s, tx, a, SaveOptions{Mode: ModeEdit})
		if err := w.children(ctx, p, e, false); err != nil {
			return err
		}
		res = w.res
		res.EventID, res.UUID, res.Rejected = e.id, e.uuid, append(w.rejected, p.rejected...)
		for _, at := range p.attrs {
			if !rejectedUUID(res.Rejected, at.uuid) {
				written = append(written, at.uuid)
			}
		}
		for _, o := range p.objects {
			if !rejectedUUID(res.Rejected, o.uuid) {
				written = append(written, o.uuid)
			}
		}
		if len(written) == 0 {
			return nil
		}
		return s.touchEvent(ctx, tx, e.id)
	})
	return res, written, err
}

func rejectedUUID(rej []Rejection, u string) bool {
	for _, r := range rej {
		if r.UUID == u && u != "" && (r.Item == "" || !strings.Contains(r.Item, "Tag[")) {
			return true
		}
	}
	return false
}

// AttributeByRef returns one attribute the actor may see, by id or uuid.
func (s *Store) AttributeByRef(ctx context.Context, a *Actor, ref string, deleted Deleted) (Attribute, error) {
	acc, args := a.AttributeAccess("a", "e")
	del := deletedCond(a, "a", deleted)
	byRef := RefCond("a", ref)
	q := `SELECT ` + AttributeColumns + ` FROM attributes a JOIN events e ON e.id = a.event_id
		WHERE ` + byRef.SQL + ` AND ` + acc + ` AND ` + del.SQL
	ref = strings.TrimSpace(ref)
	at, err := ScanAttribute(s.db.QueryRowContext(ctx, s.Rebind(q),
		append(append(byRef.Args, args...), del.Args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return at, notFoundf("attribute %q", ref)
	}
	if err != nil {
		return at, err
	}
	attrs := []Attribute{at}
	err = s.AttachAttributeDetails(ctx, a, attrs, LoadOptions{})
	return attrs[0], err
}

// AttributesByUUID returns the visible attributes with the given uuids.
func (s *Store) AttributesByUUID(ctx context.Context, a *Actor, uuids []string) ([]Attribute, error) {
	var out []Attribute
	for _, u := range uuids {
		at, err := s.AttributeByRef(ctx, a, u, DeletedBoth)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, at)
	}
	return out, nil
}

// EditAttribute merges in into a stored attribute: absent fields keep their
// stored values; numeric ids in the body are ignored. A given timestamp
// must be newer than the stored one.
func (s *Store) EditAttribute(ctx context.Context, a *Actor, ref string, in misp.Attribute) (Attribute, error) {
	cur, err := s.AttributeByRef(ctx, a, ref, DeletedBoth)
	if err != nil {
		return cur, err
	}
	if in.UUID != nil && strings.TrimSpace(*in.UUID) != "" && !strings.EqualFold(strings.TrimSpace(*in.UUID), cur.UUID) {
		return cur, invalidf("the uuid in the body does not match the attribute in the path")
	}
	fillAttribute(&in, cur)
	r, fe := prepareAttribute(a, &in, cur.ObjectID != 0)
	if fe != nil {
		return cur, &ValidationError{Message: "Attribute could not be saved", Rejected: []Rejection{{Item: "Attribute", UUID: cur.UUID, Field: fe.field, Reason: fe.reason}}}
	}
	now := s.now().Unix()
	if r.timestamp != 0 && r.timestamp <= cur.Timestamp {
		return cur, fmt.Errorf("%w: Attribute in the request not newer than the local copy", ErrConflict)
	}
	if r.timestamp == 0 {
		r.timestamp = now
	}
	err = s.timedTx(ctx, func(tx *sql.Tx) error {
		e, err := s.editableEvent(ctx, tx, a, itoa(cur.EventID))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.Rebind(`UPDATE attributes SET type = ?, category = ?, value1 = ?, value2 = ?,
			ip = ?, to_ids = ?, distribution = ?, sharing_group_id = ?, comment = ?, timestamp = ?, deleted = ?,
			disable_correlation = ?, first_seen = ?, last_seen = ?, object_relation = ? WHERE id = ?`),
			r.typ, r.category, r.value1, r.value2, r.ip, r.toIDS, r.distribution, r.sg, r.comment, r.timestamp,
			r.deleted, r.disableCorrelation, r.firstSeen, r.lastSeen, r.objectRelation, cur.ID)
		if err != nil {
			return err
		}
		if cur.ObjectID != 0 {
			if _, err := tx.ExecContext(ctx, s.Rebind(`UPDATE objects SET timestamp = ? WHERE id = ?`), now, cur.ObjectID); err != nil {
				return err
			}
		}
		return s.touchEvent(ctx, tx, e.id)
	})
	if err != nil {
		return cur, err
	}
	return s.AttributeByRef(ctx, a, itoa(cur.ID), DeletedBoth)
}

// fillAttribute copies stored values into the fields the client left out.
func fillAttribute(in *misp.Attribute, cur Attribute) {
	ms := func(s string) *misp.String { v := misp.String(s); return &v }
	mi := func(n int64) *misp.Int { v := misp.Int(n); return &v }
	mb := func(b bool) *misp.Bool { v := misp.Bool(b); return &v }
	u := cur.UUID
	in.UUID = &u
	if in.Type == nil {
		in.Type = ms(cur.Type)
	}
	if in.Value == nil && in.Value1 == nil {
		in.Value = ms(cur.Value())
	}
	if in.Category == nil {
		in.Category = ms(cur.Category)
	}
	if in.ToIDS == nil {
		in.ToIDS = mb(cur.ToIDS)
	}
	if in.Distribution == nil {
		in.Distribution = mi(cur.Distribution)
	}
	if in.SharingGroupID == nil {
		in.SharingGroupID = mi(cur.SharingGroupID)
	}
	if in.Comment == nil {
		in.Comment = ms(cur.Comment)
	}
	if in.Deleted == nil {
		in.Deleted = mb(cur.Deleted)
	}
	if in.DisableCorrelation == nil {
		in.DisableCorrelation = mb(cur.DisableCorrelation)
	}
	if in.ObjectRelation == nil && cur.ObjectRelation != nil {
		in.ObjectRelation = ms(*cur.ObjectRelation)
	}
	if in.FirstSeen == nil && cur.FirstSeen != nil {
		in.FirstSeen = &misp.Seen{Micros: *cur.FirstSeen, Valid: true}
	}
	if in.LastSeen == nil && cur.LastSeen != nil {
		in.LastSeen = &misp.Seen{Micros: *cur.LastSeen, Valid: true}
	}
}

// DeleteAttribute soft-deletes an attribute (or removes it with hard).
func (s *Store) DeleteAttribute(ctx context.Context, a *Actor, ref string, hard bool) (Attribute, error) {
	cur, err := s.AttributeByRef(ctx, a, ref, DeletedBoth)
	if err != nil {
		return cur, err
	}
	err = s.timedTx(ctx, func(tx *sql.Tx) error {
		e, err := s.editableEvent(ctx, tx, a, itoa(cur.EventID))
		if err != nil {
			return err
		}
		if hard {
			for _, q := range []string{`DELETE FROM sightings WHERE attribute_id = ?`,
				`DELETE FROM attribute_tags WHERE attribute_id = ?`, `DELETE FROM attributes WHERE id = ?`} {
				if _, err := tx.ExecContext(ctx, s.Rebind(q), cur.ID); err != nil {
					return err
				}
			}
		} else if _, err := tx.ExecContext(ctx, s.Rebind(`UPDATE attributes SET deleted = 1, timestamp = ? WHERE id = ?`),
			s.now().Unix(), cur.ID); err != nil {
			return err
		}
		return s.touchEvent(ctx, tx, e.id)
	})
	return cur, err
}

// RestoreAttribute takes back the soft deletion of an attribute and
// returns it as stored now; an attribute not deleted is returned as it is.
func (s *Store) RestoreAttribute(ctx context.Context, a *Actor, ref string) (Attribute, error) {
	cur, err := s.AttributeByRef(ctx, a, ref, DeletedBoth)
	if err != nil || !cur.Deleted {
		return cur, err
	}
	err = s.timedTx(ctx, func(tx *sql.Tx) error {
		e, err := s.editableEvent(ctx, tx, a, itoa(cur.EventID))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.Rebind(`UPDATE attributes SET deleted = 0, timestamp = ? WHERE id = ?`),
			s.now().Unix(), cur.ID); err != nil {
			return err
		}
		return s.touchEvent(ctx, tx, e.id)
	})
	if err != nil {
		return cur, err
	}
	return s.AttributeByRef(ctx, a, itoa(cur.ID), DeletedBoth)
}
