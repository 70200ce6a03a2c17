package cli

import (
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/cairn-intel/cairn/internal/server"
)

type serveConfig struct {
	listen, tlsCert, tlsKey, plainHTTP, org, adminEmail, adminKey, queryBudget, node, heartbeat string
}

func init() {
	commands = append(commands, newServeCmd, newConfigCmd)
}

func (c *serveConfig) server(g *globals) (server.Config, error) {
	plain, err := parseBool("--plain-http", c.plainHTTP)
	if err != nil {
		return server.Config{}, err
	}
	budget, err := time.ParseDuration(c.queryBudget)
	if err != nil || budget <= 0 {
		return server.Config{}, fmt.Errorf("--query-budget: %q is not a positive duration such as 90s or 2m", c.queryBudget)
	}
	beat, err := time.ParseDuration(c.heartbeat)
	if err != nil {
		return server.Config{}, fmt.Errorf("--heartbeat: %q is not a duration such as 30s", c.heartbeat)
	}
	return server.Config{DataDir: g.dataDir, Listen: c.listen, TLSCert: c.tlsCert, TLSKey: c.tlsKey,
		PlainHTTP: plain, OrgName: c.org, AdminEmail: c.adminEmail, AdminKey: c.adminKey,
		QueryBudget: budget, Node: c.node, Heartbeat: beat, Version: Version, Out: os.Stdout}, nil
}

func newServeCmd(g *globals) *cobra.Command {
	c := &serveConfig{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Cairn server (creates and initialises the data directory on first start)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.server(g)
			if err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			st, log, err := g.openOrCreate(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			tuneGC()
			return server.Run(cmd.Context(), st, cfg, log)
		},
	}
	bindSettings(cmd, serveSettings(c))
	return cmd
}

func newConfigCmd(g *globals) *cobra.Command {
	c := &serveConfig{}
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the effective configuration of 'cairn serve' (secrets masked)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			printSettings(append([]setting{{flag: "data", env: "CAIRN_DATA", dst: &g.dataDir}}, serveSettings(c)...))
			return nil
		},
	}
	bindSettings(cmd, serveSettings(c))
	return cmd
}

// tuneGC trades memory the server does not use for less collection work:
// a large search answer allocates a few kilobytes a row, and with the
// default settings collecting took a third of its CPU time while the heap
// stayed near 30 MB. The collector runs at four times the live heap
// instead of twice, and a soft limit of 128 MB brings it back earlier when
// the heap grows: with SQLite's page caches (outside the Go heap, up to
// 192 MB) the process stayed under 200 MB at 6M attributes, where a limit
// of 200 MB let it pass the 250 MB budget. GOGC and GOMEMLIMIT in the
// environment keep their say.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(128 << 20)
	}
}
