package store

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// An item of a list feed holding text PostgreSQL cannot store is refused
// with its line on both databases; the batch is staged without it.
func TestStageRefusesTextThatCannotBeStored(t *testing.T) {
	s, a := newTestStore(t)
	ctx := context.Background()
	f, err := s.CreateFeed(ctx, testFeed("texts"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.StageFeedItems(ctx, f.ID, []FeedItem{
		{Line: 1, Type: "domain", Value: "good.example", Comment: "fine"},
		{Line: 2, Type: "domain", Value: "nul.example", Comment: "a\x00b"},
		{Line: 3, Type: "domain", Value: "tag.example", Tags: []string{"ok", "caf\xe9"}},
		{Line: 4, Type: "text", Value: "v\x00"},
		{Line: 5, Type: "domain", Value: "also-good.example"},
	}, FeedStageOptions{})
	if err != nil {
		t.Fatalf("got %v, want the bad items refused and the rest staged", err)
	}
	var lines []int
	for _, rj := range res.Rejected {
		lines = append(lines, rj.Line)
	}
	if res.Staged != 2 || !slices.Equal(lines, []int{2, 3, 4}) {
		t.Fatalf("got %+v, want 2 staged and lines 2, 3 and 4 refused", res)
	}
	for _, rj := range res.Rejected {
		if !strings.Contains(rj.Reason, "NUL character") && !strings.Contains(rj.Reason, "not valid UTF-8") {
			t.Errorf("line %d: got reason %q, want it to name the NUL or the UTF-8", rj.Line, rj.Reason)
		}
	}
	applied, err := s.ApplyFeedPull(ctx, a, f.ID, FeedApplyOptions{})
	if err != nil || applied.Created != 2 {
		t.Errorf("apply: got %+v, %v, want 2 values created", applied, err)
	}
}
