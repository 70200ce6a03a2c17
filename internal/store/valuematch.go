package store

import (
	"slices"
	"strings"

	"github.com/cairn-intel/cairn/internal/misp"
)

// ValuesMatch returns the condition that the value columns col1 (value1)
// and col2 (value2, or "" for value1 alone) hold one of vals, each value
// under the forms it is stored in (misp.SearchForms), ignoring ASCII case.
// With both columns, a composite value as MISP shows it ("file.exe|<md5>",
// "192.0.2.1|443", or "192.0.2.1:443", whose stored form is that) also
// matches the attribute holding its halves, and its halves alone do not:
// "192.0.2.1|443" does not find the address with another port. However many
// values, the condition holds at most four parameters.
func (s *Store) ValuesMatch(vals []string, col1, col2 string) Cond {
	var exact []string
	var pairs valuePairs
	var alone valuePairs // pairs of the terms of a one-column filter: only their halves matter
	for _, v := range vals {
		forms := misp.SearchForms(v)
		into := &pairs
		if col2 == "" {
			into = &alone
		}
		if halves, ok := into.add(forms); ok {
			// A half alone would ignore the other half (the address of
			// "192.0.2.1|443" would find every port).
			forms = slices.DeleteFunc(forms, func(f string) bool { return slices.Contains(halves, f) })
		}
		exact = append(exact, forms...)
	}
	var ors []Cond
	if len(exact) > 0 {
		ors = append(ors, s.InValues(col1, exact))
		if col2 != "" {
			in := s.InValues(col2, exact)
			ors = append(ors, Cond{SQL: "(" + in.SQL + " AND " + col2 + " <> '')", Args: in.Args})
		}
	}
	if len(pairs.lefts) > 0 {
		ors = append(ors, s.pairsMatch(pairs, col1, col2))
	}
	if len(ors) == 0 {
		return Cond{SQL: "1=0"}
	}
	c := Or(ors...)
	c.SQL = "(" + c.SQL + ")"
	return c
}

// valuePairs are the (value1, value2) pairs that composite values ask for,
// each half under its stored forms.
type valuePairs struct {
	lefts []string // every form of every left half
	keys  []string // pairKey of every pair of forms
}

// add files the pairs of a composite value: each of its forms holding
// exactly one "|" between two non-empty halves (the value as written,
// "192.0.2.1|0443", and its normal forms, "192.0.2.1|443"; an address and
// port written "192.0.2.1:443" or "[2001:db8::7]|53" has such a normal
// form). It returns the forms of all the halves; ok is false when the value
// is not composite.
func (p *valuePairs) add(forms []string) (halves []string, ok bool) {
	for _, f := range forms {
		left, right, found := strings.Cut(f, "|")
		if !found || strings.Contains(right, "|") {
			continue
		}
		lefts, rights := halfForms(left), halfForms(right)
		if len(lefts) == 0 || len(rights) == 0 {
			continue
		}
		for _, l := range lefts {
			p.lefts = append(p.lefts, l)
			for _, r := range rights {
				p.keys = append(p.keys, pairKey(l, r))
			}
		}
		halves = append(append(halves, lefts...), rights...)
		ok = true
	}
	return halves, ok
}

// halfForms returns the stored forms of one half of a composite value. A
// form holding a "|" (the "ip|port" of "192.0.2.1:443") cannot be one
// half, and is left out.
func halfForms(h string) []string {
	return slices.DeleteFunc(misp.SearchForms(h), func(f string) bool { return f == "" || strings.Contains(f, "|") })
}

// pairKey is the text pairsMatch compares a stored pair with: both halves
// with their ASCII letters lowered, joined by "|", as FoldedValue gives the
// columns.
func pairKey(left, right string) string {
	return LowerASCII(left) + "|" + LowerASCII(right)
}

// pairsMatch matches the attributes holding one of the pairs: col1 is
// probed through its index by the set of left halves, and each row found
// is checked against the set of whole pairs. Both sets are one parameter
// however many values there are. Neither half holds a "|", so a stored
// value holding one (a non-composite value1, say) joins to a text with
// two and matches no key.
func (s *Store) pairsMatch(p valuePairs, col1, col2 string) Cond {
	slices.Sort(p.keys)
	probe := s.InValues(col1, p.lefts)
	pair := s.InStrings(s.FoldedValue(col1)+" || '|' || "+s.FoldedValue(col2), slices.Compact(p.keys))
	return Cond{SQL: "(" + probe.SQL + " AND " + pair.SQL + ")", Args: append(probe.Args, pair.Args...)}
}
