package warninglist

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cairn-intel/cairn/internal/catalog"
)

// Settings is where a Registry keeps its state between runs.
type Settings = catalog.Settings

// The settings a Registry reads and writes.
const (
	DirSetting     = "warninglists_dir"     // JSON string: the directory of MISP-format lists
	EnabledSetting = "warninglists_enabled" // JSON object: list name to enabled, where chosen
)

// Registry holds every known list, which are enabled, and the Matcher of
// the enabled ones. Built-in lists are enabled unless turned off; lists
// read from the directory are disabled until turned on, as in MISP, since
// some published lists are large or strict enough to hide real indicators.
//
// Ids are positions: the built-in lists first, then the directory's lists
// by name. They stay put while the directory does; names are the stable
// reference, and enabled state is kept by name.
type Registry struct {
	settings Settings

	mu       sync.RWMutex
	dir      string
	lists    []*List
	chosen   map[string]bool // enabled state set by an administrator, by name
	problems []Problem
	matcher  atomic.Pointer[Matcher]
}

// NewRegistry returns a registry of the built-in lists alone. settings may
// be nil, for a registry that remembers nothing.
func NewRegistry(settings Settings) *Registry {
	r := &Registry{settings: settings, chosen: map[string]bool{}}
	r.install(nil, nil)
	return r
}

// Open returns a registry with the built-in lists, the lists of the
// directory named in the settings and the enabled state saved there.
func Open(ctx context.Context, settings Settings) (*Registry, error) {
	r := NewRegistry(settings)
	return r, r.Reload(ctx)
}

// Reload reads the settings and the directory again. Files that cannot be
// used, and a directory that cannot be read at all, are kept in Problems;
// in the latter case the lists loaded before stay. Only failing to read the
// settings is an error, and it changes nothing.
func (r *Registry) Reload(ctx context.Context) error {
	dir, chosen, err := r.readSettings(ctx)
	if err != nil {
		return err
	}
	var loaded []*List
	var problems []Problem
	dirErr := error(nil)
	if dir != "" {
		loaded, problems, dirErr = Load(dir)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dir, r.chosen = dir, chosen
	if dirErr != nil {
		r.problems = []Problem{{Path: dir, Reason: dirErr.Error()}}
		r.rebuild()
		return nil
	}
	r.install(loaded, problems)
	return nil
}

func (r *Registry) readSettings(ctx context.Context) (string, map[string]bool, error) {
	chosen := map[string]bool{}
	if r.settings == nil {
		return "", chosen, nil
	}
	dir, err := catalog.String(ctx, r.settings, DirSetting)
	if err != nil {
		return "", nil, err
	}
	raw, err := r.settings.Setting(ctx, EnabledSetting)
	if err != nil {
		return "", nil, err
	}
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &chosen); err != nil {
			return "", nil, fmt.Errorf("setting %s: %w", EnabledSetting, err)
		}
	}
	return dir, chosen, nil
}

// install numbers the lists and rebuilds the matcher; r.mu is held.
func (r *Registry) install(loaded []*List, problems []Problem) {
	lists := Builtin()
	names := map[string]bool{}
	for _, l := range lists {
		names[strings.ToLower(l.Name)] = true
	}
	for _, l := range loaded {
		if names[strings.ToLower(l.Name)] {
			problems = append(problems, Problem{Path: l.Source, Reason: "the name " +
				strconv.Quote(l.Name) + " is taken by a built-in list"})
			continue
		}
		names[strings.ToLower(l.Name)] = true
		lists = append(lists, l)
	}
	for i, l := range lists {
		l.ID = int64(i + 1)
	}
	r.lists, r.problems = lists, problems
	r.rebuild()
}

func (r *Registry) rebuild() {
	var on []*List
	for _, l := range r.lists {
		if r.enabledLocked(l) {
			on = append(on, l)
		}
	}
	r.matcher.Store(NewMatcher(on))
}

// Matcher returns the matcher of the enabled lists. It is a snapshot: a
// caller checking many values (a feed pull) takes it once and keeps it.
func (r *Registry) Matcher() *Matcher { return r.matcher.Load() }

// Dir returns the directory lists are read from, or "".
func (r *Registry) Dir() string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.dir
}

// Lists returns every known list in id order.
func (r *Registry) Lists() []*List {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.lists
}

// Problems returns what could not be loaded at the last reload.
func (r *Registry) Problems() []Problem {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.problems
}

// Enabled reports whether the list is enabled.
func (r *Registry) Enabled(l *List) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.enabledLocked(l)
}

func (r *Registry) enabledLocked(l *List) bool {
	if on, ok := r.chosen[l.Name]; ok {
		return on
	}
	return l.Builtin
}

// Find returns the list with the id or the name (case-insensitive).
func (r *Registry) Find(ref string) (*List, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return catalog.Find(r.lists, ref, func(ref string) (*List, bool) {
		return catalog.FindIn(r.lists, func(l *List) bool { return strings.EqualFold(l.Name, ref) })
	})
}

// SetEnabled turns lists on or off, saves the choice and rebuilds the
// matcher. It returns how many lists changed state. The saved choices are
// read again first, so a choice made meanwhile by another process (the
// command line while the server runs) is kept rather than overwritten.
func (r *Registry) SetEnabled(ctx context.Context, lists []*List, on bool) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	chosen := make(map[string]bool, len(r.chosen)+len(lists))
	for k, v := range r.chosen {
		chosen[k] = v
	}
	if r.settings != nil {
		_, saved, err := r.readSettings(ctx)
		if err != nil {
			return 0, err
		}
		chosen = saved
	}
	changed := 0
	for _, l := range lists {
		if r.enabledLocked(l) != on {
			changed++
		}
		chosen[l.Name] = on
	}
	if r.settings != nil {
		raw, err := json.Marshal(chosen)
		if err != nil {
			return 0, err
		}
		if err := r.settings.SetSetting(ctx, EnabledSetting, string(raw)); err != nil {
			return 0, err
		}
	}
	r.chosen = chosen
	r.rebuild()
	return changed, nil
}

// SetDir saves the directory to read lists from ("" for none), made
// absolute; a Reload then reads it. The directory must exist.
func SetDir(ctx context.Context, settings Settings, dir string) error {
	return catalog.SaveDir(ctx, settings, DirSetting, dir)
}
