package insight

import (
	"bufio"
	"context"
	"encoding/csv"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"

	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/shanghai"
)

// ExportFormats are the member lists' export formats.
var ExportFormats = []string{"csv", "xlsx"}

// ExportRFM writes the buying members of seg ("": all) with their RFM
// figures to w as CSV (UTF-8 with a byte order mark, for Excel) or XLSX,
// streaming (memory stays bounded at a million members). head names the
// columns (ExportColumns of them, in the reader's language); label names
// a segment. Recency is counted to the rollup's day.
func (c *Cohorts) ExportRFM(ctx context.Context, w io.Writer, format string, seg Segment, head []string, label func(Segment) string) error {
	run, err := c.run(ctx, kindRFM)
	if err != nil {
		return err
	}
	asOf := shanghai.Day(run.AsOf.Unix())
	day := func(d int64) string { return DayTime(d).Format("2006-01-02") }
	row := func(m MemberRFM) []any {
		return []any{strconv.FormatInt(m.MemberID, 10), m.Name, label(m.Segment), m.R, m.F, m.M, day(m.LastDay), asOf - m.LastDay,
			m.Orders, cells.Yuan(m.MoneyFen), day(m.FirstDay)}
	}
	if format == "xlsx" {
		f := excelize.NewFile()
		defer f.Close()
		sw, err := f.NewStreamWriter(f.GetSheetName(0))
		if err != nil {
			return err
		}
		hs := make([]any, len(head))
		for i, h := range head {
			hs[i] = h
		}
		if err := sw.SetRow("A1", hs); err != nil {
			return err
		}
		n := 1
		err = c.EachRFM(ctx, seg, func(m MemberRFM) error {
			n++
			r := row(m)
			if v, err := strconv.ParseFloat(cells.Yuan(m.MoneyFen), 64); err == nil {
				r[9] = v // a number Excel adds up
			}
			cell, _ := excelize.CoordinatesToCellName(1, n)
			return sw.SetRow(cell, r)
		})
		if err != nil {
			return err
		}
		if err := sw.Flush(); err != nil {
			return err
		}
		_, err = f.WriteTo(w)
		return err
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("\ufeff")
	cw := csv.NewWriter(bw)
	if err := cw.Write(head); err != nil {
		return err
	}
	rec := make([]string, len(head))
	err = c.EachRFM(ctx, seg, func(m MemberRFM) error {
		for i, v := range row(m) {
			switch v := v.(type) {
			case string:
				rec[i] = v
			case int:
				rec[i] = strconv.Itoa(v)
			case int64:
				rec[i] = strconv.FormatInt(v, 10)
			}
		}
		return cw.Write(rec)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// ExportColumns are the export's columns' message keys.
var ExportColumns = []string{"cohorts.col.member_id", "cohorts.col.name", "cohorts.col.segment", "cohorts.col.r", "cohorts.col.f",
	"cohorts.col.m", "cohorts.col.last_order", "cohorts.col.recency_days", "cohorts.col.orders", "cohorts.col.money", "cohorts.col.first_order"}
