package warninglist

import (
	"net/netip"
	"sort"
)

// prefixIndex finds the listed ranges that contain an address. Ranges are
// kept in one hash table keyed by the masked prefix; a lookup masks the
// address to each prefix length that occurs in the lists and looks that up.
// CIDR ranges nest or are disjoint, so this finds every containing range in
// as many lookups as there are distinct lengths (at most 33 for IPv4 and
// 129 for IPv6, a handful in real lists), without a tree to walk.
type prefixIndex struct {
	ranges map[netip.Prefix][]cidrEntry
	len4   []int // distinct IPv4 prefix lengths, longest first
	len6   []int
	size   int
}

type cidrEntry struct {
	list  int32
	entry string
}

func (x *prefixIndex) add(p netip.Prefix, list int32, entry string) {
	if x.ranges == nil {
		x.ranges = map[netip.Prefix][]cidrEntry{}
	}
	for _, e := range x.ranges[p] {
		if e.list == list {
			return
		}
	}
	x.ranges[p] = append(x.ranges[p], cidrEntry{list: list, entry: entry})
	x.size++
	if p.Addr().Is4() {
		x.len4 = insertLength(x.len4, p.Bits())
	} else {
		x.len6 = insertLength(x.len6, p.Bits())
	}
}

func insertLength(lengths []int, n int) []int {
	i := sort.Search(len(lengths), func(i int) bool { return lengths[i] <= n })
	if i < len(lengths) && lengths[i] == n {
		return lengths
	}
	lengths = append(lengths, 0)
	copy(lengths[i+1:], lengths[i:])
	lengths[i] = n
	return lengths
}

// lookup calls found for each listed range containing p (an address is a
// prefix of full length), most specific range first.
func (x *prefixIndex) lookup(p netip.Prefix, found func(list int32, entry string)) {
	lengths := x.len6
	if p.Addr().Is4() {
		lengths = x.len4
	}
	for _, n := range lengths {
		if n > p.Bits() {
			continue
		}
		masked, err := p.Addr().Prefix(n)
		if err != nil {
			continue
		}
		for _, e := range x.ranges[masked] {
			found(e.list, e.entry)
		}
	}
}
