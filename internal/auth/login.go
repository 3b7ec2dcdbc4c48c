package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// LoginGuard is the login policy: who may try a password now. A stranger
// cannot lock a user out by failing on purpose:
//
//   - a user name at one client address (Pairs) gets 5 failures per 15
//     minutes, then locks backing off from 15 minutes to a day;
//   - a user name from all addresses together (Users) gets 20, against
//     guessing from many addresses; one address for all names (Addrs) gets
//     20 (behind a reverse proxy, see serve --trusted-proxy);
//   - a browser holding a device cookie from an earlier successful login
//     of that user (a known device) is limited only by its own count
//     (Devices: 5, backing off), so the user's own browser gets in with
//     the right password while strangers are locked.
type LoginGuard struct {
	Pairs, Users, Addrs, Devices *Limiter
}

// NewLoginGuard returns the default policy.
func NewLoginGuard() *LoginGuard {
	users := NewLimiter(20, 15*time.Minute)
	users.MaxLock = 24 * time.Hour
	return &LoginGuard{Pairs: NewLoginLimiter(), Users: users, Addrs: NewLimiter(20, 15*time.Minute), Devices: NewLoginLimiter()}
}

// LoginAttempt is one reserved password check; end it with exactly one of
// Fail, Succeed or Release.
type LoginAttempt struct {
	g    *LoginGuard
	lims []*Limiter
	keys []string
}

// Begin reserves a login attempt for the (lower-cased) user name from the
// client address, from a known device of that user when device is not "".
// When it may not try now, ok is false and wait says for how long.
func (g *LoginGuard) Begin(name, addr, device string) (a *LoginAttempt, wait time.Duration, ok bool) {
	a = &LoginAttempt{g: g}
	if device != "" {
		a.add(g.Devices, "dev:"+device)
	} else {
		a.add(g.Pairs, name+"\x00"+addr)
		a.add(g.Users, name)
		a.add(g.Addrs, addr)
	}
	for i, l := range a.lims {
		if w, ok := l.Try(a.keys[i]); !ok {
			for j := range i {
				a.lims[j].Release(a.keys[j])
			}
			return nil, w, false
		}
	}
	return a, 0, true
}

func (a *LoginAttempt) add(l *Limiter, key string) {
	a.lims, a.keys = append(a.lims, l), append(a.keys, key)
}

// Fail counts a wrong password.
func (a *LoginAttempt) Fail() {
	for i, l := range a.lims {
		l.Fail(a.keys[i])
	}
}

// Succeed forgets the failures of the user (at this address, from this
// device, everywhere); the address's count stays, so a stranger with an
// account of their own cannot wipe it by logging in between guesses.
func (a *LoginAttempt) Succeed() {
	for i, l := range a.lims {
		if l == a.g.Addrs {
			l.Release(a.keys[i])
		} else {
			l.Succeed(a.keys[i])
		}
	}
}

// Release ends the attempt without counting it: the password could not be
// checked (the database was busy), which is no failure of the user's.
func (a *LoginAttempt) Release() {
	for i, l := range a.lims {
		l.Release(a.keys[i])
	}
}

// DeviceLife is how long a device cookie is honoured after the login that
// issued it.
const DeviceLife = 180 * 24 * time.Hour

// DeviceToken returns the value of the device cookie for a browser where
// the user just logged in: the user id, a random device id and the time,
// signed with a key derived from the user's stored password hash (a secret
// only the database holds), so no migration or server key is needed, every
// server sharing the database accepts it, and changing the password forgets
// every known device.
func (s *Service) DeviceToken(ctx context.Context, userID int64) (string, error) {
	hash, err := s.passwordHash(ctx, `id = $1`, userID)
	if err != nil {
		return "", err
	}
	id, err := randomBytes(16)
	if err != nil {
		return "", err
	}
	dev := base64.RawURLEncoding.EncodeToString(id)
	issued := strconv.FormatInt(s.now().Unix(), 10)
	uid := strconv.FormatInt(userID, 10)
	return uid + "." + dev + "." + issued + "." + deviceMAC(hash, uid, dev, issued), nil
}

// KnownDevice returns the device id of a device token issued to the user
// named name within DeviceLife, and "" for any other token (forged, of
// another user, expired, from before a password change).
func (s *Service) KnownDevice(ctx context.Context, name, token string) string {
	parts := strings.Split(token, ".")
	n, err := NormalizeName(name)
	if len(parts) != 4 || len(token) > 200 || err != nil {
		return ""
	}
	uid, dev, issued, mac := parts[0], parts[1], parts[2], parts[3]
	at, err := strconv.ParseInt(issued, 10, 64)
	if err != nil || s.now().Sub(time.Unix(at, 0)) > DeviceLife {
		return ""
	}
	id, err := strconv.ParseInt(uid, 10, 64)
	if err != nil {
		return ""
	}
	hash, err := s.passwordHash(ctx, `id = $1 AND name_key = $2`, id, nameKey(n))
	if err != nil || !hmac.Equal([]byte(mac), []byte(deviceMAC(hash, uid, dev, issued))) {
		return ""
	}
	return uid + "." + dev
}

func deviceMAC(hash, uid, dev, issued string) string {
	m := hmac.New(sha256.New, []byte(hash))
	m.Write([]byte("qunke device\x00" + uid + "\x00" + dev + "\x00" + issued))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Service) passwordHash(ctx context.Context, where string, args ...any) (string, error) {
	var hash string
	err := s.DB.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE `+where, args...).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrUserNotFound
	}
	if err != nil {
		return "", fmt.Errorf("auth: 查询用户失败 / look up user: %w", err)
	}
	return hash, nil
}
