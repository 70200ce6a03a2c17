package misp

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func mustIPKey(t *testing.T, typ, v1, v2 string) []byte {
	t.Helper()
	key, ok := IPKey(typ, v1, v2)
	if !ok {
		t.Fatalf("IPKey(%q, %q, %q): got no key, want one", typ, v1, v2)
	}
	return key
}

func TestIPKey(t *testing.T) {
	tests := []struct {
		name, typ, v1, v2 string
		ok                bool
	}{
		{"ip-src", "ip-src", "192.0.2.1", "", true},
		{"ip-dst v6", "ip-dst", "2001:db8::1", "", true},
		{"ip-src|port", "ip-src|port", "192.0.2.1", "80", true},
		{"ip-dst|port", "ip-dst|port", "2001:db8::1", "443", true},
		{"domain|ip uses value2", "domain|ip", "example.com", "192.0.2.1", true},
		{"cidr", "ip-src", "192.0.2.0/24", "", false},
		{"other type", "domain", "192.0.2.1", "", false},
		{"domain|ip ignores value1", "domain|ip", "192.0.2.1", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, ok := IPKey(tt.typ, tt.v1, tt.v2)
			if ok != tt.ok {
				t.Fatalf("got ok %v, want %v", ok, tt.ok)
			}
			if want := map[byte]int{4: 5, 6: 17}; ok && (len(key) == 0 || len(key) != want[key[0]]) {
				t.Errorf("got key %x, want a family byte (4 or 6) and the address", key)
			}
		})
	}

	v4 := mustIPKey(t, "ip-src", "192.0.2.1", "")
	mapped := mustIPKey(t, "ip-src", "::ffff:192.0.2.1", "")
	if bytes.Equal(v4, mapped) {
		t.Errorf("got the same key %x for IPv4 and its mapped IPv6 form, want them apart", v4)
	}
	lower := mustIPKey(t, "ip-src", "192.0.2.9", "")
	higher := mustIPKey(t, "ip-src", "192.0.2.10", "")
	if bytes.Compare(lower, higher) >= 0 {
		t.Errorf("got key of 192.0.2.9 >= key of 192.0.2.10, want numeric order")
	}
}

func TestCIDRRange(t *testing.T) {
	tests := []struct {
		name, cidr string
		in, out    []string
	}{
		{
			"ipv4 /24", "192.0.2.0/24",
			[]string{"192.0.2.143", "192.0.2.7", "192.0.2.0", "192.0.2.255"},
			[]string{"192.0.3.1", "192.0.1.255", "2001:db8::1"},
		},
		{"ipv4 host bits", " 192.0.2.77/24 ", []string{"192.0.2.1"}, []string{"192.0.3.0"}},
		{"ipv4 /32", "192.0.2.7/32", []string{"192.0.2.7"}, []string{"192.0.2.8"}},
		{
			"ipv6 /32", "2001:db8::/32",
			[]string{"2001:db8::1", "2001:db8:ffff::1"},
			[]string{"2001:db9::", "192.0.2.1"},
		},
		{"ipv6 /0 is ipv6 only", "::/0", []string{"2001:db8::1", "::ffff:192.0.2.1"}, []string{"192.0.2.1"}},
		{"ipv4 /0 is ipv4 only", "0.0.0.0/0", []string{"192.0.2.1", "10.0.0.1"}, []string{"2001:db8::1", "::ffff:192.0.2.1"}},
		{"ipv4 block misses mapped", "192.0.2.0/25", []string{"192.0.2.4"}, []string{"::ffff:192.0.2.4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi, ok := CIDRRange(tt.cidr)
			if !ok {
				t.Fatalf("CIDRRange(%q): got not a CIDR", tt.cidr)
			}
			for _, ip := range tt.in {
				if k := mustIPKey(t, "ip-dst", ip, ""); bytes.Compare(k, lo) < 0 || bytes.Compare(k, hi) > 0 {
					t.Errorf("got %s outside %s, want inside", ip, tt.cidr)
				}
			}
			for _, ip := range tt.out {
				if k := mustIPKey(t, "ip-dst", ip, ""); bytes.Compare(k, lo) >= 0 && bytes.Compare(k, hi) <= 0 {
					t.Errorf("got %s inside %s, want outside", ip, tt.cidr)
				}
			}
		})
	}

	for _, q := range []string{"192.0.2.1", "example.com/24", "192.0.2.0/33", ""} {
		if _, _, ok := CIDRRange(q); ok {
			t.Errorf("CIDRRange(%q): got a range, want none", q)
		}
	}
}

func TestSearchForms(t *testing.T) {
	tests := []struct {
		name, q string
		want    []string // each must be among the forms
	}{
		{"ipv6 full form", "2001:0DB8:0000:0000:0000:0000:0000:0190", []string{"2001:0DB8:0000:0000:0000:0000:0000:0190", "2001:db8::190"}},
		{"ipv4 defanged", "192.0.2[.]1", []string{"192.0.2[.]1", "192.0.2.1"}},
		{"ipv4 with port", "192.0.2.7:8080", []string{"192.0.2.7:8080", "192.0.2.7|8080", "192.0.2.7"}},
		{"ipv6 with port", "[2001:DB8::7]:443", []string{"2001:db8::7|443", "2001:db8::7"}},
		{"ip|port", "192.0.2.7|80", []string{"192.0.2.7|80", "192.0.2.7"}},
		{"cidr", "2001:DB8::/32", []string{"2001:db8::/32"}},
		{"idn", "BÜCHER.example.", []string{"BÜCHER.example.", "xn--bcher-kva.example"}},
		{"domain upper case", "Example.COM", []string{"example.com"}},
		{"host with port", "www.example.com:443", []string{"www.example.com|443", "www.example.com"}},
		{"email", "Info@Bücher.example", []string{"info@xn--bcher-kva.example"}},
		{"md5 upper case", "D41D8CD98F00B204E9800998ECF8427E", []string{"D41D8CD98F00B204E9800998ECF8427E", md5Lower}},
		{"sha256 upper case", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", []string{sha256Lower}},
		{"fingerprint with colons", "DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF:95:60:18:90:AF:D8:07:09", []string{"da39a3ee5e6b4b0d3255bfef95601890afd80709"}},
		{"url defanged", "hxxp://evil[.]example/x", []string{"hxxp://evil[.]example/x", "http://evil.example/x"}},
		{"mac", "00-1A-2B-3C-4D-5E", []string{"00:1a:2b:3c:4d:5e"}},
		{"AS", "AS64496", []string{"AS64496", "64496"}},
		{"cve", "cve-2021-44228", []string{"CVE-2021-44228"}},
		{"plain text", "  Hello World ", []string{"Hello World"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SearchForms(tt.q)
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("SearchForms(%q): got %q, want it to include %q", tt.q, got, w)
				}
			}
			if len(got) == 0 || got[0] != strings.TrimSpace(tt.q) {
				t.Errorf("SearchForms(%q): got %q, want the trimmed input first", tt.q, got)
			}
			seen := map[string]bool{}
			for _, f := range got {
				if seen[f] {
					t.Errorf("SearchForms(%q): got %q twice in %q", tt.q, f, got)
				}
				seen[f] = true
			}
		})
	}
	if got := SearchForms(""); got != nil {
		t.Errorf("SearchForms(\"\"): got %q, want nil", got)
	}
}
