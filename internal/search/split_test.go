package search

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/cairn-intel/cairn/internal/store"
)

// TestSplitSearchMatchesWhole runs searches for many values split in parts
// and whole: the same attributes in the same order, each once, whether the
// answer is held whole or in chunks, for three actors. Every value of the
// fixture is a term, halves of composite values included, so that the
// parts share attributes (value1 found by one part, value2 by another).
func TestSplitSearchMatchesWhole(t *testing.T) {
	f := newExportFixture(t)
	ctx := context.Background()
	all, _, err := Attributes(ctx, f.st, f.admin, Params{})
	if err != nil {
		t.Fatal(err)
	}
	var firsts, seconds []string
	for _, at := range all {
		firsts = append(firsts, at.Value1)
		if at.Value2 != "" {
			seconds = append(seconds, at.Value2)
		}
	}
	if len(seconds) == 0 || len(all) < 5 {
		t.Fatalf("the fixture has %d attributes, %d composite: the test would prove little", len(all), len(seconds))
	}
	// The halves of each composite value go to different parts: value1s
	// first, value2s last, padding between.
	vals := firsts
	for i := range 3 * splitMin {
		vals = append(vals, fmt.Sprintf("nothing-%d.invalid", i))
	}
	vals = append(vals, seconds...)
	p := Params{Value: Terms{OR: vals}}
	if n := len(splitValues(p)); n < 2 {
		t.Skipf("one core: the search is not split (%d part)", n)
	}
	for _, rows := range []int{wholeRows, 2} {
		for name, a := range map[string]*store.Actor{"admin": f.admin, "viewer": f.viewer, "other": f.other} {
			split := attributeIDs(t, f, a, p, rows, splitParts)
			whole := attributeIDs(t, f, a, p, rows, 1)
			if !slices.Equal(split, whole) {
				t.Errorf("%s, %d held whole: split found %v, whole %v", name, rows, split, whole)
			}
			if name == "admin" && len(whole) != len(all) {
				t.Errorf("admin: found %d attributes, want all %d", len(whole), len(all))
			}
			sorted := slices.Clone(split)
			slices.Sort(sorted)
			if len(slices.Compact(sorted)) != len(split) {
				t.Errorf("%s: an attribute came twice: %v", name, split)
			}
		}
	}
}

// attributeIDs runs an attribute search in parts parts, holding rows
// attributes whole, and returns the ids found in order.
func attributeIDs(t *testing.T, f *exportFixture, a *store.Actor, p Params, rows, parts int) []int64 {
	t.Helper()
	defer func(w, s int) { wholeRows, splitParts = w, s }(wholeRows, splitParts)
	wholeRows, splitParts = rows, parts
	attrs, total, err := Attributes(context.Background(), f.st, a, p)
	if err != nil {
		t.Fatal(err)
	}
	if total != int64(len(attrs)) {
		t.Errorf("total %d, %d attributes", total, len(attrs))
	}
	var ids []int64
	for _, at := range attrs {
		ids = append(ids, at.ID)
	}
	return ids
}

// TestSplitSearchStopsOnError cancels a split search: it fails with the
// context's error and leaves no part running (each part returns its
// connection, so the pool is whole afterwards).
func TestSplitSearchStopsOnError(t *testing.T) {
	f := newExportFixture(t)
	var vals []string
	for i := range 2 * splitMin {
		vals = append(vals, fmt.Sprintf("nothing-%d.invalid", i))
	}
	p := Params{Value: Terms{OR: vals}}
	if len(splitValues(p)) < 2 {
		t.Skip("one core: the search is not split")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Attributes(ctx, f.st, f.admin, p); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled split search: got %v, want context.Canceled", err)
	}
	if n := f.st.DB().Stats().InUse; n != 0 {
		t.Errorf("%d connections still in use after the search returned", n)
	}
}
