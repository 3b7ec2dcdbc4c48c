// Package ledger is Qunke's double-entry ledger for agents' and members'
// shares: accounts (the team's commission income, cash and reward expense;
// each agent's and member's held and payable shares), immutable postings
// whose lines sum to zero, balances kept with every posting, payout batches
// and monthly statements. It owns the ledger_* tables; docs/growth.md tells
// the accounts, holds and reversals.
//
// Amounts are int64 fen, debit positive: a payable the team owes has a
// negative balance (Owed gives it the right way round).
package ledger

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// Kind is an account's kind.
type Kind string

const (
	CommissionIncome Kind = "commission_income" // the team's commission from the platforms, net of shares
	Cash             Kind = "cash"              // what the platforms paid in, less what was paid out
	RewardExpense    Kind = "reward_expense"    // fission rewards (later)
	AgentHeld        Kind = "agent_held"        // an agent's shares of orders not yet settled and paid by the platform
	AgentPayable     Kind = "agent_payable"     // an agent's shares ready to pay
	MemberHeld       Kind = "member_held"       // a member's rebates on hold
	MemberPayable    Kind = "member_payable"    // a member's rebates ready to pay
)

// Kinds lists every kind, the team's first.
var Kinds = []Kind{CommissionIncome, Cash, RewardExpense, AgentHeld, AgentPayable, MemberHeld, MemberPayable}

// Personal reports whether accounts of kind k belong to a member.
func (k Kind) Personal() bool {
	return k == AgentHeld || k == AgentPayable || k == MemberHeld || k == MemberPayable
}

// Payable reports whether k is a kind paid out by payout batches.
func (k Kind) Payable() bool { return k == AgentPayable || k == MemberPayable }

func (k Kind) valid() bool {
	for _, x := range Kinds {
		if k == x {
			return true
		}
	}
	return false
}

// Account names an account: a kind and, for personal kinds, the member.
type Account struct {
	Kind   Kind
	Member int64
}

func (a Account) String() string {
	if a.Member == 0 {
		return string(a.Kind)
	}
	return string(a.Kind) + ":" + strconv.FormatInt(a.Member, 10)
}

// Source is what a posting comes from.
type Source string

const (
	FromOrder    Source = "order"
	FromReward   Source = "reward"
	FromPayout   Source = "payout"
	FromReversal Source = "reversal"
)

// Reason says why a posting was made.
type Reason string

const (
	Hold    Reason = "hold"    // shares of a new order, held
	Release Reason = "release" // the platform paid: income in, shares payable
	Adjust  Reason = "adjust"  // the order's amounts changed
	Reverse Reason = "reverse" // the order turned invalid or refunded: everything it moved, undone
	Paid    Reason = "paid"    // a payout batch was paid
	Reward  Reason = "reward"  // a fission campaign's reward was earned (internal/growth/campaign)
)

// Line is one account's part of a posting.
type Line struct {
	Account Account
	Amount  int64 // fen, debit positive
}

// Posting is one movement.
type Posting struct {
	ID        int64
	Source    Source
	SourceKey string
	Seq       int64
	Reason    Reason
	At        time.Time
	Note      string
	Lines     []Line
}

// Store keeps the ledger.
type Store struct {
	db *store.DB
	// stmts are the batch's full-size statements prepared on the database
	// once (database/sql keeps one per connection): a thousand-row INSERT
	// costs more to parse than to run, and a poster's page ran each anew.
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// NewStore returns a Store on a migrated database.
func NewStore(db *store.DB) *Store { return &Store{db: db, stmts: map[string]*sql.Stmt{}} }

// stmt returns q prepared on the database, once per Store.
func (s *Store) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.stmts[q]; st != nil {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	s.stmts[q] = st
	return st, nil
}

// ErrUnbalanced is a posting whose lines do not sum to zero.
var ErrUnbalanced = errors.New("ledger: posting lines do not sum to zero")

// Lock serialises posters across servers for the rest of tx (PostgreSQL;
// SQLite's write transactions are serial already).
func (s *Store) Lock(ctx context.Context, tx *store.Tx) error {
	return s.db.LockTx(ctx, tx.Tx, "ledger.post")
}

// Batch posts many movements in one transaction. It keeps them until
// Flush (or until it holds flushAt of them), which writes them with few
// statements: the postings' rows many to an INSERT, their lines likewise,
// each touched account's balance and month total once. Flush must follow
// before the transaction commits; a posting's ID is set when it is written.
type Batch struct {
	s       *Store
	tx      *store.Tx
	known   *Accounts         // ids of committed accounts, shared across transactions (may be nil)
	ids     map[Account]int64 // ids this batch found or created
	pending []*Posting
	stmts   map[string]*sql.Stmt // prepared in tx (closed with it), for the full-size statements Flush repeats
}

// prepared returns q prepared in the batch's transaction, once.
func (b *Batch) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	if st := b.stmts[q]; st != nil {
		return st, nil
	}
	var st *sql.Stmt
	if b.tx.Of(b.s.db) {
		ds, err := b.s.stmt(ctx, q)
		if err != nil {
			return nil, err
		}
		// The transaction's own handle on ds: it reuses the statement
		// already prepared on the transaction's connection, if any.
		st = b.tx.StmtContext(ctx, ds)
	} else {
		var err error
		if st, err = b.tx.PrepareContext(ctx, q); err != nil {
			return nil, err
		}
	}
	if b.stmts == nil {
		b.stmts = map[string]*sql.Stmt{}
	}
	b.stmts[q] = st
	return st, nil
}

// flushAt is how many postings a batch holds before it writes them.
const flushAt = 2000

// Accounts remembers account ids across a poster's transactions (accounts
// are never deleted): a Batch made with it looks up only accounts it has
// not seen, and Committed adds those the batch found once its transaction
// has committed. Not safe for concurrent use.
type Accounts struct{ m map[Account]int64 }

// NewAccounts returns an empty cache.
func NewAccounts() *Accounts { return &Accounts{m: map[Account]int64{}} }

// NewBatch begins a batch in tx.
func (s *Store) NewBatch(tx *store.Tx) *Batch { return s.NewBatchWith(tx, nil) }

// NewBatchWith begins a batch in tx that takes account ids from known.
func (s *Store) NewBatchWith(tx *store.Tx, known *Accounts) *Batch {
	return &Batch{s: s, tx: tx, known: known, ids: map[Account]int64{}}
}

// Committed adds the accounts the batch found or created to its cache; call
// it only after the batch's transaction committed.
func (b *Batch) Committed() {
	if b.known == nil {
		return
	}
	for a, id := range b.ids {
		b.known.m[a] = id
	}
}

func (b *Batch) lookup(a Account) (int64, bool) {
	if id, ok := b.ids[a]; ok {
		return id, true
	}
	if b.known != nil {
		if id, ok := b.known.m[a]; ok {
			return id, true
		}
	}
	return 0, false
}

// resolve finds (or creates) the ids of the pending postings' accounts:
// one query per thousand members for those not known yet.
func (b *Batch) resolve(ctx context.Context) error {
	missing := map[Account]bool{}
	var members []any
	seenMember := map[int64]bool{}
	for _, p := range b.pending {
		for _, l := range p.Lines {
			if _, ok := b.lookup(l.Account); ok || missing[l.Account] {
				continue
			}
			missing[l.Account] = true
			if !seenMember[l.Account.Member] {
				seenMember[l.Account.Member] = true
				members = append(members, l.Account.Member)
			}
		}
	}
	for len(members) > 0 {
		n := min(len(members), 1000)
		rows, err := b.tx.QueryContext(ctx, `SELECT id, kind, member_id FROM ledger_accounts WHERE member_id IN (`+
			b.tx.Dialect.BulkPlaceholders(1, n, 1)+`)`, members[:n]...)
		if err != nil {
			return fmt.Errorf("ledger: accounts: %w", err)
		}
		for rows.Next() {
			var id int64
			var a Account
			var kind string
			if err := rows.Scan(&id, &kind, &a.Member); err != nil {
				rows.Close()
				return err
			}
			a.Kind = Kind(kind)
			b.ids[a] = id
			delete(missing, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		members = members[n:]
	}
	list := make([]Account, 0, len(missing))
	for a := range missing {
		list = append(list, a)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].String() < list[j].String() })
	for _, a := range list {
		var id int64
		if err := b.tx.QueryRowContext(ctx, `INSERT INTO ledger_accounts (kind, member_id, balance) VALUES ($1, $2, 0) RETURNING id`,
			string(a.Kind), a.Member).Scan(&id); err != nil {
			return fmt.Errorf("ledger: account %s: %w", a, err)
		}
		b.ids[a] = id
	}
	return nil
}

// post queues p (its lines merged per account, zero lines dropped) to be
// written by Flush. p.Seq must be the next of p.SourceKey.
func (b *Batch) post(ctx context.Context, p *Posting) error {
	sum := map[Account]int64{}
	var total int64
	for _, l := range p.Lines {
		if !l.Account.Kind.valid() || l.Account.Kind.Personal() != (l.Account.Member != 0) {
			return fmt.Errorf("ledger: no account %s", l.Account)
		}
		sum[l.Account] += l.Amount
		total += l.Amount
	}
	if total != 0 {
		return fmt.Errorf("%w: %s %s", ErrUnbalanced, p.SourceKey, p.Reason)
	}
	lines := make([]Line, 0, len(sum))
	for a, v := range sum {
		if v != 0 {
			lines = append(lines, Line{a, v})
		}
	}
	if len(lines) == 0 {
		return nil
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].Account.String() < lines[j].Account.String() })
	p.Lines = lines
	b.pending = append(b.pending, p)
	if len(b.pending) >= flushAt {
		return b.Flush(ctx)
	}
	return nil
}

// Rows per many-valued statement of Flush.
const (
	postingRows = 500  // 6 values each
	lineRows    = 1000 // 4 values each
	monthRows   = 1000 // 3 values each
	balanceRows = 1000 // 4 values each
)

// chunk is how many of n rows the next statement of at most max rows
// writes: max, or else the largest power of two not above n. The
// statements' shapes are then few (about a dozen per kind), so each is
// parsed once per connection (Store.stmt) instead of once per page.
func chunk(n, max int) int {
	if n >= max {
		return max
	}
	c := 1
	for c*2 <= n {
		c *= 2
	}
	return c
}

// Flush writes the pending postings, their lines, and moves the balances
// and month totals by them.
func (b *Batch) Flush(ctx context.Context) error {
	if len(b.pending) == 0 {
		return nil
	}
	if err := b.resolve(ctx); err != nil {
		return err
	}
	d := b.tx.Dialect
	pending := b.pending
	b.pending = nil
	// The postings, their ids back by (source key, seq), which is unique.
	for rest := pending; len(rest) > 0; {
		n := chunk(len(rest), postingRows)
		args := make([]any, 0, 6*n)
		byKey := make(map[postingKey]*Posting, n)
		for _, p := range rest[:n] {
			args = append(args, string(p.Source), p.SourceKey, p.Seq, string(p.Reason), p.At.Unix(), p.Note)
			byKey[postingKey{p.SourceKey, p.Seq}] = p
		}
		st, err := b.prepared(ctx, `INSERT INTO ledger_postings (source, source_key, seq, reason, at, note) VALUES `+
			d.BulkPlaceholders(6, n, 1)+` RETURNING id, source_key, seq`)
		if err != nil {
			return fmt.Errorf("ledger: post %s: %w", rest[0].SourceKey, err)
		}
		rows, err := st.QueryContext(ctx, args...)
		if err != nil {
			return fmt.Errorf("ledger: post %s: %w", rest[0].SourceKey, err)
		}
		for rows.Next() {
			var k postingKey
			var id int64
			if err := rows.Scan(&id, &k.key, &k.seq); err != nil {
				rows.Close()
				return err
			}
			if p := byKey[k]; p != nil {
				p.ID = id
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("ledger: post %s: %w", rest[0].SourceKey, err)
		}
		rest = rest[n:]
	}
	// The lines, and what they move per account and per account and month.
	delta := map[int64]int64{}
	months := map[[2]int64]int64{}
	// Lines go in in the table's key order (account, time, posting): the
	// inserts walk the b-tree's leaves once, front to back, instead of
	// seeking a leaf per line (at a million orders the lines' tree no longer
	// fits the page cache).
	type row struct{ account, at, posting, amount int64 }
	all := make([]row, 0, 4*len(pending))
	for _, p := range pending {
		if p.ID == 0 {
			return fmt.Errorf("ledger: post %s: no id returned", p.SourceKey)
		}
		at, month := p.At.Unix(), MonthOf(p.At)
		for _, l := range p.Lines {
			id, _ := b.lookup(l.Account)
			all = append(all, row{id, at, p.ID, l.Amount})
			delta[id] += l.Amount
			months[[2]int64{id, month}] += l.Amount
		}
	}
	slices.SortFunc(all, func(x, y row) int {
		if c := cmp.Compare(x.account, y.account); c != 0 {
			return c
		}
		if c := cmp.Compare(x.at, y.at); c != 0 {
			return c
		}
		return cmp.Compare(x.posting, y.posting)
	})
	args := make([]any, 0, 4*lineRows)
	for rest := all; len(rest) > 0; {
		n := chunk(len(rest), lineRows)
		args = args[:0]
		for _, r := range rest[:n] {
			args = append(args, r.posting, r.account, r.amount, r.at)
		}
		st, err := b.prepared(ctx, `INSERT INTO ledger_lines (posting_id, account_id, amount, at) VALUES `+d.BulkPlaceholders(4, n, 1))
		if err == nil {
			_, err = st.ExecContext(ctx, args...)
		}
		if err != nil {
			return fmt.Errorf("ledger: lines: %w", err)
		}
		rest = rest[n:]
	}
	if err := b.moveMonths(ctx, months); err != nil {
		return err
	}
	return b.moveBalances(ctx, delta)
}

type postingKey struct {
	key string
	seq int64
}

// moveMonths adds to the accounts' month totals, in (account, month) order.
func (b *Batch) moveMonths(ctx context.Context, months map[[2]int64]int64) error {
	keys := make([][2]int64, 0, len(months))
	for k := range months {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i][0] < keys[j][0] || keys[i][0] == keys[j][0] && keys[i][1] < keys[j][1]
	})
	for len(keys) > 0 {
		n := chunk(len(keys), monthRows)
		args := make([]any, 0, 3*n)
		for _, k := range keys[:n] {
			args = append(args, k[0], k[1], months[k])
		}
		st, err := b.prepared(ctx, `INSERT INTO ledger_account_months (account_id, month, amount) VALUES `+
			b.tx.Dialect.BulkPlaceholders(3, n, 1)+` ON CONFLICT (account_id, month) DO UPDATE SET amount = ledger_account_months.amount + excluded.amount`)
		if err == nil {
			_, err = st.ExecContext(ctx, args...)
		}
		if err != nil {
			return fmt.Errorf("ledger: month totals: %w", err)
		}
		keys = keys[n:]
	}
	return nil
}

// moveBalances adds delta to the accounts' balances, in id order, a
// thousand accounts to a statement (an upsert on rows that all exist).
func (b *Batch) moveBalances(ctx context.Context, delta map[int64]int64) error {
	kinds := make(map[int64]Account, len(delta))
	for a, id := range b.ids {
		if _, ok := delta[id]; ok {
			kinds[id] = a
		}
	}
	if b.known != nil {
		for a, id := range b.known.m {
			if _, ok := delta[id]; ok {
				kinds[id] = a
			}
		}
	}
	ids := make([]int64, 0, len(delta))
	for id, v := range delta {
		if v != 0 {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for len(ids) > 0 {
		n := chunk(len(ids), balanceRows)
		args := make([]any, 0, 4*n)
		for _, id := range ids[:n] {
			a := kinds[id]
			args = append(args, id, string(a.Kind), a.Member, delta[id])
		}
		st, err := b.prepared(ctx, `INSERT INTO ledger_accounts (id, kind, member_id, balance) VALUES `+
			b.tx.Dialect.BulkPlaceholders(4, n, 1)+` ON CONFLICT (id) DO UPDATE SET balance = ledger_accounts.balance + excluded.balance`)
		if err == nil {
			_, err = st.ExecContext(ctx, args...)
		}
		if err != nil {
			return fmt.Errorf("ledger: balances: %w", err)
		}
		ids = ids[n:]
	}
	return nil
}

// MonthOf is the month t falls in, in Asia/Shanghai, as YYYYMM.
func MonthOf(t time.Time) int64 {
	l := t.In(shanghai.Zone)
	return int64(l.Year())*100 + int64(l.Month())
}

// post writes one posting and moves the balances.
func (s *Store) post(ctx context.Context, tx *store.Tx, p *Posting) error {
	b := s.NewBatch(tx)
	if err := b.post(ctx, p); err != nil {
		return err
	}
	return b.Flush(ctx)
}

// Held returns what the postings of key have moved so far, per account
// (accounts at zero left out), and how many postings key has.
func (s *Store) Held(ctx context.Context, tx *store.Tx, key string) (map[Account]int64, int64, error) {
	var seq int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM ledger_postings WHERE source_key = $1`, key).Scan(&seq); err != nil {
		return nil, 0, fmt.Errorf("ledger: %s: %w", key, err)
	}
	out := map[Account]int64{}
	if seq == 0 {
		return out, 0, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT a.kind, a.member_id, sum(l.amount) FROM ledger_postings p
		JOIN ledger_lines l ON l.posting_id = p.id JOIN ledger_accounts a ON a.id = l.account_id
		WHERE p.source_key = $1 GROUP BY a.kind, a.member_id`, key)
	if err != nil {
		return nil, 0, fmt.Errorf("ledger: %s: %w", key, err)
	}
	defer rows.Close()
	for rows.Next() {
		var a Account
		var kind string
		var v int64
		if err := rows.Scan(&kind, &a.Member, &v); err != nil {
			return nil, 0, err
		}
		a.Kind = Kind(kind)
		if v != 0 {
			out[a] = v
		}
	}
	return out, seq, rows.Err()
}

// Move brings what the postings of key have moved to want (per account;
// want must sum to zero): it posts the difference, if any, as the next
// posting of key, with source and reason; want nil or empty undoes
// everything key moved. Posting the same want again posts nothing, so a
// re-import never posts twice. The caller holds Lock.
func (s *Store) Move(ctx context.Context, tx *store.Tx, key string, want map[Account]int64, source Source, reason Reason, at time.Time) (*Posting, error) {
	have, seq, err := s.Held(ctx, tx, key)
	if err != nil {
		return nil, err
	}
	return s.MoveFrom(ctx, tx, key, have, seq, want, source, reason, at)
}

// MoveFrom is Move given what key has moved and its postings' count (from
// Held or HeldMany in the same transaction).
func (s *Store) MoveFrom(ctx context.Context, tx *store.Tx, key string, have map[Account]int64, seq int64, want map[Account]int64,
	source Source, reason Reason, at time.Time) (*Posting, error) {
	b := s.NewBatch(tx)
	p, err := b.MoveFrom(ctx, key, have, seq, want, source, reason, at)
	if err != nil {
		return nil, err
	}
	return p, b.Flush(ctx)
}

// MoveFrom is Store.MoveFrom in the batch.
func (b *Batch) MoveFrom(ctx context.Context, key string, have map[Account]int64, seq int64, want map[Account]int64,
	source Source, reason Reason, at time.Time) (*Posting, error) {
	p := &Posting{Source: source, SourceKey: key, Seq: seq + 1, Reason: reason, At: at.UTC()}
	for a, v := range want {
		if d := v - have[a]; d != 0 {
			p.Lines = append(p.Lines, Line{a, d})
		}
	}
	for a, v := range have {
		if _, ok := want[a]; !ok {
			p.Lines = append(p.Lines, Line{a, -v})
		}
	}
	if len(p.Lines) == 0 {
		return nil, nil
	}
	if err := b.post(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// Moved is what one source key has moved, per account, and its postings'
// count.
type Moved struct {
	Accounts map[Account]int64
	Seq      int64
}

// HeldMany is Held for many keys in two queries; a key with no postings is
// absent.
func (s *Store) HeldMany(ctx context.Context, tx *store.Tx, keys []string) (map[string]*Moved, error) {
	out := map[string]*Moved{}
	if len(keys) == 0 {
		return out, nil
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	in := tx.Dialect.BulkPlaceholders(1, len(keys), 1)
	rows, err := tx.QueryContext(ctx, `SELECT source_key, max(seq) FROM ledger_postings WHERE source_key IN (`+in+`) GROUP BY source_key`, args...)
	if err != nil {
		return nil, fmt.Errorf("ledger: postings: %w", err)
	}
	for rows.Next() {
		m := &Moved{Accounts: map[Account]int64{}}
		var key string
		if err := rows.Scan(&key, &m.Seq); err != nil {
			rows.Close()
			return nil, err
		}
		out[key] = m
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	rows, err = tx.QueryContext(ctx, `SELECT p.source_key, a.kind, a.member_id, sum(l.amount) FROM ledger_postings p
		JOIN ledger_lines l ON l.posting_id = p.id JOIN ledger_accounts a ON a.id = l.account_id
		WHERE p.source_key IN (`+in+`) GROUP BY p.source_key, a.kind, a.member_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("ledger: postings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, kind string
		var a Account
		var v int64
		if err := rows.Scan(&key, &kind, &a.Member, &v); err != nil {
			return nil, err
		}
		a.Kind = Kind(kind)
		if m := out[key]; m != nil && v != 0 {
			m.Accounts[a] = v
		}
	}
	return out, rows.Err()
}

// Balance is one account's balance.
type Balance struct {
	Account Account
	Balance int64 // fen, debit positive
}

// Owed is what the team owes on a personal account (its negated balance):
// negative when the person owes the team (a share reversed after it was
// paid), which the next payout deducts.
func (b Balance) Owed() int64 { return -b.Balance }

// Amount is the balance as an operator reads it: the team's commission
// income positive when earned, cash and reward expense as they are, and a
// member's account as Owed (what the team owes them).
func (b Balance) Amount() int64 {
	if b.Account.Kind == CommissionIncome || b.Account.Kind.Personal() {
		return -b.Balance
	}
	return b.Balance
}

// Balances returns the accounts' balances, the team's first, then by
// member and kind; member > 0 keeps that member's accounts only.
func (s *Store) Balances(ctx context.Context, member int64) ([]Balance, error) {
	q := `SELECT kind, member_id, balance FROM ledger_accounts`
	var args []any
	if member > 0 {
		q += ` WHERE member_id = $1`
		args = append(args, member)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY member_id, kind`, args...)
	if err != nil {
		return nil, fmt.Errorf("ledger: balances: %w", err)
	}
	defer rows.Close()
	var out []Balance
	for rows.Next() {
		var b Balance
		var kind string
		if err := rows.Scan(&kind, &b.Account.Member, &b.Balance); err != nil {
			return nil, err
		}
		b.Account.Kind = Kind(kind)
		out = append(out, b)
	}
	return out, rows.Err()
}

// ErrNoMonth is a statement month that is not YYYY-MM.
var ErrNoMonth = msg.New("ledger.bad_month")

// ParseMonth reads "2026-11" as the first instant of that month in zone.
func ParseMonth(s string, zone *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation("2006-01", strings.TrimSpace(s), zone)
	if err != nil {
		return time.Time{}, ErrNoMonth.With(s)
	}
	return t, nil
}

// Tx is the batch's transaction.
func (b *Batch) Tx() *store.Tx { return b.tx }

// Balance returns one account's balance (0 for an account never posted
// to): one row read by its key, however many postings the ledger holds.
func (s *Store) Balance(ctx context.Context, a Account) (int64, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, `SELECT balance FROM ledger_accounts WHERE kind = $1 AND member_id = $2`, string(a.Kind), a.Member).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("ledger: balance of %s: %w", a, err)
	}
	return v, nil
}

// Size counts the postings and lines the ledger holds.
func (s *Store) Size(ctx context.Context) (postings, lines int64, err error) {
	if err = s.db.QueryRowContext(ctx, `SELECT count(*) FROM ledger_postings`).Scan(&postings); err == nil {
		err = s.db.QueryRowContext(ctx, `SELECT count(*) FROM ledger_lines`).Scan(&lines)
	}
	return postings, lines, err
}

// Vacuum refreshes PostgreSQL's statistics and visibility map of the
// ledger's tables after a bulk load (index-only scans of an account's lines
// need the latter); nothing on SQLite.
func (s *Store) Vacuum(ctx context.Context) error {
	return s.db.VacuumAnalyze(ctx, "ledger_accounts", "ledger_postings", "ledger_lines", "ledger_account_months")
}
