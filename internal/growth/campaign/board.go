package campaign

import (
	"context"
	"fmt"

	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/shanghai"
)

// BoardPoster queues a text post for groups, at most once per key and
// group, and says how many it queued: the posting worker's outbox
// (publish.Store.PostText), which sends it with the same claim and rate
// limits as every post.
type BoardPoster interface {
	PostText(ctx context.Context, key string, groups []int64, body string) (int, error)
}

// BoardTop is how many places a posted leaderboard shows.
const BoardTop = 10

// ErrBoardNoGroup: the campaign has no target group to post its board to.
var ErrBoardNoGroup = msg.New("campaign.err_board_no_group")

// PostBoard queues the campaign's leaderboard (its first top places, in
// Chinese: the groups' language) for each of its target groups through
// s.Board, and returns how many posts it queued. Posts are keyed by the
// campaign and the second: a repeated click in the same second queues
// nothing more.
func (s *Store) PostBoard(ctx context.Context, id int64, top int) (int, error) {
	return s.postBoard(ctx, id, top, fmt.Sprintf("campaign-%d-board-%d", id, s.now().Unix()))
}

func (s *Store) postBoard(ctx context.Context, id int64, top int, key string) (int, error) {
	if s.Board == nil {
		return 0, fmt.Errorf("campaign %d: no outbox to post the leaderboard to", id)
	}
	if top <= 0 || top > 100 {
		top = BoardTop
	}
	c, err := s.Get(ctx, id)
	if err != nil {
		return 0, err
	}
	if len(c.Groups) == 0 {
		return 0, ErrBoardNoGroup
	}
	rows, _, err := s.Leaderboard(ctx, id, top, 0)
	if err != nil {
		return 0, err
	}
	return s.Board.PostText(ctx, key, c.Groups, LeaderboardText(i18n.ZH, c, rows, top))
}

// ErrBadBoardHour: a daily post hour outside 0-23 (or -1, none).
var ErrBadBoardHour = msg.New("campaign.err_bad_board_hour")

// SetBoardHour sets the hour (team zone, 0-23; -1 = none) at which the
// campaign's leaderboard is posted to its groups each day it runs.
func (s *Store) SetBoardHour(ctx context.Context, id int64, hour int) error {
	if hour < -1 || hour > 23 {
		return ErrBadBoardHour.With(hour)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE campaigns SET board_hour = $1 WHERE id = $2`, hour, id)
	if err != nil {
		return fmt.Errorf("campaign %d board hour: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound.With(id)
	}
	return nil
}

// PostDueBoards posts, once per team-zone day, the leaderboard of every
// running campaign whose daily hour has come (see BoardHour), and returns
// how many posts it queued. The posts are keyed by campaign and day: of
// several servers (or passes) the first queues them and the others queue
// nothing, so each group gets one a day. A campaign that cannot be posted
// does not stop the others; the first error is returned.
func (s *Store) PostDueBoards(ctx context.Context) (int, error) {
	if s.Board == nil {
		return 0, nil
	}
	now := s.now()
	local := now.In(shanghai.Zone)
	cs, err := list(ctx, s.db, `WHERE status = $1 AND board_hour >= 0 AND board_hour <= $2`, string(Running), local.Hour())
	if err != nil {
		return 0, err
	}
	n := 0
	var first error
	for _, c := range cs {
		if !c.Open(now) || len(c.Groups) == 0 {
			continue
		}
		k, err := s.postBoard(ctx, c.ID, BoardTop, fmt.Sprintf("campaign-%d-board-day-%s", c.ID, local.Format("20060102")))
		n += k
		if err != nil && first == nil {
			first = fmt.Errorf("campaign %d daily leaderboard: %w", c.ID, err)
		}
	}
	return n, first
}
