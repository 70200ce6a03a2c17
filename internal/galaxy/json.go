package galaxy

import "strconv"

// GalaxyJSON is a galaxy as MISP shows it inside an event or an attribute,
// with the attached clusters, and in galaxies/index and galaxies/view.
type GalaxyJSON struct {
	ID             string              `json:"id"`
	UUID           string              `json:"uuid"`
	Name           string              `json:"name"`
	Type           string              `json:"type"`
	Description    string              `json:"description"`
	Version        string              `json:"version"`
	Icon           string              `json:"icon"`
	Namespace      string              `json:"namespace"`
	KillChainOrder map[string][]string `json:"kill_chain_order"`
	Enabled        bool                `json:"enabled"`
	LocalOnly      bool                `json:"local_only"`
	GalaxyCluster  []ClusterJSON       `json:"GalaxyCluster,omitempty"`
}

// ClusterJSON is a cluster as MISP shows it. Clusters loaded from a
// directory are MISP's "default" clusters: published, shared with all
// communities, owned by no organisation.
type ClusterJSON struct {
	ID                    string              `json:"id"`
	UUID                  string              `json:"uuid"`
	CollectionUUID        string              `json:"collection_uuid"`
	Type                  string              `json:"type"`
	Value                 string              `json:"value"`
	TagName               string              `json:"tag_name"`
	Description           string              `json:"description"`
	GalaxyID              string              `json:"galaxy_id"`
	Source                string              `json:"source"`
	Authors               []string            `json:"authors"`
	Version               string              `json:"version"`
	Distribution          string              `json:"distribution"`
	SharingGroupID        *string             `json:"sharing_group_id"`
	OrgID                 string              `json:"org_id"`
	OrgcID                string              `json:"orgc_id"`
	Default               bool                `json:"default"`
	Locked                bool                `json:"locked"`
	ExtendsUUID           string              `json:"extends_uuid"`
	ExtendsVersion        string              `json:"extends_version"`
	Published             bool                `json:"published"`
	Deleted               bool                `json:"deleted"`
	Meta                  map[string][]string `json:"meta"`
	GalaxyClusterRelation []RelationJSON      `json:"GalaxyClusterRelation"`
}

// RelationJSON is a cluster relation as MISP shows it.
type RelationJSON struct {
	ClusterUUID    string        `json:"galaxy_cluster_uuid"`
	ReferencedUUID string        `json:"referenced_galaxy_cluster_uuid"`
	ReferencedType string        `json:"referenced_galaxy_cluster_type"`
	Distribution   string        `json:"distribution"`
	Default        bool          `json:"default"`
	Tag            []RelationTag `json:"Tag"`
}

// RelationTag is a tag qualifying a relation, such as a likelihood.
type RelationTag struct {
	Name string `json:"name"`
}

// JSON returns the galaxy without its clusters.
func (g *Galaxy) JSON() GalaxyJSON {
	return GalaxyJSON{ID: strconv.FormatInt(g.ID, 10), UUID: g.UUID, Name: g.Name, Type: g.Type,
		Description: g.Description, Version: g.Version, Icon: g.Icon, Namespace: g.Namespace,
		KillChainOrder: g.KillChainOrder, Enabled: true}
}

// JSON returns the cluster.
func (c *Cluster) JSON() ClusterJSON {
	out := ClusterJSON{ID: strconv.FormatInt(c.ID, 10), UUID: c.UUID, CollectionUUID: c.CollectionUUID,
		Type: c.Type, Value: c.Value, TagName: c.TagName(), Description: c.Description,
		GalaxyID: strconv.FormatInt(c.Galaxy.ID, 10), Source: c.Source, Authors: c.Authors,
		Version: c.Version, Distribution: "3", OrgID: "0", OrgcID: "0", Default: true,
		ExtendsVersion: "0", Published: true, Meta: c.Meta,
		GalaxyClusterRelation: []RelationJSON{}}
	if out.Authors == nil {
		out.Authors = []string{}
	}
	if out.Meta == nil {
		out.Meta = map[string][]string{} // MISP emits an object, never null
	}
	for _, r := range c.Related {
		rel := RelationJSON{ClusterUUID: c.UUID, ReferencedUUID: r.DestUUID, ReferencedType: r.Type,
			Distribution: "3", Default: true, Tag: []RelationTag{}}
		for _, t := range r.Tags {
			rel.Tag = append(rel.Tag, RelationTag{Name: t})
		}
		out.GalaxyClusterRelation = append(out.GalaxyClusterRelation, rel)
	}
	return out
}

// FromTags builds an event's or an attribute's Galaxy list from its tag
// names: each tag naming a known cluster contributes that cluster, under
// its galaxy, galaxies in the order their first tag appears. Other tags
// are ignored; the result is empty, not nil, when none names a cluster.
func (r *Registry) FromTags(tagNames []string) []GalaxyJSON {
	out := []GalaxyJSON{}
	pos := map[*Galaxy]int{}
	seen := map[*Cluster]bool{}
	for _, name := range tagNames {
		c, ok := r.ClusterByTag(name)
		if !ok || seen[c] {
			continue
		}
		seen[c] = true
		i, ok := pos[c.Galaxy]
		if !ok {
			i = len(out)
			pos[c.Galaxy] = i
			out = append(out, c.Galaxy.JSON())
		}
		out[i].GalaxyCluster = append(out[i].GalaxyCluster, c.JSON())
	}
	return out
}
