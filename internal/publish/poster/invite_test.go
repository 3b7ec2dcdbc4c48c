package poster

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
)

func TestInvitePNG(t *testing.T) {
	r, err := NewRenderer(Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.InvitePNG(Invite{Campaign: "双十二拉新有礼", Headline: "小红 邀请你进群", Lines: []string{"邀请 3 人得 红包 ¥5.00"}},
		"https://q.example/join/7?i=qkabcdefgh")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil || img.Bounds().Dx() != Width || img.Bounds().Dy() != Height {
		t.Fatalf("poster: %v %v", img.Bounds(), err)
	}
	// The code's box has dark modules.
	dark := 0
	for y := 600; y < 940; y += 3 {
		for x := 200; x < 550; x += 3 {
			if c, _, _, _ := img.At(x, y).RGBA(); c < 0x2000 {
				dark++
			}
		}
	}
	if dark < 500 {
		t.Fatalf("no QR code drawn: %d dark samples", dark)
	}
}

// A reward line that fits is drawn whole; only a too long one gets "…".
func TestInviteLineFits(t *testing.T) {
	r, err := NewRenderer(Options{})
	if err != nil {
		t.Fatal(err)
	}
	fc := newFaceCache(r.fonts)
	short := "3 个有效邀请 → 红包（¥5.00）"
	if got := fc.fit(short, false, 26, Width-2*padX); got != short {
		t.Errorf("a short line became %q", got)
	}
	long := strings.Repeat("邀请好友", 20)
	if got := fc.fit(long, false, 26, Width-2*padX); !strings.HasSuffix(got, "…") || fc.measurePx(got, false, 26) > Width-2*padX {
		t.Errorf("a long line became %q", got)
	}
}
