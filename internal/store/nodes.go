package store

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"
)

// Node is one process serving the instance, as it registered itself.
type Node struct {
	ID        string
	Hostname  string
	PID       int64
	Listen    string // the address it listens on
	Version   string
	Heartbeat time.Duration // how often it says it is alive
	Started   time.Time
	LastSeen  time.Time
	Stopped   time.Time // zero while it runs or if it died
}

// nodeLiveBeats is how many heartbeats a node may miss and still count as
// alive.
const nodeLiveBeats = 3

// Alive reports whether the node was seen recently enough at time now to
// be taken as running.
func (n Node) Alive(now time.Time) bool {
	return n.Stopped.IsZero() && now.Sub(n.LastSeen) <= nodeLiveBeats*n.Heartbeat
}

// DefaultNodeID names this process when no node name is given:
// hostname:pid, unique among the processes of a host.
func DefaultNodeID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return host + ":" + strconv.Itoa(os.Getpid())
}

// ErrNodeInUse is returned by RegisterNode when a live process holds the
// node's identity.
var ErrNodeInUse = fmt.Errorf("%w: the node name is in use by a running process", ErrConflict)

// RegisterNode records n as started now. The identity of a node that
// stopped, or was not seen for three of its heartbeats, or that was an
// earlier process of the same host and pid, is taken over; a live one is
// refused with ErrNodeInUse, since two processes of one identity would
// renew each other's leases.
func (s *Store) RegisterNode(ctx context.Context, n Node) error {
	now := millis(s.now())
	res, err := s.exec(ctx, `INSERT INTO nodes (id, hostname, pid, listen, version, heartbeat_ms, started, last_seen)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET hostname = excluded.hostname, pid = excluded.pid,
			listen = excluded.listen, version = excluded.version, heartbeat_ms = excluded.heartbeat_ms,
			started = excluded.started, last_seen = excluded.last_seen, stopped = 0
		WHERE nodes.stopped <> 0 OR nodes.last_seen + ? * nodes.heartbeat_ms < ?
			OR (nodes.hostname = excluded.hostname AND nodes.pid = excluded.pid)`,
		n.ID, n.Hostname, n.PID, n.Listen, n.Version, n.Heartbeat.Milliseconds(), now, now, nodeLiveBeats, now)
	if err != nil {
		return err
	}
	if k, err := res.RowsAffected(); err != nil || k == 1 {
		return err
	}
	return fmt.Errorf("%w: %s", ErrNodeInUse, n.ID)
}

// TouchNode records that the node is alive now.
func (s *Store) TouchNode(ctx context.Context, id string) error {
	res, err := s.exec(ctx, `UPDATE nodes SET last_seen = ? WHERE id = ? AND stopped = 0`, millis(s.now()), id)
	return mustAffect(res, err, "node "+id)
}

// StopNode records that the node stopped cleanly.
func (s *Store) StopNode(ctx context.Context, id string) error {
	now := millis(s.now())
	_, err := s.exec(ctx, `UPDATE nodes SET stopped = ?, last_seen = ? WHERE id = ?`, now, now, id)
	return err
}

// Nodes lists the registered nodes, the most recently started first.
func (s *Store) Nodes(ctx context.Context) ([]Node, error) {
	return queryAll(ctx, s, `SELECT id, hostname, pid, listen, version, heartbeat_ms, started, last_seen, stopped
		FROM nodes ORDER BY started DESC, id`, nil, func(r rowScanner) (Node, error) {
		var n Node
		var beat, started, seen, stopped int64
		err := r.Scan(&n.ID, &n.Hostname, &n.PID, &n.Listen, &n.Version, &beat, &started, &seen, &stopped)
		n.Heartbeat = time.Duration(beat) * time.Millisecond
		n.Started, n.LastSeen, n.Stopped = fromMillis(started), fromMillis(seen), fromMillis(stopped)
		return n, err
	})
}

// PruneNodes forgets the nodes last seen before cutoff, and the jobs they
// ran for themselves. It returns how many nodes it removed.
func (s *Store) PruneNodes(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.exec(ctx, `DELETE FROM nodes WHERE last_seen < ?`, millis(cutoff))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	_, err = s.exec(ctx, `DELETE FROM jobs WHERE scope <> '' AND lease_until < ?
		AND scope NOT IN (SELECT id FROM nodes)`, millis(s.now()))
	return n, err
}
