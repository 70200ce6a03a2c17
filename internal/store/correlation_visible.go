package store

import (
	"context"
	"database/sql"
	"slices"
)

// The top list of an actor who may not see everything is counted over the
// postings the actor sees, through the access filter, as every other
// reader of the index; it equals the list of every visible posting grouped
// by value, without reading them all.
//
// Only values held by two attributes or more can correlate, and those are
// the rows of correlation_values: the walk reads no other. A value's
// visible postings are at most its postings, and at most its postings in
// the events the actor sees (its bound: read from the index by value and
// the events alone, without the attributes). The walk takes the values from
// the most held down, a page at a time, bounds each page, and counts
// exactly, attribute by attribute, the values of highest bound first. It
// stops when neither a value left unread nor a value bounded but not
// counted could enter the list. Should its work grow past that of one pass
// over the repeated values' postings event by event (scanTop), which costs
// what the events the actor sees hold, that pass finishes the list
// instead: when the actor sees few events (the walk would bound most
// values for few to list), or when the attributes hide much of what their
// events show (bounds are loose, and many values are counted in vain).
// Either way the work is at most about twice that pass, and usually a
// small part of it.

// topFirstPage and topMaxPage bound the values read per page of the walk:
// the first page is small, since most values are seen by most users, and
// pages double from there.
const (
	topFirstPage = 128
	topMaxPage   = 1024
)

// exactCost is the cost of counting one posting exactly, value by value,
// in postings read event by event: a posting counted exactly is a look-up
// of its attribute out of order. Measured at 10x on SQLite (2-core VM,
// busy): 17-36 us a posting counted exactly, 0.6-2 us bounded, 2.4 us read
// by scanTop.
const exactCost = 12

// visibleCount is a value as the actor sees it: its visible postings (or a
// bound of them) and the events holding them.
type visibleCount struct {
	hash, postings, events int64
	over                   bool
}

// before reports whether c comes before d in the order of the top list:
// more postings first, then the smaller hash.
func (c visibleCount) before(d visibleCount) bool {
	return c.postings > d.postings || (c.postings == d.postings && c.hash < d.hash)
}

// topVisible is TopCorrelations for an actor who may not see everything.
// It reads in one snapshot, so that the per-value counts it walks and the
// postings it counts agree.
func (s *Store) topVisible(ctx context.Context, a *Actor, limit int, overOnly bool) ([]CorrelatedValue, error) {
	var out []CorrelatedValue
	err := s.readSnapshot(ctx, func(tx *sql.Tx) error {
		budget, err := s.visibleEventPostings(ctx, tx, a)
		if err != nil {
			return err
		}
		top, err := s.visibleTopCounts(ctx, tx, a, limit, overOnly, topFirstPage, budget)
		if err != nil {
			return err
		}
		out = make([]CorrelatedValue, 0, len(top))
		for _, c := range top {
			v := CorrelatedValue{Events: c.events, Attributes: c.postings, OverCorrelated: c.over}
			if v.Value, v.Type, err = s.correlatedValueText(ctx, tx, a, c.hash); err != nil {
				return err
			}
			out = append(out, v)
		}
		return nil
	})
	return out, err
}

// visibleTopCounts walks for the list, its first page of firstPage values,
// and leaves it to scanTop once its work passes budget.
func (s *Store) visibleTopCounts(ctx context.Context, tx *sql.Tx, a *Actor, limit int, overOnly bool,
	firstPage int, budget int64) ([]visibleCount, error) {
	w := newTopWalk(s, tx, a, limit, overOnly, firstPage)
	complete, err := w.run(ctx, budget)
	if err != nil || complete {
		return w.top, err
	}
	return s.scanTop(ctx, tx, a, limit, overOnly)
}

// topWalk is the state of one walk: the list so far, the values bounded
// but not counted (pending, highest bound first), and the last value read.
type topWalk struct {
	s        *Store
	tx       *sql.Tx
	a        *Actor
	limit    int
	overOnly bool

	top, pending []visibleCount
	after        *visibleCount // the last value read; nil before the first page
	more         bool          // values are left unread
	page         int
	// work is the cost so far, in postings read event by event (see
	// exactCost); bounded and counted are the values bounded and counted.
	work             int64
	bounded, counted int
}

func newTopWalk(s *Store, tx *sql.Tx, a *Actor, limit int, overOnly bool, firstPage int) *topWalk {
	return &topWalk{s: s, tx: tx, a: a, limit: limit, overOnly: overOnly, more: true, page: firstPage}
}

// run walks until the list is complete, or until its work passes budget
// (complete is then false and the list unfinished).
func (w *topWalk) run(ctx context.Context, budget int64) (complete bool, err error) {
	for {
		w.pending = slices.DeleteFunc(w.pending, func(c visibleCount) bool { return !w.mayEnter(c) })
		unread := w.more && (w.after == nil || w.mayEnter(*w.after))
		switch {
		case !unread && len(w.pending) == 0:
			return true, nil
		case w.work > budget:
			return false, nil
		case unread && (len(w.pending) == 0 || w.pending[0].postings < w.after.postings):
			// A value unread may have a higher bound than any pending.
			err = w.read(ctx)
		default:
			err = w.count(ctx)
		}
		if err != nil {
			return false, err
		}
	}
}

// mayEnter reports whether a value of at most c.postings visible postings
// could still enter the list.
func (w *topWalk) mayEnter(c visibleCount) bool {
	return len(w.top) < w.limit || c.before(w.top[w.limit-1])
}

// read reads the next page of values and adds those the actor sees in two
// events or more to pending, with their bounds.
func (w *topWalk) read(ctx context.Context) error {
	cands, err := w.s.topCandidates(ctx, w.tx, w.after, w.page, w.overOnly)
	if err != nil {
		return err
	}
	w.more = len(cands) == w.page
	w.page = min(2*w.page, topMaxPage)
	if len(cands) == 0 {
		return nil
	}
	w.after = &cands[len(cands)-1]
	for _, c := range cands {
		w.work += c.postings
	}
	bounds, err := w.s.boundVisible(ctx, w.tx, w.a, cands)
	if err != nil {
		return err
	}
	w.bounded += len(cands)
	w.pending = append(w.pending, bounds...)
	sortTop(w.pending)
	return nil
}

// count counts exactly the pending values of highest bound: as many as the
// list lacks, at least a few.
func (w *topWalk) count(ctx context.Context) error {
	n := min(len(w.pending), max(w.limit-len(w.top), 16), 256)
	batch := w.pending[:n]
	seen, err := w.s.countVisible(ctx, w.tx, w.a, batch)
	if err != nil {
		return err
	}
	for _, c := range batch {
		w.work += exactCost * c.postings
	}
	w.counted += n
	w.pending = w.pending[n:]
	w.top = append(w.top, seen...)
	sortTop(w.top)
	w.top = w.top[:min(len(w.top), w.limit)]
	return nil
}

// visibleEventPostings estimates the postings of the events the actor
// sees by their attributes: the work of scanTop.
func (s *Store) visibleEventPostings(ctx context.Context, tx *sql.Tx, a *Actor) (int64, error) {
	acc, args := a.EventAccess("e")
	var n int64
	err := tx.QueryRowContext(ctx, s.Rebind(`SELECT COALESCE(SUM(e.attribute_count), 0) FROM events e
		WHERE e.disable_correlation = 0 AND `+acc), args...).Scan(&n)
	return n, err
}

// topCandidates reads the next n values in the order of their postings,
// after the value after (from the first when nil).
func (s *Store) topCandidates(ctx context.Context, tx *sql.Tx, after *visibleCount, n int, overOnly bool) ([]visibleCount, error) {
	q := `SELECT value_hash, postings, over FROM correlation_values WHERE postings > 1`
	var args []any
	if overOnly {
		q += ` AND over = 1`
	}
	if after != nil {
		q += ` AND postings <= ? AND (postings < ? OR value_hash > ?)`
		args = append(args, after.postings, after.postings, after.hash)
	}
	rows, err := tx.QueryContext(ctx, s.Rebind(q+` ORDER BY postings DESC, value_hash LIMIT ?`), append(args, n)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]visibleCount, 0, n)
	for rows.Next() {
		var c visibleCount
		if err := rows.Scan(&c.hash, &c.postings, &c.over); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// boundVisible bounds the visible postings of the values cands by their
// postings in the events the actor sees, and keeps the values found in two
// such events or more. The attributes are not read: the access filter of an
// attribute requires its event's (AttributeAccess), so an attribute the
// actor sees is in an event the actor sees.
func (s *Store) boundVisible(ctx context.Context, tx *sql.Tx, a *Actor, cands []visibleCount) ([]visibleCount, error) {
	acc, args := a.EventAccess("e")
	q := `SELECT c.value_hash, COUNT(*), COUNT(DISTINCT c.event_id) FROM correlations c JOIN events e ON e.id = c.event_id
		WHERE c.value_hash IN (` + placeholders(len(cands)) + `) AND e.disable_correlation = 0 AND ` + acc +
		` GROUP BY c.value_hash HAVING COUNT(DISTINCT c.event_id) > 1`
	return s.scanCounts(ctx, tx, q, append(hashArgs(cands), args...), cands)
}

// countVisible counts the postings of the values cands that the actor
// sees, and keeps the values seen in two events or more.
func (s *Store) countVisible(ctx context.Context, tx *sql.Tx, a *Actor, cands []visibleCount) ([]visibleCount, error) {
	join, cond, args := a.correlatedSide("c", "at", "e")
	q := `SELECT c.value_hash, COUNT(*), COUNT(DISTINCT c.event_id) FROM correlations c` + join +
		` WHERE c.value_hash IN (` + placeholders(len(cands)) + `) AND ` + cond +
		` GROUP BY c.value_hash HAVING COUNT(DISTINCT c.event_id) > 1`
	return s.scanCounts(ctx, tx, q, append(hashArgs(cands), args...), cands)
}

// scanCounts reads rows of value, postings and events, taking each value's
// over-correlating mark from cands.
func (s *Store) scanCounts(ctx context.Context, tx *sql.Tx, q string, args []any, cands []visibleCount) ([]visibleCount, error) {
	over := make(map[int64]bool, len(cands))
	for _, c := range cands {
		over[c.hash] = c.over
	}
	rows, err := tx.QueryContext(ctx, s.Rebind(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []visibleCount
	for rows.Next() {
		var c visibleCount
		if err := rows.Scan(&c.hash, &c.postings, &c.events); err != nil {
			return nil, err
		}
		c.over = over[c.hash]
		out = append(out, c)
	}
	return out, rows.Err()
}

// scanTop is the top list counted in one pass over the postings of the
// repeated values, event by event (visibleByEvent).
func (s *Store) scanTop(ctx context.Context, tx *sql.Tx, a *Actor, limit int, overOnly bool) ([]visibleCount, error) {
	from, where, args := visibleByEvent(a, true)
	if overOnly {
		where += ` AND v.over = 1`
	}
	q := `SELECT c.value_hash, COUNT(*), COUNT(DISTINCT c.event_id), MAX(v.over)` + from + ` WHERE ` + where +
		` GROUP BY c.value_hash HAVING COUNT(DISTINCT c.event_id) > 1 ORDER BY COUNT(*) DESC, c.value_hash LIMIT ?`
	rows, err := tx.QueryContext(ctx, s.Rebind(q), append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []visibleCount
	for rows.Next() {
		var c visibleCount
		if err := rows.Scan(&c.hash, &c.postings, &c.events, &c.over); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// visibleByEvent returns the FROM and WHERE clauses of the postings the
// actor sees (of the values held twice or more, with repeated: their
// per-value counts are v), under the same conditions as correlatedSide.
// SQLite takes CROSS JOINs in the order written: events first, so that the
// events the actor may not see are skipped whole and each event's
// attributes are read in order; from the index by value it would read them
// out of order, several times slower. PostgreSQL plans them as it likes.
func visibleByEvent(a *Actor, repeated bool) (from, where string, args []any) {
	acc, args := a.AttributeAccess("at", "e")
	from, where = ` FROM events e CROSS JOIN correlations c`, `c.event_id = e.id`
	if repeated {
		from, where = from+` CROSS JOIN correlation_values v`, where+` AND v.value_hash = c.value_hash`
	}
	from += ` CROSS JOIN attributes at`
	where += ` AND at.id = c.attribute_id AND ` + liveCorrelation("at", "e") + ` AND ` + acc
	return from, where, args
}

// sortTop sorts values in the order of the top list.
func sortTop(vs []visibleCount) {
	slices.SortFunc(vs, func(c, d visibleCount) int {
		switch {
		case c.before(d):
			return -1
		case d.before(c):
			return 1
		}
		return 0
	})
}

func hashArgs(vs []visibleCount) []any {
	args := make([]any, len(vs))
	for i, v := range vs {
		args[i] = v.hash
	}
	return args
}

// readSnapshot runs fn in a read-only transaction that sees one snapshot
// of the database: on SQLite any read transaction in WAL mode, on
// PostgreSQL a repeatable-read one.
func (s *Store) readSnapshot(ctx context.Context, fn func(*sql.Tx) error) error {
	var opts *sql.TxOptions
	if s.dialect.name() == "postgres" {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	// Read-only: a failed rollback leaves nothing behind, and the error
	// worth returning is fn's or Commit's.
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}
