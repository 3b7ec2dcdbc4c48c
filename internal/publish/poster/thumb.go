package poster

import (
	"bytes"
	"context"
	"image/jpeg"
)

// MaxThumbnail is the largest thumbnail side Thumbnail makes, in pixels.
const MaxThumbnail = 400

// Thumbnail returns the product image at rawURL scaled to fit size x size
// pixels (at most MaxThumbnail), as a JPEG, for the console's lists. The
// image comes from the disk cache or the network, under the same host
// allow-list, address guard and size limits as the posters' images; the
// decoded image is not kept in memory (browsers cache thumbnails).
func (r *Renderer) Thumbnail(ctx context.Context, rawURL string, size int) ([]byte, error) {
	size = min(max(size, 16), MaxThumbnail)
	u, err := normalizeImageURL(rawURL)
	if err != nil {
		return nil, err
	}
	src, err := r.decodeURL(ctx, u)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, scaleToFit(src, size, size), &jpeg.Options{Quality: 82}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
