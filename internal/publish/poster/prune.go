package poster

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// PruneCache keeps the disk cache within CacheMaxBytes: it removes the
// least recently used image files (a cache hit renews a file's time) until
// the rest fit, and temporary files an interrupted write left over an hour
// ago. It returns how many files it removed and the bytes freed.
func (r *Renderer) PruneCache() (files int, freed int64, err error) {
	if r.opt.CacheDir == "" {
		return 0, 0, nil
	}
	entries, err := os.ReadDir(r.opt.CacheDir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	type file struct {
		path string
		size int64
		used time.Time
	}
	var images []file
	var total int64
	remove := func(path string, size int64) {
		if os.Remove(path) == nil {
			files++
			freed += size
		}
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		path := filepath.Join(r.opt.CacheDir, e.Name())
		switch {
		case strings.HasPrefix(e.Name(), ".tmp-"):
			if time.Since(info.ModTime()) > time.Hour {
				remove(path, info.Size())
			}
		case strings.HasSuffix(e.Name(), ".img"):
			images = append(images, file{path, info.Size(), info.ModTime()})
			total += info.Size()
		}
	}
	slices.SortFunc(images, func(a, b file) int { return a.used.Compare(b.used) })
	for _, f := range images {
		if total <= r.opt.CacheMaxBytes {
			break
		}
		remove(f.path, f.size)
		total -= f.size
	}
	return files, freed, nil
}
