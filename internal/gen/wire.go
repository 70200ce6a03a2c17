package gen

// The types below are the JSON of a generated event as a MISP feed holds
// it: numbers as strings, local ids left out. Events are built in this
// form and decoded into misp.Event, so that what the generator yields is
// exactly what an import of its feed reads.

type wireEvent struct {
	UUID             string          `json:"uuid"`
	Info             string          `json:"info"`
	Date             string          `json:"date"`
	ThreatLevelID    string          `json:"threat_level_id"`
	Analysis         string          `json:"analysis"`
	Distribution     string          `json:"distribution"`
	Published        bool            `json:"published"`
	Timestamp        string          `json:"timestamp"`
	PublishTimestamp string          `json:"publish_timestamp"`
	Orgc             wireOrg         `json:"Orgc"`
	Tag              []wireTag       `json:"Tag,omitempty"`
	Attribute        []wireAttribute `json:"Attribute"`
	Object           []wireObject    `json:"Object,omitempty"`
}

type wireOrg struct {
	Name string `json:"name"`
	UUID string `json:"uuid"`
}

type wireTag struct {
	Name   string `json:"name"`
	Colour string `json:"colour,omitempty"`
}

type wireAttribute struct {
	UUID           string    `json:"uuid"`
	Type           string    `json:"type"`
	Category       string    `json:"category"`
	Value          string    `json:"value"`
	ToIDS          bool      `json:"to_ids"`
	Distribution   string    `json:"distribution"`
	Comment        string    `json:"comment,omitempty"`
	Timestamp      string    `json:"timestamp"`
	ObjectRelation string    `json:"object_relation,omitempty"`
	Tag            []wireTag `json:"Tag,omitempty"`
}

type wireObject struct {
	UUID            string          `json:"uuid"`
	Name            string          `json:"name"`
	MetaCategory    string          `json:"meta-category"`
	TemplateUUID    string          `json:"template_uuid"`
	TemplateVersion string          `json:"template_version"`
	Timestamp       string          `json:"timestamp"`
	Distribution    string          `json:"distribution"`
	Attribute       []wireAttribute `json:"Attribute"`
}

// manifestEntry is one event's summary in a feed's manifest.json.
type manifestEntry struct {
	Orgc          wireOrg   `json:"Orgc"`
	Tag           []wireTag `json:"Tag"`
	Info          string    `json:"info"`
	Date          string    `json:"date"`
	Analysis      string    `json:"analysis"`
	ThreatLevelID string    `json:"threat_level_id"`
	Timestamp     string    `json:"timestamp"`
}
