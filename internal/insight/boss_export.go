package insight

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/health"
)

// Text renders a message key in the reader's language.
type Text func(key string, args ...any) string

// BossStates are the health states in the order a row lists them.
var BossStates = []health.State{health.OK, health.Watch, health.Warning, health.Dead}

// RowLabel is the name a row is shown with: its label, or what an empty
// one means (no operator, no tag), or the totals'.
func (t *BossTable) RowLabel(r *BossRow, tr Text) string {
	switch {
	case r == &t.Total:
		return tr("boss.total")
	case r.Label != "":
		return r.Label
	case t.By == ByTag:
		return tr("boss.no_tag")
	}
	return tr("boss.no_operator")
}

// HealthText is a row's groups per state, "正常 3 · 预警 1" (states with none
// left out).
func HealthText(r *BossRow, tr Text) string {
	var parts []string
	for _, st := range BossStates {
		if n := r.Health[st]; n > 0 {
			parts = append(parts, tr(st.LabelKey())+" "+strconv.FormatInt(n, 10))
		}
	}
	return strings.Join(parts, " · ")
}

// PerMemberDayText is income per member-day in fen with two decimals ("" when
// no member-day was counted).
func PerMemberDayText(r *BossRow) string {
	v := r.PerMemberDay()
	if math.IsNaN(v) {
		return ""
	}
	return cells.Yuan(int64(math.Round(v * 100))) // hundredths of a fen
}

// bossHeaderKeys are the export's columns, in order.
var bossHeaderKeys = []string{"boss.col_name", "boss.col_groups", "boss.col_members", "boss.col_growth",
	"boss.col_joins", "boss.col_leaves", "boss.col_posts", "boss.col_orders", "boss.col_income_yuan",
	"boss.col_per_member_day_fen", "boss.col_cost_yuan", "boss.col_cac_yuan", "boss.col_payback_days",
	"boss.col_health"}

// bossCell is one exported value: text, a count, or fen shown as yuan.
type bossCell struct {
	text  string
	num   float64
	kind  byte // 't' text, 'n' count, 'y' fen as yuan, 'f' fen with decimals, 0 empty
	value int64
}

func (t *BossTable) records(tr Text) [][]bossCell {
	out := [][]bossCell{}
	row := func(r *BossRow) []bossCell {
		c := []bossCell{{kind: 't', text: t.RowLabel(r, tr)}, {kind: 'n', value: r.Groups}, {kind: 'n', value: r.Members},
			{kind: 'n', value: r.NetGrowth}, {kind: 'n', value: r.Joins}, {kind: 'n', value: r.Leaves},
			{kind: 'n', value: r.Posts}, {kind: 'n', value: r.Orders}, {kind: 'y', value: r.IncomeFen}}
		if v := r.PerMemberDay(); !math.IsNaN(v) {
			c = append(c, bossCell{kind: 'f', num: v, text: PerMemberDayText(r)})
		} else {
			c = append(c, bossCell{})
		}
		c = append(c, bossCell{kind: 'y', value: r.CostFen})
		if r.HasCAC {
			c = append(c, bossCell{kind: 'y', value: r.CACFen})
		} else {
			c = append(c, bossCell{})
		}
		if r.HasPayback {
			c = append(c, bossCell{kind: 'n', value: int64(r.PaybackDays)})
		} else {
			c = append(c, bossCell{})
		}
		return append(c, bossCell{kind: 't', text: HealthText(r, tr)})
	}
	for i := range t.Rows {
		out = append(out, row(&t.Rows[i]))
	}
	return append(out, row(&t.Total))
}

func (c bossCell) String() string {
	switch c.kind {
	case 't', 'f':
		return c.text
	case 'n':
		return strconv.FormatInt(c.value, 10)
	case 'y':
		return cells.Yuan(c.value)
	}
	return ""
}

// exportTitle is the sheet's first line: the period and the grouping.
func (t *BossTable) exportTitle(tr Text) string {
	return tr("boss.export_title", t.FromTime().Format("2006-01-02"), t.ToTime().Format("2006-01-02"),
		tr("boss.by_"+string(t.By)))
}

// WriteCSV writes the table as CSV (UTF-8 with a byte order mark, so
// spreadsheet programs read the Chinese): a title line, the header, the
// rows and the totals; money in yuan with two decimals.
func (t *BossTable) WriteCSV(w io.Writer, tr Text) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Write([]string{t.exportTitle(tr)})
	head := make([]string, len(bossHeaderKeys))
	for i, k := range bossHeaderKeys {
		head[i] = tr(k)
	}
	cw.Write(head)
	for _, r := range t.records(tr) {
		line := make([]string, len(r))
		for i, c := range r {
			line[i] = c.String()
		}
		cw.Write(line)
	}
	cw.Flush()
	return cw.Error()
}

// WriteXLSX writes the table as an Excel workbook: the same lines as the
// CSV, numbers as numbers (money in yuan, two decimals).
func (t *BossTable) WriteXLSX(w io.Writer, tr Text) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	yuan, err := f.NewStyle(&excelize.Style{NumFmt: 2}) // 0.00
	if err != nil {
		return err
	}
	set := func(col, row int, v any) error {
		cell, err := excelize.CoordinatesToCellName(col, row)
		if err != nil {
			return err
		}
		return f.SetCellValue(sheet, cell, v)
	}
	if err := set(1, 1, t.exportTitle(tr)); err != nil {
		return err
	}
	for i, k := range bossHeaderKeys {
		if err := set(i+1, 2, tr(k)); err != nil {
			return err
		}
	}
	for ri, r := range t.records(tr) {
		line := ri + 3
		for ci, c := range r {
			var err error
			switch c.kind {
			case 't':
				err = set(ci+1, line, c.text)
			case 'n':
				err = set(ci+1, line, c.value)
			case 'y', 'f':
				v := float64(c.value) / 100
				if c.kind == 'f' {
					v = math.Round(c.num*100) / 100
				}
				if err = set(ci+1, line, v); err == nil {
					cell, _ := excelize.CoordinatesToCellName(ci+1, line)
					err = f.SetCellStyle(sheet, cell, cell, yuan)
				}
			}
			if err != nil {
				return fmt.Errorf("boss xlsx: %w", err)
			}
		}
	}
	return f.Write(w)
}
