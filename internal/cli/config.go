package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// setting is one entry of the configuration table: a flag, its environment
// variable, its default and whether it is a secret.
type setting struct {
	flag, env, def, help string
	secret               bool
	dst                  *string
}

// serveSettings is the configuration of `cairn serve`, in one table.
func serveSettings(c *serveConfig) []setting {
	return []setting{
		{"listen", "CAIRN_LISTEN", "127.0.0.1:8443", "address to listen on", false, &c.listen},
		{"tls-cert", "CAIRN_TLS_CERT", "", "TLS certificate file (default: self-signed in the data directory)", false, &c.tlsCert},
		{"tls-key", "CAIRN_TLS_KEY", "", "TLS key file", false, &c.tlsKey},
		{"plain-http", "CAIRN_PLAIN_HTTP", "false", "serve plain HTTP (loopback addresses only)", false, &c.plainHTTP},
		{"org", "CAIRN_ORG", "Cairn", "name of the host organisation created at first start", false, &c.org},
		{"admin-email", "CAIRN_ADMIN_EMAIL", "admin@cairn.local", "e-mail of the site administrator created at first start", false, &c.adminEmail},
		{"query-budget", "CAIRN_QUERY_BUDGET", "2m", "longest time one API request may run before its queries are stopped", false, &c.queryBudget},
		{"node", "CAIRN_NODE", "", "name of this node among those sharing the database (default hostname:pid)", false, &c.node},
		{"heartbeat", "CAIRN_HEARTBEAT", "30s", "how often a node says it is alive and renews its claims; the same on every node", false, &c.heartbeat},
		{"", "CAIRN_ADMIN_KEY", "", "API key of the first administrator (40 letters and digits); first start only", true, &c.adminKey},
	}
}

// bindSettings registers the flags of a settings table; environment
// variables provide the defaults.
func bindSettings(cmd *cobra.Command, settings []setting) {
	for _, s := range settings {
		*s.dst = envOr(s.env, s.def)
		if s.flag != "" {
			cmd.Flags().StringVar(s.dst, s.flag, *s.dst, s.help+" (env "+s.env+")")
		}
		if s.def == "false" { // a switch: "--plain-http" alone means true
			cmd.Flags().Lookup(s.flag).NoOptDefVal = "true"
		}
	}
}

// printSettings writes the effective configuration with secrets masked.
func printSettings(settings []setting) {
	for _, s := range settings {
		v := *s.dst
		if s.secret && v != "" {
			v = "********"
		}
		name := s.flag
		if name == "" {
			name = strings.ToLower(strings.TrimPrefix(s.env, "CAIRN_"))
		}
		fmt.Fprintf(os.Stdout, "%-12s %-20s %s\n", name, s.env, v)
	}
}

func parseBool(name, v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true, nil
	case "", "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%s: %q is not true or false", name, v)
}
