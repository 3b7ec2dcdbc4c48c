package campaign

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/store"
)

// CountStats tells what one counting pass did.
type CountStats struct {
	Events       int // member events read
	Members      int // invitees recounted
	Participants int // participants recounted
}

// Count runs one counting pass, incrementally: the member events stored
// since the cursor (each invitee's identity recounted from all its events,
// so order of arrival does not matter), the members whose chats were not
// mapped yet, the campaigns changed since (recounted from the first event),
// and the invites whose stay has ended. Each batch is one transaction
// under the named lock "campaign.count", so two servers counting at once
// write one after the other and the result is the same.
func (s *Store) Count(ctx context.Context) (CountStats, error) {
	var st CountStats
	k, err := s.newCounter(ctx)
	if err != nil {
		return st, err
	}
	const batch = 500
	// The new events, up to the feed's horizon: on PostgreSQL an event id
	// can become visible after a later one (transactions commit in another
	// order than they took ids), so the cursor never passes an id whose
	// lower neighbours may still come. Writers that do not end within
	// horizonWait leave the new events to the next pass.
	cursor, err := s.state(ctx, "events")
	if err != nil {
		return st, err
	}
	horizon, ok, err := s.community.EventHorizon(ctx, horizonWait)
	if err != nil {
		return st, err
	}
	if !ok {
		horizon = cursor
	}
	from := cursor
	for from < horizon {
		marks, err := s.community.EventsBetween(ctx, from, horizon, batch)
		if err != nil {
			return st, err
		}
		if len(marks) == 0 {
			break
		}
		last := marks[len(marks)-1].ID
		members := make([]int64, 0, len(marks))
		for _, m := range marks {
			members = append(members, m.MemberID)
		}
		if err := s.process(ctx, k, members, &st, func(tx *store.Tx) error {
			if last > cursor {
				return setState(ctx, tx, "events", last)
			}
			return nil
		}); err != nil {
			return st, err
		}
		st.Events += len(marks)
		from = last
		if len(marks) < batch {
			break
		}
	}
	// Members with events in chats not mapped then.
	var recheck []int64
	if err := s.ids(ctx, &recheck, `SELECT member_id FROM campaign_recheck ORDER BY member_id LIMIT 1000`); err != nil {
		return st, err
	}
	if len(recheck) > 0 {
		if err := s.process(ctx, k, recheck, &st, nil); err != nil {
			return st, err
		}
	}
	// Campaigns changed: every event again, from where the rescan got.
	rows, err := s.db.QueryContext(ctx, `SELECT name, value FROM campaign_state WHERE name LIKE 'rescan/%' ORDER BY name`)
	if err != nil {
		return st, err
	}
	type rescan struct {
		name string
		at   int64
	}
	var rescans []rescan
	for rows.Next() {
		var r rescan
		if err := rows.Scan(&r.name, &r.at); err != nil {
			rows.Close()
			return st, err
		}
		rescans = append(rescans, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, err
	}
	for _, r := range rescans {
		cid, _ := strconv.ParseInt(strings.TrimPrefix(r.name, "rescan/"), 10, 64)
		lastSet := r.at
		for at := r.at; ; {
			marks, err := s.community.EventsAfter(ctx, at, batch)
			if err != nil {
				return st, err
			}
			var members []int64
			for _, m := range marks {
				members = append(members, m.MemberID)
			}
			done := len(marks) < batch
			next := at
			if len(marks) > 0 {
				next = marks[len(marks)-1].ID
			}
			if err := s.process(ctx, k, members, &st, func(tx *store.Tx) error {
				if !done {
					lastSet = next
					return setState(ctx, tx, r.name, next)
				}
				// Finished: every participant with invites is decided
				// again under the campaign's current rules.
				if _, err := tx.ExecContext(ctx, `UPDATE campaign_invites SET due_at = 1 WHERE campaign_id = $1`, cid); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx, `DELETE FROM campaign_state WHERE name = $1 AND value = $2`, r.name, lastSet)
				return err
			}); err != nil {
				return st, err
			}
			if done {
				break
			}
			at = next
		}
	}
	// Stays that ended (and recounts asked for).
	now := s.now().Unix()
	for {
		var due []int64
		if err := s.ids(ctx, &due, `SELECT DISTINCT participant_id FROM campaign_invites WHERE due_at > 0 AND due_at <= $1
			ORDER BY participant_id LIMIT 500`, now); err != nil {
			return st, err
		}
		if len(due) == 0 {
			break
		}
		err := s.db.Atomic(ctx, func(tx *store.Tx) error {
			if err := s.db.LockTx(ctx, tx.Tx, "campaign.count"); err != nil {
				return err
			}
			for _, p := range due {
				if err := k.recountParticipant(ctx, tx, p, now); err != nil {
					return fmt.Errorf("recount participant %d: %w", p, err)
				}
			}
			return nil
		})
		if err != nil {
			return st, err
		}
		st.Participants += len(due)
		if len(due) < 500 {
			break
		}
	}
	return st, nil
}

// horizonWait is how long a counting pass waits for the member events'
// writers in flight (community.Store.EventHorizon).
const horizonWait = 2 * time.Second

// process recounts members (their identities) and the participants their
// invites touch in one transaction, then runs also (the cursor's move).
func (s *Store) process(ctx context.Context, k *counter, members []int64, st *CountStats, also func(*store.Tx) error) error {
	slices.Sort(members)
	members = slices.Compact(members)
	people := make([]*person, 0, len(members))
	kept := members[:0]
	for _, m := range members {
		pr, err := k.person(ctx, m)
		if errors.Is(err, community.ErrMemberNotFound) {
			continue // gone from the registry: nothing to count
		}
		if err != nil {
			return fmt.Errorf("count member %d: %w", m, err)
		}
		people = append(people, pr)
		kept = append(kept, m)
	}
	members = kept
	now := s.now().Unix()
	return s.db.Atomic(ctx, func(tx *store.Tx) error {
		if err := s.db.LockTx(ctx, tx.Tx, "campaign.count"); err != nil {
			return err
		}
		touched := map[int64]bool{}
		for i, pr := range people {
			if err := k.recountMember(ctx, tx, pr, now, touched); err != nil {
				return fmt.Errorf("count member %d: %w", members[i], err)
			}
			var err error
			if pr.pending {
				_, err = tx.ExecContext(ctx, `INSERT INTO campaign_recheck (member_id) VALUES ($1) ON CONFLICT (member_id) DO NOTHING`, members[i])
			} else {
				_, err = tx.ExecContext(ctx, `DELETE FROM campaign_recheck WHERE member_id = $1`, members[i])
			}
			if err != nil {
				return err
			}
		}
		ps := make([]int64, 0, len(touched))
		for p := range touched {
			if p != 0 {
				ps = append(ps, p)
			}
		}
		slices.Sort(ps)
		for _, p := range ps {
			if err := k.recountParticipant(ctx, tx, p, now); err != nil {
				return fmt.Errorf("recount participant %d: %w", p, err)
			}
		}
		st.Members += len(people)
		st.Participants += len(ps)
		if also != nil {
			return also(tx)
		}
		return nil
	})
}

func (s *Store) ids(ctx context.Context, out *[]int64, q string, args ...any) error {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		*out = append(*out, id)
	}
	return rows.Err()
}

func (s *Store) state(ctx context.Context, name string) (int64, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(value), 0) FROM campaign_state WHERE name = $1`, name).Scan(&v)
	return v, err
}

func setState(ctx context.Context, tx *store.Tx, name string, v int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO campaign_state (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, v)
	return err
}

// requestRescan asks the next pass to recount campaign id from the first
// event (its status, period, groups or rules changed).
func requestRescan(ctx context.Context, tx *store.Tx, id int64) error {
	return setState(ctx, tx, "rescan/"+strconv.FormatInt(id, 10), 0)
}

// LeaseName is the store lease the counting job runs under.
const LeaseName = "campaign.count"

// Job counts invites every Every (qunke serve --campaign-every), then
// queues the daily leaderboards whose hour has come (PostDueBoards). Of
// several servers on one database one counts at a time, under the lease
// LeaseName; correctness does not rest on it (each batch takes the lock).
type Job struct {
	Store  *Store
	DB     *store.DB
	Holder string
	Every  time.Duration
	Log    *slog.Logger
}

// Run counts at once and then every Every until ctx ends.
func (j *Job) Run(ctx context.Context) {
	warn := func(err error) { j.Log.Warn("campaign count: lease", "err", err) }
	j.DB.RunEvery(ctx, LeaseName, j.Holder, j.Every, max(2*j.Every, 5*time.Minute), warn, j.once)
}

func (j *Job) once(ctx context.Context) {
	st, err := j.Store.Count(ctx)
	if err != nil {
		if ctx.Err() == nil {
			j.Log.Error("campaign count", "err", err)
		}
		return
	}
	if st.Members > 0 || st.Participants > 0 {
		j.Log.Info("campaign count", "events", st.Events, "members", st.Members, "participants", st.Participants)
	}
	// The daily leaderboards whose hour has come (once a day per group:
	// the posts are keyed by day, whichever server queues them).
	if n, err := j.Store.PostDueBoards(ctx); err != nil && ctx.Err() == nil {
		j.Log.Error("campaign daily leaderboard", "err", err)
	} else if n > 0 {
		j.Log.Info("campaign daily leaderboard", "posts", n)
	}
}
