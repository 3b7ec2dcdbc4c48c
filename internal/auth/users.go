package auth

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/store"
)

// Service is the users, sessions and tokens store. Its fields may be set
// after New and before first use.
type Service struct {
	DB *store.DB
	// Params are the argon2id parameters for new hashes; older, weaker hashes
	// are upgraded on the next successful login.
	Params Params
	// SessionIdle is how long a session lives past its last use;
	// SessionMax is the most it lives after login.
	SessionIdle, SessionMax time.Duration
	// SessionWait is how long starting a session waits for the database's
	// write lock (held by a long import on SQLite) before giving up with an
	// error store.IsBusy recognises.
	SessionWait time.Duration
	// MaxPending overrides MaxPendingSessions (tests).
	MaxPending *int
	// Now is the clock (tests set it).
	Now func() time.Time
	// Agents confirms that an agent id names an agent when a user of the
	// agent role is made (growth.Store; nil: not checked).
	Agents AgentChecker

	dummyOnce sync.Once
	later     sync.WaitGroup // bookkeeping writes waiting for the lock
	pending   pendingSessions
	dummy     string
	tokens    tokenCache
}

// New returns a Service on db with the default parameters.
func New(db *store.DB) *Service {
	return &Service{
		DB:          db,
		Params:      DefaultParams,
		SessionIdle: 7 * 24 * time.Hour,
		SessionMax:  30 * 24 * time.Hour,
		SessionWait: 500 * time.Millisecond,
		Now:         time.Now,
	}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// User is a console user. The password hash never leaves the package.
type User struct {
	ID          int64
	Name        string
	DisplayName string
	Role        Role
	Disabled    bool
	CreatedAt   time.Time
	LastLoginAt time.Time // zero before the first login
	AgentID     int64     // the agent role's agent (growth member id); 0 for other roles
}

// AgentChecker tells whether id is an agent (growth.Store.IsAgent).
type AgentChecker interface {
	IsAgent(ctx context.Context, id int64) (bool, error)
}

// NewUser is what CreateUser needs.
type NewUser struct {
	Name        string
	DisplayName string // defaults to Name
	Role        Role
	Password    string
	AgentID     int64 // required for the agent role, ignored for others
}

// NormalizeName trims name and checks it: 1-32 characters, each an ASCII
// letter or digit, '.', '_', '-', or a CJK character.
func NormalizeName(name string) (string, error) {
	name = strings.TrimSpace(name)
	n := utf8.RuneCountInString(name)
	if n < 1 || n > 32 || !utf8.ValidString(name) {
		return "", ErrBadName
	}
	for _, r := range name {
		switch {
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'):
		case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul):
		default:
			return "", ErrBadName
		}
	}
	return name, nil
}

// nameKey is the case-insensitive identity of a normalised name. Only ASCII
// letters have case among the allowed characters.
func nameKey(name string) string { return strings.ToLower(name) }

func checkDisplayName(d string) error {
	if utf8.RuneCountInString(d) > 64 || !utf8.ValidString(d) {
		return ErrBadDisplayName
	}
	for _, r := range d {
		if unicode.IsControl(r) {
			return ErrBadDisplayName
		}
	}
	return nil
}

func unix(t time.Time) int64 { return t.Unix() }

func fromUnix(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}

// CreateUser adds a user. Names are unique regardless of letter case.
func (s *Service) CreateUser(ctx context.Context, nu NewUser) (User, error) {
	name, err := NormalizeName(nu.Name)
	if err != nil {
		return User{}, err
	}
	display := strings.TrimSpace(nu.DisplayName)
	if display == "" {
		display = name
	}
	if err := checkDisplayName(display); err != nil {
		return User{}, err
	}
	if !nu.Role.Valid() {
		return User{}, ErrBadRole
	}
	agent, err := s.agentFor(ctx, nu.Role, nu.AgentID)
	if err != nil {
		return User{}, err
	}
	if err := ValidatePassword(nu.Password); err != nil {
		return User{}, err
	}
	if taken, err := s.nameTaken(ctx, name); err != nil {
		return User{}, err
	} else if taken {
		return User{}, ErrNameTaken
	}
	hash, err := HashPassword(nu.Password, s.Params)
	if err != nil {
		return User{}, err
	}
	u := User{Name: name, DisplayName: display, Role: nu.Role, CreatedAt: fromUnix(unix(s.now())), AgentID: agent}
	err = s.DB.QueryRowContext(ctx, `INSERT INTO users (name, name_key, display_name, role, password_hash, disabled, created_at, last_login_at, agent_id)
		VALUES ($1, $2, $3, $4, $5, 0, $6, 0, $7) RETURNING id`,
		name, nameKey(name), display, string(nu.Role), hash, unix(u.CreatedAt), agent).Scan(&u.ID)
	if err != nil {
		// A concurrent CreateUser may have won the unique index.
		if taken, terr := s.nameTaken(ctx, name); terr == nil && taken {
			return User{}, ErrNameTaken
		}
		return User{}, fmt.Errorf("auth: 创建用户失败 / create user %q: %w", name, err)
	}
	return u, nil
}

func (s *Service) nameTaken(ctx context.Context, name string) (bool, error) {
	var n int
	if err := s.DB.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE name_key = $1`, nameKey(name)).Scan(&n); err != nil {
		return false, fmt.Errorf("auth: 查询用户名失败 / look up user name: %w", err)
	}
	return n > 0, nil
}

const userCols = `id, name, display_name, role, disabled, created_at, last_login_at, agent_id`

type scanner interface{ Scan(...any) error }

func scanUser(r scanner, extra ...any) (User, error) {
	var u User
	var role string
	var disabled int
	var created, last int64
	dest := append([]any{&u.ID, &u.Name, &u.DisplayName, &role, &disabled, &created, &last, &u.AgentID}, extra...)
	if err := r.Scan(dest...); err != nil {
		return User{}, err
	}
	u.Role, u.Disabled = Role(role), disabled != 0
	u.CreatedAt, u.LastLoginAt = fromUnix(created), fromUnix(last)
	return u, nil
}

// dummyHash is a hash of a random password with the current parameters,
// verified for unknown users so they take as long as known ones.
func (s *Service) dummyHash() string {
	s.dummyOnce.Do(func() {
		var b [16]byte
		rand.Read(b[:])
		h, err := HashPassword(hex.EncodeToString(b[:]), s.Params)
		if err != nil {
			h, _ = HashPassword(hex.EncodeToString(b[:]), DefaultParams)
		}
		s.dummy = h
	})
	return s.dummy
}

// Authenticate checks a name and password. Unknown names, wrong passwords
// and disabled users all give ErrBadCredentials. On success it records the
// login time and upgrades a hash made with weaker parameters.
func (s *Service) Authenticate(ctx context.Context, name, password string) (User, error) {
	var u User
	var hash string
	found := false
	if n, err := NormalizeName(name); err == nil && len(password) <= MaxPasswordLen {
		row := s.DB.QueryRowContext(ctx, `SELECT `+userCols+`, password_hash FROM users WHERE name_key = $1`, nameKey(n))
		u, err = scanUser(row, &hash)
		switch {
		case err == nil:
			found = true
		case !errors.Is(err, sql.ErrNoRows):
			return User{}, fmt.Errorf("auth: 查询用户失败 / look up user: %w", err)
		}
	}
	if !found {
		VerifyPassword(s.dummyHash(), password, s.Params)
		return User{}, ErrBadCredentials
	}
	ok, rehash, err := VerifyPassword(hash, password, s.Params)
	if err != nil {
		return User{}, fmt.Errorf("auth: 用户 %q 的密码哈希损坏 / stored hash of user %q: %w", u.Name, u.Name, err)
	}
	if !ok || u.Disabled {
		return User{}, ErrBadCredentials
	}
	now := unix(s.now())
	if rehash {
		if h, err := HashPassword(password, s.Params); err == nil {
			hash = h
		}
	}
	s.recordLogin(ctx, u.ID, now, hash)
	u.LastLoginAt = fromUnix(now)
	return u, nil
}

// bookkeepingWait is how long a login or a page view waits for the write
// lock to record what is only bookkeeping (a login time, a session's
// sliding expiry, a token's last use). On SQLite a long import holds the
// lock for its whole file; a login must not wait for it.
const bookkeepingWait = 200 * time.Millisecond

// recordLogin writes the login time (and an upgraded hash) if the database
// can take it now, else once the lock is free, in the background; a login
// never fails for it.
func (s *Service) recordLogin(ctx context.Context, id, at int64, hash string) {
	const q = `UPDATE users SET last_login_at = $1, password_hash = $2 WHERE id = $3`
	if _, err := s.DB.ExecQuick(ctx, bookkeepingWait, q, at, hash, id); err == nil || !store.IsBusy(err) {
		return
	}
	s.later.Add(1)
	go func() {
		defer s.later.Done()
		s.execWhenFree(context.WithoutCancel(ctx), q, at, hash, id)
	}()
}

// Wait waits for the bookkeeping writes put off while the database was
// busy (tests, and a clean shutdown).
func (s *Service) Wait() { s.later.Wait() }

// GetUser returns the user with the given id.
func (s *Service) GetUser(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.DB.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrUserNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("auth: 查询用户失败 / get user %d: %w", id, err)
	}
	return u, nil
}

// UserByName returns the user with the given name (any letter case).
func (s *Service) UserByName(ctx context.Context, name string) (User, error) {
	n, err := NormalizeName(name)
	if err != nil {
		return User{}, ErrUserNotFound
	}
	u, err := scanUser(s.DB.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE name_key = $1`, nameKey(n)))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrUserNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("auth: 查询用户失败 / get user %q: %w", n, err)
	}
	return u, nil
}

// SetPassword replaces a user's password and ends all their sessions.
func (s *Service) SetPassword(ctx context.Context, id int64, password string) error {
	if err := ValidatePassword(password); err != nil {
		return err
	}
	hash, err := HashPassword(password, s.Params)
	if err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *sql.Tx) error {
		if err := updateOne(ctx, tx, `UPDATE users SET password_hash = $1 WHERE id = $2`, hash, id); err != nil {
			return fmt.Errorf("auth: 修改密码失败 / set password of user %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
			return fmt.Errorf("auth: 清除会话失败 / end sessions of user %d: %w", id, err)
		}
		return nil
	})
}

// SetDisplayName changes a user's display name (empty: the user name).
func (s *Service) SetDisplayName(ctx context.Context, id int64, display string) error {
	display = strings.TrimSpace(display)
	if err := checkDisplayName(display); err != nil {
		return err
	}
	var err error
	if display == "" {
		err = updateOne(ctx, s.DB, `UPDATE users SET display_name = name WHERE id = $1`, id)
	} else {
		err = updateOne(ctx, s.DB, `UPDATE users SET display_name = $1 WHERE id = $2`, display, id)
	}
	if err != nil {
		return fmt.Errorf("auth: 修改显示名称失败 / set display name of user %d: %w", id, err)
	}
	return nil
}

// SetRole changes a user's role (not to agent: SetAgentRole). The last
// enabled admin cannot be demoted.
func (s *Service) SetRole(ctx context.Context, id int64, role Role) error {
	return s.SetAgentRole(ctx, id, role, 0)
}

// ErrAgentRequired is the agent role without an agent (or an id that is
// not one); ErrAgentOnlyRole is an agent id given with another role.
var (
	ErrAgentRequired = msg.New("auth.agent_required") // %d: the id given
	ErrAgentOnlyRole = msg.New("auth.agent_only_role")
)

// agentFor checks the agent id given with role: an agent for the agent
// role (confirmed by s.Agents), none for the others.
func (s *Service) agentFor(ctx context.Context, role Role, agent int64) (int64, error) {
	if role != Agent {
		if agent != 0 {
			return 0, ErrAgentOnlyRole
		}
		return 0, nil
	}
	if agent <= 0 {
		return 0, ErrAgentRequired.With(agent)
	}
	if s.Agents != nil {
		ok, err := s.Agents.IsAgent(ctx, agent)
		if err != nil {
			return 0, err
		}
		if !ok {
			return 0, ErrAgentRequired.With(agent)
		}
	}
	return agent, nil
}

// SetAgentRole changes a user's role and, for the agent role, the agent
// they are bound to (0 for other roles). Their sessions and tokens take the
// new scope at once. The last enabled admin cannot be demoted.
func (s *Service) SetAgentRole(ctx context.Context, id int64, role Role, agentID int64) error {
	if !role.Valid() {
		return ErrBadRole
	}
	agent, err := s.agentFor(ctx, role, agentID)
	if err != nil {
		return err
	}
	defer s.tokens.forget()
	return s.DB.InTx(ctx, func(tx *sql.Tx) error {
		if role != Admin {
			if err := keepAnAdmin(ctx, tx, id); err != nil {
				return err
			}
		}
		if err := updateOne(ctx, tx, `UPDATE users SET role = $1, agent_id = $2 WHERE id = $3`, string(role), agent, id); err != nil {
			return fmt.Errorf("auth: 修改角色失败 / set role of user %d: %w", id, err)
		}
		return nil
	})
}

// Disable stops a user from logging in and ends their sessions; their API
// tokens stop working while they are disabled. The last enabled admin cannot
// be disabled.
func (s *Service) Disable(ctx context.Context, id int64) error {
	defer s.tokens.forget()
	return s.DB.InTx(ctx, func(tx *sql.Tx) error {
		if err := keepAnAdmin(ctx, tx, id); err != nil {
			return err
		}
		if err := updateOne(ctx, tx, `UPDATE users SET disabled = 1 WHERE id = $1`, id); err != nil {
			return fmt.Errorf("auth: 停用用户失败 / disable user %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
			return fmt.Errorf("auth: 清除会话失败 / end sessions of user %d: %w", id, err)
		}
		return nil
	})
}

// Enable lets a disabled user log in again.
func (s *Service) Enable(ctx context.Context, id int64) error {
	if err := updateOne(ctx, s.DB, `UPDATE users SET disabled = 0 WHERE id = $1`, id); err != nil {
		return fmt.Errorf("auth: 启用用户失败 / enable user %d: %w", id, err)
	}
	return nil
}

// keepAnAdmin fails with ErrLastAdmin when user id is the only enabled admin.
func keepAnAdmin(ctx context.Context, tx *sql.Tx, id int64) error {
	var others, self int
	err := tx.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN id <> $1 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN id = $1 THEN 1 ELSE 0 END), 0)
		FROM users WHERE role = 'admin' AND disabled = 0`, id).Scan(&others, &self)
	if err != nil {
		return fmt.Errorf("auth: 统计管理员失败 / count admins: %w", err)
	}
	if self > 0 && others == 0 {
		return ErrLastAdmin
	}
	return nil
}

type execer interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}

// updateOne runs an UPDATE that must touch one row, else ErrUserNotFound.
func updateOne(ctx context.Context, db execer, q string, args ...any) error {
	res, err := db.ExecContext(ctx, q, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrUserNotFound
	}
	return nil
}

// List returns every user ordered by name.
func (s *Service) List(ctx context.Context) ([]User, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY name_key`)
	if err != nil {
		return nil, fmt.Errorf("auth: 列出用户失败 / list users: %w", err)
	}
	defer rows.Close()
	var us []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("auth: 列出用户失败 / list users: %w", err)
		}
		us = append(us, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("auth: 列出用户失败 / list users: %w", err)
	}
	return us, nil
}

// CountUsers returns how many users exist; 0 means first-run setup.
func (s *Service) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.DB.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("auth: 统计用户失败 / count users: %w", err)
	}
	return n, nil
}
