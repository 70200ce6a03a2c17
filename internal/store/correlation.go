package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cairn-intel/cairn/internal/misp"
)

// Correlation is kept as an index, not as pairs: a posting says that a value
// occurs in an attribute of an event, and two events correlate when they hold
// postings of the same value. Storage grows with the number of attributes,
// however popular a value becomes. Writes do not touch the index: they queue
// their event in correlation_queue in the same transaction, and a worker
// (CorrelateQueued) recomputes the postings of queued events off the request
// path. A value with more postings than the cap is over-correlating: its
// postings are kept and counted, but no surface expands it into related
// events.

// DefaultCorrelationCap is the number of postings past which a value is
// over-correlating, as MISP's default.
const DefaultCorrelationCap = 100

const (
	settingCorrelationCap   = "correlation.cap"
	settingCorrelationTypes = "correlation.disabled_types"
	settingCorrelationCIDR  = "correlation.cidr"
)

// CorrelationSettings configure the index.
type CorrelationSettings struct {
	// Cap is the number of postings past which a value is over-correlating.
	Cap int
	// DisabledTypes are types excluded from correlation besides the ones
	// that never correlate (misp.Correlates).
	DisabledTypes []string
	// CIDR relates an event holding an address range (ip-src or ip-dst
	// with a CIDR block) to the events holding addresses inside it.
	CIDR bool
}

// CorrelationSettings returns the stored settings, with the defaults where
// none is stored.
func (s *Store) CorrelationSettings(ctx context.Context) (CorrelationSettings, error) {
	cs := CorrelationSettings{Cap: DefaultCorrelationCap}
	type setting struct{ name, value string }
	stored, err := queryAll(ctx, s, s.Rebind(`SELECT name, value FROM settings WHERE name IN (?, ?, ?)`),
		[]any{settingCorrelationCap, settingCorrelationCIDR, settingCorrelationTypes},
		func(r rowScanner) (v setting, err error) { err = r.Scan(&v.name, &v.value); return })
	if err != nil {
		return cs, err
	}
	for _, v := range stored {
		switch v.name {
		case settingCorrelationCap:
			cs.Cap, err = strconv.Atoi(v.value)
		case settingCorrelationCIDR:
			cs.CIDR = v.value == "1"
		case settingCorrelationTypes:
			err = json.Unmarshal([]byte(v.value), &cs.DisabledTypes)
		}
		if err != nil {
			return cs, fmt.Errorf("setting %s: %w", v.name, err)
		}
	}
	return cs, nil
}

// SetCorrelationCap stores a new cap and re-marks the over-correlating
// values at once; the postings stay as they are.
func (s *Store) SetCorrelationCap(ctx context.Context, limit int) error {
	if limit < 1 {
		return invalidf("the correlation cap must be at least 1, not %d", limit)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.setSetting(ctx, tx, settingCorrelationCap, strconv.Itoa(limit)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.Rebind(`UPDATE correlation_values
			SET over = CASE WHEN postings > ? THEN 1 ELSE 0 END`), limit)
		return err
	})
}

// SetCorrelationCIDR turns CIDR correlation on or off; it is computed when
// read, so it takes effect at once.
func (s *Store) SetCorrelationCIDR(ctx context.Context, on bool) error {
	v := "0"
	if on {
		v = "1"
	}
	return s.SetSetting(ctx, settingCorrelationCIDR, v)
}

// SetCorrelationDisabledTypes stores the types excluded from correlation.
// The postings of existing attributes change only with a rebuild
// (RebuildCorrelations), which the caller runs next.
func (s *Store) SetCorrelationDisabledTypes(ctx context.Context, types []string) error {
	for _, t := range types {
		if _, ok := misp.LookupType(t); !ok {
			return invalidf("unknown attribute type %q", t)
		}
		if !misp.Correlates(t) {
			return invalidf("attribute type %q never correlates; there is nothing to exclude", t)
		}
	}
	slices.Sort(types)
	types = slices.Compact(types)
	raw, err := json.Marshal(append([]string{}, types...))
	if err != nil {
		return err
	}
	return s.SetSetting(ctx, settingCorrelationTypes, string(raw))
}

// correlator decides which values of an attribute correlate.
type correlator struct {
	disabled map[string]bool
}

func newCorrelator(cs CorrelationSettings) correlator {
	c := correlator{disabled: map[string]bool{}}
	for _, t := range cs.DisabledTypes {
		c.disabled[t] = true
	}
	return c
}

// posting is one row of the correlations table.
type posting struct {
	hash, eventID, attributeID int64
	field                      int
}

// postings appends the postings of one attribute: value1, and value2 where
// the type's second half correlates. Empty values never correlate.
func (c correlator) postings(dst []posting, attributeID, eventID int64, typ, v1, v2 string) []posting {
	if !misp.Correlates(typ) || c.disabled[typ] {
		return dst
	}
	if v1 != "" {
		dst = append(dst, posting{misp.CorrelationKey(v1), eventID, attributeID, 1})
	}
	if v2 != "" && misp.CorrelatesSecond(typ) && !strings.EqualFold(v1, v2) {
		dst = append(dst, posting{misp.CorrelationKey(v2), eventID, attributeID, 2})
	}
	return dst
}

// queueCorrelation puts events in the queue of the correlation worker, in
// the transaction of the write that changed them. An event queued again
// while the worker reads it gets a new seq, so that the worker's pass does
// not dequeue the newer change.
func (s *Store) queueCorrelation(ctx context.Context, q querier, eventIDs ...int64) error {
	now := s.now().Unix()
	for _, id := range eventIDs {
		if _, err := q.ExecContext(ctx, s.Rebind(`INSERT INTO correlation_queue (event_id, seq, queued)
			VALUES (?, 0, ?) ON CONFLICT (event_id) DO UPDATE SET seq = correlation_queue.seq + 1`), id, now); err != nil {
			return fmt.Errorf("queue event %d for correlation: %w", id, err)
		}
	}
	select {
	case s.correlationWake <- struct{}{}:
	default:
	}
	return nil
}

// CorrelationWake receives a value when a write queued events for the
// correlation worker of this process. Writes of other nodes are seen by
// polling.
func (s *Store) CorrelationWake() <-chan struct{} { return s.correlationWake }

// correlateBatch bounds the events of one worker transaction.
const correlateBatch = 32

// CorrelateQueued recomputes the postings of queued events, at most limit
// of them (all when limit <= 0), a batch per transaction, and returns how
// many it processed. Several nodes may run it at once: on PostgreSQL each
// queued event goes to one of them, and a node that dies mid-batch leaves
// its events queued for the others.
func (s *Store) CorrelateQueued(ctx context.Context, limit int) (int, error) {
	cs, err := s.CorrelationSettings(ctx)
	if err != nil {
		return 0, err
	}
	c := newCorrelator(cs)
	done := 0
	for limit <= 0 || done < limit {
		n := correlateBatch
		if limit > 0 {
			n = min(n, limit-done)
		}
		var got int
		err := s.tx(ctx, func(tx *sql.Tx) error {
			var err error
			got, err = s.correlateBatch(ctx, tx, c, cs.Cap, n)
			return err
		})
		if err != nil {
			return done, err
		}
		done += got
		if got < n {
			break
		}
	}
	return done, nil
}

type queued struct{ eventID, seq int64 }

func (s *Store) correlateBatch(ctx context.Context, tx *sql.Tx, c correlator, limit, n int) (int, error) {
	// On PostgreSQL: wait for a rebuild in progress before reading any
	// postings, and let one node at a time adjust the per-value counts,
	// which are read and written in several statements. Readers are not
	// blocked.
	for _, lock := range []string{s.dialect.lockTables("ROW EXCLUSIVE", "correlations"),
		s.dialect.lockTables("SHARE ROW EXCLUSIVE", "correlation_values")} {
		if lock == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, lock); err != nil {
			return 0, err
		}
	}
	rows, err := tx.QueryContext(ctx, s.Rebind(`SELECT event_id, seq FROM correlation_queue
		ORDER BY queued, event_id LIMIT ?`+s.dialect.skipLocked()), n)
	if err != nil {
		return 0, err
	}
	var work []queued
	for rows.Next() {
		var q queued
		if err := rows.Scan(&q.eventID, &q.seq); err != nil {
			rows.Close()
			return 0, err
		}
		work = append(work, q)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	delta := map[int64]int64{}
	for _, q := range work {
		if err := s.reindexEvent(ctx, tx, c, q.eventID, delta); err != nil {
			return 0, fmt.Errorf("correlate event %d: %w", q.eventID, err)
		}
		if _, err := tx.ExecContext(ctx, s.Rebind(`DELETE FROM correlation_queue WHERE event_id = ? AND seq = ?`),
			q.eventID, q.seq); err != nil {
			return 0, err
		}
	}
	return len(work), s.applyPostingDelta(ctx, tx, delta, limit)
}

// reindexEvent replaces the postings of one event with those of its
// attributes now, adding the change in postings per value to delta.
func (s *Store) reindexEvent(ctx context.Context, tx *sql.Tx, c correlator, eventID int64, delta map[int64]int64) error {
	rows, err := tx.QueryContext(ctx, s.Rebind(`SELECT value_hash FROM correlations WHERE event_id = ?`), eventID)
	if err != nil {
		return err
	}
	old, err := scanIDs(rows)
	if err != nil {
		return err
	}
	for _, h := range old {
		delta[h]--
	}
	if len(old) > 0 {
		if _, err := tx.ExecContext(ctx, s.Rebind(`DELETE FROM correlations WHERE event_id = ?`), eventID); err != nil {
			return err
		}
	}
	rows, err = tx.QueryContext(ctx, s.Rebind(`SELECT a.id, a.type, a.value1, a.value2 FROM attributes a
		JOIN events e ON e.id = a.event_id
		WHERE a.event_id = ? AND a.deleted = 0 AND a.disable_correlation = 0 AND e.disable_correlation = 0`), eventID)
	if err != nil {
		return err
	}
	var ps []posting
	for rows.Next() {
		var id int64
		var typ, v1, v2 string
		if err := rows.Scan(&id, &typ, &v1, &v2); err != nil {
			rows.Close()
			return err
		}
		ps = c.postings(ps, id, eventID, typ, v1, v2)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, p := range ps {
		delta[p.hash]++
	}
	return s.insertPostings(ctx, tx, ps)
}

// insertPostings writes postings with multi-row INSERTs.
func (s *Store) insertPostings(ctx context.Context, tx *sql.Tx, ps []posting) error {
	values := make([]any, 0, 4*len(ps))
	for _, p := range ps {
		values = append(values, p.hash, p.eventID, p.attributeID, p.field)
	}
	return s.insertRows(ctx, tx, "correlations", []string{"value_hash", "event_id", "attribute_id", "field"}, values)
}

// applyPostingDelta brings correlation_values up to date for the values
// whose postings changed by delta. Only values held by two attributes or
// more have a row (a value held once correlates with nothing, and most
// values are held once): a value with a row moves by its delta, a value
// without one is counted from its postings, which are few, and rows left
// with fewer than two postings go. Values are taken in order, in chunks.
func (s *Store) applyPostingDelta(ctx context.Context, tx *sql.Tx, delta map[int64]int64, limit int) error {
	hashes := make([]int64, 0, len(delta))
	for h, d := range delta {
		if d != 0 {
			hashes = append(hashes, h)
		}
	}
	slices.Sort(hashes)
	capText := strconv.Itoa(limit)
	for len(hashes) > 0 {
		chunk := hashes[:min(len(hashes), batchRows)]
		hashes = hashes[len(chunk):]
		deltas := make([]any, 0, 2*len(chunk))
		for _, h := range chunk {
			deltas = append(deltas, h, delta[h])
		}
		in := placeholders(len(chunk))
		ids := int64Args(chunk)
		steps := []struct {
			q    string
			args []any
		}{
			{`UPDATE correlation_values SET postings = correlation_values.postings + d.delta,
				over = CASE WHEN correlation_values.postings + d.delta > ` + capText + ` THEN 1 ELSE 0 END
				FROM (SELECT CAST(? AS BIGINT) AS value_hash, CAST(? AS BIGINT) AS delta` +
				strings.Repeat(` UNION ALL SELECT ?, ?`, len(chunk)-1) + `) d
				WHERE correlation_values.value_hash = d.value_hash`, deltas},
			{`INSERT INTO correlation_values (value_hash, postings, over)
				SELECT c.value_hash, COUNT(*), CASE WHEN COUNT(*) > ` + capText + ` THEN 1 ELSE 0 END
				FROM correlations c WHERE c.value_hash IN (` + in + `)
				AND NOT EXISTS (SELECT 1 FROM correlation_values v WHERE v.value_hash = c.value_hash)
				GROUP BY c.value_hash HAVING COUNT(*) > 1`, ids},
			{`DELETE FROM correlation_values WHERE postings < 2 AND value_hash IN (` + in + `)`, ids},
		}
		for _, st := range steps {
			if _, err := tx.ExecContext(ctx, s.Rebind(st.q), st.args...); err != nil {
				return err
			}
		}
	}
	return nil
}

// CorrelationBacklog returns the number of events waiting for the
// correlation worker and the number of events, in one query.
func (s *Store) CorrelationBacklog(ctx context.Context) (queued, events int64, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM correlation_queue), (SELECT COUNT(*) FROM events)`).
		Scan(&queued, &events)
	return queued, events, err
}

// CorrelationQueueLength returns the number of events waiting for the
// correlation worker.
func (s *Store) CorrelationQueueLength(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM correlation_queue`).Scan(&n)
	return n, err
}
