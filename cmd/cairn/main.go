// Command cairn is the Cairn threat-intelligence platform: one binary with
// the server, the importer and the operator's tools.
package main

import (
	"os"

	"github.com/cairn-intel/cairn/internal/cli"
)

func main() {
	os.Exit(cli.Execute())
}
