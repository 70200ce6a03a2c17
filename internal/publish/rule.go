package publish

import "github.com/cairn-intel/cairn/internal/store"

// The MISP distribution levels the rule speaks of.
const (
	distCommunity = 1
	distConnected = 2
	distAll       = 3
	distInherit   = 5
)

// Rule says which events and items leave in the feed; see the package
// comment. The zero Rule exports distribution 3 only.
type Rule struct {
	// Connected also exports distribution 2 (connected communities),
	// written as 1: for a feed read by instances that sync with this one.
	Connected bool
}

// eventDistributions are the event distributions the rule exports, as the
// search filter takes them.
func (r Rule) eventDistributions() []string {
	if r.Connected {
		return []string{"2", "3"}
	}
	return []string{"3"}
}

// allowsEvent reports whether an event leaves under the rule.
func (r Rule) allowsEvent(e store.Event) bool {
	if !e.Published {
		return false
	}
	return e.Distribution == distAll || r.Connected && e.Distribution == distConnected
}

// itemDistribution returns the distribution an item (attribute, object or
// report) is written with, and false when it stays behind.
func (r Rule) itemDistribution(d int64) (int64, bool) {
	switch {
	case d == distInherit || d == distAll:
		return d, true
	case d == distConnected && r.Connected:
		return distCommunity, true
	}
	return 0, false
}

// eventDistribution returns the distribution an exported event is written
// with: connected communities become this community on the receiving side.
func (r Rule) eventDistribution(d int64) int64 {
	if d == distConnected {
		return distCommunity
	}
	return d
}

// exportableTag reports whether a tag leaves with what it is attached to.
// The store already hides non-exportable and locally attached tags when
// asked (LoadOptions); this check keeps the rule whole in one place.
func exportableTag(t store.Tag) bool {
	return t.Exportable && !t.Local && !t.LocalOnly
}
