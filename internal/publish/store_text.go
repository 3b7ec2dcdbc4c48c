package publish

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/qunke/qunke/internal/msg"
)

// Text posts: a message that names no item (a campaign's leaderboard, a
// notice), queued as a delivery with an empty item. The worker sends it
// like any other post (same claim, never twice, same rate limits), without
// a poster and without the price check; a manual group's one waits on the
// manual board for an operator.

// ErrTextEmpty: a text post without text, or without a group to go to.
var ErrTextEmpty = msg.New("publish.err_text_empty")

// IsText reports whether d is a text post: it names no item (no
// platform; its item id is the post's key, which keeps two text posts to
// one group in the same second apart).
func (d *Delivery) IsText() bool { return d.Item.Platform == "" }

// PostText queues body for each of groups now, in one transaction, and
// returns how many posts it queued. key names the post (e.g.
// "campaign-3-board-1733472000"): each group gets at most one post per
// key, so a repeated call (a double click, a second server's schedule)
// queues nothing more.
func (s *Store) PostText(ctx context.Context, key string, groups []int64, body string) (int, error) {
	if body == "" || key == "" || len(groups) == 0 {
		return 0, ErrTextEmpty
	}
	now := s.now()
	title, _, _ := strings.Cut(body, "\n") // what the boards list it by
	title = clip(title, 200)
	n := 0
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		n = 0
		for _, g := range groups {
			d := &Delivery{Key: "text-" + key + "-" + strconv.FormatInt(g, 10), GroupID: g, SlotAt: now.Unix(),
				Status: Planned, Body: body, Title: title, NextAt: now.Unix()}
			d.Item.ItemID = key
			ok, err := s.insertDelivery(ctx, tx, d, now)
			if err != nil {
				return fmt.Errorf("text post to group %d: %w", g, err)
			}
			if ok {
				n++
			}
		}
		return nil
	})
	return n, err
}
