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

const alicePW = "alice-password-1"

func newService(t *testing.T, db *store.DB) (*Service, *clock) {
	t.Helper()
	s := New(db)
	s.Params = fastParams
	c := newClock()
	s.Now = c.now
	return s, c
}

func mustCreate(t *testing.T, s *Service, name string, role Role, pw string) User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), NewUser{Name: name, Role: role, Password: pw})
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", name, err)
	}
	return u
}

func TestUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, c := newService(t, db)
		if n, err := s.CountUsers(ctx); err != nil || n != 0 {
			t.Fatalf("CountUsers on a new database = %d, %v", n, err)
		}
		alice := mustCreate(t, s, "Alice", Admin, alicePW)
		if alice.ID == 0 || alice.DisplayName != "Alice" || alice.Role != Admin || !alice.LastLoginAt.IsZero() {
			t.Fatalf("created %+v", alice)
		}
		bob, err := s.CreateUser(ctx, NewUser{Name: "小明_ops", DisplayName: "运营 小明", Role: Operator, Password: "bob-password-1"})
		if err != nil {
			t.Fatal(err)
		}

		// Name uniqueness ignores case.
		for _, name := range []string{"alice", "ALICE", " Alice "} {
			if _, err := s.CreateUser(ctx, NewUser{Name: name, Role: Viewer, Password: "another-pass-1"}); !errors.Is(err, ErrNameTaken) {
				t.Errorf("CreateUser(%q) = %v, want ErrNameTaken", name, err)
			}
		}
		for _, name := range []string{"", "a b", "bad/name", "x@y", strings.Repeat("a", 33), "emoji😀"} {
			if _, err := s.CreateUser(ctx, NewUser{Name: name, Role: Viewer, Password: "another-pass-1"}); !errors.Is(err, ErrBadName) {
				t.Errorf("CreateUser(%q) = %v, want ErrBadName", name, err)
			}
		}
		if _, err := s.CreateUser(ctx, NewUser{Name: "carol", Role: "root", Password: "another-pass-1"}); !errors.Is(err, ErrBadRole) {
			t.Errorf("bad role: %v", err)
		}
		if _, err := s.CreateUser(ctx, NewUser{Name: "carol", Role: Viewer, Password: "short"}); !errors.Is(err, ErrPasswordTooShort) {
			t.Errorf("short password: %v", err)
		}

		// Authenticate: right, wrong, unknown; name in any case.
		c.add(time.Hour)
		u, err := s.Authenticate(ctx, "ALICE", alicePW)
		if err != nil || u.ID != alice.ID || !u.LastLoginAt.Equal(c.now()) {
			t.Fatalf("Authenticate = %+v, %v", u, err)
		}
		if _, err := s.Authenticate(ctx, "alice", alicePW+"x"); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("wrong password: %v", err)
		}
		if _, err := s.Authenticate(ctx, "nobody", alicePW); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("unknown user: %v", err)
		}
		if _, err := s.Authenticate(ctx, "bad name!", alicePW); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("invalid name: %v", err)
		}
		if _, err := s.Authenticate(ctx, "小明_OPS", "bob-password-1"); err != nil {
			t.Errorf("CJK name: %v", err)
		}

		// Disabled users cannot log in; the last admin stays.
		if err := s.Disable(ctx, bob.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "小明_ops", "bob-password-1"); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("disabled user: %v", err)
		}
		if err := s.Enable(ctx, bob.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "小明_ops", "bob-password-1"); err != nil {
			t.Errorf("re-enabled user: %v", err)
		}
		if err := s.Disable(ctx, alice.ID); !errors.Is(err, ErrLastAdmin) {
			t.Errorf("disable last admin: %v", err)
		}
		if err := s.SetRole(ctx, alice.ID, Viewer); !errors.Is(err, ErrLastAdmin) {
			t.Errorf("demote last admin: %v", err)
		}
		if err := s.SetRole(ctx, bob.ID, Admin); err != nil {
			t.Fatal(err)
		}
		if err := s.SetRole(ctx, alice.ID, Finance); err != nil {
			t.Fatalf("demote one of two admins: %v", err)
		}
		if err := s.SetRole(ctx, 9999, Viewer); !errors.Is(err, ErrUserNotFound) {
			t.Errorf("SetRole unknown: %v", err)
		}
		if err := s.SetRole(ctx, bob.ID, "root"); !errors.Is(err, ErrBadRole) {
			t.Errorf("SetRole bad: %v", err)
		}

		// SetPassword.
		if err := s.SetPassword(ctx, alice.ID, "short"); !errors.Is(err, ErrPasswordTooShort) {
			t.Errorf("SetPassword short: %v", err)
		}
		if err := s.SetPassword(ctx, alice.ID, "new-alice-password"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "alice", alicePW); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("old password after SetPassword: %v", err)
		}
		if _, err := s.Authenticate(ctx, "alice", "new-alice-password"); err != nil {
			t.Errorf("new password: %v", err)
		}
		if err := s.SetPassword(ctx, 9999, "whatever-password"); !errors.Is(err, ErrUserNotFound) {
			t.Errorf("SetPassword unknown: %v", err)
		}
		if err := s.SetDisplayName(ctx, alice.ID, "财务 Alice"); err != nil {
			t.Fatal(err)
		}

		list, err := s.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Name != "Alice" || list[0].Role != Finance || list[0].DisplayName != "财务 Alice" ||
			list[1].Name != "小明_ops" || list[1].Role != Admin || list[1].DisplayName != "运营 小明" {
			t.Fatalf("List = %+v", list)
		}
		if n, _ := s.CountUsers(ctx); n != 2 {
			t.Fatalf("CountUsers = %d", n)
		}
		if got, err := s.UserByName(ctx, "alice"); err != nil || got.ID != alice.ID {
			t.Fatalf("UserByName = %+v, %v", got, err)
		}
		if _, err := s.GetUser(ctx, 9999); !errors.Is(err, ErrUserNotFound) {
			t.Fatalf("GetUser unknown: %v", err)
		}
	})
}

// TestRehashOnLogin: raising Service.Params upgrades a stored hash at the
// next successful login.
func TestRehashOnLogin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newService(t, db)
		u := mustCreate(t, s, "alice", Admin, alicePW)
		s2 := New(db)
		s2.Params = Params{Memory: 128, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
		if _, err := s2.Authenticate(ctx, "alice", alicePW); err != nil {
			t.Fatal(err)
		}
		var h string
		if err := db.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = $1`, u.ID).Scan(&h); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(h, "$argon2id$v=19$m=128,t=2,p=1$") {
			t.Fatalf("hash not upgraded: %s", h)
		}
		if _, err := s.Authenticate(ctx, "alice", alicePW); err != nil {
			t.Fatalf("login after upgrade: %v", err)
		}
	})
}

// TestSecretsNotInErrors: no error text carries a password or token.
func TestSecretsNotInErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newService(t, db)
		u := mustCreate(t, s, "alice", Admin, alicePW)
		var errs []error
		secrets := []string{alicePW, "tiny-pw", "wrong-password-123"}
		add := func(err error) {
			if err == nil {
				t.Error("expected an error")
			}
			errs = append(errs, err)
		}
		_, err := s.Authenticate(ctx, "alice", "wrong-password-123")
		add(err)
		_, err = s.Authenticate(ctx, "nobody", alicePW)
		add(err)
		_, err = s.CreateUser(ctx, NewUser{Name: "bob", Role: Viewer, Password: "tiny-pw"})
		add(err)
		_, err = s.CreateUser(ctx, NewUser{Name: "ALICE", Role: Viewer, Password: alicePW})
		add(err)
		add(s.SetPassword(ctx, u.ID, "tiny-pw"))

		// A session and a token, then misuse variants of them.
		tok, sess, err := s.NewSession(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		bearer, _, err := s.IssueToken(ctx, u.ID, "ci")
		if err != nil {
			t.Fatal(err)
		}
		csrf := CSRFToken(sess)
		secrets = append(secrets, tok, bearer, csrf, tok[:20], bearer[3:23])
		_, _, err = s.SessionUser(ctx, tok+"x")
		add(err)
		_, _, err = s.TokenUser(ctx, bearer[:len(bearer)-1]+"2") // base32 never ends a 32-byte token in "2"
		add(err)
		_, _, err = s.TokenUser(ctx, bearer+"x")
		add(err)
		_, _, err = s.TokenUser(ctx, "Bearer "+bearer[:10])
		add(err)
		if err := s.Disable(ctx, u.ID); err == nil { // last admin
			t.Fatal("disabled the last admin")
		} else {
			add(err)
		}
		if err := s.RevokeToken(ctx, 9999); err != nil {
			add(err)
		}
		for _, e := range errs {
			if e == nil {
				continue
			}
			for _, sec := range secrets {
				if strings.Contains(e.Error(), sec) {
					t.Errorf("error %q contains a secret", e)
				}
			}
		}
	})
}
