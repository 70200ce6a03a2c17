package cli

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/mattn/go-sqlite3"
)

// TestRefusedCopyLeavesNoTarget copies to a SQLite data directory that did
// not exist, from a source holding a table the target lacks: the copy is
// refused, and the directory and database it created are removed again.
func TestRefusedCopyLeavesNoTarget(t *testing.T) {
	src := newInstance(t)
	db, err := sql.Open("sqlite3", filepath.Join(src, "cairn.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE local_notes (id INTEGER PRIMARY KEY, note TEXT)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	target := filepath.Join(t.TempDir(), "new", "data")
	captureStderr(t, func() {
		if code := Run([]string{"db", "copy", "--from", "sqlite:" + src, "--to", "sqlite:" + target, "--quiet",
			"--log-level", "error"}); code == 0 {
			t.Errorf("copy with a table missing from the target: exit code 0, want a refusal")
		}
	})
	if _, err := os.Stat(filepath.Dir(target)); !os.IsNotExist(err) {
		entries, _ := os.ReadDir(target)
		t.Errorf("after a refused copy the target's directory is still there (%v, holding %d entries)", err, len(entries))
	}
}
