package poster

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Product is what a poster shows. Money is in fen (1/100 yuan).
type Product struct {
	Platform   string // "taobao", "tmall", "jd", "pdd"
	Title      string
	ListPrice  int64 // 原价, fen
	FinalPrice int64 // 券后价, fen; 0 = ListPrice - Coupon
	Coupon     int64 // 券, fen; 0 = none
	Badges     []string
	ImageURL   string // http(s) or protocol-relative "//..."; "" = placeholder
}

// Options configure a Renderer. The zero value works: no disk cache, a 5 s
// fetch timeout and an 8 MiB image limit.
type Options struct {
	// CacheDir keeps fetched product images (the original bytes, named by
	// the SHA-256 of the URL). "" disables the disk cache.
	CacheDir string
	// Client fetches product images; nil uses a private client that
	// connects only to public addresses (AllowPrivate lifts that).
	Client *http.Client
	// ImageHosts are the hosts images may come from (and their subdomains);
	// nil means DefaultImageHosts, "*" any host.
	ImageHosts []string
	// AllowPrivate lets the private client fetch from loopback and private
	// addresses: tests and a local image mirror.
	AllowPrivate bool
	// CacheMaxBytes bounds the disk cache; PruneCache removes the least
	// recently used files beyond it. 0 means 2 GiB.
	CacheMaxBytes int64
	// FetchTimeout bounds one image fetch; 0 means 5 s.
	FetchTimeout time.Duration
	// MaxImageBytes bounds an image file; 0 means 8 MiB.
	MaxImageBytes int64
	// MemoryImages is how many decoded, scaled images (about 1.3 MB each)
	// are kept in memory; 0 means 32, negative disables.
	MemoryImages int
	// Logger receives warnings about unavailable images; nil = slog.Default().
	Logger *slog.Logger
}

// Renderer makes posters. It is safe for concurrent use.
type Renderer struct {
	opt    Options
	client *http.Client
	log    *slog.Logger
	fonts  *fonts
	images *imageCache
}

// NewRenderer returns a Renderer with the embedded fonts loaded.
func NewRenderer(o Options) (*Renderer, error) {
	if o.FetchTimeout <= 0 {
		o.FetchTimeout = 5 * time.Second
	}
	if o.MaxImageBytes <= 0 {
		o.MaxImageBytes = 8 << 20
	}
	if o.MemoryImages == 0 {
		o.MemoryImages = 32
	}
	if o.ImageHosts == nil {
		o.ImageHosts = DefaultImageHosts
	}
	if o.CacheMaxBytes <= 0 {
		o.CacheMaxBytes = 2 << 30
	}
	f, err := loadFonts()
	if err != nil {
		return nil, err
	}
	r := &Renderer{opt: o, client: o.Client, log: o.Logger, fonts: f, images: newImageCache(max(o.MemoryImages, 0))}
	if r.client == nil {
		r.client = guardedClient(o.ImageHosts, o.AllowPrivate)
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	return r, nil
}

// Base is the part of a poster that does not depend on the group, already
// PNG-encoded except for the QR band. It is immutable and safe for
// concurrent use.
type Base struct {
	sp          *splicer
	placeholder bool
}

// Base renders the group-independent part of p's poster. A product image
// that cannot be fetched or decoded gives a placeholder, not an error; the
// only errors are ctx's.
func (r *Renderer) Base(ctx context.Context, p Product) (*Base, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	img := r.loadImage(ctx, p)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	canvas := renderCanvas(newFaceCache(r.fonts), p, img)
	sp, err := newSplicer(canvas, qrBox)
	if err != nil {
		return nil, err
	}
	return &Base{sp: sp, placeholder: img == nil}, nil
}

// loadImage returns p's image scaled to the image box, or nil for the placeholder.
func (r *Renderer) loadImage(ctx context.Context, p Product) *image.RGBA {
	if p.ImageURL == "" {
		return nil
	}
	img, err := r.productImage(ctx, p.ImageURL, imageBox.Dx(), imageBox.Dy())
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warn("poster: product image unavailable, using placeholder", "url", p.ImageURL, "err", err)
		}
		return nil
	}
	return img
}

// Placeholder reports whether the poster shows the placeholder instead of
// the product image.
func (b *Base) Placeholder() bool { return b.placeholder }

// PNG returns the poster for one group: the base with a QR code of link
// (a URL or share text) in the band.
func (b *Base) PNG(link string) ([]byte, error) {
	return b.AppendPNG(make([]byte, 0, b.sp.sizeHint()), link)
}

// AppendPNG is PNG appending to dst, to let batch callers reuse buffers.
func (b *Base) AppendPNG(dst []byte, link string) ([]byte, error) {
	m, err := encodeQR(link)
	if err != nil {
		return nil, err
	}
	return b.sp.appendPNG(dst, qrOverlay(m))
}

// Batch renders every product for every link: out(pi, li, png) receives the
// poster of products[pi] for links[li]. Products are done in order, each one's
// Base built a few products ahead of need (overlapping image fetches with
// rendering) and dropped once its links are done. out is called from the worker
// goroutines (workers <= 0: GOMAXPROCS) concurrently, and png is only valid during
// the call: copy it to keep it. The first error (from out, a link or ctx)
// stops the batch and is returned.
func Batch(ctx context.Context, r *Renderer, products []Product, links []string, workers int, out func(pi, li int, png []byte) error) error {
	if len(products) == 0 || len(links) == 0 {
		return ctx.Err()
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type slot struct {
		once      sync.Once
		base      *Base
		err       error
		remaining atomic.Int64
	}
	slots := make([]*slot, len(products))
	for i := range slots {
		slots[i] = &slot{}
		slots[i].remaining.Store(int64(len(links)))
	}
	build := func(pi int) {
		s := slots[pi]
		s.once.Do(func() { s.base, s.err = r.Base(ctx, products[pi]) })
	}
	get := func(pi int) (*Base, error) {
		build(pi)
		return slots[pi].base, slots[pi].err
	}

	var (
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}

	const lookahead = 3
	var wg sync.WaitGroup
	prefetch := func(pi int) {
		if pi < len(products) {
			wg.Go(func() { build(pi) })
		}
	}

	type job struct{ pi, li int }
	jobs := make(chan job, workers*4)
	wg.Go(func() {
		defer close(jobs)
		for pi := 0; pi < min(lookahead, len(products)); pi++ {
			prefetch(pi)
		}
		for pi := range products {
			prefetch(pi + lookahead)
			for li := range links {
				select {
				case jobs <- job{pi, li}:
				case <-ctx.Done():
					return
				}
			}
		}
	})
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			var buf []byte
			for j := range jobs {
				if ctx.Err() != nil {
					continue // drain
				}
				b, err := get(j.pi)
				if err != nil {
					fail(fmt.Errorf("poster: product %d: %w", j.pi, err))
					continue
				}
				png, err := b.AppendPNG(buf[:0], links[j.li])
				if err != nil {
					fail(fmt.Errorf("poster: product %d link %d: %w", j.pi, j.li, err))
					continue
				}
				buf = png
				if err := out(j.pi, j.li, png); err != nil {
					fail(err)
					continue
				}
				if slots[j.pi].remaining.Add(-1) == 0 {
					slots[j.pi].base = nil // all its posters are done: free it
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err() // the parent's cancellation, if any
}
