package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cairn-intel/cairn/internal/taxonomy"
)

// policyStore is newTestStore with the built-in taxonomies as tag policy,
// and a sync user of the same organisation.
func policyStore(t *testing.T) (*Store, *Actor, *Actor, *taxonomy.Registry) {
	t.Helper()
	s, a := newTestStore(t)
	reg := taxonomy.NewRegistry(nil)
	s.SetTagPolicy(reg)
	sync := *a
	sync.Role = Role{ID: 5, Name: "Sync user", Perms: map[string]bool{"perm_sync": true, "perm_add": true,
		"perm_modify_org": true, "perm_tagger": true, "perm_tag_editor": true}}
	return s, a, &sync, reg
}

// tagNames lists the names of tags.
func tagNames(tags []Tag) []string {
	var out []string
	for _, t := range tags {
		out = append(out, t.Name)
	}
	return out
}

// rejectedReasons lists "item: reason" of each rejection.
func rejectedReasons(rej []Rejection) []string {
	var out []string
	for _, r := range rej {
		out = append(out, r.Item+": "+r.Reason)
	}
	return out
}

func TestSaveEventTagPolicy(t *testing.T) {
	const doc = `{"info": "tagged", "Tag": [{"name": "tlp:green"}, {"name": "tlp:purple"}, {"name": "tlp:red"},
		{"name": "phishing"}, {"name": "PAP:AMBER"}, {"name": "tlp:green"}],
		"Attribute": [{"type": "ip-dst", "value": "198.51.100.4", "Tag": [
			{"name": "admiralty-scale:source-reliability=\"b\""},
			{"name": "admiralty-scale:source-reliability=\"c\""},
			{"name": "admiralty-scale:information-credibility=\"2\""}]}]}`
	all := []string{"PAP:AMBER", "phishing", "tlp:green", "tlp:purple", "tlp:red"}
	allAttr := []string{`admiralty-scale:information-credibility="2"`, `admiralty-scale:source-reliability="b"`,
		`admiralty-scale:source-reliability="c"`}
	cases := []struct {
		name       string
		sync       bool
		opts       SaveOptions
		wantEvent  []string
		wantAttr   []string
		wantReject []string // item and the start of the reason
	}{
		{"user", false, SaveOptions{Mode: ModeCreate},
			[]string{"PAP:AMBER", "phishing", "tlp:green"},
			[]string{`admiralty-scale:information-credibility="2"`, `admiralty-scale:source-reliability="b"`},
			[]string{`Attribute[0].Tag[1]: tag "admiralty-scale:source-reliability=\"c\"": the predicate ` +
				`admiralty-scale:source-reliability is exclusive and`,
				`Tag[1]: tag "tlp:purple": "purple" is not a predicate of the taxonomy tlp`,
				`Tag[2]: tag "tlp:red": the taxonomy tlp is exclusive and "tlp:green" is already attached`}},
		{"sync user", true, SaveOptions{Mode: ModeCreate}, all, allAttr, nil},
		{"copy of an event written elsewhere", false, SaveOptions{Mode: ModeUpsert, Preserve: true},
			all, allAttr, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, admin, sync, _ := policyStore(t)
			ctx := context.Background()
			a := admin
			if tc.sync {
				a = sync
			}
			res, err := s.SaveEvent(ctx, a, event(t, doc), tc.opts)
			if err != nil {
				t.Fatalf("got %v, want the event saved", err)
			}
			checkRejected(t, res.Rejected, tc.wantReject)
			e, err := s.EventByRef(ctx, admin, itoa(res.EventID), LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := sortedNames(e.Tag); !slices.Equal(got, tc.wantEvent) {
				t.Errorf("event tags: got %q, want %q", got, tc.wantEvent)
			}
			if got := sortedNames(e.Attribute[0].Tag); !slices.Equal(got, tc.wantAttr) {
				t.Errorf("attribute tags: got %q, want %q", got, tc.wantAttr)
			}
		})
	}
}

func sortedNames(tags []Tag) []string {
	names := tagNames(tags)
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return names
}

// checkRejected compares rejections with the wanted "item: reason"
// prefixes, in item order.
func checkRejected(t *testing.T, rej []Rejection, want []string) {
	t.Helper()
	got := rejectedReasons(rej)
	slices.Sort(got)
	if len(got) != len(want) {
		t.Fatalf("got rejections %q, want %d starting %q", got, len(want), want)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("rejection %d: got %q, want it to start %q", i, got[i], want[i])
		}
	}
}

func TestLaterWritesMeetTagsAlreadyAttached(t *testing.T) {
	s, a, _, _ := policyStore(t)
	ctx := context.Background()
	res, err := s.SaveEvent(ctx, a, event(t, `{"info": "first", "Tag": [{"name": "tlp:green"}],
		"Attribute": [{"uuid": "6a1f0c2e-0000-4000-8000-0000000000a1", "type": "ip-dst", "value": "198.51.100.5",
		"Tag": [{"name": "PAP:GREEN"}]}]}`), SaveOptions{Mode: ModeCreate})
	if err != nil {
		t.Fatal(err)
	}
	id := itoa(res.EventID)
	// The attribute is newer by a minute, within what the clock tolerates.
	newer := s.Now().Unix() + 60
	edit, err := s.SaveEvent(ctx, a, event(t, fmt.Sprintf(`{"info": "edited", "Tag": [{"name": "tlp:green"},
		{"name": "tlp:amber"}], "Attribute": [{"uuid": "6a1f0c2e-0000-4000-8000-0000000000a1", "type": "ip-dst",
		"value": "198.51.100.5", "timestamp": "%d", "Tag": [{"name": "PAP:RED"}]}]}`, newer)),
		SaveOptions{Mode: ModeEdit, TargetID: res.EventID})
	if err != nil {
		t.Fatal(err)
	}
	checkRejected(t, edit.Rejected, []string{
		`Attribute[0].Tag[0]: tag "PAP:RED": the taxonomy PAP is exclusive and "PAP:GREEN" is already attached`,
		`Tag[1]: tag "tlp:amber": the taxonomy tlp is exclusive and "tlp:green" is already attached`})

	added, _, err := s.AddChildren(ctx, a, id, event(t, `{"Attribute": [{"type": "domain", "value": "c2.example.net",
		"Tag": [{"name": "tlp:bogus"}, {"name": "tlp:red"}]}]}`).Attribute, event(t, `{}`).Object)
	if err != nil {
		t.Fatal(err)
	}
	checkRejected(t, added.Rejected, []string{`Attribute[0].Tag[0]: tag "tlp:bogus": "bogus" is not a predicate`})

	cases := []struct {
		name, target, tag string
		attribute         bool
		wantErr           string
	}{
		{"exclusive on the event", id, "tlp:red", false, `the taxonomy tlp is exclusive and "tlp:green"`},
		{"exclusive on the attribute", "6a1f0c2e-0000-4000-8000-0000000000a1", "PAP:CLEAR", true,
			`the taxonomy PAP is exclusive and "PAP:GREEN"`},
		{"undefined value", id, "tlp:purple", false, `"purple" is not a predicate of the taxonomy tlp`},
		{"free tag", id, "phishing", false, ""},
		{"other taxonomy", id, "PAP:RED", false, ""},
	}
	if _, err := s.SaveTag(ctx, a, Tag{Name: "phishing"}); err != nil {
		t.Fatal(err)
	}
	s.SetTagPolicy(nil) // tags made before the taxonomy was enabled
	for _, name := range []string{"tlp:purple", "tlp:red", "PAP:CLEAR", "PAP:RED"} {
		if _, err := s.SaveTag(ctx, a, Tag{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	s.SetTagPolicy(taxonomy.NewRegistry(nil))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := s.TagEvent(ctx, a, tc.target, tc.attribute, tc.tag, false, false)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("got %v, want the tag attached", err)
			case tc.wantErr != "" && (!errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("got %v, want an invalid-request error saying %q", err, tc.wantErr)
			}
		})
	}
}

func TestSaveTagPolicy(t *testing.T) {
	s, a, sync, reg := policyStore(t)
	ctx := context.Background()
	cases := []struct {
		name    string
		actor   *Actor
		tag     string
		disable string // taxonomy turned off first
		wantErr bool
	}{
		{"defined value", a, "tlp:amber+strict", "", false},
		{"synonym", a, "tlp:white", "", false},
		{"case as MISP compares", a, "TLP:CLEAR", "", false},
		{"undefined value", a, "tlp:purple", "", true},
		{"predicate needs a value", a, "admiralty-scale:source-reliability", "", true},
		{"free tag", a, "ransomware", "", false},
		{"unknown namespace", a, "acme:internal", "", false},
		{"sync user", sync, "tlp:orange", "", false},
		{"disabled taxonomy", a, "PAP:PURPLE", "PAP", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.disable != "" {
				tx, _ := reg.Find(tc.disable)
				if err := reg.SetEnabled(ctx, tx, false); err != nil {
					t.Fatal(err)
				}
			}
			_, err := s.SaveTag(ctx, tc.actor, Tag{Name: tc.tag})
			if got := err != nil; got != tc.wantErr || (err != nil && !errors.Is(err, ErrInvalid)) {
				t.Errorf("got %v, want error %v (invalid)", err, tc.wantErr)
			}
		})
	}
}
