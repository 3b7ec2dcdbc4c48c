package auth

import "errors"

// Errors callers test with errors.Is. Messages are Chinese first, then
// English, and never contain a password or token.
var (
	ErrBadCredentials   = errors.New("用户名或密码错误 / wrong user name or password")
	ErrPasswordTooShort = errors.New("密码至少需要 10 个字符 / password must be at least 10 characters")
	ErrPasswordTooLong  = errors.New("密码过长（最多 1024 字节）/ password too long (at most 1024 bytes)")
	ErrBadName          = errors.New("用户名须为 1-32 个字母、数字、汉字或 . _ - / user name must be 1-32 letters, digits, CJK characters or . _ -")
	ErrBadDisplayName   = errors.New("显示名称最多 64 个字符且不能含控制字符 / display name must be at most 64 characters without control characters")
	ErrNameTaken        = errors.New("用户名已被使用 / user name already taken")
	ErrBadRole          = errors.New("角色无效 / invalid role")
	ErrUserNotFound     = errors.New("用户不存在 / no such user")
	ErrUserDisabled     = errors.New("用户已停用 / user is disabled")
	ErrLastAdmin        = errors.New("不能停用或降级最后一个管理员 / cannot disable or demote the last admin")
	ErrNoSession        = errors.New("会话无效或已过期，请重新登录 / session invalid or expired, please log in again")
	ErrBadToken         = errors.New("API 令牌无效或已撤销 / API token invalid or revoked")
	ErrTokenNotFound    = errors.New("API 令牌不存在 / no such API token")
	ErrBadTokenName     = errors.New("令牌名称须为 1-64 个字符 / token name must be 1-64 characters")
)
