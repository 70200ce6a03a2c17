package taxonomy

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/cairn-intel/cairn/internal/catalog"
)

// Settings is where a Registry keeps its state between runs.
type Settings = catalog.Settings

// The settings a Registry reads and writes.
const (
	DirSetting      = "taxonomies_dir"      // JSON string: the directory of machinetag.json files
	EnabledSetting  = "taxonomies_enabled"  // JSON object: namespace to enabled, where chosen
	RequiredSetting = "taxonomies_required" // JSON object: namespace to required, where chosen
)

// Registry holds every known taxonomy and which are enabled and required.
// Built-in taxonomies are enabled unless turned off; those read from the
// directory are disabled until turned on, as in MISP. A directory taxonomy
// with a built-in's namespace replaces it (the administrator chose that
// file), keeping its id and its being enabled by default.
//
// Ids are positions: the built-ins' namespaces first, then the directory's
// other taxonomies by namespace. State is kept by namespace.
type Registry struct {
	settings Settings

	mu         sync.RWMutex
	dir        string
	taxonomies []*Taxonomy
	byNS       map[string]*Taxonomy // lower-case namespace
	defaultOn  map[string]bool      // lower-case namespaces enabled by default
	enabled    map[string]bool      // chosen by an administrator, lower-case namespace
	required   map[string]bool
	problems   []Problem
}

// NewRegistry returns a registry of the built-in taxonomies alone.
// settings may be nil, for a registry that remembers nothing.
func NewRegistry(settings Settings) *Registry {
	r := &Registry{settings: settings, enabled: map[string]bool{}, required: map[string]bool{}}
	r.install(nil, nil)
	return r
}

// Open returns a registry with the built-in taxonomies, those of the
// directory named in the settings and the state saved there.
func Open(ctx context.Context, settings Settings) (*Registry, error) {
	r := NewRegistry(settings)
	return r, r.Reload(ctx)
}

// Reload reads the settings and the directory again. Files that cannot be
// used, and a directory that cannot be read at all, are kept in Problems;
// in the latter case the taxonomies loaded before stay. Only failing to
// read the settings is an error, and it changes nothing.
func (r *Registry) Reload(ctx context.Context) error {
	var dir string
	enabled, required := map[string]bool{}, map[string]bool{}
	if r.settings != nil {
		var err error
		if dir, err = catalog.String(ctx, r.settings, DirSetting); err != nil {
			return err
		}
		if err := settingMap(ctx, r.settings, EnabledSetting, enabled); err != nil {
			return err
		}
		if err := settingMap(ctx, r.settings, RequiredSetting, required); err != nil {
			return err
		}
	}
	var loaded []*Taxonomy
	var problems []Problem
	dirErr := error(nil)
	if dir != "" {
		loaded, problems, dirErr = Load(dir)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dir, r.enabled, r.required = dir, enabled, required
	if dirErr != nil {
		r.problems = []Problem{{Path: dir, Reason: dirErr.Error()}}
		return nil
	}
	r.install(loaded, problems)
	return nil
}

// install numbers the taxonomies; r.mu is held.
func (r *Registry) install(loaded []*Taxonomy, problems []Problem) {
	all := Builtin()
	r.defaultOn = map[string]bool{}
	slot := map[string]int{}
	for i, t := range all {
		key := strings.ToLower(t.Namespace)
		r.defaultOn[key], slot[key] = true, i
	}
	for _, t := range loaded {
		if i, ok := slot[strings.ToLower(t.Namespace)]; ok {
			all[i] = t
			continue
		}
		all = append(all, t)
	}
	r.byNS = make(map[string]*Taxonomy, len(all))
	for i, t := range all {
		t.ID = int64(i + 1)
		r.byNS[strings.ToLower(t.Namespace)] = t
	}
	r.taxonomies, r.problems = all, problems
}

// Dir returns the directory taxonomies are read from, or "".
func (r *Registry) Dir() string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.dir
}

// Taxonomies returns every known taxonomy in id order.
func (r *Registry) Taxonomies() []*Taxonomy {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.taxonomies
}

// Problems returns what could not be loaded at the last reload.
func (r *Registry) Problems() []Problem {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.problems
}

// Find returns the taxonomy with the id or the namespace (case-insensitive).
func (r *Registry) Find(ref string) (*Taxonomy, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return catalog.Find(r.taxonomies, ref, func(ref string) (*Taxonomy, bool) {
		t, ok := r.byNS[strings.ToLower(ref)]
		return t, ok
	})
}

// Enabled reports whether the taxonomy is enabled.
func (r *Registry) Enabled(t *Taxonomy) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.enabledLocked(t)
}

func (r *Registry) enabledLocked(t *Taxonomy) bool {
	key := strings.ToLower(t.Namespace)
	if on, ok := r.enabled[key]; ok {
		return on
	}
	return r.defaultOn[key]
}

// Required reports whether events must carry a tag of the taxonomy before
// they are published. Only an enabled taxonomy is ever required.
func (r *Registry) Required(t *Taxonomy) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.enabledLocked(t) && r.required[strings.ToLower(t.Namespace)]
}

// SetEnabled turns a taxonomy on or off and saves the choice.
func (r *Registry) SetEnabled(ctx context.Context, t *Taxonomy, on bool) error {
	return r.setFlag(ctx, EnabledSetting, &r.enabled, t, on)
}

// SetRequired makes a taxonomy required or not and saves the choice.
func (r *Registry) SetRequired(ctx context.Context, t *Taxonomy, on bool) error {
	return r.setFlag(ctx, RequiredSetting, &r.required, t, on)
}

// setFlag saves one namespace's flag. The saved flags are read again
// first, so a choice made meanwhile by another process (the command line
// while the server runs) is kept rather than overwritten.
func (r *Registry) setFlag(ctx context.Context, setting string, flags *map[string]bool, t *Taxonomy, on bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	next := make(map[string]bool, len(*flags)+1)
	if r.settings != nil {
		if err := settingMap(ctx, r.settings, setting, next); err != nil {
			return err
		}
	} else {
		for k, v := range *flags {
			next[k] = v
		}
	}
	next[strings.ToLower(t.Namespace)] = on
	if r.settings != nil {
		raw, err := json.Marshal(next)
		if err != nil {
			return err
		}
		if err := r.settings.SetSetting(ctx, setting, string(raw)); err != nil {
			return err
		}
	}
	*flags = next
	return nil
}

// byNamespace returns the taxonomy of a namespace, or nil.
func (r *Registry) byNamespace(namespace string) *Taxonomy {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byNS[strings.ToLower(namespace)]
}

// enabledTaxonomy returns the enabled taxonomy of a namespace, or nil.
func (r *Registry) enabledTaxonomy(namespace string) *Taxonomy {
	r.mu.RLock()
	defer r.mu.RUnlock()
	t := r.byNS[strings.ToLower(namespace)]
	if t == nil || !r.enabledLocked(t) {
		return nil
	}
	return t
}

// SetDir saves the directory to read taxonomies from ("" for none), made
// absolute; a Reload then reads it. The directory must exist.
func SetDir(ctx context.Context, settings Settings, dir string) error {
	return catalog.SaveDir(ctx, settings, DirSetting, dir)
}

func settingMap(ctx context.Context, s Settings, name string, into map[string]bool) error {
	raw, err := s.Setting(ctx, name)
	if err != nil || raw == "" {
		return err
	}
	var m map[string]bool
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return fmt.Errorf("setting %s: %w", name, err)
	}
	for k, v := range m {
		into[strings.ToLower(k)] = v
	}
	return nil
}
