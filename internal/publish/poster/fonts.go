package poster

import (
	_ "embed"
	"fmt"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
)

// The fonts are subsets of Noto Sans CJK SC 2.004 (SIL Open Font License 1.1,
// font/OFL.txt), produced by font/subset.sh. They are compiled into the binary so
// that posters render identically on a machine without any fonts installed.
var (
	//go:embed font/NotoSansSC-Poster-Regular.otf
	regularOTF []byte
	//go:embed font/NotoSansSC-Poster-Bold.otf
	boldOTF []byte
)

// fonts holds the parsed embedded fonts. An *sfnt.Font is immutable after
// parsing and safe for concurrent use; the font.Face values made from it are
// not, so every render makes its own faces (cheap: no parsing, no caching).
type fonts struct {
	regular, bold *sfnt.Font
}

var (
	fontsOnce sync.Once
	fontsVal  *fonts
	fontsErr  error
)

func loadFonts() (*fonts, error) {
	fontsOnce.Do(func() {
		reg, err := opentype.Parse(regularOTF)
		if err != nil {
			fontsErr = fmt.Errorf("poster: parse embedded regular font: %w", err)
			return
		}
		bold, err := opentype.Parse(boldOTF)
		if err != nil {
			fontsErr = fmt.Errorf("poster: parse embedded bold font: %w", err)
			return
		}
		fontsVal = &fonts{regular: reg, bold: bold}
	})
	return fontsVal, fontsErr
}

// faceCache makes and remembers faces for one render (one goroutine).
type faceCache struct {
	fonts *fonts
	m     map[faceKey]font.Face
}

type faceKey struct {
	bold bool
	size float64
}

func newFaceCache(f *fonts) *faceCache {
	return &faceCache{fonts: f, m: make(map[faceKey]font.Face)}
}

// face returns a face of the given pixel size. A bold face falls back to the
// regular font for runes the small bold subset lacks (see style.glyphFace).
func (c *faceCache) face(bold bool, size float64) font.Face {
	k := faceKey{bold, size}
	if f, ok := c.m[k]; ok {
		return f
	}
	src := c.fonts.regular
	if bold {
		src = c.fonts.bold
	}
	f, err := opentype.NewFace(src, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		// NewFace only fails on invalid options, which are constants here.
		panic(fmt.Sprintf("poster: new face: %v", err))
	}
	c.m[k] = f
	return f
}
