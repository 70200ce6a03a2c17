package api

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
)

// TestQueryBodiesAreBounded sends the requests that only look values up
// (searches, sightings and warninglist checks by value) more than they
// take: a gzip body that inflates past the cap of such bodies is refused
// with 413 before it fills memory (a 380 KB body inflated to 256 MB and took
// 590 MB), and lists of more than 100,000 values are refused with 400.
func TestQueryBodiesAreBounded(t *testing.T) {
	e := newEnv(t)
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write([]byte(`{"value": "a`))
	chunk := []byte(strings.Repeat("&&a", 1<<16))
	for range (64 << 20) / len(chunk) { // 64 MiB inflated
		zw.Write(chunk)
	}
	zw.Write([]byte(`"}`))
	zw.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	req, err := http.NewRequest("POST", e.srv.URL+"/attributes/restSearch", bytes.NewReader(zipped.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", e.admin)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	runtime.ReadMemStats(&after)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a %d-byte gzip body inflating to 64 MiB: status %d, want 413", zipped.Len(), resp.StatusCode)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 3*maxQueryBody {
		t.Errorf("refusing it allocated %d MB", grew>>20)
	}

	values := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"v%d.example"`, i)
		}
		return "[" + b.String() + "]"
	}
	over, far := values(100_001), values(250_000)
	for _, tc := range []struct{ path, body string }{
		{"/sightings/add", `{"values": ` + over + `}`},
		{"/sightings/add", `{"values": ` + far + `}`},
		{"/warninglists/checkValue", over},
		{"/warninglists/checkValue", far},
		{"/attributes/restSearch", `{"value": ` + far + `}`},
	} {
		if status, out, _ := e.call("POST", tc.path, e.admin, tc.body); status != http.StatusBadRequest {
			t.Errorf("%s with %d bytes of values: status %d, want 400: %v", tc.path, len(tc.body), status, out)
		}
	}
}
