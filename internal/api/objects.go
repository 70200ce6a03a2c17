package api

import (
	"encoding/json"
	"net/http"

	"github.com/cairn-intel/cairn/internal/misp"
)

// readObject reads {"Object": {...}} (attributes inside it or beside it) or a
// bare object.
func readObject(body []byte) (misp.Object, error) {
	var o misp.Object
	var outer struct {
		Object    json.RawMessage `json:"Object"`
		Attribute json.RawMessage `json:"Attribute"`
	}
	inner := unwrap(body, "")
	if err := json.Unmarshal(inner, &outer); err == nil && len(outer.Object) > 0 {
		if err := decode(outer.Object, "", &o); err != nil {
			return o, err
		}
		if len(o.Attribute.Items) == 0 && len(outer.Attribute) > 0 {
			if err := json.Unmarshal(outer.Attribute, &o.Attribute); err != nil {
				return o, badRequest("Attribute: " + err.Error())
			}
		}
		return o, nil
	}
	return o, decode(body, "Object", &o)
}

func (s *Server) objectAdd(q *request) (any, error) {
	if err := requireWrite(q.actor); err != nil {
		return nil, err
	}
	o, err := readObject(q.body)
	if err != nil {
		return nil, err
	}
	return s.writeObject(q, q.arg(0), o)
}

func (s *Server) writeObject(q *request, eventRef string, o misp.Object) (any, error) {
	list := misp.List[misp.Object]{Items: []misp.Object{o}, Index: []int{0}}
	res, written, err := s.st.AddChildren(q.ctx(), q.actor, eventRef, misp.List[misp.Attribute]{}, list)
	if err != nil {
		return nil, err
	}
	if len(written) == 0 {
		q.status = http.StatusForbidden
		return saveFail("add", "Object", q.path, map[string]any{"rejected": res.Rejected}), nil
	}
	obj, err := s.st.ObjectByRef(q.ctx(), q.actor, written[len(written)-1])
	if err != nil {
		return nil, err
	}
	out := map[string]any{"Object": obj}
	if len(res.Rejected) > 0 {
		out["rejected"] = res.Rejected
	}
	return out, nil
}

func (s *Server) objectEdit(q *request) (any, error) {
	if err := requireWrite(q.actor); err != nil {
		return nil, err
	}
	cur, err := s.st.ObjectByRef(q.ctx(), q.actor, q.arg(0))
	if err != nil {
		return nil, err
	}
	o, err := readObject(q.body)
	if err != nil {
		return nil, err
	}
	u := cur.UUID
	o.UUID = &u // the path names the object; ids and uuids in the body are ignored
	keepString(&o.Name, cur.Name)
	keepString(&o.MetaCategory, cur.MetaCategory)
	keepString(&o.Description, cur.Description)
	keepString(&o.TemplateUUID, cur.TemplateUUID)
	keepString(&o.Comment, cur.Comment)
	keepInt(&o.TemplateVersion, cur.TemplateVersion)
	keepInt(&o.Distribution, cur.Distribution)
	keepInt(&o.SharingGroupID, cur.SharingGroupID)
	return s.writeObject(q, itoa(cur.EventID), o)
}

func (s *Server) objectDelete(q *request) (any, error) {
	hard := q.arg(1) == "1" || q.arg(1) == "true"
	if len(q.body) > 0 {
		var body struct {
			Hard misp.Bool `json:"hard"`
		}
		_ = json.Unmarshal(q.body, &body) // an unreadable body means a soft delete
		hard = hard || bool(body.Hard)
	}
	id, err := s.st.DeleteObject(q.ctx(), q.actor, q.arg(0), hard)
	if err != nil {
		return nil, err
	}
	return success("Object deleted", q.path+"/"+q.arg(0), id), nil
}

func (s *Server) objectView(q *request) (any, error) {
	o, err := s.st.ObjectByRef(q.ctx(), q.actor, q.arg(0))
	if err != nil || q.r.Method == http.MethodHead {
		return nil, err
	}
	return map[string]any{"Object": o}, nil
}

func keepString(p **misp.String, v string) {
	if *p == nil {
		s := misp.String(v)
		*p = &s
	}
}

func keepInt(p **misp.Int, v int64) {
	if *p == nil {
		n := misp.Int(v)
		*p = &n
	}
}
