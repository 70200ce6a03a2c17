package store

import (
	"context"
	"database/sql"
	"errors"
)

// Every reader of the correlation index joins both ends of a correlation to
// their attribute and event and applies the actor's access filter to each:
// an event the actor may not see never shows, not as a related event, not
// through a related attribute, not in a count.

// RelatedEvent is an event sharing at least one value with another, in
// MISP's RelatedEvent shape.
type RelatedEvent struct {
	Event RelatedEventInfo `json:"Event"`
}

// RelatedEventInfo is the summary of a related event.
type RelatedEventInfo struct {
	ID            int64    `json:"id,string"`
	Date          string   `json:"date"`
	ThreatLevelID int64    `json:"threat_level_id,string"`
	Info          string   `json:"info"`
	Published     bool     `json:"published"`
	UUID          string   `json:"uuid"`
	Analysis      int64    `json:"analysis,string"`
	Timestamp     int64    `json:"timestamp,string"`
	Distribution  int64    `json:"distribution,string"`
	OrgID         int64    `json:"org_id,string"`
	OrgcID        int64    `json:"orgc_id,string"`
	Org           OrgBrief `json:"Org"`
	Orgc          OrgBrief `json:"Orgc"`
}

// RelatedAttribute is an attribute of another event holding the same value,
// in MISP's RelatedAttribute shape.
type RelatedAttribute struct {
	ID      int64  `json:"id,string"`
	Value   string `json:"value"`
	OrgID   int64  `json:"org_id,string"`
	Info    string `json:"info"`
	EventID int64  `json:"event_id,string"`
}

// MaxRelatedEvents bounds the related events listed for one event.
const MaxRelatedEvents = 1000

// MaxCorrelationPairs bounds the pairs of attributes examined to find the
// related events of one event, as MISP's max_correlations_per_event does:
// an event of 50,000 attributes may pair with hundreds of thousands of
// attributes elsewhere, and each pair is checked against the access filter.
const MaxCorrelationPairs = 20000

// liveCorrelation is the condition on an attribute and its event for its
// postings to count: not deleted, correlation not disabled on either. The
// worker drops such postings too; this keeps readers exact meanwhile.
func liveCorrelation(at, e string) string {
	return at + ".deleted = 0 AND " + at + ".disable_correlation = 0 AND " + e + ".disable_correlation = 0"
}

// correlatedSide is the join from a posting aliased c to its attribute and
// event, and the condition under which the actor may see it.
func (a *Actor) correlatedSide(c, at, e string) (join, cond string, args []any) {
	acc, args := a.AttributeAccess(at, e)
	join = " JOIN attributes " + at + " ON " + at + ".id = " + c + ".attribute_id JOIN events " + e +
		" ON " + e + ".id = " + c + ".event_id"
	return join, liveCorrelation(at, e) + " AND " + acc, args
}

// RelatedEvents lists the events that share a value with event eventID,
// both ends visible to the actor, newest first. Over-correlating values
// are not expanded.
func (s *Store) RelatedEvents(ctx context.Context, a *Actor, eventID int64) ([]RelatedEvent, error) {
	cs, err := s.CorrelationSettings(ctx)
	if err != nil {
		return nil, err
	}
	var byRange []int64
	if cs.CIDR {
		if byRange, err = s.cidrRelated(ctx, a, eventID, cs.Cap); err != nil {
			return nil, err
		}
	}
	orRange := ""
	if len(byRange) > 0 {
		orRange = ` OR e.id IN (` + placeholders(len(byRange)) + `)`
	}
	j1, c1, args1 := a.correlatedSide("c1", "a1", "e1")
	j2, c2, args2 := a.correlatedSide("c2", "a2", "e2")
	q := `SELECT e.id, e.date, e.threat_level_id, e.info, e.published, e.uuid, e.analysis, e.timestamp,
		e.distribution, e.org_id, e.orgc_id, o.name, o.uuid, o.local, oc.name, oc.uuid, oc.local
		FROM events e JOIN organisations o ON o.id = e.org_id JOIN organisations oc ON oc.id = e.orgc_id
		WHERE e.id IN (SELECT c2.event_id FROM correlations c1
			JOIN correlation_values v ON v.value_hash = c1.value_hash
			JOIN correlations c2 ON c2.value_hash = c1.value_hash` + j1 + j2 + `
			WHERE c1.event_id = ? AND v.over = 0 AND c2.event_id <> ? AND ` + c1 + ` AND ` + c2 + `
			LIMIT ?)` + orRange + `
		ORDER BY e.date DESC, e.id DESC LIMIT ?`
	args := append(append(append([]any{eventID, eventID}, args1...), args2...), MaxCorrelationPairs)
	args = append(args, int64Args(byRange)...)
	rel, err := queryAll(ctx, s, s.Rebind(q), append(args, MaxRelatedEvents), func(r rowScanner) (RelatedEvent, error) {
		var e RelatedEventInfo
		err := r.Scan(&e.ID, &e.Date, &e.ThreatLevelID, &e.Info, &e.Published, &e.UUID, &e.Analysis, &e.Timestamp,
			&e.Distribution, &e.OrgID, &e.OrgcID, &e.Org.Name, &e.Org.UUID, &e.Org.Local,
			&e.Orgc.Name, &e.Orgc.UUID, &e.Orgc.Local)
		e.Org.ID, e.Orgc.ID = e.OrgID, e.OrgcID
		return RelatedEvent{Event: e}, err
	})
	if rel == nil {
		rel = []RelatedEvent{} // MISP clients expect a list, never null
	}
	return rel, err
}

// AttachRelatedAttributes fills RelatedAttribute of each attribute (which
// the actor sees already) with the attributes of other events that hold
// one of its values and that the actor may see.
func (s *Store) AttachRelatedAttributes(ctx context.Context, a *Actor, attrs []Attribute) error {
	byID := make(map[int64]*Attribute, len(attrs))
	for i := range attrs {
		byID[attrs[i].ID] = &attrs[i]
	}
	j2, c2, args2 := a.correlatedSide("c2", "a2", "e2")
	budget := MaxCorrelationPairs
	for start := 0; start < len(attrs) && budget > 0; start += 500 {
		chunk := attrs[start:min(start+500, len(attrs))]
		events, ids := map[int64]bool{}, make([]any, 0, len(chunk))
		var eventArgs []any
		for _, at := range chunk {
			ids = append(ids, at.ID)
			if !events[at.EventID] {
				events[at.EventID] = true
				eventArgs = append(eventArgs, at.EventID)
			}
		}
		q := `SELECT c1.attribute_id, a2.id, a2.type, a2.value1, a2.value2, e2.id, e2.org_id, e2.info
			FROM correlations c1 JOIN correlation_values v ON v.value_hash = c1.value_hash
			JOIN correlations c2 ON c2.value_hash = c1.value_hash` + j2 + `
			WHERE c1.event_id IN (` + placeholders(len(eventArgs)) + `) AND c1.attribute_id IN (` +
			placeholders(len(ids)) + `) AND v.over = 0 AND c2.event_id <> c1.event_id AND ` + c2 + `
			ORDER BY c1.attribute_id, e2.id DESC, a2.id LIMIT ?`
		args := append(append(append([]any{}, eventArgs...), ids...), args2...)
		rows, err := s.db.QueryContext(ctx, s.Rebind(q), append(args, budget)...)
		if err != nil {
			return err
		}
		n, err := addRelatedAttributes(rows, byID)
		if err != nil {
			return err
		}
		budget -= n
	}
	return nil
}

// addRelatedAttributes adds the rows to the attributes and returns how
// many it read.
func addRelatedAttributes(rows *sql.Rows, byID map[int64]*Attribute) (int, error) {
	defer rows.Close()
	var last struct{ from, to int64 }
	n := 0
	for rows.Next() {
		var from int64
		var other Attribute
		var r RelatedAttribute
		n++
		if err := rows.Scan(&from, &r.ID, &other.Type, &other.Value1, &other.Value2, &r.EventID, &r.OrgID, &r.Info); err != nil {
			return n, err
		}
		if last.from == from && last.to == r.ID {
			continue // both halves of a composite value matched
		}
		last.from, last.to = from, r.ID
		r.Value = other.Value()
		if at := byID[from]; at != nil {
			at.RelatedAttribute = append(at.RelatedAttribute, r)
		}
	}
	return n, rows.Err()
}

// CorrelatedValue is one line of a list of correlating values: what the
// actor sees of it.
type CorrelatedValue struct {
	Value          string `json:"value"`
	Type           string `json:"type"`
	Events         int64  `json:"events"`
	Attributes     int64  `json:"attributes"`
	OverCorrelated bool   `json:"over_correlating"`
}

// TopCorrelations lists the values held by the most attributes among those
// found in two events or more, as far as the actor sees them; overOnly
// keeps the over-correlating values alone. A site administrator's list is
// read from the per-value counts; anyone else's is counted over what they
// may see (topVisible). Whether a value is over-correlating is decided over
// all its attributes, as related events decide it, so that every surface
// agrees.
func (s *Store) TopCorrelations(ctx context.Context, a *Actor, limit int, overOnly bool) ([]CorrelatedValue, error) {
	if a.SiteAdmin() {
		return s.topFromCounts(ctx, a, limit, overOnly)
	}
	return s.topVisible(ctx, a, limit, overOnly)
}

// topFromCounts is TopCorrelations for an actor who sees everything.
func (s *Store) topFromCounts(ctx context.Context, a *Actor, limit int, overOnly bool) ([]CorrelatedValue, error) {
	q := `SELECT value_hash, postings, over FROM correlation_values WHERE postings > 1`
	if overOnly {
		q += ` AND over = 1`
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY postings DESC, value_hash`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CorrelatedValue
	for len(out) < limit && rows.Next() {
		var hash int64
		var v CorrelatedValue
		if err := rows.Scan(&hash, &v.Attributes, &v.OverCorrelated); err != nil {
			return nil, err
		}
		if err := s.db.QueryRowContext(ctx, s.Rebind(`SELECT COUNT(DISTINCT event_id) FROM correlations
			WHERE value_hash = ?`), hash).Scan(&v.Events); err != nil {
			return nil, err
		}
		if v.Events < 2 {
			continue
		}
		if v.Value, v.Type, err = s.correlatedValueText(ctx, s.db, a, hash); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// correlatedValueText returns the value behind a hash, read from one of
// its attributes that the actor sees, and that attribute's type.
func (s *Store) correlatedValueText(ctx context.Context, q querier, a *Actor, hash int64) (value, typ string, err error) {
	join, cond, args := a.correlatedSide("c", "at", "e")
	var v1, v2 string
	var field int
	err = q.QueryRowContext(ctx, s.Rebind(`SELECT at.type, at.value1, at.value2, c.field FROM correlations c`+join+
		` WHERE c.value_hash = ? AND `+cond+` LIMIT 1`), append([]any{hash}, args...)...).Scan(&typ, &v1, &v2, &field)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil // changed since it was counted; the worker will catch up
	}
	if field == 2 {
		return v2, typ, err
	}
	return v1, typ, err
}

// CorrelationStats are the sizes of the correlation index as the actor
// sees it; Queued is the worker's backlog, for site administrators only.
type CorrelationStats struct {
	Postings int64 `json:"postings"`
	// Values counts the values held by two attributes or more.
	Values         int64 `json:"repeated_values"`
	Correlating    int64 `json:"correlating_values"`
	OverCorrelated int64 `json:"over_correlating_values"`
	Cap            int   `json:"cap"`
	// Queued is nil for anyone but a site administrator.
	Queued *int64 `json:"queued_events,omitempty"`
}

// CorrelationStats counts the postings and values the actor sees: a site
// administrator's from the per-value counts, anyone else's over what they
// may see (visibleStats).
func (s *Store) CorrelationStats(ctx context.Context, a *Actor) (CorrelationStats, error) {
	cs, err := s.CorrelationSettings(ctx)
	if err != nil {
		return CorrelationStats{}, err
	}
	st := CorrelationStats{Cap: cs.Cap}
	if a.SiteAdmin() {
		return st, s.allCorrelationStats(ctx, &st)
	}
	return st, s.visibleStats(ctx, a, &st)
}

// allCorrelationStats fills the stats of an actor who sees everything from
// the per-value counts, and the worker's backlog. A repeated value
// correlates when its postings span two events: two probes of the index.
func (s *Store) allCorrelationStats(ctx context.Context, st *CorrelationStats) error {
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM correlations), COUNT(*), COALESCE(SUM(over), 0)
		FROM correlation_values`).Scan(&st.Postings, &st.Values, &st.OverCorrelated)
	if err != nil {
		return err
	}
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM correlation_values v
		WHERE (SELECT MIN(event_id) FROM correlations c WHERE c.value_hash = v.value_hash) <>
			(SELECT MAX(event_id) FROM correlations c WHERE c.value_hash = v.value_hash)`).Scan(&st.Correlating)
	if err != nil {
		return err
	}
	n, err := s.CorrelationQueueLength(ctx)
	st.Queued = &n
	return err
}
