package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// manifestName marks a directory as a MISP feed.
const manifestName = "manifest.json"

// source is one file to read.
type source struct {
	path    string
	size    int64
	modTime time.Time
}

// CheckPaths returns the error Import gives for a path that does not
// exist, so that a command can refuse its arguments before it opens
// anything.
func CheckPaths(paths []string) error {
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return err
		}
	}
	return nil
}

// plan lists the files to read, in a stable order. A path that does not
// exist is an error; problems inside a feed's manifest are rejections.
func plan(paths []string) ([]source, []Rejection, error) {
	var sources []source
	var rejected []Rejection
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, nil, err
		}
		if !info.IsDir() {
			sources = append(sources, source{path: p, size: info.Size(), modTime: info.ModTime()})
			continue
		}
		srcs, rej, err := planDir(p)
		if err != nil {
			return nil, nil, err
		}
		sources, rejected = append(sources, srcs...), append(rejected, rej...)
	}
	return sources, rejected, nil
}

// planDir walks a directory in lexical order for *.json files. A directory
// with a manifest.json, the root or one below it, is a feed: only the events
// its manifest lists are read. Hidden files and directories are left out.
func planDir(root string) ([]source, []Rejection, error) {
	var sources []source
	var rejected []Rejection
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		hidden := path != root && strings.HasPrefix(d.Name(), ".")
		if d.IsDir() {
			if hidden {
				return filepath.SkipDir
			}
			if !isFeed(path) {
				return nil
			}
			srcs, rej := planFeed(path)
			sources, rejected = append(sources, srcs...), append(rejected, rej...)
			return filepath.SkipDir
		}
		if hidden || !strings.EqualFold(filepath.Ext(path), ".json") {
			return nil
		}
		info, err := os.Stat(path) // follows a symbolic link
		if err != nil || info.IsDir() {
			return err
		}
		sources = append(sources, source{path: path, size: info.Size(), modTime: info.ModTime()})
		return nil
	})
	return sources, rejected, err
}

func isFeed(dir string) bool {
	info, err := os.Stat(filepath.Join(dir, manifestName))
	return err == nil && !info.IsDir()
}

// planFeed lists the event files a feed's manifest names, sorted by uuid.
func planFeed(dir string) ([]source, []Rejection) {
	manifest := filepath.Join(dir, manifestName)
	keys, err := manifestKeys(manifest)
	if err != nil {
		return nil, []Rejection{{File: manifest, Where: manifestPosition(manifest, err),
			Reason: "cannot read the feed manifest, so no event of this feed was imported: " + errorText(err)}}
	}
	var sources []source
	var rejected []Rejection
	for _, key := range keys {
		if u, err := uuid.Parse(key); err != nil || u.String() != strings.ToLower(key) {
			rejected = append(rejected, Rejection{File: manifest, Where: fmt.Sprintf("key %q", key),
				Reason: "the manifest key is not an event UUID"})
			continue
		}
		path := filepath.Join(dir, key+".json")
		info, err := os.Stat(path)
		if err != nil {
			rejected = append(rejected, Rejection{File: path, EventUUID: key,
				Reason: "listed in the feed manifest, but the event file cannot be read: " + errorText(err)})
			continue
		}
		sources = append(sources, source{path: path, size: info.Size(), modTime: info.ModTime()})
	}
	return sources, rejected
}

// manifestKeys reads the event uuids of a feed manifest, a JSON object
// keyed by uuid, without keeping the entries.
func manifestKeys(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	if tok, err := dec.Token(); err != nil {
		return nil, err
	} else if tok != json.Delim('{') {
		return nil, errors.New("the manifest is not a JSON object keyed by event uuid")
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
		keys = append(keys, tok.(string))
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	slices.Sort(keys)
	return slices.Compact(keys), nil
}

// manifestPosition locates a syntax error in a manifest, approximately:
// json.Decoder's offsets leave out the delimiters read by Token.
func manifestPosition(path string, err error) string {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return ""
	}
	return offsetText(path, max(se.Offset-1, 0))
}
