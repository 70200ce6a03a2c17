package correlate

import (
	"os"
	"testing"

	"github.com/cairn-intel/cairn/internal/store/pgtest"
)

// TestMain runs the suite on SQLite, then on PostgreSQL when
// CAIRN_TEST_POSTGRES is set.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
