package warninglist

// The attribute types the built-in lists apply to.
var (
	addressTypes = []string{"ip-src", "ip-dst", "ip-src|port", "ip-dst|port", "domain|ip", "url"}
	nameTypes    = []string{"domain", "hostname", "domain|ip", "hostname|port", "url", "uri",
		"email", "email-src", "email-dst", "email-reply-to", "whois-registrant-email"}
)

// Builtin returns the lists written for Cairn, enabled unless an
// administrator turns them off: address ranges and names that are reserved
// for documentation, private use or the local host, so never an attacker's
// infrastructure. Each call returns fresh copies.
func Builtin() []*List {
	lists := []*List{
		{
			Name: "Cairn: IPv4 documentation ranges (RFC 5737)", Type: TypeCIDR,
			Description: "The three IPv4 blocks set aside for examples in documents " +
				"(TEST-NET-1, -2 and -3). Real traffic never comes from them; " +
				"an indicator inside one was copied from a write-up or a template.",
			MatchingAttributes: addressTypes,
			Entries:            []string{"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"},
		},
		{
			Name: "Cairn: IPv6 documentation range (RFC 3849)", Type: TypeCIDR,
			Description: "The IPv6 prefix reserved for examples in documents; " +
				"no network routes it.",
			MatchingAttributes: addressTypes,
			Entries:            []string{"2001:db8::/32"},
		},
		{
			Name: "Cairn: private IPv4 ranges (RFC 1918)", Type: TypeCIDR,
			Description: "Address blocks for private networks. An indicator here " +
				"names some internal host, not one an outsider can reach; " +
				"it is meaningful only to the organisation that saw it.",
			MatchingAttributes: addressTypes,
			Entries:            []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"},
		},
		{
			Name: "Cairn: loopback addresses", Type: TypeCIDR,
			Description: "Addresses of the local host itself (127.0.0.0/8 and ::1), " +
				"often left behind by sandboxes and test configurations.",
			MatchingAttributes: addressTypes,
			Entries:            []string{"127.0.0.0/8", "::1/128"},
		},
		{
			Name: "Cairn: link-local addresses", Type: TypeCIDR,
			Description: "Self-assigned addresses valid only on one network link " +
				"(169.254.0.0/16 and fe80::/10); routers do not forward them.",
			MatchingAttributes: addressTypes,
			Entries:            []string{"169.254.0.0/16", "fe80::/10"},
		},
		{
			Name: "Cairn: shared address space (RFC 6598)", Type: TypeCIDR,
			Description: "100.64.0.0/10, used by providers between their customers " +
				"and carrier-grade NAT; as ambiguous as a private range.",
			MatchingAttributes: addressTypes,
			Entries:            []string{"100.64.0.0/10"},
		},
		{
			Name: "Cairn: example and reserved domain names (RFC 2606, RFC 6761)", Type: TypeHostname,
			Description: "Names reserved for examples, tests and the local host, " +
				"and every name below them. They never resolve on the public " +
				"Internet, so an indicator using one is a placeholder.",
			MatchingAttributes: nameTypes,
			Entries: []string{"example", "example.com", "example.net", "example.org",
				"test", "invalid", "localhost"},
		},
	}
	for _, l := range lists {
		l.Version, l.Category, l.Builtin, l.Source = 1, CategoryFalsePositive, true, "builtin"
	}
	return lists
}
