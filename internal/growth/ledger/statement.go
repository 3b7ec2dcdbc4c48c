package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"time"
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

// Statement returns member's statement over [from, to).
func (s *Store) Statement(ctx context.Context, member int64, from, to time.Time) (*Statement, error) {
	st := &Statement{Member: member, From: from, To: to}
	f, t := from.Unix(), to.Unix()
	err := s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT a.kind, coalesce(sum(l.amount), 0) FROM ledger_accounts a
			JOIN ledger_lines l ON l.account_id = a.id WHERE a.member_id = $1 AND l.at < $2 GROUP BY a.kind`, member, f)
		if err != nil {
			return err
		}
		for rows.Next() {
			var kind string
			var v int64
			if err := rows.Scan(&kind, &v); err != nil {
				rows.Close()
				return err
			}
			if Kind(kind).Payable() {
				st.OpeningPayable -= v
			} else {
				st.OpeningHeld -= v
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, `SELECT l.at, p.id, p.source, p.source_key, p.reason, a.kind, l.amount
			FROM ledger_accounts a JOIN ledger_lines l ON l.account_id = a.id JOIN ledger_postings p ON p.id = l.posting_id
			WHERE a.member_id = $1 AND l.at >= $2 AND l.at < $3 ORDER BY l.at, p.id, a.kind`, member, f, t)
		if err != nil {
			return err
		}
		defer rows.Close()
		st.ClosingHeld, st.ClosingPayable = st.OpeningHeld, st.OpeningPayable
		for rows.Next() {
			var l StatementLine
			var at int64
			var source, reason, kind string
			if err := rows.Scan(&at, &l.PostingID, &source, &l.SourceKey, &reason, &kind, &l.Amount); err != nil {
				return err
			}
			l.At, l.Source, l.Reason, l.Kind, l.Amount = time.Unix(at, 0).UTC(), Source(source), Reason(reason), Kind(kind), -l.Amount
			if l.Kind.Payable() {
				st.ClosingPayable += l.Amount
			} else {
				st.ClosingHeld += l.Amount
			}
			st.Lines = append(st.Lines, l)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: statement of member %d: %w", member, err)
	}
	return st, nil
}
