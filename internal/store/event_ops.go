package store

import (
	"context"
	"database/sql"
)

// editableEvent loads an event the actor may see and checks edit rights.
func (s *Store) editableEvent(ctx context.Context, q querier, a *Actor, ref string) (storedEvent, error) {
	id, err := s.EventIDByRef(ctx, a, ref)
	if err != nil {
		return storedEvent{}, err
	}
	e, err := s.loadStoredEvent(ctx, q, id, "")
	if err != nil {
		return e, err
	}
	if !a.canEdit(e) {
		return e, errNoPermission
	}
	return e, nil
}

// DeleteEvent removes an event and everything in it, and puts its uuid on
// the blocklist so that feeds and sync do not bring it back.
func (s *Store) DeleteEvent(ctx context.Context, a *Actor, ref string) (int64, error) {
	var id int64
	err := s.timedTx(ctx, func(tx *sql.Tx) error {
		e, err := s.editableEvent(ctx, tx, a, ref)
		if err != nil {
			return err
		}
		id = e.id
		if _, err := tx.ExecContext(ctx, s.Rebind(`INSERT INTO event_blocklist (uuid, created, event_info, comment)
			SELECT uuid, ?, info, 'deleted' FROM events WHERE id = ? ON CONFLICT DO NOTHING`), s.now().Unix(), e.id); err != nil {
			return err
		}
		for _, table := range []string{"sightings", "attribute_tags", "event_tags", "object_references",
			"attributes", "objects", "event_reports"} {
			if _, err := tx.ExecContext(ctx, s.Rebind(`DELETE FROM `+table+` WHERE event_id = ?`), e.id); err != nil {
				return err
			}
		}
		if _, err = tx.ExecContext(ctx, s.Rebind(`DELETE FROM events WHERE id = ?`), e.id); err != nil {
			return err
		}
		return s.queueCorrelation(ctx, tx, e.id) // the worker drops its postings
	})
	return id, err
}

// PublishEvent marks an event published now; unpublish clears the flag and
// bumps the timestamp, keeping the last publish time.
func (s *Store) PublishEvent(ctx context.Context, a *Actor, ref string, publish bool) (int64, error) {
	var id int64
	err := s.timedTx(ctx, func(tx *sql.Tx) error {
		eid, err := s.EventIDByRef(ctx, a, ref)
		if err != nil {
			return err
		}
		e, err := s.loadStoredEvent(ctx, tx, eid, "")
		if err != nil {
			return err
		}
		id = e.id
		now := s.now().Unix()
		if publish {
			if !a.canPublish(e) {
				return errNoPermission
			}
			_, err = tx.ExecContext(ctx, s.Rebind(`UPDATE events SET published = 1, publish_timestamp = ? WHERE id = ?`), now, e.id)
			return err
		}
		if !a.canEdit(e) {
			return errNoPermission
		}
		_, err = tx.ExecContext(ctx, s.Rebind(`UPDATE events SET published = 0, timestamp = ? WHERE id = ?`), now, e.id)
		return err
	})
	return id, err
}

// touchEvent records a change to an event's children: timestamp now and
// unpublished, a fresh attribute count, and the event queued for
// correlation.
func (s *Store) touchEvent(ctx context.Context, q querier, eventID int64) error {
	_, err := q.ExecContext(ctx, s.Rebind(`UPDATE events SET timestamp = ?, published = 0,
		attribute_count = (SELECT COUNT(*) FROM attributes WHERE event_id = ? AND deleted = 0) WHERE id = ?`),
		s.now().Unix(), eventID, eventID)
	if err != nil {
		return err
	}
	return s.queueCorrelation(ctx, q, eventID)
}
