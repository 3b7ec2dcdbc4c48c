package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/store"
)

// PayoutStatus is a batch's state.
type PayoutStatus string

const (
	PayoutOpen PayoutStatus = "open" // to pay by hand
	PayoutPaid PayoutStatus = "paid" // paid and posted
)

// PayoutLine is what one payable account gets in a batch.
type PayoutLine struct {
	Account Account
	Amount  int64 // fen
}

// Payout is a batch of payables to pay by hand.
type Payout struct {
	ID        int64
	CreatedAt time.Time
	MinFen    int64
	Status    PayoutStatus
	PaidAt    time.Time // zero while open
	PaidBy    string
	Lines     []PayoutLine
	Total     int64
}

// Domain errors of payouts.
var (
	ErrPayoutOpen   = msg.New("ledger.payout_open")    // %d: the open batch
	ErrNoPayout     = msg.New("ledger.payout_none")    // %d
	ErrPayoutPaid   = msg.New("ledger.payout_paid")    // %d, by %s
	ErrPayoutEmpty  = msg.New("ledger.payout_empty")   // %s: the minimum
	ErrPayoutNoBy   = msg.New("ledger.payout_no_by")   //
	ErrPayoutBadMin = msg.New("ledger.payout_bad_min") //
)

// CreatePayout makes a batch of every payable account owed at least minFen
// (what a reversal left negative is already deducted in the balance), at
// most one batch open at a time. Nothing is posted until MarkPaid.
func (s *Store) CreatePayout(ctx context.Context, minFen int64, at time.Time) (*Payout, error) {
	if minFen <= 0 {
		return nil, ErrPayoutBadMin
	}
	p := &Payout{CreatedAt: at.UTC(), MinFen: minFen, Status: PayoutOpen}
	err := s.db.Atomic(ctx, func(tx *store.Tx) error {
		if err := s.Lock(ctx, tx); err != nil {
			return err
		}
		var open int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM ledger_payouts WHERE status = 'open'`).Scan(&open)
		if err == nil {
			return ErrPayoutOpen.With(open)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, kind, member_id, balance FROM ledger_accounts
			WHERE kind IN ('agent_payable', 'member_payable') AND -balance >= $1 ORDER BY member_id, kind`, minFen)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id, bal int64
			var kind string
			var l PayoutLine
			if err := rows.Scan(&id, &kind, &l.Account.Member, &bal); err != nil {
				rows.Close()
				return err
			}
			l.Account.Kind, l.Amount = Kind(kind), -bal
			ids = append(ids, id)
			p.Lines = append(p.Lines, l)
			p.Total += l.Amount
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(p.Lines) == 0 {
			return ErrPayoutEmpty.With(cells.Yuan(minFen))
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO ledger_payouts (created_at, min_fen, status) VALUES ($1, $2, 'open') RETURNING id`,
			p.CreatedAt.Unix(), minFen).Scan(&p.ID); err != nil {
			return err
		}
		for i, l := range p.Lines {
			if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_payout_lines (payout_id, account_id, amount) VALUES ($1, $2, $3)`,
				p.ID, ids[i], l.Amount); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap(err, "create payout")
	}
	return p, nil
}

// MarkPaid records that a person (by) paid batch id by hand: one posting
// (source payout) debits each payable what the batch gave it and credits
// cash the total. A batch is paid once.
func (s *Store) MarkPaid(ctx context.Context, id int64, by string, at time.Time) (*Payout, error) {
	by = strings.TrimSpace(by)
	if by == "" {
		return nil, ErrPayoutNoBy
	}
	var p *Payout
	err := s.db.Atomic(ctx, func(tx *store.Tx) error {
		if err := s.Lock(ctx, tx); err != nil {
			return err
		}
		var err error
		if p, err = s.payout(ctx, tx, id); err != nil {
			return err
		}
		if p.Status == PayoutPaid {
			return ErrPayoutPaid.With(id, p.PaidBy)
		}
		post := &Posting{Source: FromPayout, SourceKey: "payout/" + strconv.FormatInt(id, 10), Seq: 1, Reason: Paid,
			At: at.UTC(), Note: by}
		for _, l := range p.Lines {
			post.Lines = append(post.Lines, Line{l.Account, l.Amount})
		}
		post.Lines = append(post.Lines, Line{Account{Kind: Cash}, -p.Total})
		if err := s.post(ctx, tx, post); err != nil {
			return err
		}
		p.Status, p.PaidAt, p.PaidBy = PayoutPaid, at.UTC(), by
		_, err = tx.ExecContext(ctx, `UPDATE ledger_payouts SET status = 'paid', paid_at = $1, paid_by = $2 WHERE id = $3 AND status = 'open'`,
			p.PaidAt.Unix(), by, id)
		return err
	})
	if err != nil {
		return nil, wrap(err, "mark payout paid")
	}
	return p, nil
}

// Payouts lists the batches, newest first, with their lines.
func (s *Store) Payouts(ctx context.Context) ([]Payout, error) {
	var out []Payout
	err := s.db.Atomic(ctx, func(tx *store.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM ledger_payouts ORDER BY id DESC`)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		for _, id := range ids {
			p, err := s.payout(ctx, tx, id)
			if err != nil {
				return err
			}
			out = append(out, *p)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrap(err, "payouts")
	}
	return out, nil
}

func (s *Store) payout(ctx context.Context, tx *store.Tx, id int64) (*Payout, error) {
	p := &Payout{ID: id}
	var created, paid int64
	var status string
	err := tx.QueryRowContext(ctx, `SELECT created_at, min_fen, status, paid_at, paid_by FROM ledger_payouts WHERE id = $1`, id).
		Scan(&created, &p.MinFen, &status, &paid, &p.PaidBy)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoPayout.With(id)
	}
	if err != nil {
		return nil, err
	}
	p.CreatedAt, p.Status = time.Unix(created, 0).UTC(), PayoutStatus(status)
	if paid != 0 {
		p.PaidAt = time.Unix(paid, 0).UTC()
	}
	rows, err := tx.QueryContext(ctx, `SELECT a.kind, a.member_id, l.amount FROM ledger_payout_lines l
		JOIN ledger_accounts a ON a.id = l.account_id WHERE l.payout_id = $1 ORDER BY a.member_id, a.kind`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var l PayoutLine
		var kind string
		if err := rows.Scan(&kind, &l.Account.Member, &l.Amount); err != nil {
			return nil, err
		}
		l.Account.Kind = Kind(kind)
		p.Lines = append(p.Lines, l)
		p.Total += l.Amount
	}
	return p, rows.Err()
}

// wrap adds what was being done to err, keeping domain errors as they are.
func wrap(err error, what string) error {
	var m *msg.Error
	if errors.As(err, &m) {
		return err
	}
	return fmt.Errorf("ledger: %s: %w", what, err)
}
