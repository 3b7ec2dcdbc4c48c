package auth

import "github.com/qunke/qunke/internal/msg"

// Errors callers test with errors.Is: messages (keys of internal/i18n),
// which never contain a password or token.
var (
	ErrBadCredentials   = msg.New("auth.bad_credentials")
	ErrPasswordTooShort = msg.New("auth.password_too_short")
	ErrPasswordTooLong  = msg.New("auth.password_too_long")
	ErrBadName          = msg.New("auth.bad_name")
	ErrBadDisplayName   = msg.New("auth.bad_display_name")
	ErrNameTaken        = msg.New("auth.name_taken")
	ErrBadRole          = msg.New("auth.bad_role")
	ErrUserNotFound     = msg.New("auth.user_not_found")
	ErrUserDisabled     = msg.New("auth.user_disabled")
	ErrLastAdmin        = msg.New("auth.last_admin")
	ErrNoSession        = msg.New("auth.no_session")
	ErrBadToken         = msg.New("auth.bad_token")
	ErrTokenNotFound    = msg.New("auth.token_not_found")
	ErrBadTokenName     = msg.New("auth.bad_token_name")
)
