// Package warninglist reads warninglists in MISP's format and checks values
// against the enabled ones: lists of well-known values (documentation
// ranges, private networks, public resolvers, top domains) whose presence in
// an event is more likely a mistake or a false positive than an indicator.
//
// A list is a list.json file holding a name, a type (string, substring,
// hostname, cidr or regex), the entries and the attribute types it applies
// to. MISP's published lists (one folder per list, each with its list.json)
// load unchanged from a directory the administrator names; a small set
// written for Cairn is built in. A Matcher answers for one set of lists; a
// Registry keeps every known list, which of them are enabled, and the
// Matcher of the enabled ones.
package warninglist

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/cairn-intel/cairn/internal/catalog"
)

// Type is how a list's entries are compared with a value.
type Type string

// The list types of MISP's format.
const (
	TypeString    Type = "string"    // the value equals an entry
	TypeSubstring Type = "substring" // the value contains an entry
	TypeHostname  Type = "hostname"  // the value's host name is an entry or below one
	TypeCIDR      Type = "cidr"      // the value's address lies in an entry's range
	TypeRegex     Type = "regex"     // an entry's regular expression matches the value
)

// The categories MISP gives a list.
const (
	CategoryFalsePositive = "false_positive"
	CategoryKnown         = "known"
)

// List is one warninglist.
type List struct {
	ID          int64
	Name        string
	Type        Type
	Description string
	Version     int
	Category    string
	// MatchingAttributes are the attribute types the list applies to; empty
	// means every type (MISP's "ALL").
	MatchingAttributes []string
	Entries            []string
	// Comments holds the per-entry notes of lists written as an object of
	// entry to comment.
	Comments map[string]string
	Builtin  bool   // written for Cairn rather than loaded from a directory
	Source   string // the file it was read from, or "builtin"
}

// Applies reports whether the list checks values of the attribute type; ""
// stands for a value of unknown type, which every list checks.
func (l *List) Applies(attrType string) bool {
	if attrType == "" || len(l.MatchingAttributes) == 0 {
		return true
	}
	for _, t := range l.MatchingAttributes {
		if t == attrType || t == "ALL" {
			return true
		}
	}
	return false
}

// Problem is a file or an entry that could not be used, and why. A problem
// never stops the other lists from loading.
type Problem struct {
	Path   string
	Entry  string // "" when the whole file is at fault
	Reason string
}

func (p Problem) String() string {
	if p.Entry == "" {
		return p.Path + ": " + p.Reason
	}
	return fmt.Sprintf("%s: entry %q: %s", p.Path, p.Entry, p.Reason)
}

// fileList is list.json as MISP writes it. Type may be a string or a list
// of strings (the first counts), version a number or a string, and list an
// array of entries or an object of entry to comment.
type fileList struct {
	Name               string          `json:"name"`
	Type               json.RawMessage `json:"type"`
	Description        string          `json:"description"`
	Version            json.RawMessage `json:"version"`
	Category           string          `json:"category"`
	MatchingAttributes []string        `json:"matching_attributes"`
	List               json.RawMessage `json:"list"`
}

// Parse reads one list.json. Entries that cannot be used (a malformed CIDR,
// a regular expression Go cannot compile) are left out and reported; a list
// with no usable entry is an error.
func Parse(data []byte, source string) (*List, []Problem, error) {
	var f fileList
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, nil, fmt.Errorf("not a warninglist: %w", err)
	}
	l := &List{Name: strings.TrimSpace(f.Name), Description: f.Description, Category: f.Category,
		MatchingAttributes: f.MatchingAttributes, Source: source, Version: 1}
	if l.Name == "" {
		return nil, nil, errors.New("the list has no name")
	}
	var err error
	if l.Type, err = parseType(f.Type); err != nil {
		return nil, nil, err
	}
	if l.Version, err = parseVersion(f.Version); err != nil {
		return nil, nil, err
	}
	if l.Category == "" {
		l.Category = CategoryFalsePositive
	}
	entries, comments, err := parseEntries(f.List)
	if err != nil {
		return nil, nil, err
	}
	l.Comments = comments
	var problems []Problem
	for _, e := range entries {
		if reason := checkEntry(l.Type, e); reason != "" {
			problems = append(problems, Problem{Path: source, Entry: e, Reason: reason})
			continue
		}
		l.Entries = append(l.Entries, e)
	}
	if len(l.Entries) == 0 {
		return nil, problems, errors.New("the list has no usable entry")
	}
	return l, problems, nil
}

func parseType(raw json.RawMessage) (Type, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return TypeString, nil // MISP's default
	}
	var one string
	if err := json.Unmarshal(raw, &one); err != nil {
		var many []string
		if err := json.Unmarshal(raw, &many); err != nil || len(many) == 0 {
			return "", errors.New("type is neither a string nor a list of strings")
		}
		one = many[0]
	}
	switch t := Type(strings.ToLower(strings.TrimSpace(one))); t {
	case TypeString, TypeSubstring, TypeHostname, TypeCIDR, TypeRegex:
		return t, nil
	}
	return "", fmt.Errorf("type %q is not one of string, substring, hostname, cidr, regex", one)
}

func parseVersion(raw json.RawMessage) (int, error) {
	s := strings.Trim(string(bytes.TrimSpace(raw)), `"`)
	if s == "" || s == "null" {
		return 1, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("version %s is not a whole number", raw)
	}
	return v, nil
}

func parseEntries(raw json.RawMessage) ([]string, map[string]string, error) {
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil {
		return cleanEntries(list), nil, nil
	}
	var commented map[string]string
	if err := json.Unmarshal(raw, &commented); err != nil {
		return nil, nil, errors.New("list is neither an array of strings nor an object of entry to comment")
	}
	list = make([]string, 0, len(commented))
	for e := range commented {
		list = append(list, e)
	}
	sort.Strings(list)
	return cleanEntries(list), commented, nil
}

// cleanEntries drops blank entries, as MISP does.
func cleanEntries(in []string) []string {
	out := in[:0]
	for _, e := range in {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// checkEntry says why an entry cannot be used, or "".
func checkEntry(t Type, e string) string {
	switch t {
	case TypeCIDR:
		if _, ok := parsePrefix(e); !ok {
			return "not an IP address or CIDR range"
		}
	case TypeRegex:
		if _, err := compileEntry(e); err != nil {
			return err.Error()
		}
	}
	return ""
}

// parsePrefix reads a CIDR range or a single address as a masked prefix.
func parsePrefix(s string) (netip.Prefix, bool) {
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return normPrefix(p), true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap().WithZone("")
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

func normPrefix(p netip.Prefix) netip.Prefix {
	a := p.Addr()
	bits := p.Bits()
	if a.Is4In6() {
		a, bits = a.Unmap(), max(bits-96, 0)
	}
	return netip.PrefixFrom(a.WithZone(""), bits).Masked()
}

// Load reads every warninglist under dir: MISP's layout (lists/<name>/
// list.json, or dir itself holding the folders) and any other list.json
// below dir. Lists come back sorted by name; a name seen twice keeps the
// first file in path order. Unreadable files are problems, not errors; the
// error is for a directory that cannot be read at all.
func Load(dir string) ([]*List, []Problem, error) {
	paths, err := catalog.FindFiles(dir, "list.json", "warninglists")
	if err != nil {
		return nil, nil, err
	}

	var lists []*List
	var problems []Problem
	seen := map[string]string{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			problems = append(problems, Problem{Path: p, Reason: err.Error()})
			continue
		}
		l, entryProblems, err := Parse(data, p)
		problems = append(problems, entryProblems...)
		if err != nil {
			problems = append(problems, Problem{Path: p, Reason: err.Error()})
			continue
		}
		if first, dup := seen[l.Name]; dup {
			problems = append(problems, Problem{Path: p, Reason: "a list named " + strconv.Quote(l.Name) +
				" was already read from " + first})
			continue
		}
		seen[l.Name] = p
		lists = append(lists, l)
	}
	sort.SliceStable(lists, func(i, j int) bool { return lists[i].Name < lists[j].Name })
	return lists, problems, nil
}
