package cli

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/spf13/cobra"
)

func init() {
	benchSubcommands = append(benchSubcommands, newBenchMixedCmd)
}

// mixedBench drives a mixed read/write load against one or more nodes of
// an instance, as many analysts and scripts at once would.
type mixedBench struct {
	urls     []string
	key      string
	clients  int
	duration time.Duration
	writes   float64

	nodes  []*httpBench // one per URL, sharing one client
	values []string     // attribute values to search for
	events []string     // ids of events to view
	// scratch holds the events the writes add to, one per client, deleted
	// at the end.
	scratch []string
}

func newBenchMixedCmd(_ *globals) *cobra.Command {
	b := &mixedBench{}
	cmd := &cobra.Command{
		Use:   "mixed",
		Short: "Measure the throughput of a mixed read/write load against one or more nodes",
		Long: `Runs --clients concurrent clients for --duration against running 'cairn serve' nodes,
client i talking to --url number i modulo the number of URLs. Each request is a write
(attributes/add to a scratch event of the client's own) with probability --writes, else
one of three reads in equal shares: attributes/restSearch by one value, an events/index
page of 100, and events/view of an event of at most 500 attributes. Values and events
are sampled from the first node. Prints requests per second and latencies per kind, then
deletes the scratch events.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return b.run() },
	}
	cmd.Flags().StringArrayVar(&b.urls, "url", []string{"https://127.0.0.1:8443"}, "node URL; repeat for several nodes")
	cmd.Flags().StringVar(&b.key, "key", os.Getenv("CAIRN_ADMIN_KEY"), "API key (env CAIRN_ADMIN_KEY)")
	cmd.Flags().IntVar(&b.clients, "clients", 8, "concurrent clients")
	cmd.Flags().DurationVar(&b.duration, "duration", 30*time.Second, "how long to run the load")
	cmd.Flags().Float64Var(&b.writes, "writes", 0.1, "share of requests that are writes, 0 to 1")
	return cmd
}

// mixedKinds are the request kinds of the load, in report order.
var mixedKinds = []string{"attributes/restSearch, 1 value", "events/index, page of 100", "events/view",
	"attributes/add"}

func (b *mixedBench) run() error {
	if b.clients < 1 || b.writes < 0 || b.writes > 1 || b.duration <= 0 {
		return fmt.Errorf("--clients must be 1 or more, --writes between 0 and 1, --duration positive")
	}
	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true}, // a benchmark of our own loopback nodes
		MaxIdleConnsPerHost: b.clients}}
	for _, u := range b.urls {
		b.nodes = append(b.nodes, &httpBench{url: u, key: b.key, client: client})
	}
	if err := b.prepare(); err != nil {
		return err
	}
	defer b.cleanUp()
	lat, errs, elapsed := b.load()
	b.report(lat, errs, elapsed)
	return nil
}

// prepare samples values and events from the first node and creates the
// scratch events.
func (b *mixedBench) prepare() error {
	first := b.nodes[0]
	var err error
	if b.values, err = first.sampleValues(2000); err != nil {
		return err
	}
	for page := 1; page <= 10; page++ {
		raw, err := first.do("GET", fmt.Sprintf("/events/index/limit:100/page:%d", page), nil)
		if err != nil {
			return err
		}
		var list []struct {
			ID             string `json:"id"`
			AttributeCount string `json:"attribute_count"`
		}
		if err := json.Unmarshal(raw, &list); err != nil {
			return err
		}
		for _, e := range list {
			if n, _ := strconv.Atoi(e.AttributeCount); n <= 500 {
				b.events = append(b.events, e.ID)
			}
		}
	}
	if len(b.values) < 100 || len(b.events) < 10 {
		return fmt.Errorf("the server gave %d values and %d events to sample; load data first", len(b.values),
			len(b.events))
	}
	for i := range b.clients {
		raw, err := first.do("POST", "/events/add", map[string]any{"Event": map[string]any{
			"info": fmt.Sprintf("cairn bench mixed: scratch event of client %d", i), "distribution": 0}})
		if err != nil {
			return err
		}
		var out struct {
			Event struct {
				ID string `json:"id"`
			} `json:"Event"`
		}
		if err := json.Unmarshal(raw, &out); err != nil {
			return err
		}
		b.scratch = append(b.scratch, out.Event.ID)
	}
	return nil
}

func (b *mixedBench) cleanUp() {
	for _, id := range b.scratch {
		if _, err := b.nodes[0].do("POST", "/events/delete/"+id, nil); err != nil {
			fmt.Fprintf(os.Stderr, "delete scratch event %s: %v\n", id, err)
		}
	}
}

// load runs the clients and returns the latencies per kind, the errors
// per kind and the time the load took.
func (b *mixedBench) load() (map[string][]time.Duration, map[string]int, time.Duration) {
	lat := map[string][]time.Duration{}
	errs := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(b.duration)
	for i := range b.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			node := b.nodes[i%len(b.nodes)]
			mine := map[string][]time.Duration{}
			failed := map[string]int{}
			for n := 0; time.Now().Before(deadline); n++ {
				kind, method, path, body := b.next(i, n)
				t0 := time.Now()
				if _, err := node.do(method, path, body); err != nil {
					if failed[kind] == 0 {
						fmt.Fprintf(os.Stderr, "client %d, %s: %v\n", i, kind, err)
					}
					failed[kind]++
					continue
				}
				mine[kind] = append(mine[kind], time.Since(t0))
			}
			mu.Lock()
			defer mu.Unlock()
			for k, l := range mine {
				lat[k] = append(lat[k], l...)
			}
			for k, n := range failed {
				errs[k] += n
			}
		}()
	}
	wg.Wait()
	return lat, errs, time.Since(start)
}

// next picks the n-th request of client i.
func (b *mixedBench) next(i, n int) (kind, method, path string, body any) {
	if rand.Float64() < b.writes {
		return mixedKinds[3], "POST", "/attributes/add/" + b.scratch[i], map[string]any{"type": "domain",
			"category": "Network activity", "value": fmt.Sprintf("c%d-n%d-%d.bench.example", i, n, rand.Uint32())}
	}
	switch rand.IntN(3) {
	case 0:
		return mixedKinds[0], "POST", "/attributes/restSearch", map[string]any{"value": b.values[rand.IntN(len(b.values))]}
	case 1:
		return mixedKinds[1], "GET", fmt.Sprintf("/events/index/limit:100/page:%d", 1+rand.IntN(10)), nil
	}
	return mixedKinds[2], "GET", "/events/view/" + b.events[rand.IntN(len(b.events))], nil
}

func (b *mixedBench) report(lat map[string][]time.Duration, errs map[string]int, elapsed time.Duration) {
	total := 0
	for _, l := range lat {
		total += len(l)
	}
	fmt.Printf("%d clients over %d node(s) for %s: %d requests, %.0f requests/s\n\n", b.clients, len(b.nodes),
		elapsed.Round(time.Millisecond), total, float64(total)/elapsed.Seconds())
	fmt.Printf("| request | count | errors | p50 | p95 | max |\n| --- | ---: | ---: | ---: | ---: | ---: |\n")
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	lat["all"] = all
	for _, kind := range append(slices.Clone(mixedKinds), "all") {
		l := lat[kind]
		if len(l) == 0 {
			fmt.Printf("| %s | 0 | %d | | | |\n", kind, errs[kind])
			continue
		}
		slices.Sort(l)
		fmt.Printf("| %s | %d | %d | %s | %s | %s |\n", kind, len(l), errs[kind], pct(l, 50), pct(l, 95),
			l[len(l)-1].Round(10*time.Microsecond))
	}
}
