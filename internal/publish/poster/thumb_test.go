package poster

import (
	"bytes"
	"context"
	"image/jpeg"
	"testing"
)

// TestThumbnail: a product image scaled into a small JPEG, from the
// network once, then from the disk cache; hosts off the allow-list and
// images that are not images are refused.
func TestThumbnail(t *testing.T) {
	ctx := context.Background()
	srv := newImageServer(t)
	r := newTestRenderer(t, Options{CacheDir: t.TempDir()})
	for range 2 {
		data, err := r.Thumbnail(ctx, srv.URL+"/blue.jpg", 120)
		if err != nil {
			t.Fatal(err)
		}
		img, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != 120 || b.Dy() != 90 {
			t.Fatalf("thumbnail is %v, want 120x90 (640x480 scaled)", b)
		}
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("the image was fetched %d times, want once (then from the disk cache)", n)
	}
	if _, err := r.Thumbnail(ctx, srv.URL+"/garbage.jpg", 120); err == nil {
		t.Error("a page that is not an image made a thumbnail")
	}
	strict := newTestRenderer(t, Options{ImageHosts: []string{"img.alicdn.com"}})
	if _, err := strict.Thumbnail(ctx, srv.URL+"/blue.jpg", 120); err == nil {
		t.Error("a host off the allow-list made a thumbnail")
	}
}
