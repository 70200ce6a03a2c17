package store

import (
	"context"
	"strings"
)

// TagPolicy decides which tags may be attached: the enabled taxonomies,
// which define the tags of their namespaces and which of them exclude one
// another. It is an interface, set from outside, so that the store does not
// depend on how taxonomies are loaded; taxonomy.Registry implements it.
type TagPolicy interface {
	// ValidateTag refuses a tag that an enabled taxonomy does not define.
	ValidateTag(name string) error
	// CheckExclusive refuses a set of tags that an exclusive taxonomy or
	// predicate allows only one of.
	CheckExclusive(names []string) error
}

// policyBox lets an interface value sit in an atomic.Pointer.
type policyBox struct{ p TagPolicy }

// SetTagPolicy makes every later write check its tags against p; nil turns
// the checks off. The policy is consulted at each write, so a policy whose
// state changes (a taxonomy enabled, a directory reloaded) takes effect at
// once.
func (s *Store) SetTagPolicy(p TagPolicy) {
	if p == nil {
		s.policy.Store(nil)
		return
	}
	s.policy.Store(&policyBox{p: p})
}

// tagPolicy returns the policy that applies to the actor's writes, or nil.
// Sync users are exempt: like MISP, Cairn does not judge again what a peer
// instance already accepted, and a peer may run other taxonomies.
func (s *Store) tagPolicy(a *Actor) TagPolicy {
	box := s.policy.Load()
	if box == nil || a.syncUser() {
		return nil
	}
	return box.p
}

// syncUser reports whether the actor is a sync user proper, not a site
// administrator, whose role holds every permission.
func (a *Actor) syncUser() bool { return a.Role.Perms["perm_sync"] && !a.SiteAdmin() }

// checkTagName refuses a tag the policy does not allow the actor to attach.
func (s *Store) checkTagName(a *Actor, name string) *fieldError {
	p := s.tagPolicy(a)
	if p == nil {
		return nil
	}
	if err := p.ValidateTag(name); err != nil {
		return &fieldError{field: "name", reason: err.Error()}
	}
	return nil
}

// checkExclusive refuses name when it clashes with one of the tags already
// on the event or attribute. Each pair is checked on its own, so tags that
// clashed before the policy existed do not block unrelated ones.
func (s *Store) checkExclusive(a *Actor, prior []string, name string) *fieldError {
	p := s.tagPolicy(a)
	if p == nil {
		return nil
	}
	for _, other := range prior {
		if err := p.CheckExclusive([]string{other, name}); err != nil {
			return &fieldError{field: "name", reason: err.Error()}
		}
	}
	return nil
}

// attachedTagNames lists the names of the tags on an event (attributeID 0)
// or on one attribute, for the exclusivity check; nothing is read when no
// policy applies.
func (s *Store) attachedTagNames(ctx context.Context, q querier, a *Actor, eventID, attributeID int64) ([]string, error) {
	if s.tagPolicy(a) == nil {
		return nil, nil
	}
	query, arg := `SELECT t.name FROM event_tags x JOIN tags t ON t.id = x.tag_id WHERE x.event_id = ?`, eventID
	if attributeID != 0 {
		query, arg = `SELECT t.name FROM attribute_tags x JOIN tags t ON t.id = x.tag_id WHERE x.attribute_id = ?`,
			attributeID
	}
	rows, err := q.QueryContext(ctx, s.Rebind(query), arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out = append(out, name)
	}
	return out, rows.Err()
}

// tagRefusal turns a refused tag into the error of a single-tag write.
func tagRefusal(fe *fieldError) error {
	return invalidf("%s", strings.TrimSpace(fe.reason))
}
