package campaign

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/qunke/qunke/internal/store"
)

// The leaderboard's sparse index: every markStride-th place of a
// campaign's board in order (valid invites DESC, id) with its rank, kept in
// memory per server and rebuilt from the board's database index when the
// campaign's board_rev moved (a count changed someone's valid invites, a
// participant was enrolled). A deep page starts at the mark before it.
// Memory is bounded: at most maxMarked campaigns, 24 bytes a mark (100,000
// participants: 782 marks, about 19 KB).

const (
	markStride = 128
	nearTop    = 2 * markStride // pages closer to the top skip from the top
	maxMarked  = 64
)

// mark is one place of the board.
type mark struct {
	pos   int   // the place, 0-based
	rank  int   // its rank (equal valid invites share one)
	valid int64 // its participant's valid invites ...
	id    int64 // ... and id
}

type boardMarks struct {
	rev   int64
	marks []mark // marks[i].pos == i*markStride
}

type markCache struct {
	mu     sync.Mutex
	boards map[int64]*boardMarks
}

// bumpBoard records, in tx, that campaign id's places moved.
func bumpBoard(ctx context.Context, tx *store.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE campaigns SET board_rev = board_rev + 1 WHERE id = $1`, id)
	return err
}

// markAt returns the last mark at or before place offset of campaign id's
// board as of rev, rebuilding the marks when they are older.
func (s *Store) markAt(ctx context.Context, id, rev int64, offset int) (mark, error) {
	s.marks.mu.Lock()
	defer s.marks.mu.Unlock()
	b := s.marks.boards[id]
	if b == nil || b.rev != rev {
		var err error
		if b, err = s.buildMarks(ctx, id); err != nil {
			return mark{}, err
		}
		if s.marks.boards == nil {
			s.marks.boards = map[int64]*boardMarks{}
		}
		if len(s.marks.boards) >= maxMarked {
			for k := range s.marks.boards { // forget one (any) to stay bounded
				delete(s.marks.boards, k)
				break
			}
		}
		s.marks.boards[id] = b
	}
	if len(b.marks) == 0 {
		return mark{}, nil
	}
	return b.marks[min(offset/markStride, len(b.marks)-1)], nil
}

// buildMarks reads the board's order from its index alone (valid invites
// and id) and keeps every markStride-th place. The revision is read first
// in the same transaction: the marks are at least as new as it says, and a
// change after it makes the next read rebuild them.
func (s *Store) buildMarks(ctx context.Context, id int64) (*boardMarks, error) {
	b := &boardMarks{}
	err := s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT board_rev FROM campaigns WHERE id = $1`, id).Scan(&b.rev); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT valid_invites, id FROM campaign_participants WHERE campaign_id = $1
			ORDER BY valid_invites DESC, id`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		pos, rank := 0, 0
		var prev int64 = -1
		for ; rows.Next(); pos++ {
			var v, pid int64
			if err := rows.Scan(&v, &pid); err != nil {
				return err
			}
			if v != prev {
				rank, prev = pos+1, v
			}
			if pos%markStride == 0 {
				b.marks = append(b.marks, mark{pos: pos, rank: rank, valid: v, id: pid})
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("leaderboard %d marks: %w", id, err)
	}
	return b, nil
}
