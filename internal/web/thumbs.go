package web

import (
	"context"
	"errors"
	"net/http"

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
		s.serverError(w, "thumbnail", err)
		return
	}
	if s.thumbs != nil && it.ImageURL != "" {
		data, err := s.thumbs.Thumbnail(r.Context(), it.ImageURL, thumbSize)
		if err == nil {
			w.Header().Set("Content-Type", "image/jpeg")
			w.Header().Set("Cache-Control", "private, max-age=86400")
			w.Write(data)
			return
		}
		s.log.Debug("thumbnail", "item", it.Key(), "err", err)
	}
	svg, err := staticFiles.ReadFile("static/noimage.svg")
	if err != nil {
		s.serverError(w, "thumbnail", err)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "private, max-age=300") // it may load later
	w.Write(svg)
}
