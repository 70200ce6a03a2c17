package warninglist

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchValue is one value of the benchmark's mix and its attribute type.
type benchValue struct{ value, attrType string }

// benchValues returns n values shaped like a feed's: addresses (some in
// reserved ranges), domains (some listed, some below listed ones), URLs and
// hashes.
func benchValues(n int, listed []string) []benchValue {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]benchValue, n)
	for i := range out {
		switch i % 6 {
		case 0:
			out[i] = benchValue{fmt.Sprintf("%d.%d.%d.%d", rng.IntN(224), rng.IntN(256), rng.IntN(256), rng.IntN(256)), "ip-dst"}
		case 1:
			out[i] = benchValue{fmt.Sprintf("2001:db%x::%x", rng.IntN(16), rng.IntN(65536)), "ip-src"}
		case 2:
			out[i] = benchValue{fmt.Sprintf("host%d.unlisted-%d.net", rng.IntN(1000), rng.IntN(100000)), "domain"}
		case 3:
			out[i] = benchValue{"cdn." + listed[rng.IntN(len(listed))], "hostname"}
		case 4:
			out[i] = benchValue{fmt.Sprintf("https://login-%d.example.org/path/%d?q=1", rng.IntN(1000), i), "url"}
		default:
			out[i] = benchValue{fmt.Sprintf("%032x", rng.Uint64()), "md5"}
		}
	}
	return out
}

func BenchmarkMatcherCheck(b *testing.B) {
	hosts := make([]string, 10000)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("site%d.popular-%d.com", i, i%97)
	}
	lists := append(Builtin(), &List{Name: "bench: 10k hostnames", Type: TypeHostname, Entries: hosts,
		MatchingAttributes: []string{"domain", "hostname", "url"}})
	for i, l := range lists {
		l.ID = int64(i + 1)
	}
	m := NewMatcher(lists)
	values := benchValues(100000, hosts)

	b.ReportAllocs()
	b.ResetTimer()
	hits := 0
	for b.Loop() {
		for _, v := range values {
			hits += len(m.Check(v.value, v.attrType))
		}
	}
	b.StopTimer()
	if hits == 0 {
		b.Fatal("got no hits, want some: the benchmark checks nothing")
	}
	b.ReportMetric(float64(b.N*len(values))/b.Elapsed().Seconds(), "checks/s")
	b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N*len(values)), "ns/check")
}
