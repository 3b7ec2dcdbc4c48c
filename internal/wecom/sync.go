package wecom

// The API sync: customer groups' member lists into the member registry.
// See docs/wecom.md, "API sync".

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/store"
)

// SyncRegistry is what the sync needs of the member registry and the group
// registry (community.Store).
type SyncRegistry interface {
	GroupForChat(ctx context.Context, source community.Source, chatID string) (int64, error)
	SnapshotTx(ctx context.Context, tx *store.Tx, groupID int64, source community.Source, rows []community.SnapshotRow,
		at time.Time) (community.SnapshotResult, error)
	SetChatName(ctx context.Context, source community.Source, chatID, name string) error
	MapChat(ctx context.Context, source community.Source, chatID string, groupID int64) error
	UnmappedChats(ctx context.Context, source community.Source) ([]community.Chat, error)
	Chats(ctx context.Context, groupID int64) ([]community.Chat, error)
	List(ctx context.Context, f community.Filter) ([]*community.Group, error)
}

// Syncer applies customer groups' member lists (groupchat/get) to the
// member registry: a group mapped to a Qunke group becomes a snapshot of it
// (join and leave events), one not mapped is recorded with the Qunke group
// of the same name proposed, for a person to confirm.
type Syncer struct {
	API      *Client
	Registry SyncRegistry
	State    *SyncStore
	DB       *store.DB
	Log      *slog.Logger // nil: nothing logged
	PageSize int          // groupchat/list page size; 0 means 1000
	// Progress, if set, is told after each page: pages and groups done.
	Progress func(pages, chats int)
	Now      func() time.Time
}

// ChatResult is what syncing one customer group did.
type ChatResult struct {
	ChatID    string
	Name      string
	Group     int64 // the Qunke group it maps to; 0 none
	Proposed  int64 // for an unmapped group: the Qunke group of the same name; 0 none
	Unchanged bool  // member_version as applied before: nothing done
	Gone      bool  // WeCom no longer has it (dismissed): a mapped group's members all left
	Snapshot  community.SnapshotResult
}

// SyncResult counts a full run.
type SyncResult struct {
	SyncRun
	Pages, Proposed, Gone, Joined, Left int
}

// Once lists every customer group, page by page, and syncs each; it logs a
// line per page and records the run. It stops at the first error (what it
// applied stays applied: the next run goes on from there).
func (s *Syncer) Once(ctx context.Context) (SyncResult, error) {
	res := SyncResult{SyncRun: SyncRun{Started: s.now()}}
	if err := s.State.SaveRun(ctx, res.SyncRun); err != nil { // a run killed midway leaves Finished zero
		return res, err
	}
	props := &proposer{reg: s.Registry}
	err := s.pages(ctx, &res, props)
	res.Finished = s.now()
	if err != nil {
		res.Err = err.Error()
	}
	args := []any{"pages", res.Pages, "chats", res.Chats, "synced", res.Synced, "unchanged", res.Unchanged,
		"unmapped", res.Unmapped, "proposed", res.Proposed, "joined", res.Joined, "left", res.Left,
		"took", res.Finished.Sub(res.Started).Round(time.Millisecond)}
	if err != nil {
		s.log().Warn("wecom member sync failed", append(args, "err", err)...)
	} else {
		s.log().Info("wecom member sync", args...)
	}
	if serr := s.State.SaveRun(context.WithoutCancel(ctx), res.SyncRun); err == nil {
		err = serr
	}
	return res, err
}

func (s *Syncer) pages(ctx context.Context, res *SyncResult, props *proposer) error {
	listed := map[string]bool{}
	if err := s.listPages(ctx, res, props, listed); err != nil {
		return err
	}
	// A group synced before and no longer listed was dismissed (or handed
	// to an owner outside the app's range): asked for, WeCom says which.
	known, err := s.State.Chats(ctx)
	if err != nil {
		return err
	}
	for _, st := range known {
		if listed[st.ChatID] || st.MemberVersion == "" || st.MemberVersion == dismissedVersion {
			continue
		}
		c, err := s.syncChat(ctx, st.ChatID, props)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			// Out of the app's sight: kept as it was, tried next run.
			s.log().Warn("wecom member sync: a group no longer listed", "chat", st.ChatID, "err", err)
			continue
		}
		res.count(c)
	}
	return nil
}

// count adds one group's outcome to the run's counts.
func (res *SyncResult) count(c ChatResult) {
	res.Chats++
	switch {
	case c.Gone:
		res.Gone++
		res.Left += c.Snapshot.Left
	case c.Group == 0:
		res.Unmapped++
		if c.Proposed != 0 {
			res.Proposed++
		}
	case c.Unchanged:
		res.Unchanged++
	default:
		res.Synced++
		res.Joined += c.Snapshot.Joined
		res.Left += c.Snapshot.Left
	}
}

func (s *Syncer) listPages(ctx context.Context, res *SyncResult, props *proposer, listed map[string]bool) error {
	cursor := ""
	for {
		p, err := s.API.ListChats(ctx, ListFilter{Cursor: cursor, Limit: s.PageSize})
		if err != nil {
			return err
		}
		res.Pages++
		for _, ref := range p.Chats {
			listed[ref.ChatID] = true
			c, err := s.syncChat(ctx, ref.ChatID, props)
			if err != nil {
				return err
			}
			res.count(c)
		}
		s.log().Info("wecom member sync page", "page", res.Pages, "chats", len(p.Chats), "synced", res.Synced,
			"unchanged", res.Unchanged, "unmapped", res.Unmapped, "more", p.NextCursor != "")
		if s.Progress != nil {
			s.Progress(res.Pages, res.Chats)
		}
		if p.NextCursor == "" {
			return nil
		}
		if p.NextCursor == cursor {
			return msg.New("wecom.cursor_loop", cursor)
		}
		cursor = p.NextCursor
	}
}

// Reconcile syncs one customer group now (the callback's Reconciler: when
// an event's LastMemVer is not the version held).
func (s *Syncer) Reconcile(ctx context.Context, chatID string) error {
	_, err := s.SyncChat(ctx, chatID)
	return err
}

// SyncChat syncs one customer group now and says what it did (also after
// a person maps it to a group).
func (s *Syncer) SyncChat(ctx context.Context, chatID string) (ChatResult, error) {
	return s.syncChat(ctx, chatID, &proposer{reg: s.Registry})
}

func (s *Syncer) syncChat(ctx context.Context, chatID string, props *proposer) (ChatResult, error) {
	out := ChatResult{ChatID: chatID}
	ch, err := s.API.Chat(ctx, chatID)
	var ae *APIError
	if errors.As(err, &ae) && ae.Code == ErrNoChat {
		return s.gone(ctx, out)
	}
	if err != nil {
		return out, err
	}
	out.Name = ch.Name
	prev, _, err := s.State.Chat(ctx, chatID)
	if err != nil {
		return out, err
	}
	if out.Group, err = s.Registry.GroupForChat(ctx, community.SourceWeCom, chatID); err != nil {
		return out, err
	}
	if out.Group == 0 {
		if out.Proposed, err = props.propose(ctx, ch.Name); err != nil {
			return out, err
		}
	}
	if out.Group == 0 || prev.Name != ch.Name {
		// The registry lists unmapped chats by name for a person to match.
		if err := s.Registry.SetChatName(ctx, community.SourceWeCom, chatID, ch.Name); err != nil {
			return out, err
		}
	}
	now := s.now()
	st := ChatState{ChatID: chatID, Name: ch.Name, Owner: ch.Owner, Members: len(ch.Members), ProposedGroup: out.Proposed, SeenAt: now}
	if err := s.State.Seen(ctx, st); err != nil {
		return out, err
	}
	if out.Group == 0 {
		return out, nil
	}
	if ch.MemberVersion != "" && ch.MemberVersion == prev.MemberVersion {
		out.Unchanged = true
		return out, nil
	}
	rows := SnapshotRows(ch)
	// The snapshot and the version it reached are one transaction: a sync
	// killed before it commits redoes the snapshot (no event lost), one
	// killed after skips the group (no event doubled; the registry also
	// ignores an event key it holds).
	err = s.DB.Atomic(ctx, func(tx *store.Tx) error {
		var err error
		if out.Snapshot, err = s.Registry.SnapshotTx(ctx, tx, out.Group, community.SourceWeCom, rows, now); err != nil {
			return err
		}
		return s.State.SetVersionTx(ctx, tx, chatID, ch.MemberVersion, now)
	})
	return out, err
}

// Confirm maps a customer group to a Qunke group (a person confirming the
// proposal, or choosing another) and, when the API is configured, syncs
// its members at once; synced says whether it did. c.Group is 0 when the
// mapping failed, groupID when only the sync did.
func (s *Syncer) Confirm(ctx context.Context, chatID string, groupID int64) (c ChatResult, synced bool, err error) {
	if err := s.Registry.MapChat(ctx, community.SourceWeCom, chatID, groupID); err != nil {
		return ChatResult{ChatID: chatID}, false, err
	}
	if !s.API.HasCredentials() {
		return ChatResult{ChatID: chatID, Group: groupID}, false, nil
	}
	c, err = s.SyncChat(ctx, chatID)
	c.Group = groupID // mapped, whether the sync went through or not
	return c, err == nil, err
}

// ChatRow is a customer group as the console lists it.
type ChatRow struct {
	ChatState
	Group        int64 // the Qunke group it maps to; 0 none
	GroupName    string
	ProposedName string // the proposed group's name
}

// Overview is what the console shows of the sync: the last run, every
// customer group seen with its group or proposal, and the groups one may
// be mapped to.
type Overview struct {
	Configured bool // the corp id and secret are set
	Last       SyncRun
	Chats      []ChatRow
	Groups     []*community.Group
}

// Overview reads the sync's state for the console.
func (s *Syncer) Overview(ctx context.Context) (Overview, error) {
	o := Overview{Configured: s.API != nil && s.API.HasCredentials()}
	var err error
	if o.Last, err = s.State.LastRun(ctx); err != nil {
		return o, err
	}
	if o.Groups, err = s.Registry.List(ctx, community.Filter{}); err != nil {
		return o, err
	}
	names := map[int64]string{}
	for _, g := range o.Groups {
		names[g.ID] = g.Name
	}
	chats, err := s.State.Chats(ctx)
	if err != nil {
		return o, err
	}
	// Chats the callback told of and the sync has not seen yet (their
	// events wait for the mapping).
	seen := map[string]bool{}
	for _, c := range chats {
		seen[c.ChatID] = true
	}
	pending, err := s.Registry.UnmappedChats(ctx, community.SourceWeCom)
	if err != nil {
		return o, err
	}
	for _, p := range pending {
		if !seen[p.ChatID] {
			chats = append(chats, ChatState{ChatID: p.ChatID, Name: p.Name})
		}
	}
	for _, c := range chats {
		r := ChatRow{ChatState: c}
		if r.Group, err = s.Registry.GroupForChat(ctx, community.SourceWeCom, c.ChatID); err != nil {
			return o, err
		}
		r.GroupName = names[r.Group]
		if r.Group == 0 {
			r.ProposedName = names[c.ProposedGroup]
		}
		o.Chats = append(o.Chats, r)
	}
	return o, nil
}

// dismissedVersion is the member version recorded for a dismissed group.
const dismissedVersion = "dismissed"

// gone records that WeCom has no such group any more (40050: dismissed):
// when it is mapped, every member the registry holds in it leaves, once.
func (s *Syncer) gone(ctx context.Context, out ChatResult) (ChatResult, error) {
	out.Gone = true
	prev, _, err := s.State.Chat(ctx, out.ChatID)
	if err != nil || prev.MemberVersion == dismissedVersion {
		return out, err
	}
	if out.Group, err = s.Registry.GroupForChat(ctx, community.SourceWeCom, out.ChatID); err != nil || out.Group == 0 {
		return out, err
	}
	now := s.now()
	err = s.DB.Atomic(ctx, func(tx *store.Tx) error {
		var err error
		if out.Snapshot, err = s.Registry.SnapshotTx(ctx, tx, out.Group, community.SourceWeCom, nil, now); err != nil {
			return err
		}
		return s.State.SetVersionTx(ctx, tx, out.ChatID, dismissedVersion, now)
	})
	return out, err
}

// SnapshotRows turns a group's member list into registry rows: the
// member's id is its userid (external userid for an external contact), its
// name the group nickname if set, else its name; join_scene 1, 2, 3 are
// an invitation, an invite link and a QR code; the inviter is invitor.userid
// and the invite link the join way's state.
func SnapshotRows(ch *Chat) []community.SnapshotRow {
	rows := make([]community.SnapshotRow, 0, len(ch.Members))
	for _, m := range ch.Members {
		name := m.GroupNickname
		if name == "" {
			name = m.Name
		}
		rows = append(rows, community.SnapshotRow{ExternalID: m.UserID, UnionID: m.UnionID, Name: name, JoinedAt: m.JoinTime,
			JoinHow: JoinHow(m.JoinScene), Inviter: m.Invitor, InviteLink: m.State})
	}
	return rows
}

// JoinHow maps groupchat/get's join_scene to the registry's join kinds.
func JoinHow(scene int) community.JoinHow {
	switch scene {
	case SceneInvite:
		return community.JoinInvite
	case SceneLink:
		return community.JoinLink
	case SceneQR:
		return community.JoinQR
	}
	return ""
}

// proposer proposes, for an unmapped customer group, the Qunke group of the
// same name: only when exactly one group has it and that group has no
// WeCom chat yet. It reads the groups once per run.
type proposer struct {
	reg    SyncRegistry
	byName map[string][]int64
}

func (p *proposer) propose(ctx context.Context, name string) (int64, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return 0, nil
	}
	if p.byName == nil {
		gs, err := p.reg.List(ctx, community.Filter{})
		if err != nil {
			return 0, err
		}
		p.byName = map[string][]int64{}
		for _, g := range gs {
			n := strings.TrimSpace(g.Name)
			p.byName[n] = append(p.byName[n], g.ID)
		}
	}
	ids := p.byName[name]
	if len(ids) != 1 {
		return 0, nil
	}
	chats, err := p.reg.Chats(ctx, ids[0])
	if err != nil {
		return 0, err
	}
	for _, c := range chats {
		if c.Source == community.SourceWeCom {
			return 0, nil
		}
	}
	return ids[0], nil
}

func (s *Syncer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Syncer) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return s.Log
}

// SyncLease is the store lease the sync runs under: of several servers on
// one database (and `qunke sync members`) one syncs at a time.
const SyncLease = "wecom.sync"

// SyncLeaseTTL is how long the lease lasts unless renewed: a server that dies
// mid-sync lets another take over this long after.
const SyncLeaseTTL = time.Minute

// ErrSyncBusy says another server or command is syncing.
var ErrSyncBusy = msg.New("wecom.sync_busy")

// ExclusiveSync runs fn once under the sync's lease, renewed while fn runs and
// released after; ErrSyncBusy, without running fn, when another holds it.
func ExclusiveSync(ctx context.Context, db *store.DB, holder string, fn func(context.Context) error) error {
	return exclusiveSync(ctx, db, holder, SyncLeaseTTL, fn)
}

func exclusiveSync(ctx context.Context, db *store.DB, holder string, ttl time.Duration, fn func(context.Context) error) error {
	ok, err := db.Lease(ctx, SyncLease, holder, ttl)
	if err != nil {
		return err
	}
	if !ok {
		return ErrSyncBusy
	}
	jctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ran := false
	db.RunLeased(jctx, SyncLease, holder, ttl, func(c context.Context) {
		if !ran {
			ran = true
			err = fn(c)
		}
		cancel()
	})
	if !ran {
		return ctx.Err()
	}
	return err
}

// SyncJob runs the sync at start and every Every, once across servers: each
// server wakes every Poll and, holding the lease, syncs when the last run
// (whichever server made it) finished Every ago, or failed Retry ago, or
// never finished.
type SyncJob struct {
	Syncer *Syncer
	DB     *store.DB
	Holder string // store.Holder() of this server
	Every  time.Duration
	Retry  time.Duration // after a failed run; 0 means min(Every, 15 min)
	Poll   time.Duration // 0 means min(Every/4, 5 min)
	TTL    time.Duration // the lease's; 0 means SyncLeaseTTL
	Log    *slog.Logger
}

// Run syncs until ctx ends.
func (j *SyncJob) Run(ctx context.Context) {
	poll := j.Poll
	if poll <= 0 {
		poll = min(j.Every/4, 5*time.Minute)
	}
	ttl := j.TTL
	if ttl <= 0 {
		ttl = SyncLeaseTTL
	}
	for {
		err := exclusiveSync(ctx, j.DB, j.Holder, ttl, func(ctx context.Context) error {
			last, err := j.Syncer.State.LastRun(ctx)
			if err != nil || !j.Due(last, j.Syncer.now()) {
				return err
			}
			_, err = j.Syncer.Once(ctx) // logs its own line
			return err
		})
		if err != nil && !errors.Is(err, ErrSyncBusy) && ctx.Err() == nil && j.Log != nil {
			j.Log.Debug("wecom member sync", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(poll):
		}
	}
}

// Due reports whether a run is due at now after the last one.
func (j *SyncJob) Due(last SyncRun, now time.Time) bool {
	if last.Finished.IsZero() {
		return true
	}
	wait := j.Every
	if last.Err != "" {
		wait = j.Retry
		if wait <= 0 {
			wait = min(j.Every, 15*time.Minute)
		}
	}
	return !now.Before(last.Finished.Add(wait))
}
