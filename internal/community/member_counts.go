package community

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// MessageCount is N messages of one member in one chat at time At.
type MessageCount struct {
	Source     Source
	ChatID     string
	ExternalID string
	At         time.Time
	N          int
}

// CountMessagesBatch is CountMessages for many counts in one transaction
// and a few statements: a poller's page of updates, or a history (the
// demo's). Nothing is counted when one count is bad.
func (s *Store) CountMessagesBatch(ctx context.Context, counts []MessageCount) error {
	for _, c := range counts {
		if !c.Source.Valid() || c.ChatID == "" || c.ExternalID == "" || c.N < 1 || c.At.Unix() <= 0 {
			return errCount.With(c.ChatID, c.ExternalID, c.N)
		}
	}
	if len(counts) == 0 {
		return nil
	}
	return s.db.Atomic(ctx, func(tx *store.Tx) error {
		// The chats, then the members, each in one order for every writer
		// (as ApplyEvents).
		var chats []chatKey
		members := map[memberKey]*memberRow{}
		for _, c := range counts {
			if k := (chatKey{c.Source, c.ChatID}); !slices.Contains(chats, k) {
				chats = append(chats, k)
			}
			k := memberKey{c.Source, c.ExternalID}
			if r := members[k]; r == nil {
				members[k] = &memberRow{memberKey: k, firstSeen: c.At.Unix()}
			} else {
				r.firstSeen = min(r.firstSeen, c.At.Unix())
			}
		}
		slices.SortFunc(chats, func(a, b chatKey) int {
			return cmp.Or(cmp.Compare(a.source, b.source), cmp.Compare(a.chat, b.chat))
		})
		groups := map[chatKey]int64{}
		for _, k := range chats {
			g, err := s.chatGroup(ctx, tx, nil, k.source, k.chat)
			if err != nil {
				return err
			}
			groups[k] = g
		}
		ids, err := upsertMembers(ctx, s.db, tx, members)
		if err != nil {
			return err
		}
		// One row per member, chat and day: a statement must not touch a
		// row twice.
		type dayKey struct {
			chat   chatKey
			member int64
			day    int64
		}
		sums := map[dayKey]int64{}
		for _, c := range counts {
			sums[dayKey{chatKey{c.Source, c.ChatID}, ids[memberKey{c.Source, c.ExternalID}], shanghai.Day(c.At.Unix())}] += int64(c.N)
		}
		keys := make([]dayKey, 0, len(sums))
		for k := range sums {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b dayKey) int {
			return cmp.Or(cmp.Compare(a.chat.source, b.chat.source), cmp.Compare(a.chat.chat, b.chat.chat),
				cmp.Compare(a.member, b.member), cmp.Compare(a.day, b.day))
		})
		deltas := dayDeltas{}
		const cols = 6
		for part := range slices.Chunk(keys, 200) {
			args := make([]any, 0, len(part)*cols)
			for _, k := range part {
				var group any
				if g := groups[k.chat]; g != 0 {
					group = g
				}
				args = append(args, string(k.chat.source), k.chat.chat, k.member, k.day, group, sums[k])
			}
			rows, err := tx.QueryContext(ctx, `INSERT INTO member_activity (source, chat_id, member_id, day, group_id, messages)
				VALUES `+tx.Dialect.BulkPlaceholders(cols, len(part), 1)+` ON CONFLICT (source, chat_id, member_id, day)
				DO UPDATE SET messages = member_activity.messages + excluded.messages
				RETURNING source, chat_id, member_id, day, messages`, args...)
			if err != nil {
				return fmt.Errorf("count messages: %w", err)
			}
			for rows.Next() {
				var k dayKey
				var src string
				var total int64
				if err := rows.Scan(&src, &k.chat.chat, &k.member, &k.day, &total); err != nil {
					rows.Close()
					return err
				}
				k.chat.source = Source(src)
				g := groups[k.chat]
				if g == 0 {
					continue // folded in when the chat is mapped
				}
				d := deltas.at(g, k.day)
				d.messages += sums[k]
				if total == sums[k] { // the member's first words that day
					d.active++
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("count messages: %w", err)
			}
		}
		return writeDeltas(ctx, s.db, tx, deltas)
	})
}
