package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/qunke/qunke/internal/store"
)

// Session is a logged-in browser. The token itself is returned once by
// NewSession and never stored.
type Session struct {
	ID        int64
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
	csrf      []byte
}

const secretLen = 32

// hashSecret is the stored form of a session or API token.
func hashSecret(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

func randomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("auth: 读取随机数失败 / read random bytes: %w", err)
	}
	return b, nil
}

func (s *Service) expiry(created, now time.Time) time.Time {
	exp := now.Add(s.SessionIdle)
	if max := created.Add(s.SessionMax); exp.After(max) {
		exp = max
	}
	return exp
}

// NewSession starts a session for an enabled user and returns the token for
// the browser's cookie (43 characters of base64url).
func (s *Service) NewSession(ctx context.Context, userID int64) (token string, sess Session, err error) {
	raw, err := randomBytes(secretLen)
	if err != nil {
		return "", Session{}, err
	}
	csrf, err := randomBytes(secretLen)
	if err != nil {
		return "", Session{}, err
	}
	token = base64.RawURLEncoding.EncodeToString(raw)
	now := fromUnix(unix(s.now()))
	sess = Session{UserID: userID, CreatedAt: now, ExpiresAt: fromUnix(unix(s.expiry(now, now))), csrf: csrf}
	// One statement, waiting at most SessionWait for the write lock; on a
	// SQLite database held by a long import the session is kept in memory
	// and written once the lock is free (see keep).
	err = s.DB.WithWait(ctx, s.SessionWait, func(c *sql.Conn) error {
		return c.QueryRowContext(ctx, `INSERT INTO sessions (token_hash, user_id, csrf_secret, created_at, expires_at)
			SELECT $1, id, $3, $4, $5 FROM users WHERE id = $2 AND disabled = 0 RETURNING id`,
			hashSecret(token), userID, hex.EncodeToString(csrf), unix(sess.CreatedAt), unix(sess.ExpiresAt)).Scan(&sess.ID)
	})
	if store.IsBusy(err) && s.DB.Dialect == store.SQLite {
		u, gerr := s.GetUser(ctx, userID)
		switch {
		case gerr != nil:
			return "", Session{}, gerr
		case u.Disabled:
			return "", Session{}, ErrUserDisabled
		case s.keep(ctx, hashSecret(token), sess):
			return token, sess, nil
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		if _, gerr := s.GetUser(ctx, userID); gerr != nil {
			return "", Session{}, gerr
		}
		return "", Session{}, ErrUserDisabled
	}
	if err != nil {
		return "", Session{}, fmt.Errorf("auth: 创建会话失败 / create session for user %d: %w", userID, err)
	}
	return token, sess, nil
}

// SessionUser resolves a session token to its session and user. Unknown,
// expired and disabled-user sessions give ErrNoSession. Each use slides the
// expiry forward, up to SessionMax after login.
func (s *Service) SessionUser(ctx context.Context, token string) (User, Session, error) {
	if len(token) == 0 || len(token) > 128 {
		return User{}, Session{}, ErrNoSession
	}
	h := hashSecret(token)
	if ps, ok, ended := s.pendingSession(h); ok {
		return s.pendingUser(ctx, ps)
	} else if ended {
		return User{}, Session{}, ErrNoSession
	}
	var sess Session
	var csrfHex string
	var created, expires int64
	u, err := scanUser(s.DB.QueryRowContext(ctx, `SELECT u.id, u.name, u.display_name, u.role, u.disabled, u.created_at, u.last_login_at, u.agent_id,
			s.id, s.csrf_secret, s.created_at, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`, h),
		&sess.ID, &csrfHex, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, Session{}, ErrNoSession
	}
	if err != nil {
		return User{}, Session{}, fmt.Errorf("auth: 查询会话失败 / look up session: %w", err)
	}
	now := s.now()
	if u.Disabled || now.Unix() >= expires {
		// Refused either way; a busy database keeps the row for next time.
		if _, err := s.DB.ExecQuick(ctx, bookkeepingWait, `DELETE FROM sessions WHERE id = $1`, sess.ID); err != nil && !store.IsBusy(err) {
			return User{}, Session{}, fmt.Errorf("auth: 删除过期会话失败 / delete expired session: %w", err)
		}
		return User{}, Session{}, ErrNoSession
	}
	if sess.csrf, err = hex.DecodeString(csrfHex); err != nil || len(sess.csrf) != secretLen {
		return User{}, Session{}, fmt.Errorf("auth: 会话 %d 的 CSRF 密钥损坏 / session %d has a damaged CSRF secret", sess.ID, sess.ID)
	}
	sess.UserID, sess.CreatedAt, sess.ExpiresAt = u.ID, fromUnix(created), fromUnix(expires)
	// Slide the expiry, writing at most about once a minute per session;
	// while the database is busy (a long import) the session keeps its
	// expiry and slides on a later request.
	if next := unix(s.expiry(sess.CreatedAt, now)); next-expires >= 60 {
		_, err := s.DB.ExecQuick(ctx, bookkeepingWait, `UPDATE sessions SET expires_at = $1 WHERE id = $2`, next, sess.ID)
		switch {
		case err == nil:
			sess.ExpiresAt = fromUnix(next)
		case !store.IsBusy(err):
			return User{}, Session{}, fmt.Errorf("auth: 延长会话失败 / extend session: %w", err)
		}
	}
	return u, sess, nil
}

// pendingUser resolves a session kept in memory (not yet written).
func (s *Service) pendingUser(ctx context.Context, sess Session) (User, Session, error) {
	u, err := s.GetUser(ctx, sess.UserID)
	if errors.Is(err, ErrUserNotFound) || (err == nil && (u.Disabled || !s.now().Before(sess.ExpiresAt))) {
		return User{}, Session{}, ErrNoSession
	}
	if err != nil {
		return User{}, Session{}, err
	}
	return u, sess, nil
}

// DeleteSession ends the session with this token (logout). Unknown tokens
// are not an error.
func (s *Service) DeleteSession(ctx context.Context, token string) error {
	h := hashSecret(token)
	if s.endPending(h, 0) {
		return nil // never written; the writer deletes it if it gets there
	}
	_, err := s.DB.ExecQuick(ctx, s.SessionWait, `DELETE FROM sessions WHERE token_hash = $1`, h)
	if store.IsBusy(err) && s.DB.Dialect == store.SQLite {
		s.deleteLater(ctx, h)
		return nil
	}
	if err != nil {
		return fmt.Errorf("auth: 删除会话失败 / delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions ends every session of a user and returns how many.
func (s *Service) DeleteUserSessions(ctx context.Context, userID int64) (int64, error) {
	s.endPending("", userID)
	res, err := s.DB.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	if err != nil {
		return 0, fmt.Errorf("auth: 删除用户会话失败 / delete sessions of user %d: %w", userID, err)
	}
	return res.RowsAffected()
}

// PurgeExpiredSessions deletes sessions past their expiry and returns how
// many; run it now and then.
func (s *Service) PurgeExpiredSessions(ctx context.Context) (int64, error) {
	res, err := s.DB.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, unix(s.now()))
	if err != nil {
		return 0, fmt.Errorf("auth: 清理过期会话失败 / purge expired sessions: %w", err)
	}
	return res.RowsAffected()
}

// CSRFToken returns a CSRF token for a form or header of this session. Each
// call masks the session's secret with fresh randomness, so tokens differ
// from page to page (no fixed secret for compression attacks to learn) and
// all of them check. It returns "" for a session without a secret.
func CSRFToken(sess Session) string {
	if len(sess.csrf) != secretLen {
		return ""
	}
	buf := make([]byte, 2*secretLen)
	if _, err := rand.Read(buf[:secretLen]); err != nil {
		return ""
	}
	for i := range secretLen {
		buf[secretLen+i] = buf[i] ^ sess.csrf[i]
	}
	return base64.RawURLEncoding.EncodeToString(buf)
}

// CheckCSRF reports, in constant time, whether token is a CSRF token of
// this session.
func CheckCSRF(sess Session, token string) bool {
	if len(sess.csrf) != secretLen || len(token) != base64.RawURLEncoding.EncodedLen(2*secretLen) {
		return false
	}
	buf, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(buf) != 2*secretLen {
		return false
	}
	got := make([]byte, secretLen)
	for i := range secretLen {
		got[i] = buf[i] ^ buf[secretLen+i]
	}
	return subtle.ConstantTimeCompare(got, sess.csrf) == 1
}
