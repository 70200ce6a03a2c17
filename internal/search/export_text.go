package search

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"slices"
	"strings"
)

// textWriter writes each value once, one a line. The rows come sorted by
// value (its bytes, ASCII letters lowered), so a repeat is always next to
// the value it repeats: only the values of the current run of equal
// (case-folded) value1 are remembered.
type textWriter struct{ seen dedupe }

func openText(Params, ExportOptions) (formatWriter, rowNeeds, error) {
	return &textWriter{}, rowNeeds{byValue: true}, nil
}

func (w *textWriter) begin(b []byte) []byte { return b }
func (w *textWriter) end(b []byte) []byte   { return b }

func (w *textWriter) row(b []byte, r *exportRow) []byte {
	v := r.Value()
	if !isLine(v) || !w.seen.first(r.Value1, v) {
		return b
	}
	return append(append(b, v...), '\n')
}

// isLine reports whether v can be written as one line of a line-based
// format: not empty, no CR or LF. A value that is not (a text attribute of
// several lines) is left out rather than split into several indicators.
func isLine(v string) bool {
	return v != "" && !strings.ContainsAny(v, "\r\n")
}

// dedupe remembers the lines written for the current group of rows, a
// group being the rows whose value1 is the same but for case, which
// sort next to each other.
type dedupe struct {
	group string
	few   []string
	many  map[string]struct{} // once a group is large
}

// first reports whether line has not been written in its group yet, and
// remembers it.
func (d *dedupe) first(group, line string) bool {
	if group = strings.ToLower(group); group != d.group {
		d.group, d.few, d.many = group, d.few[:0], nil
	}
	if d.many != nil {
		if _, ok := d.many[line]; ok {
			return false
		}
		d.many[line] = struct{}{}
		return true
	}
	if slices.Contains(d.few, line) {
		return false
	}
	d.few = append(d.few, line)
	if len(d.few) > 32 {
		d.many = make(map[string]struct{}, 64)
		for _, l := range d.few {
			d.many[l] = struct{}{}
		}
	}
	return true
}

// hashTypes are the attribute types whose value is a hash; "filename|"
// followed by one of them holds the hash in its second half.
var hashTypes = map[string]bool{
	"md5": true, "sha1": true, "sha224": true, "sha256": true, "sha384": true, "sha512": true,
	"sha512/224": true, "sha512/256": true, "sha3-224": true, "sha3-256": true, "sha3-384": true,
	"sha3-512": true, "ssdeep": true, "imphash": true, "telfhash": true, "impfuzzy": true,
	"authentihash": true, "vhash": true, "pehash": true, "tlsh": true, "cdhash": true,
}

// hashOf returns the hash an attribute holds: its value for a hash type,
// the hash half of filename|<hash> and of malware-sample (filename|md5).
func hashOf(r *exportRow) (string, bool) {
	switch {
	case hashTypes[r.Type]:
		return r.Value1, true
	case r.Type == "malware-sample":
		return r.Value2, r.Value2 != ""
	case strings.HasPrefix(r.Type, "filename|") && hashTypes[r.Type[len("filename|"):]]:
		return r.Value2, r.Value2 != ""
	}
	return "", false
}

// hashesWriter writes the hash of each hash attribute, one a line.
type hashesWriter struct{}

func openHashes(Params, ExportOptions) (formatWriter, rowNeeds, error) {
	return hashesWriter{}, rowNeeds{}, nil
}

func (hashesWriter) begin(b []byte) []byte { return b }
func (hashesWriter) end(b []byte) []byte   { return b }

func (hashesWriter) row(b []byte, r *exportRow) []byte {
	h, ok := hashOf(r)
	if !ok || !isLine(h) {
		return b
	}
	return append(append(b, h...), '\n')
}

// cacheHashes are the hash functions the cache format offers.
var cacheHashes = map[string]func() hash.Hash{
	"md5": md5.New, "sha1": sha1.New, "sha224": sha256.New224, "sha256": sha256.New,
	"sha384": sha512.New384, "sha512": sha512.New,
}

// cacheWriter writes, for each attribute, the hash of its whole value
// (composite values joined by "|", as shown), followed with
// includeEventUuid by a comma and the event's uuid.
type cacheWriter struct {
	h         hash.Hash
	sum       []byte
	eventUUID bool
}

func openCache(p Params, o ExportOptions) (formatWriter, rowNeeds, error) {
	newHash, ok := cacheHashes[o.HashType]
	if !ok {
		return nil, rowNeeds{}, &ParamError{Param: "hash_type", Reason: "unknown hash " + o.HashType}
	}
	return &cacheWriter{h: newHash(), eventUUID: p.IncludeEventUUID}, rowNeeds{}, nil
}

func (w *cacheWriter) begin(b []byte) []byte { return b }
func (w *cacheWriter) end(b []byte) []byte   { return b }

func (w *cacheWriter) row(b []byte, r *exportRow) []byte {
	w.h.Reset()
	_, _ = w.h.Write([]byte(r.Value())) // a hash never fails to write
	w.sum = w.h.Sum(w.sum[:0])
	b = hex.AppendEncode(b, w.sum)
	if w.eventUUID {
		b = append(append(b, ','), r.Event.UUID...)
	}
	return append(b, '\n')
}

// hostsWriter writes /etc/hosts lines sending each domain and host name to
// the sinkhole address.
type hostsWriter struct {
	ip   string
	seen dedupe
}

func openHosts(_ Params, o ExportOptions) (formatWriter, rowNeeds, error) {
	return &hostsWriter{ip: o.IPAddress}, rowNeeds{byValue: true}, nil
}

func (w *hostsWriter) begin(b []byte) []byte { return b }
func (w *hostsWriter) end(b []byte) []byte   { return b }

func (w *hostsWriter) row(b []byte, r *exportRow) []byte {
	name, ok := domainOf(r)
	if !ok || !w.seen.first(r.Value1, name) {
		return b
	}
	b = append(append(b, w.ip...), ' ')
	return append(append(b, name...), '\n')
}

// domainOf returns the domain or host name of a domain, hostname or
// domain|ip attribute, lower-cased, when it is a plain name.
func domainOf(r *exportRow) (string, bool) {
	switch r.Type {
	case "domain", "hostname", "domain|ip":
		name := strings.ToLower(strings.TrimSuffix(r.Value1, "."))
		return name, isHostName(name)
	}
	return "", false
}
