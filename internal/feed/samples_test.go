package feed

import (
	"strings"
	"testing"
	"time"
)

// TestSamples parses every shared feed sample with its preset. The expected
// counts were established by hand, with the command next to each, run in
// shared/testdata/feeds.
func TestSamples(t *testing.T) {
	tests := []struct {
		name    string
		preset  string
		path    []string
		items   int
		rejects int
		skipped int
		// spot checks: index of an item and the type and value it must have
		checks []sampleCheck
	}{
		{
			name: "URLhaus csv_recent", preset: "URLhaus", path: []string{"urlhaus", "csv_recent.csv"},
			// grep -vc '^#' urlhaus/csv_recent.csv -> 191 data rows; python3 csv: no URL has a blank
			items: 191, rejects: 0,
			// grep -c '^#' urlhaus/csv_recent.csv -> 9 comment lines (banner and column names)
			skipped: 9,
			checks: []sampleCheck{
				{0, 10, "url", "http://157.85.69.255:56777/.i"},
				{2, 12, "url", "https://sh1p-rnix.ship5plum.coupons/fmuthxwya"},
			},
		},
		{
			name: "Feodo recommended", preset: "Feodo Tracker", path: []string{"feodo", "ipblocklist_recommended.txt"},
			// grep -v '^#' feodo/ipblocklist_recommended.txt | grep -c . -> 190
			items: 190, rejects: 0,
			// grep -c '^#' -> 10: 9 banner lines and the "# END 244 entries" footer
			skipped: 10,
			checks:  []sampleCheck{{0, 10, "ip-dst", "100.38.242.113"}, {189, 199, "ip-dst", "51.68.146.186"}},
		},
		{
			name: "Feodo CSV", preset: "Feodo IP Blocklist", path: []string{"feodo", "ipblocklist.csv"},
			// grep -v '^#' feodo/ipblocklist.csv | grep -vc '^"first_seen_utc"' -> 28 (the header row is quoted, not a comment)
			items: 28, rejects: 0,
			// grep -c '^#' feodo/ipblocklist.csv -> 9 (8 banner lines, the footer), plus the header row
			skipped: 10,
			checks:  []sampleCheck{{0, 10, "ip-dst", "192.9.135.73"}, {27, 37, "ip-dst", "172.233.221.61"}},
		},
		{
			name: "blocklist.de", preset: "blocklist.de/lists/all.txt", path: []string{"blocklistde", "all.txt"},
			// grep -c . blocklistde/all.txt -> 200; grep -c : -> 71 of them IPv6
			items: 200, rejects: 0,
			checks: []sampleCheck{{0, 1, "ip-dst", "20.63.219.114"}},
		},
		{
			name: "OpenPhish", preset: "OpenPhish url list", path: []string{"openphish", "feed.txt"},
			// grep -c . openphish/feed.txt -> 200; grep -c '\s' -> 0, no URL holds a blank
			items: 200, rejects: 0,
			checks: []sampleCheck{{0, 1, "url", "https://api.msuto.com/"}},
		},
		{
			name: "ThreatFox JSON", preset: "ThreatFox", path: []string{"threatfox", "recent.json"},
			// grep -c '"ioc_value"' threatfox/recent.json -> 11; grep -n ioc_value gives
			// each record's line + 1 (the record starts at its "{")
			items: 11, rejects: 0,
			checks: []sampleCheck{
				{0, 3, "md5", "13aa55915fe8418214edc3f57138e29e"},
				{6, 111, "ip-dst|port", "8.137.170.3|443"},
				{10, 183, "domain", "zil.808skor.org"},
			},
		},
		{
			name: "SSLBL 2023", preset: "abuse.ch SSL Blacklist", path: []string{"sslbl", "sslblacklist.csv"},
			// grep -vc '^#' sslbl/sslblacklist.csv -> 190; awk -F, '{print length($2)}' -> all 40
			// grep -c '^#' -> 10 (banner, column names, footer)
			items: 190, rejects: 0, skipped: 10,
			checks: []sampleCheck{{0, 10, "x509-fingerprint-sha1", "2e3519b7cb61a3cd6167f727df993f68311085ea"}},
		},
		{
			name: "SSLBL 2018 layout", preset: "abuse.ch SSL Blacklist",
			path: []string{"sslbl", "sslblacklist_2018-07-26_legacy-header.csv"},
			// grep -vc '^#' sslbl/sslblacklist_2018-07-26_legacy-header.csv -> 60; grep -c '^#' -> 10
			items: 60, rejects: 0, skipped: 10,
			checks: []sampleCheck{{0, 10, "x509-fingerprint-sha1", "911bfbc76d3c056b8f61aece042fefccd2be0741"}},
		},
		{
			name: "MalwareBazaar sha256", preset: "MalwareBazaar", path: []string{"malwarebazaar", "sha256_recent.txt"},
			// grep -vc '^#' malwarebazaar/sha256_recent.txt -> 190, all 64 characters long;
			// grep -c '^#' -> 10
			items: 190, rejects: 0, skipped: 10,
			checks: []sampleCheck{{0, 10, "sha256", "b34ad2bcea2f7e3459975747fa3e44fe958cad413bc5e45768bcbf86cf505fa2"}},
		},
		{
			name: "PhishTank", preset: "Phishtank online valid phishing", path: []string{"phishtank", "online-valid.csv"},
			// python3 csv.reader: 199 rows after the header, all with 8 fields, 9 URLs holding a comma
			items: 199, rejects: 0, skipped: 1,
			checks: []sampleCheck{
				{0, 2, "url", "http://paypals-gift-cards-business.gitlab.io/paypal.com"},
				// grep -n '"' -> line 36 is the first URL quoted for its commas
				{34, 36, "url", "https://smilescartoesway-com-br.umbler.net/cadastrando.php?19,05,25,pm,000000,20,2019,q,03,/admin.asp"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := PresetByName(tt.preset)
			if !ok {
				t.Fatalf("no preset %q", tt.preset)
			}
			got := parseWith(t, p.Settings.Parse, sampleFile(t, tt.path...))
			if got.err != nil {
				t.Fatalf("parse: %v", got.err)
			}
			if len(got.items) != tt.items || len(got.rejects) != tt.rejects {
				t.Errorf("got %d items and %d rejects %v, want %d and %d",
					len(got.items), len(got.rejects), got.rejects, tt.items, tt.rejects)
			}
			if got.stats.Skipped != tt.skipped {
				t.Errorf("got %d skipped lines, want %d", got.stats.Skipped, tt.skipped)
			}
			for _, c := range tt.checks {
				c.check(t, got.items)
			}
		})
	}
}

type sampleCheck struct {
	index int
	line  int
	typ   string
	value string
}

func (c sampleCheck) check(t *testing.T, items []Item) {
	t.Helper()
	if c.index >= len(items) {
		t.Errorf("item %d: got only %d items", c.index, len(items))
		return
	}
	it := items[c.index]
	if it.Line != c.line || it.Type != c.typ || it.Value != c.value {
		t.Errorf("item %d: got line %d %s %q, want line %d %s %q",
			c.index, it.Line, it.Type, it.Value, c.line, c.typ, c.value)
	}
}

// TestSampleDetails checks what the presets take from the columns around
// the value.
func TestSampleDetails(t *testing.T) {
	t.Run("URLhaus", func(t *testing.T) {
		p, _ := PresetByName("URLhaus")
		got := parseWith(t, p.Settings.Parse, sampleFile(t, "urlhaus", "csv_recent.csv"))
		it := got.items[0]
		want := time.Date(2026, 2, 18, 10, 42, 19, 0, time.UTC)
		if it.SourceID != "3780320" || !it.FirstSeen.Equal(want) || it.Comment != "elf,hajime" || it.Column != 3 {
			t.Errorf("got id %q first seen %v comment %q column %d, want 3780320 %v elf,hajime 3",
				it.SourceID, it.FirstSeen, it.Comment, it.Column, want)
		}
	})
	t.Run("ThreatFox", func(t *testing.T) {
		p, _ := PresetByName("ThreatFox")
		got := parseWith(t, p.Settings.Parse, sampleFile(t, "threatfox", "recent.json"))
		it := got.items[6] // "1856365": 8.137.170.3:443, Cobalt Strike
		wantTags := `cobaltstrike|misp-galaxy:malpedia="Cobalt Strike"`
		if it.SourceID != "1856365" || strings.Join(it.Tags, "|") != wantTags {
			t.Errorf("got id %q tags %q, want 1856365 %q", it.SourceID, it.Tags, wantTags)
		}
		if it.Comment != "botnet_cc; Cobalt Strike; confidence 100" {
			t.Errorf("got comment %q, want %q", it.Comment, "botnet_cc; Cobalt Strike; confidence 100")
		}
		first := got.items[0] // no tags, malware PureRAT
		if strings.Join(first.Tags, "|") != `misp-galaxy:malpedia="PureRAT"` || !first.LastSeen.IsZero() {
			t.Errorf("got tags %q last seen %v, want only the galaxy tag and no last seen", first.Tags, first.LastSeen)
		}
	})
	t.Run("blocklist.de IPv6", func(t *testing.T) {
		p, _ := PresetByName("blocklist.de/lists/all.txt")
		got := parseWith(t, p.Settings.Parse, sampleFile(t, "blocklistde", "all.txt"))
		v6 := 0
		for _, it := range got.items {
			if strings.Contains(it.Value, ":") {
				v6++
			}
		}
		// grep -c : blocklistde/all.txt -> 71
		if v6 != 71 {
			t.Errorf("got %d IPv6 addresses, want 71", v6)
		}
	})
}

// TestNewsSamples parses the shared RSS and Atom samples.
func TestNewsSamples(t *testing.T) {
	tests := []struct {
		file   string
		format string
		items  int // counted with grep -o '<item>' (or '<entry>') FILE | wc -l
		first  NewsItem
	}{
		{"bleepingcomputer.xml", "rss", 11, NewsItem{
			Title:     "BlackSuit ransomware extortion sites seized in Operation Checkmate",
			Link:      "https://www.bleepingcomputer.com/news/security/law-enforcement-seizes-blacksuit-ransomware-leak-sites/",
			Published: time.Date(2025, 7, 24, 21, 34, 13, 0, time.UTC),
		}},
		{"securityweek.xml", "rss", 6, NewsItem{
			Title:     "HeroDevs Raises $125 Million to Secure Deprecated OSS",
			Link:      "https://www.securityweek.com/herodevs-raises-125-million-to-secure-deprecated-oss/",
			Published: time.Date(2025, 7, 24, 13, 38, 9, 0, time.UTC),
			GUID:      "https://www.securityweek.com/?p=43066",
		}},
		{"crowdstrike.xml", "rss", 10, NewsItem{
			Title:     "CrowdStrike Named a Leader and Fast Mover in GigaOm ISPM Radar",
			Link:      "https://www.crowdstrike.com/en-us/blog/crowdstrike-leader-fast-mover-2025-gigaom-ispm-radar/",
			Published: time.Date(2025, 7, 23, 5, 0, 0, 0, time.UTC),
			GUID:      "https://www.crowdstrike.com/?p=759938",
		}},
		{"atom_security_blog.xml", "atom", 3, NewsItem{
			Title:     "Using vale with vim",
			Link:      "https://dustri.org/b/using-vale-with-vim.html",
			Published: time.Date(2024, 3, 10, 16, 15, 0, 0, time.UTC),
			GUID:      "tag:dustri.org,2024-03-10:/b/using-vale-with-vim.html",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var items []NewsItem
			st, err := ParseNews(t.Context(), sampleFile(t, "rss", tt.file), NewsOptions{},
				func(n NewsItem) error { items = append(items, n); return nil })
			if err != nil {
				t.Fatalf("ParseNews: %v", err)
			}
			if st.Format != tt.format || len(items) != tt.items {
				t.Fatalf("got %s with %d items, want %s with %d", st.Format, len(items), tt.format, tt.items)
			}
			got, want := items[0], tt.first
			if want.GUID == "" {
				want.GUID = want.Link
			}
			if got.Title != want.Title || got.Link != want.Link || got.GUID != want.GUID ||
				!got.Published.Equal(want.Published) || got.Undated {
				t.Errorf("got %q %q %q %v, want %q %q %q %v", got.Title, got.Link, got.GUID,
					got.Published, want.Title, want.Link, want.GUID, want.Published)
			}
			for i, n := range items {
				if n.Undated || n.Title == "" || n.Link == "" {
					t.Errorf("item %d: got undated=%v title %q link %q, want a date, title and link",
						i, n.Undated, n.Title, n.Link)
				}
			}
		})
	}
}
