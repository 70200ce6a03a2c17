package fetch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/cairn-intel/cairn/internal/feed"
	"github.com/cairn-intel/cairn/internal/misp"
)

// Settings are a feed's parser settings and the behaviour switches MISP
// keeps beside them, as stored in the feed's settings JSON.
type Settings struct {
	Parse              feed.Settings
	DisableCorrelation bool // imported values do not correlate
	UnpublishEvent     bool // MISP feeds: keep imported events unpublished
	// Warninglist is what a pull does with values on an enabled
	// warninglist; the zero value is the default, WarninglistFlag.
	Warninglist WarninglistMode
}

// The settings JSON extends MISP's: {"csv": {"value": "1,3", "delimiter":
// ","}, "common": {"excluderegex": "/re/i"}, "disable_correlation": false,
// "unpublish_event": false} is read as MISP writes it, and "csv" takes
// Cairn's column options besides, "freetext" the comment prefixes, "json"
// the mapping of feed.JSONOptions, and "warninglist" (off, skip or flag)
// what to do with values on an enabled warninglist.
type settingsDoc struct {
	CSV                *csvDoc      `json:"csv,omitempty"`
	Common             *commonDoc   `json:"common,omitempty"`
	Freetext           *freetextDoc `json:"freetext,omitempty"`
	JSON               *jsonDoc     `json:"json,omitempty"`
	DisableCorrelation misp.Bool    `json:"disable_correlation"`
	UnpublishEvent     misp.Bool    `json:"unpublish_event"`
	Warninglist        string       `json:"warninglist,omitempty"`
}

type csvDoc struct {
	Value           json.RawMessage   `json:"value"`
	Delimiter       string            `json:"delimiter"`
	Types           map[string]string `json:"types,omitempty"`
	Header          misp.Bool         `json:"header,omitempty"`
	CommentPrefix   string            `json:"comment_prefix,omitempty"`
	IDColumn        misp.Int          `json:"id_column,omitempty"`
	CommentColumn   misp.Int          `json:"comment_column,omitempty"`
	FirstSeenColumn misp.Int          `json:"first_seen_column,omitempty"`
	LastSeenColumn  misp.Int          `json:"last_seen_column,omitempty"`
	TagsColumn      misp.Int          `json:"tags_column,omitempty"`
}

type commonDoc struct {
	ExcludeRegex string `json:"excluderegex"`
}

type freetextDoc struct {
	CommentPrefixes []string `json:"comment_prefixes"`
}

type jsonDoc struct {
	Records   string            `json:"records"`
	Value     string            `json:"value"`
	Type      string            `json:"type,omitempty"`
	TypeMap   map[string]string `json:"type_map,omitempty"`
	FixedType string            `json:"fixed_type,omitempty"`
	FirstSeen string            `json:"first_seen,omitempty"`
	LastSeen  string            `json:"last_seen,omitempty"`
	ID        string            `json:"id,omitempty"`
	Comment   []string          `json:"comment,omitempty"`
	Tags      []string          `json:"tags,omitempty"`
	Absent    []string          `json:"absent,omitempty"`
}

// DecodeSettings reads the settings JSON of a feed of the given format and
// checks it by building the parser. "" and "{}" give the format's defaults.
func DecodeSettings(format, raw string) (Settings, error) {
	out := Settings{Parse: feed.Settings{Format: feed.Format(format)}}
	var doc settingsDoc
	if s := strings.TrimSpace(raw); s != "" {
		dec := json.NewDecoder(strings.NewReader(s))
		if err := dec.Decode(&doc); err != nil {
			return out, fmt.Errorf("settings: %w", err)
		}
	}
	out.DisableCorrelation, out.UnpublishEvent = bool(doc.DisableCorrelation), bool(doc.UnpublishEvent)
	var err error
	if out.Warninglist, err = ParseWarninglistMode(doc.Warninglist); err != nil {
		return out, fmt.Errorf("settings: %w", err)
	}
	exclude := ""
	if doc.Common != nil {
		exclude = doc.Common.ExcludeRegex
	}
	switch out.Parse.Format {
	case feed.FormatCSV:
		out.Parse.CSV, err = doc.CSV.options(exclude)
	case feed.FormatFreetext:
		out.Parse.Freetext = doc.Freetext.options(exclude)
	case feed.FormatJSON:
		out.Parse.JSON, err = doc.JSON.options(exclude)
	case feed.FormatMISP:
		return out, nil
	default:
		return out, fmt.Errorf("source_format %q is not one of misp, csv, freetext, json", format)
	}
	if err != nil {
		return out, fmt.Errorf("settings: %w", err)
	}
	return out, checkParser(out.Parse)
}

// checkParser builds the parser over an empty body, which validates the
// columns, types, delimiter, mapping and exclude pattern. Parsers check
// their options before they read: an error after the first read is about
// the (empty) body, not the settings.
func checkParser(s feed.Settings) error {
	body := &emptyBody{}
	_, err := s.Parse(context.Background(), body, func(feed.Item) error { return nil }, nil)
	if err != nil && !body.read {
		return fmt.Errorf("settings: %w", err)
	}
	return nil
}

// emptyBody is an empty reader that remembers being read.
type emptyBody struct{ read bool }

func (b *emptyBody) Read([]byte) (int, error) {
	b.read = true
	return 0, io.EOF
}

func (d *csvDoc) options(exclude string) (feed.CSVOptions, error) {
	o := feed.CSVOptions{Exclude: exclude}
	if d == nil {
		return o, nil
	}
	var err error
	if o.Columns, err = columnList(d.Value); err != nil {
		return o, err
	}
	if o.Delimiter, err = feed.ParseDelimiter(d.Delimiter); err != nil {
		return o, err
	}
	if len(d.Types) > 0 {
		o.Types = map[int]string{}
		for col, typ := range d.Types {
			n, err := strconv.Atoi(strings.TrimSpace(col))
			if err != nil {
				return o, fmt.Errorf("csv types: %q is not a column number", col)
			}
			o.Types[n] = typ
		}
	}
	o.Header, o.CommentPrefix = bool(d.Header), d.CommentPrefix
	o.IDColumn, o.CommentColumn = int(d.IDColumn), int(d.CommentColumn)
	o.FirstSeenColumn, o.LastSeenColumn = int(d.FirstSeenColumn), int(d.LastSeenColumn)
	o.TagsColumn = int(d.TagsColumn)
	return o, nil
}

// columnList reads csv.value: "1,3" as MISP writes it, a number, or a list.
func columnList(raw json.RawMessage) ([]int, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var list []misp.Int
	if raw[0] == '[' {
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("csv value: %w", err)
		}
		out := make([]int, len(list))
		for i, n := range list {
			out[i] = int(n)
		}
		return out, nil
	}
	var s misp.String
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("csv value: %w", err)
	}
	return feed.ParseColumns(string(s))
}

func (d *freetextDoc) options(exclude string) feed.FreetextOptions {
	o := feed.FreetextOptions{Exclude: exclude}
	if d != nil && d.CommentPrefixes != nil {
		o.CommentPrefixes = d.CommentPrefixes
	}
	return o
}

func (d *jsonDoc) options(exclude string) (feed.JSONOptions, error) {
	if d == nil {
		return feed.JSONOptions{}, fmt.Errorf(`a json feed needs a "json" mapping (records, value, type ...)`)
	}
	return feed.JSONOptions{Records: d.Records, Value: d.Value, Type: d.Type, TypeMap: d.TypeMap,
		FixedType: d.FixedType, FirstSeen: d.FirstSeen, LastSeen: d.LastSeen, ID: d.ID,
		Comment: d.Comment, Tags: d.Tags, Absent: d.Absent, Exclude: exclude}, nil
}

// EncodeSettings writes settings as the feed's settings JSON.
func EncodeSettings(s Settings) string {
	doc := settingsDoc{DisableCorrelation: misp.Bool(s.DisableCorrelation),
		UnpublishEvent: misp.Bool(s.UnpublishEvent)}
	if s.Warninglist != "" && s.Warninglist != WarninglistFlag {
		doc.Warninglist = string(s.Warninglist) // the default is left out
	}
	exclude := ""
	switch s.Parse.Format {
	case feed.FormatCSV:
		doc.CSV, exclude = encodeCSV(s.Parse.CSV), s.Parse.CSV.Exclude
	case feed.FormatFreetext:
		exclude = s.Parse.Freetext.Exclude
		if s.Parse.Freetext.CommentPrefixes != nil {
			doc.Freetext = &freetextDoc{CommentPrefixes: s.Parse.Freetext.CommentPrefixes}
		}
	case feed.FormatJSON:
		doc.JSON, exclude = encodeJSON(s.Parse.JSON), s.Parse.JSON.Exclude
	}
	if exclude != "" {
		doc.Common = &commonDoc{ExcludeRegex: exclude}
	}
	b, _ := json.Marshal(doc) // plain strings, numbers and maps always encode
	return string(b)
}

func encodeCSV(o feed.CSVOptions) *csvDoc {
	cols := make([]string, len(o.Columns))
	for i, c := range o.Columns {
		cols[i] = strconv.Itoa(c)
	}
	value, _ := json.Marshal(strings.Join(cols, ",")) // a string always encodes
	d := &csvDoc{Value: value, Delimiter: delimiterText(o.Delimiter), Header: misp.Bool(o.Header),
		CommentPrefix: o.CommentPrefix, IDColumn: misp.Int(o.IDColumn), CommentColumn: misp.Int(o.CommentColumn),
		FirstSeenColumn: misp.Int(o.FirstSeenColumn), LastSeenColumn: misp.Int(o.LastSeenColumn),
		TagsColumn: misp.Int(o.TagsColumn)}
	if len(o.Types) > 0 {
		d.Types = map[string]string{}
		keys := make([]int, 0, len(o.Types))
		for k := range o.Types {
			keys = append(keys, k)
		}
		sort.Ints(keys)
		for _, k := range keys {
			d.Types[strconv.Itoa(k)] = o.Types[k]
		}
	}
	return d
}

func delimiterText(r rune) string {
	switch r {
	case 0, ',':
		return ","
	case '\t':
		return `\t`
	}
	return string(r)
}

func encodeJSON(o feed.JSONOptions) *jsonDoc {
	return &jsonDoc{Records: o.Records, Value: o.Value, Type: o.Type, TypeMap: o.TypeMap,
		FixedType: o.FixedType, FirstSeen: o.FirstSeen, LastSeen: o.LastSeen, ID: o.ID,
		Comment: o.Comment, Tags: o.Tags, Absent: o.Absent}
}
