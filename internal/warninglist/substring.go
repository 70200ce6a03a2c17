package warninglist

// automaton is an Aho-Corasick automaton over the entries of every
// substring list: a trie of the entries whose nodes also carry a failure
// link (the longest proper suffix of the node's text that is also in the
// trie). One pass over a value finds every entry it contains, in time
// linear in the value's length plus the number of matches, however many
// entries there are. MISP instead tries each entry with str_contains, which
// costs entries × length.
type automaton struct {
	nodes []acNode
}

type acNode struct {
	next map[byte]int32
	fail int32
	// out holds the entries that end here, including those ending at the
	// node's failure chain, so a search need not walk the chain.
	out []pattern
}

type pattern struct {
	text string
	list int32
}

// newAutomaton builds the automaton, or nil for no entries.
func newAutomaton(pats []pattern) *automaton {
	if len(pats) == 0 {
		return nil
	}
	a := &automaton{nodes: []acNode{{}}}
	for _, p := range pats {
		a.insert(p)
	}
	a.link()
	return a
}

func (a *automaton) insert(p pattern) {
	s := int32(0)
	for i := 0; i < len(p.text); i++ {
		c := p.text[i]
		t, ok := a.nodes[s].next[c]
		if !ok {
			a.nodes = append(a.nodes, acNode{})
			t = int32(len(a.nodes) - 1)
			if a.nodes[s].next == nil {
				a.nodes[s].next = map[byte]int32{}
			}
			a.nodes[s].next[c] = t
		}
		s = t
	}
	for _, q := range a.nodes[s].out {
		if q.list == p.list {
			return
		}
	}
	a.nodes[s].out = append(a.nodes[s].out, p)
}

// link sets the failure links breadth first, so a node's link (always
// shallower) is complete before the node's own is computed.
func (a *automaton) link() {
	var queue []int32
	for _, child := range a.nodes[0].next {
		queue = append(queue, child)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for c, child := range a.nodes[s].next {
			queue = append(queue, child)
			f := a.nodes[s].fail
			for {
				if t, ok := a.nodes[f].next[c]; ok {
					a.nodes[child].fail = t
					break
				}
				if f == 0 {
					break
				}
				f = a.nodes[f].fail
			}
			a.nodes[child].out = append(a.nodes[child].out, a.nodes[a.nodes[child].fail].out...)
		}
	}
}

// search calls found for every entry v contains, once per ending position.
func (a *automaton) search(v string, found func(list int32, entry string)) {
	if a == nil {
		return
	}
	s := int32(0)
	for i := 0; i < len(v); i++ {
		c := v[i]
		for {
			if t, ok := a.nodes[s].next[c]; ok {
				s = t
				break
			}
			if s == 0 {
				break
			}
			s = a.nodes[s].fail
		}
		for _, p := range a.nodes[s].out {
			found(p.list, p.text)
		}
	}
}
