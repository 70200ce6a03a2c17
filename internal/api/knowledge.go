package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/cairn-intel/cairn/internal/galaxy"
	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/search"
	"github.com/cairn-intel/cairn/internal/store"
	"github.com/cairn-intel/cairn/internal/taxonomy"
	"github.com/cairn-intel/cairn/internal/warninglist"
)

// Knowledge is the reference data served beside events: warninglists,
// taxonomies and galaxies.
type Knowledge struct {
	Warninglists *warninglist.Registry
	Taxonomies   *taxonomy.Registry
	Galaxies     *galaxy.Registry
}

// OpenKnowledge loads the registries from the directories and the state
// saved in the store's settings. Files that cannot be used are logged, once,
// and left out; only failing to read the settings is an error.
func OpenKnowledge(ctx context.Context, st *store.Store, log *slog.Logger) (*Knowledge, error) {
	wl, err := warninglist.Open(ctx, st)
	if err != nil {
		return nil, fmt.Errorf("warninglists: %w", err)
	}
	tx, err := taxonomy.Open(ctx, st)
	if err != nil {
		return nil, fmt.Errorf("taxonomies: %w", err)
	}
	gx, err := galaxy.Open(ctx, st)
	if err != nil {
		return nil, fmt.Errorf("galaxies: %w", err)
	}
	k := &Knowledge{Warninglists: wl, Taxonomies: tx, Galaxies: gx}
	k.logProblems(log, "")
	log.Info("knowledge loaded", "action", "load_knowledge", "warninglists", len(wl.Lists()),
		"taxonomies", len(tx.Taxonomies()), "galaxies", len(gx.Galaxies()))
	return k, nil
}

// logProblems logs what the last load of one kind ("warninglists",
// "taxonomies", "galaxies"; "" for all) could not use.
func (k *Knowledge) logProblems(log *slog.Logger, kind string) {
	if kind == "" || kind == "warninglists" {
		for _, p := range k.Warninglists.Problems() {
			log.Warn("warninglist not loaded", "action", "load_knowledge", "path", p.Path, "entry", p.Entry,
				"error", p.Reason)
		}
	}
	if kind == "" || kind == "taxonomies" {
		for _, p := range k.Taxonomies.Problems() {
			log.Warn("taxonomy not loaded", "action", "load_knowledge", "path", p.Path, "error", p.Reason)
		}
	}
	if kind == "" || kind == "galaxies" {
		for _, p := range k.Galaxies.Problems() {
			log.Warn("galaxy not loaded", "action", "load_knowledge", "path", p.Path, "error", p.Reason)
		}
	}
}

// UseKnowledge sets the registries the server answers with, and makes the
// store check tags against its taxonomies.
func (s *Server) UseKnowledge(k *Knowledge) {
	s.knowMu.Lock()
	defer s.knowMu.Unlock()
	s.use(k)
}

// use installs k; s.knowMu is held.
func (s *Server) use(k *Knowledge) {
	s.know = k
	s.st.SetTagPolicy(k.Taxonomies)
}

// knowledge returns the server's registries: those of Config.Knowledge or
// UseKnowledge, else loaded from the store's settings on first use.
func (s *Server) knowledge(ctx context.Context) (*Knowledge, error) {
	s.knowMu.Lock()
	defer s.knowMu.Unlock()
	if s.know != nil {
		return s.know, nil
	}
	k, err := OpenKnowledge(ctx, s.st, s.log)
	if err != nil {
		return nil, err
	}
	s.use(k)
	return k, nil
}

// stringList is a JSON string or number, or a list of them.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var many []misp.String
	if err := json.Unmarshal(b, &many); err == nil {
		for _, v := range many {
			*l = append(*l, string(v))
		}
		return nil
	}
	var one misp.String
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	if one != "" {
		*l = append(*l, string(one))
	}
	return nil
}

// like matches s against a SQL LIKE pattern where % is any text, without
// regard to case, as MISP's name filters do.
func like(pattern, s string) bool {
	parts := strings.Split(strings.ToLower(pattern), "%")
	s = strings.ToLower(s)
	if len(parts) == 1 {
		return parts[0] == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

// indexFilter reads the value and enabled filters of the knowledge indexes
// from named parameters or a body.
func indexFilter(q *request) (value string, enabled *bool, err error) {
	var body struct {
		Value   misp.String `json:"value"`
		Enabled *misp.Bool  `json:"enabled"`
	}
	if len(strings.TrimSpace(string(q.body))) > 0 {
		if err := decode(q.body, "", &body); err != nil {
			return "", nil, err
		}
	}
	value = string(body.Value)
	if v := q.namedValue("value"); v != "" {
		value = v
	}
	if body.Enabled != nil {
		on := bool(*body.Enabled)
		enabled = &on
	}
	if v := q.namedValue("enabled"); v != "" {
		on := flag(v)
		enabled = &on
	}
	return strings.ToLower(value), enabled, nil
}

func (s *Server) warninglistsIndex(q *request) (any, error) {
	k, err := s.knowledge(q.ctx())
	if err != nil {
		return nil, err
	}
	value, enabled, err := indexFilter(q)
	if err != nil {
		return nil, err
	}
	reg := k.Warninglists
	out := []map[string]any{}
	for _, l := range reg.Lists() {
		on := reg.Enabled(l)
		if enabled != nil && on != *enabled {
			continue
		}
		if value != "" && !strings.Contains(strings.ToLower(l.Name), value) &&
			!strings.Contains(strings.ToLower(l.Description), value) && string(l.Type) != value {
			continue
		}
		out = append(out, map[string]any{"Warninglist": warninglistJSON(l, on)})
	}
	return map[string]any{"Warninglists": out}, nil
}

func warninglistJSON(l *warninglist.List, enabled bool) map[string]any {
	valid := "ALL"
	if len(l.MatchingAttributes) > 0 {
		valid = strings.Join(l.MatchingAttributes, ", ")
	}
	return map[string]any{"id": itoa(l.ID), "name": l.Name, "type": string(l.Type),
		"description": l.Description, "version": strconv.Itoa(l.Version), "enabled": enabled,
		"default": true, "category": l.Category, "warninglist_entry_count": strconv.Itoa(len(l.Entries)),
		"valid_attributes": valid}
}

func (s *Server) warninglistView(q *request) (any, error) {
	k, err := s.knowledge(q.ctx())
	if err != nil {
		return nil, err
	}
	l, ok := k.Warninglists.Find(q.arg(0))
	if !ok {
		return nil, notFound("Warninglist not found.")
	}
	out := warninglistJSON(l, k.Warninglists.Enabled(l))
	entries := make([]map[string]any, 0, len(l.Entries))
	for i, e := range l.Entries {
		entries = append(entries, map[string]any{"id": strconv.Itoa(i + 1), "value": e,
			"comment": l.Comments[e], "warninglist_id": itoa(l.ID)})
	}
	types := []map[string]any{}
	for i, t := range l.MatchingAttributes {
		types = append(types, map[string]any{"id": strconv.Itoa(i + 1), "type": t, "warninglist_id": itoa(l.ID)})
	}
	out["WarninglistEntry"], out["WarninglistType"] = entries, types
	return map[string]any{"Warninglist": out}, nil
}

// warninglistToggleEnable answers warninglists/toggleEnable. Like MISP it
// reports its failures with HTTP 200 and saved:false, and flips each list
// when the body does not say which state to set.
func (s *Server) warninglistToggleEnable(q *request) (any, error) {
	if err := requireSiteAdmin(q.actor); err != nil {
		return nil, err
	}
	k, err := s.knowledge(q.ctx())
	if err != nil {
		return nil, err
	}
	var body struct {
		ID      stringList `json:"id"`
		Name    stringList `json:"name"`
		Enabled *misp.Bool `json:"enabled"`
		Data    stringList `json:"data"` // {"Warninglist": {"data": ids}}, as MISP's form posts
	}
	if err := decode(q.body, "Warninglist", &body); err != nil {
		return nil, err
	}
	lists := selectLists(k.Warninglists, append(body.ID, body.Data...), body.Name)
	if len(lists) == 0 {
		return map[string]any{"saved": false, "errors": "Warninglist(s) not found."}, nil
	}

	verb := "toggled"
	if body.Enabled != nil {
		on := bool(*body.Enabled)
		verb = map[bool]string{true: "enabled", false: "disabled"}[on]
		_, err = k.Warninglists.SetEnabled(q.ctx(), lists, on)
	} else {
		for _, l := range lists {
			on := !k.Warninglists.Enabled(l)
			if len(lists) == 1 {
				verb = map[bool]string{true: "enabled", false: "disabled"}[on]
			}
			if _, err = k.Warninglists.SetEnabled(q.ctx(), []*warninglist.List{l}, on); err != nil {
				break
			}
		}
	}
	if err != nil {
		return nil, err
	}
	s.log.Info("warninglists changed", "action", "warninglist_"+verb, "user", q.actor.User.Email, "count", len(lists))
	return map[string]any{"saved": true, "success": fmt.Sprintf("%d warninglist(s) %s", len(lists), verb)}, nil
}

// selectLists resolves ids and LIKE name patterns, each list once.
func selectLists(reg *warninglist.Registry, ids, names []string) []*warninglist.List {
	var out []*warninglist.List
	seen := map[int64]bool{}
	add := func(l *warninglist.List) {
		if !seen[l.ID] {
			seen[l.ID] = true
			out = append(out, l)
		}
	}
	for _, id := range ids {
		if l, ok := reg.Find(id); ok {
			add(l)
		}
	}
	for _, pattern := range names {
		for _, l := range reg.Lists() {
			if like(pattern, l.Name) {
				add(l)
			}
		}
	}
	return out
}

// warninglistsCheckValue answers which enabled lists each value matches;
// values without a hit are left out, as in MISP.
func (s *Server) warninglistsCheckValue(q *request) (any, error) {
	k, err := s.knowledge(q.ctx())
	if err != nil {
		return nil, err
	}
	if err := search.CheckListSize(q.body); err != nil {
		return nil, err
	}
	var values stringList
	if err := decode(q.body, "Warninglist", &values); err != nil {
		return nil, err
	}
	if len(values) > search.MaxTerms {
		return nil, badRequest(fmt.Sprintf("%d values, at most %d are checked in one request; split it", len(values), search.MaxTerms))
	}
	m := k.Warninglists.Matcher()
	out := map[string][]map[string]string{}
	for _, v := range values {
		if _, done := out[v]; done {
			continue
		}
		// A composite value ("192.0.2.1|443", "evil.example|198.51.100.7") is
		// checked whole and by each half, as its halves are stored.
		parts := []string{v}
		if left, right, ok := strings.Cut(v, "|"); ok {
			parts = append(parts, left, right)
		}
		seen := map[string]bool{}
		for _, part := range parts {
			for _, h := range m.Check(part, "") {
				if key := itoa(h.ListID) + "\x00" + h.Matched; !seen[key] {
					seen[key] = true
					out[v] = append(out[v], map[string]string{"id": itoa(h.ListID), "name": h.Name, "matched": h.Matched})
				}
			}
		}
	}
	return out, nil
}

// knowledgeUpdate answers warninglists/update, taxonomies/update and
// galaxies/update: the registries read their settings and directories
// again, so files changed on disk and choices made with the command line
// take effect without a restart.
func (s *Server) knowledgeUpdate(q *request) (any, error) {
	if err := requireSiteAdmin(q.actor); err != nil {
		return nil, err
	}
	k, err := s.knowledge(q.ctx())
	if err != nil {
		return nil, err
	}
	kind := strings.ToLower(strings.SplitN(strings.Trim(q.path, "/"), "/", 2)[0])
	n, what, err := k.reload(q.ctx(), kind)
	if err != nil {
		return nil, err
	}
	k.logProblems(s.log, kind)
	s.log.Info("knowledge reloaded", "action", "load_knowledge", "user", q.actor.User.Email, "kind", what, "count", n)
	return success(fmt.Sprintf("Successfully updated %d %s.", n, what), q.path, 0), nil
}

// reload reads one kind of knowledge again and says how many items it has.
func (k *Knowledge) reload(ctx context.Context, kind string) (n int, what string, err error) {
	switch kind {
	case "warninglists":
		err = k.Warninglists.Reload(ctx)
		return len(k.Warninglists.Lists()), "warninglists", err
	case "taxonomies":
		err = k.Taxonomies.Reload(ctx)
		return len(k.Taxonomies.Taxonomies()), "taxonomy libraries", err
	}
	err = k.Galaxies.Reload(ctx)
	return len(k.Galaxies.Galaxies()), "galaxies", err
}

// AttributeWarnings returns the warninglist hits of an attribute in the
// shape MISP gives them under an attribute's "warnings" key, or nil.
func (k *Knowledge) AttributeWarnings(value, attrType string) []store.WarninglistHit {
	return k.WarningCheck()(value, attrType)
}

// WarningCheck returns the check of the enabled warninglists that searches
// and views apply. It holds one snapshot of the lists, so every attribute
// of an answer is checked against the same ones.
func (k *Knowledge) WarningCheck() store.WarningCheck {
	m := k.Warninglists.Matcher()
	return func(value, attrType string) []store.WarninglistHit {
		hits := m.Check(value, attrType)
		if len(hits) == 0 {
			return nil
		}
		out := make([]store.WarninglistHit, len(hits))
		for i, h := range hits {
			out[i] = store.WarninglistHit{Value: value, Match: h.Matched, ListID: itoa(h.ListID),
				ListName: h.Name, Category: h.Category}
		}
		return out
	}
}

func (s *Server) taxonomiesIndex(q *request) (any, error) {
	k, err := s.knowledge(q.ctx())
	if err != nil {
		return nil, err
	}
	existing, err := s.tagNames(q.ctx(), "")
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for _, t := range k.Taxonomies.Taxonomies() {
		tags := t.Tags()
		current := 0
		for _, e := range tags {
			if _, ok := existing[strings.ToLower(e.Tag)]; ok {
				current++
			}
		}
		out = append(out, map[string]any{"Taxonomy": taxonomyJSON(k.Taxonomies, t),
			"total_count": len(tags), "current_count": current})
	}
	return out, nil
}

func taxonomyJSON(reg *taxonomy.Registry, t *taxonomy.Taxonomy) map[string]any {
	return map[string]any{"id": itoa(t.ID), "namespace": t.Namespace, "description": t.Description,
		"version": strconv.Itoa(t.Version), "enabled": reg.Enabled(t), "exclusive": t.Exclusive,
		"required": reg.Required(t), "highlighted": false}
}

// tagNames returns the stored tags whose names match the LIKE pattern
// ("" for all), by lower-case name.
func (s *Server) tagNames(ctx context.Context, pattern string) (map[string]store.Tag, error) {
	tags, err := s.st.TagNames(ctx, pattern)
	if err != nil {
		return nil, err
	}
	out := make(map[string]store.Tag, len(tags))
	for _, t := range tags {
		out[strings.ToLower(t.Name)] = t
	}
	return out, nil
}

func (s *Server) taxonomyView(q *request) (any, error) {
	k, err := s.knowledge(q.ctx())
	if err != nil {
		return nil, err
	}
	t, ok := k.Taxonomies.Find(q.arg(0))
	if !ok {
		return nil, notFound("Invalid taxonomy.")
	}
	existing, err := s.tagNames(q.ctx(), strings.ToLower(t.Namespace)+":%")
	if err != nil {
		return nil, err
	}
	entries := []map[string]any{}
	for _, e := range t.Tags() {
		var tag any = false
		if st, ok := existing[strings.ToLower(e.Tag)]; ok {
			tag = st
		}
		entries = append(entries, map[string]any{"tag": e.Tag, "expanded": e.Expanded,
			"description": e.Description, "exclusive_predicate": e.ExclusivePredicate, "colour": e.Colour,
			"numerical_value": e.NumericalValue, "existing_tag": tag})
	}
	return map[string]any{"Taxonomy": taxonomyJSON(k.Taxonomies, t), "entries": entries}, nil
}

func (s *Server) taxonomyEnable(q *request) (any, error)  { return s.taxonomySetEnabled(q, true) }
func (s *Server) taxonomyDisable(q *request) (any, error) { return s.taxonomySetEnabled(q, false) }

func (s *Server) taxonomySetEnabled(q *request, on bool) (any, error) {
	t, k, err := s.adminTaxonomy(q)
	if err != nil {
		return nil, err
	}
	if err := k.Taxonomies.SetEnabled(q.ctx(), t, on); err != nil {
		return nil, err
	}
	msg := map[bool]string{true: "Taxonomy enabled", false: "Taxonomy disabled"}[on]
	s.log.Info("taxonomy changed", "action", "taxonomy_"+map[bool]string{true: "enable", false: "disable"}[on],
		"user", q.actor.User.Email, "object", t.Namespace)
	return success(msg, q.path+"/"+q.arg(0), t.ID), nil
}

// taxonomyToggleRequired answers taxonomies/toggleRequired/{id} with body
// {"Taxonomy": {"required": true}}; without the body it flips the flag.
func (s *Server) taxonomyToggleRequired(q *request) (any, error) {
	t, k, err := s.adminTaxonomy(q)
	if err != nil {
		return nil, err
	}
	on := !k.Taxonomies.Required(t)
	if len(strings.TrimSpace(string(q.body))) > 0 {
		var body struct {
			Required misp.Bool `json:"required"`
		}
		if err := decode(q.body, "Taxonomy", &body); err != nil {
			return nil, err
		}
		on = bool(body.Required)
	}
	if on && !k.Taxonomies.Enabled(t) {
		return nil, fmt.Errorf("%w: enable the taxonomy %s before requiring it", store.ErrInvalid, t.Namespace)
	}
	if err := k.Taxonomies.SetRequired(q.ctx(), t, on); err != nil {
		return nil, err
	}
	return success(map[bool]string{true: "Taxonomy set as required", false: "Taxonomy no longer required"}[on],
		q.path+"/"+q.arg(0), t.ID), nil
}

func (s *Server) adminTaxonomy(q *request) (*taxonomy.Taxonomy, *Knowledge, error) {
	if err := requireSiteAdmin(q.actor); err != nil {
		return nil, nil, err
	}
	k, err := s.knowledge(q.ctx())
	if err != nil {
		return nil, nil, err
	}
	t, ok := k.Taxonomies.Find(q.arg(0))
	if !ok {
		return nil, nil, notFound("Invalid taxonomy.")
	}
	return t, k, nil
}

func (s *Server) galaxiesIndex(q *request) (any, error) {
	k, err := s.knowledge(q.ctx())
	if err != nil {
		return nil, err
	}
	value, _, err := indexFilter(q)
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for _, g := range k.Galaxies.Galaxies() {
		text := strings.ToLower(g.Name + "\n" + g.Namespace + "\n" + g.Description + "\n" + g.Type + "\n" + g.UUID)
		if value == "" || strings.Contains(text, value) {
			out = append(out, map[string]any{"Galaxy": g.JSON()})
		}
	}
	return out, nil
}

func (s *Server) galaxyView(q *request) (any, error) {
	k, err := s.knowledge(q.ctx())
	if err != nil {
		return nil, err
	}
	g, ok := k.Galaxies.FindGalaxy(q.arg(0))
	if !ok {
		return nil, notFound("Invalid galaxy.")
	}
	clusters := make([]galaxy.ClusterJSON, 0, len(g.Clusters))
	for _, c := range g.Clusters {
		clusters = append(clusters, c.JSON())
	}
	return map[string]any{"Galaxy": g.JSON(), "GalaxyCluster": clusters}, nil
}

// galaxyAttachCluster answers galaxies/attachCluster/{target}/{event|attribute}/local:{0|1}
// with body {"Galaxy": {"target_id": cluster id or uuid}}: it attaches the
// cluster's tag, creating the tag first if need be. Attaching needs the
// right to tag the event, as events/addTag does.
func (s *Server) galaxyAttachCluster(q *request) (any, error) {
	if err := requireWrite(q.actor); err != nil {
		return nil, err
	}
	isAttribute, err := galaxyTarget(q.arg(1))
	if err != nil {
		return nil, err
	}
	var body struct {
		TargetID misp.String `json:"target_id"`
	}
	if err := decode(q.body, "Galaxy", &body); err != nil {
		return nil, err
	}
	k, err := s.knowledge(q.ctx())
	if err != nil {
		return nil, err
	}
	c, ok := k.Galaxies.FindCluster(string(body.TargetID))
	if !ok {
		return nil, notFound("Invalid galaxy cluster.")
	}
	if err := s.ensureClusterTag(q.ctx(), q.actor, c); err != nil {
		return nil, err
	}
	err = s.st.TagEvent(q.ctx(), q.actor, q.arg(0), isAttribute, c.TagName(), flag(q.namedValue("local")), false)
	return galaxyTagAnswer(err, "Cluster attached.")
}

// galaxyDetach answers galaxies/detach/{target}/{event|attribute}/{tag}
// (also galaxy_clusters/detach): the tag is a tag id or name, as in MISP,
// or a cluster uuid.
func (s *Server) galaxyDetach(q *request) (any, error) {
	if err := requireWrite(q.actor); err != nil {
		return nil, err
	}
	isAttribute, err := galaxyTarget(q.arg(1))
	if err != nil {
		return nil, err
	}
	tag := q.arg(2)
	if tag == "" {
		return nil, badRequest("name the tag of the cluster to detach")
	}
	if uuid.Validate(tag) == nil {
		k, err := s.knowledge(q.ctx())
		if err != nil {
			return nil, err
		}
		c, ok := k.Galaxies.FindCluster(tag)
		if !ok {
			return nil, notFound("Invalid galaxy cluster.")
		}
		tag = c.TagName()
	}
	err = s.st.TagEvent(q.ctx(), q.actor, q.arg(0), isAttribute, tag, false, true)
	return galaxyTagAnswer(err, "Galaxy successfully detached.")
}

func galaxyTarget(kind string) (isAttribute bool, err error) {
	switch strings.ToLower(kind) {
	case "event":
		return false, nil
	case "attribute":
		return true, nil
	}
	return false, &httpError{status: http.StatusBadRequest,
		msg: "the target type must be event or attribute; tag collections are not supported"}
}

// galaxyTagAnswer reports an attachment like tagAction: refusals come back
// with HTTP 200 and saved:false, as MISP clients expect.
func galaxyTagAnswer(err error, msg string) (any, error) {
	switch {
	case err == nil:
		return map[string]any{"saved": true, "success": msg, "check_publish": true}, nil
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrInvalid), errors.Is(err, store.ErrForbidden):
		return map[string]any{"saved": false, "errors": strings.TrimSpace(reason(err))}, nil
	}
	return nil, err
}

// ensureClusterTag creates the tag of a cluster when it does not exist.
// Like MISP, a user allowed to tag may attach a known cluster even without
// the right to create tags: the tag is made on the user's behalf, and only
// for this name, which comes from the loaded galaxies and not the request.
func (s *Server) ensureClusterTag(ctx context.Context, a *store.Actor, c *galaxy.Cluster) error {
	_, err := s.st.TagByRef(ctx, c.TagName())
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if !a.Role.Has("perm_tagger") && !a.Sync() {
		return errForbidden
	}
	perms := make(map[string]bool, len(a.Role.Perms)+1)
	for p, v := range a.Role.Perms {
		perms[p] = v
	}
	perms["perm_tag_editor"] = true
	creator := *a
	creator.Role.Perms = perms
	_, err = s.st.SaveTag(ctx, &creator, store.Tag{Name: c.TagName(), Colour: "#0088cc", Exportable: true})
	return err
}
