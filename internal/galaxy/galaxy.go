// Package galaxy reads MISP galaxies and their clusters (threat actors,
// malware families, attack techniques, sectors) in the format of the
// misp-galaxy repository, and maps between clusters and the tags that
// attach them: a cluster is attached to an event or an attribute as the
// tag misp-galaxy:<type>="<value>", and an event's Galaxy list is rebuilt
// from those tags.
//
// A directory in MISP's layout holds galaxies/<name>.json, each describing
// one galaxy, and clusters/<name>.json, each holding the clusters of the
// galaxy of the same type. Cairn ships no galaxy of its own.
package galaxy

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Galaxy is one galaxy with its clusters.
type Galaxy struct {
	ID             int64
	UUID           string
	Name           string
	Type           string
	Description    string
	Namespace      string
	Icon           string
	Version        string
	KillChainOrder map[string][]string
	Clusters       []*Cluster
	Source         string // the file it was read from
}

// Cluster is one cluster of a galaxy.
type Cluster struct {
	ID             int64
	UUID           string
	CollectionUUID string // the uuid of the cluster file it came from
	Type           string
	Value          string
	Description    string
	Source         string
	Authors        []string
	Version        string
	Meta           map[string][]string
	Related        []Relation
	Galaxy         *Galaxy
}

// TagName is the tag that attaches the cluster.
func (c *Cluster) TagName() string { return TagName(c.Type, c.Value) }

// TagName returns the tag of the cluster of a galaxy type and value.
func TagName(galaxyType, value string) string {
	return "misp-galaxy:" + galaxyType + `="` + value + `"`
}

// Relation links a cluster to another, by uuid.
type Relation struct {
	DestUUID string
	Type     string
	Tags     []string
}

// Problem is a file or a cluster that could not be used, and why.
type Problem struct {
	Path   string
	Reason string
}

func (p Problem) String() string { return p.Path + ": " + p.Reason }

// The JSON of galaxies/*.json and clusters/*.json.
type (
	fileGalaxy struct {
		Name           string              `json:"name"`
		Type           string              `json:"type"`
		Description    string              `json:"description"`
		UUID           string              `json:"uuid"`
		Version        json.Number         `json:"version"`
		Icon           string              `json:"icon"`
		Namespace      string              `json:"namespace"`
		KillChainOrder map[string][]string `json:"kill_chain_order"`
	}
	fileClusters struct {
		Name        string        `json:"name"`
		Type        string        `json:"type"`
		Description string        `json:"description"`
		UUID        string        `json:"uuid"`
		Version     json.Number   `json:"version"`
		Source      string        `json:"source"`
		Authors     []string      `json:"authors"`
		Values      []fileCluster `json:"values"`
	}
	fileCluster struct {
		Value       string                     `json:"value"`
		UUID        string                     `json:"uuid"`
		Description string                     `json:"description"`
		Meta        map[string]json.RawMessage `json:"meta"`
		Related     []struct {
			DestUUID string   `json:"dest-uuid"`
			Type     string   `json:"type"`
			Tags     []string `json:"tags"`
		} `json:"related"`
	}
)

// Load reads dir/galaxies/*.json and dir/clusters/*.json. A cluster file
// whose type has no galaxy file gets a galaxy made from its own name and
// description. Galaxies come back sorted by type; files and clusters that
// cannot be used are problems, and a directory with neither folder is an
// error.
func Load(dir string) ([]*Galaxy, []Problem, error) {
	galaxyFiles, errG := filepath.Glob(filepath.Join(dir, "galaxies", "*.json"))
	clusterFiles, errC := filepath.Glob(filepath.Join(dir, "clusters", "*.json"))
	if err := errors.Join(errG, errC); err != nil {
		return nil, nil, err
	}
	if !isDir(filepath.Join(dir, "galaxies")) && !isDir(filepath.Join(dir, "clusters")) {
		return nil, nil, fmt.Errorf("%s holds neither a galaxies nor a clusters folder", dir)
	}
	sort.Strings(galaxyFiles)
	sort.Strings(clusterFiles)

	var problems []Problem
	byType := map[string]*Galaxy{}
	for _, p := range galaxyFiles {
		g, err := readGalaxy(p)
		if err != nil {
			problems = append(problems, Problem{Path: p, Reason: err.Error()})
			continue
		}
		if first, dup := byType[g.Type]; dup {
			problems = append(problems, Problem{Path: p, Reason: "galaxy type " + strconv.Quote(g.Type) +
				" was already read from " + first.Source})
			continue
		}
		byType[g.Type] = g
	}
	seen := map[string]string{}
	for _, p := range clusterFiles {
		problems = append(problems, readClusters(p, byType, seen)...)
	}

	out := make([]*Galaxy, 0, len(byType))
	for _, g := range byType {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out, problems, nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func readGalaxy(path string) (*Galaxy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f fileGalaxy
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("not a galaxy: %w", err)
	}
	if f.Type == "" || f.Name == "" || f.UUID == "" {
		return nil, errors.New("a galaxy needs a name, a type and a uuid")
	}
	return &Galaxy{UUID: strings.ToLower(f.UUID), Name: f.Name, Type: f.Type, Description: f.Description,
		Namespace: or(f.Namespace, "misp"), Icon: f.Icon, Version: or(f.Version.String(), "1"),
		KillChainOrder: f.KillChainOrder, Source: path}, nil
}

// readClusters adds the clusters of one file to the galaxy of its type.
func readClusters(path string, byType map[string]*Galaxy, seen map[string]string) []Problem {
	data, err := os.ReadFile(path)
	if err != nil {
		return []Problem{{Path: path, Reason: err.Error()}}
	}
	var f fileClusters
	if err := json.Unmarshal(data, &f); err != nil {
		return []Problem{{Path: path, Reason: "not a cluster file: " + err.Error()}}
	}
	if f.Type == "" {
		return []Problem{{Path: path, Reason: "the cluster file has no type"}}
	}
	g := byType[f.Type]
	if g == nil {
		g = &Galaxy{UUID: strings.ToLower(f.UUID), Name: or(f.Name, f.Type), Type: f.Type,
			Description: f.Description, Namespace: "misp", Version: or(f.Version.String(), "1"), Source: path}
		byType[f.Type] = g
	}
	var problems []Problem
	for _, fc := range f.Values {
		u := strings.ToLower(strings.TrimSpace(fc.UUID))
		switch {
		case strings.TrimSpace(fc.Value) == "":
			problems = append(problems, Problem{Path: path, Reason: "a cluster has no value"})
			continue
		case u == "":
			problems = append(problems, Problem{Path: path, Reason: "cluster " + strconv.Quote(fc.Value) + " has no uuid"})
			continue
		case seen[u] != "":
			problems = append(problems, Problem{Path: path, Reason: "cluster " + strconv.Quote(fc.Value) +
				" repeats uuid " + u + " of " + seen[u]})
			continue
		}
		seen[u] = fc.Value
		c := &Cluster{UUID: u, CollectionUUID: strings.ToLower(f.UUID), Type: f.Type, Value: fc.Value,
			Description: fc.Description, Source: f.Source, Authors: f.Authors,
			Version: or(f.Version.String(), "1"), Meta: flattenMeta(fc.Meta), Galaxy: g}
		for _, r := range fc.Related {
			c.Related = append(c.Related, Relation{DestUUID: strings.ToLower(r.DestUUID), Type: r.Type, Tags: r.Tags})
		}
		g.Clusters = append(g.Clusters, c)
	}
	return problems
}

// flattenMeta turns meta values (strings, numbers, lists of them, now and
// then an object) into MISP's key → list of strings.
func flattenMeta(meta map[string]json.RawMessage) map[string][]string {
	out := make(map[string][]string, len(meta))
	for k, raw := range meta {
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			list = []json.RawMessage{raw}
		}
		for _, item := range list {
			var s string
			if json.Unmarshal(item, &s) != nil {
				s = string(item) // a number, a boolean or an object, as JSON text
			}
			out[k] = append(out[k], s)
		}
	}
	return out
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
