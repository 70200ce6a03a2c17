package server

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/cairn-intel/cairn/internal/api"
	"github.com/cairn-intel/cairn/internal/correlate"
	"github.com/cairn-intel/cairn/internal/fetch"
	"github.com/cairn-intel/cairn/internal/galaxy"
	"github.com/cairn-intel/cairn/internal/jobs"
	"github.com/cairn-intel/cairn/internal/store"
	"github.com/cairn-intel/cairn/internal/taxonomy"
	"github.com/cairn-intel/cairn/internal/warninglist"
)

// registerJobs is the one place where the background jobs of a node are
// registered. A job runs once across the nodes sharing the database
// unless it is PerNode; see package jobs.
func registerJobs(r *jobs.Runner, st *store.Store, c Config, knowSync *knowledgeSync) {
	r.Register(jobs.Job{Name: "prune_nodes", Every: time.Hour, Run: pruneNodes(st)})
	r.Register(jobs.Job{Name: "planner_statistics", Every: 10 * time.Minute, Run: refreshStatistics(st)})
	r.Register(jobs.Job{Name: "reload_knowledge", Every: c.Heartbeat, PerNode: true, Run: knowSync.run})
}

// startBackground starts what a node does besides answering requests: the
// registered jobs, under the node's name; the feed scheduler, whose
// per-feed claims make one node pull a due feed; and the correlation
// worker, whose queue hands each event to one node. stop ends them all and
// waits.
func startBackground(ctx context.Context, st *store.Store, c Config, addr string, know *api.Knowledge,
	log *slog.Logger) (stop func(), err error) {
	knowSync, err := newKnowledgeSync(ctx, st, know)
	if err != nil {
		return nil, err
	}
	r := jobs.New(st, jobs.Options{Node: c.Node, Heartbeat: c.Heartbeat, Listen: addr, Version: c.Version,
		Logger: log})
	registerJobs(r, st, c, knowSync)
	stopJobs, err := r.Start(ctx)
	if err != nil {
		return nil, err
	}
	stopFeeds := fetch.Start(ctx, st, log, fetch.Options{Version: c.Version, Warninglists: know.Warninglists,
		Node: c.Node, Heartbeat: c.Heartbeat, Tick: c.Heartbeat})
	stopCorrelation := correlate.Start(ctx, st, log, correlate.Options{})
	return func() {
		stopFeeds()
		stopCorrelation()
		stopJobs()
	}, nil
}

// nodeRetention is how long a node that stopped or died stays listed.
const nodeRetention = 24 * time.Hour

// pruneNodes forgets what dead processes left behind: nodes, and the
// write leases of writes that never finished (store.SettledBefore).
func pruneNodes(st *store.Store) jobs.Func {
	return func(ctx context.Context) (string, error) {
		n, err := st.PruneNodes(ctx, st.Now().Add(-nodeRetention))
		if err != nil {
			return "", err
		}
		leases, err := st.DropExpiredLeases(ctx)
		if err != nil {
			return "", err
		}
		var done []string
		if n > 0 {
			done = append(done, fmt.Sprintf("%d nodes not seen for %s forgotten", n, nodeRetention))
		}
		if leases > 0 {
			done = append(done, fmt.Sprintf("%d expired write leases dropped", leases))
		}
		return strings.Join(done, "; "), nil
	}
}

// refreshStatistics keeps the planner's statistics in step with tables
// that grow while the server runs (see store.RefreshStatistics).
func refreshStatistics(st *store.Store) jobs.Func {
	return func(ctx context.Context) (string, error) {
		tables, err := st.RefreshStatistics(ctx)
		if err != nil || len(tables) == 0 {
			return "", err
		}
		return "analysed " + strings.Join(tables, ", "), nil
	}
}

// knowledgeSettings are the settings each kind of knowledge is loaded
// from, in the order the kinds are reloaded.
var knowledgeSettings = []struct {
	kind     string
	settings []string
}{
	{"warninglists", []string{warninglist.DirSetting, warninglist.EnabledSetting}},
	{"taxonomies", []string{taxonomy.DirSetting, taxonomy.EnabledSetting, taxonomy.RequiredSetting}},
	{"galaxies", []string{galaxy.DirSetting}},
}

// knowledgeSync keeps a node's registries in step with the database: a
// list enabled or a directory set through another node changes the
// settings, and this node reloads that kind. Files changed on disk still
// need an update call on each node (or a restart).
type knowledgeSync struct {
	st   *store.Store
	know *api.Knowledge
	seen map[string]string // kind -> its settings as last read
}

// newKnowledgeSync reads the settings as the registries were loaded; a
// change made in between is reloaded once more by the first run.
func newKnowledgeSync(ctx context.Context, st *store.Store, know *api.Knowledge) (*knowledgeSync, error) {
	k := &knowledgeSync{st: st, know: know, seen: map[string]string{}}
	for _, ks := range knowledgeSettings {
		v, err := k.read(ctx, ks.settings)
		if err != nil {
			return nil, err
		}
		k.seen[ks.kind] = v
	}
	return k, nil
}

func (k *knowledgeSync) read(ctx context.Context, names []string) (string, error) {
	var b strings.Builder
	for _, name := range names {
		v, err := k.st.Setting(ctx, name)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
		b.WriteByte(0)
	}
	return b.String(), nil
}

func (k *knowledgeSync) run(ctx context.Context) (string, error) {
	var reloaded []string
	for _, ks := range knowledgeSettings {
		v, err := k.read(ctx, ks.settings)
		if err != nil {
			return "", err
		}
		if v == k.seen[ks.kind] {
			continue
		}
		if err := k.reload(ctx, ks.kind); err != nil {
			return "", fmt.Errorf("reload %s: %w", ks.kind, err)
		}
		k.seen[ks.kind] = v
		reloaded = append(reloaded, ks.kind)
	}
	if len(reloaded) == 0 {
		return "", nil
	}
	return "settings changed: reloaded " + strings.Join(reloaded, ", "), nil
}

func (k *knowledgeSync) reload(ctx context.Context, kind string) error {
	switch kind {
	case "warninglists":
		return k.know.Warninglists.Reload(ctx)
	case "taxonomies":
		return k.know.Taxonomies.Reload(ctx)
	}
	return k.know.Galaxies.Reload(ctx)
}
