package search

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/cairn-intel/cairn/internal/store"
)

// TestAttributeObjectSummary checks the Object an attributes/restSearch
// shows for an attribute inside an object: the object's id, distribution
// and sharing group as stored, in an answer read whole and in one read in
// chunks; and no Object for an attribute outside any object.
func TestAttributeObjectSummary(t *testing.T) {
	f := newExportFixture(t)
	ctx := context.Background()
	sg, err := f.st.CreateSharingGroup(ctx, f.admin, store.SharingGroupInput{Name: "Partners"})
	if err != nil {
		t.Fatal(err)
	}
	// The actors' sharing groups are read when they are made.
	admin, err := f.st.CLIActor(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	viewer, err := f.st.ActorForUser(ctx, f.viewer.User.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.save(t, admin, fmt.Sprintf(`{"info": "Objects", "distribution": 1, "Attribute": [
		{"type": "domain", "category": "Network activity", "value": "loose.example"}],
	"Object": [
		{"name": "domain-ip", "meta-category": "network", "distribution": 4, "sharing_group_id": "%d", "Attribute": [
			{"type": "domain", "category": "Network activity", "object_relation": "domain", "value": "grouped.example"}]},
		{"name": "domain-ip", "meta-category": "network", "distribution": 3, "Attribute": [
			{"type": "domain", "category": "Network activity", "object_relation": "domain", "value": "open.example"}]}
	]}`, sg), true)
	objectIDs := map[string]int64{}
	for _, v := range []string{"grouped.example", "open.example"} {
		var id int64
		err := f.st.DB().QueryRowContext(ctx, f.st.Rebind(`SELECT object_id FROM attributes WHERE value1 = ?`), v).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		objectIDs[v] = id
	}
	want := map[string]string{
		"grouped.example": fmt.Sprintf(`{"id":"%d","distribution":"4","sharing_group_id":"%d"}`, objectIDs["grouped.example"], sg),
		"open.example":    fmt.Sprintf(`{"id":"%d","distribution":"3","sharing_group_id":"0"}`, objectIDs["open.example"]),
		"loose.example":   "",
	}

	p := parseBody(t, map[string]any{"value": []string{"grouped.example", "open.example", "loose.example"}})
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("chunked %v", chunked), func(t *testing.T) {
			if chunked {
				answerLimits(t, 1, 2)
			}
			x, err := PrepareAttributes(ctx, f.st, viewer, p)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			err = x.Each(ctx, func(chunk []store.Attribute) error {
				for _, at := range chunk {
					got[at.Value()] = objectJSON(t, at)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Errorf("found %d attributes, want %d", len(got), len(want))
			}
			for v, w := range want {
				if got[v] != w {
					t.Errorf("%s: got Object %s, want %s", v, got[v], w)
				}
			}
		})
	}
}

// objectJSON returns the Object the attribute's json shows, or "" when it
// shows none.
func objectJSON(t *testing.T, at store.Attribute) string {
	t.Helper()
	raw, err := json.Marshal(at)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	return string(fields["Object"])
}
