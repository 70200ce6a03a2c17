package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/cairn-intel/cairn/internal/misp"
)

// A pull of a list feed (csv, freetext, json) is written in two steps so
// that it is whole or nothing while memory stays flat: the indicators are
// staged in batches into feed_staging as the body streams in, then one
// transaction applies the staged set to the feed's event with a few
// set-based statements. A pull that fails before the second step leaves
// only staging rows, which ClearFeedStaging removes.

// FeedItem is one indicator of a list feed, as a pull stages it.
type FeedItem struct {
	Line      int
	Type      string
	Value     string // normalised; composite halves joined by "|"
	Category  string // "" for the type's default
	ToIDS     *bool  // nil for the type's default
	Comment   string
	FirstSeen time.Time // zero when the feed does not say
	LastSeen  time.Time
	Tags      []string
}

// FeedStageOptions say how staged items become attributes.
type FeedStageOptions struct {
	OverrideIDs        bool // to_ids off for every item
	DisableCorrelation bool // the feed's values do not correlate
}

// FeedItemRejection is a staged item the store refused.
type FeedItemRejection struct {
	Line   int
	Value  string
	Reason string
}

// FeedStageResult counts one batch.
type FeedStageResult struct {
	Staged     int // new values of this pull
	Duplicates int // values already staged by this pull
	Rejected   []FeedItemRejection
}

// StageFeedItems adds a batch of a pull's indicators to the staging table
// of the feed, in one short transaction.
func (s *Store) StageFeedItems(ctx context.Context, feedID int64, items []FeedItem,
	opts FeedStageOptions) (FeedStageResult, error) {
	var res FeedStageResult
	rows := make([]any, 0, len(items)*stageColumns)
	for _, it := range items {
		row, reason := stagedRow(it, opts)
		if reason != "" {
			res.Rejected = append(res.Rejected, FeedItemRejection{Line: it.Line, Value: it.Value, Reason: reason})
			continue
		}
		rows = append(rows, feedID, row.typ, row.value1, row.value2, uuid.NewString(), row.category, row.ip,
			row.toIDS, row.disableCorrelation, row.comment, row.firstSeen, row.lastSeen,
			strings.Join(it.Tags, "\n"), it.Line, stageKey(row.typ, row.value1, row.value2))
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		staged, err := s.insertStaged(ctx, tx, rows)
		res.Staged = staged
		return err
	})
	res.Duplicates = len(rows)/stageColumns - res.Staged
	return res, err
}

// stageKey identifies a staged value within its pull: a digest of the type
// and the value, compared case-insensitively as the value columns are. A
// digest rather than the values themselves keeps the key short, since values
// may be longer than an index entry may be on PostgreSQL.
func stageKey(typ, v1, v2 string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(typ + "\x00" + v1 + "\x00" + v2)))
	return hex.EncodeToString(sum[:])
}

// stageColumns and stageRowsPerInsert shape the multi-row INSERT of
// StageFeedItems: one statement per 64 rows costs far less than one per
// row.
const (
	stageColumns       = 15
	stageRowsPerInsert = 64
)

// insertStaged inserts rows of stageColumns values each and returns how
// many were new to the staging table; the others repeat a value already
// staged by this pull.
func (s *Store) insertStaged(ctx context.Context, tx *sql.Tx, rows []any) (int, error) {
	const head = `INSERT INTO feed_staging (feed_id, type, value1, value2, uuid, category, ip, to_ids,
		disable_correlation, comment, first_seen, last_seen, tags, line, value_key) VALUES `
	one := "(" + placeholders(stageColumns) + ")"
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	staged := 0
	for start := 0; start < len(rows); start += stageColumns * stageRowsPerInsert {
		chunk := rows[start:min(start+stageColumns*stageRowsPerInsert, len(rows))]
		n := len(chunk) / stageColumns
		st, ok := stmts[n]
		if !ok {
			var err error
			q := head + strings.TrimSuffix(strings.Repeat(one+",", n), ",") + ` ON CONFLICT DO NOTHING`
			if st, err = tx.PrepareContext(ctx, s.Rebind(q)); err != nil {
				return staged, err
			}
			stmts[n] = st
		}
		r, err := st.ExecContext(ctx, chunk...)
		if err != nil {
			return staged, fmt.Errorf("stage values: %w", err)
		}
		staged += affected(r)
	}
	return staged, nil
}

// stagedRow checks an item against the type table and turns it into the
// columns of an attribute; reason says why it was refused.
func stagedRow(it FeedItem, opts FeedStageOptions) (attrRow, string) {
	if fault := feedItemTextFault(it); fault != "" {
		return attrRow{}, fault
	}
	info, ok := misp.LookupType(it.Type)
	if !ok {
		return attrRow{}, fmt.Sprintf("%q is not a MISP attribute type", it.Type)
	}
	r := attrRow{typ: it.Type, category: info.DefaultCategory, comment: it.Comment}
	if it.Category != "" {
		if !misp.CategoryAllows(it.Category, it.Type) {
			return r, fmt.Sprintf("category %q does not allow type %q", it.Category, it.Type)
		}
		r.category = it.Category
	}
	r.value1 = it.Value
	if info.Composite {
		var found bool
		if r.value1, r.value2, found = strings.Cut(it.Value, "|"); !found {
			return r, fmt.Sprintf("a %s value has two halves joined by |", it.Type)
		}
	}
	if r.value1 == "" {
		return r, "empty value"
	}
	r.ip, _ = misp.IPKey(r.typ, r.value1, r.value2)
	r.toIDS = info.ToIDS
	if it.ToIDS != nil {
		r.toIDS = *it.ToIDS
	}
	r.toIDS = r.toIDS && !opts.OverrideIDs
	r.disableCorrelation = opts.DisableCorrelation || !info.Correlates
	r.firstSeen, r.lastSeen = seenMicros(it.FirstSeen), seenMicros(it.LastSeen)
	if r.firstSeen != nil && r.lastSeen != nil && *r.lastSeen < *r.firstSeen {
		r.lastSeen = nil // a feed that contradicts itself keeps its first date only
	}
	return r, ""
}

func seenMicros(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	v := t.UnixMicro()
	return &v
}

// ClearFeedStaging removes what a pull of the feed staged.
func (s *Store) ClearFeedStaging(ctx context.Context, feedID int64) error {
	_, err := s.exec(ctx, `DELETE FROM feed_staging WHERE feed_id = ?`, feedID)
	return err
}

// FeedApplyOptions say how a staged pull is applied.
type FeedApplyOptions struct {
	// NewEvent stores the pull as a new event instead of the feed's fixed
	// event.
	NewEvent bool
	// EventInfo is the info of an event created by the pull.
	EventInfo string
	// DeltaMerge soft-deletes the values of the fixed event that the pull
	// no longer holds.
	DeltaMerge         bool
	DisableCorrelation bool // of an event created
}

// FeedApplyResult is what applying a pull changed.
type FeedApplyResult struct {
	EventID      int64
	EventCreated bool
	Created      int // attributes added
	Updated      int // attributes whose comment, to_ids or first/last seen changed
	Unchanged    int // values already in the event as they are
	Deleted      int // attributes soft-deleted by the delta merge
	Notes        []string
}

// Changed reports whether the pull changed the event.
func (r FeedApplyResult) Changed() bool {
	return r.EventCreated || r.Created+r.Updated+r.Deleted > 0
}
