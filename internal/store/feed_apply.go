package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ApplyFeedPull applies the staged indicators of a feed to its event in
// one transaction and empties the staging table: values new to the event
// are added, values whose details changed are updated, and with a delta
// merge the event's values absent from the pull are soft-deleted. When
// anything changed, the timestamps of the changed attributes and of the
// event move forward, so pollers and sync peers see the change.
func (s *Store) ApplyFeedPull(ctx context.Context, a *Actor, feedID int64, opts FeedApplyOptions) (FeedApplyResult, error) {
	if err := a.canWrite("perm_add"); err != nil {
		return FeedApplyResult{}, err
	}
	var res FeedApplyResult
	err := s.timedTx(ctx, func(tx *sql.Tx) error {
		ap := &feedApplier{s: s, tx: tx, a: a, now: s.now().Unix(), opts: opts}
		var err error
		if ap.f, err = s.feedByRef(ctx, tx, itoa(feedID)); err != nil {
			return err
		}
		res, err = ap.apply(ctx)
		return err
	})
	return res, err
}

// feedApplier holds the state of one ApplyFeedPull transaction.
type feedApplier struct {
	s    *Store
	tx   *sql.Tx
	a    *Actor
	f    Feed
	now  int64
	opts FeedApplyOptions
	res  FeedApplyResult
}

func (ap *feedApplier) apply(ctx context.Context) (FeedApplyResult, error) {
	var staged int
	if err := ap.tx.QueryRowContext(ctx, ap.s.Rebind(`SELECT COUNT(*) FROM feed_staging WHERE feed_id = ?`),
		ap.f.ID).Scan(&staged); err != nil {
		return ap.res, err
	}
	if staged == 0 && (ap.opts.NewEvent || ap.f.EventID == 0) {
		return ap.res, nil // an empty list creates no empty event
	}
	oldTS, err := ap.targetEvent(ctx)
	if err != nil {
		return ap.res, err
	}
	if !ap.res.EventCreated {
		if err := ap.mergeExisting(ctx); err != nil {
			return ap.res, err
		}
	}
	if err := ap.insertNew(ctx); err != nil {
		return ap.res, err
	}
	ap.res.Unchanged = staged - ap.res.Created - ap.res.Updated
	if err := ap.tags(ctx); err != nil {
		return ap.res, err
	}
	if err := ap.touch(ctx, oldTS); err != nil {
		return ap.res, err
	}
	_, err = ap.tx.ExecContext(ctx, ap.s.Rebind(`DELETE FROM feed_staging WHERE feed_id = ?`), ap.f.ID)
	return ap.res, err
}

// targetEvent finds the fixed event, or creates the pull's event, and
// returns its timestamp.
func (ap *feedApplier) targetEvent(ctx context.Context) (int64, error) {
	if !ap.opts.NewEvent && ap.f.EventID != 0 {
		var ts int64
		err := ap.tx.QueryRowContext(ctx, ap.s.Rebind(`SELECT timestamp FROM events WHERE id = ?`),
			ap.f.EventID).Scan(&ts)
		if err == nil {
			ap.res.EventID = ap.f.EventID
			return ts, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
		ap.res.Notes = append(ap.res.Notes, fmt.Sprintf("the feed's event %d no longer exists; a new one was created",
			ap.f.EventID))
	}
	id, err := ap.createEvent(ctx)
	if err != nil {
		return 0, err
	}
	ap.res.EventID, ap.res.EventCreated = id, true
	if !ap.opts.NewEvent {
		_, err = ap.tx.ExecContext(ctx, ap.s.Rebind(`UPDATE feeds SET event_id = ? WHERE id = ?`), id, ap.f.ID)
	}
	return ap.now, err
}

func (ap *feedApplier) createEvent(ctx context.Context) (int64, error) {
	info := strings.TrimSpace(ap.opts.EventInfo)
	if info == "" {
		info = ap.f.Name
	}
	date := time.Unix(ap.now, 0).UTC().Format("2006-01-02")
	return ap.s.insertID(ctx, ap.tx, `INSERT INTO events (uuid, org_id, orgc_id, user_id, info, date,
		threat_level_id, analysis, distribution, sharing_group_id, published, timestamp, publish_timestamp,
		locked, disable_correlation, extends_uuid) VALUES (?, ?, ?, ?, ?, ?, 4, 2, ?, ?, ?, ?, 0, ?, ?, '')`,
		uuid.NewString(), ap.a.Org.ID, ap.f.OrgcID, ap.a.User.ID, info, date, ap.f.Distribution,
		ap.f.SharingGroupID, false, ap.now, false, ap.opts.DisableCorrelation)
}

// stagedMatch is the condition that a staged row holds the value of the
// attribute row of the enclosing statement.
const stagedMatch = `s.feed_id = ? AND s.type = attributes.type AND s.value1 = attributes.value1
	AND s.value2 = attributes.value2`

// mergeExisting soft-deletes (delta merge) and updates the event's live
// top-level attributes against the staged set. Both statements walk the
// event's attributes by the event index and probe the staging key. The
// feed decides to_ids: a value a warninglist now flags loses it, and one
// no longer flagged gets it back.
func (ap *feedApplier) mergeExisting(ctx context.Context) error {
	id := ap.res.EventID
	if ap.opts.DeltaMerge {
		r, err := ap.tx.ExecContext(ctx, ap.s.Rebind(`UPDATE attributes SET deleted = 1, timestamp = ?
			WHERE event_id = ? AND object_id = 0 AND deleted = 0
			AND NOT EXISTS (SELECT 1 FROM feed_staging s WHERE `+stagedMatch+`)`), ap.now, id, ap.f.ID)
		if err != nil {
			return fmt.Errorf("delta merge: %w", err)
		}
		ap.res.Deleted = affected(r)
	}
	one := func(col string) string {
		return `(SELECT s.` + col + ` FROM feed_staging s WHERE ` + stagedMatch + `)`
	}
	r, err := ap.tx.ExecContext(ctx, ap.s.Rebind(`UPDATE attributes SET
		comment = COALESCE(NULLIF(`+one("comment")+`, ''), comment),
		first_seen = COALESCE(`+one("first_seen")+`, first_seen),
		last_seen = COALESCE(`+one("last_seen")+`, last_seen),
		to_ids = `+one("to_ids")+`,
		timestamp = ?
		WHERE event_id = ? AND object_id = 0 AND deleted = 0
		AND EXISTS (SELECT 1 FROM feed_staging s WHERE `+stagedMatch+` AND (
			(s.comment <> '' AND s.comment <> attributes.comment)
			OR s.to_ids <> attributes.to_ids
			OR (s.first_seen IS NOT NULL AND (attributes.first_seen IS NULL OR attributes.first_seen <> s.first_seen))
			OR (s.last_seen IS NOT NULL AND (attributes.last_seen IS NULL OR attributes.last_seen <> s.last_seen))))`),
		ap.f.ID, ap.f.ID, ap.f.ID, ap.f.ID, ap.now, id, ap.f.ID)
	if err != nil {
		return fmt.Errorf("update changed values: %w", err)
	}
	ap.res.Updated = affected(r)
	return nil
}

// insertNew adds the staged values the event does not hold yet. In the
// existence probe, "event_id + 0" and "type || ”" keep the planner on the
// value index: the event and type indexes would scan the whole event for
// every staged row.
func (ap *feedApplier) insertNew(ctx context.Context) error {
	q := `INSERT INTO attributes (uuid, event_id, object_id, type, category, value1, value2, ip, to_ids,
		distribution, sharing_group_id, comment, timestamp, deleted, disable_correlation, first_seen, last_seen)
		SELECT s.uuid, ?, 0, s.type, s.category, s.value1, s.value2, s.ip, s.to_ids, 5, 0, s.comment, ?, 0,
		s.disable_correlation, s.first_seen, s.last_seen FROM feed_staging s WHERE s.feed_id = ?`
	args := []any{ap.res.EventID, ap.now, ap.f.ID}
	if !ap.res.EventCreated {
		q += ` AND NOT EXISTS (SELECT 1 FROM attributes a WHERE ` + ap.s.SameValue("a.value1", "s.value1") + `
			AND ` + ap.s.SameValue("a.value2", "s.value2") + ` AND a.type || '' = s.type AND a.event_id + 0 = ? AND a.object_id = 0 AND a.deleted = 0)`
		args = append(args, ap.res.EventID)
	}
	r, err := ap.tx.ExecContext(ctx, ap.s.Rebind(q+` ORDER BY s.line`), args...)
	if err != nil {
		return fmt.Errorf("insert new values: %w", err)
	}
	ap.res.Created = affected(r)
	return nil
}

// tags attaches the feed's tags to the event and the items' own tags to
// the attributes created by this pull.
func (ap *feedApplier) tags(ctx context.Context) error {
	cache := map[string]int64{}
	for _, name := range ap.f.Tags {
		id, fe := ap.s.ensureTag(ctx, ap.tx, ap.a, tagRef{name: name}, cache)
		if fe != nil {
			ap.res.Notes = append(ap.res.Notes, "feed tag "+name+": "+fe.reason)
			continue
		}
		if _, err := ap.tx.ExecContext(ctx, ap.s.Rebind(`INSERT INTO event_tags (event_id, tag_id, local,
			relationship_type) VALUES (?, ?, 0, '') ON CONFLICT DO NOTHING`), ap.res.EventID, id); err != nil {
			return err
		}
	}
	if ap.res.Created == 0 {
		return nil
	}
	tagged, err := ap.taggedNew(ctx)
	if err != nil {
		return err
	}
	for _, t := range tagged {
		for _, name := range strings.Split(t.tags, "\n") {
			id, fe := ap.s.ensureTag(ctx, ap.tx, ap.a, tagRef{name: name}, cache)
			if fe != nil {
				continue // the value stands without a tag the actor may not create
			}
			if _, err := ap.tx.ExecContext(ctx, ap.s.Rebind(`INSERT INTO attribute_tags (attribute_id, event_id,
				tag_id, local, relationship_type) VALUES (?, ?, ?, 0, '') ON CONFLICT DO NOTHING`),
				t.id, ap.res.EventID, id); err != nil {
				return err
			}
		}
	}
	return nil
}

type taggedAttr struct {
	id   int64
	tags string
}

// taggedNew lists the attributes created by this pull whose item carried
// tags: their uuids are the staged ones.
func (ap *feedApplier) taggedNew(ctx context.Context) ([]taggedAttr, error) {
	rows, err := ap.tx.QueryContext(ctx, ap.s.Rebind(`SELECT a.id, s.tags FROM feed_staging s
		JOIN attributes a ON a.uuid = s.uuid WHERE s.feed_id = ? AND s.tags <> ''`), ap.f.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []taggedAttr
	for rows.Next() {
		var t taggedAttr
		if err := rows.Scan(&t.id, &t.tags); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// touch moves the event's timestamp past its previous one when the pull
// changed it, publishes it when the feed says so, and recounts.
func (ap *feedApplier) touch(ctx context.Context, oldTS int64) error {
	if !ap.res.Changed() {
		return nil
	}
	ts := max(ap.now, oldTS+1)
	if ap.res.EventCreated {
		ts = oldTS
	}
	q := `UPDATE events SET timestamp = ?, published = 0`
	args := []any{ts}
	if ap.f.Publish {
		q = `UPDATE events SET timestamp = ?, published = 1, publish_timestamp = ?`
		args = append(args, ap.now)
	}
	args = append(args, ap.res.EventID, ap.res.EventID)
	_, err := ap.tx.ExecContext(ctx, ap.s.Rebind(q+`, attribute_count =
		(SELECT COUNT(*) FROM attributes WHERE event_id = ? AND deleted = 0) WHERE id = ?`), args...)
	if err != nil {
		return err
	}
	return ap.s.queueCorrelation(ctx, ap.tx, ap.res.EventID)
}

func affected(r sql.Result) int {
	n, _ := r.RowsAffected() // both dialects report it
	return int(n)
}
