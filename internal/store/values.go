package store

import (
	"slices"
	"strings"
)

// Attribute values (value1, value2) compare without regard to ASCII case,
// on both databases: SQLite's NOCASE collation folds ASCII letters only,
// and on PostgreSQL look-ups go through hash indexes on the values with
// their ASCII letters lowered (lower() under the "C" collation), so that a
// probe hashes bytes instead of computing an ICU sort key for every value
// and every row. Other letters compare as written on both.

// LowerASCII returns s with its ASCII letters in lower case, as the value
// indexes hold it.
func LowerASCII(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return 'A' <= r && r <= 'Z' })
	if i < 0 {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if c := b[i]; 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// FoldedValue returns the expression of a value column (or of any text
// expression) with its ASCII letters lowered. Its result compares byte for
// byte, so texts built from it (a pair joined by "|", say) compare as
// LowerASCII's.
func (s *Store) FoldedValue(expr string) string { return s.dialect.foldedValue(expr) }

// OrderText returns the sort key of a text column: its bytes with ASCII
// letters folded, as FoldedValue compares, the same order on both
// databases.
func (s *Store) OrderText(col string) string { return s.dialect.orderText(col) }

// ValueKey returns the expression of the value column col that its index
// holds: col itself on SQLite, its lowered bytes on PostgreSQL. Compared
// with a value in LowerASCII form, it probes the index.
func (s *Store) ValueKey(col string) string { return s.dialect.valueKey(col) }

// InValues returns the condition that the value column col equals one of
// vals, ignoring ASCII case, probed through the column's value index: one
// probe per distinct value.
func (s *Store) InValues(col string, vals []string) Cond {
	keys := make([]string, len(vals))
	for i, v := range vals {
		keys[i] = LowerASCII(v)
	}
	slices.Sort(keys)
	return s.InStrings(s.dialect.valueKey(col), slices.Compact(keys))
}

// SameValue returns the condition that two value expressions are equal,
// ignoring ASCII case, in a form that probes the value index of the first.
func (s *Store) SameValue(col, other string) string {
	return s.dialect.valueKey(col) + " = " + s.dialect.valueKey(other)
}

// valueKey is the column itself: NOCASE already folds ASCII case, and the
// value indexes are on the columns.
func (sqliteDialect) valueKey(col string) string { return col }

// orderText sorts under NOCASE, which folds ASCII letters only; the value
// columns are declared NOCASE, so their index still serves the order.
func (sqliteDialect) orderText(col string) string { return col + " COLLATE NOCASE" }

// orderText sorts the bytes of the text with ASCII letters lowered.
func (d postgresDialect) orderText(col string) string { return d.foldedValue(col) }

// foldedValue relies on SQLite's lower(), which folds ASCII letters only.
func (sqliteDialect) foldedValue(expr string) string { return "lower(" + expr + ")" }

// valueKey is the expression the value indexes hold (migration 6).
func (d postgresDialect) valueKey(col string) string { return d.foldedValue(col) }

// foldedValue lowers under the "C" collation, which folds ASCII letters
// only and compares bytes.
func (postgresDialect) foldedValue(expr string) string { return `lower(` + expr + ` COLLATE "C")` }
