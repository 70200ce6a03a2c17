package taxonomy

// Colours of the traffic-light levels, as FIRST's TLP 2.0 standard gives
// them; PAP borrows them.
const (
	colourRed   = "#FF2B2B"
	colourAmber = "#FFC000"
	colourGreen = "#33FF00"
	colourClear = "#FFFFFF"
)

// Builtin returns the taxonomies written for Cairn from the public
// definitions, enabled unless an administrator turns them off. Each call
// returns fresh copies.
func Builtin() []*Taxonomy {
	ts := []*Taxonomy{tlp(), pap(), threatLevel(), admiralty()}
	for _, t := range ts {
		t.Builtin, t.Source = true, "builtin"
	}
	return ts
}

func tlp() *Taxonomy {
	return &Taxonomy{
		Namespace: "tlp", Expanded: "Traffic Light Protocol", Version: 2, Exclusive: true,
		Description: "TLP 2.0 (FIRST, 2022): how far the recipients of a piece of " +
			"information may pass it on. One level per event or attribute.",
		Refs: []string{"https://www.first.org/tlp/"},
		Predicates: []*Predicate{
			{Value: "clear", Colour: colourClear,
				Expanded:    "TLP:CLEAR: no limit on disclosure",
				Description: "May be shared with anyone, subject to copyright; replaces TLP:WHITE."},
			{Value: "green", Colour: colourGreen,
				Expanded:    "TLP:GREEN: the recipient's community",
				Description: "May be shared with peers and partners in the recipient's community, not published."},
			{Value: "amber", Colour: colourAmber,
				Expanded: "TLP:AMBER: the recipient's organisation and its clients",
				Description: "May be shared inside the recipient's organisation and with its clients " +
					"on a need-to-know basis."},
			{Value: "amber+strict", Colour: colourAmber,
				Expanded:    "TLP:AMBER+STRICT: the recipient's organisation only",
				Description: "As TLP:AMBER, but not beyond the recipient's own organisation."},
			{Value: "red", Colour: colourRed,
				Expanded:    "TLP:RED: the named recipients only",
				Description: "For the eyes of the people it was given to; not to be passed on at all."},
			{Value: "white", Colour: colourClear, SynonymOf: "clear",
				Expanded: "TLP:WHITE: legacy name of TLP:CLEAR",
				Description: "The TLP 1.0 level that TLP 2.0 renamed TLP:CLEAR; accepted because " +
					"older events and peers still carry it."},
		},
	}
}

func pap() *Taxonomy {
	return &Taxonomy{
		Namespace: "PAP", Expanded: "Permissible Actions Protocol", Version: 2, Exclusive: true,
		Description: "What the recipients may do with an indicator, from anything at all " +
			"to nothing the adversary could notice. One level per event or attribute.",
		Predicates: []*Predicate{
			{Value: "CLEAR", Colour: colourClear,
				Expanded:    "PAP:CLEAR: any use",
				Description: "No restriction on the actions taken with the information."},
			{Value: "GREEN", Colour: colourGreen,
				Expanded: "PAP:GREEN: active measures",
				Description: "Blocking, probing or otherwise interacting with the indicated " +
					"infrastructure is allowed."},
			{Value: "AMBER", Colour: colourAmber,
				Expanded: "PAP:AMBER: passive checks",
				Description: "Look-ups in third-party services and passive monitoring only; " +
					"nothing that touches the indicated infrastructure."},
			{Value: "RED", Colour: colourRed,
				Expanded: "PAP:RED: undetectable use only",
				Description: "Searches of one's own logs and data only; no action visible " +
					"from the outside."},
			{Value: "WHITE", Colour: colourClear, SynonymOf: "CLEAR",
				Expanded:    "PAP:WHITE: legacy name of PAP:CLEAR",
				Description: "The earlier name of PAP:CLEAR, accepted for older events."},
		},
	}
}

func threatLevel() *Taxonomy {
	return &Taxonomy{
		Namespace: "threat-level", Expanded: "Threat level", Version: 1, Exclusive: true,
		Description: "How serious the threat described is, the same four levels as an " +
			"event's threat_level_id, as a tag that attributes can carry too.",
		Predicates: []*Predicate{
			{Value: "high", Colour: "#CC0033", Expanded: "High",
				Description: "Sophisticated or targeted activity, or a threat already causing harm."},
			{Value: "medium", Colour: "#FF8000", Expanded: "Medium",
				Description: "Widespread or capable activity that needs attention."},
			{Value: "low", Colour: "#339900", Expanded: "Low",
				Description: "Commodity or opportunistic activity of limited impact."},
			{Value: "undefined", Colour: "#A0A0A0", Expanded: "Undefined",
				Description: "Not assessed."},
		},
	}
}

func admiralty() *Taxonomy {
	reliability := []struct{ v, label string }{
		{"a", "Completely reliable"}, {"b", "Usually reliable"}, {"c", "Fairly reliable"},
		{"d", "Not usually reliable"}, {"e", "Unreliable"}, {"f", "Reliability cannot be judged"},
	}
	credibility := []struct{ v, label string }{
		{"1", "Confirmed by other sources"}, {"2", "Probably true"}, {"3", "Possibly true"},
		{"4", "Doubtful"}, {"5", "Improbable"}, {"6", "Truth cannot be judged"},
	}
	source := &Predicate{Value: "source-reliability", Expanded: "Source reliability", Exclusive: true,
		Description: "How far the source has been trustworthy in the past, from a to f."}
	for _, r := range reliability {
		source.Entries = append(source.Entries, &Entry{Value: r.v, Expanded: r.label})
	}
	info := &Predicate{Value: "information-credibility", Expanded: "Information credibility", Exclusive: true,
		Description: "How likely the information itself is to be true, from 1 to 6."}
	for _, c := range credibility {
		info.Entries = append(info.Entries, &Entry{Value: c.v, Expanded: c.label})
	}
	return &Taxonomy{
		Namespace: "admiralty-scale", Expanded: "Admiralty scale", Version: 1,
		Description: "The Admiralty (NATO) system, which grades the source and the " +
			"information separately: one letter and one digit per event or attribute.",
		Predicates: []*Predicate{source, info},
	}
}
