package cli

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func init() {
	benchSubcommands = append(benchSubcommands, newBenchHTTPCmd)
}

// benchSubcommands are the children of `cairn bench`; each file adds its own.
var benchSubcommands []func(*globals) *cobra.Command

// httpBench measures a running server over HTTP, as a client would.
type httpBench struct {
	url, key string
	requests int
	pid      int
	client   *http.Client
}

func newBenchHTTPCmd(_ *globals) *cobra.Command {
	b := &httpBench{}
	cmd := &cobra.Command{
		Use:   "http",
		Short: "Measure restSearch and events/index latencies of a running server, and its memory",
		Long: `Measures, against a running 'cairn serve': servers/getVersion (the HTTP baseline),
attributes/restSearch by one exact value, by 1,000 values, and events/index pages of 100.
Values are sampled from the server itself. With --pid, reports the server's resident memory.`,
		RunE: func(cmd *cobra.Command, _ []string) error { return b.run() },
	}
	cmd.Flags().StringVar(&b.url, "url", "https://127.0.0.1:8443", "server URL")
	cmd.Flags().StringVar(&b.key, "key", os.Getenv("CAIRN_ADMIN_KEY"), "API key (env CAIRN_ADMIN_KEY)")
	cmd.Flags().IntVar(&b.requests, "requests", 200, "requests per measurement")
	cmd.Flags().IntVar(&b.pid, "pid", 0, "process id of the server, to read its memory")
	return cmd
}

func (b *httpBench) run() error {
	b.client = &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true}, // a benchmark of our own loopback server
		MaxIdleConnsPerHost: 4}}
	values, err := b.sampleValues(2000)
	if err != nil {
		return err
	}
	if len(values) < 1000 {
		return fmt.Errorf("the server returned only %d values to sample; load data first", len(values))
	}
	fmt.Printf("| measurement | requests | results per request | p50 | p95 | max |\n| --- | --- | --- | --- | --- | --- |\n")
	rows := []struct {
		name string
		n    int
		req  func(i int) (string, string, any)
	}{
		{"servers/getVersion (baseline)", b.requests, func(int) (string, string, any) { return "GET", "/servers/getVersion", nil }},
		{"attributes/restSearch, 1 value", b.requests, func(int) (string, string, any) {
			return "POST", "/attributes/restSearch", map[string]any{"value": values[rand.IntN(len(values))]}
		}},
		{"attributes/restSearch, 1,000 values", max(b.requests/10, 5), func(int) (string, string, any) {
			start := rand.IntN(len(values) - 1000)
			return "POST", "/attributes/restSearch", map[string]any{"value": values[start : start+1000]}
		}},
		{"events/index, page of 100", b.requests, func(int) (string, string, any) {
			return "GET", fmt.Sprintf("/events/index/limit:100/page:%d", 1+rand.IntN(10)), nil
		}},
	}
	for _, r := range rows {
		lat, results, err := b.measure(r.n, r.req)
		if err != nil {
			return fmt.Errorf("%s: %w", r.name, err)
		}
		fmt.Printf("| %s | %d | %d | %s | %s | %s |\n", r.name, r.n, results/int64(r.n), pct(lat, 50), pct(lat, 95),
			lat[len(lat)-1].Round(10*time.Microsecond))
	}
	if b.pid > 0 {
		return printMemory(b.pid)
	}
	return nil
}

func pct(lat []time.Duration, p int) string {
	return lat[(len(lat)-1)*p/100].Round(10 * time.Microsecond).String()
}

// measure runs n requests and returns their sorted latencies and the sum of
// their X-Result-Count headers.
func (b *httpBench) measure(n int, req func(int) (string, string, any)) ([]time.Duration, int64, error) {
	lat := make([]time.Duration, 0, n)
	var results int64
	for i := 0; i < n; i++ {
		method, path, body := req(i)
		start := time.Now()
		count, err := b.doCount(method, path, body)
		if err != nil {
			return nil, 0, err
		}
		lat = append(lat, time.Since(start))
		results += count
	}
	slices.Sort(lat)
	return lat, results, nil
}

func (b *httpBench) do(method, path string, body any) ([]byte, error) {
	out, _, err := b.request(method, path, body)
	return out, err
}

func (b *httpBench) doCount(method, path string, body any) (int64, error) {
	_, hdr, err := b.request(method, path, body)
	if err != nil {
		return 0, err
	}
	n, _ := strconv.ParseInt(hdr.Get("X-Result-Count"), 10, 64) // absent on getVersion: 0
	return n, nil
}

func (b *httpBench) request(method, path string, body any) ([]byte, http.Header, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, strings.TrimRight(b.url, "/")+path, rd)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", b.key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("%s %s: status %d: %.200s", method, path, resp.StatusCode, out)
	}
	return out, resp.Header, err
}

// sampleValues collects attribute values from a few pages of the server.
func (b *httpBench) sampleValues(n int) ([]string, error) {
	var values []string
	for page := 1; len(values) < n && page <= 20; page++ {
		raw, err := b.do("POST", "/attributes/restSearch", map[string]any{
			"type": []string{"ip-dst", "ip-src", "domain", "hostname", "md5", "sha256", "url"}, "limit": 500, "page": page * 37})
		if err != nil {
			return nil, err
		}
		var out struct {
			Response struct {
				Attribute []struct {
					Value string `json:"value"`
				} `json:"Attribute"`
			} `json:"response"`
		}
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, err
		}
		for _, a := range out.Response.Attribute {
			values = append(values, a.Value)
		}
	}
	return values, nil
}

// printMemory reports the resident and peak resident size of a process.
func printMemory(pid int) error {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "VmRSS:") || strings.HasPrefix(line, "VmHWM:") {
			fmt.Println(strings.Join(strings.Fields(line), " "))
		}
	}
	return nil
}
