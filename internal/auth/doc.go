// Package auth holds the console's users, login sessions, API tokens and
// login rate limiting, on top of internal/store (SQLite or PostgreSQL).
//
// # Passwords
//
// Passwords are hashed with argon2id and stored as PHC strings,
// $argon2id$v=19$m=65536,t=2,p=1$salt$hash, so the parameters live with each
// hash. When Service.Params is raised, Authenticate re-hashes a user's
// password on their next successful login. Passwords are at least
// MinPasswordLen characters. Authenticate returns ErrBadCredentials for an
// unknown user, a wrong password and a disabled user alike, and verifies a
// dummy hash for unknown users so the answer takes about as long.
//
// # Sessions, CSRF and API tokens
//
// A session token is 32 random bytes (base64url) given to the browser; the
// database keeps only its SHA-256. Sessions slide forward on use
// (Service.SessionIdle, 7 days by default) but end SessionMax (30 days) after
// login regardless. Each session has its own CSRF secret: CSRFToken gives a
// freshly masked token for a form, CheckCSRF verifies one in constant time.
//
// API tokens are "qk_" followed by base32 of 32 random bytes, shown once at
// issue; only their SHA-256 is stored. They act as their user, with that
// user's role, until revoked or until the user is disabled.
//
// This package does not check who calls it: the HTTP layer checks
// Role.Can(ManageUsers) before CreateUser/SetRole/Disable/SetPassword of
// another user, and Role.Can(ManageTokens) before IssueToken/RevokeToken.
//
// # Roles
//
// The permission matrix (Role.Can):
//
//	| permission     | admin | selector | operator | finance | viewer | agent |
//	|----------------|-------|----------|----------|---------|--------|-------|
//	| manage_users   |  yes  |          |          |         |        |       |
//	| manage_tokens  |  yes  |          |          |         |        |       |
//	| import_feeds   |  yes  |   yes    |          |         |        |       |
//	| use_advisor    |  yes  |   yes    |   yes    |         |        |       |
//	| view_orders    |  yes  |          |          |   yes   |        |       |
//	| manage_orders  |  yes  |          |          |   yes   |        |       |
//	| manage_posting |  yes  |          |   yes    |         |        |       |
//	| view_dashboard |  yes  |   yes    |   yes    |   yes   |  yes   |       |
//	| view_agents    |  yes  |          |          |   yes   |        |  yes  |
//	| manage_agents  |  yes  |          |          |   yes   |        |       |
//
// use_advisor covers the price check, the rankings and the library.
//
// The agent role (代理) is bound to one agent (User.AgentID, which CreateUser
// and SetAgentRole require and Service.Agents confirms). Its view_agents is
// scoped: the web layer shows such a user the agent and the agents under it
// (their orders, statements and ledger) and answers 404 for any other id,
// the same answer as for an id that does not exist; every route needing
// another permission answers 403. An agent user's API tokens are scoped
// the same way, since a token acts as its user.
//
// # Login rate limiting
//
// Limiter counts failures per key in a sliding window (by default 5 failures
// per 15 minutes), with locks that back off (15 min, 30 min, ... a day) while
// the failures go on; Try reserves an attempt before the password check and
// Fail, Succeed or Release ends it. LoginGuard is the console's policy over
// four limiters: a user name at one address, a user name everywhere (for
// unknown browsers), an address for every name, and a known device (a
// browser holding a DeviceToken of the user), which only its own failures
// lock. Only wrong passwords count.
//
// # Logins while the database is busy
//
// Authenticate only reads; the login time is written when the write lock is
// free. On SQLite, a session that cannot be written within SessionWait (a
// long import holds the lock) is kept in memory and written in the
// background; NewSession fails with a busy error (store.IsBusy) only when
// MaxPendingSessions are already waiting.
package auth
