package search

import (
	"context"
	"runtime"
	"sync"

	"github.com/cairn-intel/cairn/internal/store"
)

// A search for many values is split in parts, each a query for some of the
// values, run at once on connections of their own and merged in order: a
// thousand values find thousands of rows scattered over the table, whose
// reading (by the database and by the scan here) then uses every core
// instead of one. The parts are disjoint in values, not in attributes: an
// attribute whose value1 is in one part and value2 in another comes from
// both, and the merge keeps it once.

// splitMin is the fewest value terms split in parts, and splitParts the
// most parts: each holds a connection while it runs.
const splitMin = 256

var splitParts = 2

// partQuery is one query of a search, its rows in the search's order.
type partQuery struct {
	sql  string
	args []any
	part bool // one of several parts run at once
}

// splitValues returns the parameters of the parts a search runs in: p
// alone, or p with its OR list of values cut in parts. Only an unpaged
// search in (timestamp, uuid) order is split; its parts merge by that key.
func splitValues(p Params) []Params {
	parts := min(runtime.GOMAXPROCS(0), splitParts)
	if parts < 2 || len(p.Value.OR) < splitMin || p.Limit > 0 || p.Order != "" {
		return []Params{p}
	}
	out := make([]Params, parts)
	vals := p.Value.OR
	for i := range parts {
		out[i] = p
		out[i].Value.OR = vals[i*len(vals)/parts : (i+1)*len(vals)/parts]
	}
	return out
}

// eachRow calls fn with the rows of the queries in order: one query's as
// they come, or several queries' merged by (timestamp, uuid), each row
// once.
func eachRow(ctx context.Context, st *store.Store, queries []partQuery, fn func(store.Attribute) error) error {
	if len(queries) == 1 {
		return scanRows(ctx, st, queries[0], fn)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	heads := make([]*mergeHead, len(queries))
	var wg sync.WaitGroup
	for i, q := range queries {
		h := &mergeHead{batches: make(chan rowBatch, 4)}
		heads[i] = h
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.produce(ctx, st, q)
		}()
	}
	defer func() {
		cancel()
		for _, h := range heads {
			for range h.batches { // let each producer finish and return its connection
			}
		}
		wg.Wait()
	}()
	for {
		var next *store.Attribute
		for _, h := range heads {
			at, err := h.peek()
			if err != nil {
				return err
			}
			if at != nil && (next == nil || before(at, next)) {
				next = at
			}
		}
		if next == nil {
			return nil
		}
		at := *next
		for _, h := range heads { // the same attribute may head several parts
			if cur, _ := h.peek(); cur != nil && cur.ID == at.ID {
				h.rows = h.rows[1:]
			}
		}
		if err := fn(at); err != nil {
			return err
		}
	}
}

// before orders attributes as the search does: by timestamp, then uuid.
// uuids are lower-case hex with hyphens in fixed places, which every
// collation orders as their bytes.
func before(x, y *store.Attribute) bool {
	if x.Timestamp != y.Timestamp {
		return x.Timestamp < y.Timestamp
	}
	return x.UUID < y.UUID
}

// rowBatch carries rows of one part to the merge, or the error that ended
// the part.
type rowBatch struct {
	rows []store.Attribute
	err  error
}

// mergeHead is one part of a merged search: its producer's batches and the
// rows of the current batch not yet merged.
type mergeHead struct {
	batches chan rowBatch
	rows    []store.Attribute
	done    bool
}

const rowBatchSize = 256

// produce runs the query and sends its rows in batches, and the error that
// ended it if any, then closes the channel. Its sends always complete: the
// merge reads until the channel closes, even after it stopped merging.
func (h *mergeHead) produce(ctx context.Context, st *store.Store, q partQuery) {
	defer close(h.batches)
	batch := make([]store.Attribute, 0, rowBatchSize)
	err := scanRows(ctx, st, q, func(at store.Attribute) error {
		batch = append(batch, at)
		if len(batch) == rowBatchSize {
			h.batches <- rowBatch{rows: batch}
			batch = make([]store.Attribute, 0, rowBatchSize)
		}
		return ctx.Err() // the merge stopped: stop reading
	})
	switch {
	case err != nil:
		h.batches <- rowBatch{err: err}
	case len(batch) > 0:
		h.batches <- rowBatch{rows: batch}
	}
}

// peek returns the part's next row, waiting for its batch, or nil when the
// part has no more.
func (h *mergeHead) peek() (*store.Attribute, error) {
	for len(h.rows) == 0 && !h.done {
		b, ok := <-h.batches
		switch {
		case !ok:
			h.done = true
		case b.err != nil:
			h.done = true
			return nil, b.err
		default:
			h.rows = b.rows
		}
	}
	if len(h.rows) == 0 {
		return nil, nil
	}
	return &h.rows[0], nil
}

// scanRows runs one query and calls fn with each row. A part of a split
// search runs as such (store.QueryPart).
func scanRows(ctx context.Context, st *store.Store, q partQuery, fn func(store.Attribute) error) error {
	r := newAttributeReader()
	each := func(rows store.RowScanner) error {
		at, err := r.scan(rows)
		if err != nil {
			return err
		}
		return fn(at)
	}
	if q.part {
		return st.QueryPart(ctx, st.Rebind(q.sql), q.args, each)
	}
	return st.EachRow(ctx, st.Rebind(q.sql), q.args, each)
}
