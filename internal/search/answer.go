package search

import (
	"context"

	"github.com/cairn-intel/cairn/internal/store"
)

// wholeRows is the most attributes a json answer holds whole. Past it the
// answer keeps the ids of its attributes (eight bytes each), and reads its
// rows again a chunk at a time as they are written, so that its memory does
// not grow with its rows (the ids aside).
var wholeRows = 10_000

// chunkRows is how many attributes of a large answer are read, completed
// (tags, sightings, correlations) and written at a time.
var chunkRows = 1_000

// AttributeAnswer is the json answer of an attributes/restSearch, prepared
// so that its count and cursor are known before its body is written.
type AttributeAnswer struct {
	// Total counts the matching attributes before paging (after the
	// request's cursor), less those the warninglists dropped from the page.
	Total int64
	// Cursor is the continuation cursor (see AttributesAfter).
	Cursor string

	st *store.Store
	a  *store.Actor
	p  Params
	// attrs holds a small answer, complete; ids a large one, in order.
	attrs []store.Attribute
	ids   []int64
}

// PrepareAttributes runs the search of an attributes/restSearch: a small
// answer is kept whole, a larger one as the ids of its attributes. Either
// way it holds the same attributes, in the same order, as Attributes.
func PrepareAttributes(ctx context.Context, st *store.Store, a *store.Actor, p Params) (*AttributeAnswer, error) {
	x := &AttributeAnswer{st: st, a: a, p: p}
	after, err := cursorFilter(ctx, st, p, ScopeAttributes)
	if err != nil {
		return nil, err
	}
	acc, accArgs := a.AttributeAccess("a", "e")
	// whereOf builds the condition of the search with the parameters p; none
	// is set when a filter can match nothing.
	whereOf := func(p Params) (where store.Cond, none bool, err error) {
		b := &builder{ctx: ctx, st: st, a: a, p: p, scope: "attributes"}
		where = store.And(store.Cond{SQL: acc, Args: accArgs}, store.DeletedFilter(a, "a", store.Deleted(p.Deleted)),
			b.attributeCond(), after)
		return where, b.none, checkParams(st, where)
	}
	order, err := orderBy(st, p.Order, attributeOrders, "a")
	if err != nil {
		return nil, err
	}
	// A split search builds the condition of each part, not of the whole
	// too: it is unpaged, so it needs no count. Whether a filter matches
	// nothing does not depend on the values, the one thing parts differ in.
	parts := splitValues(p)
	var queries []partQuery
	var where store.Cond
	from := ` FROM attributes a JOIN events e ON e.id = a.event_id WHERE `
	lim, limArgs := limitClause(p)
	params := 0
	for _, part := range parts {
		w, none, err := whereOf(part)
		if err != nil {
			return nil, err
		}
		if none {
			x.Cursor = nextCursor(p, ScopeAttributes, nil)
			return x, nil
		}
		where = w // the whole search's, when it is not split
		params += len(w.Args)
		queries = append(queries, partQuery{
			sql:  `SELECT ` + store.AttributeColumns + `, ` + eventSummaryColumns + from + w.SQL + ` ORDER BY ` + order + lim,
			args: append(append([]any{}, w.Args...), limArgs...),
			part: len(parts) > 1,
		})
	}
	// The limit on parameters is the whole search's, split or not.
	if err := checkParamCount(st, params); err != nil {
		return nil, err
	}
	last, dropped, err := x.read(ctx, queries)
	if err != nil {
		return nil, err
	}
	if x.ids == nil {
		if err := attributeDetails(ctx, st, a, x.attrs, p); err != nil {
			return nil, err
		}
	}
	x.Cursor = nextCursor(p, ScopeAttributes, last)
	if t, ok := pageTotal(p, x.Total); ok {
		x.Total = t
	} else if err := st.DB().QueryRowContext(ctx, st.Rebind(`SELECT COUNT(*)`+from+where.SQL), where.Args...).Scan(&x.Total); err != nil {
		return nil, err
	}
	x.Total -= int64(dropped)
	return x, nil
}

// read reads the page in one pass: whole up to wholeRows attributes, and
// past that as ids alone, the attributes read so far turned into their
// ids, so that what the answer holds stops growing with its rows (eight
// bytes an attribute). Warninglists are applied to the page, as MISP does:
// a page may come back shorter than the limit, and the total counts what
// was dropped from this page only. It sets Total to the rows read and
// returns the key of the last one (before any drop) and how many the
// warninglists dropped. Several queries are parts of one search, run at
// once and merged (see splitValues).
func (x *AttributeAnswer) read(ctx context.Context, queries []partQuery) (*cursorKey, int, error) {
	opts := x.p.warningOptions()
	dropping := opts.Drop && opts.Check != nil
	drops := func(at *store.Attribute) bool { return dropping && len(opts.Check(at.Value(), at.Type)) > 0 }
	var last cursorKey
	var read, dropped int
	var whole blocks
	err := eachRow(ctx, x.st, queries, func(at store.Attribute) error {
		read++
		last = cursorKey{TS: at.Timestamp, UUID: at.UUID}
		if x.ids == nil && read <= wholeRows {
			whole.add(at)
			return nil
		}
		if x.ids == nil {
			x.ids = make([]int64, 0, 2*wholeRows)
			for _, held := range whole.join() {
				if drops(&held) {
					dropped++
					continue
				}
				x.ids = append(x.ids, held.ID)
			}
			whole = blocks{}
		}
		if drops(&at) {
			dropped++
			return nil
		}
		x.ids = append(x.ids, at.ID)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	x.Total = int64(read)
	if x.ids == nil {
		x.attrs, dropped = store.ApplyWarnings(whole.join(), opts)
	}
	if read == 0 {
		return nil, dropped, nil
	}
	return &last, dropped, nil
}

// blocks collects attributes in blocks of growing size and joins them once
// at the end: a slice grown by append would copy its attributes (352
// bytes each) about twice over on the way.
type blocks struct {
	full [][]store.Attribute
	cur  []store.Attribute
	n    int
}

func (b *blocks) add(at store.Attribute) {
	if len(b.cur) == cap(b.cur) {
		if b.cur != nil {
			b.full = append(b.full, b.cur)
		}
		b.cur = make([]store.Attribute, 0, min(max(64, b.n), 4096))
	}
	b.cur = append(b.cur, at)
	b.n++
}

// join returns the attributes in the order added, as one slice.
func (b *blocks) join() []store.Attribute {
	if len(b.full) == 0 {
		return b.cur
	}
	out := make([]store.Attribute, 0, b.n)
	for _, f := range b.full {
		out = append(out, f...)
	}
	return append(out, b.cur...)
}

// Each calls fn with the answer's attributes, complete, in order: a small
// answer at once, a large one a chunk at a time, each chunk read when fn
// has written the one before. The rows of a chunk are read again through
// the actor's access filter, so an attribute deleted or hidden since the
// search is left out rather than shown.
func (x *AttributeAnswer) Each(ctx context.Context, fn func([]store.Attribute) error) error {
	if x.ids == nil {
		if len(x.attrs) == 0 {
			return nil
		}
		return fn(x.attrs)
	}
	acc, accArgs := x.a.AttributeAccess("a", "e")
	visible := store.And(store.Cond{SQL: acc, Args: accArgs}, store.DeletedFilter(x.a, "a", store.Deleted(x.p.Deleted)))
	opts := x.p.warningOptions()
	opts.Drop = false // dropped while the ids were read
	for start := 0; start < len(x.ids); start += chunkRows {
		ids := x.ids[start:min(start+chunkRows, len(x.ids))]
		c := store.And(visible, x.st.InInts("a.id", ids))
		found, err := store.QueryAll(ctx, x.st, `SELECT `+store.AttributeColumns+`, `+eventSummaryColumns+
			` FROM attributes a JOIN events e ON e.id = a.event_id WHERE `+c.SQL, c.Args, newAttributeReader().scan)
		if err != nil {
			return err
		}
		byID := make(map[int64]store.Attribute, len(found))
		for _, at := range found {
			byID[at.ID] = at
		}
		chunk := found[:0]
		for _, id := range ids {
			if at, ok := byID[id]; ok {
				chunk = append(chunk, at)
			}
		}
		chunk, _ = store.ApplyWarnings(chunk, opts)
		if err := attributeDetails(ctx, x.st, x.a, chunk, x.p); err != nil {
			return err
		}
		if err := fn(chunk); err != nil {
			return err
		}
	}
	return nil
}

// eventChunkAttributes is about how many attributes a chunk of a json
// events answer holds: chunks start at 16 events, halve after one holding
// more attributes than this and double (up to 256 events) after one
// holding less than a quarter of it. One event larger than this is a chunk
// of its own.
var eventChunkAttributes = 20_000

// EventAnswer is the json answer of an events/restSearch: the ids of its
// events, read first with its count and cursor, and then the events
// themselves, loaded a few at a time as they are written.
type EventAnswer struct {
	// Total counts the matching events before paging (after the request's
	// cursor).
	Total int64
	// Cursor is the continuation cursor (see EventsAfter).
	Cursor string

	st   *store.Store
	a    *store.Actor
	p    Params
	ids  []int64
	opts store.LoadOptions
}

// PrepareEvents runs the search of an events/restSearch and reads the ids
// of the page's events, in order.
func PrepareEvents(ctx context.Context, st *store.Store, a *store.Actor, p Params) (*EventAnswer, error) {
	x := &EventAnswer{st: st, a: a, p: p}
	after, err := cursorFilter(ctx, st, p, ScopeEvents)
	if err != nil {
		return nil, err
	}
	b := &builder{ctx: ctx, st: st, a: a, p: p, scope: "events"}
	cond := b.eventSelectCond()
	order, err := orderBy(st, p.Order, eventOrders, "e")
	if err != nil || b.none {
		x.Cursor = nextCursor(p, ScopeEvents, nil)
		return x, err
	}
	x.opts = b.loadOptions()
	acc, accArgs := a.EventAccess("e")
	where := store.And(store.Cond{SQL: acc, Args: accArgs}, cond, after)
	if err := checkParams(st, where); err != nil {
		return nil, err
	}
	from := ` FROM events e WHERE ` + where.SQL
	lim, limArgs := limitClause(p)
	type keyed struct {
		id  int64
		key cursorKey
	}
	found, err := store.QueryAll(ctx, st, `SELECT e.id, e.timestamp, e.uuid`+from+` ORDER BY `+order+lim,
		append(append([]any{}, where.Args...), limArgs...), func(r store.RowScanner) (k keyed, err error) {
			err = r.Scan(&k.id, &k.key.TS, &k.key.UUID)
			return
		})
	if err != nil {
		return nil, err
	}
	var last *cursorKey
	x.ids = make([]int64, len(found))
	for i := range found {
		x.ids[i], last = found[i].id, &found[i].key
	}
	x.Cursor = nextCursor(p, ScopeEvents, last)
	x.Total = int64(len(x.ids))
	if t, ok := pageTotal(p, x.Total); ok {
		x.Total = t
	} else if err := st.DB().QueryRowContext(ctx, st.Rebind(`SELECT COUNT(*)`+from), where.Args...).Scan(&x.Total); err != nil {
		return nil, err
	}
	return x, nil
}

// Each calls fn with the answer's events, fully loaded and with the
// warninglists applied, in order, a chunk at a time: only one chunk is held
// at once, so memory follows the largest events rather than the answer.
func (x *EventAnswer) Each(ctx context.Context, fn func([]store.Event) error) error {
	batch := 16
	for start := 0; start < len(x.ids); {
		ids := x.ids[start:min(start+batch, len(x.ids))]
		start += len(ids)
		events, err := x.st.LoadEvents(ctx, x.a, ids, x.opts)
		if err != nil {
			return err
		}
		held := 0
		for i := range events {
			events[i].ApplyWarnings(x.p.warningOptions())
			held += len(events[i].Attribute)
			for _, o := range events[i].Object {
				held += len(o.Attribute)
			}
		}
		if err := fn(events); err != nil {
			return err
		}
		switch {
		case held > eventChunkAttributes:
			batch = max(1, batch/2)
		case held < eventChunkAttributes/4:
			batch = min(256, batch*2)
		}
	}
	return nil
}

// pageTotal returns the total before paging of a search whose page held
// read rows, when the page tells it: an unpaged search holds them all, and
// a page shorter than the limit is the last, so the total is its offset
// plus its rows, unless it is empty past the first page (the total is then
// some number below the offset). Otherwise ok is false, and the matching
// rows must be counted: the page's offset, LIMIT and COUNT(*) read the same
// condition.
func pageTotal(p Params, read int64) (total int64, ok bool) {
	if p.Limit <= 0 {
		return read, true
	}
	offset := int64(max(p.Page, 1)-1) * int64(p.Limit)
	if read < int64(p.Limit) && (read > 0 || offset == 0) {
		return offset + read, true
	}
	return 0, false
}
