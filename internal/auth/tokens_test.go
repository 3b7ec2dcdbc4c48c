package auth

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

func TestTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, c := newService(t, db)
		alice := mustCreate(t, s, "alice", Admin, alicePW)
		bob := mustCreate(t, s, "bob", Selector, "bob-password-1")

		bearer, tok, err := s.IssueToken(ctx, bob.ID, "导入脚本")
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^qk_[A-Z2-7]{52}$`).MatchString(bearer) {
			t.Fatalf("token %q has the wrong shape", bearer)
		}
		if tok.Prefix != bearer[:9] || tok.UserID != bob.ID || tok.Name != "导入脚本" || tok.Revoked() {
			t.Fatalf("token %+v", tok)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM api_tokens WHERE token_hash = $1 OR prefix = $1`, bearer).Scan(&n); err != nil || n != 0 {
			t.Fatalf("raw token stored (%d, %v)", n, err)
		}
		if _, _, err := s.IssueToken(ctx, bob.ID, ""); !errors.Is(err, ErrBadTokenName) {
			t.Errorf("empty name: %v", err)
		}
		if _, _, err := s.IssueToken(ctx, 9999, "x"); !errors.Is(err, ErrUserNotFound) {
			t.Errorf("unknown user: %v", err)
		}
		aliceBearer, _, err := s.IssueToken(ctx, alice.ID, "backup")
		if err != nil {
			t.Fatal(err)
		}

		c.add(time.Hour)
		for _, b := range []string{bearer, "Bearer " + bearer, "bearer  " + bearer + " "} {
			u, got, err := s.TokenUser(ctx, b)
			if err != nil || u.ID != bob.ID || u.Role != Selector || got.ID != tok.ID || !got.LastUsedAt.Equal(c.now()) {
				t.Fatalf("TokenUser(%q...) = %+v, %+v, %v", b[:10], u, got, err)
			}
		}
		for _, b := range []string{"", "qk_", "qk_AAAA", bearer[:len(bearer)-1] + "2", "xx" + bearer[2:]} {
			if _, _, err := s.TokenUser(ctx, b); !errors.Is(err, ErrBadToken) {
				t.Errorf("TokenUser(bad) = %v", err)
			}
		}
		list, err := s.ListTokens(ctx, bob.ID)
		if err != nil || len(list) != 1 || !list[0].LastUsedAt.Equal(c.now()) {
			t.Fatalf("ListTokens(bob) = %+v, %v", list, err)
		}
		if all, err := s.ListTokens(ctx, 0); err != nil || len(all) != 2 || all[0].UserID != alice.ID {
			t.Fatalf("ListTokens(all) = %+v, %v", all, err)
		}

		// A disabled user's tokens stop working, and work again on enable.
		if err := s.Disable(ctx, bob.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.TokenUser(ctx, bearer); !errors.Is(err, ErrBadToken) {
			t.Fatalf("disabled user's token: %v", err)
		}
		if err := s.Enable(ctx, bob.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.TokenUser(ctx, bearer); err != nil {
			t.Fatalf("re-enabled user's token: %v", err)
		}

		// Revoke.
		if err := s.RevokeToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeToken(ctx, tok.ID); err != nil {
			t.Fatalf("second revoke: %v", err)
		}
		if err := s.RevokeToken(ctx, 9999); !errors.Is(err, ErrTokenNotFound) {
			t.Fatalf("revoke unknown: %v", err)
		}
		if _, _, err := s.TokenUser(ctx, bearer); !errors.Is(err, ErrBadToken) {
			t.Fatalf("revoked token: %v", err)
		}
		if _, _, err := s.TokenUser(ctx, aliceBearer); err != nil {
			t.Fatalf("other token after revoke: %v", err)
		}
		list, _ = s.ListTokens(ctx, bob.ID)
		if len(list) != 1 || !list[0].Revoked() || !list[0].RevokedAt.Equal(c.now()) {
			t.Fatalf("after revoke: %+v", list)
		}
	})
}

// TestTokenCache: a resolved token is not looked up again for TokenCacheTTL;
// changes made through the same Service count at once, changes made by
// another process (another Service on the same database) within the TTL.
func TestTokenCache(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, c := newService(t, db)
		other := New(db) // the CLI, or a second server
		other.Now = c.now
		admin := mustCreate(t, s, "root", Admin, alicePW)
		bob := mustCreate(t, s, "bob", Selector, "bob-password-1")
		bearer, tok, err := s.IssueToken(ctx, bob.ID, "脚本")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.TokenUser(ctx, bearer); err != nil {
			t.Fatal(err)
		}

		// Revoked elsewhere: still served from the cache until the TTL ends.
		if err := other.RevokeToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.TokenUser(ctx, bearer); err != nil {
			t.Fatalf("within the TTL the cached answer stands: %v", err)
		}
		c.add(TokenCacheTTL)
		if _, _, err := s.TokenUser(ctx, bearer); !errors.Is(err, ErrBadToken) {
			t.Fatalf("after the TTL a token revoked elsewhere must fail: %v", err)
		}

		// Changes through the same Service count at once.
		bearer2, tok2, err := s.IssueToken(ctx, bob.ID, "脚本2")
		if err != nil {
			t.Fatal(err)
		}
		if u, _, err := s.TokenUser(ctx, bearer2); err != nil || u.Role != Selector {
			t.Fatalf("TokenUser = %+v, %v", u, err)
		}
		if err := s.SetRole(ctx, bob.ID, Viewer); err != nil {
			t.Fatal(err)
		}
		if u, _, err := s.TokenUser(ctx, bearer2); err != nil || u.Role != Viewer {
			t.Fatalf("after SetRole: %+v, %v", u, err)
		}
		if err := s.Disable(ctx, bob.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.TokenUser(ctx, bearer2); !errors.Is(err, ErrBadToken) {
			t.Fatalf("after Disable: %v", err)
		}
		if err := s.Enable(ctx, bob.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.TokenUser(ctx, bearer2); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeToken(ctx, tok2.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.TokenUser(ctx, bearer2); !errors.Is(err, ErrBadToken) {
			t.Fatalf("after RevokeToken: %v", err)
		}

		// Last use is still recorded about once a minute.
		bearer3, tok3, err := s.IssueToken(ctx, admin.ID, "备份")
		if err != nil {
			t.Fatal(err)
		}
		for range 13 {
			if _, _, err := s.TokenUser(ctx, bearer3); err != nil {
				t.Fatal(err)
			}
			c.add(TokenCacheTTL / 2)
		}
		list, err := s.ListTokens(ctx, admin.ID)
		if err != nil || len(list) != 1 || list[0].ID != tok3.ID {
			t.Fatalf("ListTokens = %+v, %v", list, err)
		}
		if used := c.now().Sub(list[0].LastUsedAt); used > time.Minute+TokenCacheTTL {
			t.Fatalf("last use recorded %s ago", used)
		}
	})
}
