package poster

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"hash/adler32"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"golang.org/x/image/font/sfnt"
)

var update = flag.Bool("update", false, "rewrite the golden posters in testdata/golden")

// Test fixtures.

const (
	linkURL   = "https://s.click.taobao.com/t?e=m%3D2%26s%3DAbCdEfGh1234567890&pid=mm_1234_5678_9012"
	linkShare = "￥Ab3dEf9GhIj￥ https://m.tb.cn/h.UjKlMn0 「三只松鼠每日坚果」点击链接直接打开 或者 淘宝搜索直接打开"
)

var (
	solidBlue   = color.RGBA{0x1E, 0x90, 0xFF, 0xFF}
	productBody = color.RGBA{0x2F, 0x9E, 0x6B, 0xFF}
)

func solidJPEG(c color.RGBA, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(c), image.Point{}, draw.Src)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// productPNG is a synthetic product shot: a bottle-like shape on a light
// background, flat colours so that golden files stay small.
func productPNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 800, 800))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.RGBA{0xFA, 0xF7, 0xF2, 0xFF}), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(300, 260, 500, 700), image.NewUniform(productBody), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(360, 160, 440, 260), image.NewUniform(color.RGBA{0x22, 0x22, 0x22, 0xFF}), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(320, 400, 480, 520), image.NewUniform(color.RGBA{0xFF, 0xD7, 0x00, 0xFF}), image.Point{}, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// imageServer serves test images: /blue.jpg, /product.png, /garbage.jpg,
// /missing.jpg (404), /slow.jpg (answers after a minute or when the client
// gives up), /big.jpg (larger than small limits). hits counts requests.
type imageServer struct {
	*httptest.Server
	hits atomic.Int64
}

func newImageServer(t testing.TB) *imageServer {
	s := &imageServer{}
	blue := solidJPEG(solidBlue, 640, 480)
	prod := productPNG()
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		switch r.URL.Path {
		case "/blue.jpg":
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(blue)
		case "/product.png":
			w.Header().Set("Content-Type", "image/png")
			w.Write(prod)
		case "/garbage.jpg":
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write([]byte("<html>this is not an image</html>"))
		case "/slow.jpg":
			select {
			case <-r.Context().Done():
			case <-time.After(60 * time.Second):
			}
		case "/big.jpg":
			w.Write(bytes.Repeat([]byte{0xFF}, 64<<10))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func newTestRenderer(t testing.TB, o Options) *Renderer {
	t.Helper()
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ImageHosts == nil { // the test server is on 127.0.0.1
		o.ImageHosts, o.AllowPrivate = []string{"127.0.0.1"}, true
	}
	r, err := NewRenderer(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func decodePNG(t testing.TB, data []byte) *image.RGBA {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("png.Decode: %v", err)
	}
	if img.Bounds() != image.Rect(0, 0, Width, Height) {
		t.Fatalf("poster is %v, want %dx%d", img.Bounds(), Width, Height)
	}
	rgba := image.NewRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Bounds(), img, image.Point{}, draw.Src)
	return rgba
}

// fullRender is the straightforward render of a poster: the whole canvas,
// with the QR code drawn into it by plain image operations.
func fullRender(t testing.TB, r *Renderer, p Product, link string) *image.RGBA {
	t.Helper()
	img := r.loadImage(context.Background(), p)
	canvas := renderCanvas(newFaceCache(r.fonts), p, img)
	m, err := encodeQR(link)
	if err != nil {
		t.Fatal(err)
	}
	scale, at := qrGeometry(m.n)
	for my := 0; my < m.n; my++ {
		for mx := 0; mx < m.n; mx++ {
			if m.at(mx, my) {
				r := image.Rect(at.X+mx*scale, at.Y+my*scale, at.X+(mx+1)*scale, at.Y+(my+1)*scale)
				draw.Draw(canvas, r, image.Black, image.Point{}, draw.Src)
			}
		}
	}
	return canvas
}

func samePixels(a, b *image.RGBA) (diff int, first image.Point) {
	first = image.Pt(-1, -1)
	for y := 0; y < a.Rect.Dy(); y++ {
		for x := 0; x < a.Rect.Dx(); x++ {
			if a.RGBAAt(x, y) != b.RGBAAt(x, y) {
				if diff == 0 {
					first = image.Pt(x, y)
				}
				diff++
			}
		}
	}
	return diff, first
}

func averageColor(img *image.RGBA, r image.Rectangle) color.RGBA {
	var sr, sg, sb, n int
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := img.RGBAAt(x, y)
			sr, sg, sb, n = sr+int(c.R), sg+int(c.G), sb+int(c.B), n+1
		}
	}
	return color.RGBA{uint8(sr / n), uint8(sg / n), uint8(sb / n), 0xFF}
}

func near(a, b color.RGBA, tol int) bool {
	d := func(x, y uint8) bool { v := int(x) - int(y); return v <= tol && v >= -tol }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B)
}

// decodeQR reads the QR code in the poster's QR box.
func decodeQR(t testing.TB, img *image.RGBA) string {
	t.Helper()
	crop := img.SubImage(qrBox.Inset(-4))
	bmp, err := gozxing.NewBinaryBitmapFromImage(crop)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{
		gozxing.DecodeHintType_CHARACTER_SET: "UTF-8",
	})
	if err != nil {
		t.Fatalf("QR code does not decode: %v", err)
	}
	return res.GetText()
}

func sampleProducts(srv *imageServer) []Product {
	return []Product{
		{Platform: "tmall", Title: "【官方旗舰店】三只松鼠 每日坚果750g/30袋 混合果仁孕妇零食大礼包 量贩装", ListPrice: 5990, FinalPrice: 3990, Coupon: 2000, Badges: []string{"历史最低", "30天最低", "销量10万+"}, ImageURL: srv.URL + "/product.png"},
		{Platform: "jd", Title: "Apple iPhone 16 Pro Max 256GB 沙漠色钛金属 5G手机", ListPrice: 999900, FinalPrice: 899900, ImageURL: srv.URL + "/blue.jpg"},
		{Platform: "pdd", Title: "纸巾 抽纸 整箱 24包", ListPrice: 1990, Coupon: 550, ImageURL: srv.URL + "/missing.jpg"},
		{Platform: "taobao", Title: "", FinalPrice: 1, ImageURL: ""},
	}
}

// Tests.

func TestFontsParse(t *testing.T) {
	f, err := loadFonts()
	if err != nil {
		t.Fatal(err)
	}
	var buf sfnt.Buffer
	for _, r := range "券后价原价¥￥0123456789.历史最低天猫淘宝京东拼多多长按识别二维码暂无图片锶鑫旗舰店臺灣" {
		if gi, err := f.regular.GlyphIndex(&buf, r); err != nil || gi == 0 {
			t.Errorf("regular font lacks %q", r)
		}
	}
	for _, r := range "券后价到手¥0123456789." {
		if gi, err := f.bold.GlyphIndex(&buf, r); err != nil || gi == 0 {
			t.Errorf("bold font lacks %q", r)
		}
	}
	if len(regularOTF) > 5<<20 {
		t.Errorf("embedded font is %d bytes, keep it under 5 MB", len(regularOTF))
	}
}

func TestFormatFen(t *testing.T) {
	for _, tc := range []struct {
		fen         int64
		want, short string
	}{
		{3990, "¥39.90", "¥39.90"},
		{2000, "¥20.00", "¥20"},
		{5, "¥0.05", "¥0.05"},
		{0, "¥0.00", "¥0"},
		{100, "¥1.00", "¥1"},
		{-250, "-¥2.50", "-¥2.50"},
		{123456789012, "¥1234567890.12", "¥1234567890.12"},
		{-9223372036854775808, "-¥92233720368547758.08", "-¥92233720368547758.08"},
	} {
		if got := FormatFen(tc.fen); got != tc.want {
			t.Errorf("FormatFen(%d) = %q, want %q", tc.fen, got, tc.want)
		}
		if got := formatFenShort(tc.fen); got != tc.short {
			t.Errorf("formatFenShort(%d) = %q, want %q", tc.fen, got, tc.short)
		}
	}
}

func TestAdler32Combine(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 500; i++ {
		n := rng.IntN(200000)
		if i%5 == 0 {
			n = rng.IntN(20)
		}
		data := make([]byte, n)
		for j := range data {
			data[j] = byte(rng.UintN(256))
		}
		if i%3 == 0 {
			for j := range data {
				data[j] = 0xFF // maximal sums
			}
		}
		a, b := 0, 0
		if n > 0 {
			a, b = rng.IntN(n+1), rng.IntN(n+1)
		}
		if a > b {
			a, b = b, a
		}
		got := adler32Combine(adler32Combine(adler32.Checksum(data[:a]), adler32.Checksum(data[a:b]), int64(b-a)), adler32.Checksum(data[b:]), int64(n-b))
		if want := adler32.Checksum(data); got != want {
			t.Fatalf("n=%d split %d,%d: combine = %08x, want %08x", n, a, b, got, want)
		}
	}
}

// TestSplicerRandom checks the spliced encoder on noisy images with
// overlays anywhere in the band, including its first and last rows, against
// the image it should produce.
func TestSplicerRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 40; i++ {
		w, h := 1+rng.IntN(90), 3+rng.IntN(90)
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for j := range img.Pix {
			img.Pix[j] = byte(rng.UintN(256))
			if rng.IntN(3) == 0 && j >= 4*w {
				img.Pix[j] = img.Pix[j-4*w] // some vertical runs, so Up helps
			}
		}
		for j := 3; j < len(img.Pix); j += 4 {
			img.Pix[j] = 0xFF
		}
		y0 := rng.IntN(h - 1)
		y1 := y0 + 1 + rng.IntN(h-y0-1)
		if i%4 == 0 {
			y0 = 0
		}
		if i%5 == 0 {
			y1 = h
		}
		wx0, wx1 := rng.IntN(w), rng.IntN(w+1)
		if wx0 > wx1 {
			wx0, wx1 = wx1, wx0
		}
		if wx0 == wx1 {
			wx0, wx1 = 0, w
		}
		if i%3 == 0 {
			wx0, wx1 = 0, w
		}
		sp, err := newSplicer(img, image.Rect(wx0, y0, wx1, y1))
		if err != nil {
			t.Fatal(err)
		}
		for k := 0; k < 4; k++ {
			x0, x1 := wx0+rng.IntN(wx1-wx0), wx0+rng.IntN(wx1-wx0+1)
			if x0 > x1 {
				x0, x1 = x1, x0
			}
			oy0 := y0 + rng.IntN(y1-y0)
			oy1 := oy0 + rng.IntN(y1-oy0+1)
			seed := rng.Uint64()
			ov := overlay{r: image.Rect(x0, oy0, x1, oy1), paint: func(y int, row []byte) {
				pr := rand.New(rand.NewPCG(seed, uint64(y)))
				for j := range row {
					if pr.IntN(2) == 0 {
						row[j] = byte(pr.UintN(256))
					}
				}
			}}
			got, err := sp.appendPNG(nil, ov)
			if err != nil {
				t.Fatal(err)
			}
			want := image.NewRGBA(img.Rect)
			copy(want.Pix, img.Pix)
			row := make([]byte, (x1-x0)*bpp)
			for y := oy0; y < oy1; y++ {
				rgbRow(row, want.SubImage(image.Rect(x0, y, x1, y+1)).(*image.RGBA), y)
				ov.paint(y, row)
				for x := x0; x < x1; x++ {
					j := (x - x0) * bpp
					want.SetRGBA(x, y, color.RGBA{row[j], row[j+1], row[j+2], 0xFF})
				}
			}
			dec, err := png.Decode(bytes.NewReader(got))
			if err != nil {
				t.Fatalf("case %d/%d (%dx%d band [%d,%d) overlay %v): decode: %v", i, k, w, h, y0, y1, ov.r, err)
			}
			gotRGBA := image.NewRGBA(dec.Bounds())
			draw.Draw(gotRGBA, gotRGBA.Bounds(), dec, image.Point{}, draw.Src)
			if n, at := samePixels(gotRGBA, want); n != 0 {
				t.Fatalf("case %d/%d: %d pixels differ, first at %v", i, k, n, at)
			}
		}
	}
}

// TestSplicedEqualsFullRender compares every poster pixel for pixel with a
// straightforward full render of the same poster.
func TestSplicedEqualsFullRender(t *testing.T) {
	srv := newImageServer(t)
	r := newTestRenderer(t, Options{})
	links := []string{linkURL, linkShare, "https://u.jd.com/AbCdEf", "12345678", strings.Repeat("https://p.pinduoduo.com/x", 20)}
	for pi, p := range sampleProducts(srv) {
		b, err := r.Base(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		for li, link := range links {
			data, err := b.PNG(link)
			if err != nil {
				t.Fatal(err)
			}
			got := decodePNG(t, data)
			want := fullRender(t, r, p, link)
			if n, at := samePixels(got, want); n != 0 {
				t.Errorf("product %d link %d: %d pixels differ from the full render, first at %v", pi, li, n, at)
			}
		}
	}
}

func TestQRDecodes(t *testing.T) {
	r := newTestRenderer(t, Options{})
	b, err := r.Base(context.Background(), Product{Platform: "taobao", Title: "测试", ListPrice: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, link := range []string{
		linkURL,
		linkShare,
		"https://u.jd.com/AbCdEf",
		"HTTPS://P.PINDUODUO.COM/ABC",
		"9876543210",
		"https://s.click.taobao.com/" + strings.Repeat("a1B2c3", 60),
	} {
		data, err := b.PNG(link)
		if err != nil {
			t.Fatal(err)
		}
		if got := decodeQR(t, decodePNG(t, data)); got != link {
			t.Errorf("QR decodes to %q, want %q", got, link)
		}
	}
}

func TestLinkErrors(t *testing.T) {
	r := newTestRenderer(t, Options{})
	b, err := r.Base(context.Background(), Product{Title: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.PNG(""); !errors.Is(err, ErrEmptyLink) {
		t.Errorf("empty link: err = %v, want ErrEmptyLink", err)
	}
	if _, err := b.PNG(strings.Repeat("x", 3000)); !errors.Is(err, ErrLinkTooLong) {
		t.Errorf("3000-byte link: err = %v, want ErrLinkTooLong", err)
	}
}

// TestRegions checks that the parts of the poster are where they should be.
func TestRegions(t *testing.T) {
	srv := newImageServer(t)
	r := newTestRenderer(t, Options{})
	p := Product{Platform: "tmall", Title: "测试商品", ListPrice: 5990, FinalPrice: 3990, Coupon: 2000, Badges: []string{"历史最低"}, ImageURL: srv.URL + "/blue.jpg"}
	b, err := r.Base(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if b.Placeholder() {
		t.Fatal("served JPEG gave a placeholder")
	}
	data, err := b.PNG(linkURL)
	if err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, data)

	// The product image: the served colour in the middle of the image box.
	mid := image.Rect(imageBox.Min.X+200, imageBox.Min.Y+150, imageBox.Max.X-200, imageBox.Max.Y-150)
	if c := averageColor(img, mid); !near(c, solidBlue, 6) {
		t.Errorf("image box colour %v, want about %v", c, solidBlue)
	}

	// The final price: plenty of red in the price row.
	red := 0
	for y := 730; y < 815; y++ {
		for x := padX; x < priceRight; x++ {
			if c := img.RGBAAt(x, y); c.R > 200 && c.G < 90 && c.B < 90 {
				red++
			}
		}
	}
	if red < 3000 {
		t.Errorf("price row has %d red pixels, want a big red price", red)
	}

	// The list price is struck through: a long grey run across the text.
	ly := 860 - 26*34/100
	run, longest := 0, 0
	for x := padX; x < priceRight; x++ {
		if near(img.RGBAAt(x, ly), colMuted, 10) {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	if longest < 100 {
		t.Errorf("strike-through run is %d px, want >= 100", longest)
	}

	// The coupon ticket has its red left part.
	if c := img.RGBAAt(padX+4, 884+24); !near(c, colPrice, 4) {
		t.Errorf("coupon badge colour %v, want %v", c, colPrice)
	}

	// The QR code: finder patterns (dark 7x7 squares with a light ring
	// and dark core) at three corners, and it decodes.
	m, _ := encodeQR(linkURL)
	scale, at := qrGeometry(m.n)
	for _, corner := range []image.Point{{0, 0}, {m.n - 7, 0}, {0, m.n - 7}} {
		px := func(mx, my int) color.RGBA {
			return img.RGBAAt(at.X+(corner.X+mx)*scale+scale/2, at.Y+(corner.Y+my)*scale+scale/2)
		}
		if px(0, 0) != (color.RGBA{0, 0, 0, 0xFF}) || px(1, 1) != colWhite || px(3, 3) != (color.RGBA{0, 0, 0, 0xFF}) {
			t.Errorf("no finder pattern at module %v", corner)
		}
	}
	if got := decodeQR(t, img); got != linkURL {
		t.Errorf("QR decodes to %q", got)
	}
}

// TestLongPriceFits: a long price shrinks rather than running into the QR box.
func TestLongPriceFits(t *testing.T) {
	r := newTestRenderer(t, Options{})
	b, err := r.Base(context.Background(), Product{Platform: "jd", Title: "贵", ListPrice: 99999999999, FinalPrice: 12345678999, Coupon: 99999})
	if err != nil {
		t.Fatal(err)
	}
	data, err := b.PNG(linkURL)
	if err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, data)
	red := 0
	for y := 730; y < 940; y++ {
		for x := priceRight; x < qrBox.Min.X-8; x++ {
			if c := img.RGBAAt(x, y); c.R > 200 && c.G < 120 {
				red++
			}
		}
	}
	if red > 0 {
		t.Errorf("%d red pixels between the price block and the QR box", red)
	}
}

func TestPlaceholder(t *testing.T) {
	srv := newImageServer(t)
	r := newTestRenderer(t, Options{FetchTimeout: 200 * time.Millisecond, MaxImageBytes: 32 << 10})
	for _, tc := range []struct{ name, url string }{
		{"empty", ""},
		{"404", srv.URL + "/missing.jpg"},
		{"timeout", srv.URL + "/slow.jpg"},
		{"garbage", srv.URL + "/garbage.jpg"},
		{"too big", srv.URL + "/big.jpg"},
		{"ftp", "ftp://example.com/a.jpg"},
		{"file", "file:///etc/passwd"},
		{"no host", "http:///a.jpg"},
		{"junk", "::not a url::"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := srv.hits.Load()
			start := time.Now()
			b, err := r.Base(context.Background(), Product{Platform: "pdd", Title: "占位图测试", ListPrice: 990, ImageURL: tc.url})
			if err != nil {
				t.Fatalf("Base: %v (an image failure must not fail the poster)", err)
			}
			// /slow.jpg answers after a minute: far past the fetch timeout,
			// far past any delay a loaded CI machine adds.
			if el := time.Since(start); el > 30*time.Second {
				t.Errorf("took %v, timeout not applied", el)
			}
			if !b.Placeholder() {
				t.Error("Placeholder() = false")
			}
			if tc.url == "" && srv.hits.Load() != before {
				t.Error("empty URL was fetched")
			}
			data, err := b.PNG(linkURL)
			if err != nil {
				t.Fatal(err)
			}
			img := decodePNG(t, data)
			// Grey panel, with the platform name and 暂无图片 in faint grey.
			if c := img.RGBAAt(imageBox.Min.X+40, imageBox.Max.Y-40); c != colPanel {
				t.Errorf("panel colour %v, want %v", c, colPanel)
			}
			faint := 0
			for y := imageBox.Min.Y + 150; y < imageBox.Max.Y-150; y++ {
				for x := imageBox.Min.X + 150; x < imageBox.Max.X-150; x++ {
					if near(img.RGBAAt(x, y), colFaint, 8) {
						faint++
					}
				}
			}
			if faint < 500 {
				t.Errorf("placeholder text: %d faint pixels, want the platform name and 暂无图片", faint)
			}
		})
	}
}

func TestImageCache(t *testing.T) {
	srv := newImageServer(t)
	dir := t.TempDir()
	url := srv.URL + "/blue.jpg"
	p := Product{Title: "缓存", ListPrice: 100, ImageURL: url}

	r := newTestRenderer(t, Options{CacheDir: dir})
	for i := 0; i < 3; i++ {
		if b, err := r.Base(context.Background(), p); err != nil || b.Placeholder() {
			t.Fatalf("Base: %v, placeholder %v", err, b != nil && b.Placeholder())
		}
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("%d fetches for 3 renders, want 1 (memory cache)", n)
	}
	sum := sha256.Sum256([]byte(url))
	if _, err := os.Stat(filepath.Join(dir, hex.EncodeToString(sum[:])+".img")); err != nil {
		t.Errorf("disk cache file: %v", err)
	}

	// A new renderer (empty memory) uses the disk cache: no fetch.
	r2 := newTestRenderer(t, Options{CacheDir: dir})
	if b, err := r2.Base(context.Background(), p); err != nil || b.Placeholder() {
		t.Fatalf("Base from disk cache: %v", err)
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("%d fetches, want 1 (disk cache)", n)
	}

	// Concurrent renders of one uncached image fetch it once.
	r3 := newTestRenderer(t, Options{})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Go(func() {
			if _, err := r3.Base(context.Background(), p); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := srv.hits.Load(); n != 2 {
		t.Errorf("%d fetches, want 2 (in-flight loads shared)", n)
	}

	// A canceled context is an error, not a placeholder.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r3.Base(ctx, p); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled ctx: err = %v", err)
	}
}

func TestScaleToFit(t *testing.T) {
	for _, tc := range []struct{ sw, sh, w, h, ww, wh int }{
		{800, 800, 662, 500, 500, 500},
		{1600, 800, 662, 500, 662, 331},
		{100, 1000, 662, 500, 50, 500},
		{200, 150, 662, 500, 400, 300}, // at most 2x enlargement
		{1, 1, 662, 500, 2, 2},
	} {
		img := scaleToFit(image.NewRGBA(image.Rect(0, 0, tc.sw, tc.sh)), tc.w, tc.h)
		if img.Bounds().Dx() != tc.ww || img.Bounds().Dy() != tc.wh {
			t.Errorf("%dx%d into %dx%d = %v, want %dx%d", tc.sw, tc.sh, tc.w, tc.h, img.Bounds(), tc.ww, tc.wh)
		}
	}
}

func TestHostileTitles(t *testing.T) {
	r := newTestRenderer(t, Options{})
	titles := []string{
		`<script>alert("x")</script><img src=x onerror=alert(1)>`,
		"🔥🔥爆款🔥 👍🏻 👨‍👩‍👧 限时秒杀 🇨🇳",
		"龘靐齉𠀀𪚥 罕见字 \u200b\u200d\ufeff",
		"invalid \xff\xfe utf-8 \x00\x01 control\tchars\nnewline",
		"",
		"     ",
		strings.Repeat("超长标题", 200),
		strings.Repeat("A", 500),
		"؋ مرحبا שלום नमस्ते ไทย 한국어 にほんご",
	}
	for _, title := range titles {
		b, err := r.Base(context.Background(), Product{Platform: "weird", Title: title, Badges: []string{title, "", "🔥", title}, ListPrice: 1})
		if err != nil {
			t.Fatalf("%q: %v", title, err)
		}
		if _, err := b.PNG(title + "x"); err != nil && !errors.Is(err, ErrLinkTooLong) {
			t.Fatalf("%q: %v", title, err)
		}
	}
}

func TestWrap(t *testing.T) {
	f, err := loadFonts()
	if err != nil {
		t.Fatal(err)
	}
	fc := newFaceCache(f)
	maxW := Width - 2*padX
	long := fc.cleanText(strings.Repeat("三只松鼠每日坚果 750g/30袋 混合果仁，", 10))
	lines := fc.wrap(long, false, titleSize, maxW, titleLines)
	if len(lines) != titleLines {
		t.Fatalf("%d lines, want %d: %q", len(lines), titleLines, lines)
	}
	if !strings.HasSuffix(lines[len(lines)-1], "…") {
		t.Errorf("last line %q has no ellipsis", lines[len(lines)-1])
	}
	for _, l := range lines {
		if w := fc.measurePx(l, false, titleSize); w > maxW {
			t.Errorf("line %q is %d px, max %d", l, w, maxW)
		}
	}
	// Words are kept whole, punctuation does not start a line, short text is one line.
	for _, l := range fc.wrap(long, false, titleSize, 300, 20) {
		if r, _ := utf8.DecodeRuneInString(l); strings.ContainsRune(noLineStart, r) {
			t.Errorf("line starts with %q: %q", r, l)
		}
		if strings.HasPrefix(l, "0g") || strings.HasPrefix(l, "50g") || strings.HasSuffix(l, "75") {
			t.Errorf("word split across lines: %q", l)
		}
	}
	if got := fc.wrap("短标题", false, titleSize, maxW, 2); len(got) != 1 || got[0] != "短标题" {
		t.Errorf("short title wraps to %q", got)
	}
	// A word longer than the line is broken.
	got := fc.wrap(strings.Repeat("W", 80), false, titleSize, maxW, 3)
	if len(got) < 2 {
		t.Errorf("long word: %q", got)
	}
}

func TestBatch(t *testing.T) {
	srv := newImageServer(t)
	r := newTestRenderer(t, Options{})
	products := sampleProducts(srv)
	links := []string{linkURL, linkShare, "https://u.jd.com/1", "https://u.jd.com/2", "https://u.jd.com/3"}
	var mu sync.Mutex
	seen := map[[2]int][]byte{}
	err := Batch(context.Background(), r, products, links, 3, func(pi, li int, data []byte) error {
		mu.Lock()
		defer mu.Unlock()
		seen[[2]int{pi, li}] = bytes.Clone(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(products)*len(links) {
		t.Fatalf("%d posters, want %d", len(seen), len(products)*len(links))
	}
	for _, k := range [][2]int{{0, 0}, {1, 1}, {3, 4}} {
		want := fullRender(t, r, products[k[0]], links[k[1]])
		if n, at := samePixels(decodePNG(t, seen[k]), want); n != 0 {
			t.Errorf("poster %v: %d pixels differ, first at %v", k, n, at)
		}
	}

	// The first error stops the batch.
	boom := errors.New("boom")
	var calls atomic.Int64
	err = Batch(context.Background(), r, products, links, 2, func(pi, li int, data []byte) error {
		if calls.Add(1) == 3 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want boom", err)
	}
	err = Batch(context.Background(), r, products, []string{"ok", strings.Repeat("x", 3000)}, 2, func(int, int, []byte) error { return nil })
	if !errors.Is(err, ErrLinkTooLong) {
		t.Errorf("err = %v, want ErrLinkTooLong", err)
	}
}

// Golden posters: a change to the layout shows up here. Regenerate with
//
//	go test ./internal/publish/poster -run Golden -update
//
// and look at the files. The comparison allows tiny differences, since
// float rounding in the rasteriser and scaler may differ by architecture.
func TestGolden(t *testing.T) {
	srv := newImageServer(t)
	r := newTestRenderer(t, Options{})
	cases := []struct {
		name string
		p    Product
		link string
	}{
		{"tmall_coupon", Product{Platform: "tmall", Title: "【官方旗舰店】三只松鼠 每日坚果750g/30袋 混合果仁孕妇零食大礼包 量贩装 送礼佳品 年货节限定款", ListPrice: 15990, FinalPrice: 9990, Coupon: 6000, Badges: []string{"历史最低", "30天最低", "同款比价最低"}, ImageURL: srv.URL + "/product.png"}, linkURL},
		{"jd_placeholder", Product{Platform: "jd", Title: "Apple iPhone 16 Pro 龘 <b>", ListPrice: 899900, FinalPrice: 799900, ImageURL: ""}, "https://u.jd.com/AbCdEf"},
		{"pdd_sharetext", Product{Platform: "pdd", Title: "维达抽纸 3层100抽 24包整箱", ListPrice: 5990, Coupon: 1055, Badges: []string{"百亿补贴"}, ImageURL: srv.URL + "/blue.jpg"}, linkShare},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := r.Base(context.Background(), tc.p)
			if err != nil {
				t.Fatal(err)
			}
			data, err := b.PNG(tc.link)
			if err != nil {
				t.Fatal(err)
			}
			got := decodePNG(t, data)
			path := filepath.Join("testdata", "golden", tc.name+".png")
			if *update {
				var buf bytes.Buffer
				enc := png.Encoder{CompressionLevel: png.BestCompression}
				if err := enc.Encode(&buf, got); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			want := decodePNG(t, raw)
			var bad, sum int
			for i := range got.Pix {
				d := int(got.Pix[i]) - int(want.Pix[i])
				if d < 0 {
					d = -d
				}
				sum += d
				if d > 16 {
					bad++
				}
			}
			if bad > 100 || sum > len(got.Pix)/50 {
				out := filepath.Join(os.TempDir(), "poster-golden-"+tc.name+".png")
				os.WriteFile(out, data, 0o644)
				t.Errorf("poster differs from %s: %d bytes differ by more than 16, total difference %d; got written to %s", path, bad, sum, out)
			}
		})
	}
}

// Benchmarks.
//
//	go test -run xxx -bench . -benchtime 2s ./internal/publish/poster

func benchBase(b testing.TB) (*Renderer, Product) {
	// A photo-like image (smooth gradients and noise), which compresses
	// like real product shots do, unlike the flat test images.
	rng := rand.New(rand.NewPCG(5, 6))
	photo := image.NewRGBA(image.Rect(0, 0, 800, 800))
	for y := 0; y < 800; y++ {
		for x := 0; x < 800; x++ {
			n := uint8(rng.IntN(12))
			photo.SetRGBA(x, y, color.RGBA{uint8(x/4) + n, uint8(y/4) + n, uint8(200 - (x+y)/16), 0xFF})
		}
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, photo, &jpeg.Options{Quality: 85})
	jpg := buf.Bytes()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(jpg) }))
	b.Cleanup(srv.Close)
	r := newTestRenderer(b, Options{})
	p := Product{Platform: "tmall", Title: "【官方旗舰店】三只松鼠 每日坚果750g/30袋 混合果仁孕妇零食大礼包 量贩装", ListPrice: 5990, FinalPrice: 3990, Coupon: 2000, Badges: []string{"历史最低", "30天最低"}, ImageURL: srv.URL + "/photo.jpg"}
	if bs, err := r.Base(context.Background(), p); err != nil || bs.Placeholder() {
		b.Fatalf("warm-up: %v", err)
	}
	return r, p
}

// BenchmarkBase: the group-independent part of one poster, image cached.
func BenchmarkBase(b *testing.B) {
	r, p := benchBase(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Base(context.Background(), p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPNGPerGroup: one group's poster from a Base (QR encode, band, PNG).
func BenchmarkPNGPerGroup(b *testing.B) {
	r, p := benchBase(b)
	base, err := r.Base(context.Background(), p)
	if err != nil {
		b.Fatal(err)
	}
	links := make([]string, 500)
	for i := range links {
		links[i] = fmt.Sprintf("https://s.click.taobao.com/t?e=m%%3D2%%26s%%3D%08x&pid=mm_1234_%d_9012", i*7919, i)
	}
	b.ReportAllocs()
	var buf []byte
	i := 0
	for b.Loop() {
		buf, err = base.AppendPNG(buf[:0], links[i%len(links)])
		if err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(len(buf)), "png-bytes")
}

// BenchmarkQREncode: the QR part of BenchmarkPNGPerGroup.
func BenchmarkQREncode(b *testing.B) {
	for b.Loop() {
		if _, err := encodeQR(linkURL); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNaivePNG: for comparison, what image/png costs for a whole poster.
func BenchmarkNaivePNG(b *testing.B) {
	r, p := benchBase(b)
	img := fullRender(b, r, p, linkURL)
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	b.ReportAllocs()
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := enc.Encode(&buf, img); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "png-bytes")
}

// BenchmarkBatch is the morning batch: 30 products (distinct photos) x 500
// groups through Batch with the default worker count; one op is the whole
// batch (about 15 s on two cores).
func BenchmarkBatch(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	photos := make([][]byte, 30)
	for i := range photos {
		img := image.NewRGBA(image.Rect(0, 0, 800, 800))
		for y := 0; y < 800; y++ {
			for x := 0; x < 800; x++ {
				n := uint8(rng.IntN(12))
				img.SetRGBA(x, y, color.RGBA{uint8(x/4+i*7) + n, uint8(y/4) + n, uint8(200 - (x+y)/16), 0xFF})
			}
		}
		var buf bytes.Buffer
		jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
		photos[i] = buf.Bytes()
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var i int
		fmt.Sscanf(r.URL.Path, "/%d.jpg", &i)
		w.Write(photos[i%len(photos)])
	}))
	b.Cleanup(srv.Close)
	r := newTestRenderer(b, Options{CacheDir: b.TempDir()})
	products := make([]Product, len(photos))
	for i := range products {
		products[i] = Product{Platform: "tmall", Title: fmt.Sprintf("【官方旗舰店】商品%d 每日坚果750g/30袋 混合果仁孕妇零食大礼包 量贩装", i), ListPrice: 5990 + int64(i), FinalPrice: 3990, Coupon: 2000, Badges: []string{"历史最低"}, ImageURL: fmt.Sprintf("%s/%d.jpg", srv.URL, i)}
	}
	links := make([]string, 500)
	for i := range links {
		links[i] = fmt.Sprintf("https://s.click.taobao.com/t?e=m%%3D2%%26s%%3D%08x&pid=mm_1234_%d_9012", i*7919, i)
	}
	var total atomic.Int64
	for b.Loop() {
		total.Store(0)
		err := Batch(context.Background(), r, products, links, 0, func(_, _ int, png []byte) error {
			total.Add(int64(len(png)))
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	posters := len(products) * len(links)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*posters), "ns/poster")
	b.ReportMetric(float64(total.Load())/float64(posters), "png-bytes/poster")
}
