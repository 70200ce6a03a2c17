package warninglist

import (
	"strings"
	"testing"
)

// hitText renders hits as "name=matched;..." for comparison.
func hitText(hits []Hit) string {
	var parts []string
	for _, h := range hits {
		parts = append(parts, h.Name+"="+h.Matched)
	}
	return strings.Join(parts, ";")
}

func builtinMatcher() *Matcher {
	lists := Builtin()
	for i, l := range lists {
		l.ID = int64(i + 1)
	}
	return NewMatcher(lists)
}

func TestCheckBuiltins(t *testing.T) {
	const (
		doc4    = "Cairn: IPv4 documentation ranges (RFC 5737)"
		doc6    = "Cairn: IPv6 documentation range (RFC 3849)"
		private = "Cairn: private IPv4 ranges (RFC 1918)"
		loop    = "Cairn: loopback addresses"
		link    = "Cairn: link-local addresses"
		shared  = "Cairn: shared address space (RFC 6598)"
		names   = "Cairn: example and reserved domain names (RFC 2606, RFC 6761)"
	)
	m := builtinMatcher()
	cases := []struct {
		name, value, attrType, want string
	}{
		{"TEST-NET-1", "192.0.2.44", "ip-dst", doc4 + "=192.0.2.0/24"},
		{"TEST-NET-2", "198.51.100.7", "ip-src", doc4 + "=198.51.100.0/24"},
		{"TEST-NET-3 with port", "203.0.113.9|8443", "ip-dst|port", doc4 + "=203.0.113.0/24"},
		{"just outside TEST-NET-3", "203.0.114.1", "ip-dst", ""},
		{"IPv6 documentation", "2001:db8::7", "ip-dst", doc6 + "=2001:db8::/32"},
		{"IPv6 documentation upper case", "2001:DB8:0:1::1", "ip-src", doc6 + "=2001:db8::/32"},
		{"IPv4-mapped documentation", "::ffff:192.0.2.1", "ip-dst", doc4 + "=192.0.2.0/24"},
		{"RFC 1918 ten", "10.200.3.4", "ip-src", private + "=10.0.0.0/8"},
		{"RFC 1918 172.31", "172.31.255.255", "ip-src", private + "=172.16.0.0/12"},
		{"172.32 is public", "172.32.0.1", "ip-src", ""},
		{"RFC 1918 subnet value", "192.168.4.0/24", "ip-dst", private + "=192.168.0.0/16"},
		{"wider value not inside", "192.168.0.0/15", "ip-dst", ""},
		{"loopback v4", "127.0.0.53", "ip-dst", loop + "=127.0.0.0/8"},
		{"loopback v6", "::1", "ip-dst", loop + "=::1/128"},
		{"link-local v4", "169.254.169.254", "ip-dst", link + "=169.254.0.0/16"},
		{"link-local v6 with zone", "fe80::1%eth0", "ip-dst", link + "=fe80::/10"},
		{"shared space", "100.64.1.1", "ip-src", shared + "=100.64.0.0/10"},
		{"public address", "8.8.8.8", "ip-dst", ""},
		{"URL host private", "http://10.1.2.3:8080/admin", "url", private + "=10.0.0.0/8"},
		{"URL host bracketed v6", "https://[2001:db8::1]/x", "url", doc6 + "=2001:db8::/32"},
		{"domain|ip second half", "portal.example.net|192.0.2.10", "domain|ip",
			doc4 + "=192.0.2.0/24;" + names + "=example.net"},
		{"example.com itself", "example.com", "domain", names + "=example.com"},
		{"below example.org", "login.portal.example.org", "hostname", names + "=example.org"},
		{"upper case and trailing dot", "WWW.Example.COM.", "domain", names + "=example.com"},
		{".test TLD", "c2.evil.test", "domain", names + "=test"},
		{".localhost", "app.localhost", "hostname", names + "=localhost"},
		{"URL on example domain", "hxxp://user@shop.example:8080/cart?x=1", "url", names + "=example"},
		{"e-mail address", "someone@example.test", "email-src", names + "=test"},
		{"lookalike not below", "example.com.evil.net", "domain", ""},
		{"suffix without dot", "notexample.com", "domain", ""},
		{"type the list ignores", "192.0.2.1", "md5", ""},
		{"name list ignores ip types", "example.com", "ip-dst", ""},
		{"no type checks every list", "example.com", "", names + "=example.com"},
		{"hash", "d41d8cd98f00b204e9800998ecf8427e", "md5", ""},
		{"empty", "", "domain", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := hitText(m.Check(tc.value, tc.attrType)); got != tc.want {
				t.Errorf("Check(%q, %q): got %q, want %q", tc.value, tc.attrType, got, tc.want)
			}
		})
	}
}

func TestCheckTestdataLists(t *testing.T) {
	lists, _, err := Load("testdata/lists")
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range lists {
		l.ID = int64(100 + i)
	}
	m := NewMatcher(lists)
	cases := []struct {
		name, value, attrType, want string
	}{
		{"resolver address", "8.8.4.4", "ip-dst", "Test: public DNS resolvers=8.8.4.4"},
		{"resolver range", "1.1.1.1", "ip-src", "Test: public DNS resolvers=1.1.1.0/24"},
		{"resolver with port", "9.9.9.9|53", "ip-dst|port", "Test: public DNS resolvers=9.9.9.9/32"},
		{"resolver v6 range", "2001:4860:4860::8888", "ip-dst", "Test: public DNS resolvers=2001:4860:4860::/48"},
		{"resolver for a type not listed", "8.8.8.8", "url", ""},
		{"popular site mixed-case entry", "gist.github.com", "domain", "Test: popular sites=github.com"},
		{"entry with leading dot", "addons.mozilla.org", "hostname", "Test: popular sites=mozilla.org"},
		{"entry with trailing dot", "www.gnu.org", "domain", "Test: popular sites=www.gnu.org"},
		{"parent of entry not listed", "gnu.org", "domain", ""},
		{"popular site URL", "https://en.wikipedia.org/wiki/Cairn", "url", "Test: popular sites=wikipedia.org"},
		{"string from commented list", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "sha1",
			"Test: hashes of empty content=da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{"string composite half", "empty.bin|d41d8cd98f00b204e9800998ecf8427e", "filename|md5",
			"Test: hashes of empty content=d41d8cd98f00b204e9800998ecf8427e"},
		{"string is exact", "D41D8CD98F00B204E9800998ECF8427E", "md5", ""},
		{"substring", "http://bit.ly/3xYz", "url", "Test: link shorteners=bit.ly/"},
		{"substring anywhere", "https://www.tinyurl.com/abc", "url", "Test: link shorteners=tinyurl.com/"},
		{"substring overlapping", "https://t.co/tinyurl.com/", "url", "Test: link shorteners=t.co/"},
		{"substring wrong type", "bit.ly/x", "domain", ""},
		{"regex with i modifier", "SINKHOLE12.some.net", "domain", "Test: sinkhole names=/^sinkhole[0-9]*\\./i"},
		{"regex with # delimiters", "ns1.sinkhole.test", "hostname", "Test: sinkhole names=#\\.sinkhole\\.test$#"},
		{"undelimited regex", "dead.beef", "domain", "Test: sinkhole names=^dead[.]beef$"},
		{"regex no match", "sinkhole-free.net", "domain", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := hitText(m.Check(tc.value, tc.attrType)); got != tc.want {
				t.Errorf("Check(%q, %q): got %q, want %q", tc.value, tc.attrType, got, tc.want)
			}
		})
	}
}

func TestCheckHitsSortedAndOnePerList(t *testing.T) {
	a := &List{ID: 2, Name: "b", Type: TypeSubstring, Entries: []string{"ab", "b", "abc"}}
	b := &List{ID: 1, Name: "a", Type: TypeString, Entries: []string{"abc"}}
	m := NewMatcher([]*List{a, b})
	got := m.Check("abc", "")
	if len(got) != 2 || got[0].ListID != 1 || got[1].ListID != 2 {
		t.Fatalf("got %+v, want list 1 then list 2, one hit each", got)
	}
	if got[1].Matched != "ab" {
		t.Errorf("got substring match %q, want the first entry found, %q", got[1].Matched, "ab")
	}
}

func TestAutomatonFindsEveryEntry(t *testing.T) {
	entries := []string{"he", "she", "his", "hers", "s"}
	var pats []pattern
	for i, e := range entries {
		pats = append(pats, pattern{text: e, list: int32(i)})
	}
	a := newAutomaton(pats)
	cases := []struct {
		text string
		want string
	}{
		{"ushers", "s,she,he,hers,s"},
		{"his", "his,s"},
		{"xyz", ""},
		{"", ""},
	}
	for _, tc := range cases {
		t.Run(tc.text, func(t *testing.T) {
			var found []string
			a.search(tc.text, func(_ int32, e string) { found = append(found, e) })
			if got := strings.Join(found, ","); got != tc.want {
				t.Errorf("search(%q): got %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

func TestHostOf(t *testing.T) {
	cases := []struct{ in, want string }{
		{"example.com", "example.com"},
		{"example.com:8443", "example.com"},
		{"https://user:pw@example.com:8443/a?b#c", "example.com"},
		{"example.com/path", "example.com"},
		{"[2001:db8::1]:443", "2001:db8::1"},
		{"2001:db8::1", "2001:db8::1"},
		{"a@b.test", "b.test"},
	}
	for _, tc := range cases {
		if got := hostOf(tc.in); got != tc.want {
			t.Errorf("hostOf(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}
