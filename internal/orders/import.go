package orders

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"

	"github.com/qunke/qunke/internal/store"
)

// importer applies orders inside one transaction, a batch at a time: one
// SELECT finds which of a batch's trade ids are stored, new rows go in with
// multi-row INSERTs, and only orders that changed are updated, all through
// statements prepared once per import (on PostgreSQL, larger batches
// written set-based: see bulk.go). Orders are still applied in the
// order given: a trade id repeated in a batch is decided against its state
// after the earlier copy, exactly as one-by-one upserts would.
type importer struct {
	ctx  context.Context
	tx   *sql.Tx
	now  int64
	attr *attributor
	st   Stats
	sqls *importSQL
	roll *rollup // changes to order_days and order_settle_days, written by finish

	stmts map[string]*sql.Stmt
	args  []any

	// PostgreSQL: keeps the planner's statistics of orders current as the
	// import grows the table.
	growth *store.Growth
	size   int // orders a batch
}

const (
	batchSize  = 500 // trade ids looked up by one SELECT
	insertRows = 100 // rows per multi-row INSERT (33 values each)
)

func (s *Store) newImporter(ctx context.Context, tx *sql.Tx) (*importer, error) {
	im := &importer{ctx: ctx, tx: tx, now: s.now().Unix(), stmts: map[string]*sql.Stmt{},
		sqls: sqlFor(s.db.Dialect), roll: newRollup(s.db.Dialect), size: batchSize}
	if s.db.Dialect == store.Postgres {
		im.size = cmp.Or(s.pgBatch, pgBatch)
	}
	// The lookup of trade ids is planned each run, on statistics kept
	// current as the import grows orders (see store.Growth).
	var err error
	if im.growth, err = s.db.Growth(ctx, tx, "orders", "platform", "trade_id"); err != nil {
		return nil, err
	}
	if im.attr, err = s.newAttributor(ctx); err != nil {
		return nil, err
	}
	return im, nil
}

// finish writes what the imported orders changed in the money views'
// tables: once per import, as the changes of a million orders fall on a
// few thousand (group, day, status) rows.
func (im *importer) finish() error { return im.roll.flush(im.ctx, im.tx) }

func (im *importer) close() {
	for _, st := range im.stmts {
		st.Close()
	}
}

// stmt prepares q once per import.
func (im *importer) stmt(q string) (*sql.Stmt, error) {
	if st := im.stmts[q]; st != nil {
		return st, nil
	}
	st, err := im.tx.PrepareContext(im.ctx, q)
	if err != nil {
		return nil, err
	}
	im.stmts[q] = st
	return st, nil
}

// add applies orders (their attribution's posts already loaded: attr.need).
func (im *importer) add(orders []Order) error {
	for len(orders) > 0 {
		n := min(len(orders), im.size)
		if err := im.batch(orders[:n]); err != nil {
			return err
		}
		orders = orders[n:]
	}
	return nil
}

type orderKey struct{ platform, tradeID string }

// stored is an order's row as the batch leaves it.
type stored struct {
	o                       Order
	orig                    Order // as it was stored (found rows)
	origGroup               int64
	regressed               bool
	origMember              int64 // the member the stored row was credited to
	group, delivery, member int64
	insert                  bool // a new row
	update                  bool // every field changes
	attrOnly                bool // only the attribution changes
	flag                    bool // set status_regressed
}

func (im *importer) batch(orders []Order) error {
	rows := make(map[orderKey]*stored, len(orders))
	ids := map[string][]string{}
	for i := range orders {
		o := &orders[i]
		if o.Platform == "" {
			o.Platform = PlatformTaobao
		}
		k := orderKey{o.Platform, o.TradeID}
		if _, seen := rows[k]; !seen {
			rows[k] = nil
			ids[o.Platform] = append(ids[o.Platform], o.TradeID)
		}
	}
	for platform, list := range ids {
		if err := im.lookup(platform, list, rows); err != nil {
			return err
		}
	}
	var inserts []*stored
	var changed []*stored
	for i := range orders {
		o := &orders[i]
		k := orderKey{o.Platform, o.TradeID}
		r := rows[k]
		g, d := im.attr.match(o)
		m := im.attr.member(o)
		switch {
		case r == nil:
			r = &stored{o: *o, group: g, delivery: d, member: m, insert: true}
			rows[k] = r
			inserts = append(inserts, r)
			im.st.New++
		case !Forward(r.o.Status, o.Status):
			im.st.Regressed++
			if len(im.st.RegressedIDs) < 100 {
				im.st.RegressedIDs = append(im.st.RegressedIDs, o.TradeID)
			}
			if !r.regressed {
				r.regressed = true
				if !r.insert {
					r.flag = true
					changed = append(changed, r)
				}
			}
			continue
		case r.o == *o:
			im.st.Unchanged++
			if r.group != g || r.delivery != d || r.member != m {
				r.group, r.delivery, r.member = g, d, m
				if !r.insert && !r.update {
					r.attrOnly = true
					changed = append(changed, r)
				}
			}
		default:
			im.st.Updated++
			r.o, r.group, r.delivery, r.member = *o, g, d, m
			if !r.insert {
				r.update = true
				changed = append(changed, r)
			}
		}
		if g != 0 {
			im.st.Attributed++
		}
		if d != 0 {
			im.st.FromPosts++
		}
		if m != 0 {
			im.st.ToMembers++
		}
	}
	for _, r := range rows {
		switch {
		case r == nil:
		case r.insert:
			im.roll.add(&r.o, r.group, 1)
		case r.update || r.attrOnly:
			im.roll.add(&r.orig, r.origGroup, -1)
			im.roll.add(&r.o, r.group, 1)
		}
	}
	var queue []orderKey
	for _, r := range inserts {
		if r.member != 0 {
			queue = append(queue, orderKey{r.o.Platform, r.o.TradeID})
		}
	}
	for _, r := range changed {
		// Every update: an order credited to nobody now may have been
		// shared when it was (the ledger keeps its shares).
		if r.update || (r.attrOnly && r.member != r.origMember) {
			queue = append(queue, orderKey{r.o.Platform, r.o.TradeID})
		}
	}
	if im.sqls.dialect == store.Postgres {
		if err := im.insertPG(inserts); err != nil {
			return err
		}
		if err := im.writePG(changed); err != nil {
			return err
		}
	} else {
		if err := im.insert(inserts); err != nil {
			return err
		}
		if err := im.write(changed); err != nil {
			return err
		}
	}
	if err := queueChanges(im.ctx, im.tx, im.sqls.dialect, queue); err != nil {
		return err
	}
	return im.growth.Added(im.ctx, len(inserts))
}

// lookup reads the stored rows among ids (at most batchSize, on PostgreSQL
// pgBatch) into rows.
func (im *importer) lookup(platform string, ids []string, rows map[orderKey]*stored) error {
	st, err := im.stmt(im.sqls.lookup)
	if err != nil {
		return err
	}
	args := append(im.args[:0], platform)
	if im.sqls.dialect == store.Postgres {
		args = append(args, ids) // one array
	} else {
		for i := range batchSize {
			args = append(args, ids[min(i, len(ids)-1)]) // padded with the last id
		}
	}
	im.args = args
	res, err := st.QueryContext(im.ctx, args...)
	if err != nil {
		return fmt.Errorf("look up orders: %w", err)
	}
	defer res.Close()
	for res.Next() {
		r := &stored{}
		r.o.Platform = platform
		var status string
		var flag int
		targets := append([]any{&r.o.TradeID}, r.o.scanTargets(&status)...)
		targets = append(targets, &flag, &r.group, &r.delivery, &r.member)
		if err := res.Scan(targets...); err != nil {
			return err
		}
		r.o.Status, r.regressed = Status(status), flag != 0
		r.orig, r.origGroup, r.origMember = r.o, r.group, r.member
		rows[orderKey{platform, r.o.TradeID}] = r
	}
	return res.Err()
}

const insertCols = `platform, trade_id, ` + orderCols + `, status_regressed, group_id, delivery_id, member_id, updated_at`

const nInsertCols = 2 + nOrderCols + 5

// importSQL holds the import's many-valued statements for one dialect.
type importSQL struct {
	dialect store.Dialect
	lookup  string // batchSize trade ids; on PostgreSQL an array of them
	insert  string // insertRows rows
}

var importSQLs = map[store.Dialect]*importSQL{}

func init() {
	const lookup = `SELECT trade_id, ` + orderCols + `, status_regressed, group_id, delivery_id, member_id FROM orders
		WHERE platform = `
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		importSQLs[d] = &importSQL{dialect: d,
			lookup: lookup + d.BulkPlaceholders(1, 1, 1) + ` AND trade_id IN (` + d.BulkPlaceholders(1, batchSize, 2) + `)`,
			insert: `INSERT INTO orders (` + insertCols + `) VALUES ` + d.BulkPlaceholders(nInsertCols, insertRows, 1),
		}
	}
	importSQLs[store.Postgres].lookup = lookup + `$1 AND trade_id = ANY($2::text[])`
}

func sqlFor(d store.Dialect) *importSQL {
	if s := importSQLs[d]; s != nil {
		return s
	}
	return importSQLs[store.Postgres]
}

// insert writes new rows, insertRows to a statement.
func (im *importer) insert(rows []*stored) error {
	for len(rows) > 0 {
		n := min(len(rows), insertRows)
		q := im.sqls.insert
		if n < insertRows {
			q = `INSERT INTO orders (` + insertCols + `) VALUES ` + im.sqls.dialect.BulkPlaceholders(nInsertCols, n, 1)
		}
		args := im.args[:0]
		for _, r := range rows[:n] {
			flag := 0
			if r.regressed {
				flag = 1
			}
			args = append(args, r.o.Platform, r.o.TradeID)
			args = r.o.appendFields(args)
			args = append(args, flag, r.group, r.delivery, r.member, im.now)
		}
		im.args = args
		var err error
		if n == insertRows {
			var st *sql.Stmt
			if st, err = im.stmt(q); err == nil {
				_, err = st.ExecContext(im.ctx, args...)
			}
		} else {
			_, err = im.tx.ExecContext(im.ctx, q, args...)
		}
		if err != nil {
			return fmt.Errorf("insert orders: %w", err)
		}
		rows = rows[n:]
	}
	return nil
}

const (
	updateSQL = `UPDATE orders SET parent_id = $1, order_type = $2, item_id = $3,
		title = $4, shop_name = $5, quantity = $6, unit_price = $7, paid_amount = $8,
		settled_amount = $9, commission_rate = $10, est_income = $11, settled_income = $12,
		service_fee_rate = $13, status = $14, click_at = $15, created_at = $16, paid_at = $17,
		settled_at = $18, media_id = $19, media_name = $20, adzone_id = $21, adzone_name = $22,
		relation_id = $23, special_id = $24, dispute = $25, sub_id = $26, group_id = $27, delivery_id = $28,
		member_id = $29, updated_at = $30
		WHERE platform = $31 AND trade_id = $32`
	attrSQL = `UPDATE orders SET group_id = $1, delivery_id = $2, member_id = $3 WHERE platform = $4 AND trade_id = $5`
	flagSQL = `UPDATE orders SET status_regressed = 1, updated_at = $1 WHERE platform = $2 AND trade_id = $3`
)

// write updates the stored rows that changed.
func (im *importer) write(rows []*stored) error {
	for _, r := range rows {
		if r.flag {
			r.flag = false
			if err := im.exec(flagSQL, im.now, r.o.Platform, r.o.TradeID); err != nil {
				return err
			}
		}
		switch {
		case r.update:
			r.update, r.attrOnly = false, false
			args := r.o.appendFields(im.args[:0])
			args = append(args, r.group, r.delivery, r.member, im.now, r.o.Platform, r.o.TradeID)
			im.args = args
			if err := im.exec(updateSQL, args...); err != nil {
				return err
			}
		case r.attrOnly:
			r.attrOnly = false
			if err := im.exec(attrSQL, r.group, r.delivery, r.member, r.o.Platform, r.o.TradeID); err != nil {
				return err
			}
		}
	}
	return nil
}

func (im *importer) exec(q string, args ...any) error {
	st, err := im.stmt(q)
	if err == nil {
		_, err = st.ExecContext(im.ctx, args...)
	}
	if err != nil {
		return fmt.Errorf("update orders: %w", err)
	}
	return nil
}
