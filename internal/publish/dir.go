package publish

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/uuid"

	"github.com/cairn-intel/cairn/internal/store"
)

// Counts says what an export wrote. Attributes and Objects count live
// items (object attributes included); soft-deleted ones travel too but are
// not counted.
type Counts struct {
	Events     int `json:"events"`
	Attributes int `json:"attributes"`
	Objects    int `json:"objects"`
	Hashes     int `json:"hashes"`
}

// Export writes the feed into dir. It is written into a new directory
// beside dir, which then takes dir's place, so a consumer sees the old
// feed or the new one, never half of one (between the two renames the
// directory is briefly absent). A dir that holds files but no
// manifest.json is refused rather than replaced.
func (x *Exporter) Export(ctx context.Context, dir string) (Counts, error) {
	dir = filepath.Clean(dir)
	if err := checkTarget(dir); err != nil {
		return Counts{}, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return Counts{}, err
	}
	c, err := x.writeDir(ctx, tmp)
	if err == nil {
		err = os.Chmod(tmp, 0o755) // a feed is meant to be served
	}
	if err == nil {
		err = replaceDir(tmp, dir)
	}
	if err != nil {
		_ = os.RemoveAll(tmp) // best effort: the error says what went wrong
		return Counts{}, err
	}
	return c, nil
}

// checkTarget accepts a missing directory, an empty one, or a feed.
func checkTarget(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	case len(entries) == 0:
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
		return fmt.Errorf("%s holds files but no manifest.json: not replacing it", dir)
	}
	for _, e := range entries {
		if !isFeedFile(e) {
			return fmt.Errorf("%s holds %s, which is not part of a feed: not replacing it", dir, e.Name())
		}
	}
	return nil
}

// isFeedFile reports whether a directory entry is one an export writes:
// manifest.json, hashes.csv or <uuid>.json.
func isFeedFile(e os.DirEntry) bool {
	name := e.Name()
	if e.IsDir() {
		return false
	}
	if name == "manifest.json" || name == "hashes.csv" {
		return true
	}
	u, ok := strings.CutSuffix(name, ".json")
	_, err := uuid.Parse(u)
	return ok && err == nil
}

// replaceDir puts the directory tmp in the place of dir.
func replaceDir(tmp, dir string) error {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return os.Rename(tmp, dir)
	}
	old, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".old-")
	if err != nil {
		return err
	}
	if err := os.Remove(old); err != nil { // only the unique name was wanted
		return err
	}
	if err := os.Rename(dir, old); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return errors.Join(err, os.Rename(old, dir))
	}
	return os.RemoveAll(old)
}

// writeDir writes every file of the feed into dir, one page of events at a
// time; manifest.json and hashes.csv grow as the events are written.
func (x *Exporter) writeDir(ctx context.Context, dir string) (Counts, error) {
	var c Counts
	manifest, err := os.Create(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return c, err
	}
	defer manifest.Close()
	hashFile, err := os.Create(filepath.Join(dir, "hashes.csv"))
	if err != nil {
		return c, err
	}
	defer hashFile.Close()
	m, hashes := newManifestWriter(manifest), bufio.NewWriterSize(hashFile, 64<<10)

	err = x.eachPage(ctx, true, func(page []store.Event) error {
		for _, e := range page {
			if err := x.writeOne(dir, e, m, hashes, &c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return c, err
	}
	if err := m.close(); err != nil {
		return c, err
	}
	if err := hashes.Flush(); err != nil {
		return c, err
	}
	if err := manifest.Close(); err != nil {
		return c, err
	}
	return c, hashFile.Close()
}

// writeOne writes the file of one event, its manifest entry and its hashes.
func (x *Exporter) writeOne(dir string, stored store.Event, m *manifestWriter, hashes *bufio.Writer, c *Counts) error {
	e := x.rule.trim(stored)
	if err := writeEventFile(filepath.Join(dir, e.UUID+".json"), e); err != nil {
		return err
	}
	if err := m.add(e.UUID, manifestEntry(stored)); err != nil {
		return err
	}
	n, err := writeHashes(hashes, e)
	if err != nil {
		return err
	}
	c.Events++
	c.Hashes += n
	c.count(e)
	return nil
}

// count adds the live attributes and objects of an exported event.
func (c *Counts) count(e Event) {
	for _, a := range e.Attribute {
		if !a.Deleted {
			c.Attributes++
		}
	}
	for _, o := range e.Object {
		if o.Deleted {
			continue
		}
		c.Objects++
		for _, a := range o.Attribute {
			if !a.Deleted {
				c.Attributes++
			}
		}
	}
}

func writeEventFile(path string, e Event) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 64<<10)
	err = WriteEvent(w, e)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
