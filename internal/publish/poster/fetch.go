package poster

import (
	"bytes"
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // product images: GIF (first frame)
	_ "image/jpeg"
	_ "image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	xdraw "golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // product images: WebP (common on Alibaba CDNs)
)

// maxImagePixels rejects decompression bombs before decoding.
const maxImagePixels = 40_000_000

// imageKey is what the in-memory cache is keyed by: the URL and the box the
// image was scaled to fit.
type imageKey struct {
	url  string
	w, h int
}

// imageCache is a small LRU of decoded, scaled product images, with
// de-duplication of concurrent loads of the same image.
type imageCache struct {
	mu       sync.Mutex
	cap      int
	ll       *list.List // of *imageEntry, most recent first
	m        map[imageKey]*list.Element
	inflight map[imageKey]*inflight
}

type imageEntry struct {
	key imageKey
	img *image.RGBA
}

type inflight struct {
	done chan struct{}
	img  *image.RGBA
	err  error
}

func newImageCache(capacity int) *imageCache {
	return &imageCache{cap: capacity, ll: list.New(), m: make(map[imageKey]*list.Element), inflight: make(map[imageKey]*inflight)}
}

// get returns the cached image for k, or loads it with load. A failed load
// is not cached.
func (c *imageCache) get(ctx context.Context, k imageKey, load func() (*image.RGBA, error)) (*image.RGBA, error) {
	c.mu.Lock()
	if e, ok := c.m[k]; ok {
		c.ll.MoveToFront(e)
		img := e.Value.(*imageEntry).img
		c.mu.Unlock()
		return img, nil
	}
	if f, ok := c.inflight[k]; ok {
		c.mu.Unlock()
		select {
		case <-f.done:
			return f.img, f.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f := &inflight{done: make(chan struct{})}
	c.inflight[k] = f
	c.mu.Unlock()

	f.img, f.err = load()

	c.mu.Lock()
	delete(c.inflight, k)
	if f.err == nil && c.cap > 0 {
		c.m[k] = c.ll.PushFront(&imageEntry{key: k, img: f.img})
		for c.ll.Len() > c.cap {
			old := c.ll.Remove(c.ll.Back()).(*imageEntry)
			delete(c.m, old.key)
		}
	}
	c.mu.Unlock()
	close(f.done)
	return f.img, f.err
}

// normalizeImageURL accepts http and https URLs, and the protocol-relative
// "//img.alicdn.com/..." form that Taobao APIs return (as https).
func normalizeImageURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if strings.HasPrefix(raw, "//") {
		raw = "https:" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("bad image URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("image URL scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return "", errors.New("image URL has no host")
	}
	return u.String(), nil
}

// productImage returns the product image scaled to fit w x h, from memory,
// from the disk cache or from the network.
func (r *Renderer) productImage(ctx context.Context, rawURL string, w, h int) (*image.RGBA, error) {
	u, err := normalizeImageURL(rawURL)
	if err != nil {
		return nil, err
	}
	return r.images.get(ctx, imageKey{u, w, h}, func() (*image.RGBA, error) {
		src, err := r.decodeURL(ctx, u)
		if err != nil {
			return nil, err
		}
		return scaleToFit(src, w, h), nil
	})
}

// decodeURL decodes the image at u (normalized) from the disk cache or the
// network, keeping what it fetched on disk and forgetting a damaged file.
func (r *Renderer) decodeURL(ctx context.Context, u string) (image.Image, error) {
	data, fromDisk, err := r.imageBytes(ctx, u)
	if err != nil {
		return nil, err
	}
	src, err := decodeImage(data)
	if err != nil {
		if fromDisk {
			os.Remove(r.cachePath(u)) // a damaged cache file: fetch again next time
		}
		return nil, err
	}
	if !fromDisk {
		r.storeCache(u, data)
	}
	return src, nil
}

func (r *Renderer) cachePath(u string) string {
	sum := sha256.Sum256([]byte(u))
	return filepath.Join(r.opt.CacheDir, hex.EncodeToString(sum[:])+".img")
}

// imageBytes returns the image file's bytes from the disk cache or the network.
func (r *Renderer) imageBytes(ctx context.Context, u string) (data []byte, fromDisk bool, err error) {
	if r.opt.CacheDir != "" {
		path := r.cachePath(u)
		if data, err := readLimited(path, r.opt.MaxImageBytes); err == nil {
			now := time.Now()
			os.Chtimes(path, now, now) // recently used: PruneCache keeps it
			return data, true, nil
		}
	}
	data, err = r.fetch(ctx, u)
	return data, false, err
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errors.New("cached image too large")
	}
	return data, nil
}

// storeCache writes the fetched bytes atomically (temporary file + rename),
// so that concurrent processes never read half a file. Errors only cost a
// future fetch, so they are logged, not returned.
func (r *Renderer) storeCache(u string, data []byte) {
	if r.opt.CacheDir == "" {
		return
	}
	if err := os.MkdirAll(r.opt.CacheDir, 0o755); err != nil {
		r.log.Warn("poster: image cache dir", "dir", r.opt.CacheDir, "err", err)
		return
	}
	tmp, err := os.CreateTemp(r.opt.CacheDir, ".tmp-*")
	if err != nil {
		r.log.Warn("poster: image cache write", "err", err)
		return
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr == nil && cerr == nil {
		werr = os.Rename(tmp.Name(), r.cachePath(u))
	} else if werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(tmp.Name())
		r.log.Warn("poster: image cache write", "err", werr)
	}
}

func (r *Renderer) fetch(ctx context.Context, u string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, r.opt.FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if !hostAllowed(req.URL.Hostname(), r.opt.ImageHosts) {
		return nil, fmt.Errorf("%w: %s", ErrImageHost, req.URL.Hostname())
	}
	req.Header.Set("Accept", "image/webp,image/jpeg,image/png,image/gif,image/*;q=0.8")
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch image: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch image: HTTP %s", resp.Status)
	}
	if resp.ContentLength > r.opt.MaxImageBytes {
		return nil, fmt.Errorf("fetch image: %d bytes, limit %d", resp.ContentLength, r.opt.MaxImageBytes)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, r.opt.MaxImageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch image: %w", err)
	}
	if int64(len(data)) > r.opt.MaxImageBytes {
		return nil, fmt.Errorf("fetch image: more than %d bytes", r.opt.MaxImageBytes)
	}
	return data, nil
}

// decodeImage decodes JPEG, PNG, GIF or WebP, refusing oversized images.
func decodeImage(data []byte) (image.Image, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxImagePixels {
		return nil, fmt.Errorf("decode image: unsupported size %dx%d", cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode image: %w", err)
	}
	return img, nil
}

// scaleToFit scales src to fit inside w x h keeping its aspect ratio
// (Catmull-Rom; never enlarges by more than 2x to avoid mush).
func scaleToFit(src image.Image, w, h int) *image.RGBA {
	sb := src.Bounds()
	sw, sh := sb.Dx(), sb.Dy()
	// Fit: dw/sw = dh/sh = min(w/sw, h/sh), in integers.
	dw, dh := w, sh*w/sw
	if dh > h {
		dw, dh = sw*h/sh, h
	}
	if dw > 2*sw && dh > 2*sh {
		dw, dh = 2*sw, 2*sh
	}
	dw, dh = max(dw, 1), max(dh, 1)
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	if dw == sw && dh == sh {
		xdraw.Draw(dst, dst.Bounds(), src, sb.Min, xdraw.Src)
	} else {
		xdraw.CatmullRom.Scale(dst, dst.Bounds(), src, sb, xdraw.Src, nil)
	}
	return dst
}
