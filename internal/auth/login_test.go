package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// A stranger failing on purpose locks only themselves: the user at another
// address still gets in; failing from many addresses locks the user for
// unknown browsers, but not for the user's own known device.
func TestLoginGuardCannotBeTurnedOnAUser(t *testing.T) {
	c := newClock()
	g := NewLoginGuard()
	for _, l := range []*Limiter{g.Pairs, g.Users, g.Addrs, g.Devices} {
		l.Now = c.now
	}
	fail := func(name, addr, dev string) bool {
		a, _, ok := g.Begin(name, addr, dev)
		if ok {
			a.Fail()
		}
		return ok
	}
	for range 5 {
		if !fail("boss", "203.0.113.9", "") {
			t.Fatal("locked before 5 failures")
		}
	}
	if _, wait, ok := g.Begin("boss", "203.0.113.9", ""); ok || wait != 15*time.Minute {
		t.Fatalf("the attacker's sixth try: ok %v, wait %v", ok, wait)
	}
	a, _, ok := g.Begin("boss", "198.51.100.7", "")
	if !ok {
		t.Fatal("the user at another address is locked out by a stranger")
	}
	a.Succeed()
	// Twenty failures from twenty addresses lock the name for strangers.
	for i := range 20 {
		fail("boss", "192.0.2."+string(rune('a'+i)), "")
	}
	if _, _, ok := g.Begin("boss", "198.51.100.7", ""); ok {
		t.Fatal("distributed guessing is not limited per user")
	}
	a, _, ok = g.Begin("boss", "198.51.100.7", "1.device")
	if !ok {
		t.Fatal("a known device is locked out by strangers")
	}
	a.Release() // the database was busy: not counted
	for range 5 {
		if !fail("boss", "198.51.100.7", "1.device") {
			t.Fatal("a released attempt was counted")
		}
	}
	if _, _, ok := g.Begin("boss", "198.51.100.7", "1.device"); ok {
		t.Fatal("a known device may guess without limit")
	}
}

func TestDeviceTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, c := newService(t, db)
		alice := mustCreate(t, s, "alice", Admin, alicePW)
		mustCreate(t, s, "bob", Viewer, alicePW)
		tok, err := s.DeviceToken(ctx, alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		dev := s.KnownDevice(ctx, "Alice", tok)
		if dev == "" {
			t.Fatal("alice's own device token not known")
		}
		if tok2, _ := s.DeviceToken(ctx, alice.ID); s.KnownDevice(ctx, "alice", tok2) == dev {
			t.Fatal("two devices share an id")
		}
		parts := strings.Split(tok, ".")
		for name, bad := range map[string]string{
			"another user":  "bob",
			"no such user":  "carol",
			"invalid name":  "a b",
			"forged mac":    strings.Join(append(parts[:3:3], "AAAA"), "."),
			"other user id": strings.Join(append([]string{"2"}, parts[1:]...), "."),
			"garbage":       "x.y",
		} {
			user, token := "alice", tok
			if !strings.Contains(bad, ".") {
				user = bad
			} else {
				token = bad
			}
			if s.KnownDevice(ctx, user, token) != "" {
				t.Errorf("%s: token accepted", name)
			}
		}
		c.add(DeviceLife + time.Hour)
		if s.KnownDevice(ctx, "alice", tok) != "" {
			t.Error("an expired device token is accepted")
		}
		c.add(-DeviceLife)
		if err := s.SetPassword(ctx, alice.ID, "a new password 1"); err != nil {
			t.Fatal(err)
		}
		if s.KnownDevice(ctx, "alice", tok) != "" {
			t.Error("a password change does not forget known devices")
		}
	})
}

// While a long import holds SQLite's write lock, a login checks the
// password at once (a read) and puts off recording its time; the session,
// which cannot be written, is kept in memory and works at once, and is
// written once the lock is free. Past MaxPending kept sessions, starting
// one gives up after SessionWait with a busy error (the console answers
// 503), never "wrong password".
func TestLoginWhileTheDatabaseIsLocked(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	s, c := newService(t, db)
	s.SessionWait = 200 * time.Millisecond
	alice := mustCreate(t, s, "alice", Admin, alicePW)
	old, _, err := s.NewSession(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil) // _txlock=immediate: takes the write lock
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := s.DeleteSession(ctx, old); err != nil || time.Since(start) > 3*time.Second {
		tx.Rollback()
		t.Fatalf("logout while locked: %v after %v", err, time.Since(start))
	}
	if _, _, err := s.SessionUser(ctx, old); !errors.Is(err, ErrNoSession) {
		t.Fatalf("a session logged out while locked: %v, want ErrNoSession", err)
	}
	c.add(time.Hour)
	start = time.Now()
	u, err := s.Authenticate(ctx, "alice", alicePW)
	if err != nil || u.ID != alice.ID || time.Since(start) > 3*time.Second {
		t.Fatalf("Authenticate while locked = %v after %v, want the user at once", err, time.Since(start))
	}
	if _, err := s.Authenticate(ctx, "alice", "wrong password!"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("wrong password while locked: %v", err)
	}
	tok, sess, err := s.NewSession(ctx, alice.ID)
	if err != nil {
		t.Fatalf("NewSession while locked: %v", err)
	}
	if u, got, err := s.SessionUser(ctx, tok); err != nil || u.ID != alice.ID || !CheckCSRF(got, CSRFToken(sess)) {
		t.Fatalf("kept session while locked: %v, %v", u, err)
	}
	gone, _, err := s.NewSession(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx, gone); err != nil {
		tx.Rollback()
		t.Fatal(err)
	}
	none := 0
	s.MaxPending = &none
	start = time.Now()
	if _, _, err := s.NewSession(ctx, alice.ID); !store.IsBusy(err) || time.Since(start) > 3*time.Second {
		t.Fatalf("NewSession with no room to keep it = %v after %v, want a busy error after SessionWait", err, time.Since(start))
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	s.Wait()
	got, err := s.GetUser(ctx, alice.ID)
	if err != nil || !got.LastLoginAt.Equal(c.now()) {
		t.Fatalf("login time recorded once the lock was free: %v, %v; want %v", got.LastLoginAt, err, c.now())
	}
	var rows int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE token_hash = $1`, hashSecret(tok)).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("kept session written: %d rows, %v", rows, err)
	}
	if _, _, err := s.SessionUser(ctx, tok); err != nil {
		t.Fatalf("the written session: %v", err)
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE token_hash IN ($1, $2)`, hashSecret(old), hashSecret(gone)).Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("sessions ended while locked: %d rows left, %v", rows, err)
	}
	if _, _, err := s.SessionUser(ctx, gone); !errors.Is(err, ErrNoSession) {
		t.Fatalf("a session ended before it was written: %v, want ErrNoSession", err)
	}
}
