package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
)

// asset is one embedded static file, ready to serve: its bytes, their
// gzip form (nil when compressing does not pay), and its content-hashed name.
type asset struct {
	name   string // as embedded under static/, e.g. "app.js"
	hashed string // "app.3f9a0c1b2d.js": changes whenever the content does
	etag   string
	ctype  string
	body   []byte
	gz     []byte
}

// assetSet is every static file by plain and by hashed name.
type assetSet struct {
	byName   map[string]*asset
	byHashed map[string]*asset
}

// assets compresses the embedded files once, the first time it is called
// (New calls it, so at start).
var assets = sync.OnceValue(func() *assetSet {
	set := &assetSet{byName: map[string]*asset{}, byHashed: map[string]*asset{}}
	err := fs.WalkDir(staticFiles, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFiles.ReadFile(p)
		if err != nil {
			return err
		}
		a := newAsset(strings.TrimPrefix(p, "static/"), body)
		set.byName[a.name], set.byHashed[a.hashed] = a, a
		return nil
	})
	if err != nil {
		panic(err) // the files are embedded: a test catches this
	}
	return set
})

func newAsset(name string, body []byte) *asset {
	sum := sha256.Sum256(body)
	h := hex.EncodeToString(sum[:5])
	ext := path.Ext(name)
	a := &asset{name: name, hashed: strings.TrimSuffix(name, ext) + "." + h + ext, etag: `"` + h + `"`, body: body,
		ctype: mime.TypeByExtension(ext)}
	if a.ctype == "" {
		a.ctype = "application/octet-stream"
	}
	if compressible(a.ctype) {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		if buf.Len() < len(body)*9/10 {
			a.gz = buf.Bytes()
		}
	}
	return a
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.Contains(ctype, "javascript") || strings.Contains(ctype, "json") ||
		strings.Contains(ctype, "svg")
}

// assetURL is the URL of a static file by its name under static/: the
// content-hashed one, which a browser may cache for a year since a new
// binary with a changed file links a new name. The templates call it as
// {{asset "app.js"}}.
func assetURL(name string) string {
	if a := assets().byName[name]; a != nil {
		return "/static/" + a.hashed
	}
	return "/static/" + name
}

// staticHandler serves the embedded CSS, JS and vendored libraries (a page
// never loads anything from elsewhere), gzip-compressed for browsers that
// take it. Hashed names are cached for a year; plain names (a link from an
// old page) are revalidated with their ETag.
func staticHandler() http.Handler {
	set := assets()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		a, immutable := set.byHashed[name], true
		if a == nil {
			a, immutable = set.byName[name], false
		}
		if a == nil {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		if immutable {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "public, no-cache")
		}
		h.Set("ETag", a.etag)
		h.Set("Content-Type", a.ctype)
		h.Set("Vary", "Accept-Encoding")
		if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, a.etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		body := a.body
		if a.gz != nil && acceptsGzip(r) {
			h.Set("Content-Encoding", "gzip")
			body = a.gz
		}
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") || strings.TrimSpace(coding) == "*" {
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
