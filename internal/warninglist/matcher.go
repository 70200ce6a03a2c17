package warninglist

import (
	"net/netip"
	"regexp"
	"sort"
	"strings"
)

// Hit is one list a value matched, and the entry it matched.
type Hit struct {
	ListID   int64
	Name     string
	Matched  string // the list entry (for hostname lists, the name or parent that is listed)
	Category string
}

// Matcher checks values against a fixed set of lists. All lists of a type
// share one index, so the cost of a check does not grow with the number of
// lists:
//
//   - string: one hash lookup per value part;
//   - hostname: one lookup for the name and one for each parent domain;
//   - cidr: one lookup per distinct prefix length present in the lists
//     (a handful in practice), the address masked to that length;
//   - substring: one pass of an Aho-Corasick automaton over the value,
//     linear in its length whatever the number of entries;
//   - regex: per list, one alternation of all its expressions; only on a
//     match are the entries tried one by one to name the one that matched.
//
// A Matcher is immutable and safe for concurrent use.
type Matcher struct {
	lists   []*List
	strs    map[string][]int32
	hosts   map[string][]int32
	cidr    prefixIndex
	subs    *automaton
	regexes []regexList
}

type regexList struct {
	list    int32
	any     *regexp.Regexp
	each    []*regexp.Regexp
	entries []string
}

// NewMatcher indexes the lists. Entries that cannot be used were already
// left out by Parse; a regex entry that no longer compiles is skipped.
func NewMatcher(lists []*List) *Matcher {
	m := &Matcher{lists: lists, strs: map[string][]int32{}, hosts: map[string][]int32{}}
	var subs []pattern
	for i, l := range lists {
		idx := int32(i)
		switch l.Type {
		case TypeString:
			for _, e := range l.Entries {
				m.strs[e] = appendOnce(m.strs[e], idx)
			}
		case TypeHostname:
			for _, e := range l.Entries {
				if h := normHost(e); h != "" {
					m.hosts[h] = appendOnce(m.hosts[h], idx)
				}
			}
		case TypeCIDR:
			for _, e := range l.Entries {
				if p, ok := parsePrefix(e); ok {
					m.cidr.add(p, idx, e)
				}
			}
		case TypeSubstring:
			for _, e := range l.Entries {
				subs = append(subs, pattern{text: e, list: idx})
			}
		case TypeRegex:
			if rl, ok := newRegexList(idx, l.Entries); ok {
				m.regexes = append(m.regexes, rl)
			}
		}
	}
	m.subs = newAutomaton(subs)
	return m
}

func newRegexList(idx int32, entries []string) (regexList, bool) {
	rl := regexList{list: idx}
	var alt []string
	for _, e := range entries {
		expr, err := goExpr(e)
		if err != nil {
			continue
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			continue
		}
		rl.each, rl.entries = append(rl.each, re), append(rl.entries, e)
		alt = append(alt, "(?:"+expr+")")
	}
	if len(rl.each) == 0 {
		return rl, false
	}
	// Each part compiled alone, so the alternation compiles too, unless it
	// grows past RE2's size limit; then every entry is tried in turn.
	rl.any, _ = regexp.Compile(strings.Join(alt, "|"))
	return rl, true
}

func appendOnce(ids []int32, id int32) []int32 {
	if n := len(ids); n > 0 && ids[n-1] == id {
		return ids
	}
	return append(ids, id)
}

// Lists returns the lists the matcher checks.
func (m *Matcher) Lists() []*List { return m.lists }

// Check returns the lists the value matches, at most one hit per list, in
// list id order; nil when none. attrType is the MISP attribute type of the
// value: lists whose matching_attributes leave it out are not consulted,
// and the halves of a composite value ("domain|ip", "ip-dst|port") are
// checked separately, as MISP does. An empty attrType checks the value
// whole against every list, as warninglists/checkValue does.
func (m *Matcher) Check(value, attrType string) []Hit {
	c := collector{m: m, attrType: attrType}
	if first, second, ok := strings.Cut(value, "|"); ok && (strings.Contains(attrType, "|") || attrType == "malware-sample") {
		m.checkPart(first, &c)
		m.checkPart(second, &c)
	} else {
		m.checkPart(value, &c)
	}
	if len(c.hits) > 1 {
		sort.Slice(c.hits, func(i, j int) bool { return c.hits[i].ListID < c.hits[j].ListID })
	}
	return c.hits
}

func (m *Matcher) checkPart(v string, c *collector) {
	v = strings.TrimSpace(v)
	if v == "" {
		return
	}
	for _, id := range m.strs[v] {
		c.add(id, v)
	}
	if len(m.hosts) > 0 {
		m.checkHost(v, c)
	}
	if m.cidr.size > 0 {
		if p, ok := addrOf(v); ok {
			m.cidr.lookup(p, c.add)
		}
	}
	m.subs.search(v, c.add)
	for _, rl := range m.regexes {
		if !c.wants(rl.list) || (rl.any != nil && !rl.any.MatchString(v)) {
			continue
		}
		for i, re := range rl.each {
			if re.MatchString(v) {
				c.add(rl.list, rl.entries[i])
				break
			}
		}
	}
}

// checkHost looks the value's host name up, then each parent domain.
func (m *Matcher) checkHost(v string, c *collector) {
	h := normHost(hostOf(v))
	for h != "" {
		for _, id := range m.hosts[h] {
			c.add(id, h)
		}
		dot := strings.IndexByte(h, '.')
		if dot < 0 {
			return
		}
		h = h[dot+1:]
	}
}

// collector gathers the first hit of each list that applies to the type.
type collector struct {
	m        *Matcher
	attrType string
	hits     []Hit
}

func (c *collector) wants(id int32) bool {
	if !c.m.lists[id].Applies(c.attrType) {
		return false
	}
	for _, h := range c.hits {
		if h.ListID == c.m.lists[id].ID {
			return false
		}
	}
	return true
}

func (c *collector) add(id int32, matched string) {
	if !c.wants(id) {
		return
	}
	l := c.m.lists[id]
	c.hits = append(c.hits, Hit{ListID: l.ID, Name: l.Name, Matched: matched, Category: l.Category})
}

// hostOf returns the host part of a URL, a host:port or a bare name:
// what lies after "//" (or from the start) up to the first "/", "?" or "#",
// without user information or port.
func hostOf(v string) string {
	if i := strings.Index(v, "//"); i >= 0 {
		v = v[i+2:]
	}
	if i := strings.IndexAny(v, "/?#"); i >= 0 {
		v = v[:i]
	}
	if i := strings.LastIndexByte(v, '@'); i >= 0 {
		v = v[i+1:]
	}
	if strings.HasPrefix(v, "[") {
		if i := strings.IndexByte(v, ']'); i > 0 {
			return v[1:i]
		}
	}
	if i := strings.LastIndexByte(v, ':'); i >= 0 && strings.Count(v, ":") == 1 {
		v = v[:i]
	}
	return v
}

// normHost lower-cases a host name and drops a trailing dot and a leading
// "*." or ".", which lists use to mean "and below".
func normHost(h string) string {
	h = strings.TrimSpace(h)
	h = strings.TrimSuffix(h, ".")
	h = strings.TrimPrefix(h, "*.")
	h = strings.TrimPrefix(h, ".")
	for i := 0; i < len(h); i++ {
		if c := h[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(h)
		}
	}
	return h
}

// addrOf reads an address or a CIDR range from a value: bare, with a port
// ("198.51.100.1:443", "[2001:db8::1]:443") or as the host of a URL. The
// cheap tests come first: failed parses allocate, and most values checked
// are names, URLs and hashes.
func addrOf(v string) (netip.Prefix, bool) {
	if strings.Contains(v, "//") {
		v = hostOf(v)
	}
	if !mayHoldAddr(v) {
		return netip.Prefix{}, false
	}
	if strings.IndexByte(v, '/') >= 0 || !strings.HasPrefix(v, "[") && strings.Count(v, ":") != 1 {
		return parsePrefix(v)
	}
	if ap, err := netip.ParseAddrPort(v); err == nil {
		a := ap.Addr().Unmap().WithZone("")
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

// mayHoldAddr rules out values that cannot start with an address: one
// starts with "[" or with up to four hex digits and then "." or ":".
func mayHoldAddr(v string) bool {
	if v == "" {
		return false
	}
	if v[0] == '[' {
		return true
	}
	for i := 0; i < len(v) && i < 5; i++ {
		switch c := v[i]; {
		case c == '.' || c == ':':
			return true
		case c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F':
		default:
			return false
		}
	}
	return false
}
