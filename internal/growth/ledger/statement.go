package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// StatementLine is one posting's line on a member's account.
type StatementLine struct {
	At        time.Time
	PostingID int64
	Source    Source
	SourceKey string
	Reason    Reason
	Kind      Kind
	Amount    int64 // fen, what the team owes more (+) or less (-): the line negated
}

// Statement is a member's accounts over [From, To): what the team owed them
// at From (Opening), the lines, and what it owed at To (Closing =
// Opening + the lines), held and payable apart.
type Statement struct {
	Member                      int64
	From, To                    time.Time
	OpeningHeld, OpeningPayable int64
	Lines                       []StatementLine
	ClosingHeld, ClosingPayable int64
}

// Statement returns member's statement over [from, to). The opening adds
// the member's month totals (ledger_account_months) before from's month
// and the lines of from's month before from: a few rows, however long the
// history.
func (s *Store) Statement(ctx context.Context, member int64, from, to time.Time) (*Statement, error) {
	st := &Statement{Member: member, From: from, To: to}
	f, t := from.Unix(), to.Unix()
	monthStart := time.Date(from.In(shanghai.Zone).Year(), from.In(shanghai.Zone).Month(), 1, 0, 0, 0, 0, shanghai.Zone).Unix()
	err := s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		var ids []any
		kinds := map[int64]Kind{}
		rows, err := tx.QueryContext(ctx, `SELECT id, kind FROM ledger_accounts WHERE member_id = $1`, member)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var kind string
			if err := rows.Scan(&id, &kind); err != nil {
				rows.Close()
				return err
			}
			ids, kinds[id] = append(ids, id), Kind(kind)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(ids) == 0 {
			return err
		}
		opening := func(q string, args ...any) error {
			rows, err := tx.QueryContext(ctx, q, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id, v int64
				if err := rows.Scan(&id, &v); err != nil {
					return err
				}
				if kinds[id].Payable() {
					st.OpeningPayable -= v
				} else {
					st.OpeningHeld -= v
				}
			}
			return rows.Err()
		}
		if err := opening(`SELECT account_id, sum(amount) FROM ledger_account_months WHERE month < $1 AND account_id IN (`+
			store.Placeholders(1, len(ids), 2)+`) GROUP BY account_id`, append([]any{MonthOf(from)}, ids...)...); err != nil {
			return err
		}
		if monthStart < f {
			if err := opening(`SELECT account_id, sum(amount) FROM ledger_lines WHERE at >= $1 AND at < $2 AND account_id IN (`+
				store.Placeholders(1, len(ids), 3)+`) GROUP BY account_id`, append([]any{monthStart, f}, ids...)...); err != nil {
				return err
			}
		}
		rows, err = tx.QueryContext(ctx, `SELECT l.at, p.id, p.source, p.source_key, p.reason, l.account_id, l.amount
			FROM ledger_lines l JOIN ledger_postings p ON p.id = l.posting_id
			WHERE l.at >= $1 AND l.at < $2 AND l.account_id IN (`+store.Placeholders(1, len(ids), 3)+`)`, append([]any{f, t}, ids...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		st.ClosingHeld, st.ClosingPayable = st.OpeningHeld, st.OpeningPayable
		for rows.Next() {
			var l StatementLine
			var at int64
			var source, reason string
			var account int64
			if err := rows.Scan(&at, &l.PostingID, &source, &l.SourceKey, &reason, &account, &l.Amount); err != nil {
				return err
			}
			l.At, l.Source, l.Reason, l.Kind, l.Amount = time.Unix(at, 0).UTC(), Source(source), Reason(reason), kinds[account], -l.Amount
			if l.Kind.Payable() {
				st.ClosingPayable += l.Amount
			} else {
				st.ClosingHeld += l.Amount
			}
			st.Lines = append(st.Lines, l)
		}
		sort.Slice(st.Lines, func(i, j int) bool {
			a, b := &st.Lines[i], &st.Lines[j]
			if !a.At.Equal(b.At) {
				return a.At.Before(b.At)
			}
			if a.PostingID != b.PostingID {
				return a.PostingID < b.PostingID
			}
			return a.Kind < b.Kind
		})
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: statement of member %d: %w", member, err)
	}
	return st, nil
}
