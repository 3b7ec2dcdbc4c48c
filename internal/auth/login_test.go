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
// password at once (a read), puts off recording the login time, and
// starting the session gives up after SessionWait with a busy error (the
// console answers 503), never "wrong password".
func TestLoginWhileTheDatabaseIsLocked(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	s, c := newService(t, db)
	s.SessionWait = 300 * time.Millisecond
	alice := mustCreate(t, s, "alice", Admin, alicePW)
	tx, err := db.BeginTx(ctx, nil) // _txlock=immediate: takes the write lock
	if err != nil {
		t.Fatal(err)
	}
	c.add(time.Hour)
	start := time.Now()
	u, err := s.Authenticate(ctx, "alice", alicePW)
	if err != nil || u.ID != alice.ID || time.Since(start) > 3*time.Second {
		t.Fatalf("Authenticate while locked = %v after %v, want the user at once", err, time.Since(start))
	}
	if _, err := s.Authenticate(ctx, "alice", "wrong password!"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("wrong password while locked: %v", err)
	}
	start = time.Now()
	_, _, err = s.NewSession(ctx, alice.ID)
	if !store.IsBusy(err) || time.Since(start) > 3*time.Second {
		t.Fatalf("NewSession while locked = %v after %v, want a busy error after SessionWait", err, time.Since(start))
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	s.Wait()
	got, err := s.GetUser(ctx, alice.ID)
	if err != nil || !got.LastLoginAt.Equal(c.now()) {
		t.Fatalf("login time recorded once the lock was free: %v, %v; want %v", got.LastLoginAt, err, c.now())
	}
	if _, _, err := s.NewSession(ctx, alice.ID); err != nil {
		t.Fatalf("NewSession after the lock: %v", err)
	}
}
