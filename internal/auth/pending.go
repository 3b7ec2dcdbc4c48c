package auth

import (
	"context"
	"encoding/hex"
	"sync"
	"time"

	"github.com/qunke/qunke/internal/store"
)

// On SQLite a long import holds the write lock for its whole file (about a
// minute for a million rows). A login must not wait for it: when the
// session row cannot be written within SessionWait, the session is kept in
// memory (it works at once in this process) and written in the background
// once the lock is free. Only the serving process knows such a session until
// then, which on SQLite is the only process serving the console.

// MaxPendingSessions bounds the sessions waiting to be written; past it a
// login is answered busy (503).
const MaxPendingSessions = 1000

type pendingSession struct {
	sess    Session
	deleted bool // logged out (or the user's sessions ended) before written
}

type pendingSessions struct {
	mu sync.Mutex
	m  map[string]*pendingSession // by token hash
}

// keep holds a session whose row could not be written yet and writes it in
// the background; false when too many are waiting.
func (s *Service) keep(ctx context.Context, hash string, sess Session) bool {
	p := &s.pending
	p.mu.Lock()
	if p.m == nil {
		p.m = map[string]*pendingSession{}
	}
	if len(p.m) >= s.maxPending() {
		p.mu.Unlock()
		return false
	}
	ps := &pendingSession{sess: sess}
	p.m[hash] = ps
	p.mu.Unlock()
	s.later.Add(1)
	go func() {
		defer s.later.Done()
		s.writePending(context.WithoutCancel(ctx), hash, ps)
	}()
	return true
}

func (s *Service) maxPending() int {
	if s.MaxPending != nil {
		return *s.MaxPending
	}
	return MaxPendingSessions
}

// writePending writes a kept session's row once the lock is free (waiting
// store.BusyTimeout at a time, for up to 10 minutes), then forgets the
// in-memory copy; a session ended meanwhile is deleted again.
func (s *Service) writePending(ctx context.Context, hash string, ps *pendingSession) {
	sess := ps.sess
	err := s.execWhenFree(ctx, `INSERT INTO sessions (token_hash, user_id, csrf_secret, created_at, expires_at)
		SELECT $1, id, $3, $4, $5 FROM users WHERE id = $2 AND disabled = 0`,
		hash, sess.UserID, hex.EncodeToString(sess.csrf), unix(sess.CreatedAt), unix(sess.ExpiresAt))
	s.pending.mu.Lock()
	delete(s.pending.m, hash)
	deleted := ps.deleted
	s.pending.mu.Unlock()
	if err == nil && deleted {
		s.DB.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hash)
	}
}

// pendingSession looks up a session kept in memory by token hash: ok when
// it is kept and live, ended when it was ended before its row was written
// or deleted (the row, if any, no longer counts).
func (s *Service) pendingSession(hash string) (sess Session, ok, ended bool) {
	s.pending.mu.Lock()
	defer s.pending.mu.Unlock()
	ps := s.pending.m[hash]
	if ps == nil {
		return Session{}, false, false
	}
	return ps.sess, !ps.deleted, ps.deleted
}

// endPending ends kept sessions: the one with this hash, or (hash "") every
// one of the user; it reports whether the hash was kept.
func (s *Service) endPending(hash string, userID int64) bool {
	s.pending.mu.Lock()
	defer s.pending.mu.Unlock()
	found := false
	for h, ps := range s.pending.m {
		if h == hash || (hash == "" && ps.sess.UserID == userID) {
			ps.deleted, found = true, found || h == hash
		}
	}
	return found
}

// deleteLater ends a session whose row cannot be deleted now (logout during
// a long import): it is refused at once and its row deleted in the
// background once the lock is free.
func (s *Service) deleteLater(ctx context.Context, hash string) {
	s.pending.mu.Lock()
	if s.pending.m == nil {
		s.pending.m = map[string]*pendingSession{}
	}
	s.pending.m[hash] = &pendingSession{deleted: true}
	s.pending.mu.Unlock()
	s.later.Add(1)
	go func() {
		defer s.later.Done()
		s.execWhenFree(context.WithoutCancel(ctx), `DELETE FROM sessions WHERE token_hash = $1`, hash)
		s.pending.mu.Lock()
		delete(s.pending.m, hash)
		s.pending.mu.Unlock()
	}()
}

// execWhenFree runs a write put off while the database was busy, waiting
// for the lock (store.BusyTimeout at a time) for up to 10 minutes.
func (s *Service) execWhenFree(ctx context.Context, query string, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	for {
		_, err := s.DB.ExecContext(ctx, query, args...)
		if err == nil || !store.IsBusy(err) || ctx.Err() != nil {
			return err
		}
	}
}
