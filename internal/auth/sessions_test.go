package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

func TestSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, c := newService(t, db)
		alice := mustCreate(t, s, "alice", Admin, alicePW)
		bob := mustCreate(t, s, "bob", Viewer, "bob-password-1")

		tok, sess, err := s.NewSession(ctx, alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) != 43 || !sess.ExpiresAt.Equal(c.now().Add(7*24*time.Hour)) {
			t.Fatalf("token length %d, expires %v", len(tok), sess.ExpiresAt)
		}
		// Only the hash is stored.
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE token_hash = $1`, tok).Scan(&n); err != nil || n != 0 {
			t.Fatalf("raw token stored (%d, %v)", n, err)
		}
		u, got, err := s.SessionUser(ctx, tok)
		if err != nil || u.ID != alice.ID || got.ID != sess.ID || u.Role != Admin {
			t.Fatalf("SessionUser = %+v, %+v, %v", u, got, err)
		}
		for _, bad := range []string{"", "x", tok[:42], tok + "A"} {
			if _, _, err := s.SessionUser(ctx, bad); !errors.Is(err, ErrNoSession) {
				t.Errorf("SessionUser(bad) = %v", err)
			}
		}

		// Sliding: used every 6 days, the session lives on until 30 days.
		for day := 6; day <= 30; day += 6 {
			c.add(6 * 24 * time.Hour)
			_, got, err := s.SessionUser(ctx, tok)
			if day < 30 {
				if err != nil {
					t.Fatalf("day %d: %v", day, err)
				}
				want := c.now().Add(7 * 24 * time.Hour)
				if max := sess.CreatedAt.Add(30 * 24 * time.Hour); want.After(max) {
					want = max
				}
				if !got.ExpiresAt.Equal(want) {
					t.Fatalf("day %d: expires %v, want %v", day, got.ExpiresAt, want)
				}
			} else if !errors.Is(err, ErrNoSession) {
				t.Fatalf("day 30: session past the absolute maximum: %v", err)
			}
		}

		// Idle expiry: 7 days without use.
		tok2, _, err := s.NewSession(ctx, alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		c.add(7*24*time.Hour - time.Second)
		if _, _, err := s.SessionUser(ctx, tok2); err != nil {
			t.Fatalf("just before idle expiry: %v", err)
		}
		c.add(7 * 24 * time.Hour)
		if _, _, err := s.SessionUser(ctx, tok2); !errors.Is(err, ErrNoSession) {
			t.Fatalf("after idle expiry: %v", err)
		}

		// Logout, logout everywhere, disabled users.
		t1, _, _ := s.NewSession(ctx, alice.ID)
		t2, _, _ := s.NewSession(ctx, alice.ID)
		t3, _, _ := s.NewSession(ctx, bob.ID)
		if err := s.DeleteSession(ctx, t1); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionUser(ctx, t1); !errors.Is(err, ErrNoSession) {
			t.Fatalf("after logout: %v", err)
		}
		if n, err := s.DeleteUserSessions(ctx, alice.ID); err != nil || n != 1 {
			t.Fatalf("DeleteUserSessions = %d, %v", n, err)
		}
		if _, _, err := s.SessionUser(ctx, t2); !errors.Is(err, ErrNoSession) {
			t.Fatalf("after DeleteUserSessions: %v", err)
		}
		if _, _, err := s.SessionUser(ctx, t3); err != nil {
			t.Fatalf("other user's session ended: %v", err)
		}
		// A disabled user's surviving session stops working.
		if _, err := db.ExecContext(ctx, `UPDATE users SET disabled = 1 WHERE id = $1`, bob.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionUser(ctx, t3); !errors.Is(err, ErrNoSession) {
			t.Fatalf("disabled user's session: %v", err)
		}
		if _, _, err := s.NewSession(ctx, bob.ID); !errors.Is(err, ErrUserDisabled) {
			t.Fatalf("NewSession for disabled user: %v", err)
		}
		if _, _, err := s.NewSession(ctx, 9999); !errors.Is(err, ErrUserNotFound) {
			t.Fatalf("NewSession for unknown user: %v", err)
		}
		// SetPassword ends sessions.
		t4, _, _ := s.NewSession(ctx, alice.ID)
		if err := s.SetPassword(ctx, alice.ID, "another-password"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionUser(ctx, t4); !errors.Is(err, ErrNoSession) {
			t.Fatalf("session after SetPassword: %v", err)
		}
		// Purge.
		s.NewSession(ctx, alice.ID)
		c.add(8 * 24 * time.Hour)
		if n, err := s.PurgeExpiredSessions(ctx); err != nil || n != 1 {
			t.Fatalf("PurgeExpiredSessions = %d, %v", n, err)
		}
	})
}

func TestCSRF(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newService(t, db)
		alice := mustCreate(t, s, "alice", Admin, alicePW)
		tok, sess, err := s.NewSession(ctx, alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, other, err := s.NewSession(ctx, alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		a, b := CSRFToken(sess), CSRFToken(sess)
		if a == "" || a == b {
			t.Fatalf("CSRF tokens %q and %q: want non-empty and masked differently", a, b)
		}
		if !CheckCSRF(sess, a) || !CheckCSRF(sess, b) {
			t.Fatal("valid CSRF token refused")
		}
		// The session loaded back from the database checks the same tokens.
		_, loaded, err := s.SessionUser(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		if !CheckCSRF(loaded, a) {
			t.Fatal("CSRF token refused by the reloaded session")
		}
		if CheckCSRF(other, a) {
			t.Fatal("CSRF token of one session accepted by another")
		}
		flip := []byte(a)
		if flip[10] == 'A' {
			flip[10] = 'B'
		} else {
			flip[10] = 'A'
		}
		for _, bad := range []string{"", "x", a[:len(a)-1], a + "A", string(flip)} {
			if CheckCSRF(sess, bad) {
				t.Errorf("CheckCSRF accepted %q", bad)
			}
		}
		if CheckCSRF(Session{}, a) || CSRFToken(Session{}) != "" {
			t.Error("empty session has CSRF tokens")
		}
	})
}
