package server

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/jobs"
	"github.com/cairn-intel/cairn/internal/store/pgtest"
)

// The nodes of the two-process test renew their claims every nodeBeat, so
// a dead node's claims go stale after jobs.LeaseBeats of them (4 s).
const (
	nodeBeat = 200 * time.Millisecond
	nodeKey  = "NodesTestAdminKey0123456789abcdefghijklm"
)

// TestTwoNodes starts two `cairn serve` processes on one empty PostgreSQL
// database at the same moment and checks that they act as one instance:
// one administrator, keys and events visible from both, a due feed pulled
// once, knowledge settings followed, and the pull of a node killed with
// SIGKILL completed by the other once its claim is stale.
func TestTwoNodes(t *testing.T) {
	dbURL := pgtest.Database(t) // skips, saying so, without CAIRN_TEST_POSTGRES
	bin := buildCairn(t)
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	nodes := map[string]*node{}
	for _, name := range []string{"node-a", "node-b"} {
		nodes[name] = startNode(t, bin, dbURL, name)
	}
	a, b := nodes["node-a"], nodes["node-b"]
	for _, n := range nodes {
		n.waitReady(t)
	}

	t.Run("one instance", func(t *testing.T) { checkOneInstance(t, db, a, b) })
	t.Run("keys", func(t *testing.T) { checkKeys(t, a, b) })
	t.Run("events", func(t *testing.T) { checkEvents(t, a, b) })
	t.Run("knowledge settings", func(t *testing.T) { checkKnowledge(t, a, b) })
	t.Run("a due feed is pulled once", func(t *testing.T) { checkFeedOnce(t, db, a) })
	t.Run("jobs", func(t *testing.T) { checkJobs(t, db) })
	t.Run("a killed node's pull is completed", func(t *testing.T) { checkKilledPull(t, db, nodes) })
}

// buildCairn builds the cairn binary into a temporary directory.
func buildCairn(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "cairn")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/cairn-intel/cairn/cmd/cairn").CombinedOutput()
	if err != nil {
		t.Fatalf("build cairn: %v\n%s", err, out)
	}
	return bin
}

// node is one `cairn serve` process of the test.
type node struct {
	name, base, logPath string
	cmd                 *exec.Cmd
}

func startNode(t *testing.T, bin, dbURL, name string) *node {
	t.Helper()
	dir := t.TempDir()
	n := &node{name: name, base: "http://" + freeAddr(t), logPath: filepath.Join(dir, "serve.log")}
	logFile, err := os.Create(n.logPath)
	if err != nil {
		t.Fatal(err)
	}
	n.cmd = exec.Command(bin, "serve", "--database", dbURL, "--data", filepath.Join(dir, "data"), "--plain-http",
		"--listen", n.base[len("http://"):], "--node", name, "--heartbeat", nodeBeat.String(), "--log-level", "debug")
	n.cmd.Env = append(os.Environ(), "CAIRN_ADMIN_KEY="+nodeKey)
	n.cmd.Stdout, n.cmd.Stderr = logFile, logFile
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if n.cmd.ProcessState == nil {
			_ = n.cmd.Process.Signal(os.Interrupt)
			done := make(chan struct{})
			go func() { _ = n.cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				_ = n.cmd.Process.Kill()
				<-done
				t.Errorf("%s did not stop within 10 s of SIGINT", name)
			}
		}
		logFile.Close()
		if t.Failed() {
			out, _ := os.ReadFile(n.logPath)
			t.Logf("log of %s:\n%s", name, out)
		}
	})
	return n
}

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (n *node) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, _ := n.call(t, "GET", "/servers/getVersion", nil, nodeKey)
		if status == http.StatusOK {
			return
		}
		if n.cmd.ProcessState != nil || time.Now().After(deadline) {
			t.Fatalf("%s did not start", n.name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// call sends one API request and returns the status and the decoded body.
func (n *node) call(t *testing.T, method, path string, body any, key string) (int, any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, n.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var out any
	_ = json.NewDecoder(resp.Body).Decode(&out) // an error body may not be JSON; the status says enough
	return resp.StatusCode, out
}

// mustCall is call for a request that must succeed.
func (n *node) mustCall(t *testing.T, method, path string, body any) any {
	t.Helper()
	status, out := n.call(t, method, path, body, nodeKey)
	if status != http.StatusOK {
		t.Fatalf("%s %s on %s: got status %d: %v", method, path, n.name, status, out)
	}
	return out
}

// field walks a decoded JSON document: strings index objects, ints lists.
func field(doc any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := doc.(map[string]any)
			doc = m[k]
		case int:
			l, _ := doc.([]any)
			if k >= len(l) {
				return nil
			}
			doc = l[k]
		}
	}
	return doc
}

func count(t *testing.T, db *sql.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitFor polls cond for up to 15 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func checkOneInstance(t *testing.T, db *sql.DB, a, b *node) {
	if users, orgs := count(t, db, `SELECT COUNT(*) FROM users`), count(t, db, `SELECT COUNT(*) FROM organisations`); users != 1 || orgs != 1 {
		t.Errorf("got %d users and %d organisations after two first starts, want 1 and 1", users, orgs)
	}
	for _, n := range []*node{a, b} {
		nodes := n.mustCall(t, "GET", "/cairn/nodes", nil)
		list, _ := nodes.([]any)
		alive := 0
		for _, item := range list {
			if field(item, "Node", "alive") == true {
				alive++
			}
		}
		if alive != 2 {
			t.Errorf("cairn/nodes on %s: got %d nodes alive, want 2: %v", n.name, alive, nodes)
		}
	}
}

func checkKeys(t *testing.T, a, b *node) {
	made := a.mustCall(t, "POST", "/auth_keys/add", map[string]any{"comment": "made on node a"})
	key, _ := field(made, "AuthKey", "authkey_raw").(string)
	id, _ := field(made, "AuthKey", "id").(string)
	if status, _ := b.call(t, "GET", "/users/view/me", nil, key); status != http.StatusOK {
		t.Fatalf("a key made on a, used on b: got status %d, want 200", status)
	}
	a.mustCall(t, "POST", "/auth_keys/delete/"+id, nil)
	if status, _ := b.call(t, "GET", "/users/view/me", nil, key); status != http.StatusForbidden {
		t.Errorf("a key deleted on a, used on b: got status %d, want 403", status)
	}
}

func checkEvents(t *testing.T, a, b *node) {
	const value = "198.51.100.77"
	added := a.mustCall(t, "POST", "/events/add", map[string]any{"Event": map[string]any{"info": "seen on node a",
		"distribution": 0, "Attribute": []any{map[string]any{"type": "ip-dst", "value": value}}}})
	id, _ := field(added, "Event", "id").(string)
	viewed := b.mustCall(t, "GET", "/events/view/"+id, nil)
	if got := field(viewed, "Event", "info"); got != "seen on node a" {
		t.Errorf("event %s viewed on b: got info %v", id, got)
	}
	found := b.mustCall(t, "POST", "/attributes/restSearch", map[string]any{"value": value})
	if got := field(found, "response", "Attribute", 0, "event_id"); got != id {
		t.Errorf("restSearch on b for %s: got event %v, want %s", value, got, id)
	}
}

// checkKnowledge: a taxonomy enabled or disabled through one node is seen
// so by the other within a few heartbeats.
func checkKnowledge(t *testing.T, a, b *node) {
	first := field(b.mustCall(t, "GET", "/taxonomies/index", nil), 0, "Taxonomy")
	id, _ := field(first, "id").(string)
	was, _ := field(first, "enabled").(bool)
	action := map[bool]string{true: "disable", false: "enable"}[was]
	a.mustCall(t, "POST", "/taxonomies/"+action+"/"+id, nil)
	waitFor(t, "b to follow the taxonomy "+action+"d on a", func() bool {
		return field(b.mustCall(t, "GET", "/taxonomies/view/"+id, nil), "Taxonomy", "enabled") == !was
	})
}

// feedServer serves a list of values and counts requests, and whether two
// were ever in flight at once.
type feedServer struct {
	mu                 sync.Mutex
	requests, inFlight int
	overlap            bool
}

func (f *feedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests++
	f.inFlight++
	f.overlap = f.overlap || f.inFlight > 1
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.inFlight--; f.mu.Unlock() }()
	time.Sleep(50 * time.Millisecond) // long enough for a second node to overlap, if it could
	_, _ = w.Write([]byte("198.51.100.1\n198.51.100.2\n"))
}

func (f *feedServer) counts() (int, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests, f.overlap
}

// checkFeedOnce: both nodes' schedulers see the feed due; one pulls it.
// The feed is made due again by moving its last pull back by a schedule.
func checkFeedOnce(t *testing.T, db *sql.DB, a *node) {
	fs := &feedServer{}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	added := a.mustCall(t, "POST", "/feeds/add", map[string]any{"Feed": map[string]any{"name": "shared",
		"provider": "test", "url": srv.URL + "/list", "source_format": "freetext", "enabled": true, "schedule": "1h"}})
	id, _ := field(added, "Feed", "id").(string)
	var pulledBy []string
	for round := 1; round <= 4; round++ {
		if round > 1 {
			if _, err := db.Exec(`UPDATE feeds SET last_success = last_success - 3600,
				last_fetch_started = last_fetch_started - 3600 WHERE id = $1`, id); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, fmt.Sprintf("pull %d", round), func() bool {
			n, _ := fs.counts()
			return n == round && count(t, db, `SELECT COUNT(*) FROM feeds WHERE id = $1 AND pulling_since = 0
				AND last_success > $2`, id, time.Now().Unix()-60) == 1
		})
		time.Sleep(5 * nodeBeat) // every node's scheduler looks again, more than once
		if n, overlap := fs.counts(); n != round || overlap {
			t.Fatalf("round %d: got %d downloads (overlapping: %v), want %d", round, n, overlap, round)
		}
		var by string
		if err := db.QueryRow(`SELECT pulling_node FROM feeds WHERE id = $1`, id).Scan(&by); err != nil {
			t.Fatal(err)
		}
		pulledBy = append(pulledBy, by)
	}
	t.Logf("pulled by %v", pulledBy)
}

// checkJobs: a job due once per hour ran once across the two nodes; each
// node runs its own per-node jobs.
func checkJobs(t *testing.T, db *sql.DB) {
	if runs := count(t, db, `SELECT runs FROM jobs WHERE name = 'prune_nodes'`); runs != 1 {
		t.Errorf("prune_nodes: got %d runs across two nodes, want 1", runs)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM jobs WHERE name LIKE 'reload_knowledge@%' AND runs > 1`); n != 2 {
		t.Errorf("reload_knowledge: got %d nodes running it, want 2", n)
	}
}

// stallServer sends half a list and then stalls until the client goes;
// later requests get the whole list.
type stallServer struct {
	mu         sync.Mutex
	requests   int
	firstEnded time.Time
	started    chan struct{}
	lateStart  bool // a request began before the stalled one ended
}

func (s *stallServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	first := s.requests == 1
	if !first && s.firstEnded.IsZero() {
		s.lateStart = true
	}
	s.mu.Unlock()
	if !first {
		_, _ = w.Write([]byte("198.51.100.9\n198.51.100.10\n"))
		return
	}
	_, _ = w.Write([]byte("198.51.100.9\n198.51"))
	w.(http.Flusher).Flush()
	close(s.started)
	<-r.Context().Done()
	s.mu.Lock()
	s.firstEnded = time.Now()
	s.mu.Unlock()
}

// checkKilledPull: the node holding a stalled pull is killed with SIGKILL;
// the other takes the pull over once the claim has gone stale, and the
// dead node shows as such.
func checkKilledPull(t *testing.T, db *sql.DB, nodes map[string]*node) {
	ss := &stallServer{started: make(chan struct{})}
	srv := httptest.NewServer(ss)
	defer srv.Close()
	added := nodes["node-b"].mustCall(t, "POST", "/feeds/add", map[string]any{"Feed": map[string]any{"name": "stalls",
		"provider": "test", "url": srv.URL + "/list", "source_format": "freetext", "enabled": true, "schedule": "1h"}})
	id, _ := field(added, "Feed", "id").(string)
	select {
	case <-ss.started:
	case <-time.After(15 * time.Second):
		t.Fatal("no node started the pull")
	}
	var holder string
	if err := db.QueryRow(`SELECT pulling_node FROM feeds WHERE id = $1 AND pulling_since <> 0`, id).Scan(&holder); err != nil {
		t.Fatalf("read the claim: %v", err)
	}
	victim := nodes[holder]
	if victim == nil {
		t.Fatalf("the claim names %q, not a node of the test", holder)
	}
	if err := victim.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = victim.cmd.Wait() // "signal: killed", as intended
	killed := time.Now()
	survivor := map[string]string{"node-a": "node-b", "node-b": "node-a"}[holder]

	waitFor(t, "the survivor to complete the pull", func() bool {
		return count(t, db, `SELECT COUNT(*) FROM feeds WHERE id = $1 AND last_success <> 0 AND pulling_since = 0`, id) == 1
	})
	took := time.Since(killed)
	var by string
	var streak int64
	if err := db.QueryRow(`SELECT pulling_node, error_streak FROM feeds WHERE id = $1`, id).Scan(&by, &streak); err != nil {
		t.Fatal(err)
	}
	stale := jobs.LeaseBeats * nodeBeat
	ss.mu.Lock()
	requests, late := ss.requests, ss.lateStart
	ss.mu.Unlock()
	if by != survivor || streak != 0 || requests != 2 || late {
		t.Errorf("got the pull completed by %q (error streak %d) with %d requests (overlapping: %v), "+
			"want %s, 0, 2 and false", by, streak, requests, late, survivor)
	}
	if took < stale-2*time.Second || took > stale+5*time.Second {
		t.Errorf("the survivor completed the pull %s after the kill, want about the %s stale limit", took.Round(time.Millisecond), stale)
	}
	t.Logf("%s killed holding the pull; %s completed it %s later", holder, survivor, took.Round(time.Millisecond))

	waitFor(t, "the dead node to show as not alive", func() bool {
		list, _ := nodes[survivor].mustCall(t, "GET", "/cairn/nodes", nil).([]any)
		for _, item := range list {
			if field(item, "Node", "id") == holder {
				return field(item, "Node", "alive") == false
			}
		}
		return false
	})
}
