package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
)

// ObjectByRef returns one visible object with its attributes and references.
func (s *Store) ObjectByRef(ctx context.Context, a *Actor, ref string) (Object, error) {
	acc, args := a.ItemAccess("ob", "e")
	eacc, eargs := a.EventAccess("e")
	ref = strings.TrimSpace(ref)
	byRef := RefCond("ob", ref)
	var eventID, objID int64
	err := s.db.QueryRowContext(ctx, s.Rebind(`SELECT ob.event_id, ob.id FROM objects ob JOIN events e ON e.id = ob.event_id
		WHERE `+byRef.SQL+` AND `+eacc+` AND `+acc),
		append(append(byRef.Args, eargs...), args...)...).Scan(&eventID, &objID)
	if errors.Is(err, sql.ErrNoRows) {
		return Object{}, notFoundf("object %q", ref)
	}
	if err != nil {
		return Object{}, err
	}
	events, err := s.LoadEvents(ctx, a, []int64{eventID}, LoadOptions{Deleted: DeletedBoth})
	if err != nil {
		return Object{}, err
	}
	for _, e := range events {
		for _, o := range e.Object {
			if o.ID == objID {
				o.Event = &AttributeEvent{ID: e.ID, Info: e.Info, OrgID: e.OrgID, OrgcID: e.OrgcID, UUID: e.UUID,
					Distribution: e.Distribution, PublishTimestamp: e.PublishTimestamp, Published: e.Published}
				return o, nil
			}
		}
	}
	return Object{}, notFoundf("object %q", ref)
}

// DeleteObject soft-deletes an object and its attributes, or removes them
// with hard.
func (s *Store) DeleteObject(ctx context.Context, a *Actor, ref string, hard bool) (int64, error) {
	o, err := s.ObjectByRef(ctx, a, ref)
	if err != nil {
		return 0, err
	}
	return o.ID, s.timedTx(ctx, func(tx *sql.Tx) error {
		e, err := s.editableEvent(ctx, tx, a, itoa(o.EventID))
		if err != nil {
			return err
		}
		now := s.now().Unix()
		stmts := []string{
			`UPDATE attributes SET deleted = 1, timestamp = ? WHERE object_id = ?`,
			`UPDATE object_references SET deleted = 1, timestamp = ? WHERE object_id = ?`,
			`UPDATE objects SET deleted = 1, timestamp = ? WHERE id = ?`,
		}
		args := []any{now, o.ID}
		if hard {
			stmts = []string{
				`DELETE FROM sightings WHERE attribute_id IN (SELECT id FROM attributes WHERE object_id = ?)`,
				`DELETE FROM attribute_tags WHERE attribute_id IN (SELECT id FROM attributes WHERE object_id = ?)`,
				`DELETE FROM attributes WHERE object_id = ?`,
				`DELETE FROM object_references WHERE object_id = ?`,
				`DELETE FROM objects WHERE id = ?`,
			}
			args = []any{o.ID}
		}
		for _, q := range stmts {
			if _, err := tx.ExecContext(ctx, s.Rebind(q), args...); err != nil {
				return err
			}
		}
		return s.touchEvent(ctx, tx, e.id)
	})
}
