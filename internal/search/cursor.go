package search

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-intel/cairn/internal/store"
)

// Scope names the restSearch a request is for: attributes or events. It
// chooses the rows a cursor counts and what an export flattens.
type Scope int

// The restSearch scopes.
const (
	ScopeAttributes Scope = iota
	ScopeEvents
)

func (s Scope) letter() string {
	if s == ScopeEvents {
		return "e"
	}
	return "a"
}

// cursorKey is a position in the (timestamp, uuid) order of a scope: the
// last item a poll delivered. Items sharing one timestamp are told apart by
// uuid, so a poll that ends inside a second resumes inside it.
type cursorKey struct {
	TS   int64
	UUID string
}

// cursorVersion starts every cursor, so that the format can change.
const cursorVersion = "c1"

// encode returns the opaque form of the key for a scope.
func (k cursorKey) encode(s Scope) string {
	raw := cursorVersion + "." + s.letter() + "." + strconv.FormatInt(k.TS, 10) + "." + k.UUID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// parseCursor reads a cursor of the scope; anything else, including a
// cursor of the other scope, is a *ParamError.
func parseCursor(s string, scope Scope) (cursorKey, error) {
	bad := &ParamError{Param: "cursor",
		Reason: "not a cursor of this search; use the X-Cairn-Cursor header of the previous answer"}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursorKey{}, bad
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != 4 || parts[0] != cursorVersion || parts[1] != scope.letter() || !isUUIDText(parts[3]) {
		return cursorKey{}, bad
	}
	ts, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || ts < 0 {
		return cursorKey{}, bad
	}
	return cursorKey{TS: ts, UUID: parts[3]}, nil
}

// isUUIDText reports whether s is a lower-case uuid as the store keeps it.
func isUUIDText(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// afterCond keeps the rows strictly after k in (ts, uuid) order.
func afterCond(k cursorKey, ts, uuid string) store.Cond {
	return store.Cond{SQL: "(" + ts + " > ? OR (" + ts + " = ? AND " + uuid + " > ?))",
		Args: []any{k.TS, k.TS, k.UUID}}
}

// upToCond keeps the rows at or before k in (ts, uuid) order.
func upToCond(k cursorKey, ts, uuid string) store.Cond {
	return store.Cond{SQL: "(" + ts + " < ? OR (" + ts + " = ? AND " + uuid + " <= ?))",
		Args: []any{k.TS, k.TS, k.UUID}}
}

// checkCursor refuses what a cursor cannot be combined with: another sort
// order, which would make the position meaningless, and a page number,
// which the cursor replaces.
func checkCursor(p Params) error {
	switch {
	case p.Cursor == "":
		return nil
	case !isKeyOrder(p.Order):
		return &ParamError{Param: "cursor",
			Reason: "cannot be combined with order: a cursor follows (timestamp, uuid)"}
	case p.Page > 1:
		return &ParamError{Param: "cursor", Reason: "cannot be combined with page: the cursor is the position"}
	}
	return nil
}

// isKeyOrder reports whether order is the (timestamp, uuid) order cursors
// follow: left empty, or timestamp ascending.
func isKeyOrder(order string) bool {
	switch strings.Join(strings.Fields(strings.ToLower(order)), " ") {
	case "", "timestamp", "timestamp asc":
		return true
	}
	return false
}

// keyColumns are the columns of a scope's (timestamp, uuid) key.
func keyColumns(s Scope) (ts, uuid string) {
	if s == ScopeEvents {
		return "e.timestamp", "e.uuid"
	}
	return "a.timestamp", "a.uuid"
}

// CursorStart is the cursor that starts a poll at the beginning.
const CursorStart = "start"

// settleTime is how old a row must be before a poll with a cursor
// delivers it. Rows carry the second they were written in, and the cursor
// is a position in (timestamp, uuid) order: were a poll to end inside the
// current second, a row written later in that second with a smaller uuid
// would fall behind the cursor and never be seen. Seconds that are over
// get no new rows, so positions inside them are final, once the writes
// that stamped rows with them have committed: a poll also stops before the
// second of the oldest such write still in progress (store.SettledBefore),
// however long it runs. A row synced or imported with its original, older
// timestamp is the exception, as with MISP's timestamp filter.
const settleTime = 2 * time.Second

// cursorFilter returns the condition a poll with a cursor adds: rows after
// the cursor (any row for CursorStart) that are settled. Without a cursor
// it adds nothing. A cursor that does not parse or cannot be combined with
// the request is a *ParamError.
func cursorFilter(ctx context.Context, st *store.Store, p Params, s Scope) (store.Cond, error) {
	if p.Cursor == "" {
		return store.Cond{}, nil
	}
	if err := checkCursor(p); err != nil {
		return store.Cond{}, err
	}
	bound, err := st.SettledBefore(ctx, st.Now(), settleTime)
	if err != nil {
		return store.Cond{}, err
	}
	ts, uuid := keyColumns(s)
	settled := store.Cond{SQL: ts + " <= ?", Args: []any{bound}}
	if p.Cursor == CursorStart {
		return settled, nil
	}
	k, err := parseCursor(p.Cursor, s)
	if err != nil {
		return store.Cond{}, err
	}
	return store.And(afterCond(k, ts, uuid), settled), nil
}

// nextCursor returns the cursor to answer with: the position of the last
// row read, or the request's own cursor when nothing was read. It is ""
// when the rows are sorted another way, where a position means nothing.
func nextCursor(p Params, s Scope, last *cursorKey) string {
	switch {
	case !isKeyOrder(p.Order):
		return ""
	case last == nil:
		return p.Cursor
	}
	return last.encode(s)
}
