package feed

import (
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	cases := []struct {
		name, url string
		hidden    []string
		kept      []string
	}{
		{"password and key", "http://bob:hunter2@127.0.0.1:19501/list?auth-key=TOPSECRET123&format=csv",
			[]string{"hunter2", "TOPSECRET123"}, []string{"bob", "format=csv", "127.0.0.1:19501"}},
		{"api_key and token", "https://feeds.example/x?api_key=abc%2Fdef&token=zzzz", []string{"abc", "zzzz"}, []string{"feeds.example"}},
		{"placeholder kept", "https://data.example/{key}/online.csv?apikey={key}", nil, []string{"{key}"}},
		{"nothing to hide", "https://urlhaus.example/downloads/csv_recent/", nil, []string{"csv_recent"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := RedactURL(tc.url)
			for _, h := range tc.hidden {
				if strings.Contains(got, h) {
					t.Errorf("got %q, want %q hidden", got, h)
				}
			}
			for _, k := range tc.kept {
				if !strings.Contains(got, k) {
					t.Errorf("got %q, want %q kept", got, k)
				}
			}
		})
	}
}
