package publish

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"strings"

	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/store"
)

// ManifestEntry summarises one event in manifest.json. Consumers decide
// from it which events to download: by the key (the uuid) and Timestamp,
// and filter on Tag names and Orgc.
type ManifestEntry struct {
	Orgc             Org    `json:"Orgc"`
	Tag              []Tag  `json:"Tag"`
	Info             string `json:"info"`
	Date             string `json:"date"`
	Analysis         int64  `json:"analysis,string"`
	ThreatLevelID    int64  `json:"threat_level_id,string"`
	Timestamp        int64  `json:"timestamp,string"`
	PublishTimestamp int64  `json:"publish_timestamp,string"`
}

// manifestEntry summarises a stored event the rule allows; only its
// metadata is read.
func manifestEntry(e store.Event) ManifestEntry {
	return ManifestEntry{Orgc: Org{Name: e.Orgc.Name, UUID: e.Orgc.UUID}, Tag: tags(e.Tag), Info: e.Info,
		Date: e.Date, Analysis: e.Analysis, ThreatLevelID: e.ThreatLevelID, Timestamp: e.Timestamp,
		PublishTimestamp: e.PublishTimestamp}
}

// manifestWriter writes the manifest object one entry at a time, so that
// it never holds more than one entry.
type manifestWriter struct {
	w *bufio.Writer
	n int
}

func newManifestWriter(w io.Writer) *manifestWriter {
	return &manifestWriter{w: bufio.NewWriterSize(w, 64<<10)}
}

// add writes the entry of one event.
func (m *manifestWriter) add(uuid string, e ManifestEntry) error {
	b := []byte(",\n")
	if m.n == 0 {
		b = []byte("{\n")
	}
	m.n++
	key, err := json.Marshal(uuid)
	if err != nil {
		return err
	}
	b = append(append(b, key...), ": "...)
	if _, err := m.w.Write(b); err != nil {
		return err
	}
	return writeJSON(m.w, e)
}

// close ends the object and flushes it.
func (m *manifestWriter) close() error {
	end := "\n}\n"
	if m.n == 0 {
		end = "{}\n"
	}
	if _, err := m.w.WriteString(end); err != nil {
		return err
	}
	return m.w.Flush()
}

// writeJSON writes v compactly, with <, > and & left as they are.
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	return err
}

// writeHashes writes the hashes.csv lines of an exported event: the md5 of
// every live attribute value, a composite value giving one line per half,
// each followed by the event uuid. It returns how many lines it wrote.
func writeHashes(w io.Writer, e Event) (int, error) {
	var b []byte
	n := 0
	add := func(a Attribute) {
		if a.Deleted {
			return
		}
		for _, part := range valueParts(a) {
			sum := md5.Sum([]byte(part))
			b = hex.AppendEncode(b, sum[:])
			b = append(append(append(b, ','), e.UUID...), '\n')
			n++
		}
	}
	for _, a := range e.Attribute {
		add(a)
	}
	for _, o := range e.Object {
		if o.Deleted {
			continue
		}
		for _, a := range o.Attribute {
			add(a)
		}
	}
	_, err := w.Write(b)
	return n, err
}

// valueParts splits a composite value (filename|md5, ip-dst|port...) into
// its halves; other values are one part.
func valueParts(a Attribute) []string {
	if info, ok := misp.LookupType(a.Type); ok && info.Composite {
		if left, right, found := strings.Cut(a.Value, "|"); found {
			return []string{left, right}
		}
	}
	return []string{a.Value}
}
