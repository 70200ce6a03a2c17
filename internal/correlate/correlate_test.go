package correlate

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/store"
	"github.com/cairn-intel/cairn/internal/store/storetest"
)

func setup(t *testing.T) (*store.Store, *store.Actor) {
	t.Helper()
	st := storetest.Open(t, store.Options{})
	ctx := context.Background()
	if _, err := st.Initialise(ctx, store.Bootstrap{OrgName: "Host", AdminEmail: "admin@host.test", KeyHash: "h", RawKey: "k"}); err != nil {
		t.Fatal(err)
	}
	a, err := st.CLIActor(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	return st, a
}

func save(t *testing.T, st *store.Store, a *store.Actor, value string) int64 {
	t.Helper()
	var e misp.Event
	doc := fmt.Sprintf(`{"info": "e", "Attribute": [{"type": "domain", "value": %q}]}`, value)
	if err := json.Unmarshal([]byte(doc), &e); err != nil {
		t.Fatal(err)
	}
	res, err := st.SaveEvent(context.Background(), a, &e, store.SaveOptions{Mode: store.ModeCreate})
	if err != nil {
		t.Fatal(err)
	}
	return res.EventID
}

func TestWorkerCorrelatesWritesInTheBackground(t *testing.T) {
	st, a := setup(t)
	stop := Start(context.Background(), st, slog.New(slog.DiscardHandler), Options{Poll: time.Hour})
	defer stop()
	first := save(t, st, a, "worker.example")
	second := save(t, st, a, "worker.example")
	deadline := time.Now().Add(10 * time.Second)
	for {
		rel, err := st.RelatedEvents(context.Background(), a, first)
		if err != nil {
			t.Fatal(err)
		}
		if len(rel) == 1 && rel[0].Event.ID == second {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("got related %v 10 s after the writes, want event %d", rel, second)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestLargeBacklogIsRebuilt(t *testing.T) {
	st, a := setup(t)
	ctx := context.Background()
	var ids []int64
	for i := range 6 {
		ids = append(ids, save(t, st, a, fmt.Sprintf("host%d.example", i%3)))
	}
	if err := Pass(ctx, st, slog.New(slog.DiscardHandler), Options{RebuildAbove: 5}); err != nil {
		t.Fatal(err)
	}
	if n, err := st.CorrelationQueueLength(ctx); err != nil || n != 0 {
		t.Fatalf("got %d queued, %v after a pass, want 0", n, err)
	}
	for i, id := range ids {
		rel, err := st.RelatedEvents(ctx, a, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(rel) != 1 || rel[0].Event.ID != ids[(i+3)%6] {
			t.Errorf("event %d: got related %v, want event %d", id, rel, ids[(i+3)%6])
		}
	}
}
