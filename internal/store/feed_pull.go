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
	// Node is the node that pulled; its claim, if it still holds it, is
	// released.
	Node string
}

// feedPullHistory is how many pulls are kept per feed.
const feedPullHistory = 100

// FeedClaim asks to pull a feed.
type FeedClaim struct {
	FeedID int64
	// Node names the process that pulls, so that only it renews and
	// releases the claim; "" is a process that shares the database with
	// no one.
	Node string
	// Stale is how long a claim may go unrenewed before it is taken over:
	// its holder died.
	Stale time.Duration
	// Seen, when set, is the feed's health as the caller read it when it
	// found the feed due. The claim then fails if a pull started or ended
	// since, so that nodes deciding from listings made at the same moment
	// pull a due feed once, and a node that listed the feed while another
	// node pulled it does not pull it again once that pull is done.
	Seen *FeedHealth
}

// ClaimFeed marks a feed as being pulled now, so that no other pull of it
// starts, in this process or another one sharing the database. It reports
// false when another pull holds the feed (or, with c.Seen, pulled it since).
func (s *Store) ClaimFeed(ctx context.Context, c FeedClaim) (bool, error) {
	now := s.now().Unix()
	q := `UPDATE feeds SET pulling_since = ?, last_fetch_started = ?, pulling_node = ?
		WHERE id = ? AND (pulling_since = 0 OR pulling_since < ?)`
	args := []any{now, now, c.Node, c.FeedID, now - int64(c.Stale/time.Second)}
	if c.Seen != nil {
		// A pull that ends moves last_success, or error_streak when it failed.
		q += ` AND last_fetch_started = ? AND last_success = ? AND error_streak = ?`
		args = append(args, c.Seen.LastFetchStarted, c.Seen.LastSuccess, c.Seen.ErrorStreak)
	}
	res, err := s.exec(ctx, q, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	if n == 0 {
		if _, err := s.FeedByRef(ctx, itoa(c.FeedID)); err != nil {
			return false, err
		}
	}
	return n == 1, nil
}

// RenewFeedClaim tells other processes that node's pull of the feed is
// alive. It reports false when the claim is no longer node's: it went
// stale and another node took the feed over.
func (s *Store) RenewFeedClaim(ctx context.Context, id int64, node string) (bool, error) {
	res, err := s.exec(ctx, `UPDATE feeds SET pulling_since = ? WHERE id = ? AND pulling_since <> 0 AND pulling_node = ?`,
		s.now().Unix(), id, node)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RecordFeedPull stores the outcome of a pull, updates the feed's health
// and releases the claim of the pull's node. Only the last feedPullHistory pulls of a feed are
// kept.
func (s *Store) RecordFeedPull(ctx context.Context, p FeedPull) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.Rebind(`INSERT INTO feed_pulls (feed_id, started, finished, success,
			error, report) VALUES (?, ?, ?, ?, ?, ?)`), p.FeedID, p.Started, p.Finished, p.Success, p.Error,
			p.Report); err != nil {
			return err
		}
		release := `pulling_since = CASE WHEN pulling_node = ? THEN 0 ELSE pulling_since END`
		q := `UPDATE feeds SET ` + release + `, last_report = ?, last_error = '', error_streak = 0,
			last_success = ? WHERE id = ?`
		args := []any{p.Node, p.Report, p.Started, p.FeedID}
		if !p.Success {
			q = `UPDATE feeds SET ` + release + `, last_report = ?, last_error = ?,
				error_streak = error_streak + 1 WHERE id = ?`
			args = []any{p.Node, p.Report, p.Error, p.FeedID}
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
