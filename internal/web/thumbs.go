package web

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/catalog"
)

// Thumbnailer makes the small product images of the console's lists
// (poster.Renderer is one: the same host allow-list, guard and cache as
// the posters).
type Thumbnailer interface {
	Thumbnail(ctx context.Context, url string, size int) ([]byte, error)
}

// SetImages sets where the lists' product thumbnails come from (nil: every
// item shows the placeholder). Call it before serving.
func (s *Server) SetImages(t Thumbnailer) { s.thumbs = t }

// failedImages remembers, for a while, the images that could not be had,
// so that a list of fifty does not ask an unreachable CDN fifty times on
// every visit.
type failedImages struct {
	mu    sync.Mutex
	until map[string]time.Time
}

const (
	imageRetry     = 10 * time.Minute // how long a failed image is not asked for
	maxFailedNoted = 10000            // bound on the memory: then start afresh
)

func (f *failedImages) failed(url string, now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return now.Before(f.until[url])
}

func (f *failedImages) note(url string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.until == nil || len(f.until) >= maxFailedNoted {
		f.until = map[string]time.Time{}
	}
	f.until[url] = now.Add(imageRetry)
}

// thumbSize is a thumbnail's side in pixels: twice the 48 px it is shown
// at, for sharp phone screens.
const thumbSize = 96

func (s *Server) thumbRoutes() {
	s.mux.Handle("GET /items/{platform}/{id}/thumb.jpg", s.page(auth.UseAdvisor, s.itemThumb))
}

// itemThumb is an item's product image, small, through the server: a
// page loads nothing from elsewhere. An item without a reachable image
// gets the placeholder.
func (s *Server) itemThumb(w http.ResponseWriter, r *http.Request) {
	p, ok := catalog.ParsePlatform(r.PathValue("platform"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	it, err := s.catalog.Find(r.Context(), catalog.Key{Platform: p, ItemID: r.PathValue("id")})
	if errors.Is(err, catalog.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.serverError(w, r, "thumbnail", err)
		return
	}
	if now := time.Now(); s.thumbs != nil && it.ImageURL != "" && !s.noImage.failed(it.ImageURL, now) {
		data, err := s.thumbs.Thumbnail(r.Context(), it.ImageURL, thumbSize)
		if err == nil {
			w.Header().Set("Content-Type", "image/jpeg")
			w.Header().Set("Cache-Control", "private, max-age=86400")
			w.Write(data)
			return
		}
		if r.Context().Err() == nil {
			s.noImage.note(it.ImageURL, now)
		}
		s.log.Debug("thumbnail", "item", it.Key(), "err", err)
	}
	svg, err := staticFiles.ReadFile("static/noimage.svg")
	if err != nil {
		s.serverError(w, r, "thumbnail", err)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "private, max-age=300") // it may load later
	w.Write(svg)
}
