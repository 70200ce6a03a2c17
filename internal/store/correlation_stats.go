package store

import (
	"context"
	"database/sql"
)

// visibleStats fills the statistics of an actor who may not see
// everything, counted over the postings the actor sees, in one snapshot.
// The values repeated, correlating and over the cap are counted over the
// postings of the values held twice or more alone (the rows of
// correlation_values: a value held once is neither); the postings, over
// every posting the actor sees. Both read event by event (visibleByEvent),
// so their cost is that of the postings of the events the actor sees.
func (s *Store) visibleStats(ctx context.Context, a *Actor, st *CorrelationStats) error {
	return s.readSnapshot(ctx, func(tx *sql.Tx) error {
		from, where, args := visibleByEvent(a, true)
		err := tx.QueryRowContext(ctx, s.Rebind(`SELECT COALESCE(SUM(CASE WHEN n > 1 THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN lo <> hi THEN 1 ELSE 0 END), 0), COALESCE(SUM(o), 0)
			FROM (SELECT COUNT(*) AS n, MIN(c.event_id) AS lo, MAX(c.event_id) AS hi, MAX(v.over) AS o`+
			from+` WHERE `+where+` GROUP BY c.value_hash) t`), args...).Scan(&st.Values, &st.Correlating, &st.OverCorrelated)
		if err != nil {
			return err
		}
		from, where, args = visibleByEvent(a, false)
		return tx.QueryRowContext(ctx, s.Rebind(`SELECT COUNT(*)`+from+` WHERE `+where), args...).Scan(&st.Postings)
	})
}
