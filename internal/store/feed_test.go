package store

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/misp"
)

func testFeed(name string) Feed {
	return Feed{Name: name, URL: "https://feed.example/" + name, SourceFormat: "freetext", Schedule: time.Hour,
		FixedEvent: true, Enabled: true}
}

func TestFeedCRUD(t *testing.T) {
	s, a := newTestStore(t)
	ctx := context.Background()
	f, err := s.CreateFeed(ctx, Feed{Name: "list", URL: "https://feed.example/list", SourceFormat: "csv",
		Schedule: time.Hour, Tags: []string{"tlp:clear"}, AuthHeader: "Auth-Key", AuthSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if f.OrgcID != a.Org.ID || f.Settings != "{}" || f.Tags[0] != "tlp:clear" || f.AuthSecret != "s" {
		t.Errorf("got orgc %d settings %q tags %v secret %q, want the host org, {}, the tag and the secret",
			f.OrgcID, f.Settings, f.Tags, f.AuthSecret)
	}
	tests := []struct {
		name string
		edit func(*Feed)
	}{
		{"name taken, other case", func(f *Feed) { f.Name = "LIST" }},
		{"no url", func(f *Feed) { f.URL = " " }},
		{"unknown format", func(f *Feed) { f.SourceFormat = "xml" }},
		{"schedule too short", func(f *Feed) { f.Schedule = time.Second }},
		{"distribution 5 on a list feed", func(f *Feed) { f.Distribution = 5 }},
		{"sharing group missing", func(f *Feed) { f.Distribution, f.SharingGroupID = 4, 99 }},
		{"unknown organisation", func(f *Feed) { f.OrgcID = 99 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := testFeed("other")
			tt.edit(&bad)
			if _, err := s.CreateFeed(ctx, bad); !errors.Is(err, ErrInvalid) {
				t.Errorf("got %v, want ErrInvalid", err)
			}
		})
	}

	f.Provider, f.Schedule = "someone", 6*time.Hour
	got, err := s.UpdateFeed(ctx, f)
	if err != nil || got.Provider != "someone" || got.Schedule != 6*time.Hour {
		t.Fatalf("update: got %+v, %v", got, err)
	}
	if err := s.EnableFeed(ctx, f.ID, true); err != nil {
		t.Fatal(err)
	}
	byName, err := s.FeedByRef(ctx, "List")
	if err != nil || !byName.Enabled || byName.ID != f.ID {
		t.Errorf("by name: got %+v, %v", byName, err)
	}
	if err := s.DeleteFeed(ctx, f.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FeedByRef(ctx, "list"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after delete: got %v, want ErrNotFound", err)
	}
}

func TestFeedClaimAndHistory(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_750_000_000, 0)
	s := openTestStore(t, Options{Now: func() time.Time { return now }})
	if _, err := s.Initialise(ctx, Bootstrap{OrgName: "Host", AdminEmail: "a@h.test", KeyHash: "h", RawKey: "k"}); err != nil {
		t.Fatal(err)
	}
	f, err := s.CreateFeed(ctx, testFeed("claimed"))
	if err != nil {
		t.Fatal(err)
	}
	claim := func(node string) bool {
		ok, err := s.ClaimFeed(ctx, FeedClaim{FeedID: f.ID, Node: node, Stale: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	first, second := claim("a"), claim("b")
	now = now.Add(2 * time.Minute)
	takeover := claim("b")
	if !first || second || !takeover {
		t.Errorf("got claims %v %v %v, want true, false, then a takeover of the stale claim", first, second, takeover)
	}
	if ok, err := s.RenewFeedClaim(ctx, f.ID, "a"); ok || err != nil {
		t.Errorf("renewal by the node that lost the claim: got %v, %v, want false", ok, err)
	}
	if ok, err := s.RenewFeedClaim(ctx, f.ID, "b"); !ok || err != nil {
		t.Errorf("renewal by the holder: got %v, %v, want true", ok, err)
	}
	if _, err := s.ClaimFeed(ctx, FeedClaim{FeedID: 999, Stale: time.Minute}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown feed: got %v, want ErrNotFound", err)
	}
	// The pull of the node that lost the claim is recorded but leaves the
	// holder's claim alone; the holder's releases it.
	if err := s.RecordFeedPull(ctx, FeedPull{FeedID: f.ID, Node: "a", Started: now.Unix(), Report: "{}"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FeedByRef(ctx, "claimed"); got.Health.PullingSince == 0 || got.Health.PullingNode != "b" {
		t.Errorf("after the loser recorded: got claim %d by %q, want b's claim kept", got.Health.PullingSince,
			got.Health.PullingNode)
	}
	if err := s.RecordFeedPull(ctx, FeedPull{FeedID: f.ID, Node: "b", Started: now.Unix(), Report: "{}"}); err != nil {
		t.Fatal(err)
	}
	// A node deciding from a listing older than that pull does not pull
	// again; one deciding from a fresh listing does.
	seen := FeedHealth{LastFetchStarted: now.Unix() - 120}
	if ok, _ := s.ClaimFeed(ctx, FeedClaim{FeedID: f.ID, Node: "a", Stale: time.Minute, Seen: &seen}); ok {
		t.Error("a claim from a stale listing succeeded")
	}
	fresh, _ := s.FeedByRef(ctx, "claimed")
	if ok, _ := s.ClaimFeed(ctx, FeedClaim{FeedID: f.ID, Node: "a", Stale: time.Minute,
		Seen: &fresh.Health}); !ok {
		t.Error("a claim from a fresh listing failed")
	}
	// A node that listed the feed while a's pull ran does not pull it
	// again once that pull has ended, whether it succeeded or failed
	// (TestTwoNodes saw two downloads of one due feed this way).
	for _, success := range []bool{true, false} {
		during, _ := s.FeedByRef(ctx, "claimed")
		if during.Health.PullingSince == 0 {
			t.Fatal("the feed is not being pulled")
		}
		if err := s.RecordFeedPull(ctx, FeedPull{FeedID: f.ID, Node: "a", Started: during.Health.LastFetchStarted,
			Finished: now.Unix() + 1, Success: success, Report: "{}"}); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.ClaimFeed(ctx, FeedClaim{FeedID: f.ID, Node: "b", Stale: time.Minute, Seen: &during.Health}); ok {
			t.Errorf("success %v: a claim from a listing made during the pull succeeded after it", success)
		}
		after, _ := s.FeedByRef(ctx, "claimed")
		if ok, _ := s.ClaimFeed(ctx, FeedClaim{FeedID: f.ID, Node: "a", Stale: time.Minute, Seen: &after.Health}); !ok {
			t.Fatalf("success %v: a claim from a listing made after the pull failed", success)
		}
	}

	for i := range feedPullHistory + 5 {
		ok := i%2 == 0
		if err := s.RecordFeedPull(ctx, FeedPull{FeedID: f.ID, Node: "a", Started: now.Unix() + int64(i),
			Finished: now.Unix(), Success: ok, Error: map[bool]string{false: "boom"}[ok], Report: "{}"}); err != nil {
			t.Fatal(err)
		}
	}
	pulls, err := s.FeedPulls(ctx, f.ID, 1000)
	if err != nil || len(pulls) != feedPullHistory {
		t.Fatalf("got %d pulls (%v), want %d kept", len(pulls), err, feedPullHistory)
	}
	got, _ := s.FeedByRef(ctx, "claimed")
	// The last pull (i = 104) succeeded; the one before failed.
	if got.Health.ErrorStreak != 0 || got.Health.LastError != "" || got.Health.PullingSince != 0 ||
		got.Health.LastSuccess != now.Unix()+feedPullHistory+4 {
		t.Errorf("got health %+v", got.Health)
	}
}

func TestApplyFeedPull(t *testing.T) {
	s, a := newTestStore(t)
	ctx := context.Background()
	f, err := s.CreateFeed(ctx, testFeed("apply"))
	if err != nil {
		t.Fatal(err)
	}
	stage := func(items ...FeedItem) FeedStageResult {
		t.Helper()
		res, err := s.StageFeedItems(ctx, f.ID, items, FeedStageOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	seen := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	res := stage(
		FeedItem{Line: 1, Type: "ip-dst|port", Value: "198.51.100.1|443", Comment: "c2", Tags: []string{"kind:c2"}},
		FeedItem{Line: 2, Type: "url", Value: "http://bad.example/A"},
		FeedItem{Line: 3, Type: "url", Value: "http://bad.example/A"},
		FeedItem{Line: 4, Type: "no-such-type", Value: "x"},
		FeedItem{Line: 5, Type: "domain", Value: "bad.example", FirstSeen: seen, LastSeen: seen.Add(-time.Hour)},
	)
	if res.Staged != 3 || res.Duplicates != 1 || len(res.Rejected) != 1 || res.Rejected[0].Line != 4 {
		t.Fatalf("stage: got %+v, want 3 staged, 1 duplicate, line 4 rejected", res)
	}
	applied, err := s.ApplyFeedPull(ctx, a, f.ID, FeedApplyOptions{DeltaMerge: true})
	if err != nil || !applied.EventCreated || applied.Created != 3 {
		t.Fatalf("apply: got %+v, %v, want an event with 3 values", applied, err)
	}
	ev, err := s.EventByRef(ctx, a, itoa(applied.EventID), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Info != "apply" || len(ev.Attribute) != 3 || ev.Attribute[0].Value() != "198.51.100.1|443" ||
		len(ev.Attribute[0].Tag) != 1 || ev.Attribute[2].LastSeen != nil {
		t.Errorf("got event %q with %d attributes, first %q with tags %v", ev.Info, len(ev.Attribute),
			ev.Attribute[0].Value(), ev.Attribute[0].Tag)
	}

	// Again, with a new comment on line 1 and the URL gone.
	stage(FeedItem{Line: 1, Type: "ip-dst|port", Value: "198.51.100.1|443", Comment: "c2 online"},
		FeedItem{Line: 2, Type: "domain", Value: "bad.example"})
	again, err := s.ApplyFeedPull(ctx, a, f.ID, FeedApplyOptions{DeltaMerge: true})
	if err != nil || again.EventID != applied.EventID || again.Updated != 1 || again.Unchanged != 1 ||
		again.Deleted != 1 || again.Created != 0 {
		t.Errorf("second apply: got %+v, %v, want 1 updated, 1 unchanged, 1 deleted in the same event", again, err)
	}
	var staged int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM feed_staging`).Scan(&staged); err != nil || staged != 0 {
		t.Errorf("got %d staged rows left, want 0", staged)
	}
}

func TestSaveEventStreamIsWholeOrNothing(t *testing.T) {
	s, a := newTestStore(t)
	ctx := context.Background()
	events := []string{
		`{"uuid": "6a1f0c2e-0000-4000-8000-00000000000a", "info": "one", "timestamp": "1700000000"}`,
		`{"uuid": "6a1f0c2e-0000-4000-8000-00000000000b", "info": "", "timestamp": "1700000000"}`,
	}
	i := 0
	var refused int
	next := func() (*misp.Event, error) {
		if i == len(events) {
			return nil, errors.New("the source broke")
		}
		i++
		return event(t, events[i-1]), nil
	}
	err := s.SaveEventStream(ctx, a, next, SaveOptions{Mode: ModeUpsert, Preserve: true},
		func(_ SaveResult, err error) {
			if err != nil {
				refused++
			}
		})
	if err == nil || refused != 1 {
		t.Fatalf("got %v with %d refused, want the source's error and the empty info refused", err, refused)
	}
	if c, _ := s.Count(ctx); c.Events != 0 {
		t.Errorf("got %d events after a failed stream, want 0", c.Events)
	}
	i, events = 0, events[:1]
	next2 := func() (*misp.Event, error) {
		if i == len(events) {
			return nil, io.EOF
		}
		i++
		return event(t, events[i-1]), nil
	}
	if err := s.SaveEventStream(ctx, a, next2, SaveOptions{Mode: ModeUpsert, Preserve: true},
		func(SaveResult, error) {}); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Count(ctx); c.Events != 1 {
		t.Errorf("got %d events, want 1", c.Events)
	}
}

// A value longer than an index entry may be on PostgreSQL stages and applies
// like any other, and values differing only in case are one value.
func TestStageLongAndCaseFoldedValues(t *testing.T) {
	s, a := newTestStore(t)
	ctx := context.Background()
	f, err := s.CreateFeed(ctx, testFeed("long"))
	if err != nil {
		t.Fatal(err)
	}
	long := "http://bad.example/" + strings.Repeat("a", 6000)
	res, err := s.StageFeedItems(ctx, f.ID, []FeedItem{
		{Line: 1, Type: "url", Value: long},
		{Line: 2, Type: "domain", Value: "Bad.Example"},
		{Line: 3, Type: "domain", Value: "bad.example"},
	}, FeedStageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Staged != 2 || res.Duplicates != 1 {
		t.Fatalf("got %+v, want 2 staged and 1 duplicate", res)
	}
	applied, err := s.ApplyFeedPull(ctx, a, f.ID, FeedApplyOptions{})
	if err != nil || applied.Created != 2 {
		t.Fatalf("apply: got %+v, %v, want 2 values created", applied, err)
	}
}
