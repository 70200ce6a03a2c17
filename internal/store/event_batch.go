package store

import (
	"context"
	"database/sql"
	"maps"
	"strings"

	"github.com/jackc/pgx/v5"
)

// writeBatch is what the events of one SaveEvents transaction share: the
// answers of look-ups that the other events of the batch would otherwise
// ask again, one round trip each on PostgreSQL. Each event works on copies
// of the tag and organisation caches, kept only when the event is kept: a
// rolled-back event takes the tags and organisations it created with it.
type writeBatch struct {
	tags map[string]int64 // tag ids by lower-case name
	orgs map[OrgRef]int64
	// blocked tells, for each event uuid of the batch, whether it is on
	// the event blocklist.
	blocked map[string]bool
	// seqs holds, on PostgreSQL, the sequence of each table's id as a
	// quoted string literal.
	seqs map[string]string
}

func newWriteBatch() *writeBatch {
	return &writeBatch{tags: map[string]int64{}, orgs: map[OrgRef]int64{}}
}

// newEventWriter starts the writer of one event of the batch.
func (b *writeBatch) newEventWriter(s *Store, tx *sql.Tx, a *Actor, opts SaveOptions) *eventWriter {
	return &eventWriter{s: s, tx: tx, a: a, now: s.now().Unix(), opts: opts, batch: b,
		tagCache: maps.Clone(b.tags), orgCache: maps.Clone(b.orgs)}
}

// keep takes over the caches of an event that was stored.
func (b *writeBatch) keep(w *eventWriter) {
	b.tags, b.orgs = w.tagCache, w.orgCache
}

// planImport lets PostgreSQL keep the plans of the write path's prepared
// statements for the rest of tx, whatever plan_cache_mode the database URL
// sets (see OpenPostgres): planning every statement for its parameters
// replanned the foreign-key checks of every inserted row as well, a fifth
// of the server's time in an import. The look-ups whose best plan depends
// on their values go unprepared (eachUUIDChunk).
func (s *Store) planImport(ctx context.Context, tx *sql.Tx) error {
	if s.dialect.name() != "postgres" {
		return nil
	}
	_, err := tx.ExecContext(ctx, "SET LOCAL plan_cache_mode = auto")
	return err
}

// loadBlocked reads which of the events' uuids are on the blocklist, in one
// statement on PostgreSQL and in chunks of lookupChunk on SQLite.
func (b *writeBatch) loadBlocked(ctx context.Context, s *Store, tx *sql.Tx, plans []*eventPlan) error {
	var uuids []string
	for _, p := range plans {
		if p != nil && p.uuid != "" {
			uuids = append(uuids, p.uuid)
		}
	}
	b.blocked = make(map[string]bool, len(uuids))
	for _, u := range uuids {
		b.blocked[u] = false
	}
	return eachUUIDChunk(s, uuids, func(cond string, args []any) error {
		rows, err := tx.QueryContext(ctx, s.Rebind(`SELECT uuid FROM event_blocklist WHERE uuid`+cond), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u string
			if err := rows.Scan(&u); err != nil {
				return err
			}
			b.blocked[u] = true
		}
		return rows.Err()
	})
}

// sequence returns the sequence of table's id as a quoted string literal,
// read once a batch, so that nextval needs no catalogue look-up per value.
func (b *writeBatch) sequence(ctx context.Context, tx *sql.Tx, table string) (string, error) {
	if seq, ok := b.seqs[table]; ok {
		return seq, nil
	}
	var seq string
	if err := tx.QueryRowContext(ctx, `SELECT pg_get_serial_sequence($1, 'id')`, table).Scan(&seq); err != nil {
		return "", err
	}
	if b.seqs == nil {
		b.seqs = map[string]string{}
	}
	b.seqs[table] = "'" + strings.ReplaceAll(seq, "'", "''") + "'"
	return b.seqs[table], nil
}

// lookupChunk bounds the uuids of one IN list on SQLite.
const lookupChunk = 500

// eachUUIDChunk calls fn with a condition on a uuid column (" = ANY(?)" or
// " IN (?,...)") and its arguments: one call with every uuid on PostgreSQL,
// where a statement costs a round trip and an array is one parameter; one
// per chunk on SQLite.
//
// On PostgreSQL the statement is planned for its values at each call
// (pgx.QueryExecModeExec, an unnamed statement) instead of being prepared
// once: the generic plan that a prepared statement settles on is made for
// an array of unknown length and, in a new database, a table that looked
// empty, and it went on scanning the whole table as the import filled it
// (150 ms a look-up after 10,000 attributes).
func eachUUIDChunk(s *Store, uuids []string, fn func(cond string, args []any) error) error {
	if len(uuids) == 0 {
		return nil
	}
	if s.dialect.name() == "postgres" {
		return fn(" = ANY(?)", []any{pgx.QueryExecModeExec, uuids})
	}
	for start := 0; start < len(uuids); start += lookupChunk {
		chunk := uuids[start:min(start+lookupChunk, len(uuids))]
		if err := fn(" IN ("+placeholders(len(chunk))+")", stringArgs(chunk)); err != nil {
			return err
		}
	}
	return nil
}
