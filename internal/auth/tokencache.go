package auth

import (
	"sync"
	"time"
)

// TokenCacheTTL is how long a resolved API token is trusted without asking
// the database again. Revoking a token, or disabling or changing the role of
// its user, through the same Service takes effect at once; a change made by
// another process (the CLI, a second server on PostgreSQL) within this time.
const TokenCacheTTL = 10 * time.Second

// maxCachedTokens bounds the cache; it is emptied when full. Only tokens
// that resolved are cached, so unknown tokens cannot fill it.
const maxCachedTokens = 10_000

type cachedToken struct {
	user  User
	token Token
	until time.Time
}

// tokenCache remembers resolved tokens by the hash of the secret.
type tokenCache struct {
	mu  sync.Mutex
	m   map[string]cachedToken
	gen uint64 // counts forget calls
}

// generation is read before asking the database, and given to put: an
// answer read while a change was being made is then not cached.
func (c *tokenCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *tokenCache) get(hash string, now time.Time) (cachedToken, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[hash]
	if !ok || !now.Before(e.until) {
		return cachedToken{}, false
	}
	return e, true
}

func (c *tokenCache) put(hash string, e cachedToken, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m) >= maxCachedTokens {
		c.m = make(map[string]cachedToken)
	}
	c.m[hash] = e
}

// forget empties the cache (a token was revoked, a user changed). Callers
// call it after their change is committed.
func (c *tokenCache) forget() {
	c.mu.Lock()
	c.m = nil
	c.gen++
	c.mu.Unlock()
}
