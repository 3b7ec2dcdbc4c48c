package wecom

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/qunke/qunke/internal/store"
)

// SyncStore keeps the API sync's state (tables wecom_sync and
// wecom_sync_run, owned here): per customer group its last seen name, owner
// and size, the member_version last applied to the member registry and a
// proposed Qunke group; and the last full run.
type SyncStore struct{ db *store.DB }

// NewSyncStore returns the sync state of db.
func NewSyncStore(db *store.DB) *SyncStore { return &SyncStore{db: db} }

// ChatState is what the sync knows of one customer group.
type ChatState struct {
	ChatID        string
	Name          string
	Owner         string
	Members       int
	MemberVersion string // last applied to the registry; "" never
	ProposedGroup int64  // a Qunke group of the same name, for a person to confirm; 0 none
	SeenAt        time.Time
	SyncedAt      time.Time // when MemberVersion was applied
}

// SyncRun is one full sync run.
type SyncRun struct {
	Started, Finished time.Time // Finished zero: did not finish (killed, or running)
	Chats             int       // customer groups listed
	Synced            int       // member lists applied to the registry
	Unchanged         int       // skipped: member_version as applied before
	Unmapped          int       // not mapped to a Qunke group
	Err               string    // what stopped it, in Chinese and English; "" none
}

func syncMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func syncTime(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

const syncChatCols = `chat_id, name, owner, members, member_version, proposed_group_id, seen_at, synced_at`

func scanSyncChat(row interface{ Scan(...any) error }) (ChatState, error) {
	var c ChatState
	var seen, synced int64
	err := row.Scan(&c.ChatID, &c.Name, &c.Owner, &c.Members, &c.MemberVersion, &c.ProposedGroup, &seen, &synced)
	c.SeenAt, c.SyncedAt = syncTime(seen), syncTime(synced)
	return c, err
}

// Chat returns the state of one customer group; false if never seen.
func (s *SyncStore) Chat(ctx context.Context, chatID string) (ChatState, bool, error) {
	c, err := scanSyncChat(s.db.QueryRowContext(ctx, `SELECT `+syncChatCols+` FROM wecom_sync WHERE chat_id = $1`, chatID))
	if errors.Is(err, sql.ErrNoRows) {
		return ChatState{}, false, nil
	}
	if err != nil {
		return ChatState{}, false, fmt.Errorf("wecom sync state %s: %w", chatID, err)
	}
	return c, true, nil
}

// Chats returns every customer group seen, by name.
func (s *SyncStore) Chats(ctx context.Context) ([]ChatState, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+syncChatCols+` FROM wecom_sync ORDER BY name, chat_id`)
	if err != nil {
		return nil, fmt.Errorf("wecom sync states: %w", err)
	}
	defer rows.Close()
	out := []ChatState{}
	for rows.Next() {
		c, err := scanSyncChat(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// MemberVersion returns the member_version last applied for a customer
// group ("" if none): the callback compares an event's LastMemVer with it.
func (s *SyncStore) MemberVersion(ctx context.Context, chatID string) (string, error) {
	c, _, err := s.Chat(ctx, chatID)
	return c.MemberVersion, err
}

// Seen records a customer group's name, owner, size and proposed group as
// groupchat/get gave them, keeping its applied member_version.
func (s *SyncStore) Seen(ctx context.Context, c ChatState) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO wecom_sync (chat_id, name, owner, members, proposed_group_id, seen_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (chat_id) DO UPDATE SET name = excluded.name, owner = excluded.owner, members = excluded.members,
			proposed_group_id = excluded.proposed_group_id, seen_at = excluded.seen_at`,
		c.ChatID, c.Name, c.Owner, c.Members, c.ProposedGroup, syncMS(c.SeenAt))
	if err != nil {
		return fmt.Errorf("wecom sync state %s: %w", c.ChatID, err)
	}
	return nil
}

// SetVersionTx records, in the transaction that applied it to the
// registry, the member_version of a customer group's member list.
func (s *SyncStore) SetVersionTx(ctx context.Context, tx *store.Tx, chatID, version string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO wecom_sync (chat_id, member_version, synced_at, seen_at) VALUES ($1, $2, $3, $3)
		ON CONFLICT (chat_id) DO UPDATE SET member_version = excluded.member_version, synced_at = excluded.synced_at`,
		chatID, version, syncMS(at))
	if err != nil {
		return fmt.Errorf("wecom member version %s: %w", chatID, err)
	}
	return nil
}

// LastRun returns the last full run (zero if none).
func (s *SyncStore) LastRun(ctx context.Context) (SyncRun, error) {
	var r SyncRun
	var started, finished int64
	err := s.db.QueryRowContext(ctx, `SELECT started_at, finished_at, chats, synced, unchanged, unmapped, error
		FROM wecom_sync_run WHERE id = 1`).Scan(&started, &finished, &r.Chats, &r.Synced, &r.Unchanged, &r.Unmapped, &r.Err)
	if errors.Is(err, sql.ErrNoRows) {
		return SyncRun{}, nil
	}
	if err != nil {
		return SyncRun{}, fmt.Errorf("wecom last sync run: %w", err)
	}
	r.Started, r.Finished = syncTime(started), syncTime(finished)
	return r, nil
}

// SaveRun records r as the last full run.
func (s *SyncStore) SaveRun(ctx context.Context, r SyncRun) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO wecom_sync_run (id, started_at, finished_at, chats, synced, unchanged, unmapped, error)
		VALUES (1, $1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at, finished_at = excluded.finished_at,
			chats = excluded.chats, synced = excluded.synced, unchanged = excluded.unchanged,
			unmapped = excluded.unmapped, error = excluded.error`,
		syncMS(r.Started), syncMS(r.Finished), r.Chats, r.Synced, r.Unchanged, r.Unmapped, r.Err)
	if err != nil {
		return fmt.Errorf("wecom sync run: %w", err)
	}
	return nil
}
