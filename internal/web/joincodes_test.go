package web

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/publish/poster"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

func someJoinCode(t *testing.T, s *Server) int64 {
	t.Helper()
	cs, err := s.joins.Store.List(context.Background())
	if err != nil || len(cs) == 0 {
		t.Fatalf("demo join codes: %d %v", len(cs), err)
	}
	return cs[0].ID
}

// TestJoinPages: the public page needs no login, counts each view for its
// inviter, says honestly that a QR join is not credited, switches language
// keeping the inviter; operators create a code, upload a QR (bad files
// refused) and see views per day and inviter; on both engines.
func TestJoinPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := New(db, slog.New(slog.DiscardHandler))
		srv := httptest.NewTLSServer(s)
		t.Cleanup(srv.Close)
		g1 := &community.Group{Name: "福利1群", Channel: community.Manual, Active: true, Capacity: 500, Members: 40}
		g2 := &community.Group{Name: "福利2群", Channel: community.Manual, Active: true}
		for _, g := range []*community.Group{g1, g2} {
			if err := s.groups.Save(ctx, g); err != nil {
				t.Fatal(err)
			}
		}
		c := newClient(t, srv)
		signIn(t, s, c, "op", auth.Operator)
		csrf := c.csrfOf("/joincodes")
		form := url.Values{"name": {"福利群活码"}, "code": {"fuli"}, "campaign": {"双12"}, "active": {"1"}, "group": {itoa(g1.ID), itoa(g2.ID)}}
		resp, _ := c.post("/joincodes", csrf, form)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("create: %d", resp.StatusCode)
		}
		resp, body := c.post("/joincodes", csrf, url.Values{"name": {"x"}, "code": {"Bad Code"}, "active": {"1"}})
		if resp.StatusCode != 400 || !strings.Contains(body, "活码名") {
			t.Errorf("a bad code: %d", resp.StatusCode)
		}
		code, err := s.joins.Store.ByCode(ctx, "fuli")
		if err != nil || len(code.Groups) != 2 {
			t.Fatalf("saved code %+v %v", code, err)
		}
		anon := srv.Client()
		// No QR yet: the page says there is no room, without a login.
		get := func(path string) (int, string) {
			t.Helper()
			r, err := anon.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Body.Close()
			var b bytes.Buffer
			b.ReadFrom(r.Body)
			if r.StatusCode == 200 && r.Header.Get("Cache-Control") != "no-store" && strings.HasPrefix(path, "/join/fuli?") {
				t.Errorf("%s: Cache-Control %q", path, r.Header.Get("Cache-Control"))
			}
			return r.StatusCode, b.String()
		}
		if st, b := get("/join/fuli?i=alice"); st != 200 || !strings.Contains(b, "现在没有可以加入的群") {
			t.Fatalf("no room: %d %.400s", st, b)
		}
		if st, b := get("/join/nope"); st != 404 || !strings.Contains(b, "请向发给你链接的人要一个新的") || !strings.Contains(b, `name="viewport"`) {
			t.Errorf("unknown code: %d %.400s", st, b)
		}
		// Upload: a text file is refused, a PNG taken.
		upload := func(name string, data []byte, group int64) string {
			resp, _ := c.upload("/joincodes/"+itoa(code.ID)+"/qr", csrf, name, string(data), map[string]string{"group": itoa(group)})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("upload: %d", resp.StatusCode)
			}
			_, body := c.do("GET", resp.Header.Get("Location"), nil)
			return body
		}
		if b := upload("x.txt", []byte("not an image"), g1.ID); !strings.Contains(b, "PNG 或 JPEG") {
			t.Errorf("a text file: %.300s", b)
		}
		png, err := poster.QRPNG("https://weixin.qq.com/g/test", 4)
		if err != nil {
			t.Fatal(err)
		}
		if b := upload("qr.png", png, g1.ID); !strings.Contains(b, "群二维码已上传") {
			t.Fatalf("upload: %.300s", b)
		}
		s.joins.Forget()
		st, b := get("/join/fuli?i=alice")
		if st != 200 || !strings.Contains(b, "福利1群") || !strings.Contains(b, `href="?i=alice&amp;lang=en"`) {
			t.Fatalf("page with QR: %d %.1500s", st, b)
		}
		// What a joining member needs only: the operators' notes on
		// attribution are on the code's page, not here.
		if strings.Contains(b, "只计入活动") || strings.Contains(b, "手工运营") || strings.Contains(b, "邀请人名下") {
			t.Errorf("the public page shows operator notes: %.1500s", b)
		}
		img := b[strings.Index(b, `src="/join/fuli/qr/`)+5:]
		img = img[:strings.Index(img, `"`)]
		if st, body := get(img); st != 200 || body != string(png) {
			t.Errorf("QR image %s: %d", img, st)
		}
		if st, _ := get("/join/xinren/qr/1"); st != 404 {
			t.Errorf("a QR through another code: %d", st)
		}
		get("/join/fuli")
		get("/join/fuli?i=bad%20ref")
		if st, b := get("/join/fuli?i=alice&lang=en"); st != 200 || !strings.Contains(b, "press and hold the QR code") || strings.Contains(b, "campaign only") {
			t.Errorf("English: %.500s", b)
		}
		// 1 + 1 + 1 + 1 + 1 views: alice 3, none 2.
		if n, _ := s.joins.Store.TotalViews(ctx, code.ID); n != 5 {
			t.Errorf("views %d, want 5", n)
		}
		resp, body = c.do("GET", "/joincodes/"+itoa(code.ID), nil)
		if resp.StatusCode != 200 || !strings.Contains(body, "alice") || !strings.Contains(body, "正在显示") || !strings.Contains(body, "访问（共 5 次）") {
			t.Errorf("detail: %d %.2000s", resp.StatusCode, body)
		}
		if !strings.Contains(body, `id="note-qr"`) || !strings.Contains(body, "只计入活动") || !strings.Contains(body, `id="note-hand-run"`) {
			t.Errorf("the operator's notes on attribution: %.3000s", body)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
