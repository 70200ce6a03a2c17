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
	ref = strings.TrimSpace(ref)
	col := func(c string) string {
		if alias == "" {
			return c
		}
		return alias + "." + c
	}
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil && !strings.HasPrefix(ref, "+") {
		return Cond{SQL: col("id") + " = ?", Args: []any{id}}
	}
	return Cond{SQL: col("uuid") + " = ?", Args: []any{strings.ToLower(ref)}}
}
