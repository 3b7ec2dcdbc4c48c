package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/demo"
)

type fakeThumbs struct{ urls []string }

func (f *fakeThumbs) Thumbnail(_ context.Context, url string, size int) ([]byte, error) {
	f.urls = append(f.urls, url)
	if strings.Contains(url, "pddpic") {
		return nil, errors.New("unreachable")
	}
	return []byte("\xff\xd8\xff jpeg"), nil
}

// TestLibraryShowsImagesAndCoupons: every row of the library has its
// product image, through the server (a placeholder when it cannot be had),
// and its coupon.
func TestLibraryShowsImagesAndCoupons(t *testing.T) {
	s, srv := newTestServer(t)
	m := demo.New(demo.Config{Seed: 2, Items: 300, Snapshots: 5, Interval: 24 * time.Hour, End: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)})
	if _, err := s.catalog.Ingest(context.Background(), m.AppendRecords(nil, 0, 300)); err != nil {
		t.Fatal(err)
	}
	thumbs := &fakeThumbs{}
	s.SetImages(thumbs)
	c := newClient(t, srv)
	signIn(t, s, c, "sel", auth.Selector)
	_, body := c.do("GET", "/library?sort=price", nil)
	if n := strings.Count(body, `class="qk-thumb" src="/items/`); n != pageSize {
		t.Errorf("the library shows %d images, want %d", n, pageSize)
	}
	if !strings.Contains(body, "<th>券</th>") || !strings.Contains(body, "</td><td>¥5.00</td><td>") {
		t.Errorf("the library has no coupon column")
	}
	var jd, pdd string
	for i := range 300 {
		it := m.Item(i)
		switch {
		case it.Platform == "jd" && jd == "":
			jd = "/items/jd/" + it.ItemID + "/thumb.jpg"
		case it.Platform == "pdd" && pdd == "":
			pdd = "/items/pdd/" + it.ItemID + "/thumb.jpg"
		}
	}
	for _, tc := range []struct {
		path, ctype string
		status      int
	}{
		{jd, "image/jpeg", 200},
		{pdd, "image/svg+xml", 200}, // unreachable: the placeholder
		{"/items/jd/1/thumb.jpg", "", 404},
		{"/items/amazon/1/thumb.jpg", "", 404},
	} {
		resp, _ := c.do("GET", tc.path, nil)
		if resp.StatusCode != tc.status || tc.ctype != "" && resp.Header.Get("Content-Type") != tc.ctype {
			t.Errorf("GET %s: %d %s, want %d %s", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), tc.status, tc.ctype)
		}
	}
	if len(thumbs.urls) != 2 || !strings.Contains(thumbs.urls[0], "360buyimg.com") {
		t.Errorf("thumbnails asked for %q", thumbs.urls)
	}
	// An image that could not be had is not asked for again at once.
	if resp, _ := c.do("GET", pdd, nil); resp.Header.Get("Content-Type") != "image/svg+xml" || len(thumbs.urls) != 2 {
		t.Errorf("the unreachable image was asked for again: %q", thumbs.urls)
	}
	viewer := newClient(t, srv)
	signIn(t, s, viewer, "viewer", auth.Viewer)
	if resp, _ := viewer.do("GET", jd, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer got a thumbnail: %d", resp.StatusCode)
	}
}
