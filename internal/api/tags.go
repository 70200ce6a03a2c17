package api

import (
	"encoding/json"
	"strings"

	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/store"
)

func (s *Server) tagsIndex(q *request) (any, error) {
	pattern := ""
	if v := q.namedValue("searchall"); v != "" {
		pattern = "%" + strings.Trim(v, "%") + "%"
	} else if v := q.namedValue("name"); v != "" {
		pattern = v
	}
	tags, err := s.st.Tags(q.ctx(), q.actor, pattern)
	if err != nil {
		return nil, err
	}
	if tags == nil {
		tags = []store.TagStat{}
	}
	return map[string]any{"Tag": tags}, nil
}

func (s *Server) tagView(q *request) (any, error) {
	t, err := s.st.TagByRef(q.ctx(), q.arg(0))
	if err != nil {
		return nil, err
	}
	return map[string]any{"Tag": t}, nil
}

// tagInput is the body of tags/add and tags/edit.
type tagInput struct {
	Name           *misp.String `json:"name"`
	Colour         *misp.String `json:"colour"`
	Exportable     *misp.Bool   `json:"exportable"`
	OrgID          *misp.Int    `json:"org_id"`
	UserID         *misp.Int    `json:"user_id"`
	HideTag        *misp.Bool   `json:"hide_tag"`
	NumericalValue *misp.String `json:"numerical_value"`
	LocalOnly      *misp.Bool   `json:"local_only"`
}

func (in tagInput) apply(t *store.Tag) error {
	if in.Name != nil {
		t.Name = string(*in.Name)
	}
	if in.Colour != nil {
		t.Colour = string(*in.Colour)
	}
	if in.Exportable != nil {
		t.Exportable = bool(*in.Exportable)
	}
	if in.OrgID != nil {
		t.OrgID = int64(*in.OrgID)
	}
	if in.UserID != nil {
		t.UserID = int64(*in.UserID)
	}
	if in.HideTag != nil {
		t.HideTag = bool(*in.HideTag)
	}
	if in.LocalOnly != nil {
		t.LocalOnly = bool(*in.LocalOnly)
	}
	if in.NumericalValue != nil && *in.NumericalValue != "" {
		n, err := misp.ParseLooseInt(string(*in.NumericalValue))
		if err != nil {
			return badRequest("numerical_value: " + err.Error())
		}
		t.NumericalValue = &n
	}
	return nil
}

func (s *Server) tagAdd(q *request) (any, error) {
	return s.saveTag(q, store.Tag{Exportable: true})
}

func (s *Server) tagEdit(q *request) (any, error) {
	t, err := s.st.TagByRef(q.ctx(), q.arg(0))
	if err != nil {
		return nil, err
	}
	return s.saveTag(q, t)
}

// saveTag applies the body of tags/add or tags/edit to t and stores it.
func (s *Server) saveTag(q *request, t store.Tag) (any, error) {
	var in tagInput
	if err := decode(q.body, "Tag", &in); err != nil {
		return nil, err
	}
	if err := in.apply(&t); err != nil {
		return nil, err
	}
	saved, err := s.st.SaveTag(q.ctx(), q.actor, t)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Tag": saved}, nil
}

func (s *Server) tagDelete(q *request) (any, error) {
	t, err := s.st.TagByRef(q.ctx(), q.arg(0))
	if err != nil {
		return nil, err
	}
	if err := s.st.DeleteTag(q.ctx(), q.actor, t.ID); err != nil {
		return nil, err
	}
	return map[string]any{"name": "Tag deleted.", "message": "Tag deleted.", "url": q.path + "/" + q.arg(0)}, nil
}

// tagSearch answers tags/search/{term} and POST {"tagname": "%x%"}.
func (s *Server) tagSearch(q *request) (any, error) {
	term := q.arg(0)
	strict := false
	if len(q.body) > 0 {
		var body struct {
			TagName misp.String `json:"tagname"`
			Strict  misp.Bool   `json:"strict_tagname"`
		}
		if err := decode(q.body, "", &body); err != nil {
			return nil, err
		}
		term, strict = string(body.TagName), bool(body.Strict)
	}
	if term == "" {
		return nil, badRequest("name a tag to search for")
	}
	if !strict && !strings.Contains(term, "%") {
		term = "%" + term + "%"
	}
	tags, err := s.st.TagNames(q.ctx(), term)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(tags))
	for _, t := range tags {
		out = append(out, map[string]any{"Tag": t})
	}
	return out, nil
}

// attachTagToObject answers PyMISP's tag(): the uuid names an event or an
// attribute.
func (s *Server) attachTagToObject(q *request) (any, error) { return s.tagByUUID(q, false) }

func (s *Server) removeTagFromObject(q *request) (any, error) { return s.tagByUUID(q, true) }

func (s *Server) tagByUUID(q *request, remove bool) (any, error) {
	var body struct {
		UUID  misp.String `json:"uuid"`
		Tag   misp.String `json:"tag"`
		Local misp.Bool   `json:"local"`
	}
	if err := decode(q.body, "", &body); err != nil {
		return nil, err
	}
	isAttr := false
	if _, err := s.st.EventIDByRef(q.ctx(), q.actor, string(body.UUID)); err != nil {
		isAttr = true
	}
	raw, _ := json.Marshal(map[string]any{map[bool]string{true: "attribute", false: "event"}[isAttr]: body.UUID,
		"tag": body.Tag, "local": body.Local})
	q.body = raw
	return s.tagAction(q, map[bool]string{true: "attribute", false: "event"}[isAttr], isAttr, remove)
}
