package web

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/growth/campaign"
	"github.com/qunke/qunke/internal/joincode"
	"github.com/qunke/qunke/internal/publish/poster"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// TestInvitePage: a participant's link for a campaign without a join code
// is their own public page (no login): the campaign, who invites, each
// target group with its QR (honestly not credited to the inviter) or why
// it cannot be joined here, and the hand-run note; a campaign with a join
// code sends the visitor to the code's page with the reference; a QR of a
// group outside the campaign is not served; an unknown reference is 404.
func TestInvitePage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := New(db, slog.New(slog.DiscardHandler))
		srv := httptest.NewServer(s)
		t.Cleanup(srv.Close)
		save := func(name string) int64 {
			g := &community.Group{Name: name, Channel: community.Manual, Active: true}
			if err := s.groups.Save(ctx, g); err != nil {
				t.Fatal(err)
			}
			return g.ID
		}
		withQR, without, other := save("扫码群"), save("无码群"), save("别的群")
		png := func(text string) []byte {
			b, err := poster.QRPNG(text, 4)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		qr, err := s.joins.Store.UploadQR(ctx, withQR, png("https://weixin.qq.com/g/a"), "op", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		otherQR, err := s.joins.Store.UploadQR(ctx, other, png("https://weixin.qq.com/g/b"), "op", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		code := &joincode.Code{Code: "invite-code", Name: "活码", Active: true, Groups: []int64{withQR}}
		if err := s.joins.Store.Save(ctx, code); err != nil {
			t.Fatal(err)
		}
		mk := func(name string, codeID int64) *campaign.Participant {
			c := &campaign.Campaign{Name: name, Status: campaign.Running, Starts: time.Now().Add(-time.Hour), Groups: []int64{withQR, without},
				JoinCodeID: codeID}
			if err := s.campaigns.Save(ctx, c); err != nil {
				t.Fatal(err)
			}
			p, err := s.campaigns.AddParticipant(ctx, c.ID, 0, "阿芳")
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		p, pc := mk("冬季拉新", 0), mk("活码拉新", code.ID)
		if p.Link != "/invite/"+p.Ref || pc.Link != "/join/invite-code?i="+pc.Ref {
			t.Fatalf("links %q %q", p.Link, pc.Link)
		}
		anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		get := func(path string) (*http.Response, string) {
			t.Helper()
			r, err := anon.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Body.Close()
			var b bytes.Buffer
			b.ReadFrom(r.Body)
			return r, b.String()
		}
		r, body := get(p.Link)
		if r.StatusCode != 200 {
			t.Fatalf("%s: %d %.300s", p.Link, r.StatusCode, body)
		}
		for _, want := range []string{"冬季拉新", "阿芳 邀请你", "扫码群", "/invite/" + p.Ref + "/qr/", "无码群", "没有群二维码"} {
			if !strings.Contains(body, want) {
				t.Errorf("the invite page lacks %q", want)
			}
		}
		// The operators' notes on attribution are on the campaign page only.
		for _, not := range []string{"不计入邀请人名下", "手工运营的群"} {
			if strings.Contains(body, not) {
				t.Errorf("the public invite page shows the operators' note %q", not)
			}
		}
		if strings.Contains(body, "别的群") || r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("another group shown, or cached: %q", r.Header.Get("Cache-Control"))
		}
		if r, _ := get("/invite/" + p.Ref + "/qr/" + itoa(qr.ID)); r.StatusCode != 200 || r.Header.Get("Content-Type") != "image/png" {
			t.Errorf("the group's QR: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
		}
		if r, _ := get("/invite/" + p.Ref + "/qr/" + itoa(otherQR.ID)); r.StatusCode != 404 {
			t.Errorf("another group's QR: %d", r.StatusCode)
		}
		if r, _ := get("/invite/" + pc.Ref); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != pc.Link {
			t.Errorf("join code campaign: %d to %q", r.StatusCode, r.Header.Get("Location"))
		}
		for _, bad := range []string{"/invite/qkaaaaaaaa", "/invite/nope", "/invite/qkaaaaaaaa/qr/1"} {
			if r, _ := get(bad); r.StatusCode != 404 {
				t.Errorf("%s: %d", bad, r.StatusCode)
			}
		}
	})
}

// demoInviteRef is the reference of the demo campaign's first participant.
func demoInviteRef(t *testing.T, s *Server) string {
	t.Helper()
	board, _, err := s.campaigns.Leaderboard(context.Background(), 1, 1, 0)
	if err != nil || len(board) == 0 {
		t.Fatalf("demo campaign's participants: %v %v", board, err)
	}
	return board[0].Ref
}
