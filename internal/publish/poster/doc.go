// Package poster draws deal posters: 750x1000 PNG images showing one product
// (image, title, 券后价, struck-through 原价, coupon, advisor badges) with a QR
// code of one group's own affiliate link (URL or share text).
//
// # Layout
//
// A white card on a warm red frame: the product photo (scaled to fit, or a
// grey "暂无图片" placeholder when it cannot be had) with a platform tag, the
// title wrapped to two lines with an ellipsis, up to three badges, then the
// price block on the left and the QR code with its caption on the right.
// Money is int64 fen and is formatted with integer arithmetic (FormatFen).
//
// # Speed: render once per product, splice per group
//
// A morning batch is about 30 products x 500 groups = 15,000 posters, which
// must take well under a minute on two cores. Encoding a 750x1000 poster
// with image/png costs about 40 ms (mostly DEFLATE of 2.2 MB of pixels),
// which alone would be ten minutes. But a poster for one product differs from
// group to group only in the QR code, so:
//
//   - Renderer.Base draws everything except the QR code once per product and
//     encodes the rows above the QR band and below it into finished PNG
//     bytes (IDAT chunks with their CRCs), at a good compression level.
//   - Base.PNG encodes only the band (about 200 rows, mostly unchanged
//     background that filters to zeros) for each group and splices it
//     between the two pre-encoded parts. A PNG's IDAT chunks concatenate to
//     one zlib stream, and a DEFLATE stream can be cut at a sync flush, so
//     each part is deflated by its own compressor (no back-reference crosses
//     a cut) and the zlib Adler-32 is combined from the parts' checksums.
//     The band's own Adler-32 is updated from the changed bytes only. See
//     pngsplice.go for the details and the row-filter rules at the seams.
//
// The result is a standard PNG (RGB, 8 bits) that any decoder reads; the
// tests check it decodes to exactly the pixels of a straightforward full
// render. Per group it costs about 1.5 ms of CPU (QR encoding with mask
// selection included) instead of about 40 ms; Batch runs a whole batch over
// a worker pool with products' Bases built a few products ahead.
//
// # Fonts
//
// Text is drawn with subsets of Noto Sans CJK SC (Regular, and Bold for the
// price digits), embedded with go:embed so that Chinese renders on a machine
// with no fonts installed. The fonts are licensed under the SIL Open Font
// License 1.1 (font/OFL.txt), which allows embedding and redistributing them
// with software; font/subset.sh records how the subsets were made (ASCII,
// Latin-1, punctuation, full-width forms and all of GB2312 plus Big5 level 1,
// about 10,000 glyphs, 2.2 MB). Characters outside the subset are drawn as
// an outlined box; emoji and invisible characters are dropped.
//
// # Product images
//
// Images are fetched over http(s) with a timeout and a size limit, decoded
// (JPEG, PNG, GIF, WebP), scaled with Catmull-Rom, and cached: the fetched
// bytes on disk (Options.CacheDir, one file per URL named by its SHA-256)
// and the scaled image in a small in-memory LRU. Any failure gives the
// placeholder, never a failed poster.
package poster
