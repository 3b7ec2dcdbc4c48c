package campaign

import (
	"context"
	"fmt"

	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
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
