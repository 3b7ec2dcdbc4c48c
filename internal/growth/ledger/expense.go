package ledger

import (
	"context"
	"fmt"
	"time"

	"github.com/qunke/qunke/internal/shanghai"
)

// DailyExpense adds up, per Asia/Shanghai day, what the postings in [from,
// to) moved into the team's account of kind (a debit: RewardExpense is
// what fission rewards cost): the economics takes the fission rewards from
// here as costs, without anyone entering them. A reversal's credit nets a
// day down. Days with nothing moved are absent.
func (s *Store) DailyExpense(ctx context.Context, kind Kind, from, to time.Time) (map[int64]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+shanghai.DaySQL("l.at")+` AS d, sum(l.amount)
		FROM ledger_lines l JOIN ledger_accounts a ON a.id = l.account_id
		WHERE a.kind = $1 AND a.member_id = 0 AND l.at >= $2 AND l.at < $3 GROUP BY d`,
		string(kind), from.Unix(), to.Unix())
	if err != nil {
		return nil, fmt.Errorf("ledger: daily expense: %w", err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var d, amount int64
		if err := rows.Scan(&d, &amount); err != nil {
			return nil, err
		}
		if amount != 0 {
			out[d] = amount
		}
	}
	return out, rows.Err()
}
