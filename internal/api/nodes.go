package api

import "time"

// nodesIndex answers cairn/nodes: the processes serving this instance
// from its database, and whether each is alive. Site admins only.
func (s *Server) nodesIndex(q *request) (any, error) {
	if err := requireSiteAdmin(q.actor); err != nil {
		return nil, err
	}
	nodes, err := s.st.Nodes(q.ctx())
	if err != nil {
		return nil, err
	}
	now := s.st.Now()
	out := make([]map[string]any, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, map[string]any{"Node": map[string]any{
			"id": n.ID, "hostname": n.Hostname, "pid": n.PID, "listen": n.Listen, "version": n.Version,
			"heartbeat_seconds": n.Heartbeat.Seconds(), "started": unixOrZero(n.Started),
			"last_seen": unixOrZero(n.LastSeen), "stopped": unixOrZero(n.Stopped), "alive": n.Alive(now),
			"this_node": n.ID == s.cfg.Node,
		}})
	}
	return out, nil
}

// jobsIndex answers cairn/jobs: each background job, the node of its
// current or last run and how that run ended. Site admins only.
func (s *Server) jobsIndex(q *request) (any, error) {
	if err := requireSiteAdmin(q.actor); err != nil {
		return nil, err
	}
	jobs, err := s.st.JobStates(q.ctx())
	if err != nil {
		return nil, err
	}
	now := s.st.Now()
	out := make([]map[string]any, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, map[string]any{"Job": map[string]any{
			"name": j.Name, "node_scope": j.Scope, "node": j.Node, "running": j.Running(now),
			"lease_until": unixOrZero(j.LeaseUntil), "next_run": unixOrZero(j.NextRun),
			"started": unixOrZero(j.Started), "finished": unixOrZero(j.Finished), "runs": j.Runs,
			"error_streak": j.ErrorStreak, "last_result": j.LastResult, "last_status": j.LastStatus,
			"last_error": j.LastError,
		}})
	}
	return out, nil
}

// unixOrZero is t in Unix seconds with milliseconds, or 0 for "never".
func unixOrZero(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixMilli()) / 1000
}
