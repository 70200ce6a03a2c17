package store

import (
	"strconv"
	"strings"
)

// RefCond returns the condition matching a row aliased alias by a
// reference as MISP clients give it: a numeric id, or a uuid in any case.
// Each form compares one indexed column as stored, so the look-up is an
// index probe; comparing the id as text, or both columns at once, would
// read the whole table.
func RefCond(alias, ref string) Cond {
	col := aliased(alias)
	if id, ok := refID(ref); ok {
		return Cond{SQL: col + "id = ?", Args: []any{id}}
	}
	return Cond{SQL: col + "uuid = ?", Args: []any{refUUID(ref)}}
}

// refID reads a reference as a numeric id, if it is one.
func refID(ref string) (int64, bool) {
	ref = strings.TrimSpace(ref)
	id, err := strconv.ParseInt(ref, 10, 64)
	return id, err == nil && !strings.HasPrefix(ref, "+")
}

// refUUID is a reference read as a uuid, in the stored (lower) case.
func refUUID(ref string) string { return strings.ToLower(strings.TrimSpace(ref)) }

// aliased is the prefix naming a column of the table aliased alias.
func aliased(alias string) string {
	if alias == "" {
		return ""
	}
	return alias + "."
}

// RefsCond is RefCond for a list of references: the numeric ones are
// matched as one set of ids and the others as one set of uuids, each an
// index probe per reference however long the list.
func (s *Store) RefsCond(alias string, refs []string) Cond {
	var ids []int64
	var uuids []string
	for _, ref := range refs {
		if id, ok := refID(ref); ok {
			ids = append(ids, id)
		} else {
			uuids = append(uuids, refUUID(ref))
		}
	}
	col := aliased(alias)
	switch {
	case len(uuids) == 0:
		return s.InInts(col+"id", ids)
	case len(ids) == 0:
		return s.InStrings(col+"uuid", uuids)
	}
	byID, byUUID := s.InInts(col+"id", ids), s.InStrings(col+"uuid", uuids)
	return Cond{SQL: "(" + byID.SQL + " OR " + byUUID.SQL + ")", Args: append(byID.Args, byUUID.Args...)}
}
