package insight

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// Store keeps the acquisition costs (acquisition_costs).
type Store struct {
	db  *store.DB
	now func() time.Time
}

// NewStore returns a Store on a migrated database.
func NewStore(db *store.DB) *Store { return &Store{db: db, now: time.Now} }

// AddCosts checks and stores costs in one transaction: any bad cost and
// nothing is stored (the error names its place: "#n" and the field). The
// costs get their ids.
func (s *Store) AddCosts(ctx context.Context, costs []Cost) error {
	for i := range costs {
		if err := costs[i].Normalize(); err != nil {
			if len(costs) == 1 {
				return err
			}
			return msg.Wrap(err, "insight.cost_at", i+1, err)
		}
	}
	now := s.now().Unix()
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		for i := range costs {
			c := &costs[i]
			err := tx.QueryRowContext(ctx, `INSERT INTO acquisition_costs
				(group_id, campaign, day, kind, members, unit_fen, amount_fen, note, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
				c.GroupID, c.Campaign, shanghai.Day(c.Day.Unix()), string(c.Kind), c.Members, c.UnitFen,
				c.AmountFen, c.Note, now).Scan(&c.ID)
			if err != nil {
				return fmt.Errorf("insert cost: %w", err)
			}
			c.Created = time.Unix(now, 0).UTC()
		}
		return nil
	})
}

// CostFilter selects costs: days in [From, To) (Shanghai days; zero: open),
// one group (0: all), one campaign ("": all).
type CostFilter struct {
	From, To time.Time
	GroupID  int64
	Campaign string
	Limit    int // 0: 10,000
}

// Costs returns the costs matching f, by day then id.
func (s *Store) Costs(ctx context.Context, f CostFilter) ([]Cost, error) {
	q := `SELECT id, group_id, campaign, day, kind, members, unit_fen, amount_fen, note, created_at
		FROM acquisition_costs WHERE 1 = 1`
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if !f.From.IsZero() {
		q += ` AND day >= ` + arg(shanghai.Day(f.From.Unix()))
	}
	if !f.To.IsZero() {
		q += ` AND day < ` + arg(shanghai.Day(f.To.Unix()-1)+1)
	}
	if f.GroupID != 0 {
		q += ` AND group_id = ` + arg(f.GroupID)
	}
	if f.Campaign != "" {
		q += ` AND campaign = ` + arg(f.Campaign)
	}
	limit := f.Limit
	if limit <= 0 || limit > 10_000 {
		limit = 10_000
	}
	q += ` ORDER BY day, id LIMIT ` + arg(limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("costs: %w", err)
	}
	defer rows.Close()
	var out []Cost
	for rows.Next() {
		var c Cost
		var day, created int64
		var kind string
		if err := rows.Scan(&c.ID, &c.GroupID, &c.Campaign, &day, &kind, &c.Members, &c.UnitFen, &c.AmountFen,
			&c.Note, &created); err != nil {
			return nil, err
		}
		c.Day, c.Kind, c.Created = DayTime(day), CostKind(kind), time.Unix(created, 0).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// Acquisition is what a group (or campaign) spent and the members that
// spend brought.
type Acquisition struct {
	CostFen int64
	Members int64
}

// AcquisitionByGroup sums the costs of days in [from, to) per group (group 0:
// the campaigns' spend, no group), for CAC.
func (s *Store) AcquisitionByGroup(ctx context.Context, from, to time.Time) (map[int64]Acquisition, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT group_id, SUM(amount_fen), SUM(members) FROM acquisition_costs
		WHERE day >= $1 AND day < $2 GROUP BY group_id`, shanghai.Day(from.Unix()), shanghai.Day(to.Unix()-1)+1)
	if err != nil {
		return nil, fmt.Errorf("acquisition: %w", err)
	}
	defer rows.Close()
	out := map[int64]Acquisition{}
	for rows.Next() {
		var g int64
		var a Acquisition
		if err := rows.Scan(&g, &a.CostFen, &a.Members); err != nil {
			return nil, err
		}
		out[g] = a
	}
	return out, rows.Err()
}

// CostsBetween returns every cost of the days in [from, to) (Shanghai
// days), by day then id: the economics reads them all (costs are entered
// by people, a few a day).
func (s *Store) CostsBetween(ctx context.Context, from, to time.Time) ([]Cost, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, group_id, campaign, day, kind, members, unit_fen, amount_fen, note,
		created_at FROM acquisition_costs WHERE day >= $1 AND day < $2 ORDER BY day, id`,
		shanghai.Day(from.Unix()), shanghai.Day(to.Unix()-1)+1)
	if err != nil {
		return nil, fmt.Errorf("costs: %w", err)
	}
	defer rows.Close()
	var out []Cost
	for rows.Next() {
		var c Cost
		var day, created int64
		var kind string
		if err := rows.Scan(&c.ID, &c.GroupID, &c.Campaign, &day, &kind, &c.Members, &c.UnitFen, &c.AmountFen,
			&c.Note, &created); err != nil {
			return nil, err
		}
		c.Day, c.Kind, c.Created = DayTime(day), CostKind(kind), time.Unix(created, 0).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}
