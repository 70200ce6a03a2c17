package feed

import "time"

// Preset is the recommended configuration of a public feed. Presets are
// created disabled: they need internet access, and some need a key.
type Preset struct {
	Name     string
	Provider string
	URL      string
	Settings Settings

	FixedEvent         bool // write into one event rather than a new event per pull
	DeltaMerge         bool // soft-delete values gone from the feed (needs FixedEvent)
	Distribution       int  // 0 your organisation .. 3 all, 5 as the event says
	Tags               []string
	DisableCorrelation bool
	Enabled            bool
	Schedule           time.Duration // suggested time between pulls

	Auth Auth
	Note string // what an operator should know
}

// Auth says how a feed takes an access key.
type Auth struct {
	Header      string // request header carrying the key, such as "Auth-Key"
	URLTemplate string // the URL with {key} where the key goes in the path
	Required    bool   // pulls fail without a key
}

// tagBlockList marks list feeds, as MISP's default feeds do.
const tagBlockList = `osint:source-type="block-or-filter-list"`

// abuseCHAuth is how abuse.ch takes a key. Its plain exports were still
// served without one when the samples were taken, so it is optional.
var abuseCHAuth = Auth{Header: "Auth-Key"}

// Presets returns the eleven feeds of the MISP instance Cairn replaces,
// each a fresh value the caller may change.
func Presets() []Preset {
	return []Preset{
		mispPreset("CIRCL OSINT Feed", "CIRCL", "https://www.circl.lu/doc/misp/feed-osint/"),
		mispPreset("The Botvrij.eu Data", "Botvrij.eu", "https://www.botvrij.eu/data/feed-osint/"),
		urlhausPreset(),
		feodoPreset(),
		blocklistDEPreset(),
		openPhishPreset(),
		threatFoxPreset(),
		sslblPreset(),
		malwareBazaarPreset(),
		phishTankPreset(),
		feodoCSVPreset(),
	}
}

// PresetByName returns the preset with the given name.
func PresetByName(name string) (Preset, bool) {
	for _, p := range Presets() {
		if p.Name == name {
			return p, true
		}
	}
	return Preset{}, false
}

func mispPreset(name, provider, url string) Preset {
	return Preset{
		Name: name, Provider: provider, URL: url,
		Settings:     Settings{Format: FormatMISP},
		Distribution: 3,
		Schedule:     24 * time.Hour,
		Note:         "MISP feed: manifest.json, then only new or changed events.",
	}
}

func urlhausPreset() Preset {
	return Preset{
		Name: "URLhaus", Provider: "abuse.ch",
		URL: "https://urlhaus.abuse.ch/downloads/csv_recent/",
		Settings: Settings{Format: FormatCSV, CSV: CSVOptions{
			Columns: []int{3}, Types: map[int]string{3: "url"},
			IDColumn: 1, FirstSeenColumn: 2, CommentColumn: 7,
		}},
		FixedEvent: true, DeltaMerge: true, Distribution: 3,
		Tags: []string{tagBlockList}, DisableCorrelation: true,
		Schedule: time.Hour, Auth: abuseCHAuth,
		Note: "Malware URLs of the last 30 days; column 7 (URLhaus tags) goes to the comment.",
	}
}

func feodoPreset() Preset {
	return Preset{
		Name: "Feodo Tracker", Provider: "abuse.ch",
		URL:      "https://feodotracker.abuse.ch/downloads/ipblocklist_recommended.txt",
		Settings: Settings{Format: FormatFreetext},
		// The list holds the C2s online now, so values that leave it are
		// deleted from the event.
		FixedEvent: true, DeltaMerge: true, Distribution: 3,
		Tags: []string{tagBlockList}, Schedule: time.Hour, Auth: abuseCHAuth,
		Note: "Recommended botnet C2 IP blocklist; may legitimately be empty.",
	}
}

func blocklistDEPreset() Preset {
	return Preset{
		Name: "blocklist.de/lists/all.txt", Provider: "blocklist.de",
		URL:        "https://lists.blocklist.de/lists/all.txt",
		Settings:   Settings{Format: FormatFreetext},
		FixedEvent: true, Distribution: 3,
		Tags: []string{tagBlockList}, Schedule: time.Hour,
		Note: "Attacking IPv4 and IPv6 addresses of the last 48 hours; many are residential.",
	}
}

func openPhishPreset() Preset {
	return Preset{
		Name: "OpenPhish url list", Provider: "openphish.com",
		URL:        "https://openphish.com/feed.txt",
		Settings:   Settings{Format: FormatFreetext},
		FixedEvent: true, DeltaMerge: true, Distribution: 3,
		Tags: []string{tagBlockList}, Schedule: 12 * time.Hour,
		Note: "Community phishing URLs, refreshed every 12 hours.",
	}
}

func threatFoxPreset() Preset {
	return Preset{
		Name: "ThreatFox", Provider: "abuse.ch",
		URL:        "https://threatfox.abuse.ch/export/json/recent/",
		Settings:   Settings{Format: FormatJSON, JSON: ThreatFoxJSON()},
		FixedEvent: true, Distribution: 0,
		Tags: []string{tagBlockList}, Schedule: time.Hour, Auth: abuseCHAuth,
		Note: "Recent IOCs (IP:port, domains, URLs, hashes) with malware family tags.",
	}
}

func sslblPreset() Preset {
	return Preset{
		Name: "abuse.ch SSL Blacklist", Provider: "abuse.ch",
		URL: "https://sslbl.abuse.ch/blacklist/sslblacklist.csv",
		Settings: Settings{Format: FormatCSV, CSV: CSVOptions{
			Columns: []int{2}, Types: map[int]string{2: "x509-fingerprint-sha1"},
			FirstSeenColumn: 1, CommentColumn: 3,
		}},
		FixedEvent: true, Distribution: 3, Schedule: 24 * time.Hour, Auth: abuseCHAuth,
		Note: "SHA-1 fingerprints of malware C2 certificates, stored as " +
			"x509-fingerprint-sha1 so they do not correlate with file hashes.",
	}
}

func malwareBazaarPreset() Preset {
	return Preset{
		Name: "MalwareBazaar", Provider: "abuse.ch",
		URL: "https://bazaar.abuse.ch/export/txt/sha256/recent/",
		Settings: Settings{Format: FormatCSV, CSV: CSVOptions{
			Columns: []int{1}, Types: map[int]string{1: "sha256"},
		}},
		FixedEvent: true, Distribution: 0,
		Tags: []string{tagBlockList}, Schedule: time.Hour, Auth: abuseCHAuth,
		Note: "SHA-256 of recent samples (MISP's default takes the MD5 list instead).",
	}
}

func phishTankPreset() Preset {
	return Preset{
		Name: "Phishtank online valid phishing", Provider: "Phishtank",
		URL: "https://data.phishtank.com/data/online-valid.csv",
		Settings: Settings{Format: FormatCSV, CSV: CSVOptions{
			Columns: []int{2}, Types: map[int]string{2: "url"}, Header: true,
			Exclude:  `/^http:\/\/www.phishtank.com/i`,
			IDColumn: 1, FirstSeenColumn: 4, CommentColumn: 8,
		}},
		FixedEvent: true, DeltaMerge: true, Distribution: 0,
		Tags: []string{tagBlockList}, Schedule: 6 * time.Hour,
		Auth: Auth{URLTemplate: "https://data.phishtank.com/data/{key}/online-valid.csv"},
		Note: "Without an application key only a few downloads a day are allowed; a " +
			"descriptive User-Agent is required. URLs are stored as written (&amp; kept).",
	}
}

func feodoCSVPreset() Preset {
	return Preset{
		Name: "Feodo IP Blocklist", Provider: "abuse.ch",
		URL: "https://feodotracker.abuse.ch/downloads/ipblocklist.csv",
		Settings: Settings{Format: FormatCSV, CSV: CSVOptions{
			Columns: []int{2}, Types: map[int]string{2: "ip-dst"}, Header: true,
			FirstSeenColumn: 1, LastSeenColumn: 5, CommentColumn: 6,
		}},
		FixedEvent: true, Distribution: 3, Schedule: time.Hour, Auth: abuseCHAuth,
		Note: "MISP's default Feodo entry: C2 IPs with first and last seen and the malware name.",
	}
}
