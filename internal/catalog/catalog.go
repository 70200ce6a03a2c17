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
