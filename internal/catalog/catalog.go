// Package catalog holds what the knowledge registries (warninglists,
// taxonomies, galaxies) share: where they keep their state, how the
// directory an admin points them to is saved, and how its files are found.
package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Settings is where a registry keeps its state between runs: the instance
// settings of the store, whose values are JSON.
type Settings interface {
	Setting(ctx context.Context, name string) (string, error)
	SetSetting(ctx context.Context, name, value string) error
}

// SaveDir saves under name the directory to read from ("" for none), made
// absolute; the directory must exist.
func SaveDir(ctx context.Context, settings Settings, name, dir string) error {
	if dir != "" {
		st, err := os.Stat(dir)
		if err != nil {
			return err
		}
		if !st.IsDir() {
			return fmt.Errorf("%s is not a directory", dir)
		}
		if dir, err = filepath.Abs(dir); err != nil {
			return err
		}
	}
	raw, err := json.Marshal(dir)
	if err != nil {
		return err
	}
	return settings.SetSetting(ctx, name, string(raw))
}

// String reads a setting holding a JSON string; a value that is not JSON is
// taken as it stands, so a hand-written path still works.
func String(ctx context.Context, s Settings, name string) (string, error) {
	raw, err := s.Setting(ctx, name)
	if err != nil || raw == "" {
		return "", err
	}
	var v string
	if json.Unmarshal([]byte(raw), &v) != nil {
		v = raw
	}
	return v, nil
}

// FindFiles returns, sorted, the paths of the files called name below dir,
// skipping hidden folders. kind names the directory in errors.
func FindFiles(dir, name, kind string) ([]string, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != dir && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if !d.IsDir() && d.Name() == name {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s directory: %w", kind, err)
	}
	sort.Strings(paths)
	return paths, nil
}

// Find returns the item a reference names, as the registries' look-ups
// take them: a number is an id, the item's position in items counted from
// 1; anything else is looked up by byName (a name, a namespace, a uuid).
// The caller holds the lock that guards items.
func Find[T any](items []T, ref string, byName func(ref string) (T, bool)) (T, bool) {
	ref = strings.TrimSpace(ref)
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		var none T
		if id < 1 || id > int64(len(items)) {
			return none, false
		}
		return items[id-1], true
	}
	return byName(ref)
}

// FindIn returns the first item match accepts, for Find's byName.
func FindIn[T any](items []T, match func(T) bool) (T, bool) {
	for _, it := range items {
		if match(it) {
			return it, true
		}
	}
	var none T
	return none, false
}
