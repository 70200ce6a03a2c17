package feed

import (
	"bytes"
	"testing"
)

// checkParse is what any parse must hold to: no panic (the fuzzer's job),
// and items and rejects that make sense.
func checkParse(t *testing.T, items []Item, rejects []Reject, st Stats) {
	t.Helper()
	for _, it := range items {
		if it.Line < 1 || it.Type == "" || it.Value == "" {
			t.Fatalf("got item %+v, want a line, a type and a value", it)
		}
	}
	for _, r := range rejects {
		if r.Line < 1 || r.Reason == "" || len(r.Text) > MaxRejectText+len("…") {
			t.Fatalf("got reject %+v, want a line, a reason and a short text", r)
		}
	}
	if st.Items != len(items) || st.Rejects != len(rejects) {
		t.Fatalf("got stats %+v for %d items and %d rejects", st, len(items), len(rejects))
	}
}

func FuzzParseCSV(f *testing.F) {
	f.Add([]byte("\ufeff# c\r\n\"1\",\"a,b\",\"x\"\"y\"\r\n\"2\",\"multi\nline\",z\r\n"), uint8(2))
	f.Add([]byte("ab\"c,1\n\"open,2\nx,198.51.100.1\n"), uint8(0))
	f.Add([]byte("\"a\", \"b\", \"c\"\n# END 1 entries"), uint8(3))
	f.Fuzz(func(t *testing.T, body []byte, col uint8) {
		opts := CSVOptions{MaxLine: 512, Header: col%2 == 1}
		if col%4 != 0 {
			opts.Columns = []int{int(col%4) + 0}
		}
		var items []Item
		var rejects []Reject
		st, err := ParseCSV(t.Context(), bytes.NewReader(body), opts,
			func(it Item) error { items = append(items, it); return nil },
			func(r Reject) { rejects = append(rejects, r) })
		if err != nil {
			t.Fatalf("ParseCSV: %v", err)
		}
		checkParse(t, items, rejects, st)
	})
}

func FuzzParseFreetext(f *testing.F) {
	for _, r := range Rules() {
		f.Add([]byte(r.Example))
	}
	f.Add([]byte("# c\n\nhxxp://a[.]b/c, [2001:db8::7]:443; user[at]x.test <a.b>\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		var items []Item
		var rejects []Reject
		st, err := ParseFreetext(t.Context(), bytes.NewReader(body), FreetextOptions{MaxLine: 512},
			func(it Item) error { items = append(items, it); return nil },
			func(r Reject) { rejects = append(rejects, r) })
		if err != nil {
			t.Fatalf("ParseFreetext: %v", err)
		}
		checkParse(t, items, rejects, st)
	})
}
