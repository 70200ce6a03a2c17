package galaxy

import (
	"context"
	"encoding/json"
	"strings"
	"sync"

	"github.com/cairn-intel/cairn/internal/catalog"
)

// Settings is where a Registry finds its directory.
type Settings = catalog.Settings

// DirSetting names the setting holding the galaxy directory (a JSON string).
const DirSetting = "galaxies_dir"

// Registry holds the loaded galaxies and finds clusters by id, uuid and tag.
//
// Ids are positions: galaxies by type, clusters in galaxy order and then
// file order. They stay put while the directory does; uuids are the stable
// reference and are accepted wherever an id is.
type Registry struct {
	settings Settings

	mu       sync.RWMutex
	dir      string
	galaxies []*Galaxy
	clusters []*Cluster
	byUUID   map[string]*Cluster
	byTag    map[string]*Cluster // lower-case tag name
	problems []Problem
}

// NewRegistry returns an empty registry; settings may be nil.
func NewRegistry(settings Settings) *Registry {
	r := &Registry{settings: settings}
	r.install(nil, nil)
	return r
}

// Open returns a registry of the galaxies in the directory named in the
// settings.
func Open(ctx context.Context, settings Settings) (*Registry, error) {
	r := NewRegistry(settings)
	return r, r.Reload(ctx)
}

// Reload reads the directory setting and the directory again. Files that
// cannot be used, and a directory that cannot be read at all, are kept in
// Problems; in the latter case the galaxies loaded before stay. Only
// failing to read the setting is an error.
func (r *Registry) Reload(ctx context.Context) error {
	dir := ""
	if r.settings != nil {
		raw, err := r.settings.Setting(ctx, DirSetting)
		if err != nil {
			return err
		}
		if raw != "" && json.Unmarshal([]byte(raw), &dir) != nil {
			dir = raw
		}
	}
	var galaxies []*Galaxy
	var problems []Problem
	dirErr := error(nil)
	if dir != "" {
		galaxies, problems, dirErr = Load(dir)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dir = dir
	if dirErr != nil {
		r.problems = []Problem{{Path: dir, Reason: dirErr.Error()}}
		return nil
	}
	r.install(galaxies, problems)
	return nil
}

// install numbers galaxies and clusters and indexes them; r.mu is held.
func (r *Registry) install(galaxies []*Galaxy, problems []Problem) {
	r.galaxies, r.problems = galaxies, problems
	r.clusters = nil
	r.byUUID, r.byTag = map[string]*Cluster{}, map[string]*Cluster{}
	for i, g := range galaxies {
		g.ID = int64(i + 1)
		for _, c := range g.Clusters {
			r.clusters = append(r.clusters, c)
			c.ID = int64(len(r.clusters))
			r.byUUID[c.UUID] = c
			tag := strings.ToLower(c.TagName())
			if _, dup := r.byTag[tag]; !dup {
				r.byTag[tag] = c
			}
		}
	}
}

// Dir returns the directory galaxies are read from, or "".
func (r *Registry) Dir() string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.dir
}

// Galaxies returns every galaxy in id order.
func (r *Registry) Galaxies() []*Galaxy {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.galaxies
}

// Problems returns what could not be loaded at the last reload.
func (r *Registry) Problems() []Problem {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.problems
}

// FindGalaxy returns the galaxy with the id, the uuid or the type.
func (r *Registry) FindGalaxy(ref string) (*Galaxy, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return catalog.Find(r.galaxies, ref, func(ref string) (*Galaxy, bool) {
		return catalog.FindIn(r.galaxies, func(g *Galaxy) bool { return strings.EqualFold(g.UUID, ref) || g.Type == ref })
	})
}

// FindCluster returns the cluster with the id, the uuid or the tag name.
func (r *Registry) FindCluster(ref string) (*Cluster, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return catalog.Find(r.clusters, ref, func(ref string) (*Cluster, bool) {
		if c, ok := r.byUUID[strings.ToLower(ref)]; ok {
			return c, true
		}
		return r.clusterByTagLocked(ref)
	})
}

// ClusterByTag returns the cluster a tag attaches, comparing names without
// regard to case as MISP does.
func (r *Registry) ClusterByTag(tagName string) (*Cluster, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.clusterByTagLocked(tagName)
}

func (r *Registry) clusterByTagLocked(tagName string) (*Cluster, bool) {
	if !strings.HasPrefix(strings.ToLower(tagName), "misp-galaxy:") {
		return nil, false
	}
	c, ok := r.byTag[strings.ToLower(strings.TrimSpace(tagName))]
	return c, ok
}

// SetDir saves the directory to read galaxies from ("" for none), made
// absolute; a Reload then reads it. The directory must exist.
func SetDir(ctx context.Context, settings Settings, dir string) error {
	return catalog.SaveDir(ctx, settings, DirSetting, dir)
}
