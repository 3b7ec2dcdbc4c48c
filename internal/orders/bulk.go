package orders

// On PostgreSQL the import writes a batch set-based: each statement carries
// the batch's rows as one array per column (unnest), so a batch of
// pgBatch orders is one lookup, one INSERT of the new orders, one UPDATE of
// the changed ones and one INSERT into the change queue, whatever its size,
// and each statement is planned with a few parameters instead of
// thousands. The rollups' changes go the same way at the end of an import.
// SQLite (in-process, no round trips) keeps its multi-row statements.
// Measured in docs/BENCHMARKS.md ("PostgreSQL order import").

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// pgBatch is how many orders one PostgreSQL batch carries.
const pgBatch = 5000

// columns holds rows column by column, each column a text or a bigint
// array, for a statement reading them through unnest.
type columns struct {
	names []string
	text  []bool
	strs  [][]string
	ints  [][]int64
}

// newColumns starts columns; a name ending in ":text" is a text column, any
// other a bigint one (the suffix is not part of the name).
func newColumns(spec ...string) *columns {
	c := &columns{strs: make([][]string, len(spec)), ints: make([][]int64, len(spec))}
	for _, s := range spec {
		name, isText := strings.CutSuffix(s, ":text")
		c.names = append(c.names, name)
		c.text = append(c.text, isText)
	}
	return c
}

// add appends one row: a string for each text column, an int64 or int for
// each bigint column, in order.
func (c *columns) add(row ...any) error {
	if len(row) != len(c.names) {
		return fmt.Errorf("bulk row of %d values for %d columns", len(row), len(c.names))
	}
	for i, v := range row {
		switch v := v.(type) {
		case string:
			if c.text[i] {
				c.strs[i] = append(c.strs[i], v)
				continue
			}
		case int64:
			if !c.text[i] {
				c.ints[i] = append(c.ints[i], v)
				continue
			}
		case int:
			if !c.text[i] {
				c.ints[i] = append(c.ints[i], int64(v))
				continue
			}
		}
		return fmt.Errorf("bulk column %s: value of type %T", c.names[i], v)
	}
	return nil
}

// len is the number of rows.
func (c *columns) len() int {
	if len(c.names) == 0 {
		return 0
	}
	if c.text[0] {
		return len(c.strs[0])
	}
	return len(c.ints[0])
}

// unnest is the FROM item reading the columns as parameters $first, ...:
// unnest($1::text[], $2::bigint[]) AS v(a, b).
func (c *columns) unnest(first int) string {
	var b strings.Builder
	b.WriteString("unnest(")
	for i := range c.names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(first+i))
		if c.text[i] {
			b.WriteString("::text[]")
		} else {
			b.WriteString("::bigint[]")
		}
	}
	b.WriteString(") AS v(" + strings.Join(c.names, ", ") + ")")
	return b.String()
}

// args appends the columns' arrays to dst.
func (c *columns) args(dst []any) []any {
	for i := range c.names {
		if c.text[i] {
			dst = append(dst, c.strs[i])
		} else {
			dst = append(dst, c.ints[i])
		}
	}
	return dst
}

// orderRowSpec is the columns of an orders row the import writes, in
// insertCols order, typed for columns.
var orderRowSpec = func() []string {
	spec := []string{"platform:text", "trade_id:text"}
	var o Order
	for i, v := range o.appendFields(nil) {
		name := orderColNames[i]
		if _, ok := v.(string); ok {
			name += ":text"
		}
		spec = append(spec, name)
	}
	return append(spec, "status_regressed", "group_id", "delivery_id", "member_id", "updated_at")
}()

// orderColNames are orderCols' names.
var orderColNames = strings.Fields(strings.ReplaceAll(orderCols, ",", " "))

// addOrderRow appends r as a row of orderRowSpec (and extra values after it).
func (c *columns) addOrderRow(r *stored, now int64, extra ...any) error {
	flag := 0
	if r.regressed {
		flag = 1
	}
	row := make([]any, 0, len(c.names))
	row = append(row, r.o.Platform, r.o.TradeID)
	row = r.o.appendFields(row)
	row = append(row, flag, r.group, r.delivery, r.member, now)
	return c.add(append(row, extra...)...)
}

// insertPG writes new rows with one INSERT.
func (im *importer) insertPG(rows []*stored) error {
	if len(rows) == 0 {
		return nil
	}
	c := newColumns(orderRowSpec...)
	for _, r := range rows {
		if err := c.addOrderRow(r, im.now); err != nil {
			return err
		}
	}
	q := `INSERT INTO orders (` + insertCols + `) SELECT * FROM ` + c.unnest(1)
	if _, err := im.tx.ExecContext(im.ctx, q, c.args(nil)...); err != nil {
		return fmt.Errorf("insert orders: %w", err)
	}
	return nil
}

// writePG updates the stored rows that changed with one UPDATE: each row
// gets its fields, flag and attribution as the batch leaves them, and
// updated_at when its fields changed or it was flagged (touch 1), not
// when only its attribution moved. A row listed twice is written once.
func (im *importer) writePG(rows []*stored) error {
	c := newColumns(append(slices.Clone(orderRowSpec), "touch")...)
	for _, r := range rows {
		if !r.flag && !r.update && !r.attrOnly {
			continue // written already
		}
		touch := 0
		if r.flag || r.update {
			touch = 1
		}
		r.flag, r.update, r.attrOnly = false, false, false
		if err := c.addOrderRow(r, im.now, touch); err != nil {
			return err
		}
	}
	if c.len() == 0 {
		return nil
	}
	var set strings.Builder
	for _, name := range c.names[2 : len(c.names)-2] { // not the key, updated_at, touch
		set.WriteString(name + " = v." + name + ", ")
	}
	q := `UPDATE orders AS o SET ` + set.String() + `updated_at = CASE WHEN v.touch = 1 THEN v.updated_at ELSE o.updated_at END
		FROM ` + c.unnest(1) + ` WHERE o.platform = v.platform AND o.trade_id = v.trade_id`
	if _, err := im.tx.ExecContext(im.ctx, q, c.args(nil)...); err != nil {
		return fmt.Errorf("update orders: %w", err)
	}
	return nil
}

// queueChangesPG queues keys with one INSERT.
func queueChangesPG(ctx context.Context, tx *sql.Tx, keys []orderKey) error {
	if len(keys) == 0 {
		return nil
	}
	c := newColumns("platform:text", "trade_id:text")
	for _, k := range keys {
		if err := c.add(k.platform, k.tradeID); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO order_changes (platform, trade_id) SELECT * FROM `+c.unnest(1), c.args(nil)...); err != nil {
		return fmt.Errorf("queue order changes: %w", err)
	}
	return nil
}
