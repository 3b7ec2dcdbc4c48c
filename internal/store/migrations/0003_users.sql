-- Console users. name keeps the spelling the admin typed; name_key is its
-- lower-cased form and carries the case-insensitive uniqueness. Times are
-- Unix seconds; last_login_at is 0 until the first login. password_hash is a
-- PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash) so its parameters
-- travel with it and can be raised later.
CREATE TABLE users (
    id {{id}},
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at {{bigint}} NOT NULL,
    last_login_at {{bigint}} NOT NULL DEFAULT 0
);

-- Login sessions. Only the SHA-256 of the session token is stored (hex);
-- csrf_secret is the per-session secret behind the forms' CSRF tokens.
-- expires_at slides forward on use but never past created_at + the maximum.
CREATE TABLE sessions (
    id {{id}},
    token_hash TEXT NOT NULL UNIQUE,
    user_id {{bigint}} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_secret TEXT NOT NULL,
    created_at {{bigint}} NOT NULL,
    expires_at {{bigint}} NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- API bearer tokens ("qk_..."), shown once; only the SHA-256 is stored (hex).
-- prefix is the token's first characters, kept to tell tokens apart in lists.
-- last_used_at and revoked_at are 0 until set.
CREATE TABLE api_tokens (
    id {{id}},
    user_id {{bigint}} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at {{bigint}} NOT NULL,
    last_used_at {{bigint}} NOT NULL DEFAULT 0,
    revoked_at {{bigint}} NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
