package gen

import (
	"math/rand/v2"
	"strconv"
)

// Object templates used by the generator: MISP's published template uuids
// of the file and domain-ip objects.
const (
	fileTemplate     = "688c46fb-5edb-40a3-8273-1af7923e2215"
	domainIPTemplate = "43b3b146-77eb-4931-b4cc-b66c60f28734"
)

// eventBuilder fills one event with its attributes and objects.
type eventBuilder struct {
	r    *rand.Rand
	g    *Generator
	ts   int64
	seen map[string]bool // type and value of the top-level attributes so far
}

// fill gives ev exactly size attributes: about a quarter inside file and
// domain-ip objects in two events out of three of eight or more, the rest
// at the top level.
func (b *eventBuilder) fill(ev *wireEvent, size int) {
	budget := 0
	if size >= 8 && b.r.IntN(3) != 0 {
		budget = size / 4
	}
	used := 0
	for budget-used >= 2 {
		var o wireObject
		if budget-used >= 4 && b.r.IntN(2) == 0 {
			o = b.fileObject()
		} else {
			o = b.domainIPObject()
		}
		used += len(o.Attribute)
		ev.Object = append(ev.Object, o)
	}
	ev.Attribute = make([]wireAttribute, 0, size-used)
	for range size - used {
		typ, value := b.topLevelValue()
		ev.Attribute = append(ev.Attribute, b.attribute(typ, value, ""))
	}
}

// topLevelValue draws a type and value not yet used at the top level of the
// event, which the store would refuse as a duplicate; some come from the
// pool shared by all events.
func (b *eventBuilder) topLevelValue() (string, string) {
	if b.r.IntN(100) < sharedShare {
		p := b.g.pool[b.r.IntN(len(b.g.pool))]
		if key := p.typ + "\x00" + p.value; !b.seen[key] {
			b.seen[key] = true
			return p.typ, p.value
		}
	}
	typ := pickType(b.r)
	for {
		value := makeValue(b.r, typ)
		if key := typ + "\x00" + value; !b.seen[key] {
			b.seen[key] = true
			return typ, value
		}
	}
}

func (b *eventBuilder) attribute(typ, value, relation string) wireAttribute {
	a := wireAttribute{
		UUID:           newUUID(b.r),
		Type:           typ,
		Category:       categoryOf(typ),
		Value:          value,
		ToIDS:          typ != "filename" && typ != "link" && typ != "AS",
		Distribution:   "5",
		Timestamp:      strconv.FormatInt(b.ts-b.r.Int64N(86400), 10),
		ObjectRelation: relation,
	}
	if b.r.IntN(20) == 0 {
		a.Comment = "seen in " + pick(b.r, families) + " traffic"
	}
	if b.r.IntN(50) == 0 {
		a.Tag = []wireTag{attributeTags[b.r.IntN(len(attributeTags))]}
	}
	return a
}

func (b *eventBuilder) object(name, meta, template string) wireObject {
	return wireObject{UUID: newUUID(b.r), Name: name, MetaCategory: meta, TemplateUUID: template,
		TemplateVersion: "1", Timestamp: strconv.FormatInt(b.ts, 10), Distribution: "5"}
}

func (b *eventBuilder) fileObject() wireObject {
	o := b.object("file", "file", fileTemplate)
	for _, rel := range []struct{ typ, relation string }{
		{"filename", "filename"}, {"md5", "md5"}, {"sha1", "sha1"}, {"sha256", "sha256"},
	} {
		a := b.attribute(rel.typ, makeValue(b.r, rel.typ), rel.relation)
		a.Category = "Payload delivery"
		o.Attribute = append(o.Attribute, a)
	}
	return o
}

func (b *eventBuilder) domainIPObject() wireObject {
	o := b.object("domain-ip", "network", domainIPTemplate)
	o.Attribute = []wireAttribute{
		b.attribute("domain", makeValue(b.r, "domain"), "domain"),
		b.attribute("ip-dst", makeValue(b.r, "ip-dst"), "ip"),
	}
	return o
}
