package auth

import (
	"context"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunke/qunke/internal/store"
)

// TokenPrefix starts every API token.
const TokenPrefix = "qk_"

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// tokenLen is the length of an API token: prefix plus base32 of 32 bytes.
var tokenLen = len(TokenPrefix) + tokenEncoding.EncodedLen(secretLen)

// Token describes an API token; the token itself is shown only by IssueToken.
type Token struct {
	ID         int64
	UserID     int64
	Name       string
	Prefix     string // the first characters, to tell tokens apart, e.g. "qk_ABCDEF"
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never used
	RevokedAt  time.Time // zero while valid
}

// Revoked reports whether the token was revoked.
func (t Token) Revoked() bool { return !t.RevokedAt.IsZero() }

// IssueToken creates a named API token acting as user userID and returns the
// token (shown once) and its description. The caller checks ManageTokens.
func (s *Service) IssueToken(ctx context.Context, userID int64, name string) (string, Token, error) {
	name = strings.TrimSpace(name)
	if n := utf8.RuneCountInString(name); n < 1 || n > 64 || checkDisplayName(name) != nil {
		return "", Token{}, ErrBadTokenName
	}
	if _, err := s.GetUser(ctx, userID); err != nil {
		return "", Token{}, err
	}
	raw, err := randomBytes(secretLen)
	if err != nil {
		return "", Token{}, err
	}
	bearer := TokenPrefix + tokenEncoding.EncodeToString(raw)
	t := Token{UserID: userID, Name: name, Prefix: bearer[:len(TokenPrefix)+6], CreatedAt: fromUnix(unix(s.now()))}
	err = s.DB.QueryRowContext(ctx, `INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at, last_used_at, revoked_at)
		VALUES ($1, $2, $3, $4, $5, 0, 0) RETURNING id`,
		userID, name, hashSecret(bearer), t.Prefix, unix(t.CreatedAt)).Scan(&t.ID)
	if err != nil {
		return "", Token{}, fmt.Errorf("auth: 创建 API 令牌失败 / issue API token for user %d: %w", userID, err)
	}
	return bearer, t, nil
}

// TokenUser resolves a bearer token (with or without a leading "Bearer ")
// to its user and token. Unknown and revoked tokens, and tokens of disabled
// users, give ErrBadToken. A resolved token is remembered for TokenCacheTTL
// (see there for when a change takes effect); its LastUsedAt is written at
// most about once a minute.
func (s *Service) TokenUser(ctx context.Context, bearer string) (User, Token, error) {
	bearer = strings.TrimSpace(bearer)
	if len(bearer) > 7 && strings.EqualFold(bearer[:7], "Bearer ") {
		bearer = strings.TrimSpace(bearer[7:])
	}
	if len(bearer) != tokenLen || !strings.HasPrefix(bearer, TokenPrefix) {
		return User{}, Token{}, ErrBadToken
	}
	hash, now := hashSecret(bearer), s.now()
	if e, ok := s.tokens.get(hash, now); ok {
		return e.user, e.token, nil
	}
	gen := s.tokens.generation()
	var t Token
	var created, used, revoked int64
	u, err := scanUser(s.DB.QueryRowContext(ctx, `SELECT u.id, u.name, u.display_name, u.role, u.disabled, u.created_at, u.last_login_at, u.agent_id,
			t.id, t.name, t.prefix, t.created_at, t.last_used_at, t.revoked_at
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1`, hash),
		&t.ID, &t.Name, &t.Prefix, &created, &used, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, Token{}, ErrBadToken
	}
	if err != nil {
		return User{}, Token{}, fmt.Errorf("auth: 查询 API 令牌失败 / look up API token: %w", err)
	}
	if revoked != 0 || u.Disabled {
		return User{}, Token{}, ErrBadToken
	}
	t.UserID, t.CreatedAt, t.LastUsedAt = u.ID, fromUnix(created), fromUnix(used)
	// Record use, writing at most about once a minute per token (not while
	// the database is busy: a later call records it).
	if sec := unix(now); sec-used >= 60 {
		_, err := s.DB.ExecQuick(ctx, bookkeepingWait, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, sec, t.ID)
		switch {
		case err == nil:
			t.LastUsedAt = fromUnix(sec)
		case !store.IsBusy(err):
			return User{}, Token{}, fmt.Errorf("auth: 记录令牌使用失败 / record API token use: %w", err)
		}
	}
	s.tokens.put(hash, cachedToken{user: u, token: t, until: now.Add(TokenCacheTTL)}, gen)
	return u, t, nil
}

// RevokeToken revokes the token with this id. Revoking a revoked token is
// not an error; an unknown id is ErrTokenNotFound.
func (s *Service) RevokeToken(ctx context.Context, id int64) error {
	defer s.tokens.forget()
	res, err := s.DB.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at = 0`, unix(s.now()), id)
	if err != nil {
		return fmt.Errorf("auth: 撤销 API 令牌失败 / revoke API token %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("auth: 撤销 API 令牌失败 / revoke API token %d: %w", id, err)
	} else if n > 0 {
		return nil
	}
	var exists int
	if err := s.DB.QueryRowContext(ctx, `SELECT count(*) FROM api_tokens WHERE id = $1`, id).Scan(&exists); err != nil {
		return fmt.Errorf("auth: 撤销 API 令牌失败 / revoke API token %d: %w", id, err)
	}
	if exists == 0 {
		return ErrTokenNotFound
	}
	return nil
}

// ListTokens lists the API tokens of a user, or of everyone when userID is
// 0, newest first, revoked ones included.
func (s *Service) ListTokens(ctx context.Context, userID int64) ([]Token, error) {
	q, args := `SELECT id, user_id, name, prefix, created_at, last_used_at, revoked_at FROM api_tokens`, []any{}
	if userID != 0 {
		q, args = q+` WHERE user_id = $1`, append(args, userID)
	}
	rows, err := s.DB.QueryContext(ctx, q+` ORDER BY id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("auth: 列出 API 令牌失败 / list API tokens: %w", err)
	}
	defer rows.Close()
	var ts []Token
	for rows.Next() {
		var t Token
		var created, used, revoked int64
		if err := rows.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &created, &used, &revoked); err != nil {
			return nil, fmt.Errorf("auth: 列出 API 令牌失败 / list API tokens: %w", err)
		}
		t.CreatedAt, t.LastUsedAt, t.RevokedAt = fromUnix(created), fromUnix(used), fromUnix(revoked)
		ts = append(ts, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("auth: 列出 API 令牌失败 / list API tokens: %w", err)
	}
	return ts, nil
}
