package store

import (
	"context"
	"database/sql"
	"time"
)

// FeedPull is one recorded pull of a feed.
type FeedPull struct {
	ID       int64
	FeedID   int64
	Started  int64
	Finished int64
	Success  bool
	Error    string
	Report   string // JSON, as package fetch wrote it
}

// feedPullHistory is how many pulls are kept per feed.
const feedPullHistory = 100

// ClaimFeed marks a feed as being pulled now, so that no other pull of it
// starts, in this process or another one sharing the database. A claim
// that has not been renewed for stale is taken over: its holder died. It
// reports false when another pull holds the feed.
func (s *Store) ClaimFeed(ctx context.Context, id int64, stale time.Duration) (bool, error) {
	now := s.now().Unix()
	res, err := s.exec(ctx, `UPDATE feeds SET pulling_since = ?, last_fetch_started = ?
		WHERE id = ? AND (pulling_since = 0 OR pulling_since < ?)`, now, now, id, now-int64(stale/time.Second))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	if n == 0 {
		if _, err := s.FeedByRef(ctx, itoa(id)); err != nil {
			return false, err
		}
	}
	return n == 1, nil
}

// RenewFeedClaim tells other processes that the pull holding the feed is
// alive.
func (s *Store) RenewFeedClaim(ctx context.Context, id int64) error {
	_, err := s.exec(ctx, `UPDATE feeds SET pulling_since = ? WHERE id = ? AND pulling_since <> 0`, s.now().Unix(), id)
	return err
}

// RecordFeedPull stores the outcome of a pull, updates the feed's health
// and releases its claim. Only the last feedPullHistory pulls of a feed are
// kept.
func (s *Store) RecordFeedPull(ctx context.Context, p FeedPull) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.Rebind(`INSERT INTO feed_pulls (feed_id, started, finished, success,
			error, report) VALUES (?, ?, ?, ?, ?, ?)`), p.FeedID, p.Started, p.Finished, p.Success, p.Error,
			p.Report); err != nil {
			return err
		}
		q := `UPDATE feeds SET pulling_since = 0, last_report = ?, last_error = '', error_streak = 0,
			last_success = ? WHERE id = ?`
		args := []any{p.Report, p.Started, p.FeedID}
		if !p.Success {
			q = `UPDATE feeds SET pulling_since = 0, last_report = ?, last_error = ?,
				error_streak = error_streak + 1 WHERE id = ?`
			args = []any{p.Report, p.Error, p.FeedID}
		}
		if _, err := tx.ExecContext(ctx, s.Rebind(q), args...); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.Rebind(`DELETE FROM feed_pulls WHERE feed_id = ? AND id <= (
			SELECT id FROM feed_pulls WHERE feed_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`),
			p.FeedID, p.FeedID, feedPullHistory)
		return err
	})
}

// ReleaseFeedClaim ends a claim without recording a pull.
func (s *Store) ReleaseFeedClaim(ctx context.Context, id int64) error {
	_, err := s.exec(ctx, `UPDATE feeds SET pulling_since = 0 WHERE id = ?`, id)
	return err
}

// FeedPulls returns the most recent pulls of a feed, newest first.
func (s *Store) FeedPulls(ctx context.Context, feedID int64, limit int) ([]FeedPull, error) {
	rows, err := s.db.QueryContext(ctx, s.Rebind(`SELECT id, feed_id, started, finished, success, error, report
		FROM feed_pulls WHERE feed_id = ? ORDER BY id DESC LIMIT ?`), feedID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []FeedPull
	for rows.Next() {
		var p FeedPull
		if err := rows.Scan(&p.ID, &p.FeedID, &p.Started, &p.Finished, &p.Success, &p.Error, &p.Report); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
