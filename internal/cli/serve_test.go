package cli

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestTuneGCLeavesTheEnvironmentItsSay(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))

	os.Unsetenv("GOGC")
	os.Unsetenv("GOMEMLIMIT")
	tuneGC()
	if got := debug.SetGCPercent(100); got != 400 {
		t.Errorf("without GOGC: got GC percent %d, want 400", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 128<<20 {
		t.Errorf("without GOMEMLIMIT: got memory limit %d, want %d", got, 128<<20)
	}

	t.Setenv("GOGC", "100")
	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(1 << 30)
	tuneGC()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC=100: got GC percent %d, want it left at 100", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 1<<30 {
		t.Errorf("with GOMEMLIMIT: got memory limit %d, want it left at 1 GiB", got)
	}
}
