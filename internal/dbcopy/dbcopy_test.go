package dbcopy

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/store"
)

// looseRows fill a table added outside the migrations, without a primary
// key: values equal but for case, duplicates, NULLs, empty strings and
// bytes, so that verification must order both sides byte for byte.
var looseRows = []string{
	`('b', 1, x'00')`, `('B', 1, x'00')`, `('a', NULL, NULL)`, `('é', 1, x'ff')`, `('É', 2, x'')`,
	`('b', 1, x'00')`, `(NULL, 3, NULL)`, `('', 3, NULL)`,
}

// addLooseTable creates the table in st, holding looseRows when fill is set.
func addLooseTable(t testing.TB, st *store.Store, fill bool) {
	t.Helper()
	ddl := `CREATE TABLE zz_loose (label TEXT COLLATE NOCASE, n INTEGER, raw BLOB)`
	if st.Dialect() == "postgres" {
		ddl = `CREATE TABLE zz_loose (label TEXT COLLATE cairn_nocase, n BIGINT, raw BYTEA)`
	}
	stmts := []string{ddl}
	if fill {
		stmts = append(stmts, `INSERT INTO zz_loose (label, n, raw) VALUES `+strings.Join(looseRows, ", "))
	}
	execAll(t, st, stmts...)
}

func execAll(t testing.TB, st *store.Store, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := st.WriteDB().ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func mustCopy(t testing.TB, src, dst *store.Store) Result {
	t.Helper()
	res, err := Copy(context.Background(), src, dst, Options{})
	if err != nil {
		t.Fatalf("Copy: %v", err)
	}
	return res
}

func mustVerify(t testing.TB, src, dst *store.Store) Verification {
	t.Helper()
	v, err := Verify(context.Background(), src, dst, Options{})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if bad := v.Mismatched(); len(bad) > 0 {
		var out strings.Builder
		_ = v.WriteText(&out)
		t.Fatalf("got mismatched tables %v, want none:\n%s", bad, out.String())
	}
	return v
}

// eventsJSON returns every event of st, deleted parts included, as the
// store reads them for its site administrator.
func eventsJSON(t testing.TB, st *store.Store) string {
	t.Helper()
	ctx := context.Background()
	a, err := st.CLIActor(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := st.DB().QueryContext(ctx, `SELECT id FROM events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	events, err := st.LoadEvents(ctx, a, ids, store.LoadOptions{Deleted: store.DeletedBoth, WithAttachments: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(events)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// indexes lists the definitions of st's indexes, which the copy drops and
// builds again.
func indexes(t testing.TB, st *store.Store) []string {
	t.Helper()
	q := `SELECT name || ': ' || COALESCE(sql, '') FROM sqlite_master WHERE type = 'index' ORDER BY name`
	if st.Dialect() == "postgres" {
		q = `SELECT indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname`
	}
	rows, err := st.DB().QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var defs []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}
		defs = append(defs, d)
	}
	if len(defs) < 10 {
		t.Fatalf("got %d indexes, want the schema's", len(defs))
	}
	return defs
}

// sqliteSequence returns the last id SQLite handed out in table.
func sqliteSequence(t testing.TB, st *store.Store, table string) int64 {
	t.Helper()
	var seq int64
	err := st.DB().QueryRowContext(context.Background(), `SELECT seq FROM sqlite_sequence WHERE name = ?`, table).Scan(&seq)
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

func TestCopy(t *testing.T) {
	src, _ := filled(t)
	addLooseTable(t, src, true)
	want := eventsJSON(t, src)
	eventSeq, attrSeq := sqliteSequence(t, src, "events"), sqliteSequence(t, src, "attributes")

	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			ctx := context.Background()
			dst := tg.open(t)
			addLooseTable(t, dst, false)
			wantIndexes := indexes(t, dst)
			var last Progress
			res, err := Copy(ctx, src, dst, Options{Progress: func(p Progress) { last = p }})
			if err != nil {
				t.Fatalf("Copy: %v", err)
			}
			if last.Phase != "copy" || last.Done != res.Rows || last.Total != res.Rows {
				t.Errorf("got last progress %+v, want copy %d of %d rows", last, res.Rows, res.Rows)
			}

			if got := indexes(t, dst); !slices.Equal(got, wantIndexes) {
				t.Errorf("got indexes after the copy\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantIndexes, "\n"))
			}
			v := mustVerify(t, src, dst)
			for _, name := range []string{"events", "attributes", "objects", "event_tags", "attribute_tags",
				"sightings", "users", "auth_keys", "feeds", "sharing_groups", "settings", "zz_loose"} {
				i := slices.IndexFunc(v, func(c TableCheck) bool { return c.Table == name })
				if i < 0 || v[i].SourceRows == 0 {
					t.Errorf("table %s: got %+v, want it checked with rows", name, v)
				}
			}
			if got := eventsJSON(t, dst); got != want {
				t.Errorf("events read back from %s differ from the source's:\ngot  %.400s\nwant %.400s", tg.name, got, want)
			}
			if got, err := dst.Setting(ctx, "copy_test"); err != nil || got != "kept" {
				t.Errorf("got setting %q, %v, want kept", got, err)
			}
			checkNextIDs(t, dst, eventSeq, attrSeq)
		})
	}
}

// checkNextIDs saves an event on dst and wants the ids after the source's
// sequences, past the deleted ones.
func checkNextIDs(t *testing.T, dst *store.Store, eventSeq, attrSeq int64) {
	t.Helper()
	ctx := context.Background()
	a, err := dst.CLIActor(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	id := saveEvent(t, dst, a, `{"info": "after the copy", "Attribute": [{"type": "md5", "value": "0749bae92ca336a02c83d126e04ec628"}]}`)
	e, err := dst.EventByRef(ctx, a, id, store.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if e.ID != eventSeq+1 || e.Attribute[0].ID != attrSeq+1 {
		t.Errorf("got event %d and attribute %d, want %d and %d (after the source's sequences)",
			e.ID, e.Attribute[0].ID, eventSeq+1, attrSeq+1)
	}
}

func TestCopyRefuses(t *testing.T) {
	src, _ := filled(t)
	cases := []struct {
		name    string
		prepare func(t *testing.T, dst *store.Store)
		want    error
	}{
		{"target initialised", func(t *testing.T, dst *store.Store) {
			if _, err := dst.Initialise(context.Background(), store.Bootstrap{OrgName: "Other", AdminEmail: "a@b.test",
				KeyHash: "k", RawKey: "0123456789abcdef"}); err != nil {
				t.Fatal(err)
			}
		}, ErrTargetNotEmpty},
		{"copied already", func(t *testing.T, dst *store.Store) { mustCopy(t, src, dst) }, ErrTargetNotEmpty},
		{"a setting only", func(t *testing.T, dst *store.Store) {
			if err := dst.SetSetting(context.Background(), "feeds_directory", "/srv/feeds"); err != nil {
				t.Fatal(err)
			}
		}, ErrTargetNotEmpty},
		{"schema versions differ", func(t *testing.T, dst *store.Store) {
			execAll(t, dst, `INSERT INTO schema_migrations (version, applied) VALUES (999, 0)`)
		}, ErrSchemaMismatch},
	}
	for _, tg := range targets {
		for _, tc := range cases {
			t.Run(tg.name+"/"+tc.name, func(t *testing.T) {
				dst := tg.open(t)
				tc.prepare(t, dst)
				_, err := Copy(context.Background(), src, dst, Options{})
				if !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
			})
		}
	}
}

func TestCopyRefusesASourceInUse(t *testing.T) {
	src, _ := filled(t)
	ctx := context.Background()
	if err := src.RegisterNode(ctx, store.Node{ID: "live", Heartbeat: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if _, err := Copy(ctx, src, openSQLite(t), Options{}); !errors.Is(err, ErrSourceInUse) {
		t.Fatalf("a node serving the source: got %v, want %v", err, ErrSourceInUse)
	}
	if err := src.StopNode(ctx, "live"); err != nil {
		t.Fatal(err)
	}
	if _, err := Copy(ctx, src, openSQLite(t), Options{}); err != nil {
		t.Fatalf("the node stopped: got %v, want the copy done", err)
	}
}

func TestCopyRefusesTableMissingFromTarget(t *testing.T) {
	src := openSQLite(t)
	addLooseTable(t, src, true)
	_, err := Copy(context.Background(), src, openSQLite(t), Options{})
	if !errors.Is(err, ErrSchemaMismatch) || !strings.Contains(err.Error(), "zz_loose") {
		t.Fatalf("got %v, want a schema mismatch naming zz_loose", err)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	src, _ := filled(t)
	cases := []struct {
		name   string
		tamper string
		want   []string
	}{
		{"changed value", `UPDATE attributes SET comment = 'tampered' WHERE id = (SELECT MIN(id) FROM attributes)`,
			[]string{"attributes"}},
		{"case only", `UPDATE attributes SET value1 = upper(value1) WHERE value1 = 'evil.example'`, []string{"attributes"}},
		{"empty for NULL", `UPDATE attributes SET object_relation = '' WHERE object_relation IS NULL`, []string{"attributes"}},
		{"deleted row", `DELETE FROM sightings WHERE id = (SELECT MAX(id) FROM sightings)`, []string{"sightings"}},
		{"added row", `INSERT INTO settings (name, value) VALUES ('extra', '')`, []string{"settings"}},
		{"flipped flag", `UPDATE event_tags SET local = 1 - local`, []string{"event_tags"}},
	}
	for _, tg := range targets {
		for _, tc := range cases {
			t.Run(tg.name+"/"+tc.name, func(t *testing.T) {
				dst := tg.open(t)
				mustCopy(t, src, dst)
				execAll(t, dst, tc.tamper)
				v, err := Verify(context.Background(), src, dst, Options{})
				if err != nil {
					t.Fatal(err)
				}
				if got := v.Mismatched(); !slices.Equal(got, tc.want) {
					t.Errorf("got mismatched %v, want %v", got, tc.want)
				}
				var out strings.Builder
				if err := v.WriteText(&out); err != nil || !strings.Contains(out.String(), "DIFFERS") {
					t.Errorf("got report %q, %v, want a DIFFERS line", out.String(), err)
				}
			})
		}
	}
}

// TestRoundTrip copies SQLite to PostgreSQL and back, and wants the end
// equal to the start.
func TestRoundTrip(t *testing.T) {
	src, _ := filled(t)
	pg := openPostgres(t)
	mustCopy(t, src, pg)
	mustVerify(t, src, pg)
	back := openSQLite(t)
	mustCopy(t, pg, back)
	mustVerify(t, pg, back)
	mustVerify(t, src, back)
	if got, want := eventsJSON(t, back), eventsJSON(t, src); got != want {
		t.Errorf("events after the round trip differ:\ngot  %.400s\nwant %.400s", got, want)
	}
	for _, table := range []string{"events", "attributes", "organisations", "users"} {
		if got, want := sqliteSequence(t, back, table), sqliteSequence(t, src, table); got != want {
			t.Errorf("table %s: got sequence %d after the round trip, want %d", table, got, want)
		}
	}
}

// TestFailedCopyLeavesTargetEmpty breaks one row PostgreSQL cannot take
// and wants an error naming it, and nothing in the target.
func TestFailedCopyLeavesTargetEmpty(t *testing.T) {
	src, _ := filled(t)
	pg := openPostgres(t)
	execAll(t, src, `UPDATE attributes SET comment = 'a' || char(0) || 'b' WHERE id = (SELECT MAX(id) FROM attributes)`)
	_, err := Copy(context.Background(), src, pg, Options{})
	if err == nil || !strings.Contains(err.Error(), "table attributes, column comment") ||
		!strings.Contains(err.Error(), "NUL") || !strings.Contains(err.Error(), "row (id=") {
		t.Fatalf("got %v, want an error naming attributes.comment, the row and the NUL byte", err)
	}
	var n int
	if err := pg.DB().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM organisations`).Scan(&n); err != nil || n != 0 {
		t.Errorf("got %d organisations in the target, %v, want none after a failed copy", n, err)
	}
}

// TestCopyLeavesNodeStateBehind runs a node on the source that stopped while
// it held a job and a feed, and wants the target without the node, its own
// jobs and its claims, yet with the shared job's history, and verified.
func TestCopyLeavesNodeStateBehind(t *testing.T) {
	src, _ := filled(t)
	ctx := context.Background()
	const node = "vm:13611"
	if err := src.RegisterNode(ctx, store.Node{ID: node, Heartbeat: time.Minute}); err != nil {
		t.Fatal(err)
	}
	for _, claim := range []func(context.Context, string, string, time.Duration) (bool, error){
		src.ClaimJob, src.ClaimNodeJob} {
		if ok, err := claim(ctx, "pull", node, time.Hour); err != nil || !ok {
			t.Fatalf("claim a job: got %v, %v, want it claimed", ok, err)
		}
	}
	var feedID int64
	if err := src.DB().QueryRowContext(ctx, `SELECT MIN(id) FROM feeds`).Scan(&feedID); err != nil {
		t.Fatal(err)
	}
	if ok, err := src.ClaimFeed(ctx, store.FeedClaim{FeedID: feedID, Node: node, Stale: time.Hour}); err != nil || !ok {
		t.Fatalf("claim the feed: got %v, %v, want it claimed", ok, err)
	}
	if err := src.StopNode(ctx, node); err != nil {
		t.Fatal(err)
	}
	// A write lease the node left, as a process that died mid-write does.
	if _, err := src.DB().ExecContext(ctx, `INSERT INTO write_leases (started) VALUES (1800000000)`); err != nil {
		t.Fatal(err)
	}

	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			dst := tg.open(t)
			mustCopy(t, src, dst)
			mustVerify(t, src, dst)
			if nodes, err := dst.Nodes(ctx); err != nil || len(nodes) != 0 {
				t.Errorf("got nodes %+v, %v, want none", nodes, err)
			}
			jobs, err := dst.JobStates(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(jobs) != 1 || jobs[0].Name != "pull" || jobs[0].Runs != 1 || !jobs[0].LeaseUntil.IsZero() {
				t.Errorf("got jobs %+v, want the shared job pull, run once and held by no lease", jobs)
			}
			var since int64
			var holder string
			err = dst.DB().QueryRowContext(ctx, `SELECT pulling_since, pulling_node FROM feeds WHERE id = `+
				strconv.FormatInt(feedID, 10)).Scan(&since, &holder)
			if err != nil || since != 0 || holder != "" {
				t.Errorf("got the feed pulled since %d by %q, %v, want no pull", since, holder, err)
			}
			var leases int
			if err := dst.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM write_leases`).Scan(&leases); err != nil || leases != 0 {
				t.Errorf("got %d write leases, %v, want none", leases, err)
			}
		})
	}
}
