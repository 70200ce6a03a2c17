package gen

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
)

// The events span 2019 to 2025 in index order, as event ids grow with time.
var (
	firstEvent = time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	lastEvent  = time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC).Unix()
)

// sharedPoolSize is the number of indicators that recur across events, as
// popular infrastructure does; sharedShare in a hundred attributes use one.
const (
	sharedPoolSize = 4000
	sharedShare    = 8
)

type pooledValue struct{ typ, value string }

var orgWords = []string{"Northwind", "Blue Harbour", "Kestrel", "Ironbridge", "Lumen", "Cobalt", "Fjord",
	"Meridian", "Sable", "Granite", "Aurora", "Harrow", "Quill", "Tamarack", "Vesper", "Wrenfield",
	"Orchid", "Basalt", "Cinder", "Larch"}

var orgKinds = []string{"CERT", "CSIRT", "SOC", "ISAC", "Threat Intel"}

func makeOrgs(r *rand.Rand, n int) []wireOrg {
	orgs := make([]wireOrg, n)
	for i := range orgs {
		name := fmt.Sprintf("%s %s", orgWords[i%len(orgWords)], orgKinds[i%len(orgKinds)])
		if i >= len(orgWords) {
			name += " " + strconv.Itoa(i/len(orgWords)+1)
		}
		orgs[i] = wireOrg{Name: name, UUID: newUUID(r)}
	}
	return orgs
}

func makePool(r *rand.Rand, n int) []pooledValue {
	pool := make([]pooledValue, n)
	for i := range pool {
		typ := pickType(r)
		pool[i] = pooledValue{typ: typ, value: makeValue(r, typ)}
	}
	return pool
}

// newUUID draws a version 4 UUID from r.
func newUUID(r *rand.Rand) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

var (
	infoPrefixes = []string{"OSINT -", "Phishing campaign:", "Malware analysis:", "Incident", "Sandbox report:"}
	families     = []string{"Emotet", "Qakbot", "AgentTesla", "Cobalt Strike", "IcedID", "RedLine", "LockBit",
		"AsyncRAT", "Formbook", "Raccoon", "SocGholish", "Remcos"}
	sectors = []string{"finance", "healthcare", "government", "energy", "telecoms", "retail", "education"}
	tlpTags = []wireTag{{"tlp:white", "#ffffff"}, {"tlp:green", "#339900"}, {"tlp:amber", "#ffc000"},
		{"tlp:red", "#cc0033"}}
	tlpWeights = []int{35, 45, 17, 3}
	extraTags  = []wireTag{{"type:OSINT", "#004646"}, {`osint:source-type="blog-post"`, "#00223b"},
		{`circl:incident-classification="malware"`, "#3d7a00"}, {`misp-galaxy:threat-actor="Sofacy"`, "#0088cc"},
		{`misp-galaxy:tool="Emotet"`, "#0088cc"}, {`ecsirt:malicious-code="ransomware"`, "#005a5a"},
		{"workflow:state=\"complete\"", "#1b8a41"}}
	attributeTags = []wireTag{{`kill-chain:Command and Control`, "#0088cc"}, {"false-positive:risk=\"low\"", "#33ff00"}}
)

// wire builds event i in its feed form.
func (g *Generator) wire(i int) wireEvent {
	r := rand.New(rand.NewPCG(g.cfg.Seed, uint64(i)+1))
	span := lastEvent - firstEvent
	ts := firstEvent + span*int64(i)/int64(max(g.cfg.Events, 1)) + r.Int64N(86400)
	ev := wireEvent{
		UUID:             newUUID(r),
		Info:             fmt.Sprintf("%s %s %s targeting %s", pick(r, infoPrefixes), pick(r, families), "activity", pick(r, sectors)),
		Date:             time.Unix(ts-r.Int64N(3*86400), 0).UTC().Format("2006-01-02"),
		ThreatLevelID:    strconv.Itoa(1 + r.IntN(4)),
		Analysis:         strconv.Itoa(r.IntN(3)),
		Distribution:     strconv.Itoa(r.IntN(4)),
		Published:        r.IntN(100) < 85,
		Timestamp:        strconv.FormatInt(ts, 10),
		PublishTimestamp: strconv.FormatInt(ts+r.Int64N(3600), 10),
		Orgc:             g.orgs[skewedIndex(r, len(g.orgs))],
		Tag:              eventTags(r),
	}
	b := &eventBuilder{r: r, g: g, ts: ts, seen: map[string]bool{}}
	b.fill(&ev, g.sizes[i])
	return ev
}

// skewedIndex picks from n with the first indexes far more likely, as a
// few organisations publish most events.
func skewedIndex(r *rand.Rand, n int) int {
	u := r.Float64()
	return min(int(float64(n)*u*u*u), n-1)
}

func eventTags(r *rand.Rand) []wireTag {
	n := r.IntN(100)
	tlp := 0
	for tlp < len(tlpWeights)-1 && n >= tlpWeights[tlp] {
		n -= tlpWeights[tlp]
		tlp++
	}
	tags := []wireTag{tlpTags[tlp]}
	for _, k := range r.Perm(len(extraTags))[:r.IntN(4)] {
		tags = append(tags, extraTags[k])
	}
	return tags
}
