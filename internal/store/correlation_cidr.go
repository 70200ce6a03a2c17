package store

import (
	"bytes"
	"context"
	"slices"

	"github.com/cairn-intel/cairn/internal/misp"
)

// CIDR correlation is read-time work, not postings: a range holds a
// different set of addresses than any value, and ranges are few. An event
// relates through its ranges to the events with an address inside one
// (a range look-up of the address index), and through its addresses to the
// events with a range holding one (the ranges are read from a small partial
// index and checked here). A range holding more attributes than the cap is
// over-correlating and not expanded, as a value is.

// rangeAttrs is the condition on an attribute aliased at holding a CIDR
// block; it matches the partial index attributes_cidr.
func rangeAttrs(at string) string {
	return at + ".ip IS NULL AND " + at + ".type IN ('ip-src', 'ip-dst')"
}

// cidrRelated returns the ids of the events related to eventID through
// address ranges, as the actor sees them.
func (s *Store) cidrRelated(ctx context.Context, a *Actor, eventID int64, limit int) ([]int64, error) {
	acc1, args1 := a.AttributeAccess("a1", "e1")
	own := ` FROM attributes a1 JOIN events e1 ON e1.id = a1.event_id WHERE a1.event_id = ? AND ` +
		liveCorrelation("a1", "e1") + ` AND ` + acc1
	ranges, err := queryAll(ctx, s, s.Rebind(`SELECT a1.value1`+own+` AND `+rangeAttrs("a1")),
		append([]any{eventID}, args1...), func(r rowScanner) (v string, err error) { err = r.Scan(&v); return })
	if err != nil {
		return nil, err
	}
	found := map[int64]bool{}
	for _, v := range ranges {
		if err := s.eventsInRange(ctx, a, eventID, v, limit, found); err != nil {
			return nil, err
		}
	}
	keys, err := queryAll(ctx, s, s.Rebind(`SELECT a1.ip`+own+` AND a1.ip IS NOT NULL`),
		append([]any{eventID}, args1...), func(r rowScanner) (k []byte, err error) { err = r.Scan(&k); return })
	if err != nil {
		return nil, err
	}
	if len(keys) > 0 {
		if err := s.rangesHolding(ctx, a, eventID, keys, limit, found); err != nil {
			return nil, err
		}
	}
	ids := make([]int64, 0, len(found))
	for id := range found {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// eventsInRange adds the events of other attributes with an address in
// the block v, unless more than limit attributes hold one.
func (s *Store) eventsInRange(ctx context.Context, a *Actor, eventID int64, v string, limit int, found map[int64]bool) error {
	lo, hi, ok := misp.CIDRRange(v)
	if !ok {
		return nil
	}
	if over, err := s.rangeOver(ctx, lo, hi, limit); err != nil || over {
		return err
	}
	acc, args := a.AttributeAccess("a2", "e2")
	q := `SELECT a2.event_id FROM attributes a2 JOIN events e2 ON e2.id = a2.event_id
		WHERE a2.ip BETWEEN ? AND ? AND a2.event_id <> ? AND ` + liveCorrelation("a2", "e2") + ` AND ` + acc
	ids, err := queryAll(ctx, s, s.Rebind(q), append([]any{lo, hi, eventID}, args...),
		func(r rowScanner) (id int64, err error) { err = r.Scan(&id); return })
	if err != nil {
		return err
	}
	for _, id := range ids {
		found[id] = true
	}
	return nil
}

// rangeOver reports whether more than limit attributes, visible or not,
// hold an address of the range: the verdict is the same for every viewer,
// as a value's is.
func (s *Store) rangeOver(ctx context.Context, lo, hi []byte, limit int) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.Rebind(`SELECT COUNT(*) FROM (SELECT 1 FROM attributes a2
		JOIN events e2 ON e2.id = a2.event_id WHERE a2.ip BETWEEN ? AND ? AND `+liveCorrelation("a2", "e2")+`
		LIMIT ?) t`), lo, hi, limit+1).Scan(&n)
	return n > limit, err
}

// rangesHolding adds the events of other attributes whose block holds one
// of the address keys, unless the block is over the cap.
func (s *Store) rangesHolding(ctx context.Context, a *Actor, eventID int64, keys [][]byte, limit int, found map[int64]bool) error {
	slices.SortFunc(keys, bytes.Compare)
	acc, args := a.AttributeAccess("a2", "e2")
	q := `SELECT a2.event_id, a2.value1 FROM attributes a2 JOIN events e2 ON e2.id = a2.event_id
		WHERE ` + rangeAttrs("a2") + ` AND a2.event_id <> ? AND ` + liveCorrelation("a2", "e2") + ` AND ` + acc
	type block struct {
		event int64
		value string
	}
	blocks, err := queryAll(ctx, s, s.Rebind(q), append([]any{eventID}, args...),
		func(r rowScanner) (b block, err error) { err = r.Scan(&b.event, &b.value); return })
	if err != nil {
		return err
	}
	for _, b := range blocks {
		lo, hi, ok := misp.CIDRRange(b.value)
		if !ok {
			continue
		}
		i, _ := slices.BinarySearchFunc(keys, lo, bytes.Compare)
		if found[b.event] || i == len(keys) || bytes.Compare(keys[i], hi) > 0 {
			continue
		}
		over, err := s.rangeOver(ctx, lo, hi, limit)
		if err != nil {
			return err
		}
		if !over {
			found[b.event] = true
		}
	}
	return nil
}
